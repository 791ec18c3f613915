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
    assert_eq!(created.status, "pending");

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
