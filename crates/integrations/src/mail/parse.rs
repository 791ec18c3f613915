//! Reading a received RFC 5322 message (SPEC §10) into what a ticket needs: who wrote to whom, the ids that
//! thread it, whether a machine sent it, its readable text and its files. The MIME work is the
//! `mail-parser` crate's (every charset `encoding_rs` knows, RFC 2047/2231 names, lenient with broken
//! mail); this module bounds what that costs and turns the result into [`InboundMail`].
//!
//! Bounds. A message over [`MAX_MESSAGE_BYTES`] is refused before any parsing. At most [`MAX_PARTS`] MIME
//! parts are walked and [`MAX_ATTACHMENTS`] files kept. Before parsing, the raw bytes are prepared
//! ([`prepare`]): past [`MAX_DELIMITER_LINES`] MIME delimiter lines the message is cut (a flood of tiny
//! parts costs `mail-parser` ~180 bytes each), and nested messages are hidden from the parser, because
//! `mail-parser` 0.11 descends into `message/rfc822` parts with recursion on drop (a few tens of thousands
//! of nested messages, 2 MB of mail, overflow the stack and abort the process) and copies the whole
//! decoded buffer for every level of an encoded nested message (quadratic: a 450 KB message asked for
//! 4.5 GB). ferrodesk does not want their contents merged anyway: a nested message (also a part of a
//! `multipart/digest`) is attached whole as an `.eml` file, so nesting depth is one, whatever the input.
//! What is not cut is a flood of header fields: it costs the parser memory in proportion (at worst about
//! 20 times the bytes, so some 500 MB for a 25 MiB message of nothing but tiny fields), never more.
//!
//! HTML-only mail is read as text by [`html::to_text`] over html5ever's tokenizer (linear in the input,
//! unlike a tree builder, and exact about where script and style content ends): no markup, no script or
//! style text, image sources never looked at (only their `alt` text), link targets written out.
use domain::attachment::{UNNAMED_FILE, safe_filename};
use domain::mail::{AutomaticHeaders, MailAddress, normalize_message_id};
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MessagePartId, MimeHeaders, PartType,
};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// The largest message read (SPEC §10: 25 MiB); larger ones are [`ParseError::TooLarge`].
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;
/// At most this many attachments are kept; the rest are left in the original `.eml`.
pub const MAX_ATTACHMENTS: usize = 100;
/// At most this many MIME parts are looked at for text and attachments.
pub const MAX_PARTS: usize = 200;
/// Past this many MIME delimiter lines (`--boundary`) the rest of the message is not read.
pub const MAX_DELIMITER_LINES: usize = 5_000;
/// At most this many ids of `References` are kept: the first (the thread's root) and the latest.
pub const MAX_REFERENCES: usize = 100;
/// At most this many addresses of each of `To`, `Cc` and `Delivered-To` are kept.
pub const MAX_RECIPIENTS: usize = 1_000;

/// A received message, as ferrodesk stores and threads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// Normalized ([`normalize_message_id`]): no angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<MailAddress>,
    pub reply_to: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    /// The `Delivered-To` addresses MTAs added, newest first.
    pub delivered_to: Vec<String>,
    /// The envelope sender the receiving MTA wrote into `Return-Path`, without brackets: `Some("")` for
    /// `<>` (a bounce), `None` when there is no `Return-Path`.
    pub return_path: Option<String>,
    /// Decoded (RFC 2047), unfolded; empty when there is none.
    pub subject: String,
    pub date: Option<domain::Timestamp>,
    /// An auto-reply, bounce or bulk mail ([`AutomaticHeaders::automatic`]): never answered.
    pub automatic: bool,
    /// The sender asked for no automatic answers (`X-Auto-Response-Suppress`,
    /// [`AutomaticHeaders::auto_reply_suppressed`]): no acknowledgement for this one.
    pub auto_reply_suppressed: bool,
    /// The readable body: the plain-text parts, or the HTML ones as text when there are none (scripts,
    /// styles and all markup dropped; nothing is ever fetched). Line ends as received.
    pub text: String,
    pub attachments: Vec<InboundAttachment>,
    /// Some of the message was not read: more MIME structure than the limits allow, or more parts or
    /// attachments than are kept. The original (kept as `.eml`) has everything.
    pub truncated: bool,
}

/// A file that came with a message.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    /// Made safe ([`safe_filename`]); never empty.
    pub filename: String,
    /// `type/subtype`, lowercase, only characters a media type may have; text parts decoded to UTF-8 say
    /// `; charset=utf-8`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for InboundAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is {size} bytes, more than the {MAX_MESSAGE_BYTES} bytes accepted")]
    TooLarge { size: usize },
    #[error("not a mail message: it has no header fields")]
    NotAMessage,
}

/// Reads one received message. Never panics; malformed MIME gives whatever text and files can be read.
pub fn parse(raw: &[u8]) -> Result<InboundMail, ParseError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge { size: raw.len() });
    }
    let prepared = prepare(raw);
    let message = MessageParser::default()
        .parse(prepared.bytes.as_ref())
        // The parser reads a body without any header field as a message too; it is not one.
        .filter(|message| !message.headers().is_empty())
        .ok_or(ParseError::NotAMessage)?;
    let reader = Reader {
        original: raw,
        message: &message,
        neutralized: prepared.neutralized,
        digest_children: digest_children(&message),
    };
    let mut mail = reader.read();
    mail.truncated |= prepared.truncated;
    Ok(mail)
}

struct Reader<'a, 'x> {
    /// The bytes as received (the parsed ones may differ inside `Content-Type` fields, see [`prepare`]).
    original: &'a [u8],
    message: &'a Message<'x>,
    neutralized: bool,
    /// The parts of a `multipart/digest` that have no `Content-Type`: nested messages by default.
    digest_children: BTreeSet<MessagePartId>,
}

impl Reader<'_, '_> {
    fn read(&self) -> InboundMail {
        let message = self.message;
        let from = message.from().and_then(first_address);
        let sender = message.sender().and_then(first_address);
        let return_path = self.raw_header("Return-Path").map(|value| bare_address(&value));
        let automatic_headers = AutomaticHeaders {
            auto_submitted: self.raw_header("Auto-Submitted"),
            precedence: self.raw_header("Precedence"),
            x_autoreply: self.raw_header("X-Autoreply"),
            x_autorespond: self.raw_header("X-Autorespond"),
            x_auto_response_suppress: self.raw_header("X-Auto-Response-Suppress"),
            return_path: return_path.clone(),
            from: from.as_ref().map(|address| address.email.clone()),
            sender: sender.map(|address| address.email),
        };
        let (mut text, text_truncated) = self.text();
        // A body the parser could not structure (a multipart without a boundary, say) is one part it files
        // as an attachment: with no other text, it is the text, as it came.
        let unstructured_root = message.parts.first().filter(|root| {
            let unstructured = match root.body {
                PartType::Text(_) | PartType::Html(_) => true,
                PartType::Binary(_) => root
                    .content_type()
                    .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart")),
                _ => false,
            };
            unstructured && text.trim().is_empty() && message.attachments.first() == Some(&0)
        });
        if let Some(root) = unstructured_root {
            text = match &root.body {
                PartType::Binary(bytes) => decode_unlabelled(bytes).into_owned(),
                _ => self.part_text(root).unwrap_or_default(),
            };
        }
        let (attachments, attachments_truncated) = self.attachments(unstructured_root.is_some());
        InboundMail {
            message_id: message.message_id().and_then(normalize_message_id),
            in_reply_to: message_ids(message.in_reply_to()),
            references: kept_references(message_ids(message.references())),
            from,
            reply_to: message.reply_to().and_then(first_address),
            to: addresses(message.all_to()),
            cc: addresses(message.all_cc()),
            delivered_to: self
                .raw_headers("Delivered-To")
                .map(|value| bare_address(&value))
                .filter(|address| !address.is_empty())
                .take(MAX_RECIPIENTS)
                .collect(),
            return_path,
            subject: self.subject(),
            date: message
                .date()
                .filter(|date| date.is_valid())
                .and_then(|date| domain::Timestamp::from_second(date.to_timestamp()).ok()),
            automatic: automatic_headers.is_automatic(),
            auto_reply_suppressed: automatic_headers.auto_reply_suppressed(),
            text: self.unmarked(text),
            attachments,
            truncated: text_truncated || attachments_truncated,
        }
    }

    /// The values of the top-level header fields called `name` (any case), unfolded and trimmed, decoded
    /// as UTF-8 where they are (Windows-1252 where not).
    fn raw_headers(&self, name: &str) -> impl Iterator<Item = String> {
        let raw = self.message.raw_message();
        self.message
            .headers()
            .iter()
            .filter(move |header| header.name.as_str().eq_ignore_ascii_case(name))
            .map(move |header| {
                let bytes = raw
                    .get(header.offset_start as usize..header.offset_end as usize)
                    .unwrap_or_default();
                unfold(&decode_unlabelled(bytes))
            })
    }

    fn raw_header(&self, name: &str) -> Option<String> {
        self.raw_headers(name).next()
    }

    /// The decoded subject; a raw 8-bit subject that is not UTF-8 (no RFC 2047 words) is read as
    /// Windows-1252 instead of replacement characters.
    fn subject(&self) -> String {
        let parsed = self.message.subject().map(unfold).unwrap_or_default();
        if !parsed.contains(char::REPLACEMENT_CHARACTER) {
            return parsed;
        }
        match self.raw_header("Subject") {
            Some(raw) if !raw.contains("=?") => raw,
            _ => parsed,
        }
    }

    /// The readable text: the plain-text body parts, or the HTML ones as text when there is no plain one.
    /// The flag says parts were left out for the limit.
    fn text(&self) -> (String, bool) {
        let message = self.message;
        let body_parts: Vec<&MessagePart<'_>> = message
            .text_body
            .iter()
            .take(MAX_PARTS)
            .filter(|id| !self.digest_children.contains(id))
            .filter_map(|id| message.parts.get(*id as usize))
            .collect();
        let truncated = message.text_body.len() > MAX_PARTS;
        let has_plain = body_parts.iter().any(|part| matches!(part.body, PartType::Text(_)));
        let texts: Vec<String> = body_parts
            .into_iter()
            .filter(|part| match part.body {
                PartType::Text(_) => true,
                PartType::Html(_) => !has_plain,
                _ => false,
            })
            .filter_map(|part| self.part_text(part))
            .filter(|text| !text.trim().is_empty())
            .collect();
        (texts.join("\n"), truncated)
    }

    /// A text part's text (HTML converted), with charset mistakes repaired ([`Self::repaired_text`]).
    fn part_text(&self, part: &MessagePart<'_>) -> Option<String> {
        let (text, is_html) = match &part.body {
            PartType::Text(text) => (text.as_ref(), false),
            PartType::Html(html) => (html.as_ref(), true),
            _ => return None,
        };
        let text = self.repaired_text(part, text).unwrap_or_else(|| text.to_owned());
        Some(if is_html { html::to_text(&text) } else { text })
    }

    /// Text whose declared charset was wrong or missing, decoded again: undeclared (or declared UTF-8 or
    /// ASCII) 8-bit text that is not UTF-8 is read as Windows-1252 (what unlabelled Western mail almost
    /// always is) instead of as replacement characters; text declared Latin-1 that is valid UTF-8 is
    /// UTF-8 (a client that labels everything Latin-1). `None`: the parser's decoding stands.
    fn repaired_text(&self, part: &MessagePart<'_>, decoded: &str) -> Option<String> {
        let charset = part
            .content_type()
            .and_then(|content_type| content_type.attribute("charset"))
            .map(|charset| charset.trim().to_ascii_lowercase());
        let declared_utf8_or_none = match charset.as_deref() {
            None => true,
            Some(charset) => {
                ["utf-8", "utf8", "us-ascii", "ascii"].contains(&charset)
                    || charset_decoder(charset.as_bytes()).is_none()
            }
        };
        let declared_latin1 = charset
            .as_deref()
            .is_some_and(|charset| ["iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"].contains(&charset));
        if !(declared_latin1 || declared_utf8_or_none && decoded.contains(char::REPLACEMENT_CHARACTER)) {
            return None;
        }
        let bytes = self.transfer_decoded(part)?;
        match std::str::from_utf8(&bytes) {
            Ok(text) if declared_latin1 && !text.is_ascii() => Some(text.to_owned()),
            Ok(_) => None,
            Err(_) if declared_utf8_or_none => charset_decoder(b"windows-1252").map(|decode| decode(&bytes)),
            Err(_) => None,
        }
    }

    /// A part's body bytes with the transfer encoding undone and no charset applied.
    fn transfer_decoded(&self, part: &MessagePart<'_>) -> Option<Vec<u8>> {
        let raw = self
            .message
            .raw_message()
            .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
        match part.encoding {
            Encoding::Base64 => base64_decode(raw),
            Encoding::QuotedPrintable => quoted_printable_decode(raw),
            Encoding::None => Some(raw.to_vec()),
        }
    }

    /// The files: every non-body part up to the limits, nested messages as `.eml`. Inline parts without a
    /// name (a signature's logo referenced by `cid:`) are not files anyone sent. The flag says some were
    /// left out.
    fn attachments(&self, root_is_text: bool) -> (Vec<InboundAttachment>, bool) {
        let ids: BTreeSet<MessagePartId> = self
            .message
            .attachments
            .iter()
            .chain(&self.digest_children)
            .copied()
            .filter(|id| !(root_is_text && *id == 0))
            .collect();
        let mut kept = Vec::new();
        let mut truncated = ids.len() > MAX_PARTS;
        for id in ids.into_iter().take(MAX_PARTS) {
            let Some(part) = self.message.parts.get(id as usize) else {
                continue;
            };
            let attachment = if self.digest_children.contains(&id) {
                // The usual digest part is a blank line, then the message as its body; a part that starts
                // with header fields right away is the message itself.
                Some(self.nested_message(part, None, None, !part.headers().is_empty()))
            } else {
                self.attachment(part)
            };
            let Some(attachment) = attachment else { continue };
            if kept.len() == MAX_ATTACHMENTS {
                truncated = true;
                break;
            }
            kept.push(attachment);
        }
        (kept, truncated)
    }

    fn attachment(&self, part: &MessagePart<'_>) -> Option<InboundAttachment> {
        let name = part.attachment_name().map(|name| self.unmarked(name.to_owned()));
        let content_type = part.content_type();
        let main_type = content_type.map(|ct| ct.ctype().to_ascii_lowercase());
        let subtype = content_type.and_then(|ct| ct.subtype()).map(str::to_ascii_lowercase);
        if main_type.as_deref() == Some(NEUTRAL_MESSAGE) || matches!(part.body, PartType::Message(_)) {
            return Some(self.nested_message(part, name, subtype.as_deref(), false));
        }
        let declared_text = main_type.as_deref().is_none_or(|main| main == "text");
        let (bytes, is_text) = match &part.body {
            // A file the parser could not decode (its part never ended, say) is read as text; decoded
            // here with the transfer encoding it declared, it is the file again.
            PartType::Text(_) if part.is_encoding_problem && !declared_text => match self.salvaged(part) {
                Some(bytes) => (bytes, false),
                None => (self.part_text_bytes(part)?, false),
            },
            PartType::Text(_) | PartType::Html(_) => (self.part_text_bytes(part)?, declared_text),
            PartType::Binary(bytes) => (bytes.to_vec(), false),
            PartType::InlineBinary(bytes) => (name.as_ref().map(|_| bytes.to_vec())?, false),
            PartType::Message(_) | PartType::Multipart(_) => return None,
        };
        let media_type = media_type(main_type.as_deref(), subtype.as_deref(), is_text);
        let filename = match name {
            Some(name) => safe_filename(&name),
            None => unnamed_filename(&media_type),
        };
        let content_type = if is_text {
            format!("{media_type}; charset=utf-8")
        } else {
            media_type
        };
        Some(InboundAttachment {
            filename,
            content_type,
            bytes,
        })
    }

    /// The body of a part the parser gave up on, decoded with the transfer encoding its header names.
    fn salvaged(&self, part: &MessagePart<'_>) -> Option<Vec<u8>> {
        let raw = self
            .message
            .raw_message()
            .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)?;
        let encoding = part.content_transfer_encoding()?.trim();
        if encoding.eq_ignore_ascii_case("base64") {
            base64_decode(raw.trim_ascii_end())
        } else if encoding.eq_ignore_ascii_case("quoted-printable") {
            quoted_printable_decode(raw)
        } else {
            None
        }
    }

    /// A text attachment's bytes: its text in UTF-8 (charset mistakes repaired, markup kept: it is a file).
    fn part_text_bytes(&self, part: &MessagePart<'_>) -> Option<Vec<u8>> {
        let text = match &part.body {
            PartType::Text(text) | PartType::Html(text) => text.as_ref(),
            _ => return None,
        };
        let text = self.repaired_text(part, text).unwrap_or_else(|| text.to_owned());
        Some(self.unmarked(text).into_bytes())
    }

    /// A nested message as an `.eml` file: its bytes as received, named by its attachment name or its
    /// subject. `whole_part`: the message is the whole part, headers included (a digest's part), not
    /// the part's body.
    fn nested_message(
        &self,
        part: &MessagePart<'_>,
        name: Option<String>,
        subtype: Option<&str>,
        whole_part: bool,
    ) -> InboundAttachment {
        let start = if whole_part {
            part.raw_header_offset()
        } else {
            part.raw_body_offset()
        };
        let bytes = match part.encoding {
            // Unencoded: the very bytes received (preparing changes no length, so the offsets hold).
            Encoding::None => self
                .original
                .get(start as usize..part.raw_end_offset() as usize)
                .unwrap_or_default()
                .to_vec(),
            // Base64 cannot contain what preparing changed; quoted-printable text can.
            _ => self.unmarked_bytes(part.contents().to_vec()),
        };
        let name = name.or_else(|| {
            MessageParser::default()
                .parse_headers(&bytes)
                .and_then(|headers| headers.subject().map(unfold))
                .filter(|subject| !subject.trim().is_empty())
        });
        let stem = name.unwrap_or_else(|| "message".to_owned());
        let filename = if stem.to_ascii_lowercase().ends_with(".eml") {
            stem
        } else {
            format!("{stem}.eml")
        };
        let subtype = subtype.filter(|s| is_media_token(s)).unwrap_or("rfc822");
        InboundAttachment {
            filename: safe_filename(&filename),
            content_type: format!("message/{subtype}"),
            bytes,
        }
    }

    /// `text` with what [`prepare`] changed in `Content-Type` lines put back (only when it changed any).
    fn unmarked(&self, text: String) -> String {
        if !self.neutralized || !(text.contains(NEUTRAL_MESSAGE) || text.contains(NEUTRAL_DIGEST)) {
            return text;
        }
        text.replace(NEUTRAL_MESSAGE, "message")
            .replace(NEUTRAL_DIGEST, "digest")
    }

    fn unmarked_bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        if !self.neutralized {
            return bytes;
        }
        match String::from_utf8(bytes) {
            Ok(text) => self.unmarked(text).into_bytes(),
            Err(error) => error.into_bytes(),
        }
    }
}

/// The parts of every (neutralized) `multipart/digest` that have no `Content-Type` of their own: RFC 2046
/// makes them `message/rfc822`.
fn digest_children(message: &Message<'_>) -> BTreeSet<MessagePartId> {
    let is_digest = |part: &&MessagePart<'_>| {
        part.content_type().is_some_and(|content_type| {
            content_type.ctype().eq_ignore_ascii_case("multipart")
                && content_type
                    .subtype()
                    .is_some_and(|sub| sub.eq_ignore_ascii_case(NEUTRAL_DIGEST))
        })
    };
    message
        .parts
        .iter()
        .filter(is_digest)
        .filter_map(|digest| digest.sub_parts())
        .flatten()
        .copied()
        .filter(|id| {
            message
                .parts
                .get(*id as usize)
                .is_some_and(|child| child.content_type().is_none())
        })
        .collect()
}

/// The first address of a header that has one.
fn first_address(address: &Address<'_>) -> Option<MailAddress> {
    address.iter().find_map(mail_address)
}

fn addresses<'a>(headers: impl Iterator<Item = &'a Address<'a>>) -> Vec<MailAddress> {
    headers
        .flat_map(|address| address.iter())
        .filter_map(mail_address)
        .take(MAX_RECIPIENTS)
        .collect()
}

fn mail_address(address: &mail_parser::Addr<'_>) -> Option<MailAddress> {
    let email = address.address.as_deref()?.trim();
    if email.is_empty() {
        return None;
    }
    // A decoded display name may carry line breaks or other controls; they are no part of a name.
    let name = address
        .name
        .as_deref()
        .map(|name| {
            name.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
        })
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    Some(MailAddress {
        name,
        email: email.to_owned(),
    })
}

fn message_ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => normalize_message_id(id).into_iter().collect(),
        HeaderValue::TextList(ids) => ids.iter().filter_map(|id| normalize_message_id(id)).collect(),
        _ => Vec::new(),
    }
}

/// The root and the latest of a long `References` list: the ones threading looks at.
fn kept_references(mut ids: Vec<String>) -> Vec<String> {
    if ids.len() > MAX_REFERENCES {
        ids.drain(1..ids.len() - (MAX_REFERENCES - 1));
    }
    ids
}

/// An address header value such as `<a@b.c>` or ` a@b.c ` as the bare address (`""` for `<>`).
fn bare_address(value: &str) -> String {
    value
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_owned()
}

/// A header value on one line: line breaks (folding) removed, surrounding whitespace trimmed.
fn unfold(value: &str) -> String {
    value.replace(['\r', '\n'], "").trim().to_owned()
}

/// Header bytes as text: UTF-8 when they are, else Windows-1252 (raw 8-bit headers of older clients).
fn decode_unlabelled(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => match charset_decoder(b"windows-1252") {
            Some(decode) => Cow::Owned(decode(bytes)),
            None => String::from_utf8_lossy(bytes),
        },
    }
}

/// `type/subtype` made of media-type characters only (it reaches a download's `Content-Type` header);
/// `application/octet-stream` when there is none or it is odd.
fn media_type(main_type: Option<&str>, subtype: Option<&str>, is_text: bool) -> String {
    match (main_type, subtype) {
        (Some(main), Some(sub)) if is_media_token(main) && is_media_token(sub) => format!("{main}/{sub}"),
        _ if is_text => "text/plain".to_owned(),
        _ => "application/octet-stream".to_owned(),
    }
}

/// RFC 6838's restricted name: what a media type or subtype may be made of.
fn is_media_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 127
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
}

/// A name for a file that came without one: [`UNNAMED_FILE`] with the extension its type usually has.
fn unnamed_filename(media_type: &str) -> String {
    let extension = match media_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "text/plain" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "text/csv" => "csv",
        "application/zip" => "zip",
        _ => return UNNAMED_FILE.to_owned(),
    };
    format!("{UNNAMED_FILE}.{extension}")
}

// ---------------------------------------------------------------------------------------------------------
// HTML as text
// ---------------------------------------------------------------------------------------------------------

mod html;

// ---------------------------------------------------------------------------------------------------------
// Preparing the raw bytes
// ---------------------------------------------------------------------------------------------------------

/// What nested-message media types are changed to before parsing: the same length as `message`, so every
/// offset into the parsed bytes is an offset into the received ones too; a type `mail-parser` reads as an
/// ordinary attachment.
const NEUTRAL_MESSAGE: &str = "x-fdmsg";
/// The same for `multipart/digest`, whose parts are nested messages by default (same length as `digest`).
const NEUTRAL_DIGEST: &str = "x-fddg";

struct Prepared<'a> {
    bytes: Cow<'a, [u8]>,
    /// Some `Content-Type` field was changed.
    neutralized: bool,
    /// The message was cut at [`MAX_DELIMITER_LINES`].
    truncated: bool,
}

/// The bytes `mail-parser` is given: cut before the delimiter line past [`MAX_DELIMITER_LINES`], and with
/// `message` and `digest` in the media type of every `Content-Type` field replaced by [`NEUTRAL_MESSAGE`]
/// and [`NEUTRAL_DIGEST`], so the parser never descends into a nested message (see the module docs).
///
/// This works on lines, a superset of where `mail-parser` reads header fields: any line whose name (before
/// `:`, surrounding whitespace ignored) is `Content-Type`, through the end of the media type as its
/// parser reads it (the first `;` outside a comment, or the fold after the subtype). Lines in a body that
/// look like such a field are changed too; [`Reader::unmarked`] puts those back in the text read.
fn prepare(raw: &[u8]) -> Prepared<'_> {
    let mut bytes = Cow::Borrowed(raw);
    let mut neutralized = false;
    let mut delimiters = 0;
    let mut line_start = 0;
    while line_start < raw.len() {
        let line_end = raw[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |at| line_start + at + 1);
        let line = &raw[line_start..line_end];
        if is_delimiter_line(line) {
            delimiters += 1;
            if delimiters > MAX_DELIMITER_LINES {
                let cut = match bytes {
                    Cow::Borrowed(raw) => Cow::Borrowed(&raw[..line_start]),
                    Cow::Owned(mut owned) => {
                        owned.truncate(line_start);
                        Cow::Owned(owned)
                    }
                };
                return Prepared {
                    bytes: cut,
                    neutralized,
                    truncated: true,
                };
            }
        } else if let Some(value_start) = content_type_value_start(line) {
            let value_start = line_start + value_start;
            let value_end = media_type_end(raw, value_start);
            for (word, neutral) in [(b"message".as_slice(), NEUTRAL_MESSAGE), (b"digest", NEUTRAL_DIGEST)] {
                let mut at = value_start;
                while at + word.len() <= value_end {
                    if raw[at..at + word.len()].eq_ignore_ascii_case(word) {
                        bytes.to_mut()[at..at + word.len()].copy_from_slice(neutral.as_bytes());
                        neutralized = true;
                        at += word.len();
                    } else {
                        at += 1;
                    }
                }
            }
        }
        line_start = line_end;
    }
    // Header fields end at a line break: a message of header fields only, without a last one, would lose
    // its last field.
    if !raw.ends_with(b"\n") && !raw.windows(2).any(|pair| pair == b"\n\n") && !raw.windows(3).any(|w| w == b"\n\r\n") {
        bytes.to_mut().extend_from_slice(b"\r\n");
    }
    Prepared {
        bytes,
        neutralized,
        truncated: false,
    }
}

/// A line that can delimit MIME parts: `--` then a boundary (not a signature's `-- `, not a rule of
/// dashes; boundaries such as Outlook's `----=_NextPart…` start with dashes themselves).
fn is_delimiter_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"--") else {
        return false;
    };
    let rest = rest.trim_ascii_end();
    rest.first().is_some_and(|b| !b.is_ascii_whitespace()) && rest.iter().any(|&b| b != b'-')
}

/// Where the value starts when `line` is a `Content-Type` field (name any case, whitespace around it as
/// `mail-parser` allows).
fn content_type_value_start(line: &[u8]) -> Option<usize> {
    const NAME: &[u8] = b"content-type";
    let indent = line
        .iter()
        .take_while(|b| b.is_ascii_whitespace() && **b != b'\n')
        .count();
    let after_indent = &line[indent..];
    if after_indent.len() < NAME.len() || !after_indent[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return None;
    }
    let after_name = &after_indent[NAME.len()..];
    let spaces = after_name
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t' || **b == b'\r')
        .count();
    (after_name.get(spaces) == Some(&b':')).then_some(indent + NAME.len() + spaces + 1)
}

/// Where `mail-parser` stops reading a media type that starts at `start`: at a `;` outside comments, at
/// the field's end, or at a fold once the subtype has begun (or inside a comment). Comments nest and
/// take `\` escapes, as in its parser.
fn media_type_end(raw: &[u8], start: usize) -> usize {
    let mut comment_depth = 0usize;
    let mut escaped = false;
    let mut seen_slash = false;
    let mut at = start;
    while at < raw.len() {
        let byte = raw[at];
        match byte {
            b'\n' => {
                let folded = matches!(raw.get(at + 1), Some(b' ' | b'\t'));
                if !folded || seen_slash || comment_depth > 0 {
                    return at;
                }
            }
            _ if comment_depth > 0 => match byte {
                b'\\' => escaped = !escaped,
                b'(' | b')' if escaped => escaped = false,
                b'(' => comment_depth += 1,
                b')' => comment_depth -= 1,
                _ => escaped = false,
            },
            b'(' => comment_depth = 1,
            b';' => return at,
            b'/' => seen_slash = true,
            _ => {}
        }
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_hides_nested_message_types_only() {
        let raw = b"Content-Type: multipart/mixed; boundary=\"message-digest-1\"\r\n\r\n--message-digest-1\r\nContent-Type: Message/RFC822; name=\"message.eml\"\r\n\r\nbody\r\n--message-digest-1--\r\n";
        let prepared = prepare(raw);
        assert!(prepared.neutralized);
        assert_eq!(prepared.bytes.len(), raw.len());
        let text = String::from_utf8_lossy(&prepared.bytes);
        assert!(text.contains("boundary=\"message-digest-1\""), "{text}");
        assert!(text.contains("--message-digest-1\r\n"), "{text}");
        assert!(
            text.contains("Content-Type: x-fdmsg/RFC822; name=\"message.eml\""),
            "{text}"
        );
    }

    #[test]
    fn prepare_follows_the_media_type_as_the_parser_reads_it() {
        let cases: &[(&str, &str)] = &[
            ("content-type :message/rfc822\n", "content-type :x-fdmsg/rfc822\n"),
            (
                "  Content-Type:\n message/rfc822\n",
                "  Content-Type:\n x-fdmsg/rfc822\n",
            ),
            (
                "Content-Type: (a; b) \"message\"/rfc822\n",
                "Content-Type: (a; b) \"x-fdmsg\"/rfc822\n",
            ),
            (
                "Content-Type: ((x\\)) y) message/rfc822\n",
                "Content-Type: ((x\\)) y) x-fdmsg/rfc822\n",
            ),
            (
                "Content-Type: multipart/DIGEST; boundary=digest\n",
                "Content-Type: multipart/x-fddg; boundary=digest\n",
            ),
            (
                "Content-Type: multipart/mixed\n boundary=message\n",
                "Content-Type: multipart/mixed\n boundary=message\n",
            ),
            ("X-Content-Type: message/rfc822\n", "X-Content-Type: message/rfc822\n"),
        ];
        for (raw, expected) in cases {
            let prepared = prepare(raw.as_bytes());
            assert_eq!(String::from_utf8_lossy(&prepared.bytes), *expected, "{raw:?}");
        }
    }

    #[test]
    fn delimiter_lines() {
        assert!(is_delimiter_line(b"--boundary\r\n"));
        assert!(is_delimiter_line(b"------=_NextPart_000_0012--\r\n"));
        assert!(!is_delimiter_line(b"-- \r\n"));
        assert!(!is_delimiter_line(b"-- a comment\n"));
        assert!(!is_delimiter_line(b"----------\n"));
        assert!(!is_delimiter_line(b"- x\n"));
    }

    #[test]
    fn html_as_text() {
        let html = "<html><head><title>T</title><style type=\"text/css\">p { color: red }</style></head>\
            <body><div class=x>Hello&nbsp;<b>Ann</b> &amp; co,</div><p>line one<br>line two</p>\
            <script type=\"text/javascript\">if (a < b) { document.write('</div>x') }</script>\
            <!-- <script>hidden</script> --><ul><li>one</li><li>two</li></ul>\
            <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>\
            <img src=\"https://tracker.example.net/p.gif\"><img src=cid:logo alt=\"ACME logo\">\
            <a href=\"https://example.com/faq\">the FAQ</a> <a href=\"https://example.com/x\">https://example.com/x</a>\
            <a href=\"javascript:alert(1)\">js</a><pre>  keep\n    this</pre><svg><title>svg</title><text>drawn</text></svg>\
            <template><p>later</p></template>end</body></html>";
        assert_eq!(
            html::to_text(html),
            "Hello\u{a0}Ann & co,\n\nline one\nline two\n\n- one\n- two\n\na b\nc d\n\n[ACME logo]the \
             FAQ<https://example.com/faq> https://example.com/xjs\n\n  keep\n    this\n\nend"
        );
    }

    #[test]
    fn html_unclosed_script_hides_the_rest() {
        assert_eq!(html::to_text("before<script>alert(1)<p>after"), "before");
        assert_eq!(html::to_text("a<style/>b</style>c"), "ac");
        assert_eq!(html::to_text("a<svg/>b"), "ab");
    }

    #[test]
    fn html_deep_nesting_is_linear() {
        let deep = format!("{}text", "<div><span>".repeat(50_000));
        let started = std::time::Instant::now();
        assert_eq!(html::to_text(&deep), "text");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn references_keep_root_and_latest() {
        let ids: Vec<String> = (0..250).map(|i| i.to_string()).collect();
        let kept = kept_references(ids);
        assert_eq!(kept.len(), MAX_REFERENCES);
        assert_eq!(kept[0], "0");
        assert_eq!(kept[1], "151");
        assert_eq!(kept.last().map(String::as_str), Some("249"));
    }
}
