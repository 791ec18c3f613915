//! What view hooks give a customer's browser (SPEC §4): their HTML cleaned by ammonia's allow-list — no
//! scripts, no event handlers, no `style`, and links only to safe schemes (no `javascript:` or `data:`).
pub fn sanitize_for_customers(html: &str) -> String {
    ammonia::clean(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_dangerous_urls_are_removed() {
        let dirty = r#"<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>
<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">js</a><a href="data:text/html,<script>alert(4)</script>">data</a>
<a href="https://example.com/help">help</a><iframe src="https://evil.example"></iframe>"#;
        let clean = sanitize_for_customers(dirty);
        for bad in [
            "<script",
            "onclick",
            "onerror",
            "javascript:",
            "data:",
            "<iframe",
            "alert(1)",
        ] {
            assert!(!clean.contains(bad), "{bad} left in {clean}");
        }
        assert!(clean.contains("<b>there</b>"), "{clean}");
        assert!(clean.contains(r#"href="https://example.com/help""#), "{clean}");
    }
}
