//! Outbound mail (SPEC §10): acknowledgements, staff replies to the requester, notifications to agents,
//! threading headers a mail client follows, refusals per recipient, and no loops between two desks.
use super::*;

/// A staff member with a password (so they are a person with an address).
async fn agent(s: &TestServer, email: &str, department_ids: Option<Vec<i64>>) -> Staff {
    s.admin
        .create_staff(&NewStaff {
            email: email.into(),
            name: format!("Agent {email}"),
            role: Role::Agent,
            password: "a long enough password".into(),
            department_ids,
        })
        .await
        .expect("staff")
}

#[tokio::test]
async fn a_conversation_by_mail_threads_in_the_customers_mail_client() {
    let desk = MailDesk::start().await;
    let s = &desk.server;
    let member = agent(s, "member@desk.example", Some(vec![desk.department.id])).await;
    agent(s, "other@desk.example", None).await;
    let customer = "ann@customer.example";
    let first_id = new_id();
    let opened = desk
        .deliver(&message(
            &format!("Ann <{customer}>"),
            &desk.mailbox.address,
            "Invoice question",
            &first_id,
            "",
            "Why two invoices?",
        ))
        .await
        .ticket();

    // The acknowledgement: automatic, from the mailbox with the brand's name, [#id] in the subject, answering
    // the customer's message.
    let acks = mails_to(&desk.sink, customer, 1).await;
    assert_eq!(acks.len(), 1);
    let ack = &acks[0];
    assert_eq!(ack.subject(), format!("[#{opened}] Invoice question"));
    assert_eq!(ack.header("Auto-Submitted").as_deref(), Some("auto-replied"));
    assert!(
        ack.mail_from.is_empty(),
        "null return path for an automatic mail: {}",
        ack.mail_from
    );
    let from = ack.header("From").unwrap_or_default();
    assert!(
        from.contains(&desk.mailbox.address) && from.contains(&desk.brand.name),
        "{from}"
    );
    assert_eq!(ack.in_reply_to(), vec![first_id.clone()]);
    assert!(ack.text().contains(&format!("#{opened}")), "{}", ack.text());
    let parsed = ack.parsed();
    assert!(parsed.body_html(0).is_some(), "an HTML alternative");

    // The department's member is told, the other agent is not (the department has members).
    let told = mails_to(&desk.sink, "member@desk.example", 1).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].header("Auto-Submitted").is_none());
    assert!(told[0].text().contains("Why two invoices?"), "{}", told[0].text());
    assert!(mails_to(&desk.sink, "other@desk.example", 0).await.is_empty());

    // The agent answers in the console: the customer gets it, threaded after what came before.
    s.admin
        .reply(
            opened,
            &NewReply {
                message: "One is a credit note.".into(),
                ..Default::default()
            },
        )
        .await
        .expect("reply");
    let mails = mails_to(&desk.sink, customer, 2).await;
    assert_eq!(mails.len(), 2, "the acknowledgement and the reply");
    let answer = &mails[1];
    assert!(answer.text().starts_with("One is a credit note."), "{}", answer.text());
    assert!(answer.header("Auto-Submitted").is_none());
    assert_eq!(answer.mail_from, desk.mailbox.address);
    assert_eq!(answer.subject(), format!("[#{opened}] Invoice question"));
    let references = answer.references();
    assert_eq!(references.first(), Some(&first_id), "{references:?}");
    assert!(references.contains(&ack.message_id()), "{references:?}");
    assert_eq!(answer.in_reply_to().len(), 1);
    assert_ne!(answer.message_id(), ack.message_id(), "each mail its own Message-ID");

    // The customer answers the answer: a reply on the same ticket, and the assigned agent is told.
    s.admin
        .update_ticket(
            opened,
            &TicketPatch {
                assigned: Some(Some(member.id)),
                ..Default::default()
            },
        )
        .await
        .expect("assign");
    let again = desk
        .deliver(&message(
            customer,
            &desk.mailbox.address,
            &format!("Re: {}", answer.subject()),
            &new_id(),
            &format!(
                "In-Reply-To: <{}>\r\nReferences: {}\r\n",
                answer.message_id(),
                references
                    .iter()
                    .chain([answer.message_id()].iter())
                    .map(|r| format!("<{r}>"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            "Thanks!\r\n\r\n> One is a credit note.",
        ))
        .await;
    assert_eq!(again.ticket(), opened);
    let told = mails_to(&desk.sink, "member@desk.example", 2).await;
    assert_eq!(told.len(), 2);
    assert!(told[1].text().contains("Thanks!"));
    // Nobody is mailed their own message, and an internal note mails nobody.
    s.admin
        .reply(
            opened,
            &NewReply {
                message: "note to self".into(),
                internal: Some(true),
            },
        )
        .await
        .expect("note");
    let all = settled(s).await;
    assert!(all.iter().all(|m| m.status == DeliveryStatus::Done), "{all:#?}");
    assert_eq!(
        mails_to(&desk.sink, customer, 0).await.len(),
        2,
        "no mail for a note, none back to the customer"
    );
    assert!(
        all.iter().all(|m| !m.attempt_log.is_empty()),
        "every attempt is visible on its event: {all:#?}"
    );
}

#[tokio::test]
async fn a_refused_recipient_does_not_hold_the_others() {
    let desk = MailDesk::start().await;
    let s = &desk.server;
    agent(s, "first@desk.example", None).await;
    agent(s, "refused@desk.example", None).await;
    desk.sink.refuse("refused@desk.example");
    desk.deliver(&message(
        "pat@customer.example",
        &desk.mailbox.address,
        "Hello",
        &new_id(),
        "",
        "Hi",
    ))
    .await
    .ticket();
    let mails = settled(s).await;
    let refused = mails
        .iter()
        .find(|m| m.recipient == "refused@desk.example")
        .expect("a mail to the refused agent");
    assert_eq!(refused.status, DeliveryStatus::Failed, "{refused:#?}");
    let attempt = refused.attempt_log.last().expect("an attempt");
    assert_eq!(attempt.smtp_code, Some(550), "{attempt:?}");
    assert!(
        attempt.error.as_deref().unwrap_or_default().contains("550"),
        "{attempt:?}"
    );
    assert_eq!(
        mails_to(&desk.sink, "first@desk.example", 1).await.len(),
        1,
        "the other agent got theirs"
    );
    assert_eq!(
        mails_to(&desk.sink, "pat@customer.example", 1).await.len(),
        1,
        "and the customer"
    );
}

#[tokio::test]
async fn acknowledgements_follow_the_brand_switch() {
    let desk = MailDesk::start().await;
    let s = &desk.server;
    s.admin
        .update_brand(
            desk.brand.id,
            &BrandPatch {
                acknowledge_new_tickets: Some(false),
                ..Default::default()
            },
        )
        .await
        .expect("switch off");
    desk.deliver(&message(
        "quiet@customer.example",
        &desk.mailbox.address,
        "Hi",
        &new_id(),
        "",
        "x",
    ))
    .await
    .ticket();
    settled(s).await;
    assert!(mails_to(&desk.sink, "quiet@customer.example", 0).await.is_empty());
}

/// Two desks whose acknowledgements land in each other's mailbox: each acknowledges the other's first
/// message at most once, and the ping-pong stops there.
#[tokio::test]
async fn two_desks_do_not_mail_each_other_forever() {
    let a = MailDesk::start().await;
    let b = MailDesk::start().await;
    // B's mailbox writes to A (say, a forwarding rule): A opens a ticket and acknowledges to B.
    a.deliver(&message(
        &b.mailbox.address,
        &a.mailbox.address,
        "Hello from B",
        &new_id(),
        "",
        "Hi",
    ))
    .await
    .ticket();
    let acks = mails_to(&a.sink, &b.mailbox.address, 1).await;
    assert_eq!(acks.len(), 1);
    // B receives A's acknowledgement: automatic, answering nothing of B's → dropped, nothing sent back.
    let at_b = b.deliver(&acks[0].raw).await;
    assert!(at_b.stdout.contains("dropped"), "{at_b:?}");
    settled(&b.server).await;
    assert_eq!(b.sink.count(), 0, "B never answers an automatic mail");
    let tickets = b.server.admin.tickets(&TicketQuery::default()).await.expect("tickets");
    assert!(tickets.data.is_empty());
    settled(&a.server).await;
    assert_eq!(mails_to(&a.sink, &b.mailbox.address, 0).await.len(), 1);
}
