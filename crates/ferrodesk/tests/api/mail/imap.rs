//! IMAP polling inside `serve` (SPEC §10) against dovecot: unseen mail becomes tickets and is marked seen only
//! once stored; a wrong password shows on the mailbox and polling resumes once it is fixed; a message over
//! 25 MiB is moved aside.
use super::*;
use integrations::mail::imap::{ImapMailbox, ImapTls, ImapUrl};

struct ImapDesk {
    desk: MailDesk,
    dovecot: dovecot::Dovecot,
    tls: ImapTls,
    _ca_dir: tempfile::TempDir,
}

async fn imap_desk() -> ImapDesk {
    let ca = certs::TestCa::new();
    let (ca_dir, ca_path) = ca_file(&ca);
    let dovecot = dovecot::Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let desk = MailDesk::start_with(|s| {
        s.mail_ca_file = Some(ca_path);
        s.mail_poll_secs = 1;
    })
    .await;
    ImapDesk {
        desk,
        dovecot,
        tls: ImapTls {
            extra_roots: vec![ca.root.clone()],
        },
        _ca_dir: ca_dir,
    }
}

impl ImapDesk {
    /// A session on the test user's inbox, as another mail client.
    async fn inbox(&self, folder: &str) -> ImapMailbox {
        let url = ImapUrl::parse(&self.dovecot.imaps_url(folder)).expect("url");
        ImapMailbox::connect_with(&url, Duration::from_secs(10), &self.tls)
            .await
            .expect("connect")
    }

    async fn poll_with(&self, imap_url: String) -> Mailbox {
        self.desk
            .server
            .admin
            .update_mailbox(
                self.desk.mailbox.id,
                &MailboxPatch {
                    imap_url: Some(Some(imap_url)),
                    ..Default::default()
                },
            )
            .await
            .expect("set the IMAP URL")
    }

    /// Waits until `count` tickets exist.
    async fn tickets(&self, count: usize) -> Vec<Ticket> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let found = self
                .desk
                .server
                .admin
                .tickets(&TicketQuery::default())
                .await
                .expect("tickets");
            if found.data.len() >= count {
                return found.data;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "only {} tickets",
                found.data.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the mailbox's last poll satisfies `done`.
    async fn mailbox_where(&self, what: &str, done: impl Fn(&Mailbox) -> bool) -> Mailbox {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let m = self
                .desk
                .server
                .admin
                .mailbox(self.desk.mailbox.id)
                .await
                .expect("mailbox");
            if done(&m) {
                return m;
            }
            assert!(std::time::Instant::now() < deadline, "{what}: {m:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn unseen_mail_becomes_tickets_and_is_seen_only_once_stored() {
    let mut t = imap_desk().await;
    let mut inbox = t.inbox("INBOX").await;
    for n in 0..3 {
        let raw = message(
            "pat@customer.example",
            &t.desk.mailbox.address,
            &format!("By IMAP {n}"),
            &new_id(),
            "",
            "Hello",
        );
        inbox.append("INBOX", &raw).await.expect("append");
    }
    t.poll_with(t.dovecot.imaps_url("INBOX")).await;
    let tickets = t.tickets(3).await;
    assert_eq!(tickets.len(), 3);
    let polled = t
        .mailbox_where("a poll that worked", |m| m.last_polled_at.is_some())
        .await;
    assert_eq!(polled.last_error, None);
    // Stored, then marked seen: nothing unseen is left for another client.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !inbox.unseen(10, 1 << 20).await.expect("unseen").is_empty() {
        assert!(std::time::Instant::now() < deadline, "messages stay unseen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // New mail while the poller waits (IDLE) arrives too.
    let raw = message(
        "pat@customer.example",
        &t.desk.mailbox.address,
        "While idle",
        &new_id(),
        "",
        "Hi",
    );
    inbox.append("INBOX", &raw).await.expect("append");
    assert_eq!(t.tickets(4).await.len(), 4);
    t.dovecot.stop();
}

#[tokio::test]
async fn a_wrong_password_shows_on_the_mailbox_and_polling_resumes_when_fixed() {
    let mut t = imap_desk().await;
    let mut inbox = t.inbox("INBOX").await;
    let raw = message(
        "pat@customer.example",
        &t.desk.mailbox.address,
        "Waiting",
        &new_id(),
        "",
        "Hello",
    );
    inbox.append("INBOX", &raw).await.expect("append");
    t.poll_with(t.dovecot.imaps_url_with_password("wrong", "INBOX")).await;
    let failing = t
        .mailbox_where("the login failure recorded", |m| m.last_error.is_some())
        .await;
    let error = failing.last_error.unwrap_or_default();
    assert!(error.contains("refused the login"), "{error}");
    assert!(!error.contains("wrong"), "no password in the error: {error}");
    assert!(
        t.desk
            .server
            .admin
            .tickets(&TicketQuery::default())
            .await
            .expect("tickets")
            .data
            .is_empty()
    );

    t.poll_with(t.dovecot.imaps_url("INBOX")).await;
    assert_eq!(t.tickets(1).await.len(), 1);
    t.mailbox_where("the error cleared", |m| m.last_error.is_none()).await;
    t.dovecot.stop();
}

#[tokio::test]
async fn a_message_over_25_mib_is_moved_aside() {
    let mut t = imap_desk().await;
    let mut inbox = t.inbox("INBOX").await;
    let mut huge = message(
        "pat@customer.example",
        &t.desk.mailbox.address,
        "Huge",
        &new_id(),
        "",
        "x",
    );
    huge.extend(std::iter::repeat_n(b'a', 26 * 1024 * 1024));
    huge.extend(b"\r\n");
    inbox.append("INBOX", &huge).await.expect("append");
    let small = message(
        "pat@customer.example",
        &t.desk.mailbox.address,
        "Small",
        &new_id(),
        "",
        "x",
    );
    inbox.append("INBOX", &small).await.expect("append");
    t.poll_with(t.dovecot.imaps_url("INBOX")).await;
    let tickets = t.tickets(1).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].title, "Small");
    let aside_url = ImapUrl::parse(&t.dovecot.imaps_url(ferrodesk::mail_in::REFUSED_FOLDER)).expect("url");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        // The folder exists once the poller has moved the message there.
        if let Ok(mut aside) = ImapMailbox::connect_with(&aside_url, Duration::from_secs(10), &t.tls).await
            && aside.unseen(10, 1).await.expect("unseen").len() == 1
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the huge message was not moved aside"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    t.dovecot.stop();
}
