//! The rules of the email channel (SPEC §10) that need no I/O: the `[#<id>]` ticket tag of subjects, the
//! new part of a reply (quoted history and signature cut), which mail is automatic (auto-replies and
//! bounces, never answered), and `Message-ID` values. Reading and writing actual RFC 5322 messages is the
//! integrations crate's (`integrations::mail`).
use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------------------

/// The ticket id of the first `[#<id>]` tag anywhere in `subject` (`Re: [#42] Printer` → 42). A tag counts
/// only as `[#`, ASCII digits, `]`, with a value that fits an `i64` and is above zero; anything else
/// (`[#abc]`, `[# 42]`, `[#0]`, `[#99999999999999999999]`) is not a tag and the search goes on.
pub fn ticket_tag(subject: &str) -> Option<i64> {
    subject.match_indices("[#").find_map(|(start, _)| {
        let rest = &subject[start + 2..];
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits_len == 0 || rest.as_bytes().get(digits_len) != Some(&b']') {
            return None;
        }
        rest[..digits_len].parse::<i64>().ok().filter(|id| *id > 0)
    })
}

/// The subject of ferrodesk's mail about a ticket: `[#<id>] <title>`. A title cannot break the header:
/// each run of CR/LF becomes one space (the builder encodes anything else that needs it).
pub fn subject_for(ticket_id: i64, title: &str) -> String {
    let mut subject = format!("[#{ticket_id}] ");
    let mut in_break = false;
    for c in title.chars() {
        if c == '\r' || c == '\n' {
            if !in_break {
                subject.push(' ');
            }
            in_break = true;
        } else {
            subject.push(c);
            in_break = false;
        }
    }
    subject
}

// ---------------------------------------------------------------------------------------------------------
// Quoted history and signatures
// ---------------------------------------------------------------------------------------------------------

/// How many lines an attribution (`On … wrote:`) may be wrapped over: Gmail wraps long ones after the
/// sender's name, before the `<address>`.
const ATTRIBUTION_MAX_LINES: usize = 3;
/// Longer "attributions" are prose that happens to start with `On` and end with `wrote:`.
const ATTRIBUTION_MAX_CHARS: usize = 400;
/// How far below an Outlook `From:` line its `Sent:`/`To:` lines are looked for.
const HEADER_BLOCK_LINES: usize = 5;

/// The new part of a reply: `text` cut at the first usual marker of quoted history or a signature, and a
/// block of `>`-quoted lines at its end dropped; trailing whitespace trimmed, line ends made `\n`.
///
/// Markers: a signature separator line (`-- `); an attribution line, also wrapped over up to three lines
/// (`On … wrote:`, `Am … schrieb …:`, `Le … a écrit :` and the Spanish, Italian, Portuguese, Dutch and
/// Swedish forms); Outlook's `-----Original Message-----`; an Outlook header block (`From:` after a blank
/// or `____` separator line, followed by `Sent:`/`Date:` and `To:`/`Subject:` lines, English, German or
/// French). Quoted lines in the middle (answers written between quotes) stay. A cut never leaves nothing:
/// when only whitespace would remain, the whole text is kept.
pub fn cut_quoted(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalized.split('\n').collect();
    let marker = (0..lines.len()).find_map(|index| marker_at(&lines, index));
    let end = without_trailing_quote(&lines[..marker.unwrap_or(lines.len())]);
    let kept = lines[..end].join("\n");
    let kept = kept.trim_end();
    if kept.trim().is_empty() {
        normalized.trim_end().to_owned()
    } else {
        kept.to_owned()
    }
}

/// Where the text is cut when line `index` starts quoted history or a signature (it may be earlier than
/// `index`: the separator line above an Outlook header block goes too).
fn marker_at(lines: &[&str], index: usize) -> Option<usize> {
    let line = lines[index];
    // RFC 3676's separator is `-- `; many clients strip the trailing space.
    if line == "-- " || line == "--" {
        return Some(index);
    }
    if is_original_message_line(line) || starts_attribution(lines, index) {
        return Some(index);
    }
    outlook_header_block(lines, index)
}

/// `-----Original Message-----` and its translations, with any number of dashes and spaces around.
fn is_original_message_line(line: &str) -> bool {
    let trimmed = line.trim();
    if !trimmed.starts_with("---") || !trimmed.ends_with("---") {
        return false;
    }
    let title = trimmed
        .trim_matches(|c: char| c == '-' || c.is_whitespace())
        .to_lowercase();
    [
        "original message",
        "ursprüngliche nachricht",
        "message d'origine",
        "mensaje original",
        "messaggio originale",
    ]
    .contains(&title.as_str())
}

/// Whether an attribution's lines, joined, end as one in its language must.
type AttributionEnd = fn(&str) -> bool;

/// An attribution's opening word and how it must end.
const ATTRIBUTIONS: &[(&str, AttributionEnd)] = &[
    ("On ", |s| s.ends_with("wrote:")),
    ("Am ", |s| s.contains(" schrieb") && s.ends_with(':')),
    ("Le ", |s| {
        // French puts a (narrow) no-break space before the colon, or a plain one, or none.
        ["a écrit :", "a écrit:", "a écrit\u{a0}:", "a écrit\u{202f}:"]
            .iter()
            .any(|end| s.ends_with(end))
    }),
    ("El ", |s| s.ends_with("escribió:")),
    ("Il ", |s| s.ends_with("ha scritto:")),
    ("Em ", |s| s.ends_with("escreveu:")),
    ("Op ", |s| s.contains(" schreef") && s.ends_with(':')),
    ("Den ", |s| s.contains(" skrev") && s.ends_with(':')),
];

/// Whether line `index` opens an attribution, alone or wrapped over the next lines (none of them blank).
fn starts_attribution(lines: &[&str], index: usize) -> bool {
    let first = lines[index].trim_start();
    let Some((_, ends)) = ATTRIBUTIONS.iter().find(|(opening, _)| first.starts_with(opening)) else {
        return false;
    };
    let mut joined = String::new();
    for line in lines[index..].iter().take(ATTRIBUTION_MAX_LINES) {
        let line = line.trim();
        if line.is_empty() {
            return false;
        }
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(line);
        if joined.chars().count() > ATTRIBUTION_MAX_CHARS {
            return false;
        }
        if ends(&joined) {
            return true;
        }
    }
    false
}

/// Outlook's header block: `From:` right after a blank or separator line, then within a few lines a date
/// line and a recipient or subject line. Cut above the blank and separator lines before it.
fn outlook_header_block(lines: &[&str], index: usize) -> Option<usize> {
    fn starts_with_any(line: &str, labels: &[&str]) -> bool {
        // Outlook's HTML made text shows labels bold: `*From:*`.
        let line = line.trim_start().trim_start_matches('*');
        labels.iter().any(|label| line.starts_with(label))
    }
    const FROM: &[&str] = &["From:", "Von:", "De :", "De:"];
    const DATE: &[&str] = &["Sent:", "Date:", "Gesendet:", "Datum:", "Envoyé :", "Envoyé:", "Date :"];
    const TO: &[&str] = &["To:", "Subject:", "An:", "Betreff:", "À :", "À:", "Objet :", "Objet:"];
    fn is_separator(line: &str) -> bool {
        let line = line.trim();
        line.is_empty() || (line.len() >= 5 && line.chars().all(|c| c == '_' || c == '-'))
    }

    if index == 0 || !starts_with_any(lines[index], FROM) || !is_separator(lines[index - 1]) {
        return None;
    }
    let below = &lines[index + 1..lines.len().min(index + 1 + HEADER_BLOCK_LINES)];
    let has_date = below.iter().any(|line| starts_with_any(line, DATE));
    let has_to = below.iter().any(|line| starts_with_any(line, TO));
    if !(has_date && has_to) {
        return None;
    }
    let mut cut = index;
    while cut > 0 && is_separator(lines[cut - 1]) {
        cut -= 1;
    }
    Some(cut)
}

/// The end of `lines` once a block of `>`-quoted lines (and blank lines among them) at its end is dropped.
fn without_trailing_quote(lines: &[&str]) -> usize {
    let mut end = lines.len();
    let mut kept_end = end;
    while end > 0 {
        let line = lines[end - 1].trim_start();
        if line.starts_with('>') {
            kept_end = end - 1;
        } else if !line.is_empty() {
            break;
        }
        end -= 1;
    }
    kept_end
}

// ---------------------------------------------------------------------------------------------------------
// Automatic mail
// ---------------------------------------------------------------------------------------------------------

/// The header values of a received message that tell whether a machine sent it. Values as received
/// (unfolded, decoded); absent headers `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomaticHeaders {
    /// RFC 3834 `Auto-Submitted`.
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub x_autoreply: Option<String>,
    pub x_autorespond: Option<String>,
    /// Microsoft's `X-Auto-Response-Suppress`: see [`AutomaticHeaders::auto_reply_suppressed`].
    pub x_auto_response_suppress: Option<String>,
    /// The `Return-Path` the receiving MTA added (`<>` or empty for a bounce), or the envelope sender.
    pub return_path: Option<String>,
    /// The `From` address.
    pub from: Option<String>,
    /// The `Sender` address.
    pub sender: Option<String>,
}

/// Why a message counts as automatic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` with a value other than `no`.
    AutoSubmitted,
    /// `Precedence: bulk`, `junk` or `list` (or `auto_reply`).
    Precedence,
    /// An `X-Autoreply` or `X-Autorespond` header, whatever its value.
    AutoReplyHeader,
    /// An empty return path (`<>`): a bounce or other delivery report (RFC 5321 §4.5.5).
    NullReturnPath,
    /// From `MAILER-DAEMON` (as return path, `From` or `Sender`): a bounce.
    MailerDaemon,
}

impl AutomaticHeaders {
    /// Why this message is automatic (an auto-reply, a bounce, bulk mail), or `None` when a person wrote it.
    /// Automatic mail is never answered: that is what keeps two auto-responders from mailing each other
    /// forever.
    pub fn automatic(&self) -> Option<Automatic> {
        if let Some(value) = &self.auto_submitted {
            // `auto-replied; owner-email="…"`, `No (comment)`: the keyword is what counts. Any value other
            // than `no`, even an unreadable one, is taken as automatic: a missed loop costs more than a
            // human's note filed as automatic (it is still stored on the ticket it answers).
            let keyword = value.split([';', '(']).next().unwrap_or_default().trim();
            if !keyword.eq_ignore_ascii_case("no") {
                return Some(Automatic::AutoSubmitted);
            }
        }
        if let Some(value) = &self.precedence {
            let value = value.trim();
            // `auto_reply` is not in the SPEC's list but some responders (older Exchange, vacation(1)
            // variants) mark themselves with it.
            if ["bulk", "junk", "list", "auto_reply"]
                .iter()
                .any(|p| value.eq_ignore_ascii_case(p))
            {
                return Some(Automatic::Precedence);
            }
        }
        if self.x_autoreply.is_some() || self.x_autorespond.is_some() {
            return Some(Automatic::AutoReplyHeader);
        }
        let null_path = |path: &String| {
            path.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .is_empty()
        };
        if self.return_path.as_ref().is_some_and(null_path) {
            return Some(Automatic::NullReturnPath);
        }
        // `postmaster` is left out: people write from it (an ISP's abuse desk), while MAILER-DAEMON is
        // only ever the bounce generator.
        let is_daemon = |address: &Option<String>| {
            address.as_deref().is_some_and(|address| {
                let address = address.trim().trim_start_matches('<').trim_end_matches('>');
                let local = address.rsplit_once('@').map_or(address, |(local, _)| local);
                local.eq_ignore_ascii_case("mailer-daemon")
            })
        };
        if is_daemon(&self.return_path) || is_daemon(&self.from) || is_daemon(&self.sender) {
            return Some(Automatic::MailerDaemon);
        }
        None
    }

    pub fn is_automatic(&self) -> bool {
        self.automatic().is_some()
    }

    /// Whether the sender asked for no automatic answers: `X-Auto-Response-Suppress` naming `All`, `OOF`
    /// or `AutoReply`. This is *not* a mark of automatic mail (it is no part of [`Self::automatic`]):
    /// Outlook and Exchange set it on mail that people write too (meeting requests, messages sent from
    /// some add-ins), so treating it as automatic would file a customer's question as a note. It is a
    /// request about answers, so it only tells whether to skip ferrodesk's own automatic answer (the
    /// acknowledgement of a new ticket); an agent's reply is still sent.
    pub fn auto_reply_suppressed(&self) -> bool {
        self.x_auto_response_suppress.as_deref().is_some_and(|value| {
            value.split(',').map(str::trim).any(|token| {
                ["all", "oof", "autoreply"]
                    .iter()
                    .any(|t| token.eq_ignore_ascii_case(t))
            })
        })
    }
}

// ---------------------------------------------------------------------------------------------------------
// Message-IDs and addresses
// ---------------------------------------------------------------------------------------------------------

/// The longest `Message-ID` kept (RFC 5322's line length); longer ones are not ids worth threading on.
pub const MAX_MESSAGE_ID_CHARS: usize = 998;

/// A `Message-ID` (or one id of `In-Reply-To`/`References`) in the form it is stored and compared in:
/// without the angle brackets, whitespace (folding) or control characters. Case is kept: ids are
/// case-sensitive. `None` when nothing is left or the id is absurdly long.
pub fn normalize_message_id(id: &str) -> Option<String> {
    let cleaned: String = id.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    let inner = cleaned.strip_prefix('<').unwrap_or(&cleaned);
    let inner = inner.strip_suffix('>').unwrap_or(inner);
    (!inner.is_empty() && inner.chars().count() <= MAX_MESSAGE_ID_CHARS).then(|| inner.to_owned())
}

/// A new `Message-ID` of ferrodesk's own (stored form, without brackets): `<32 hex digits>.ferrodesk@domain`.
/// `random` must come from a secure generator (the caller's: this crate does no I/O); 128 bits make ids
/// that no other message shares. `domain` is the sending mailbox's; anything not allowed in a domain is
/// dropped, and `localhost` stands in for nothing.
pub fn new_message_id(random: [u8; 16], domain: &str) -> String {
    let hex: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
    let domain: String = domain
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let domain = domain.trim_matches('.');
    let domain = if domain.is_empty() { "localhost" } else { domain };
    format!("{hex}.ferrodesk@{domain}")
}

/// An address as mail shows it: an optional display name and the address. Display writes it plainly
/// (`Ann Example <ann@example.com>`), quoting and encoding nothing: that is the message builder's job.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MailAddress {
    pub name: Option<String>,
    pub email: String,
}

impl MailAddress {
    pub fn new(name: Option<&str>, email: &str) -> Self {
        Self {
            name: name.map(str::to_owned),
            email: email.to_owned(),
        }
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name.as_deref().map(str::trim).filter(|name| !name.is_empty()) {
            Some(name) => write!(f, "{name} <{}>", self.email),
            None => f.write_str(&self.email),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ticket_tags() {
        assert_eq!(ticket_tag("Re: [#42] Printer on fire"), Some(42));
        assert_eq!(ticket_tag("[#7]"), Some(7));
        assert_eq!(ticket_tag("AW: WG: Printer [#1234567]"), Some(1234567));
        assert_eq!(ticket_tag("[#x] then [#9] wins"), Some(9));
        assert_eq!(ticket_tag("Printer on fire"), None);
        assert_eq!(ticket_tag("[#]"), None);
        assert_eq!(ticket_tag("[#0]"), None);
        assert_eq!(ticket_tag("[#-3]"), None);
        assert_eq!(ticket_tag("[# 3]"), None);
        assert_eq!(ticket_tag("[#3 ]"), None);
        assert_eq!(ticket_tag("[#3"), None);
        assert_eq!(ticket_tag("[#abc]"), None);
        assert_eq!(ticket_tag("[#٣]"), None, "only ASCII digits");
        assert_eq!(ticket_tag("[#99999999999999999999]"), None, "overflow");
        assert_eq!(ticket_tag(&format!("[#{}]", i64::MAX)), Some(i64::MAX));
    }

    #[test]
    fn subjects() {
        assert_eq!(subject_for(42, "Printer on fire"), "[#42] Printer on fire");
        assert_eq!(subject_for(1, "two\r\nlines\nand\r\r\nmore"), "[#1] two lines and more");
        assert_eq!(subject_for(3, ""), "[#3] ");
    }

    #[test]
    fn cuts_gmail_reply() {
        let text = "Thanks, that fixed it.\r\n\r\nOn Mon, 3 Mar 2025 at 10:00, Support <help@example.com> wrote:\r\n> Try turning it off and on.\r\n";
        assert_eq!(cut_quoted(text), "Thanks, that fixed it.");
    }

    #[test]
    fn cuts_wrapped_attribution() {
        let text = "Works now.\n\nOn Mon, Mar 3, 2025 at 10:00 AM Ann Example from Support <\nhelp@example.com> wrote:\n\n> earlier\n";
        assert_eq!(cut_quoted(text), "Works now.");
        let apple = "Great!\n\n> On 3 Mar 2025, at 10:00, Support <help@example.com> wrote:\n> \n> earlier\n";
        assert_eq!(cut_quoted(apple), "Great!");
        let apple_unquoted = "Great!\n\nOn 3 Mar 2025, at 10:00, Support\n<help@example.com> wrote:\n\nearlier\n";
        assert_eq!(cut_quoted(apple_unquoted), "Great!");
    }

    #[test]
    fn cuts_translated_attributions() {
        let german = "Danke!\n\nAm 03.03.2025 um 10:00 schrieb Support <help@example.com>:\n> vorher\n";
        assert_eq!(cut_quoted(german), "Danke!");
        let french = "Merci !\n\nLe lun. 3 mars 2025 à 10:00, Support <help@example.com> a écrit :\n> avant\n";
        assert_eq!(cut_quoted(french), "Merci !");
        let french_nbsp =
            "Merci\u{a0}!\n\nLe 3 mars 2025 à 10:00, Support <help@example.com> a écrit\u{202f}:\n> avant\n";
        assert_eq!(cut_quoted(french_nbsp), "Merci\u{a0}!");
        let spanish = "Gracias\n\nEl lun, 3 mar 2025 a las 10:00, Support (<help@example.com>) escribió:\n> antes\n";
        assert_eq!(cut_quoted(spanish), "Gracias");
    }

    #[test]
    fn cuts_outlook_reply() {
        let text = "Please call me.\r\n\r\n-----Original Message-----\r\nFrom: Support <help@example.com>\r\nSent: Monday, March 3, 2025 10:00 AM\r\nTo: Ann\r\nSubject: [#42] Printer\r\n\r\nTry again.\r\n";
        assert_eq!(cut_quoted(text), "Please call me.");
        let block = "Please call me.\n\n________________________________\nFrom: Support <help@example.com>\nSent: Monday, March 3, 2025 10:00\nTo: Ann <ann@example.com>\nSubject: [#42] Printer\n\nTry again.\n";
        assert_eq!(cut_quoted(block), "Please call me.");
        let html_made = "Ok.\n\n*From:* Support <help@example.com>\n*Sent:* Monday\n*To:* Ann\n";
        assert_eq!(cut_quoted(html_made), "Ok.");
        let german = "Bitte anrufen.\n\nVon: Support <help@example.com>\nGesendet: Montag, 3. März 2025 10:00\nAn: Ann\nBetreff: [#42] Drucker\n\nvorher\n";
        assert_eq!(cut_quoted(german), "Bitte anrufen.");
    }

    #[test]
    fn cuts_thunderbird_reply_and_signature() {
        let text =
            "New info attached.\n\n-- \nAnn Example\nACME Corp\n\nOn 03/03/2025 10:00, Support wrote:\n> earlier\n";
        assert_eq!(cut_quoted(text), "New info attached.");
        let quoted_at_end = "Here it is.\n\n> Could you send the log?\n>\n> Support\n\n";
        assert_eq!(cut_quoted(quoted_at_end), "Here it is.");
    }

    #[test]
    fn keeps_inline_answers_and_ordinary_text() {
        let inline = "> Which version?\n4.2\n> Which OS?\nLinux\n";
        assert_eq!(cut_quoted(inline), "> Which version?\n4.2\n> Which OS?\nLinux");
        let prose = "On Monday the printer broke.\nFrom: the third floor\nWe wrote: nothing.\n";
        assert_eq!(cut_quoted(prose), prose.trim_end());
        let forwarded_header =
            "See below.\n\n-------- Forwarded Message --------\nSubject: x\nDate: y\nFrom: z\nTo: w\n\nbody";
        assert_eq!(
            cut_quoted(forwarded_header),
            forwarded_header,
            "a forward is what the customer sends us"
        );
    }

    #[test]
    fn never_cuts_to_nothing() {
        let only_quote = "> all of it is quoted\n> still\n";
        assert_eq!(cut_quoted(only_quote), "> all of it is quoted\n> still");
        let only_signature = "-- \nAnn\n";
        assert_eq!(cut_quoted(only_signature), "-- \nAnn");
        assert_eq!(cut_quoted(""), "");
        assert_eq!(cut_quoted("  \n\n"), "");
    }

    fn automatic_with(change: impl FnOnce(&mut AutomaticHeaders)) -> Option<Automatic> {
        let mut headers = AutomaticHeaders {
            return_path: Some("<ann@example.com>".into()),
            from: Some("ann@example.com".into()),
            ..Default::default()
        };
        change(&mut headers);
        headers.automatic()
    }

    #[test]
    fn automatic_mail() {
        assert_eq!(automatic_with(|_| {}), None);
        assert_eq!(automatic_with(|h| h.auto_submitted = Some("no".into())), None);
        assert_eq!(
            automatic_with(|h| h.auto_submitted = Some(" No (a person)".into())),
            None
        );
        for value in [
            "auto-replied",
            "auto-generated; owner-email=\"x@y\"",
            "auto-notified",
            "",
        ] {
            assert_eq!(
                automatic_with(|h| h.auto_submitted = Some(value.into())),
                Some(Automatic::AutoSubmitted),
                "{value}"
            );
        }
        for value in ["bulk", "JUNK", " list ", "auto_reply"] {
            assert_eq!(
                automatic_with(|h| h.precedence = Some(value.into())),
                Some(Automatic::Precedence)
            );
        }
        assert_eq!(automatic_with(|h| h.precedence = Some("first-class".into())), None);
        assert_eq!(
            automatic_with(|h| h.x_autoreply = Some("yes".into())),
            Some(Automatic::AutoReplyHeader)
        );
        assert_eq!(
            automatic_with(|h| h.x_autorespond = Some(String::new())),
            Some(Automatic::AutoReplyHeader)
        );
        assert_eq!(
            automatic_with(|h| h.return_path = Some("<>".into())),
            Some(Automatic::NullReturnPath)
        );
        assert_eq!(
            automatic_with(|h| h.return_path = Some(" < > ".into())),
            Some(Automatic::NullReturnPath)
        );
        assert_eq!(
            automatic_with(|h| h.return_path = None),
            None,
            "no Return-Path: not an MTA's delivery"
        );
        assert_eq!(
            automatic_with(|h| h.return_path = Some("<MAILER-DAEMON@mx.example.com>".into())),
            Some(Automatic::MailerDaemon)
        );
        assert_eq!(
            automatic_with(|h| h.from = Some("mailer-daemon@example.com".into())),
            Some(Automatic::MailerDaemon)
        );
        assert_eq!(
            automatic_with(|h| h.sender = Some("MAILER-DAEMON".into())),
            Some(Automatic::MailerDaemon)
        );
        assert_eq!(automatic_with(|h| h.from = Some("postmaster@example.com".into())), None);
    }

    #[test]
    fn auto_response_suppress_is_a_request_not_a_mark() {
        for value in ["All", "OOF, AutoReply", "DR,RN,NRN,OOF,AutoReply", "autoreply"] {
            let headers = AutomaticHeaders {
                x_auto_response_suppress: Some(value.into()),
                ..Default::default()
            };
            assert!(headers.auto_reply_suppressed(), "{value}");
            assert!(!headers.is_automatic(), "{value}");
        }
        let delivery_reports_only = AutomaticHeaders {
            x_auto_response_suppress: Some("DR, RN".into()),
            ..Default::default()
        };
        assert!(!delivery_reports_only.auto_reply_suppressed());
    }

    #[test]
    fn message_ids() {
        assert_eq!(
            normalize_message_id("<abc@example.com>").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("  <Abc.DEF@Example.com>\r\n").as_deref(),
            Some("Abc.DEF@Example.com")
        );
        assert_eq!(
            normalize_message_id("<abc@exa\r\n mple.com>").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            normalize_message_id("bare@example.com").as_deref(),
            Some("bare@example.com")
        );
        assert_eq!(normalize_message_id("<>"), None);
        assert_eq!(normalize_message_id("  "), None);
        assert_eq!(normalize_message_id(&"x".repeat(MAX_MESSAGE_ID_CHARS + 1)), None);

        let id = new_message_id([0xab; 16], "help.example.com");
        assert_eq!(id, format!("{}.ferrodesk@help.example.com", "ab".repeat(16)));
        assert_eq!(normalize_message_id(&format!("<{id}>")), Some(id));
        assert_eq!(
            new_message_id([0; 16], "<bad domain>\r\n"),
            format!("{}.ferrodesk@baddomain", "0".repeat(32))
        );
        assert!(new_message_id([1; 16], "").ends_with("@localhost"));
    }

    #[test]
    fn addresses_display_plainly() {
        assert_eq!(
            MailAddress::new(Some("Ann Example"), "ann@example.com").to_string(),
            "Ann Example <ann@example.com>"
        );
        assert_eq!(
            MailAddress::new(Some("  "), "ann@example.com").to_string(),
            "ann@example.com"
        );
        assert_eq!(MailAddress::new(None, "ann@example.com").to_string(), "ann@example.com");
        assert_eq!(
            MailAddress::new(Some("Müller, \"Ann\""), "a@b.c").to_string(),
            "Müller, \"Ann\" <a@b.c>"
        );
    }

    proptest! {
        #[test]
        fn tagged_subjects_name_their_ticket(id in 1..=i64::MAX, title in any::<String>(), prefix in "(Re: |AW: |Fwd: )*") {
            let subject = subject_for(id, &title);
            prop_assert!(!subject.contains(['\r', '\n']));
            prop_assert_eq!(ticket_tag(&format!("{prefix}{subject}")), Some(id));
        }

        #[test]
        fn ticket_tag_never_panics(subject in any::<String>()) {
            if let Some(id) = ticket_tag(&subject) {
                prop_assert!(id > 0);
                prop_assert!(subject.contains("[#"));
            }
        }

        #[test]
        fn cut_keeps_a_prefix_and_never_empties(text in "(([a-zA-Z >:-]{0,20}|On x wrote:|-- |From: a|Sent: b|To: c|)\r?\n){0,12}") {
            let normalized = text.replace("\r\n", "\n");
            let cut = cut_quoted(&text);
            prop_assert!(normalized.starts_with(&cut));
            prop_assert_eq!(cut.is_empty(), normalized.trim().is_empty());
            prop_assert_eq!(cut.trim_end(), cut.as_str());
        }

        #[test]
        fn normalized_ids_are_stable(id in any::<String>()) {
            if let Some(normal) = normalize_message_id(&id) {
                prop_assert!(!normal.chars().any(|c| c.is_whitespace() || c.is_control()));
                prop_assert_eq!(normalize_message_id(&format!("<{normal}>")), Some(normal));
            }
        }
    }
}
