//! Received mail (`ferrodesk mail-in`, IMAP): any bytes are read or refused with an error, never a panic,
//! a stack overflow or an unbounded allocation; what is read keeps its promises (safe file names, clean
//! ids and media types, the limits), its quoted history cuts to a prefix, and an answer built from it
//! reads back with its own id.
#![no_main]
use ferrodesk_domain::mail::{MailAddress, cut_quoted, new_message_id, subject_for, ticket_tag};
use ferrodesk_integrations::mail::build::{OutgoingMail, build};
use ferrodesk_integrations::mail::parse::{MAX_ATTACHMENTS, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mail) = parse(data) else { return };
    assert!(mail.attachments.len() <= MAX_ATTACHMENTS);
    for attachment in &mail.attachments {
        assert!(!attachment.filename.is_empty() && attachment.filename != "." && attachment.filename != "..");
        assert!(!attachment.filename.contains(['/', '\\']) && !attachment.filename.chars().any(char::is_control));
        assert!(attachment.content_type.is_ascii() && !attachment.content_type.contains(['\r', '\n']));
    }
    for id in mail.message_id.iter().chain(&mail.in_reply_to).chain(&mail.references) {
        assert!(!id.is_empty() && !id.chars().any(|c| c.is_whitespace() || c.is_control()));
    }
    let cut = cut_quoted(&mail.text);
    assert!(mail.text.replace("\r\n", "\n").replace('\r', "\n").starts_with(&cut));
    let ticket = ticket_tag(&mail.subject).unwrap_or(1);

    let answer = OutgoingMail {
        from: MailAddress::new(Some("Support"), "help@support.example.com"),
        to: mail.from.iter().cloned().collect(),
        subject: subject_for(ticket, &mail.subject),
        message_id: new_message_id([9; 16], "support.example.com"),
        in_reply_to: mail.message_id.clone(),
        references: mail.references.clone(),
        auto_submitted: mail.automatic.then(|| "auto-replied".to_owned()),
        date: ferrodesk_domain::Timestamp::UNIX_EPOCH,
        text: mail.text.clone(),
        html: String::new(),
        attachments: Vec::new(),
    };
    let read_back = parse(&build(&answer)).expect("ferrodesk's own mail reads");
    assert_eq!(read_back.message_id, Some(answer.message_id));
    assert_eq!(ticket_tag(&read_back.subject), Some(ticket));
});
