//! `/api/v1/mailboxes` (SPEC §10, §9): admin only, secrets masked everywhere, checked URLs, and a test that
//! connects to the servers and says what failed.
use super::*;

#[tokio::test]
async fn mailboxes_are_admin_records_with_masked_secrets() {
    let s = TestServer::start().await;
    let (brand, department, _) = mailbox_of(&s, &slug("masks")).await;
    let created = s
        .admin
        .create_mailbox(&NewMailbox {
            brand_id: brand.id,
            address: "  Billing@Masks.Example ".into(),
            department_id: department.id,
            imap_url: Some("imaps://desk%40masks.example:imap%20secret@imap.masks.example/INBOX".into()),
            smtp_url: Some("smtp://desk:smtp-secret@smtp.masks.example:587".into()),
            active: None,
        })
        .await
        .expect("mailbox");
    assert_eq!(created.address, "billing@masks.example", "addresses are kept lowercase");
    assert!(created.active, "active by default");
    let shown = serde_json::to_string(&s.admin.mailbox(created.id).await.expect("mailbox")).expect("json");
    assert!(!shown.contains("secret"), "{shown}");
    assert!(
        shown.contains("imaps://desk%40masks.example:********@imap.masks.example/INBOX"),
        "{shown}"
    );
    assert!(shown.contains("smtp://desk:********@smtp.masks.example:587"), "{shown}");
    let listed = s.admin.mailboxes(Some(brand.id)).await.expect("list");
    assert_eq!(listed.data.len(), 2);
    assert!(!serde_json::to_string(&listed).expect("json").contains("secret"));
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("mailbox".into()),
            entity_id: Some(created.id),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(events.data.len(), 1);
    assert!(
        !serde_json::to_string(&events).expect("json").contains("secret"),
        "the event log masks too"
    );

    // A URL sent back with its password masked keeps the stored password; a new one replaces it.
    let moved = s
        .admin
        .update_mailbox(
            created.id,
            &MailboxPatch {
                smtp_url: Some(Some("smtp://desk:********@smtp2.masks.example:2525".into())),
                imap_url: Some(None),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(
        moved.smtp_url.as_deref(),
        Some("smtp://desk:********@smtp2.masks.example:2525")
    );
    assert_eq!(moved.imap_url, None, "null clears a URL");

    // Agents, end users and strangers see no mailboxes.
    let agent = s.agent().await;
    assert_code(agent.mailboxes(None).await, ErrorCode::NotFound);
    assert_code(agent.mailbox(created.id).await, ErrorCode::NotFound);
    assert_code(s.anonymous().mailboxes(None).await, ErrorCode::Unauthenticated);

    s.admin.delete_mailbox(created.id).await.expect("delete");
    assert_code(s.admin.mailbox(created.id).await, ErrorCode::NotFound);
}

#[tokio::test]
async fn bad_mailboxes_are_refused_field_by_field() {
    let s = TestServer::start().await;
    let (brand, department, existing) = mailbox_of(&s, &slug("refusals")).await;
    let (_, other_department, _) = mailbox_of(&s, &slug("others")).await;
    let refused = |body: NewMailbox| {
        let admin = s.admin.clone();
        async move { assert_code(admin.create_mailbox(&body).await, ErrorCode::ValidationFailed) }
    };
    let base = NewMailbox {
        brand_id: brand.id,
        address: format!("{}@refusals.example", unique("a").to_lowercase()),
        department_id: department.id,
        ..Default::default()
    };
    let p = refused(NewMailbox {
        address: "not an address".into(),
        ..base.clone()
    })
    .await;
    assert!(p.errors.iter().any(|e| e.field == "address"), "{p:?}");
    let p = refused(NewMailbox {
        imap_url: Some("http://imap.example/INBOX".into()),
        smtp_url: Some("smtp://".into()),
        ..base.clone()
    })
    .await;
    assert!(p.errors.iter().any(|e| e.field == "imap_url"), "{p:?}");
    assert!(p.errors.iter().any(|e| e.field == "smtp_url"), "{p:?}");
    let p = refused(NewMailbox {
        department_id: other_department.id,
        ..base.clone()
    })
    .await;
    assert!(p.errors.iter().any(|e| e.field == "department_id"), "{p:?}");
    let p = refused(NewMailbox {
        address: existing.address.to_uppercase(),
        ..base.clone()
    })
    .await;
    assert!(
        p.errors.iter().any(|e| e.field == "address"),
        "one mailbox per address: {p:?}"
    );
    let unknown: Result<Mailbox, _> = s
        .admin
        .post(
            "/api/v1/mailboxes",
            &serde_json::json!({"brand_id": brand.id, "address": "x@y.example", "department_id": department.id, "colour": "red"}),
        )
        .await;
    assert_code(unknown, ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn the_test_says_which_server_failed_and_why() {
    let ca = certs::TestCa::new();
    let (_ca_dir, ca_path) = ca_file(&ca);
    let desk = MailDesk::start_with(|s| s.mail_ca_file = Some(ca_path)).await;
    let s = &desk.server;
    // The installation's SMTP server (the sink) answers; no IMAP server is set.
    let checked = s.admin.test_mailbox(desk.mailbox.id).await.expect("test");
    assert!(checked.ok, "{checked:?}");
    assert_eq!(checked.smtp.status, "ok");
    assert_eq!(checked.imap.status, "not_configured");

    // Nothing listens on this port; the IMAP server refuses the password.
    let closed = crate::process::free_port();
    let mut dovecot = dovecot::Dovecot::start(&ca.cert_pem, &ca.key_pem);
    let wrong_password = dovecot.imaps_url_with_password("not the password", "INBOX");
    s.admin
        .update_mailbox(
            desk.mailbox.id,
            &MailboxPatch {
                smtp_url: Some(Some(format!("smtp://desk:pw@127.0.0.1:{closed}"))),
                imap_url: Some(Some(wrong_password)),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    let checked = s.admin.test_mailbox(desk.mailbox.id).await.expect("test");
    assert!(!checked.ok);
    assert_eq!(checked.smtp.status, "failed");
    let smtp_error = checked.smtp.error.clone().unwrap_or_default();
    assert!(smtp_error.contains("connect"), "{checked:?}");
    assert_eq!(checked.imap.status, "failed");
    let imap_error = checked.imap.error.clone().unwrap_or_default();
    assert!(imap_error.contains("refused the login"), "{checked:?}");
    assert!(
        !serde_json::to_string(&checked).expect("json").contains(":pw@"),
        "no password in the answer"
    );
    // The mask every answer uses, so the URL sent back as shown keeps the stored password.
    assert_eq!(
        checked.smtp.url.as_deref(),
        Some(format!("smtp://desk:********@127.0.0.1:{closed}").as_str()),
        "{checked:?}"
    );

    // The right password, sent back masked for the SMTP server: both answer.
    s.admin
        .update_mailbox(
            desk.mailbox.id,
            &MailboxPatch {
                smtp_url: Some(Some(desk.sink.url())),
                imap_url: Some(Some(dovecot.imaps_url("INBOX"))),
                ..Default::default()
            },
        )
        .await
        .expect("update");
    let checked = s.admin.test_mailbox(desk.mailbox.id).await.expect("test");
    assert!(checked.ok, "{checked:?}");
    assert_eq!(checked.imap.status, "ok");
    dovecot.stop();
}
