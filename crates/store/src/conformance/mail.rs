//! Mail (SPEC §10): brands' mailboxes, the Message-IDs that thread a ticket's mail (each stored once), the
//! outbound queue claimed with a lease like webhook deliveries (one row per event, kind and recipient; a live
//! claim skipped, an expired one taken over, recorded only by the node holding it), and department members.
use super::*;
use crate::{MailMessage, MailOutcome, MailboxFields, NewMailDelivery};
use domain::automation::DeliveryStatus;
use domain::mailbox::{MailAttempt, MailDelivery, MailKind, Mailbox};

/// A lease as long as the mail worker's: a minute.
const LEASE_US: i64 = 60_000_000;

fn mailbox_fields(brand_id: i64, department_id: i64, address: &str) -> MailboxFields {
    MailboxFields {
        brand_id,
        address: address.into(),
        department_id,
        imap_url: None,
        smtp_url: None,
        active: true,
    }
}

/// What a mailbox holds besides its id and times, to compare with what was written.
fn fields_of(m: &Mailbox) -> MailboxFields {
    MailboxFields {
        brand_id: m.brand_id,
        address: m.address.clone(),
        department_id: m.department_id,
        imap_url: m.imap_url.clone(),
        smtp_url: m.smtp_url.clone(),
        active: m.active,
    }
}

fn mailbox_ids(boxes: &[Mailbox]) -> Vec<i64> {
    boxes.iter().map(|m| m.id).collect()
}

/// A second brand with a department of its own.
async fn other_brand(s: &Arc<dyn Store>) -> (Brand, Department) {
    let mut w = writer(s).await;
    let brand = w.insert_brand(&new_brand("Initech", "initech")).await.expect("brand");
    let department = w
        .insert_department(&new_department(brand.id, "Billing", "billing", true))
        .await
        .expect("department");
    w.commit().await.expect("commit");
    (brand, department)
}

pub(super) async fn mailboxes_round_trip(s: Arc<dyn Store>) {
    let w0 = world(&s).await;
    let (initech, billing) = other_brand(&s).await;
    let t0 = now();
    let support = MailboxFields {
        imap_url: Some("imaps://support%40acme.example:s3cret@imap.acme.example/INBOX".into()),
        smtp_url: Some("smtps://support%40acme.example:s3cret@smtp.acme.example:465".into()),
        ..mailbox_fields(w0.brand.id, w0.department.id, "support@acme.example")
    };
    let sales = MailboxFields {
        active: false,
        ..mailbox_fields(w0.brand.id, w0.department.id, "sales@acme.example")
    };
    let invoices = mailbox_fields(initech.id, billing.id, "invoices@initech.example");
    let mut w = writer(&s).await;
    let a = w.insert_mailbox(&support, t0).await.expect("insert");
    let b = w.insert_mailbox(&sales, t0).await.expect("insert");
    let c = w.insert_mailbox(&invoices, t0).await.expect("insert");
    w.commit().await.expect("commit");
    assert_eq!(
        fields_of(&a),
        support,
        "what insert_mailbox returns is what was written"
    );
    assert_eq!((a.last_error.as_deref(), a.last_polled_at), (None, None));
    assert_eq!((a.created_at, a.updated_at), (t0, t0));

    let mut r = reader(&s).await;
    let stored = r.mailbox(a.id).await.expect("mailbox").expect("stored");
    assert_eq!(stored, a, "the passwords of its URLs are stored whole");
    assert_eq!(r.mailbox(c.id + 100).await.expect("mailbox"), None);
    assert_eq!(
        r.mailbox_by_address("sales@acme.example")
            .await
            .expect("by address")
            .map(|m| m.id),
        Some(b.id)
    );
    assert_eq!(
        r.mailbox_by_address("nobody@acme.example").await.expect("by address"),
        None
    );
    assert_eq!(
        mailbox_ids(&r.mailboxes(None).await.expect("all")),
        [a.id, b.id, c.id],
        "every mailbox, by id"
    );
    assert_eq!(
        mailbox_ids(&r.mailboxes(Some(w0.brand.id)).await.expect("of acme")),
        [a.id, b.id]
    );
    assert_eq!(
        mailbox_ids(&r.mailboxes(Some(initech.id)).await.expect("of initech")),
        [c.id]
    );
    drop(r);

    // An address belongs to one mailbox of the installation.
    let mut w = writer(&s).await;
    match w
        .insert_mailbox(&mailbox_fields(initech.id, billing.id, "support@acme.example"), t0)
        .await
    {
        Err(StoreError::Unique(_)) => {}
        other => panic!("a second mailbox with the same address: expected StoreError::Unique, got {other:?}"),
    }
    drop(w);

    // An update replaces every field and the update time; a missing mailbox is None.
    let t1 = at(t0, 5_000_000);
    let moved = MailboxFields {
        brand_id: initech.id,
        address: "help@initech.example".into(),
        department_id: billing.id,
        imap_url: None,
        smtp_url: Some("smtp://desk@smtp.initech.example:587".into()),
        active: false,
    };
    let mut w = writer(&s).await;
    let updated = w
        .update_mailbox(a.id, &moved, t1)
        .await
        .expect("update")
        .expect("found");
    assert_eq!(fields_of(&updated), moved);
    assert_eq!((updated.id, updated.created_at, updated.updated_at), (a.id, t0, t1));
    assert_eq!(
        w.update_mailbox(c.id + 100, &moved, t1).await.expect("update missing"),
        None
    );
    // A poll's outcome: the error it ran into, then cleared by one that worked.
    w.set_mailbox_polled(b.id, Some("the IMAP server refused the login"), t1)
        .await
        .expect("polled");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let polled = r.mailbox(b.id).await.expect("mailbox").expect("stored");
    assert_eq!(
        (polled.last_error.as_deref(), polled.last_polled_at),
        (Some("the IMAP server refused the login"), Some(t1))
    );
    assert_eq!(polled.updated_at, t0, "a poll is no edit of the mailbox");
    assert_eq!(r.mailbox(a.id).await.expect("mailbox"), Some(updated.clone()));
    assert_eq!(
        r.mailbox_by_address("support@acme.example").await.expect("old address"),
        None
    );
    assert_eq!(
        mailbox_ids(&r.mailboxes(Some(initech.id)).await.expect("of initech")),
        [a.id, c.id]
    );
    drop(r);
    let t2 = at(t1, 1_000_000);
    let mut w = writer(&s).await;
    w.set_mailbox_polled(b.id, None, t2).await.expect("polled");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let polled = r.mailbox(b.id).await.expect("mailbox").expect("stored");
    assert_eq!((polled.last_error, polled.last_polled_at), (None, Some(t2)));
    drop(r);

    // Deleted once; deleting it again deletes nothing.
    let mut w = writer(&s).await;
    assert!(w.delete_mailbox(b.id).await.expect("delete"));
    assert!(!w.delete_mailbox(b.id).await.expect("delete again"));
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.mailbox(b.id).await.expect("mailbox"), None);
    assert_eq!(
        r.mailbox_by_address("sales@acme.example").await.expect("by address"),
        None
    );
    assert_eq!(mailbox_ids(&r.mailboxes(None).await.expect("all")), [a.id, c.id]);
}

fn message(
    message_id: &str,
    ticket_id: i64,
    brand_id: i64,
    direction: &'static str,
    created_at: Timestamp,
) -> MailMessage {
    MailMessage {
        message_id: message_id.into(),
        ticket_id,
        reply_id: Some(ticket_id * 10),
        brand_id,
        direction,
        created_at,
    }
}

pub(super) async fn mail_messages_thread_and_dedupe(s: Arc<dyn Store>) {
    let t0 = now();
    let (first, second) = (41_i64, 42_i64);
    let mut w = writer(&s).await;
    // Two tickets' mail, interleaved: a ticket's messages are in the order they were recorded.
    for (n, id, ticket, brand) in [
        (0, "a@x.example", first, 7),
        (1, "e@y.example", second, 8),
        (2, "b@x.example", first, 7),
        (3, "c@x.example", first, 7),
        (4, "d@x.example", first, 7),
    ] {
        let direction = if n % 2 == 0 { "in" } else { "out" };
        assert!(
            w.insert_mail_message(&message(id, ticket, brand, direction, at(t0, n * 1_000_000)))
                .await
                .expect("insert")
        );
    }
    // The same Message-ID again (a message delivered twice, or fetched by two nodes) writes nothing.
    assert!(
        !w.insert_mail_message(&message("a@x.example", second, 8, "in", at(t0, 9_000_000)))
            .await
            .expect("insert again")
    );
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let names = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<String>>();
    assert_eq!(
        r.ticket_of_messages(&names(&["a@x.example"])).await.expect("ticket"),
        Some((first, 7)),
        "the first write of a Message-ID is kept"
    );
    // The first known id in the order given wins (In-Reply-To before the References).
    assert_eq!(
        r.ticket_of_messages(&names(&["unknown@z.example", "e@y.example", "b@x.example"]))
            .await
            .expect("ticket"),
        Some((second, 8))
    );
    assert_eq!(
        r.ticket_of_messages(&names(&["b@x.example", "e@y.example"]))
            .await
            .expect("ticket"),
        Some((first, 7))
    );
    assert_eq!(
        r.ticket_of_messages(&names(&["unknown@z.example", "A@X.EXAMPLE"]))
            .await
            .expect("ticket"),
        None,
        "unknown ids (ids are compared as stored: the app normalises them)"
    );
    assert_eq!(r.ticket_of_messages(&[]).await.expect("ticket"), None);
    assert!(r.has_message("d@x.example").await.expect("has"));
    assert!(!r.has_message("unknown@z.example").await.expect("has"));

    // Before a message that is none of the ticket's: all of them, oldest first.
    let all = names(&["a@x.example", "b@x.example", "c@x.example", "d@x.example"]);
    assert_eq!(
        r.messages_of_ticket(first, "new@x.example", 10)
            .await
            .expect("of ticket"),
        all,
        "oldest first"
    );
    assert_eq!(
        r.messages_of_ticket(first, "e@y.example", 10).await.expect("of ticket"),
        all,
        "another ticket's message bounds nothing"
    );
    assert_eq!(
        r.messages_of_ticket(first, "new@x.example", 2)
            .await
            .expect("of ticket"),
        names(&["c@x.example", "d@x.example"]),
        "the limit keeps the newest"
    );
    // Before one of its own messages: those recorded earlier (the ids a resent mail chained).
    assert_eq!(
        r.messages_of_ticket(first, "c@x.example", 10).await.expect("of ticket"),
        names(&["a@x.example", "b@x.example"])
    );
    assert_eq!(
        r.messages_of_ticket(first, "c@x.example", 1).await.expect("of ticket"),
        names(&["b@x.example"])
    );
    assert!(
        r.messages_of_ticket(first, "a@x.example", 10)
            .await
            .expect("of ticket")
            .is_empty()
    );
    assert_eq!(
        r.messages_of_ticket(second, "new@y.example", 10)
            .await
            .expect("of ticket"),
        names(&["e@y.example"])
    );
    assert!(
        r.messages_of_ticket(99, "new@z.example", 10)
            .await
            .expect("of ticket")
            .is_empty()
    );
}

fn queued(event_id: i64, kind: MailKind, recipient: &str) -> NewMailDelivery {
    NewMailDelivery {
        event_id,
        kind,
        mailbox_id: 3,
        brand_id: 5,
        ticket_id: 100 + event_id,
        reply_id: (kind != MailKind::Acknowledgement).then_some(200 + event_id),
        recipient: recipient.into(),
        message_id: format!("{kind}-{event_id}-{recipient}"),
    }
}

fn delivery_ids(mails: &[MailDelivery]) -> BTreeSet<i64> {
    mails.iter().map(|m| m.id).collect()
}

fn outcome(mail: i64, attempted_at: Timestamp, status: DeliveryStatus, next: Option<Timestamp>) -> MailOutcome {
    let refused = status != DeliveryStatus::Done;
    MailOutcome {
        mail_delivery_id: mail,
        attempt: MailAttempt {
            id: 0,
            mail_delivery_id: mail,
            attempted_at,
            smtp_code: refused.then_some(550),
            error: refused.then(|| "550 5.1.1 no such user".to_owned()),
            latency_us: 2500,
        },
        status,
        next_attempt_at: next,
    }
}

async fn claim(s: &Arc<dyn Store>, node: &str, now: Timestamp, limit: i64) -> Vec<MailDelivery> {
    let mut w = writer(s).await;
    let claimed = w
        .claim_mail_deliveries(node, now, at(now, LEASE_US), limit)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    claimed
}

pub(super) async fn mail_deliveries_claim_record_take_over(s: Arc<dyn Store>) {
    let t0 = now();
    let deadline = at(t0, 3_600_000_000);
    let mut w = writer(&s).await;
    let mut events = Vec::new();
    for n in 0..3 {
        events.push(
            w.insert_event(&new_event(EntityType::Reply, n, None))
                .await
                .expect("event")
                .id,
        );
    }
    // One mail per event, kind and recipient: a staff reply to the requester; a customer's new ticket
    // acknowledged and notified to two agents; a third event's mail due only later.
    let plan = [
        (events[0], MailKind::Reply, "homer@example.com", t0),
        (events[1], MailKind::Acknowledgement, "marge@example.com", at(t0, 1)),
        (events[1], MailKind::Notification, "agent1@acme.example", at(t0, 2)),
        (events[1], MailKind::Notification, "agent2@acme.example", at(t0, 3)),
        (events[2], MailKind::Reply, "bart@example.com", at(t0, 30_000_000)),
    ];
    for (event, kind, recipient, due) in plan {
        w.insert_mail_delivery(&queued(event, kind, recipient), due, deadline)
            .await
            .expect("queue");
    }
    // The same event, kind and recipient again is a no-op (an event whose outbox claim expired is consumed
    // again), even due at another time; the same recipient for another kind is a mail of its own.
    w.insert_mail_delivery(
        &queued(events[1], MailKind::Notification, "agent1@acme.example"),
        t0,
        deadline,
    )
    .await
    .expect("queue again");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let of_event = r.mail_deliveries_of_event(events[1]).await.expect("of event");
    let shown: Vec<(MailKind, &str, Option<Timestamp>)> = of_event
        .iter()
        .map(|m| (m.kind, m.recipient.as_str(), m.next_attempt_at))
        .collect();
    assert_eq!(
        shown,
        [
            (MailKind::Acknowledgement, "marge@example.com", Some(at(t0, 1))),
            (MailKind::Notification, "agent1@acme.example", Some(at(t0, 2))),
            (MailKind::Notification, "agent2@acme.example", Some(at(t0, 3))),
        ],
        "by id, the repeated one not queued twice"
    );
    let ack = &of_event[0];
    let expected = queued(events[1], MailKind::Acknowledgement, "marge@example.com");
    assert_eq!(
        (
            ack.event_id,
            ack.mailbox_id,
            ack.brand_id,
            ack.ticket_id,
            ack.reply_id,
            ack.message_id.as_str()
        ),
        (
            expected.event_id,
            expected.mailbox_id,
            expected.brand_id,
            expected.ticket_id,
            expected.reply_id,
            expected.message_id.as_str()
        )
    );
    assert_eq!(
        (ack.status, ack.attempts, ack.deadline_at, ack.created_at),
        (DeliveryStatus::Pending, 0, deadline, at(t0, 1))
    );
    assert!(ack.attempt_log.is_empty(), "attempts are not filled");
    assert_eq!(r.mail_delivery(ack.id).await.expect("read").as_ref(), Some(ack));
    assert_eq!(r.mail_delivery(ack.id + 100).await.expect("read"), None);
    assert!(
        r.mail_deliveries_of_event(events[2] + 1)
            .await
            .expect("of event")
            .is_empty()
    );
    assert_eq!(r.next_mail_due(t0).await.expect("due"), Some(t0));
    drop(r);

    // Due ones only, oldest due first, at most `limit`.
    let first = claim(&s, "node-a", at(t0, 10), 2).await;
    let order: Vec<&str> = first.iter().map(|m| m.recipient.as_str()).collect();
    assert_eq!(order, ["homer@example.com", "marge@example.com"]);
    // Two claimers at once never get the same row, and between them take every free due one.
    let (b, c) = tokio::join!(claim(&s, "node-b", at(t0, 10), 10), claim(&s, "node-c", at(t0, 10), 10));
    let (b, c) = (delivery_ids(&b), delivery_ids(&c));
    assert!(b.is_disjoint(&c), "claimed twice: {b:?} {c:?}");
    assert_eq!(b.len() + c.len(), 2, "the two notifications: {b:?} {c:?}");
    assert!(delivery_ids(&first).is_disjoint(&b) && delivery_ids(&first).is_disjoint(&c));
    let (other_holds, other_one) = match b.first() {
        Some(id) => ("node-b", *id),
        None => ("node-c", *c.first().expect("one of the two")),
    };
    // Held under live claims, only the later mail is left to be due.
    let mut r = reader(&s).await;
    assert_eq!(
        r.next_mail_due(at(t0, 10)).await.expect("due"),
        Some(at(t0, 30_000_000))
    );
    drop(r);
    assert!(
        claim(&s, "node-d", at(t0, 1_000_000), 10).await.is_empty(),
        "live claims are skipped, the later mail is not due"
    );

    // node-a: the reply is taken, the acknowledgement refused to be tried again in 5 s; a record by a node
    // that does not hold the claim is refused.
    let later = at(t0, 1_000_000);
    let (done, retried) = (first[0].id, first[1].id);
    let mut w = writer(&s).await;
    let taken = outcome(done, later, DeliveryStatus::Done, None);
    assert!(!w.record_mail_delivery("node-b", &taken).await.expect("record"));
    assert!(w.record_mail_delivery("node-a", &taken).await.expect("record"));
    let retry_at = at(t0, 5_000_000);
    assert!(
        w.record_mail_delivery(
            "node-a",
            &outcome(retried, later, DeliveryStatus::Pending, Some(retry_at))
        )
        .await
        .expect("record")
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let stored = r.mail_delivery(done).await.expect("read").expect("mail");
    assert_eq!(
        (
            stored.status,
            stored.attempts,
            stored.next_attempt_at,
            stored.updated_at
        ),
        (DeliveryStatus::Done, 1, None, later)
    );
    let stored = r.mail_delivery(retried).await.expect("read").expect("mail");
    assert_eq!(
        (stored.status, stored.attempts, stored.next_attempt_at),
        (DeliveryStatus::Pending, 1, Some(retry_at))
    );
    assert_eq!(r.next_mail_due(later).await.expect("due"), Some(retry_at));
    drop(r);
    // The retry is claimed again once due, and fails for good.
    let again = claim(&s, "node-a", retry_at, 10).await;
    assert_eq!(delivery_ids(&again), BTreeSet::from([retried]));
    let mut w = writer(&s).await;
    let last_try = at(retry_at, 1_000);
    assert!(
        w.record_mail_delivery("node-a", &outcome(retried, last_try, DeliveryStatus::Failed, None))
            .await
            .expect("record")
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let stored = r.mail_delivery(retried).await.expect("read").expect("mail");
    assert_eq!((stored.status, stored.attempts), (DeliveryStatus::Failed, 2));
    let attempts = r.mail_attempts(&[done, retried]).await.expect("attempts");
    let shown: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a.mail_delivery_id,
                a.attempted_at,
                a.smtp_code,
                a.error.as_deref(),
                a.latency_us,
            )
        })
        .collect();
    let refusal = Some("550 5.1.1 no such user");
    assert_eq!(
        shown,
        [
            (done, later, None, None, 2500),
            (retried, later, Some(550), refusal, 2500),
            (retried, last_try, Some(550), refusal, 2500),
        ],
        "every attempt, oldest first"
    );
    assert_eq!(r.mail_attempts(&[retried]).await.expect("attempts").len(), 2);
    assert!(r.mail_attempts(&[]).await.expect("attempts").is_empty());
    drop(r);

    // After the leases run out node-d takes over the expired claims and the due later mail, never a
    // finished one, and the late record of the node that lost its claim is refused.
    let expired = at(t0, 10 + LEASE_US + 1);
    let taken_over = claim(&s, "node-d", expired, 10).await;
    let later_mail = {
        let mut r = reader(&s).await;
        r.mail_deliveries_of_event(events[2]).await.expect("of event")[0].id
    };
    let expected: BTreeSet<i64> = b.iter().chain(c.iter()).copied().chain([later_mail]).collect();
    assert_eq!(
        delivery_ids(&taken_over),
        expected,
        "the expired claims and the due later mail"
    );
    let mut w = writer(&s).await;
    let late = outcome(other_one, expired, DeliveryStatus::Done, None);
    assert!(!w.record_mail_delivery(other_holds, &late).await.expect("record"));
    assert!(w.record_mail_delivery("node-d", &late).await.expect("record"));
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.mail_attempts(&[other_one]).await.expect("attempts").len(),
        1,
        "only the claim holder's attempt is kept"
    );
    drop(r);
    let much_later = at(expired, 3_600_000_000);
    let rest = claim(&s, "node-e", much_later, 10).await;
    assert_eq!(
        delivery_ids(&rest),
        expected.iter().copied().filter(|id| *id != other_one).collect(),
        "finished mails are never claimed again"
    );
    let mut r = reader(&s).await;
    assert_eq!(
        r.next_mail_due(much_later).await.expect("due"),
        None,
        "nothing is due that no one holds"
    );
}

pub(super) async fn mail_staff_departments_replace_and_read(s: Arc<dyn Store>) {
    let w0 = world(&s).await;
    let mut w = writer(&s).await;
    let sales = w
        .insert_department(&new_department(w0.brand.id, "Sales", "sales", true))
        .await
        .expect("department");
    let returns = w
        .insert_department(&new_department(w0.brand.id, "Returns", "returns", false))
        .await
        .expect("department");
    let other = w
        .insert_staff(&new_staff("other@example.com", "Other Agent", Role::Agent), "hash")
        .await
        .expect("staff");
    w.commit().await.expect("commit");
    let (agent, support) = (w0.staff.id, w0.department.id);

    let mut w = writer(&s).await;
    // Given unsorted and with a repeat: stored once each.
    w.set_staff_departments(agent, &[sales.id, support, sales.id])
        .await
        .expect("set");
    w.set_staff_departments(other.id, &[support]).await.expect("set");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let mut both = vec![support, sales.id];
    both.sort_unstable();
    assert_eq!(r.staff_departments(agent).await.expect("departments"), both);
    assert_eq!(
        r.department_members(support).await.expect("members"),
        [agent, other.id],
        "by id"
    );
    assert_eq!(r.department_members(sales.id).await.expect("members"), [agent]);
    assert!(r.department_members(returns.id).await.expect("members").is_empty());
    drop(r);

    // Setting them again replaces them; an empty list leaves none.
    let mut w = writer(&s).await;
    w.set_staff_departments(agent, &[returns.id]).await.expect("set");
    w.set_staff_departments(other.id, &[]).await.expect("set");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.staff_departments(agent).await.expect("departments"), [returns.id]);
    assert!(r.staff_departments(other.id).await.expect("departments").is_empty());
    assert!(r.department_members(support).await.expect("members").is_empty());
    assert!(r.department_members(sales.id).await.expect("members").is_empty());
    assert_eq!(r.department_members(returns.id).await.expect("members"), [agent]);
    drop(r);

    // A change rolled back leaves them as they were.
    let mut w = writer(&s).await;
    w.set_staff_departments(agent, &[support, sales.id]).await.expect("set");
    drop(w);
    let mut r = reader(&s).await;
    assert_eq!(r.staff_departments(agent).await.expect("departments"), [returns.id]);
}
