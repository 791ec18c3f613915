//! The parsers of text that comes from outside: cursors, search queries, emails, titles, slugs.
#![no_main]
use ferrodesk_domain::{Cursor, Email, Slug, Title, search_terms};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Cursor::decode(s) {
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }
    let terms = search_terms(s);
    assert!(terms.len() <= 16 && terms.iter().all(|t| !t.is_empty()));
    if let Ok(e) = Email::parse(s) {
        assert_eq!(Email::parse(e.as_str()).ok(), Some(e));
    }
    let _ = Title::parse(s);
    if let Some(slug) = Slug::from_name(s) {
        assert!(Slug::parse(slug.as_str()).is_ok());
    }
});
