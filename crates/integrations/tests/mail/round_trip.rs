//! ferrodesk's own mail, built and read back the way a mail client (and ferrodesk's inbound side) reads it.
use super::*;
use domain::mail::{new_message_id, subject_for, ticket_tag};
use mail_parser::MimeHeaders;

fn acknowledgement() -> OutgoingMail {
    OutgoingMail {
        from: MailAddress::new(Some("ACME Support – Ünïcode"), "help@support.example.com"),
        to: vec![
            MailAddress::new(Some("Müller, Ann"), "ann@example.com"),
            MailAddress::new(None, "bob@example.com"),
        ],
        subject: subject_for(42, "Drucker brennt 🔥 — srsly\r\nBcc: injected@example.com"),
        message_id: new_message_id([7; 16], "support.example.com"),
        in_reply_to: Some("CAF=abc@mail.gmail.com".to_owned()),
        references: vec![
            "root@support.example.com".to_owned(),
            "<CAF=abc@mail.gmail.com>".to_owned(),
        ],
        auto_submitted: Some("auto-replied".to_owned()),
        date: "2025-03-03T10:00:00Z".parse().expect("a timestamp"),
        text: "Hello Ann,\n\nwe got your message <and> will answer soon.\nACME".to_owned(),
        html: String::new(),
        attachments: vec![
            OutgoingAttachment {
                filename: "Übersicht März.pdf".to_owned(),
                content_type: "application/pdf".to_owned(),
                bytes: b"%PDF-1.4\n\x00\xff binary".to_vec(),
            },
            OutgoingAttachment {
                filename: "../notes.txt".to_owned(),
                content_type: "text/plain".to_owned(),
                bytes: b"plain notes".to_vec(),
            },
        ],
    }
}

#[test]
fn built_mail_reads_back() {
    let outgoing = acknowledgement();
    let raw = build(&outgoing);
    let mail = parsed(&raw);

    assert_eq!(
        mail.subject,
        "[#42] Drucker brennt 🔥 — srsly Bcc: injected@example.com"
    );
    assert_eq!(ticket_tag(&mail.subject), Some(42));
    assert_eq!(mail.message_id.as_deref(), Some(outgoing.message_id.as_str()));
    assert_eq!(mail.in_reply_to, ["CAF=abc@mail.gmail.com"]);
    assert_eq!(mail.references, ["root@support.example.com", "CAF=abc@mail.gmail.com"]);
    assert_eq!(mail.from, Some(outgoing.from.clone()));
    assert_eq!(mail.to, outgoing.to);
    assert!(mail.cc.is_empty());
    assert_eq!(mail.date, Some(outgoing.date));
    assert!(mail.automatic, "an acknowledgement says Auto-Submitted");
    assert!(
        mail.auto_reply_suppressed,
        "and asks Exchange for no out-of-office answer"
    );
    assert_eq!(lf(&mail.text), outgoing.text);

    let files: Vec<(&str, &str, &[u8])> = mail
        .attachments
        .iter()
        .map(|a| (a.filename.as_str(), a.content_type.as_str(), a.bytes.as_slice()))
        .collect();
    assert_eq!(
        files,
        [
            (
                "Übersicht März.pdf",
                "application/pdf",
                b"%PDF-1.4\n\x00\xff binary".as_slice()
            ),
            ("notes.txt", "text/plain; charset=utf-8", b"plain notes".as_slice()),
        ]
    );
}

#[test]
fn built_mail_is_well_formed() {
    let raw = build(&acknowledgement());
    let text = String::from_utf8(raw.clone()).expect("7-bit clean");
    assert!(text.is_ascii(), "UTF-8 is encoded, never raw");
    let (head, _) = text.split_once("\r\n\r\n").expect("a header block");
    assert!(
        !head.to_ascii_lowercase().contains("\r\nbcc:"),
        "no header injection:\n{head}"
    );
    assert!(
        head.contains(&format!(
            "Message-ID: <{}>",
            new_message_id([7; 16], "support.example.com")
        )),
        "{head}"
    );
    assert!(head.contains("In-Reply-To: <CAF=abc@mail.gmail.com>"), "{head}");
    assert!(
        head.contains("References: <root@support.example.com> <CAF=abc@mail.gmail.com>"),
        "{head}"
    );
    assert!(head.contains("Auto-Submitted: auto-replied"), "{head}");
    assert!(
        head.contains("Date: Mon, 03 Mar 2025 10:00:00 +0000") || head.contains("Date: Mon, 3 Mar 2025 10:00:00 +0000"),
        "{head}"
    );
    // Every line ends in CRLF; no bare LF reaches SMTP.
    assert!(!raw.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    assert!(raw.split(|b| *b == b'\n').all(|line| line.len() <= 998));

    // multipart/mixed(multipart/alternative(text/plain, text/html), attachments…), read by a second
    // parser the way a client would.
    let message = mail_parser::MessageParser::default().parse(&raw).expect("parses");
    let root = message.root_part().content_type().expect("a content type");
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("mixed")));
    let alternative = message
        .part(1)
        .and_then(|part| part.content_type())
        .expect("a second part");
    assert_eq!(
        (alternative.ctype(), alternative.subtype()),
        ("multipart", Some("alternative"))
    );
    let html = message.body_html(0).expect("an HTML body");
    assert!(
        html.contains("<p>Hello Ann,</p>") && html.contains("&lt;and&gt;"),
        "{html}"
    );
}

#[test]
fn without_attachments_it_is_just_the_alternative() {
    let mut outgoing = acknowledgement();
    outgoing.attachments.clear();
    outgoing.auto_submitted = None;
    outgoing.html = "<p>Agent's own <b>HTML</b></p>".to_owned();
    let raw = build(&outgoing);
    let message = mail_parser::MessageParser::default().parse(&raw).expect("parses");
    let root = message.root_part().content_type().expect("a content type");
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    assert_eq!(message.body_html(0).as_deref(), Some("<p>Agent's own <b>HTML</b></p>"));
    let mail = parsed(&raw);
    assert!(!mail.automatic, "an agent's reply is a person's mail");
    assert!(!String::from_utf8_lossy(&raw).contains("Auto-Submitted"));
}

#[test]
fn html_of_text_is_escaped() {
    assert_eq!(html_of_text("a <script>\n\nb"), "<p>a &lt;script&gt;</p>\n<p>b</p>\n");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_title_and_text_read_back(title in "\\PC{0,120}", text in "[^\r]{1,400}", name in "\\PC{1,40}") {
        let mut outgoing = acknowledgement();
        outgoing.subject = subject_for(7, &title);
        outgoing.text = text.clone();
        outgoing.from.name = Some(name);
        let mail = parsed(&build(&outgoing));
        prop_assert_eq!(ticket_tag(&mail.subject), Some(7));
        prop_assert_eq!(mail.subject.trim_end(), outgoing.subject.trim_end());
        let read_text = lf(&mail.text);
        prop_assert_eq!(read_text.trim_end(), text.trim_end());
        prop_assert_eq!(mail.message_id.as_deref(), Some(outgoing.message_id.as_str()));
    }
}
