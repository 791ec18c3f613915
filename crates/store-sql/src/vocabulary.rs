//! The words of the ticket search index, kept in a table of their own (`ticket_terms`, migration 0006 on
//! SQLite, 0007 on PostgreSQL), so
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
use crate::Value;
use std::collections::HashSet;
use std::hash::BuildHasher;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Most words one prefix is expanded into. A prefix that begins more words than this (a short one, in a
/// large vocabulary) is left to FTS5's own prefix query, the plan from before the vocabulary: an `OR` of
/// hundreds of words would cost as much and make the statement long.
pub const MAX_EXPANSION: usize = 64;

/// Words longer than this (pasted hashes, base64) are not kept: a prefix typed by a user is not meant to
/// complete them, and they would bloat the table. They are still found whole. (`sql/ticket_terms_fill.sql`
/// applies the same bound.)
pub const MAX_WORD_CHARS: usize = 128;

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
pub fn key(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text` the vocabulary keeps (not longer than [`MAX_WORD_CHARS`]), as written.
pub fn words_to_keep(text: &str) -> impl Iterator<Item = &str> {
    words(text).filter(|w| w.chars().count() <= MAX_WORD_CHARS)
}

/// `(key, word)` pairs of the distinct words of `texts` worth keeping for which `is_new` says yes.
fn new_entries<'t>(
    texts: impl IntoIterator<Item = &'t str>,
    mut is_new: impl FnMut(&str) -> bool,
) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = texts
        .into_iter()
        .flat_map(words_to_keep)
        .filter(|w| is_new(w))
        .map(|w| (key(w), w.to_lowercase()))
        .collect();
    entries.sort_unstable();
    entries.dedup();
    entries
}

/// Words the writer knows to be in the vocabulary, so that new text probes the table only for words it
/// has not met before (a ticket's messages hold hundreds of words, and probing the table for each cost a
/// quarter of the writer's time), and works out keys only for those. Hashes of the words as written, not
/// the words, and a bounded number of them (forgotten all at once past [`KnownWords::CAPACITY`]); two
/// words with the same 64-bit hash would leave the second out of the vocabulary, found whole but not by
/// its beginning.
///
/// A word is marked known when its insert is queued; a rollback may undo that insert, so every rollback
/// forgets them all ([`KnownWords::forget`]).
#[derive(Default)]
pub struct KnownWords {
    hashes: HashSet<u64, foldhash::fast::RandomState>,
    /// Seeded at random per process, so that nobody can choose a word that hides another one.
    words: foldhash::quality::RandomState,
}

impl KnownWords {
    /// About 2 MB of hashes.
    const CAPACITY: usize = 100_000;

    /// Marks `word` known; false if it already was.
    pub fn learn(&mut self, word: &str) -> bool {
        let hash = self.words.hash_one(word);
        if self.hashes.len() >= Self::CAPACITY {
            self.hashes.clear();
        }
        self.hashes.insert(hash)
    }

    /// Whether `word` is known, without marking it.
    pub fn knows(&self, word: &str) -> bool {
        self.hashes.contains(&self.words.hash_one(word))
    }

    pub fn forget(&mut self) {
        self.hashes.clear();
    }
}

/// Rows per statement of [`add_words`]: one statement text, prepared once, whatever the number of words.
pub const ROWS_PER_INSERT: usize = 8;

/// `($1, $2), ($3, $4), …`: the rows of a backend's insert statement for [`add_words`].
pub fn insert_rows() -> String {
    (0..ROWS_PER_INSERT)
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The parameters of the inserts (of [`ROWS_PER_INSERT`] `(key, term)` rows each, see [`insert_rows`])
/// that add the words of `texts` for which `is_new` says yes (asked once per word as written, e.g.
/// [`KnownWords::learn`]) to the vocabulary; the statement skips a word already there too. The last
/// statement repeats its last row to fill its places.
pub fn add_words<'t>(texts: impl IntoIterator<Item = &'t str>, is_new: impl FnMut(&str) -> bool) -> Vec<Vec<Value>> {
    new_entries(texts, is_new)
        .chunks(ROWS_PER_INSERT)
        .map(|chunk| {
            (0..ROWS_PER_INSERT)
                .flat_map(|i| {
                    let (key, word) = &chunk[i.min(chunk.len() - 1)];
                    [Value::from(key.as_str()), Value::from(word.as_str())]
                })
                .collect()
        })
        .collect()
}

/// A query whose last word matches as a prefix and can be expanded through the vocabulary.
pub struct Expansion<'t> {
    /// The last word, as typed.
    pub last: &'t str,
    /// The words before it, each matched whole.
    pub others: &'t [String],
    /// The lookup key of `last`: the vocabulary's words with keys from here to [`key_upper_bound`] are
    /// the words it begins.
    pub key: String,
}

/// `terms` as an [`Expansion`], when the last word matches as a prefix (`domain::last_term_is_prefix`)
/// and can be expanded ([`expandable`]); otherwise the backend's own prefix query applies.
pub fn expansion(terms: &[String]) -> Option<Expansion<'_>> {
    let (last, others) = terms.split_last()?;
    if !domain::last_term_is_prefix(terms) {
        return None;
    }
    Some(Expansion {
        last,
        others,
        key: expandable(last)?,
    })
}

/// The prefix lookup key of a query's last word, when that word can be expanded: a single word as the
/// index cuts words, not too long. Otherwise FTS5's own prefix query is used.
pub fn expandable(word: &str) -> Option<String> {
    let single = word.chars().all(is_word_char) && !word.is_empty();
    (single && word.chars().count() <= MAX_WORD_CHARS).then(|| key(word))
}

/// The upper end of the keys that begin with `key`: no key with that prefix sorts at or after it.
pub fn key_upper_bound(key: &str) -> String {
    format!("{key}{}", char::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_cut_and_folded_like_the_index() {
        let got = new_entries(["Café-Printer, CAFÉ printer; 3D-druck Ünïcödé"], |_| true);
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
        let known = &mut KnownWords::default();
        assert!(add_words(["", " -- "], |w| known.learn(w)).is_empty());
        assert!(add_words([&"x".repeat(MAX_WORD_CHARS + 1) as &str], |w| known.learn(w)).is_empty());
    }

    #[test]
    fn words_go_in_statements_of_fixed_size() {
        let known = &mut KnownWords::default();
        let statements = add_words(["a \"Quoted\" word"], |w| known.learn(w));
        assert_eq!(statements.len(), 1);
        let values = &statements[0];
        assert_eq!(insert_rows().matches('(').count(), ROWS_PER_INSERT);
        let text = |v: &Value| match v {
            Value::Text(Some(t)) => t.clone(),
            other => panic!("not text: {other:?}"),
        };
        let pairs: Vec<String> = values.iter().map(text).collect();
        assert_eq!(pairs.len(), 2 * ROWS_PER_INSERT);
        assert_eq!(&pairs[..6], ["a", "a", "quoted", "quoted", "word", "word"]);
        assert!(pairs[6..].chunks(2).all(|p| p == ["word", "word"]), "{pairs:?}");
        let many: String = (0..20).map(|n| format!("w{n} ")).collect();
        assert_eq!(
            add_words([many.as_str()], |w| known.learn(w)).len(),
            20usize.div_ceil(ROWS_PER_INSERT)
        );
        assert!(
            add_words([many.as_str(), "word"], |w| known.learn(w)).is_empty(),
            "known words are skipped"
        );
        assert_eq!(add_words(["word new"], |w| known.learn(w)).len(), 1);
        known.forget();
        assert_eq!(
            add_words(["word"], |w| known.learn(w)).len(),
            1,
            "forgotten words are added again"
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
