//! The SMTP and IMAP clients against real servers on 127.0.0.1, started by the tests themselves: an SMTP sink
//! that keeps what it receives (smtp_sink.rs) and Debian's dovecot in a temporary directory (dovecot.rs),
//! both with certificates of a CA made for the run (certs.rs) that the clients trust as an extra root.
mod certs;
mod dovecot;
mod smtp_sink;

use std::time::{Duration, Instant};

use certs::TestCa;
use dovecot::{Dovecot, DovecotOptions, PASSWORD, USER};
use ferrodesk_integrations::mail::{
    imap::{self, IdleOutcome, ImapError, ImapMailbox, ImapTls, ImapUrl, Unseen},
    smtp::{self, SmtpError, SmtpOptions, SmtpSender, SmtpUrl},
};
use futures_util::StreamExt as _;
use smtp_sink::{SinkOptions, SmtpSink};

const TIMEOUT: Duration = Duration::from_secs(20);

fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Customer <customer@example.org>\r\nTo: help@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@example.org>\r\nDate: Tue, 02 Dec 2025 10:00:00 +0000\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn smtp_url(text: &str) -> SmtpUrl {
    SmtpUrl::parse(text).expect("an SMTP URL")
}

fn imap_url(text: &str) -> ImapUrl {
    ImapUrl::parse(text).expect("an IMAP URL")
}

fn trusting(ca: &TestCa) -> SmtpOptions {
    SmtpOptions {
        extra_roots: vec![ca.root.clone()],
        timeout: TIMEOUT,
        ..SmtpOptions::default()
    }
}

fn imap_tls(ca: &TestCa) -> ImapTls {
    ImapTls {
        extra_roots: vec![ca.root.clone()],
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("its address").port()
}

// ---------------------------------------------------------------------------------------------- SMTP

#[tokio::test]
async fn each_recipient_is_one_delivery_and_a_refused_one_says_why() {
    let sink = SmtpSink::start().await;
    sink.refuse("gone@example.org");
    let sender = SmtpSender::new(&smtp_url(&sink.url()), &SmtpOptions::default()).expect("a sender");
    let raw = message("reply-1", "Thank you for writing.");

    let refused = sender
        .send("help@example.com", "gone@example.org", &raw)
        .await
        .expect_err("refused");
    match &refused {
        SmtpError::Refused { code, message } => {
            assert_eq!(*code, 550);
            assert!(message.contains("Recipient address rejected"), "{message}");
        }
        other => panic!("not a refusal: {other:?}"),
    }
    assert!(refused.is_permanent());
    assert!(
        refused
            .to_string()
            .starts_with("the SMTP server refused with 550: 5.1.1 <gone@example.org>"),
        "{refused}"
    );

    let outcome = sender
        .send("help@example.com", "customer@example.org", &raw)
        .await
        .expect("delivered");
    assert_eq!(outcome.code, 250);
    assert!(outcome.message.contains("queued as"), "{}", outcome.message);

    let received = sink.received();
    assert_eq!(received.len(), 1, "only the accepted recipient got the message");
    assert_eq!(received[0].mail_from, "help@example.com");
    assert_eq!(received[0].rcpt_to, ["customer@example.org"]);
    assert_eq!(received[0].data, raw);
    assert!(!received[0].tls && received[0].authenticated.is_none());
}

#[tokio::test]
async fn the_null_sender_and_eight_bit_text_are_sent() {
    let sink = SmtpSink::start().await;
    let sender = SmtpSender::new(&smtp_url(&sink.url()), &SmtpOptions::default()).expect("a sender");
    let raw = message("auto-1", "Grüße — received, thank you.");
    sender.send("", "customer@example.org", &raw).await.expect("delivered");
    let received = sink.received();
    assert_eq!(received[0].mail_from, "", "MAIL FROM:<>");
    assert_eq!(received[0].data, raw);

    let error = sender
        .send("help@example.com", "not an address", &raw)
        .await
        .expect_err("no address");
    assert!(
        matches!(error, SmtpError::Address(_)) && error.is_permanent(),
        "{error:?}"
    );
}

#[tokio::test]
async fn starttls_and_auth_are_used_when_the_server_offers_them() {
    let ca = TestCa::new();
    let options = SinkOptions {
        starttls: Some(ca.server_config()),
        credentials: Some(("help@example.com".into(), "pa:ss word".into())),
        ..SinkOptions::default()
    };
    let sink = SmtpSink::start_with(options).await;
    let url = smtp_url(&sink.url());
    assert!(!url.to_string().contains("pa:ss"), "{url}");

    smtp::check_with(&url, &trusting(&ca))
        .await
        .expect("the connection test passes");
    let sender = SmtpSender::new(&url, &trusting(&ca)).expect("a sender");
    sender
        .send("help@example.com", "customer@example.org", &message("tls-1", "hello"))
        .await
        .expect("delivered");
    let received = sink.received();
    assert!(received[0].tls, "upgraded with STARTTLS");
    assert_eq!(received[0].authenticated.as_deref(), Some("help@example.com"));

    // Without the test CA the certificate is not trusted, and nothing falls back to plain text.
    let untrusting = SmtpOptions {
        timeout: TIMEOUT,
        ..SmtpOptions::default()
    };
    let error = smtp::check_with(&url, &untrusting)
        .await
        .expect_err("an untrusted certificate");
    assert!(matches!(error, SmtpError::Tls { .. }), "{error:?}");
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let ca = TestCa::new();
    let sink = SmtpSink::start_with(SinkOptions {
        implicit_tls: Some(ca.server_config()),
        ..SinkOptions::default()
    })
    .await;
    let url = smtp_url(&sink.url());
    assert!(url.implicit_tls());
    let sender = SmtpSender::new(&url, &trusting(&ca)).expect("a sender");
    sender
        .send("help@example.com", "customer@example.org", &message("smtps-1", "hello"))
        .await
        .expect("delivered");
    assert!(sink.received()[0].tls);
}

#[tokio::test]
async fn a_wrong_smtp_password_is_an_authentication_error() {
    let ca = TestCa::new();
    let options = SinkOptions {
        starttls: Some(ca.server_config()),
        credentials: Some(("help@example.com".into(), "right".into())),
        ..SinkOptions::default()
    };
    let sink = SmtpSink::start_with(options).await;
    let url = smtp_url(&format!(
        "smtp://help%40example.com:wrong-secret@127.0.0.1:{}",
        sink.port()
    ));
    let error = smtp::check_with(&url, &trusting(&ca))
        .await
        .expect_err("refused credentials");
    assert!(matches!(error, SmtpError::Auth { code: Some(535), .. }), "{error:?}");
    assert!(!error.to_string().contains("wrong-secret"), "{error}");

    // Sending without credentials where the server wants them is an authentication problem too.
    let anonymous = smtp_url(&format!("smtp://127.0.0.1:{}", sink.port()));
    let sender = SmtpSender::new(&anonymous, &trusting(&ca)).expect("a sender");
    let error = sender
        .send("a@example.com", "b@example.org", b"Subject: x\r\n\r\nx\r\n")
        .await
        .expect_err("530");
    assert!(matches!(error, SmtpError::Auth { code: Some(530), .. }), "{error:?}");
}

#[tokio::test]
async fn a_closed_port_is_unreachable_and_a_silent_server_times_out() {
    let url = smtp_url(&format!("smtp://127.0.0.1:{}", closed_port()));
    let error = smtp::check_with(&url, &SmtpOptions::default())
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, SmtpError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains("refused"), "{error}");

    // A server that accepts the connection and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = silent.local_addr().expect("its address").port();
    let holding = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    let options = SmtpOptions {
        timeout: Duration::from_millis(500),
        ..SmtpOptions::default()
    };
    let url = smtp_url(&format!("smtp://127.0.0.1:{port}"));
    let sender = SmtpSender::new(&url, &options).expect("a sender");
    let started = Instant::now();
    let error = sender
        .send("a@example.com", "b@example.org", b"Subject: x\r\n\r\nx\r\n")
        .await
        .expect_err("silence");
    assert!(matches!(error, SmtpError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    holding.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_mails_through_pooled_connections() {
    const MAILS: usize = 2_000;
    let sink = SmtpSink::start().await;
    let options = SmtpOptions {
        max_connections: 8,
        ..SmtpOptions::default()
    };
    let sender = SmtpSender::new(&smtp_url(&sink.url()), &options).expect("a sender");
    let raw = message(
        "bulk",
        &"A line of a reply that is about as long as a line of a reply.\r\n".repeat(20),
    );

    let started = Instant::now();
    let results: Vec<_> = futures_util::stream::iter(0..MAILS)
        .map(|index| {
            let (sender, raw) = (&sender, &raw);
            async move {
                sender
                    .send("help@example.com", &format!("customer{index}@example.org"), raw)
                    .await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let failures: Vec<_> = results.iter().filter_map(|result| result.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} failed, the first: {:?}",
        failures.len(),
        failures.first()
    );
    assert_eq!(sink.count(), MAILS);
    let rate = MAILS as f64 / elapsed.as_secs_f64();
    println!(
        "{MAILS} mails through {} connections in {elapsed:.2?}: {rate:.0} mails/s",
        options.max_connections
    );
    // The target is 500/s; this only catches a pool that stopped pooling (a new connection per mail).
    assert!(rate > 100.0, "{rate:.0} mails/s");
    sender.shutdown().await;
}

// ---------------------------------------------------------------------------------------------- IMAP

async fn connect(dovecot: &Dovecot, ca: &TestCa) -> ImapMailbox {
    ImapMailbox::connect_with(&imap_url(&dovecot.imaps_url("INBOX")), TIMEOUT, &imap_tls(ca))
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", dovecot.log()))
}

fn raw_of(unseen: &Unseen) -> &[u8] {
    match unseen {
        Unseen::Message { raw, .. } => raw,
        Unseen::TooLarge { .. } => panic!("not fetched: {unseen:?}"),
    }
}

#[tokio::test]
async fn unseen_messages_are_fetched_without_marking_them_until_marked_seen() {
    let ca = TestCa::new();
    let dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let mut mailbox = connect(&dovecot, &ca).await;
    let sent = [
        message("one", "first"),
        message("two", "second"),
        message("three", "third"),
    ];
    for raw in &sent {
        mailbox.append("INBOX", raw).await.expect("appended");
    }

    let unseen = mailbox.unseen(10, 25 << 20).await.expect("unseen");
    assert_eq!(unseen.len(), 3);
    for (fetched, raw) in unseen.iter().zip(&sent) {
        assert_eq!(raw_of(fetched), raw.as_slice(), "oldest first, byte for byte");
    }
    // BODY.PEEK[] marked nothing seen: the same three again.
    assert_eq!(mailbox.unseen(10, 25 << 20).await.expect("unseen").len(), 3);
    assert_eq!(
        mailbox.unseen(2, 25 << 20).await.expect("unseen").len(),
        2,
        "at most max"
    );

    mailbox.mark_seen(unseen[0].uid()).await.expect("marked seen");
    let left = mailbox.unseen(10, 25 << 20).await.expect("unseen");
    assert_eq!(
        left.iter().map(Unseen::uid).collect::<Vec<_>>(),
        [unseen[1].uid(), unseen[2].uid()]
    );

    // Another connection (as after a restart) sees the same state.
    let mut again = connect(&dovecot, &ca).await;
    assert_eq!(again.unseen(10, 25 << 20).await.expect("unseen").len(), 2);
    again.logout().await.expect("logged out");
    mailbox.logout().await.expect("logged out");
}

#[tokio::test]
async fn imaps_and_starttls_connect_and_an_untrusted_certificate_does_not() {
    let ca = TestCa::new();
    let dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    imap::check_with(&imap_url(&dovecot.imaps_url("INBOX")), TIMEOUT, &imap_tls(&ca))
        .await
        .expect("imaps");
    imap::check_with(&imap_url(&dovecot.imap_url("INBOX")), TIMEOUT, &imap_tls(&ca))
        .await
        .expect("STARTTLS");

    for url in [dovecot.imaps_url("INBOX"), dovecot.imap_url("INBOX")] {
        let error = imap::check_with(&imap_url(&url), TIMEOUT, &ImapTls::default())
            .await
            .expect_err("untrusted");
        assert!(matches!(error, ImapError::Tls { .. }), "{url}: {error:?}");
        assert!(error.to_string().contains("certificate"), "{error}");
    }
}

#[tokio::test]
async fn login_folder_and_connection_failures_say_what_failed() {
    let ca = TestCa::new();
    let dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let tls = imap_tls(&ca);

    let wrong = imap_url(&dovecot.imaps_url_with_password("not-the-password", "INBOX"));
    let error = ImapMailbox::connect_with(&wrong, TIMEOUT, &tls)
        .await
        .expect_err("wrong password");
    assert!(matches!(error, ImapError::Login { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains(&format!("refused the login of {USER}")), "{text}");
    assert!(!text.contains("not-the-password") && !text.contains(PASSWORD), "{text}");

    let missing = imap_url(&dovecot.imaps_url("No Such Folder"));
    let error = ImapMailbox::connect_with(&missing, TIMEOUT, &tls)
        .await
        .expect_err("no folder");
    assert!(
        matches!(&error, ImapError::NoSuchFolder { folder, .. } if folder == "No Such Folder"),
        "{error:?}"
    );

    let closed = imap_url(&format!("imaps://{USER}:x@127.0.0.1:{}/INBOX", closed_port()));
    let error = ImapMailbox::connect_with(&closed, TIMEOUT, &tls)
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, ImapError::Connect { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("could not connect to the IMAP server 127.0.0.1:"),
        "{error}"
    );
}

#[tokio::test]
async fn a_server_going_down_is_a_lost_connection_and_polling_resumes_when_it_returns() {
    let ca = TestCa::new();
    let mut dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let url = imap_url(&dovecot.imaps_url("INBOX"));
    let mut mailbox = connect(&dovecot, &ca).await;
    mailbox
        .append("INBOX", &message("before", "x"))
        .await
        .expect("appended");
    let mut idling = connect(&dovecot, &ca).await;
    let idle = tokio::spawn(async move { idling.idle(TIMEOUT).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    dovecot.stop();

    let error = idle
        .await
        .expect("the idle task")
        .expect_err("the server went away during IDLE");
    assert!(matches!(error, ImapError::ConnectionLost { .. }), "{error:?}");
    let error = mailbox.unseen(10, 25 << 20).await.expect_err("the server is gone");
    assert!(matches!(error, ImapError::ConnectionLost { .. }), "{error:?}");
    let error = ImapMailbox::connect_with(&url, TIMEOUT, &imap_tls(&ca))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, ImapError::Connect { .. }), "{error:?}");

    // Back again: a new connection finds the message still unseen.
    dovecot.start_again();
    let mut mailbox = connect(&dovecot, &ca).await;
    let unseen = mailbox.unseen(10, 25 << 20).await.expect("unseen");
    assert_eq!(raw_of(&unseen[0]), message("before", "x").as_slice());
}

#[tokio::test]
async fn idle_returns_when_mail_arrives_and_times_out_when_none_does() {
    let ca = TestCa::new();
    let dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let mut watching = connect(&dovecot, &ca).await;
    assert!(watching.supports_idle());

    let started = Instant::now();
    assert_eq!(
        watching.idle(Duration::from_millis(700)).await.expect("idled"),
        IdleOutcome::TimedOut
    );
    assert!(started.elapsed() >= Duration::from_millis(650));

    let mut delivering = connect(&dovecot, &ca).await;
    let delivery = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        delivering
            .append("INBOX", &message("while-idle", "new mail"))
            .await
            .expect("appended");
        delivering
    });
    let started = Instant::now();
    assert_eq!(watching.idle(TIMEOUT).await.expect("idled"), IdleOutcome::Changed);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "woken by the new mail, not the timeout"
    );
    delivery.await.expect("the delivery task");

    // The connection is usable after IDLE, and the new message is there.
    let unseen = watching.unseen(10, 25 << 20).await.expect("unseen");
    assert_eq!(unseen.len(), 1);
    assert_eq!(raw_of(&unseen[0]), message("while-idle", "new mail").as_slice());
}

#[tokio::test]
async fn a_message_over_the_limit_is_not_downloaded_and_is_moved_aside() {
    let ca = TestCa::new();
    let dovecot = Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let mut mailbox = connect(&dovecot, &ca).await;
    let large = message("large", &"x".repeat(64 * 1024));
    mailbox
        .append("INBOX", &message("small", "fits"))
        .await
        .expect("appended");
    mailbox.append("INBOX", &large).await.expect("appended");
    mailbox
        .append("INBOX", &message("large-2", &"y".repeat(64 * 1024)))
        .await
        .expect("appended");

    let unseen = mailbox.unseen(10, 32 * 1024).await.expect("unseen");
    assert!(matches!(&unseen[0], Unseen::Message { .. }));
    let Unseen::TooLarge { uid, size } = unseen[1] else {
        panic!("{:?}", unseen[1])
    };
    assert_eq!(size, large.len() as u64);
    assert!(matches!(&unseen[2], Unseen::TooLarge { .. }));

    // The first move creates the folder, the second finds it.
    mailbox.move_aside(uid, "ferrodesk-refused").await.expect("moved aside");
    mailbox
        .move_aside(unseen[2].uid(), "ferrodesk-refused")
        .await
        .expect("moved aside");
    let left = mailbox.unseen(10, 32 * 1024).await.expect("unseen");
    assert_eq!(left.iter().map(Unseen::uid).collect::<Vec<_>>(), [unseen[0].uid()]);

    let aside = imap_url(&dovecot.imaps_url("ferrodesk-refused"));
    let mut refused = ImapMailbox::connect_with(&aside, TIMEOUT, &imap_tls(&ca))
        .await
        .expect("the folder exists");
    let moved = refused.unseen(10, 1 << 20).await.expect("unseen");
    assert_eq!(moved.len(), 2, "still unseen there, for a person to look at");
    assert_eq!(raw_of(&moved[0]), large.as_slice());
}

#[tokio::test]
async fn without_move_or_idle_messages_are_copied_and_expunged() {
    let ca = TestCa::new();
    // A server that offers neither MOVE nor IDLE (nor UIDPLUS): COPY, \Deleted and a plain EXPUNGE.
    let capabilities = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT THREAD=REFERENCES MULTIAPPEND UNSELECT \
                        CHILDREN NAMESPACE LITERAL+";
    let options = DovecotOptions {
        capabilities: Some(capabilities.to_owned()),
    };
    let dovecot = Dovecot::start_with(&ca.cert_pem, &ca.key_pem, &options);
    let mut mailbox = connect(&dovecot, &ca).await;
    assert!(!mailbox.supports_idle());
    let error = mailbox.idle(Duration::from_millis(100)).await.expect_err("no IDLE");
    assert!(error.to_string().contains("does not offer IDLE"), "{error}");

    mailbox.append("INBOX", &message("keep", "x")).await.expect("appended");
    mailbox.append("INBOX", &message("aside", "y")).await.expect("appended");
    let unseen = mailbox.unseen(10, 1 << 20).await.expect("unseen");
    mailbox
        .move_aside(unseen[1].uid(), "ferrodesk-refused")
        .await
        .expect("copied and expunged");
    let left = mailbox.unseen(10, 1 << 20).await.expect("unseen");
    assert_eq!(left.iter().map(Unseen::uid).collect::<Vec<_>>(), [unseen[0].uid()]);

    let aside = imap_url(&dovecot.imaps_url("ferrodesk-refused"));
    let mut refused = ImapMailbox::connect_with(&aside, TIMEOUT, &imap_tls(&ca))
        .await
        .expect("the folder exists");
    let moved = refused.unseen(10, 1 << 20).await.expect("unseen");
    assert_eq!(moved.len(), 1);
    assert_eq!(raw_of(&moved[0]), message("aside", "y").as_slice());
}
