//! HTML as plain text, token by token: text kept with whitespace collapsed (kept in `<pre>`), block
//! elements as line breaks, list items as `- `, images as their `[alt]` text, `http(s)` link targets after
//! the link text as `<url>`; script, style, title, template, SVG, MathML and frame content dropped.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use std::cell::RefCell;

pub(super) fn to_text(html: &str) -> String {
    let tokenizer = Tokenizer::new(TextSink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks to pause for a script, so one feed reads everything.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink.text.into_inner().finish()
}

/// Elements whose content is no text to read.
const HIDDEN: &[&str] = &[
    "script", "style", "title", "template", "svg", "math", "iframe", "noembed", "noframes", "object",
];
/// Elements that stand apart from the text around them by a blank line.
const PARAGRAPHS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "dl",
    "hr",
    "figure",
    "address",
    "fieldset",
    "form",
];
/// Elements that start on a line of their own.
const LINES: &[&str] = &[
    "div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main", "center",
    "caption", "details", "summary", "option", "body", "html",
];

#[derive(Default)]
struct TextSink {
    text: RefCell<Text>,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut text = self.text.borrow_mut();
        match token {
            Token::TagToken(tag) => return text.tag(&tag),
            Token::CharacterTokens(chars) => text.characters(&chars),
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

#[derive(Default)]
struct Text {
    out: String,
    /// Inside a [`HIDDEN`] element: its name and how many of it are open.
    hidden: Option<(String, usize)>,
    pre_depth: usize,
    space_pending: bool,
    breaks_pending: usize,
    /// An open link with an `http(s)` target: the target and where its text starts in `out`.
    link: Option<(String, usize)>,
}

impl Text {
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let start = tag.kind == TagKind::StartTag;
        // The tokenizer must be told where raw text starts, to find where it ends as a browser does.
        let raw_state = match name {
            _ if !start => None,
            "script" => Some(TokenSinkResult::RawData(RawKind::ScriptData)),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => Some(TokenSinkResult::RawData(RawKind::Rawtext)),
            "title" | "textarea" => Some(TokenSinkResult::RawData(RawKind::Rcdata)),
            "plaintext" => Some(TokenSinkResult::Plaintext),
            _ => None,
        };
        if let Some((hidden, open)) = &mut self.hidden {
            if name == hidden.as_str() && !(start && tag.self_closing && raw_state.is_none()) {
                if start {
                    *open += 1;
                } else {
                    *open -= 1;
                }
                if *open == 0 {
                    self.hidden = None;
                }
            }
            return raw_state.unwrap_or(TokenSinkResult::Continue);
        }
        if start && HIDDEN.contains(&name) && (raw_state.is_some() || !tag.self_closing) {
            self.hidden = Some((name.to_owned(), 1));
            return raw_state.unwrap_or(TokenSinkResult::Continue);
        }
        match name {
            "br" => self.request_breaks(1),
            "pre" if start => self.pre_depth += 1,
            "pre" => self.pre_depth = self.pre_depth.saturating_sub(1),
            "td" | "th" => self.space_pending = true,
            "img" if start => {
                let alt = attribute(tag, "alt").map(str::trim).filter(|alt| !alt.is_empty());
                if let Some(alt) = alt {
                    self.write(&format!("[{alt}]"));
                }
            }
            "a" if start => {
                let target = attribute(tag, "href").map(str::trim).filter(|href| {
                    let lower = href.to_ascii_lowercase();
                    lower.starts_with("http://") || lower.starts_with("https://")
                });
                self.link = target.map(|target| (target.to_owned(), self.out.len()));
            }
            "a" => {
                if let Some((target, text_start)) = self.link.take()
                    && !self.out.get(text_start..).unwrap_or_default().contains(target.as_str())
                {
                    self.write(&format!("<{target}>"));
                }
            }
            _ => {}
        }
        if PARAGRAPHS.contains(&name) {
            self.request_breaks(2);
        } else if LINES.contains(&name) {
            self.request_breaks(1);
        }
        if start && name == "li" {
            self.write("- ");
        }
        raw_state.unwrap_or(TokenSinkResult::Continue)
    }

    fn characters(&mut self, chars: &str) {
        if self.hidden.is_some() {
            return;
        }
        if self.pre_depth > 0 {
            self.write(chars);
            return;
        }
        // HTML's whitespace is ASCII's: a no-break space is text.
        for (index, word) in chars.split(|c: char| c.is_ascii_whitespace()).enumerate() {
            if index > 0 {
                self.space_pending = true;
            }
            if !word.is_empty() {
                self.write(word);
            }
        }
    }

    /// Writes `text` after the breaks or the space pending before it.
    fn write(&mut self, text: &str) {
        if self.out.is_empty() {
            self.breaks_pending = 0;
            self.space_pending = false;
        }
        if self.breaks_pending > 0 {
            let trimmed_len = self.out.trim_end_matches([' ', '\t']).len();
            self.out.truncate(trimmed_len);
            let trailing = self.out.len() - self.out.trim_end_matches('\n').len();
            for _ in trailing..self.breaks_pending {
                self.out.push('\n');
            }
            self.breaks_pending = 0;
        } else if self.space_pending && !self.out.ends_with([' ', '\n']) {
            self.out.push(' ');
        }
        self.space_pending = false;
        self.out.push_str(text);
    }

    fn request_breaks(&mut self, breaks: usize) {
        self.breaks_pending = self.breaks_pending.max(breaks);
    }

    fn finish(self) -> String {
        let lines: Vec<&str> = self.out.lines().map(str::trim_end).collect();
        lines.join("\n").trim().to_owned()
    }
}

fn attribute<'t>(tag: &'t Tag, name: &str) -> Option<&'t str> {
    tag.attrs
        .iter()
        .find(|attribute| &*attribute.name.local == name)
        .map(|attribute| &*attribute.value)
}
