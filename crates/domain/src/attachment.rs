//! Attachments of replies (SPEC §10): what a reply lists, and the rule that makes an uploaded or mailed file
//! name safe to store, show and offer for download.
use serde::{Deserialize, Serialize};

/// One file of a reply. Its content is stored once per `sha256`; the attachment itself (its id, name and
/// the visibility of its reply) is the reply's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// The name given to a file that has none left after [`safe_filename`].
pub const UNNAMED_FILE: &str = "attachment";

/// The longest file name kept, in characters (the extension is kept when a name is cut).
pub const MAX_FILENAME_CHARS: usize = 200;

/// `name` made safe: only its last path component (both `/` and `\` separate), tabs and other blanks made
/// spaces, line breaks and other control and invisible format characters dropped, surrounding whitespace and
/// dots trimmed, at most [`MAX_FILENAME_CHARS`] characters; never empty, `.` or `..` ([`UNNAMED_FILE`]
/// instead).
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        // A tab or another blank is a space; line breaks and other control characters go.
        .map(|c| {
            if c == '\t' || (c.is_whitespace() && !c.is_control()) {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == ' ' || c == '.');
    if trimmed.is_empty() {
        return UNNAMED_FILE.to_owned();
    }
    if trimmed.chars().count() <= MAX_FILENAME_CHARS {
        return trimmed.to_owned();
    }
    // Keep a short extension so the download still opens with the right program.
    let extension = trimmed
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|ext| !ext.is_empty() && ext.chars().count() <= 16);
    match extension {
        Some(ext) => {
            let keep = MAX_FILENAME_CHARS - ext.chars().count() - 1;
            let stem: String = trimmed.chars().take(keep).collect();
            format!("{}.{ext}", stem.trim_end_matches([' ', '.']))
        }
        None => {
            let cut: String = trimmed.chars().take(MAX_FILENAME_CHARS).collect();
            cut.trim_end_matches([' ', '.']).to_owned()
        }
    }
}

/// Characters that change how a name displays without showing: bidirectional overrides (which make
/// `evil\u{202e}fdp.exe` read as `evilexe.pdf`), zero-width characters and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_plain_names() {
        assert_eq!(safe_filename("invoice 2026-11.pdf"), "invoice 2026-11.pdf");
        assert_eq!(safe_filename("Ünïcödé файл.txt"), "Ünïcödé файл.txt");
    }

    #[test]
    fn drops_paths_controls_and_dot_names() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\Users\\x\\evil.exe"), "evil.exe");
        assert_eq!(safe_filename("a\u{0}b\r\nc.txt"), "abc.txt");
        assert_eq!(safe_filename("evil\u{202e}fdp.exe"), "evilfdp.exe");
        assert_eq!(safe_filename(".."), UNNAMED_FILE);
        assert_eq!(safe_filename("."), UNNAMED_FILE);
        assert_eq!(safe_filename(""), UNNAMED_FILE);
        assert_eq!(safe_filename("dir/"), UNNAMED_FILE);
        assert_eq!(safe_filename("  .hidden  "), "hidden");
        assert_eq!(safe_filename("tab\there.txt"), "tab here.txt");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "x".repeat(500));
        let safe = safe_filename(&long);
        assert_eq!(safe.chars().count(), MAX_FILENAME_CHARS);
        assert!(safe.ends_with(".pdf"));
    }

    proptest! {
        #[test]
        fn always_safe(name in any::<String>()) {
            let safe = safe_filename(&name);
            prop_assert!(!safe.is_empty());
            prop_assert!(safe != "." && safe != "..");
            prop_assert!(!safe.contains('/') && !safe.contains('\\'));
            prop_assert!(!safe.chars().any(|c| c.is_control() || is_invisible_format(c)));
            prop_assert!(safe.chars().count() <= MAX_FILENAME_CHARS);
            prop_assert_eq!(safe_filename(&safe), safe, "idempotent");
        }
    }
}
