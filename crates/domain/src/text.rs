//! Validated text values: emails, titles, slugs.
use serde::{Deserialize, Serialize};
use std::fmt;

/// A rejected input field, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// An email address, trimmed and lower-cased so that lookups and uniqueness are case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 254 {
            return Err("must be an email address of at most 254 characters");
        }
        let (local, domain) = s.rsplit_once('@').ok_or("must be an email address")?;
        let domain_ok = !domain.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty() && local.len() <= 64 && !local.chars().any(|c| c.is_whitespace() || c == '@');
        if !domain_ok || !local_ok {
            return Err("must be an email address");
        }
        Ok(Self(s.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A ticket subject: 1 to 255 characters, not only whitespace. Kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 255;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.trim().is_empty() {
            return Err("must not be empty");
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err("must be at most 255 characters");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A URL-safe identifier: lower-case ASCII letters, digits and single dashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok = !raw.is_empty()
            && raw.len() <= 100
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err("must be lower-case letters, digits and dashes")
        }
    }

    /// Derives a slug from a display name in any script: transliterated to ASCII (`Поддержка` →
    /// `podderzhka`), letters and digits kept in lower case, every run of anything else one dash, at most
    /// 100 characters. `None` when nothing usable remains (the caller falls back to the record's id).
    pub fn from_name(name: &str) -> Option<Self> {
        let ascii = deunicode::deunicode_with_tofu(name, "-");
        let mut out = String::with_capacity(ascii.len());
        for c in ascii.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
        let trimmed: String = out.trim_end_matches('-').chars().take(100).collect();
        Self::parse(trimmed.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").map(String::from),
            Ok("ann@example.com".into())
        );
        for bad in ["", "a", "a@", "@b", "a b@c.d", "a@b..c", "a@.b"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn titles() {
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"x".repeat(255)).is_ok());
        assert!(Title::parse(&"x".repeat(256)).is_err());
        assert!(
            Title::parse(&"é".repeat(255)).is_ok(),
            "limit counts characters, not bytes"
        );
    }

    #[test]
    fn slugs() {
        let derived = |name: &str| Slug::from_name(name).map(Slug::into_inner);
        assert_eq!(derived("Billing & Sales!").as_deref(), Some("billing-sales"));
        assert_eq!(derived("Поддержка").as_deref(), Some("podderzhka"));
        assert_eq!(derived("サポート").as_deref(), Some("sapoto"));
        assert_eq!(derived("Service Après-Vente").as_deref(), Some("service-apres-vente"));
        assert_eq!(
            derived("Kundendienst Österreich 2").as_deref(),
            Some("kundendienst-osterreich-2")
        );
        assert_eq!(
            derived(&"я".repeat(120)).map(|s| s.len()),
            Some(100),
            "at most 100 characters"
        );
        for nothing in ["", "  ", "!!!", "---", "\u{e000}\u{e001}"] {
            assert_eq!(derived(nothing), None, "{nothing:?}");
        }
        assert!(Slug::parse("Bad").is_err());
    }

    proptest! {
        #[test]
        fn derived_slugs_always_parse(name in "\\PC{0,120}") {
            if let Some(slug) = Slug::from_name(&name) {
                prop_assert!(Slug::parse(slug.as_str()).is_ok());
            }
        }

        #[test]
        fn parsed_emails_are_stable(raw in "[a-zA-Z0-9._+-]{1,20}@[a-z0-9-]{1,10}\\.[a-z]{2,5}") {
            let once = Email::parse(&raw).map_err(TestCaseError::fail)?;
            prop_assert_eq!(Email::parse(once.as_str()).ok(), Some(once));
        }
    }
}

/// Splits a free-text query into at most 16 words of at most 100 characters; search backends match
/// each word literally (never as query syntax).
pub fn search_terms(q: &str) -> Vec<String> {
    q.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(100).collect())
        .take(16)
        .collect()
}

/// How long the last word of a query must be to match as a prefix as well (search as you type: `print`
/// finds `printer`). A shorter prefix names too many words to be a useful or a fast filter.
pub const PREFIX_MIN_CHARS: usize = 3;

/// Whether the last of `terms` matches as a prefix too (every other word matches whole).
pub fn last_term_is_prefix(terms: &[String]) -> bool {
    terms.last().is_some_and(|t| t.chars().count() >= PREFIX_MIN_CHARS)
}

/// A word as search compares it: lower case, accents removed (`Café` → `cafe`), as both backends'
/// full-text indexes fold words.
fn fold(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars().flat_map(char::to_lowercase) {
        match deunicode::deunicode_char(c) {
            Some(plain) if !c.is_ascii() && !plain.is_empty() && plain.chars().all(|p| p.is_ascii_alphanumeric()) => {
                out.extend(plain.chars().map(|p| p.to_ascii_lowercase()));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod search_term_tests {
    use super::{fold, last_term_is_prefix, search_terms};
    use proptest::prelude::*;

    #[test]
    fn prefix_rule() {
        let terms = |t: &[&str]| t.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(last_term_is_prefix(&terms(&["paper", "pri"])));
        assert!(
            !last_term_is_prefix(&terms(&["printer", "pr"])),
            "two characters are too few"
        );
        assert!(last_term_is_prefix(&terms(&["日本語"])), "characters, not bytes");
        assert!(!last_term_is_prefix(&[]));
    }

    #[test]
    fn folding() {
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(fold("ÜBER"), "uber");
        assert_eq!(fold("Ñandú"), "nandu");
        assert_eq!(fold("plain"), "plain");
    }

    #[test]
    fn words() {
        assert_eq!(
            search_terms("  printer, \"jammed\" OR  *  "),
            vec!["printer", "jammed", "OR"]
        );
        assert_eq!(search_terms("ann@example.com"), vec!["ann@example.com"]);
        assert!(search_terms(" -- ' ").is_empty());
    }

    proptest! {
        #[test]
        fn bounded(q in "\\PC{0,400}") {
            let terms = search_terms(&q);
            prop_assert!(terms.len() <= 16);
            prop_assert!(terms.iter().all(|t| !t.is_empty() && t.chars().count() <= 100));
        }
    }
}

/// Marks the start of a matched word in an excerpt (not HTML: the web edge escapes the text first).
pub const MARK_START: char = '\u{1}';
/// Marks the end of a matched word in an excerpt.
pub const MARK_END: char = '\u{2}';

/// A short excerpt of `text` around the first word that matches one of `terms` (ignoring case and accents;
/// the last term also as a prefix, as search matches it), with every such word wrapped in [`MARK_START`] …
/// [`MARK_END`]. Both storage backends hand search hits' text to this one function, so highlights look the
/// same whichever database runs.
pub fn excerpt(text: &str, terms: &[String], max_words: usize) -> String {
    let wanted: Vec<String> = terms.iter().map(|t| fold(t)).collect();
    let prefix = last_term_is_prefix(terms).then(|| wanted.last()).flatten();
    // Words as byte ranges: runs of alphanumeric characters, as the full-text tokenizers split them.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    let is_match = |&(s, e): &(usize, usize)| {
        let w = fold(&text[s..e]);
        prefix.is_some_and(|p| w.starts_with(p.as_str()))
            || wanted
                .iter()
                .any(|t| *t == w || t.split(|c: char| !c.is_alphanumeric()).any(|part| part == w))
    };
    let first = words.iter().position(is_match).unwrap_or(0);
    let from = first.saturating_sub(max_words / 3);
    let to = (from + max_words).min(words.len());
    let (Some(&(begin, _)), Some(&(_, end))) = (words.get(from), words.get(to.saturating_sub(1))) else {
        return String::new();
    };
    let mut out = String::with_capacity(end - begin + 16);
    if from > 0 {
        out.push('…');
    }
    let mut at = begin;
    for w in &words[from..to] {
        out.push_str(&text[at..w.0]);
        if is_match(w) {
            out.push(MARK_START);
            out.push_str(&text[w.0..w.1]);
            out.push(MARK_END);
        } else {
            out.push_str(&text[w.0..w.1]);
        }
        at = w.1;
    }
    if to < words.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod excerpt_tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn marks_matches_in_a_window() {
        let text = "one two three four five six seven eight nine ten Printer eleven twelve printer's end";
        let got = excerpt(text, &terms(&["printer"]), 6);
        assert_eq!(got, "…nine ten \u{1}Printer\u{2} eleven twelve \u{1}printer\u{2}…");
        assert_eq!(
            excerpt("a < b & \"Zebra\"", &terms(&["zebra"]), 10),
            "a < b & \"\u{1}Zebra\u{2}"
        );
        assert_eq!(excerpt("no match here", &terms(&["x"]), 2), "no match…");
        assert_eq!(excerpt("", &terms(&["x"]), 5), "");
        assert_eq!(
            excerpt("Le Café est fermé", &terms(&["cafe", "FERME"]), 9),
            "Le \u{1}Café\u{2} est \u{1}fermé\u{2}",
            "accents and case are ignored"
        );
        assert_eq!(
            excerpt("the printer prints, a print shop", &terms(&["prin"]), 9),
            "the \u{1}printer\u{2} \u{1}prints\u{2}, a \u{1}print\u{2} shop",
            "the last term matches as a prefix"
        );
        assert_eq!(
            excerpt("printer paper", &terms(&["pri", "pa"]), 9),
            "printer paper",
            "only the last term, and only from three characters"
        );
        assert_eq!(
            excerpt("mail ann@example.com now", &terms(&["ann@example.com"]), 9),
            "mail \u{1}ann\u{2}@\u{1}example\u{2}.\u{1}com\u{2} now"
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_short(text in "\\PC{0,300}", term in "\\PC{0,10}") {
            let out = excerpt(&text, &[term], 12);
            prop_assert!(out.chars().filter(|c| *c == MARK_START).count() == out.chars().filter(|c| *c == MARK_END).count());
            prop_assert!(out.len() <= text.len() + 12 * 2 * 4 + 6);
        }
    }
}
