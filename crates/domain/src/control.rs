//! The rule for control characters in text input: none in one-line text (names, titles, queries), and
//! only tab, carriage return and line feed in multi-line text (messages, descriptions). A NUL byte or an
//! escape sequence has no business in a help desk record, and some of them break storage or terminals.
use crate::text::FieldError;
use serde_json::Value;

/// Whether a text value may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    OneLine,
    MultiLine,
}

/// Request members whose text may span lines; custom field values count as multi-line too (a custom
/// field may be a text area; `source` is a hook script). Every other text member of a request is one line.
pub const MULTI_LINE_FIELDS: [&str; 5] = ["message", "description", "greeting", "custom_fields", "source"];

/// Checks one text value.
pub fn check_text(text: &str, kind: TextKind) -> Result<(), &'static str> {
    let allowed = |c: char| kind == TextKind::MultiLine && matches!(c, '\t' | '\r' | '\n');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        Err(match kind {
            TextKind::OneLine => "must not contain control characters",
            TextKind::MultiLine => "must not contain control characters other than tab and line breaks",
        })
    } else {
        Ok(())
    }
}

/// Every text member of a JSON document that breaks the rule, named by its path (`title`,
/// `custom_fields.note`, `tags[2]`). Members named in [`MULTI_LINE_FIELDS`], and everything inside them,
/// are multi-line; object keys are one line.
pub fn control_characters_in(document: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    walk(document, "", TextKind::OneLine, &mut errors);
    errors
}

fn walk(value: &Value, path: &str, kind: TextKind, errors: &mut Vec<FieldError>) {
    match value {
        Value::String(text) => {
            if let Err(message) = check_text(text, kind) {
                errors.push(FieldError::new(path_or_body(path), message));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), kind, errors);
            }
        }
        Value::Object(members) => {
            for (name, member) in members {
                let member_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if let Err(message) = check_text(name, TextKind::OneLine) {
                    errors.push(FieldError::new(path_or_body(path), format!("member names {message}")));
                    continue;
                }
                let kind =
                    if kind == TextKind::MultiLine || (path.is_empty() && MULTI_LINE_FIELDS.contains(&name.as_str())) {
                        TextKind::MultiLine
                    } else {
                        TextKind::OneLine
                    };
                walk(member, &member_path, kind, errors);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn path_or_body(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn examples() {
        assert!(check_text("Printer on fire", TextKind::OneLine).is_ok());
        assert!(check_text("a\u{0}b", TextKind::OneLine).is_err());
        assert!(check_text("a\u{0}b", TextKind::MultiLine).is_err());
        assert!(check_text("line\nline\r\n\tindented", TextKind::MultiLine).is_ok());
        assert!(check_text("line\nline", TextKind::OneLine).is_err());
        assert!(check_text("\u{1b}[31mred", TextKind::MultiLine).is_err(), "escape");
        assert!(check_text("\u{85}", TextKind::MultiLine).is_err(), "C1 control");
        assert!(check_text("émoji 🎉 日本", TextKind::OneLine).is_ok());
    }

    #[test]
    fn documents_name_the_member() {
        let doc = json!({
            "title": "a\u{0}b",
            "message": "two\nlines",
            "custom_fields": {"note": "x\ny", "bad": "\u{7}"},
            "tags": ["ok", "b\u{8}ad"],
            "name": "fine",
        });
        let mut fields: Vec<String> = control_characters_in(&doc).into_iter().map(|e| e.field).collect();
        fields.sort();
        assert_eq!(fields, ["custom_fields.bad", "tags[1]", "title"]);
        assert!(control_characters_in(&json!({"message": "a\tb\r\nc", "did": 1})).is_empty());
        assert!(
            !control_characters_in(&json!({"nested": {"message": "a\nb"}})).is_empty(),
            "only top-level names are multi-line"
        );
    }

    proptest! {
        #[test]
        fn text_without_controls_passes(text in "[^\\p{Cc}]{0,64}") {
            prop_assert!(check_text(&text, TextKind::OneLine).is_ok());
            prop_assert!(check_text(&text, TextKind::MultiLine).is_ok());
        }

        #[test]
        fn a_control_character_anywhere_fails(
            before in "[^\\p{Cc}]{0,16}",
            control in "\\p{Cc}",
            after in "[^\\p{Cc}]{0,16}",
        ) {
            let text = format!("{before}{control}{after}");
            prop_assert!(check_text(&text, TextKind::OneLine).is_err());
            let line_break = matches!(control.as_str(), "\t" | "\r" | "\n");
            prop_assert_eq!(check_text(&text, TextKind::MultiLine).is_ok(), line_break);
        }
    }
}
