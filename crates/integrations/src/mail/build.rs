//! Building ferrodesk's own messages (SPEC §10) with the `mail-builder` crate: a reply, acknowledgement or
//! notification as an RFC 5322 message ready for SMTP, threaded by `Message-ID`/`In-Reply-To`/`References`,
//! plain text with an HTML alternative, attachments attached. Encoding (RFC 2047 subjects and names,
//! RFC 2231 file names, quoted-printable or base64 bodies, folding) is the crate's.
use domain::attachment::safe_filename;
use domain::mail::{MailAddress, normalize_message_id};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;

/// One message ferrodesk sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The mailbox's address with the brand's name.
    pub from: MailAddress,
    pub to: Vec<MailAddress>,
    /// `[#<id>] <title>` ([`domain::mail::subject_for`]).
    pub subject: String,
    /// This message's id, stored form (no brackets; [`domain::mail::new_message_id`]).
    pub message_id: String,
    /// The message this one answers (stored form).
    pub in_reply_to: Option<String>,
    /// The thread so far, oldest first (stored form).
    pub references: Vec<String>,
    /// RFC 3834 `Auto-Submitted` for mail no person wrote: `auto-replied` (acknowledgements),
    /// `auto-generated` (notifications). `None` for an agent's reply.
    pub auto_submitted: Option<String>,
    pub date: domain::Timestamp,
    pub text: String,
    /// The HTML alternative; empty: made from `text` ([`html_of_text`]).
    pub html: String,
    pub attachments: Vec<OutgoingAttachment>,
}

/// A file sent with a message.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingAttachment {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for OutgoingAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish()
    }
}

/// The message as bytes (CRLF line ends): `multipart/alternative` (text, HTML), inside `multipart/mixed`
/// with the attachments when there are any.
///
/// Values that could break the header are dropped, not sent: ids that are not plain ASCII (or that hold
/// `<`, `>` or whitespace), an `Auto-Submitted` value that is not a keyword, a content type that is not
/// `type/subtype` (sent as `application/octet-stream`); file names are made safe; addresses and names
/// lose control characters (the builder's rule). An unusable `message_id` leaves the builder to make one.
pub fn build(mail: &OutgoingMail) -> Vec<u8> {
    let mut builder = MessageBuilder::new()
        .from(address(&mail.from))
        .to(Address::new_list(mail.to.iter().map(address).collect()))
        .subject(mail.subject.as_str())
        .date(mail.date.as_second());
    if let Some(id) = header_id(&mail.message_id) {
        builder = builder.message_id(id);
    }
    if let Some(id) = mail.in_reply_to.as_deref().and_then(header_id) {
        builder = builder.in_reply_to(id);
    }
    let references: Vec<String> = mail.references.iter().filter_map(|id| header_id(id)).collect();
    if !references.is_empty() {
        builder = builder.references(MessageId::from(references));
    }
    if let Some(keyword) = mail.auto_submitted.as_deref().and_then(auto_submitted_keyword) {
        builder = builder
            .header("Auto-Submitted", Raw::new(keyword))
            // Exchange and Outlook answer mail with out-of-office replies unless asked not to, and do not
            // all honour Auto-Submitted: ask, so an acknowledgement does not start a ping-pong.
            .header("X-Auto-Response-Suppress", Raw::new("All"));
    }
    let html = if mail.html.trim().is_empty() {
        html_of_text(&mail.text)
    } else {
        mail.html.clone()
    };
    builder = builder.text_body(crlf(&mail.text)).html_body(crlf(&html));
    for attachment in &mail.attachments {
        builder = builder.attachment(
            attachment_content_type(&attachment.content_type),
            safe_filename(&attachment.filename),
            attachment.bytes.as_slice(),
        );
    }
    let mut bytes = Vec::new();
    builder.serialize(&mut bytes);
    bytes
}

/// Writes the lines of one paragraph as `<p>`, with `<br>` between them, and empties it.
fn end_paragraph(paragraph: &mut Vec<&str>, html: &mut String) {
    if paragraph.is_empty() {
        return;
    }
    html.push_str("<p>");
    for (index, line) in paragraph.iter().enumerate() {
        if index > 0 {
            html.push_str("<br>\n");
        }
        escape_into(line, html);
    }
    html.push_str("</p>\n");
    paragraph.clear();
}

/// `text` as minimal HTML for the alternative part: every character escaped, blank lines separating
/// paragraphs (`<p>`), other line breaks kept (`<br>`).
pub fn html_of_text(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut html = String::with_capacity(normalized.len() + 64);
    let mut paragraph: Vec<&str> = Vec::new();
    for line in normalized.split('\n') {
        if line.trim().is_empty() {
            end_paragraph(&mut paragraph, &mut html);
        } else {
            paragraph.push(line);
        }
    }
    end_paragraph(&mut paragraph, &mut html);
    html
}

fn escape_into(text: &str, html: &mut String) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#39;"),
            _ => html.push(c),
        }
    }
}

fn address(address: &MailAddress) -> Address<'_> {
    let name = address.name.as_deref().map(str::trim).filter(|name| !name.is_empty());
    Address::new_address(name, address.email.trim())
}

/// An id as it may go between `<` and `>`: stored form, printable ASCII with no brackets.
fn header_id(id: &str) -> Option<String> {
    normalize_message_id(id).filter(|id| id.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>'))
}

/// An `Auto-Submitted` keyword (`auto-replied`): letters, digits and dashes only.
fn auto_submitted_keyword(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')).then_some(value)
}

/// A `type/subtype` media type (parameters kept when they are harmless), or `application/octet-stream`.
fn attachment_content_type(content_type: &str) -> String {
    let content_type = content_type.trim();
    let (media_type, _) = content_type.split_once(';').unwrap_or((content_type, ""));
    let valid = media_type.trim().split_once('/').is_some_and(|(main, sub)| {
        let token = |t: &str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        token(main) && token(sub)
    });
    if valid {
        // Only the media type: the builder writes the parameters it needs (the file name) itself.
        media_type.trim().to_ascii_lowercase()
    } else {
        "application/octet-stream".to_owned()
    }
}

/// Line ends as SMTP wants them: CRLF.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_of_text_escapes_and_keeps_paragraphs() {
        assert_eq!(
            html_of_text("Hello <b>Ann</b> & co,\r\nline two\n\n\nsecond \"para\" 'x'"),
            "<p>Hello &lt;b&gt;Ann&lt;/b&gt; &amp; co,<br>\nline two</p>\n<p>second &quot;para&quot; &#39;x&#39;</p>\n"
        );
        assert_eq!(html_of_text(""), "");
        assert_eq!(html_of_text("\n \n"), "");
    }

    #[test]
    fn unsafe_values_are_dropped() {
        assert_eq!(header_id("<abc@example.com>").as_deref(), Some("abc@example.com"));
        assert_eq!(header_id("a>b@example.com"), None);
        assert_eq!(header_id("é@example.com"), None);
        assert_eq!(auto_submitted_keyword(" auto-replied "), Some("auto-replied"));
        assert_eq!(auto_submitted_keyword("auto-replied\r\nBcc: x@y"), None);
        assert_eq!(attachment_content_type("Application/PDF; name=x"), "application/pdf");
        assert_eq!(attachment_content_type("text/html\r\nX: y"), "application/octet-stream");
        assert_eq!(attachment_content_type(""), "application/octet-stream");
    }
}
