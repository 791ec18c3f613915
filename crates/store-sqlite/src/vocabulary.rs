//! The words of the ticket search index, kept in a table of their own (`ticket_terms`, migration 0006), so
//! that the last word of a query, which also matches as a prefix (SPEC §3.3), becomes the few words it
//! begins rather than an FTS5 prefix query.
//!
//! Why: without a prefix index, FTS5 answers `"print"*` by merging the whole document list of every word
//! that begins with `print` into memory before it yields a first match, and the newest-first plans of the
//! search and the ticket list (stop after 500 or 50 matches) lose their bound: a common word cost 80 ms
//! at a million tickets instead of 5. A prefix index for every length a user may type would multiply the
//! index. `("print" OR "printer" OR "printers")` streams like a single word.
//!
//! Each word is stored under a key (lower case, accents removed) for the prefix lookup, beside the word
//! itself in lower case, which is what the query names: FTS5 folds and splits that word exactly as it
//! folded and split the documents, so a word this module cuts or folds slightly differently from FTS5's
//! `unicode61` tokenizer still finds the same documents (at worst as a phrase of FTS5's pieces).
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use std::collections::BTreeSet;
use store_sql::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Fills `ticket_terms` from the search index itself (after migration 0006, and after a restore).
pub(crate) const FILL_FROM_INDEX: &str = include_str!("../sql/ticket_terms_fill.sql");

/// Makes [`key`] callable from SQL as `ferrodesk_term_key(word)`, for [`FILL_FROM_INDEX`].
pub(crate) fn register_key_function(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "ferrodesk_term_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(key(ctx
                .get_raw(0)
                .as_str()
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?))
        },
    )
}

/// Most words one prefix is expanded into. A prefix that begins more words than this (a short one, in a
/// large vocabulary) is left to FTS5's own prefix query, which is then the cheaper plan anyway.
pub(crate) const MAX_EXPANSION: usize = 64;

/// Words longer than this (pasted hashes, base64) are not kept: a prefix typed by a user is not meant to
/// complete them, and they would bloat the table. They are still found whole.
pub(crate) const MAX_WORD_CHARS: usize = 128;

/// Whether FTS5's `unicode61` tokenizer keeps `c` inside a word: letters and numbers (its default
/// categories `L* N* Co`, of which Rust's alphanumerics are a superset), private-use characters, and the
/// combining accents it folds away.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '\u{300}'..='\u{36f}' | '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}')
}

/// The words of `text`, as the search index cuts it.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
}

/// A word's lookup key: lower case, accents removed (`Café` → `cafe`); composed again afterwards, so that
/// a syllable is not a prefix of another one (Hangul decomposes into letters).
pub(crate) fn key(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect()
}

/// `(key, word)` pairs of the distinct words of `texts` worth keeping.
fn entries<'t>(texts: impl IntoIterator<Item = &'t str>) -> BTreeSet<(String, String)> {
    texts
        .into_iter()
        .flat_map(words)
        .filter(|w| w.chars().count() <= MAX_WORD_CHARS)
        .map(|w| (key(w), w.to_lowercase()))
        .collect()
}

/// The statement that adds the words of `texts` to the vocabulary (those already there are skipped), or
/// `None` when there are none. One statement with one parameter, a JSON array of `[key, word]` pairs, so
/// that it is prepared once whatever the number of words.
pub(crate) fn add_words<'t>(texts: impl IntoIterator<Item = &'t str>) -> Option<(&'static str, Vec<Value>)> {
    let entries = entries(texts);
    if entries.is_empty() {
        return None;
    }
    let pairs: Vec<[&str; 2]> = entries.iter().map(|(k, w)| [k.as_str(), w.as_str()]).collect();
    let json = serde_json::to_string(&pairs).ok()?;
    Some((
        "INSERT OR IGNORE INTO ticket_terms (key, term) SELECT value ->> 0, value ->> 1 FROM json_each($1)",
        vec![Value::from(json)],
    ))
}

/// The prefix lookup key of a query's last word, when that word can be expanded: a single word as the
/// index cuts words, not too long. Otherwise FTS5's own prefix query is used.
pub(crate) fn expandable(word: &str) -> Option<String> {
    let single = word.chars().all(is_word_char) && !word.is_empty();
    (single && word.chars().count() <= MAX_WORD_CHARS).then(|| key(word))
}

/// The upper end of the keys that begin with `key`: no key with that prefix sorts at or after it.
pub(crate) fn key_upper_bound(key: &str) -> String {
    format!("{key}{}", char::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_cut_and_folded_like_the_index() {
        let got: Vec<(String, String)> = entries(["Café-Printer, CAFÉ printer; 3D-druck Ünïcödé"])
            .into_iter()
            .collect();
        let want = [
            ("3d", "3d"),
            ("cafe", "café"),
            ("druck", "druck"),
            ("printer", "printer"),
            ("unicode", "ünïcödé"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(k, w)| ((*k).to_owned(), (*w).to_owned()))
                .collect::<Vec<_>>()
        );
        // A decomposed accent stays inside its word, as in FTS5.
        assert_eq!(
            words("cafe\u{301} au lait").collect::<Vec<_>>(),
            ["cafe\u{301}", "au", "lait"]
        );
        assert_eq!(key("cafe\u{301}"), "cafe");
        assert_eq!(key("Поддержка"), "поддержка");
        assert_eq!(key("한국"), "한국");
    }

    #[test]
    fn long_words_and_empty_texts_add_nothing() {
        assert!(add_words(["", " -- "]).is_none());
        assert!(add_words([&"x".repeat(MAX_WORD_CHARS + 1) as &str]).is_none());
        let (sql, values) = add_words(["a \"quoted\" word"]).expect("words");
        assert!(sql.contains("json_each"));
        assert_eq!(
            values,
            vec![Value::from(
                r#"[["a","a"],["quoted","quoted"],["word","word"]]"#.to_owned()
            )]
        );
    }

    #[test]
    fn only_single_words_expand() {
        assert_eq!(expandable("Print").as_deref(), Some("print"));
        assert_eq!(expandable("café").as_deref(), Some("cafe"));
        assert_eq!(expandable("e-mai"), None);
        assert_eq!(expandable(""), None);
        assert_eq!(expandable(&"x".repeat(MAX_WORD_CHARS + 1)), None);
    }

    proptest! {
        #[test]
        fn a_typed_prefix_finds_every_word_it_begins(word in "\\PC{1,20}", cut in 1usize..20) {
            for w in words(&word) {
                let prefix: String = w.chars().take(cut).collect();
                if let Some(k) = expandable(&prefix) {
                    let full = key(w);
                    prop_assert!(full.starts_with(&k), "{prefix:?} → {k:?} is not a prefix of {w:?} → {full:?}");
                    prop_assert!(k.as_str() <= full.as_str() && full.as_str() < key_upper_bound(&k).as_str());
                }
            }
        }
    }
}
