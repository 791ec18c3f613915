//! The filter syntax of list queries (`field{op}value`, conditions joined by `;`), shared by the native API
//! and the TeamTools-compatible one (compat/teamtools.md §7 and its settled points). Parsing only checks the
//! shape; whether a field exists, and whether a value fits its type, is the caller's to say, since both
//! depend on the entity's attributes.
use std::fmt;

/// Longest filter accepted, in bytes: a filter is typed or built by a client, never a document.
pub const MAX_FILTER_BYTES: usize = 4096;

/// Most conditions in one filter (all of them must hold).
pub const MAX_CONDITIONS: usize = 32;

/// Longest field name.
const MAX_FIELD_CHARS: usize = 64;

/// How a condition compares a field with its value. Text comparisons ignore case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::Display, strum::EnumIter)]
#[strum(serialize_all = "lowercase")]
pub enum FilterOp {
    Eq,
    Ne,
    /// Contains.
    Ct,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    Gt,
    Gte,
    Lt,
    Lte,
    /// One of a comma-separated list.
    In,
}

/// One condition: `field{op}value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterCondition {
    pub field: String,
    pub op: FilterOp,
    /// The value as written (escapes resolved); for [`FilterOp::In`], the list's items are in `values`.
    pub value: String,
    /// The items of an `{in}` list; empty for other operators.
    pub values: Vec<String>,
    /// Where the condition starts in the filter (1-based characters), for errors about its field or value.
    pub position: usize,
}

/// Why a filter cannot be read, and where: `position` counts characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter: {} at character {}", self.message, self.position)
    }
}

impl std::error::Error for FilterError {}

fn error(position: usize, message: impl Into<String>) -> FilterError {
    FilterError {
        position,
        message: message.into(),
    }
}

/// Reads a filter: conditions `field{op}value` joined by `;`, all of which must hold. In a value, `\;` is a
/// semicolon and `\\` a backslash. An empty filter has no conditions.
pub fn parse_filter(filter: &str) -> Result<Vec<FilterCondition>, FilterError> {
    if filter.len() > MAX_FILTER_BYTES {
        return Err(error(1, format!("longer than {MAX_FILTER_BYTES} bytes")));
    }
    let chars: Vec<char> = filter.chars().collect();
    let mut conditions = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        if conditions.len() == MAX_CONDITIONS {
            return Err(error(at + 1, format!("more than {MAX_CONDITIONS} conditions")));
        }
        let (condition, next) = condition(&chars, at)?;
        conditions.push(condition);
        at = next;
    }
    Ok(conditions)
}

/// One condition starting at `start`; returns it and where the next one starts (after its `;`).
fn condition(chars: &[char], start: usize) -> Result<(FilterCondition, usize), FilterError> {
    let mut at = start;
    while at < chars.len() && chars[at] != '{' {
        let c = chars[at];
        let first = at == start;
        if !(c.is_ascii_alphabetic() || (!first && (c.is_ascii_digit() || c == '_'))) {
            let what = if c == ';' || c == '}' {
                format!("{c:?} before an operator")
            } else {
                format!("{c:?} in a field name (letters, digits and _, starting with a letter)")
            };
            return Err(error(at + 1, what));
        }
        at += 1;
    }
    if at == start {
        return Err(error(start + 1, "a field name is missing"));
    }
    if at - start > MAX_FIELD_CHARS {
        return Err(error(
            start + 1,
            format!("a field name longer than {MAX_FIELD_CHARS} characters"),
        ));
    }
    if at == chars.len() {
        return Err(error(at + 1, "an operator `{op}` is missing"));
    }
    let field: String = chars[start..at].iter().collect();
    let op_start = at + 1;
    let Some(close) = chars[op_start..].iter().position(|c| *c == '}').map(|i| op_start + i) else {
        return Err(error(at + 1, "`{` is not closed"));
    };
    let name: String = chars[op_start..close].iter().collect();
    let op: FilterOp = name.parse().map_err(|_| {
        error(
            op_start + 1,
            format!("unknown operator {{{name}}} (eq, ne, ct, sw, ew, gt, gte, lt, lte, in)"),
        )
    })?;
    let mut value = String::new();
    let mut at = close + 1;
    while at < chars.len() && chars[at] != ';' {
        match chars[at] {
            '\\' => match chars.get(at + 1) {
                Some(escaped @ (';' | '\\')) => {
                    value.push(*escaped);
                    at += 1;
                }
                _ => return Err(error(at + 1, "`\\` must be followed by `;` or `\\`")),
            },
            c if c.is_control() => return Err(error(at + 1, "a control character in a value")),
            c => value.push(c),
        }
        at += 1;
    }
    let values = if op == FilterOp::In {
        let items: Vec<String> = value.split(',').map(str::to_owned).collect();
        if items.iter().any(String::is_empty) {
            return Err(error(close + 2, "an empty item in an {in} list"));
        }
        items
    } else {
        Vec::new()
    };
    // A `;` ends this condition; another must follow it.
    let next = at + 1;
    if at < chars.len() && next == chars.len() {
        return Err(error(next, "a condition is missing after `;`"));
    }
    Ok((
        FilterCondition {
            field,
            op,
            value,
            values,
            position: start + 1,
        },
        next,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use strum::IntoEnumIterator;

    fn one(field: &str, op: FilterOp, value: &str) -> FilterCondition {
        FilterCondition {
            field: field.into(),
            op,
            value: value.into(),
            values: Vec::new(),
            position: 0,
        }
    }

    /// The conditions of a filter with their positions left out, to compare with [`one`].
    fn parsed(filter: &str) -> Result<Vec<FilterCondition>, FilterError> {
        parse_filter(filter).map(|cs| cs.into_iter().map(|c| FilterCondition { position: 0, ..c }).collect())
    }

    #[test]
    fn conditions_are_read() {
        assert_eq!(parsed(""), Ok(vec![]));
        assert_eq!(
            parsed("country{ct}jamaica"),
            Ok(vec![one("country", FilterOp::Ct, "jamaica")])
        );
        assert_eq!(
            parsed("age{gte}18;name{sw}Jo hn;note{eq}a\\;b\\\\c;empty{eq}"),
            Ok(vec![
                one("age", FilterOp::Gte, "18"),
                one("name", FilterOp::Sw, "Jo hn"),
                one("note", FilterOp::Eq, "a;b\\c"),
                one("empty", FilterOp::Eq, ""),
            ])
        );
        let parsed = parse_filter("plan{in}gold,silver").expect("in list");
        assert_eq!(parsed[0].values, ["gold", "silver"]);
    }

    #[test]
    fn garbage_names_its_position() {
        for (filter, position) in [
            ("name{xx}a", 6),
            ("name{eq", 5),
            ("name", 5),
            ("{eq}a", 1),
            ("na me{eq}a", 3),
            ("1name{eq}a", 1),
            ("a{eq}b;", 7),
            ("a{eq}b;;c{eq}d", 8),
            ("a{eq}b\\x", 7),
            ("plan{in}a,,b", 9),
            ("a{eq}b\u{0}", 7),
        ] {
            let e = parse_filter(filter).expect_err(filter);
            assert_eq!(e.position, position, "{filter}: {e}");
        }
        assert!(parse_filter(&"a{eq}b;".repeat(33)).is_err(), "too many conditions");
        let long = format!("a{{eq}}{}", "x".repeat(10 * 1024));
        assert_eq!(parse_filter(&long).map_err(|e| e.position), Err(1), "a 10 KB filter");
    }

    fn written(c: &FilterCondition) -> String {
        let value = c.value.replace('\\', "\\\\").replace(';', "\\;");
        format!("{}{{{}}}{value}", c.field, c.op)
    }

    proptest! {
        #[test]
        fn written_filters_read_back(
            conditions in prop::collection::vec(
                ("[a-z][a-z0-9_]{0,10}", 0..FilterOp::iter().count(), "[^\\p{Cc}]{0,12}"),
                1..6,
            )
        ) {
            let conditions: Vec<FilterCondition> = conditions
                .into_iter()
                .filter_map(|(field, op, value)| {
                    let op = FilterOp::iter().nth(op)?;
                    let values = if op == FilterOp::In {
                        let items: Vec<String> = value.split(',').map(str::to_owned).collect();
                        if items.iter().any(String::is_empty) { return None; }
                        items
                    } else {
                        Vec::new()
                    };
                    Some(FilterCondition { field, op, value, values, position: 0 })
                })
                .collect();
            let text = conditions.iter().map(written).collect::<Vec<_>>().join(";");
            prop_assume!(text.len() <= MAX_FILTER_BYTES);
            prop_assert_eq!(parsed(&text), Ok(conditions));
        }

        #[test]
        fn any_text_is_read_or_refused_with_a_position_inside_it(text in "\\PC{0,60}") {
            if let Err(e) = parse_filter(&text) {
                prop_assert!(e.position >= 1 && e.position <= text.chars().count() + 1, "{e}");
            }
        }
    }
}
