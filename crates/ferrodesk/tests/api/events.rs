//! The event log (SPEC §3.5): one row per change, in the change's own transaction.
use crate::*;

#[tokio::test]
async fn every_change_writes_an_event() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Audit me"))
        .await
        .expect("create");
    let r = s
        .admin
        .reply(
            t.id,
            &NewReply {
                message: "on it".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");
    s.admin
        .update_ticket(
            t.id,
            &TicketPatch {
                priority: Some(Priority::HIGH),
                ..Default::default()
            },
        )
        .await
        .expect("patch");

    let for_ticket = s
        .admin
        .events(&EventQuery {
            entity: Some("ticket".into()),
            entity_id: Some(t.id),
            ..Default::default()
        })
        .await
        .expect("events");
    let names: Vec<_> = for_ticket.data.iter().map(|e| e.name.clone()).collect();
    assert_eq!(
        names,
        [
            Some("TicketAdminUpdated".into()),
            Some("TicketStatusChange".into()),
            Some("TicketClientCreated".into())
        ]
    );
    let created = for_ticket.data.last().expect("created event");
    assert_eq!(
        (created.action, created.source, created.data.entity),
        (EventAction::Created, EventSource::Api, EntityType::Ticket)
    );
    assert_eq!(
        (created.member_id, created.member_type.as_deref()),
        (Some(pat.end_user.id), Some("end_user"))
    );
    assert_eq!(created.url.as_deref(), Some("/api/v1/tickets"));
    assert_eq!(created.data.value["title"], "Audit me");
    assert_eq!(created.data.value["replies"][0]["message"], "It does not work.");
    assert!(created.data.old.is_null());
    // The outbox takes each event right after its commit: pending until its hooks ran, then done.
    assert!(
        ["pending", "done"].contains(&created.status.as_str()),
        "{}",
        created.status
    );

    let updated = &for_ticket.data[0];
    assert_eq!(
        (
            updated.data.old["priority"].as_i64(),
            updated.data.value["priority"].as_i64()
        ),
        (Some(2), Some(3))
    );

    let reply_events = s
        .admin
        .events(&EventQuery {
            entity: Some("reply".into()),
            entity_id: Some(r.id),
            ..Default::default()
        })
        .await
        .expect("events");
    let e = &reply_events.data[0];
    assert_eq!(e.name.as_deref(), Some("TicketAdminReplied"));
    assert_eq!(
        (
            e.data.value["reply"]["message"].as_str(),
            e.data.value["request"]["id"].as_i64()
        ),
        (Some("on it"), Some(t.id))
    );

    let one = s.admin.event(e.id).await.expect("single event");
    assert_eq!(one.id, e.id);
    assert_code(s.admin.event(999_999).await, ErrorCode::NotFound);

    for entity in ["brand", "department", "customer", "end_user", "token"] {
        let found = s
            .admin
            .events(&EventQuery {
                entity: Some(entity.into()),
                ..Default::default()
            })
            .await
            .expect("events");
        assert!(!found.data.is_empty(), "no {entity} event");
    }
    assert_code(
        s.admin
            .events(&EventQuery {
                entity: Some("spaceship".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.admin
            .events(&EventQuery {
                since: Some("yesterday".into()),
                ..Default::default()
            })
            .await,
        ErrorCode::ValidationFailed,
    );
    s.shutdown().await;
}

#[tokio::test]
async fn customer_history_and_since() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let sam = s.customer().await;
    pat.client
        .create_ticket(&new_ticket(dept.id, "one"))
        .await
        .expect("create");
    let mark = jiff::Timestamp::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "two"))
        .await
        .expect("create");
    sam.client
        .create_ticket(&new_ticket(dept.id, "not pat's"))
        .await
        .expect("create");

    let history = s
        .admin
        .customer_events(pat.customer.id, &EventQuery::default())
        .await
        .expect("history");
    assert!(history.data.iter().all(|e| e.customer_id == Some(pat.customer.id)));
    assert!(
        history.data.iter().any(|e| e.data.entity == EntityType::EndUser),
        "the end user's creation is in the history"
    );
    let since = s
        .admin
        .customer_events(
            pat.customer.id,
            &EventQuery {
                since: Some(mark.to_string()),
                ..Default::default()
            },
        )
        .await
        .expect("since");
    assert_eq!(since.data.len(), 1);
    assert_eq!(since.data[0].entity_id, t.id);

    let agent = s.agent().await;
    agent
        .customer_events(pat.customer.id, &EventQuery::default())
        .await
        .expect("agents read customer history");
    assert_code(
        pat.client
            .customer_events(pat.customer.id, &EventQuery::default())
            .await,
        ErrorCode::NotFound,
    );
    assert_code(
        s.admin.customer_events(999_999, &EventQuery::default()).await,
        ErrorCode::NotFound,
    );

    // Pages of two walk the whole log newest first.
    let all = s
        .admin
        .events(&EventQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("all");
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = s
            .admin
            .events(&EventQuery {
                limit: Some(2),
                cursor,
                ..Default::default()
            })
            .await
            .expect("page");
        walked.extend(page.data.iter().map(|e| e.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, all.data.iter().map(|e| e.id).collect::<Vec<_>>());
    s.shutdown().await;
}

#[tokio::test]
async fn failed_requests_write_nothing() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let before = s
        .admin
        .events(&EventQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("events")
        .data
        .len();
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "locked"))
        .await
        .expect("create");
    s.admin
        .update_ticket(
            t.id,
            &TicketPatch {
                locked: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("lock");
    let mid = s
        .admin
        .events(&EventQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("events")
        .data
        .len();
    assert_eq!(mid, before + 2);

    assert_code(
        pat.client
            .reply(
                t.id,
                &NewReply {
                    message: "refused".into(),
                    internal: None,
                },
            )
            .await,
        ErrorCode::TicketLocked,
    );
    assert_code(
        pat.client.create_ticket(&new_ticket(dept.id, "")).await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.admin
            .update_ticket(
                t.id,
                &TicketPatch {
                    did: Some(999_999),
                    priority: Some(Priority::LOW),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(
        s.admin.ticket(t.id).await.expect("get").priority,
        Priority::MEDIUM,
        "the refused patch changed nothing"
    );
    let after = s
        .admin
        .events(&EventQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("events")
        .data
        .len();
    assert_eq!(after, mid);
    s.shutdown().await;
}

/// Every hook name the ticket and people use cases write, through the API, in the order the changes were
/// made: SPEC §4's exact spelling, Admin variants for staff and Client variants for end users, and no name on
/// an internal note or on marking read.
#[tokio::test]
async fn events_carry_specs_hook_names() {
    use EntityType::{Customer, EndUser, Reply, Ticket};
    use EventAction::{Created, Deleted, Restored, Updated};
    let s = TestServer::start().await;
    let dept = s.department().await;
    let customer = s
        .admin
        .create_customer(&NewCustomer {
            name: unique("Acme"),
            ..Default::default()
        })
        .await
        .expect("customer");
    s.admin
        .update_customer(
            customer.id,
            &CustomerPatch {
                name: Some(unique("Acme renamed")),
                ..Default::default()
            },
        )
        .await
        .expect("rename customer");
    let pat = s
        .admin
        .create_end_user(&NewEndUser {
            customer_id: customer.id,
            name: Some("Pat Doe".into()),
            email: Some(format!("{}@example.com", unique("pat").to_lowercase())),
            ..Default::default()
        })
        .await
        .expect("end user");
    s.admin
        .update_end_user(
            pat.id,
            &EndUserPatch {
                name: Some("Pat Q. Doe".into()),
                ..Default::default()
            },
        )
        .await
        .expect("rename end user");
    let pat_client = s.client(&s.admin.create_end_user_token(pat.id, None).await.expect("token").token);

    let t1 = pat_client
        .create_ticket(&new_ticket(dept.id, "Opened by the customer"))
        .await
        .expect("client ticket");
    let t2 = s
        .admin
        .create_ticket(&NewTicket {
            customer_id: Some(customer.id),
            email: Some(format!("{}@example.com", unique("sam").to_lowercase())),
            ..new_ticket(dept.id, "Opened by staff for a new requester")
        })
        .await
        .expect("staff ticket");
    let reply = |message: &str, internal| NewReply {
        message: message.into(),
        internal,
    };
    let staff_reply = s.admin.reply(t1.id, &reply("on it", None)).await.expect("staff reply");
    s.admin
        .reply(t1.id, &reply("a note", Some(true)))
        .await
        .expect("internal note");
    pat_client
        .reply(t1.id, &reply("still broken", None))
        .await
        .expect("client reply");
    s.admin
        .update_reply(
            t1.id,
            staff_reply.id,
            &ReplyPatch {
                message: "on it now".into(),
            },
        )
        .await
        .expect("edit reply");
    s.admin.delete_reply(t1.id, staff_reply.id).await.expect("delete reply");
    s.admin
        .update_ticket(
            t1.id,
            &TicketPatch {
                priority: Some(Priority::HIGH),
                ..Default::default()
            },
        )
        .await
        .expect("staff patch");
    pat_client
        .update_ticket(
            t1.id,
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                ..Default::default()
            },
        )
        .await
        .expect("solve");
    pat_client.mark_read(t2.id).await.expect("mark read");
    s.admin.delete_ticket(t2.id).await.expect("delete ticket");
    s.admin.delete_end_user(t2.user_id).await.expect("delete end user");
    s.admin.restore_end_user(t2.user_id).await.expect("restore end user");
    s.admin.delete_customer(customer.id).await.expect("delete customer");
    s.admin.restore_customer(customer.id).await.expect("restore customer");

    let history = s
        .admin
        .customer_events(
            customer.id,
            &EventQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
        .expect("history");
    let oldest_first: Vec<_> = history
        .data
        .iter()
        .rev()
        .map(|e| (e.data.entity, e.action, e.name.as_deref()))
        .collect();
    assert_eq!(
        oldest_first,
        [
            (Customer, Created, Some("CustomerCreated")),
            (Customer, Updated, Some("CustomerUpdated")),
            (EndUser, Created, Some("EndUserCreated")),
            (EndUser, Updated, Some("EndUserUpdated")),
            (Ticket, Created, Some("TicketClientCreated")),
            (EndUser, Created, Some("EndUserCreated")),
            (Ticket, Created, Some("TicketAdminCreated")),
            (Reply, Created, Some("TicketAdminReplied")),
            (Ticket, Updated, Some("TicketStatusChange")),
            (Reply, Created, None),
            (Ticket, Updated, None),
            (Reply, Created, Some("TicketClientReplied")),
            (Ticket, Updated, Some("TicketStatusChange")),
            (Reply, Updated, Some("TicketReplyModified")),
            (Reply, Deleted, Some("TicketReplyDeleted")),
            (Ticket, Updated, Some("TicketAdminUpdated")),
            (Ticket, Updated, Some("TicketSolved")),
            (Ticket, Updated, None),
            (Ticket, Deleted, Some("TicketDeleted")),
            (EndUser, Deleted, Some("EndUserDeleted")),
            (EndUser, Restored, Some("EndUserRestored")),
            (Customer, Deleted, Some("CustomerDeleted")),
            (Customer, Restored, Some("CustomerRestored")),
        ]
    );
    s.shutdown().await;
}
