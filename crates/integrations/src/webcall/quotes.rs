//! Typographic quotes used as attribute delimiters. The protocol's own document prints
//! `userkey=”jdoe"` (a right double quotation mark opening the value, an ASCII quote closing it) and
//! `cid=”6344”`, so receivers written from it send such answers. Before the XML parser sees an answer,
//! a typographic quote that opens an attribute value (right after `=`) becomes the ASCII quote, and the
//! value then ends at the first ASCII or typographic quote of the same kind, which becomes ASCII too.
//!
//! Values opened by an ASCII quote are left alone, typographic quotes inside them included, and so is
//! everything outside tags (text, comments, CDATA). A DOCTYPE is refused later, so nothing after one is
//! changed.
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    Double,
    Single,
}

impl Quote {
    fn ascii(self) -> char {
        match self {
            Quote::Double => '"',
            Quote::Single => '\'',
        }
    }
}

fn typographic(c: char) -> Option<Quote> {
    match c {
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' => Some(Quote::Double),
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => Some(Quote::Single),
        _ => None,
    }
}

/// Every typographic quote above is three bytes in UTF-8 and becomes a one-byte ASCII quote.
const SHRINK: u64 = 2;

/// An answer with its attribute delimiters made ASCII, and where they were changed, so that a parser's
/// byte position can be told in the answer as received.
#[derive(Debug)]
pub(crate) struct Normalised<'a> {
    pub(crate) text: Cow<'a, str>,
    /// Offsets in `text` of the quotes that replaced a typographic one, ascending.
    replaced: Vec<usize>,
}

impl Normalised<'_> {
    /// The offset in the received answer of an offset in `text`.
    pub(crate) fn original_position(&self, position: u64) -> u64 {
        let before = self.replaced.partition_point(|r| (*r as u64) < position) as u64;
        position + before * SHRINK
    }
}

pub(crate) fn normalise_quotes(answer: &str) -> Normalised<'_> {
    if !answer.chars().any(|c| typographic(c).is_some()) {
        return Normalised {
            text: Cow::Borrowed(answer),
            replaced: Vec::new(),
        };
    }
    let mut out = String::with_capacity(answer.len());
    let mut replaced = Vec::new();
    let mut rest = answer;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let verbatim_until = if rest.starts_with("<!--") {
            Some("-->")
        } else if rest.starts_with("<![CDATA[") {
            Some("]]>")
        } else if rest.starts_with("<!") {
            // A DOCTYPE or another declaration: the answer is refused, so there is nothing to mend.
            None
        } else {
            rest = tag(rest, &mut out, &mut replaced);
            continue;
        };
        let Some(end) = verbatim_until.and_then(|marker| rest.find(marker).map(|at| at + marker.len())) else {
            break;
        };
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Normalised {
        text: Cow::Owned(out),
        replaced,
    }
}

#[derive(Clone, Copy)]
enum InTag {
    Markup,
    AfterEquals,
    /// Inside a value opened by this ASCII quote.
    AsciiValue(char),
    /// Inside a value opened by a typographic quote of this kind.
    TypographicValue(Quote),
}

/// Copies one tag (or processing instruction) starting at its `<`, mending its attribute delimiters;
/// returns what follows it.
fn tag<'a>(rest: &'a str, out: &mut String, replaced: &mut Vec<usize>) -> &'a str {
    out.push('<');
    let mut state = InTag::Markup;
    for (offset, c) in rest[1..].char_indices() {
        let typographic_quote = typographic(c);
        state = match (state, typographic_quote) {
            (InTag::AsciiValue(quote), _) => {
                out.push(c);
                if c == quote { InTag::Markup } else { state }
            }
            (InTag::TypographicValue(quote), found) if c == quote.ascii() || found == Some(quote) => {
                if found.is_some() {
                    replaced.push(out.len());
                }
                out.push(quote.ascii());
                InTag::Markup
            }
            (InTag::TypographicValue(_), _) => {
                out.push(c);
                state
            }
            (InTag::AfterEquals, Some(quote)) => {
                replaced.push(out.len());
                out.push(quote.ascii());
                InTag::TypographicValue(quote)
            }
            (InTag::AfterEquals, None) if matches!(c, ' ' | '\t' | '\r' | '\n') => {
                out.push(c);
                state
            }
            (InTag::AfterEquals | InTag::Markup, _) => {
                out.push(c);
                match c {
                    // `offset` counts from after the `<`.
                    '>' => return &rest[1 + offset + '>'.len_utf8()..],
                    '=' => InTag::AfterEquals,
                    '"' | '\'' => InTag::AsciiValue(c),
                    _ => InTag::Markup,
                }
            }
        };
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mended(s: &str) -> String {
        normalise_quotes(s).text.into_owned()
    }

    #[test]
    fn a_typographic_quote_opening_a_value_closes_at_the_next_quote() {
        assert_eq!(
            mended(r#"<user userkey=”jdoe" name="John%20Doe"/>"#),
            r#"<user userkey="jdoe" name="John%20Doe"/>"#
        );
        assert_eq!(
            mended("<ticket cid=”6344” id=\"7906\"/>"),
            r#"<ticket cid="6344" id="7906"/>"#
        );
        assert_eq!(mended("<a b = “x” c=‘y’/>"), r#"<a b = "x" c='y'/>"#);
        assert_eq!(mended("<?xml version=”1.0” ?><a/>"), r#"<?xml version="1.0" ?><a/>"#);
    }

    #[test]
    fn quotes_elsewhere_are_left_alone() {
        for s in [
            r#"<a b="say ”hi”">”text” ‘x’</a>"#,
            "<a b='it’s'/>",
            "<!-- a=”b” --><a/>",
            "<a><![CDATA[ <b c=”d”> ]]></a>",
            "<!DOCTYPE a [<!ENTITY e “x”>]><a b=”c”/>",
            "”<",
        ] {
            assert_eq!(mended(s), s);
        }
        assert_eq!(mended("<a b=”c”>x=”y”</a>"), r#"<a b="c">x=”y”</a>"#);
        assert_eq!(mended("<a b=”c"), r#"<a b="c"#, "unterminated: the parser says so");
    }

    #[test]
    fn positions_are_told_in_the_answer_as_received() {
        let answer = "<a b=”c” d=”e”>";
        let n = normalise_quotes(answer);
        assert_eq!(n.text, r#"<a b="c" d="e">"#);
        let at_d = n.text.find('d').expect("d") as u64;
        assert_eq!(n.original_position(at_d), answer.find('d').expect("d") as u64);
        assert_eq!(n.original_position(5), 5, "the first replaced quote itself");
        assert_eq!(n.original_position(n.text.len() as u64), answer.len() as u64);
    }
}
