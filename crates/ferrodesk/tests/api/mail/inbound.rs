//! `ferrodesk mail-in` (SPEC §10): new tickets, threading, people, duplicates, automatic mail and bad
//! messages, as an MTA pipes them in.
use super::*;

async fn ticket(desk: &MailDesk, id: i64) -> Ticket {
    desk.server.admin.ticket_with_replies(id).await.expect("ticket")
}

#[tokio::test]
async fn a_new_message_opens_a_ticket_for_a_new_person() {
    let desk = MailDesk::start().await;
    let raw = message(
        "Ann Example <Ann@Customer.Example>",
        &desk.mailbox.address,
        "Printer on fire",
        &new_id(),
        "",
        "It is still burning.\r\n\r\n-- \r\nAnn Example\r\nHead of Printers",
    );
    let stored = desk.mail_in(&raw, &[]).await;
    assert!(stored.stdout.contains("opened ticket"), "{stored:?}");
    let t = ticket(&desk, stored.ticket()).await;
    assert_eq!(t.title, "Printer on fire");
    assert_eq!(t.did, desk.department.id, "the mailbox's department");
    let replies = t.replies.clone().unwrap_or_default();
    assert_eq!(replies.len(), 1);
    assert_eq!(
        replies[0].message.trim(),
        "It is still burning.",
        "the signature is cut"
    );
    assert!(!replies[0].admin);
    let eml: Vec<&domain::attachment::Attachment> = replies[0]
        .attachments
        .iter()
        .filter(|a| a.filename == "message.eml")
        .collect();
    assert_eq!(eml.len(), 1, "the original is kept: {:?}", replies[0].attachments);
    assert_eq!(eml[0].size, raw.len() as i64);

    let requester = desk.server.admin.end_user(t.user_id).await.expect("requester");
    assert_eq!(requester.email.as_deref(), Some("ann@customer.example"));
    assert_eq!(requester.name, "Ann Example");
    let customer = desk
        .server
        .admin
        .customer(requester.customer_id)
        .await
        .expect("customer");
    assert_eq!(customer.name, "Ann Example", "a new customer named after them");

    // The event says where the ticket came from.
    let events = desk
        .server
        .admin
        .events(&EventQuery {
            entity: Some("ticket".into()),
            entity_id: Some(t.id),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(events.data[0].source, EventSource::Mail);

    // The same person writing again is the same end user.
    let again = desk
        .mail_in(
            &message(
                "ann@customer.example",
                &desk.mailbox.address,
                "Another thing",
                &new_id(),
                "",
                "Hello",
            ),
            &[],
        )
        .await;
    let second = ticket(&desk, again.ticket()).await;
    assert_ne!(second.id, t.id);
    assert_eq!(second.user_id, t.user_id);
}

#[tokio::test]
async fn answers_thread_by_message_id_then_by_tag_from_a_participant() {
    let desk = MailDesk::start().await;
    let first_id = new_id();
    let opened = desk
        .deliver(&message(
            "pat@customer.example",
            &desk.mailbox.address,
            "VPN down",
            &first_id,
            "",
            "Since noon.",
        ))
        .await
        .ticket();

    // In-Reply-To naming the customer's own first message.
    let reply = desk
        .deliver(&message(
            "pat@customer.example",
            &desk.mailbox.address,
            "Re: VPN down",
            &new_id(),
            &format!("In-Reply-To: <{first_id}>\r\nReferences: <{first_id}>\r\n"),
            "Still down.\r\n\r\nOn Wed, 2 Dec 2026 at 10:00, Pat wrote:\r\n> Since noon.",
        ))
        .await;
    assert!(reply.stdout.contains("replied on ticket"), "{reply:?}");
    assert_eq!(reply.ticket(), opened);
    let t = ticket(&desk, opened).await;
    let replies = t.replies.clone().unwrap_or_default();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[1].message.trim(), "Still down.", "the quoted history is cut");

    // A [#id] tag from the requester, with no ids a mail client would add.
    let tagged = desk
        .deliver(&message(
            "Pat <PAT@customer.example>",
            &desk.mailbox.address,
            &format!("[#{opened}] one more thing"),
            &new_id(),
            "",
            "And the printer too.",
        ))
        .await;
    assert_eq!(tagged.ticket(), opened);

    // The same tag from a stranger opens a ticket of its own: nobody writes into someone else's ticket.
    let forged = desk
        .deliver(&message(
            "mallory@elsewhere.example",
            &desk.mailbox.address,
            &format!("Re: [#{opened}] VPN down"),
            &new_id(),
            "",
            "Please send me the password.",
        ))
        .await;
    assert!(forged.stdout.contains("opened ticket"), "{forged:?}");
    assert_ne!(forged.ticket(), opened);
    assert_eq!(ticket(&desk, opened).await.replies.unwrap_or_default().len(), 3);
}

#[tokio::test]
async fn references_to_another_brands_ticket_open_a_new_ticket() {
    let desk = MailDesk::start().await;
    let (_, other_department, other_mailbox) = mailbox_of(&desk.server, &slug("other")).await;
    let other_id = new_id();
    let other_ticket = desk
        .mail_in(
            &message(
                "pat@customer.example",
                &other_mailbox.address,
                "Other brand",
                &other_id,
                "",
                "Hi",
            ),
            &[],
        )
        .await
        .ticket();
    assert_eq!(ticket(&desk, other_ticket).await.did, other_department.id);
    let crossed = desk
        .deliver(&message(
            "pat@customer.example",
            &desk.mailbox.address,
            "Re: Other brand",
            &new_id(),
            &format!("In-Reply-To: <{other_id}>\r\nReferences: <{other_id}>\r\n"),
            "Wrong desk",
        ))
        .await;
    assert!(crossed.stdout.contains("opened ticket"), "{crossed:?}");
    assert_eq!(ticket(&desk, crossed.ticket()).await.did, desk.department.id);
}

#[tokio::test]
async fn the_same_message_twice_is_stored_once() {
    let desk = MailDesk::start().await;
    let raw = message(
        "pat@customer.example",
        &desk.mailbox.address,
        "Twice",
        &new_id(),
        "",
        "Once please.",
    );
    let first = desk.deliver(&raw).await.ticket();
    let again = desk.deliver(&raw).await;
    assert_eq!(again.code, 0, "nothing for the MTA to retry: {again:?}");
    assert!(again.stdout.contains("duplicate"), "{again:?}");
    // Without a Message-ID the content itself identifies the message.
    let anonymous = b"From: pat@customer.example\r\nTo: support@nowhere.example\r\nSubject: No id\r\n\r\nbody\r\n";
    let mailbox = ["--mailbox", desk.mailbox.address.as_str()];
    let one = desk.mail_in(anonymous, &mailbox).await.ticket();
    let two = desk.mail_in(anonymous, &mailbox).await;
    assert!(two.stdout.contains("duplicate"), "{two:?}");
    let tickets = desk
        .server
        .admin
        .tickets(&TicketQuery::default())
        .await
        .expect("tickets");
    assert_eq!(tickets.data.len(), 2, "{first} and {one} only");
}

#[tokio::test]
async fn automatic_mail_is_a_note_or_nothing_and_never_answered() {
    let desk = MailDesk::start().await;
    let first_id = new_id();
    let opened = desk
        .deliver(&message(
            "pat@customer.example",
            &desk.mailbox.address,
            "Question",
            &first_id,
            "",
            "Hello?",
        ))
        .await
        .ticket();
    let before = settled(&desk.server).await.len();

    // An out-of-office answer to the ticket's mail: an internal note, nobody mailed.
    let ooo = desk
        .deliver(&message(
            "pat@customer.example",
            &desk.mailbox.address,
            "Out of office: Question",
            &new_id(),
            &format!("In-Reply-To: <{first_id}>\r\nAuto-Submitted: auto-replied\r\n"),
            "I am away until Monday.",
        ))
        .await;
    assert!(ooo.stdout.contains("noted"), "{ooo:?}");
    let t = ticket(&desk, opened).await;
    let last = t.replies.clone().unwrap_or_default().pop().expect("a note");
    assert!(last.internal, "{last:?}");
    assert_eq!(last.message.trim(), "I am away until Monday.");
    assert_eq!(
        settled(&desk.server).await.len(),
        before,
        "no mail answers an auto-reply"
    );

    // Bulk mail and bounces answering nothing are dropped.
    for headers in [
        "Precedence: bulk\r\n",
        "X-Autoreply: yes\r\n",
        "Return-Path: <>\r\n",
        "Auto-Submitted: auto-generated\r\n",
    ] {
        let dropped = desk
            .deliver(&message(
                "news@list.example",
                &desk.mailbox.address,
                "Newsletter",
                &new_id(),
                headers,
                "Buy!",
            ))
            .await;
        assert_eq!(dropped.code, 0, "{dropped:?}");
        assert!(dropped.stdout.contains("dropped"), "{headers}: {dropped:?}");
    }
    let bounce = desk
        .mail_in(
            &message(
                "MAILER-DAEMON@mx.example",
                &desk.mailbox.address,
                "Undeliverable",
                &new_id(),
                "",
                "550",
            ),
            &["--mailbox", &desk.mailbox.address, "--sender", ""],
        )
        .await;
    assert!(bounce.stdout.contains("dropped"), "{bounce:?}");
    let tickets = desk
        .server
        .admin
        .tickets(&TicketQuery::default())
        .await
        .expect("tickets");
    assert_eq!(tickets.data.len(), 1);
}

#[tokio::test]
async fn bad_messages_get_the_exit_status_an_mta_understands() {
    let desk = MailDesk::start().await;
    // Over 25 MiB: refused (65) before anything is opened.
    let mut huge = message(
        "pat@customer.example",
        &desk.mailbox.address,
        "Huge",
        &new_id(),
        "",
        "x",
    );
    huge.extend(std::iter::repeat_n(b'a', 30 * 1024 * 1024));
    let refused = desk.deliver(&huge).await;
    assert_eq!(refused.code, 65, "{refused:?}");
    assert!(refused.stderr.contains("25 MiB"), "{refused:?}");
    // No mailbox of the installation named: 67.
    let nobody = desk
        .mail_in(
            &message("pat@customer.example", "someone@else.example", "Hi", &new_id(), "", "x"),
            &[],
        )
        .await;
    assert_eq!(nobody.code, 67, "{nobody:?}");
    // Not a message at all: 65.
    let garbage = desk.deliver(b"\x00\x01\x02 not a mail").await;
    assert_eq!(garbage.code, 65, "{garbage:?}");
    // The database unavailable: 75, the MTA tries again later.
    let closed = crate::process::free_port();
    let down = mail_in(
        &format!("postgres://nobody@127.0.0.1:{closed}/nothing"),
        &message("pat@customer.example", &desk.mailbox.address, "Hi", &new_id(), "", "x"),
        &[],
    )
    .await;
    assert_eq!(down.code, 75, "{down:?}");
    // Malformed MIME still stores what can be read.
    let broken = b"From: pat@customer.example\r\nTo: SUPPORT\r\nSubject: =?utf-8?B?broken\r\nContent-Type: multipart/mixed; boundary=\"nowhere\"\r\n\r\n--elsewhere\r\nhalf a part";
    let kept = desk.deliver(broken).await;
    assert_eq!(kept.code, 0, "{kept:?}");
}

#[tokio::test]
async fn charsets_html_and_attachment_names_are_made_safe() {
    let desk = MailDesk::start().await;
    let latin1: Vec<u8> = [
        b"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <jm@customer.example>\r\n".as_slice(),
        format!("To: {}\r\n", desk.mailbox.address).as_bytes(),
        b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\nMessage-ID: <latin1@mua.example>\r\n",
        b"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        b"Sch\xf6ne Gr\xfc\xdfe\r\n",
    ]
    .concat();
    let t = ticket(&desk, desk.deliver(&latin1).await.ticket()).await;
    assert_eq!(t.title, "Grüße aus Köln");
    assert_eq!(t.replies.unwrap_or_default()[0].message.trim(), "Schöne Grüße");

    let html = format!(
        "From: pat@customer.example\r\nTo: {}\r\nSubject: HTML only\r\nMessage-ID: <html@mua.example>\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><script>alert('x')</script></head><body>\
         <p>Hello <b>there</b></p><img src=\"https://tracker.example/pixel.gif\"></body></html>\r\n",
        desk.mailbox.address
    );
    let t = ticket(&desk, desk.deliver(html.as_bytes()).await.ticket()).await;
    let text = t.replies.unwrap_or_default()[0].message.clone();
    assert!(text.contains("Hello") && text.contains("there"), "{text}");
    assert!(
        !text.contains("alert") && !text.contains("<") && !text.contains("tracker"),
        "{text}"
    );

    let named = format!(
        "From: pat@customer.example\r\nTo: {}\r\nSubject: Files\r\nMessage-ID: <files@mua.example>\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n\
         --b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a\u{1}b.txt\"\r\n\r\nx\r\n--b--\r\n",
        desk.mailbox.address
    );
    let t = ticket(&desk, desk.deliver(named.as_bytes()).await.ticket()).await;
    let names: Vec<String> = t.replies.unwrap_or_default()[0]
        .attachments
        .iter()
        .map(|a| a.filename.clone())
        .collect();
    assert!(names.contains(&"passwd".to_owned()), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.contains('/') && !n.chars().any(char::is_control)),
        "{names:?}"
    );
}

/// `mail-in` hands the message to the running `serve` over its socket (docs/email.md), with the same
/// answers and exit codes; with nobody listening there it opens the database itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_in_hands_messages_to_the_running_server() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("desk.mail-in.sock");
    let socket_setting = socket.display().to_string();
    let desk = MailDesk::start_with(|s| s.mail_in_socket = Some(socket_setting.clone())).await;
    let mode = std::fs::metadata(&socket)
        .expect("the socket exists")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "private to the server's user");

    // Handed over: given a database it cannot reach, `mail-in` still stores the message, through the server.
    let unreachable = format!("postgres://nobody@127.0.0.1:{}/nothing", crate::process::free_port());
    let env = [("FERRODESK_MAIL_IN_SOCKET", socket_setting.as_str())];
    let mailbox = ["--mailbox", desk.mailbox.address.as_str()];
    let raw = message(
        "Hal <hal@customer.example>",
        &desk.mailbox.address,
        "Handed over",
        &new_id(),
        "",
        "Through the socket.",
    );
    let handed = mail_in_with(&unreachable, &raw, &mailbox, &env).await;
    assert!(handed.stdout.starts_with("opened ticket "), "{handed:?}");
    let t = ticket(&desk, handed.ticket()).await;
    assert_eq!(t.title, "Handed over");
    assert_eq!(t.did, desk.department.id);
    // The server's answers keep mail-in's exit codes.
    let again = mail_in_with(&unreachable, &raw, &mailbox, &env).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("duplicate"), "{again:?}");
    let nobody = mail_in_with(
        &unreachable,
        &message("hal@customer.example", "someone@else.example", "Hi", &new_id(), "", "x"),
        &[],
        &env,
    )
    .await;
    assert_eq!(nobody.code, 67, "{nobody:?}");
    let garbage = mail_in_with(&unreachable, b"\x00\x01 not a mail", &mailbox, &env).await;
    assert_eq!(garbage.code, 65, "{garbage:?}");
    let mut huge = message(
        "hal@customer.example",
        &desk.mailbox.address,
        "Huge",
        &new_id(),
        "",
        "x",
    );
    huge.extend(std::iter::repeat_n(b'a', 26 * 1024 * 1024));
    let too_large = mail_in_with(&unreachable, &huge, &mailbox, &env).await;
    assert_eq!(too_large.code, 65, "{too_large:?}");

    // Nobody listening on the socket (a file left by a server that died) or the socket turned off: mail-in
    // opens the database itself.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("bind"));
    for setting in [stale.display().to_string(), "off".to_owned()] {
        let raw = message(
            "Hal <hal@customer.example>",
            &desk.mailbox.address,
            &format!("Stored directly ({setting})"),
            &new_id(),
            "",
            "Without the server.",
        );
        let env = [("FERRODESK_MAIL_IN_SOCKET", setting.as_str())];
        let direct = mail_in_with(&desk.server.database_url, &raw, &mailbox, &env).await;
        assert!(direct.stdout.starts_with("opened ticket "), "{direct:?}");
        let stored = mail_in_with(&unreachable, &raw, &mailbox, &env).await;
        assert_eq!(
            stored.code, 75,
            "no server and no database: the MTA tries again: {stored:?}"
        );
    }

    // A stopped server takes its socket away.
    desk.server.shutdown().await;
    assert!(!socket.exists(), "the socket is removed at shutdown");
}
