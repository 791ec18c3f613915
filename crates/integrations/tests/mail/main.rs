//! Mail formats (SPEC §10, issue 14): reading received mail — real clients' replies, wrong and missing
//! charsets, malformed and hostile MIME, automatic mail — and building ferrodesk's own, read back.
use domain::mail::{MailAddress, cut_quoted};
use ferrodesk_integrations::mail::build::{OutgoingAttachment, OutgoingMail, build, html_of_text};
use ferrodesk_integrations::mail::parse::{InboundMail, MAX_ATTACHMENTS, MAX_MESSAGE_BYTES, ParseError, parse};
use proptest::prelude::*;
use std::time::{Duration, Instant};

mod bounds;
mod round_trip;

fn parsed(raw: &[u8]) -> InboundMail {
    match parse(raw) {
        Ok(mail) => mail,
        Err(error) => panic!("parse failed: {error}"),
    }
}

fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

const FERRODESK_ID: &str = "0123456789abcdef0123456789abcdef.ferrodesk@support.example.com";

#[test]
fn gmail_reply() {
    let mail = parsed(include_bytes!("fixtures/gmail_reply.eml"));
    assert_eq!(mail.message_id.as_deref(), Some("CAF=abc+DEF_123@mail.gmail.com"));
    assert_eq!(mail.in_reply_to, [FERRODESK_ID]);
    assert_eq!(mail.references, ["root.1@support.example.com", FERRODESK_ID]);
    assert_eq!(mail.from, Some(MailAddress::new(Some("Ann Müller"), "ann@example.com")));
    assert_eq!(
        mail.to,
        [MailAddress::new(Some("ACME Support"), "help@support.example.com")]
    );
    assert_eq!(
        mail.cc,
        [
            MailAddress::new(Some("Bob"), "bob@example.com"),
            MailAddress::new(Some("Carol, C."), "carol@example.com")
        ]
    );
    assert_eq!(mail.delivered_to, ["help@support.example.com"]);
    assert_eq!(mail.return_path.as_deref(), Some("ann@example.com"));
    assert_eq!(mail.subject, "Re: [#42] Printer on fire");
    assert_eq!(
        mail.date.map(|date| date.to_string()).as_deref(),
        Some("2025-03-03T10:05:01Z")
    );
    assert!(!mail.automatic && !mail.auto_reply_suppressed && !mail.truncated);
    assert!(mail.attachments.is_empty());
    assert_eq!(cut_quoted(&mail.text), "Thanks, turning it off and on helped. Grüße!");
}

#[test]
fn gmail_wrapped_attribution() {
    let mail = parsed(include_bytes!("fixtures/gmail_wrapped_attribution.eml"));
    assert_eq!(cut_quoted(&mail.text), "Works now.");
}

#[test]
fn outlook_reply_in_windows_1252() {
    let mail = parsed(include_bytes!("fixtures/outlook_reply.eml"));
    assert_eq!(mail.from.and_then(|from| from.name).as_deref(), Some("Ann Müller"));
    assert_eq!(mail.subject, "RE: [#42] Printer on fire");
    assert_eq!(mail.in_reply_to, [FERRODESK_ID]);
    assert_eq!(
        cut_quoted(&mail.text),
        "Please call me back tomorrow – I’m in the office.\n\nRegards\nAnn"
    );
}

#[test]
fn thunderbird_reply_with_signature() {
    let mail = parsed(include_bytes!("fixtures/thunderbird_reply.eml"));
    assert_eq!(
        mail.message_id.as_deref(),
        Some("8f2e1c3a-1b2c-4d5e-8f90-123456789abc@example.org")
    );
    assert_eq!(cut_quoted(&mail.text), "Here is the log you asked for.");
}

#[test]
fn missing_or_wrong_charsets() {
    let no_charset = parsed(include_bytes!("fixtures/latin1_no_charset.eml"));
    assert_eq!(
        lf(&no_charset.text).trim_end(),
        "Grüße aus Köln, der Drucker ist kaputt."
    );
    let says_utf8 = parsed(include_bytes!("fixtures/latin1_declared_utf8.eml"));
    assert_eq!(lf(&says_utf8.text).trim_end(), "Grüße aus Köln.");
    let says_latin1 = parsed(include_bytes!("fixtures/utf8_declared_latin1.eml"));
    assert_eq!(lf(&says_latin1.text).trim_end(), "Grüße aus Köln.");
    let raw_subject = parsed(include_bytes!("fixtures/raw_latin1_subject.eml"));
    assert_eq!(raw_subject.subject, "Grüße");
}

#[test]
fn iso_8859_1_body_and_encoded_words() {
    let mail = parsed(include_bytes!("fixtures/iso8859_1.eml"));
    assert_eq!(
        mail.from,
        Some(MailAddress::new(Some("François Dupré"), "francois@example.fr"))
    );
    assert_eq!(mail.subject, "Problème d'imprimante");
    assert_eq!(lf(&mail.text).trim_end(), "L'imprimante ne répond plus. Ça brûle.");
}

#[test]
fn windows_1251_body_and_subject() {
    let mail = parsed(include_bytes!("fixtures/windows1251.eml"));
    assert_eq!(mail.from.and_then(|from| from.name).as_deref(), Some("Иван"));
    assert_eq!(mail.subject, "Принтер не работает");
    assert_eq!(lf(&mail.text).trim_end(), "Принтер не работает. Помогите!");
}

#[test]
fn shift_jis_body_and_subject() {
    let mail = parsed(include_bytes!("fixtures/shift_jis.eml"));
    assert_eq!(mail.from.and_then(|from| from.name).as_deref(), Some("山田"));
    assert_eq!(mail.subject, "プリンターが壊れました");
    assert_eq!(
        lf(&mail.text).trim_end(),
        "プリンターが壊れました。よろしくお願いします。"
    );
}

#[test]
fn html_only_mail_becomes_safe_text() {
    let mail = parsed(include_bytes!("fixtures/html_only.eml"));
    // No title, style, script, event handler or image source; a link's target is written out.
    assert_eq!(
        lf(&mail.text),
        "My printer & scanner stopped working.\n\nenable scripts\n\nCan you help<https://phish.example.net/login>?"
    );
    assert!(mail.attachments.is_empty(), "the HTML is the body, not a file");
}

#[test]
fn malformed_mime_reads_what_it_can() {
    let mail = parsed(include_bytes!("fixtures/malformed.eml"));
    assert_eq!(mail.subject, "Broken MIME");
    // The broken base64 body is kept as it came: nothing readable is lost, nothing is guessed.
    assert!(mail.text.contains("VGhlIHRleHQgc3Vydml2ZXMu"), "{:?}", mail.text);
    assert!(
        mail.attachments
            .iter()
            .any(|a| a.filename == "report.pdf" && a.bytes.starts_with(b"%PDF")),
        "{:?}",
        mail.attachments
    );

    // An inner multipart never closed swallows the rest (the parser cannot know where it ends): still
    // no panic, and the text before it is read.
    let unclosed = String::from_utf8_lossy(include_bytes!("fixtures/malformed.eml")).replace("--inner--\r\n", "");
    let swallowed = parsed(unclosed.as_bytes());
    assert!(swallowed.text.contains("VGhlIHRleHQgc3Vydml2ZXMu"));

    let no_boundary = parsed(include_bytes!("fixtures/missing_boundary.eml"));
    assert!(
        no_boundary.text.contains("The text is still readable."),
        "{:?}",
        no_boundary.text
    );
}

#[test]
fn not_a_message() {
    assert_eq!(parse(b""), Err(ParseError::NotAMessage));
    assert_eq!(parse(b"\r\n\r\njust a body"), Err(ParseError::NotAMessage));
    // Anything with a header field is read, however little else it has.
    let headers_only = parsed(b"Subject: only this");
    assert_eq!(headers_only.subject, "only this");
    assert_eq!(headers_only.text, "");
}

#[test]
fn nested_messages_are_attached_not_merged() {
    let mail = parsed(include_bytes!("fixtures/nested_rfc822.eml"));
    assert_eq!(lf(&mail.text).trim_end(), "See the forwarded mails.");
    let names: Vec<&str> = mail.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names, ["Your warranty.eml", "inner.eml"]);
    assert!(mail.attachments.iter().all(|a| a.content_type == "message/rfc822"));
    // The forwarded message is exactly the bytes received.
    let forwarded = include_bytes!("fixtures/forwarded_part.txt");
    assert_eq!(
        lf(&String::from_utf8_lossy(&mail.attachments[0].bytes)).trim_end(),
        lf(&String::from_utf8_lossy(forwarded)).trim_end()
    );
    // The base64 one is decoded, and what it nests is left inside it, untouched.
    let inner = String::from_utf8_lossy(&mail.attachments[1].bytes);
    assert!(inner.contains("Content-Type: message/rfc822\r\n"), "{inner}");
    assert!(inner.contains("DEEPER TEXT"));
}

#[test]
fn digest_parts_are_nested_messages() {
    let raw = "From: list@example.com\r\nSubject: Digest\r\nContent-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nFrom: a@example.com\r\nSubject: First\r\n\r\nFIRST BODY\r\n--d\r\n\r\nFrom: b@example.com\r\nSubject: Second\r\n\r\nSECOND BODY\r\n--d--\r\n";
    let mail = parsed(raw.as_bytes());
    assert!(!mail.text.contains("BODY"), "{:?}", mail.text);
    let names: Vec<&str> = mail.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert_eq!(names, ["First.eml", "Second.eml"]);
    assert!(String::from_utf8_lossy(&mail.attachments[1].bytes).contains("SECOND BODY"));
}

#[test]
fn header_lookalikes_in_text_come_back_unchanged() {
    let raw = "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nThe server said:\r\nContent-Type: message/rfc822\r\nContent-type: multipart/digest\r\n";
    let mail = parsed(raw.as_bytes());
    assert_eq!(
        lf(&mail.text).trim_end(),
        "The server said:\nContent-Type: message/rfc822\nContent-type: multipart/digest"
    );
}

#[test]
fn attachment_names_are_made_safe() {
    let mail = parsed(include_bytes!("fixtures/bad_names.eml"));
    let files: Vec<(&str, &str)> = mail
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.content_type.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            ("passwd", "text/plain; charset=utf-8"),
            ("evil.exe", "application/octet-stream"),
            ("résumé.pdf", "application/pdf"),
            ("evilfdp.exe", "application/pdf"),
            ("attachment", "image/png"),
            ("screenshot.png", "image/png"),
        ],
        "the unnamed inline logo is no file anyone sent"
    );
    assert_eq!(mail.attachments[0].bytes, b"root:x:0:0");
    for attachment in &mail.attachments {
        assert!(!attachment.filename.contains(['/', '\\']) && !attachment.filename.chars().any(char::is_control));
    }
}

#[test]
fn bounces_are_automatic() {
    let mail = parsed(include_bytes!("fixtures/bounce.eml"));
    assert!(mail.automatic);
    assert_eq!(mail.return_path.as_deref(), Some(""));
    assert!(mail.text.contains("could not be delivered"));
}

#[test]
fn out_of_office_is_automatic_and_asks_for_no_answer() {
    let mail = parsed(include_bytes!("fixtures/out_of_office.eml"));
    assert!(mail.automatic);
    assert!(mail.auto_reply_suppressed);
    assert_eq!(mail.in_reply_to, [FERRODESK_ID]);
}

#[test]
fn automatic_headers() {
    let with = |headers: &str| {
        parsed(format!("{headers}From: Ann <ann@example.com>\r\nSubject: s\r\n\r\nbody\r\n").as_bytes())
    };
    assert!(!with("Return-Path: <ann@example.com>\r\n").automatic);
    assert!(!with("Auto-Submitted: no\r\n").automatic);
    assert!(
        !with("X-Auto-Response-Suppress: All\r\n").automatic,
        "a request, not a mark"
    );
    for automatic in [
        "Auto-Submitted: auto-generated\r\n",
        "Auto-Submitted: Auto-Replied; owner-email=\"x@example.com\"\r\n",
        "Precedence: bulk\r\n",
        "Precedence: Junk\r\n",
        "precedence: list\r\n",
        "X-Autoreply: yes\r\n",
        "X-Autorespond: Thanks for your mail\r\n",
        "Return-Path: <>\r\n",
        "Return-Path: <MAILER-DAEMON@mx.example.net>\r\n",
        "Sender: MAILER-DAEMON@mx.example.net\r\n",
    ] {
        assert!(with(automatic).automatic, "{automatic:?}");
    }
    let daemon = parsed(b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\r\nSubject: Delivery Status Notification (Failure)\r\n\r\nx");
    assert!(daemon.automatic);
}

#[test]
fn too_large_is_refused_quickly() {
    let mut raw = b"From: a@example.com\r\nSubject: big\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    raw.resize(30 * 1024 * 1024, b'x');
    let started = Instant::now();
    assert_eq!(parse(&raw), Err(ParseError::TooLarge { size: raw.len() }));
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    raw.truncate(MAX_MESSAGE_BYTES + 1);
    assert!(matches!(parse(&raw), Err(ParseError::TooLarge { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_bytes(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&raw);
    }

    #[test]
    fn never_panics_on_mime_shaped_input(lines in proptest::collection::vec(prop_oneof![
        Just("Content-Type: multipart/mixed; boundary=b".to_owned()),
        Just("Content-Type: multipart/alternative; boundary=\"c\"".to_owned()),
        Just("Content-Type: multipart/digest; boundary=d".to_owned()),
        Just("Content-Type: message/rfc822".to_owned()),
        Just("Content-Type: (x) message/global; name=\"m.eml\"".to_owned()),
        Just("Content-Type: text/html; charset=shift_jis".to_owned()),
        Just("Content-Type: text/plain; charset=x-unknown".to_owned()),
        Just("Content-Transfer-Encoding: base64".to_owned()),
        Just("Content-Transfer-Encoding: quoted-printable".to_owned()),
        Just("Content-Disposition: attachment; filename*=UTF-8''%2E%2E%2F%00x".to_owned()),
        Just("Subject: =?utf-8?B?w7w=?= =?bogus?Q?x?=".to_owned()),
        Just("From: \"A\" <a@b>, =?utf-8?Q?=FF?= <".to_owned()),
        Just("--b".to_owned()), Just("--c".to_owned()), Just("--d".to_owned()), Just("--b--".to_owned()),
        Just(" folded".to_owned()),
        Just(String::new()),
        Just("PGh0bWw+PHNjcmlwdD4=".to_owned()),
        Just("=C3=BC=\r".to_owned()),
        "[ -~]{0,40}",
    ], 0..60)) {
        let raw = lines.join("\r\n");
        if let Ok(mail) = parse(raw.as_bytes()) {
            prop_assert!(mail.attachments.len() <= MAX_ATTACHMENTS);
            for attachment in &mail.attachments {
                prop_assert!(!attachment.filename.is_empty());
                prop_assert!(!attachment.filename.contains(['/', '\\']));
                prop_assert!(!attachment.content_type.contains(['\r', '\n']));
            }
        }
    }
}
