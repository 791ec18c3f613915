//! Uniqueness, references, and transactions that commit or roll back whole.
use super::*;

pub(super) async fn unique_constraints_conflict(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other_staff = w
        .insert_staff(&new_staff("other@example.com", "Other", Role::Agent), "hash")
        .await
        .expect("insert staff");
    let free = w
        .insert_customer(&new_customer("No id 1", None), &[])
        .await
        .expect("customer without external id");
    let free2 = w
        .insert_customer(&new_customer("No id 2", None), &[])
        .await
        .expect("second customer without external id");
    w.insert_token(
        &ApiToken {
            id: 0,
            name: "t".into(),
            role: Role::Agent,
            end_user_id: None,
            created_by: None,
            created_at: now(),
        },
        "sha256:same",
    )
    .await
    .expect("insert token");
    w.commit().await.expect("commit");
    assert_ne!(free.id, free2.id);

    // Each violation on its own writer: after an error a transaction may be unusable (PostgreSQL aborts it).
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_staff(&new_staff("agent@example.com", "Twin", Role::Admin), "hash")
            .await,
        UniqueKey::StaffEmail,
        "second staff with the same email",
    );
    drop(w);
    let mut w = writer(&s).await;
    let renamed = Staff {
        email: world.staff.email.clone(),
        ..other_staff
    };
    assert_conflict(
        w.update_staff(&renamed, None).await,
        UniqueKey::StaffEmail,
        "staff updated to another's email",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_brand(&new_brand("Acme 2", "acme")).await,
        UniqueKey::BrandSlug,
        "second brand with the same slug",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_department(&new_department(world.brand.id, "Support 2", "support", true))
            .await,
        UniqueKey::DepartmentSlug,
        "second department with the same slug",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_customer(&new_customer("Globex twin", Some("globex-1")), &[])
            .await,
        UniqueKey::CustomerExternalId,
        "second customer with the same external id",
    );
    drop(w);
    let mut w = writer(&s).await;
    let token = ApiToken {
        id: 0,
        name: "t2".into(),
        role: Role::Agent,
        end_user_id: None,
        created_by: None,
        created_at: now(),
    };
    assert_conflict(
        w.insert_token(&token, "sha256:same").await,
        UniqueKey::TokenSecret,
        "second token with the same secret hash",
    );
    drop(w);

    // Nothing of the failed writes is visible, and the store still takes writes.
    let mut r = reader(&s).await;
    assert_eq!(r.staff_count(None).await.expect("staff_count"), 2);
    assert_eq!(
        r.brand_list(&PageRequest::first(10)).await.expect("brand_list").len(),
        1
    );
    assert_eq!(
        r.customer_list(DeletedFilter::Exclude, &PageRequest::first(10))
            .await
            .expect("customer_list")
            .len(),
        3
    );
    drop(r);
    let mut w = writer(&s).await;
    w.insert_brand(&new_brand("Acme 2", "acme-2"))
        .await
        .expect("insert after conflicts");
    w.commit().await.expect("commit after conflicts");
}

/// An email belongs to at most one live end user of a customer; deleted end users, other customers and
/// end users without an email are not constrained.
pub(super) async fn end_user_email_unique_among_live(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let email = world.end_user.email.clone().expect("the world's end user has an email");
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Other", None), &[])
        .await
        .expect("customer");
    let elsewhere = w
        .insert_end_user(
            &new_end_user(other.id, "Same email, other customer", Some(&email)),
            None,
            &[],
        )
        .await
        .expect("the same email at another customer");
    let gone = w
        .insert_end_user(
            &EndUser {
                deleted_at: Some(now()),
                ..new_end_user(world.customer.id, "Deleted twin", Some(&email))
            },
            None,
            &[],
        )
        .await
        .expect("a deleted end user may keep the email");
    for name in ["No email 1", "No email 2"] {
        w.insert_end_user(&new_end_user(world.customer.id, name, None), None, &[])
            .await
            .expect("end users without email");
    }
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    assert_conflict(
        w.insert_end_user(&new_end_user(world.customer.id, "Twin", Some(&email)), None, &[])
            .await,
        UniqueKey::EndUserEmail,
        "second live end user with the customer's email",
    );
    drop(w);
    let mut w = writer(&s).await;
    let moved = EndUser {
        customer_id: world.customer.id,
        ..elsewhere.clone()
    };
    assert_conflict(
        w.update_end_user(&moved, None, None).await,
        UniqueKey::EndUserEmail,
        "end user moved to a customer whose end user has the email",
    );
    drop(w);
    let mut w = writer(&s).await;
    let restored = EndUser {
        deleted_at: None,
        ..gone.clone()
    };
    assert_conflict(
        w.update_end_user(&restored, None, None).await,
        UniqueKey::EndUserEmail,
        "end user restored beside a live one with the email",
    );
    drop(w);

    // Once the live one is deleted, the other may come back.
    let mut w = writer(&s).await;
    w.update_end_user(
        &EndUser {
            deleted_at: Some(now()),
            ..world.end_user.clone()
        },
        None,
        None,
    )
    .await
    .expect("delete the live one");
    w.update_end_user(&restored, None, None)
        .await
        .expect("restore the twin");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.end_user_by_email(world.customer.id, &email)
            .await
            .expect("by email")
            .map(|u| u.id),
        Some(gone.id)
    );
}

pub(super) async fn foreign_keys_reference(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let missing = 1_000_000;
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_department(&new_department(missing, "Orphan", "orphan", true))
            .await,
        ForeignKey::DepartmentBrand,
        "department of a missing brand",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.insert_end_user(&new_end_user(missing, "Orphan", None), None, &[])
            .await,
        ForeignKey::EndUserCustomer,
        "end user of a missing customer",
    );
    drop(w);
    let w = writer(&s).await;
    assert_reference(
        async {
            let mut w = w;
            w.insert_ticket(&Ticket {
                did: missing,
                ..new_ticket(&world, "Orphan")
            })
            .await?;
            w.commit().await
        }
        .await,
        ForeignKey::TicketDepartment,
        "ticket in a missing department",
    );
    let w = writer(&s).await;
    assert_reference(
        async {
            let mut w = w;
            w.insert_ticket(&Ticket {
                assigned: Some(missing),
                ..new_ticket(&world, "Orphan")
            })
            .await?;
            w.commit().await
        }
        .await,
        ForeignKey::TicketAssignee,
        "ticket assigned to missing staff",
    );
    let mut w = writer(&s).await;
    let token = ApiToken {
        id: 0,
        name: "orphan".into(),
        role: Role::EndUser,
        end_user_id: Some(missing),
        created_by: None,
        created_at: now(),
    };
    assert_reference(
        w.insert_token(&token, "sha256:orphan").await,
        ForeignKey::TokenEndUser,
        "token of a missing end user",
    );
    drop(w);
    let mut w = writer(&s).await;
    assert_reference(
        w.delete_brand(world.brand.id).await,
        ForeignKey::DepartmentBrand,
        "deleting a brand that has departments",
    );
    drop(w);

    let mut r = reader(&s).await;
    assert_eq!(r.brand(world.brand.id).await.expect("brand"), Some(world.brand));
    assert_eq!(
        ids(&r
            .department_list(None, false, &PageRequest::first(10))
            .await
            .expect("list")),
        vec![world.department.id]
    );
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
}

pub(super) async fn writer_dropped_without_commit_rolls_back(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let brand = w
        .insert_brand(&new_brand("Ghost", "ghost"))
        .await
        .expect("insert brand");
    let customer = w
        .insert_customer(&new_customer("Phantom", None), &[])
        .await
        .expect("insert customer");
    let ticket = w
        .insert_ticket(&new_ticket(&world, "Spectral wobble"))
        .await
        .expect("insert ticket");
    let reply = w
        .insert_reply(&new_reply(ticket.id, "ectoplasm everywhere", false))
        .await
        .expect("insert reply");
    let event = w
        .insert_event(&new_event(EntityType::Ticket, ticket.id, None))
        .await
        .expect("insert event");
    let renamed = Brand {
        name: "Renamed".into(),
        ..world.brand.clone()
    };
    w.update_brand(&renamed).await.expect("update brand");
    assert_eq!(
        w.ticket(ticket.id).await.expect("ticket in writer"),
        Some(ticket.clone())
    );
    drop(w);

    let mut r = reader(&s).await;
    assert!(
        r.brand(brand.id).await.expect("brand").is_none(),
        "rolled-back brand visible"
    );
    assert_eq!(
        r.brand(world.brand.id).await.expect("brand"),
        Some(world.brand),
        "rolled-back update visible"
    );
    assert!(
        r.customer(customer.id).await.expect("customer").is_none(),
        "rolled-back customer visible"
    );
    assert!(
        r.ticket(ticket.id).await.expect("ticket").is_none(),
        "rolled-back ticket visible"
    );
    assert!(
        r.reply(reply.id).await.expect("reply").is_none(),
        "rolled-back reply visible"
    );
    assert!(
        r.event(event.id).await.expect("event").is_none(),
        "rolled-back event visible"
    );
    let events = r
        .event_list(&EventFilter {
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    assert!(events.is_empty(), "rolled-back event listed");
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
    assert!(
        search(&mut r, &["spectral"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "rolled-back title found"
    );
    assert!(
        search(&mut r, &["ectoplasm"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "rolled-back reply found"
    );
    assert!(
        search(&mut r, &["phantom"], &[SearchKind::Customer], None)
            .await
            .is_empty()
    );
    drop(r);

    // The store still takes writes afterwards.
    let mut w = writer(&s).await;
    w.insert_brand(&new_brand("Ghost", "ghost"))
        .await
        .expect("insert after rollback");
    w.commit().await.expect("commit after rollback");
}

pub(super) async fn commit_is_visible_to_new_readers(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let ticket = w
        .insert_ticket(&new_ticket(&world, "Visible soon"))
        .await
        .expect("insert ticket");
    let event = w
        .insert_event(&new_event(EntityType::Ticket, ticket.id, None))
        .await
        .expect("insert event");
    {
        let mut r = reader(&s).await;
        assert!(
            r.ticket(ticket.id).await.expect("ticket").is_none(),
            "uncommitted ticket visible to a reader"
        );
        assert!(
            r.event(event.id).await.expect("event").is_none(),
            "uncommitted event visible to a reader"
        );
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.ticket(ticket.id).await.expect("ticket"), Some(ticket));
    assert_eq!(r.event(event.id).await.expect("event"), Some(event));
    assert_eq!(
        ids(&search(&mut r, &["visible"], &[SearchKind::Ticket], None).await).len(),
        1
    );
}

/// Many inserts in one transaction (more than a backend may hold back before sending them), read back in
/// the same transaction and after commit; a transaction dropped with inserts not yet sent leaves nothing;
/// an insert breaking a reference fails its transaction by commit at the latest and leaves earlier
/// transactions alone.
pub(super) async fn many_writes_in_one_transaction(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let ticket = w
        .insert_ticket(&new_ticket(&world, "Chatty"))
        .await
        .expect("insert ticket");
    let mut replies = Vec::new();
    let mut events = Vec::new();
    for n in 0..60 {
        let reply = w
            .insert_reply(&new_reply(ticket.id, &format!("message {n}"), n % 7 == 0))
            .await
            .expect("insert reply");
        replies.push(reply);
        let event = w
            .insert_event(&new_event(EntityType::Ticket, ticket.id, None))
            .await
            .expect("insert event");
        events.push(event.id);
    }
    let in_transaction = w.reply_list(ticket.id, true).await.expect("reply_list in writer");
    assert_eq!(in_transaction, replies, "own replies, in order, inside the transaction");
    w.commit().await.expect("commit");
    let ids: Vec<i64> = replies.iter().map(|r| r.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted, ids, "reply ids distinct and increasing");
    let mut r = reader(&s).await;
    assert_eq!(r.reply_list(ticket.id, true).await.expect("reply_list"), replies);
    for id in &events {
        assert!(r.event(*id).await.expect("event").is_some(), "event {id} committed");
    }
    drop(r);

    let mut w = writer(&s).await;
    let dropped = w
        .insert_ticket(&new_ticket(&world, "Never sent"))
        .await
        .expect("insert ticket");
    w.insert_reply(&new_reply(dropped.id, "never sent either", false))
        .await
        .expect("insert reply");
    drop(w);
    let mut w = writer(&s).await;
    let kept = w
        .insert_ticket(&new_ticket(&world, "Sent"))
        .await
        .expect("insert ticket");
    w.commit().await.expect("commit");

    let w = writer(&s).await;
    assert_reference(
        async {
            let mut w = w;
            w.insert_reply(&new_reply(i64::MAX / 2, "to nowhere", false)).await?;
            w.commit().await
        }
        .await,
        ForeignKey::ReplyTicket,
        "reply to a missing ticket",
    );

    let mut r = reader(&s).await;
    assert!(
        r.ticket(dropped.id).await.expect("ticket").is_none() || dropped.id == kept.id,
        "a dropped transaction's queued ticket was written"
    );
    let kept_now = r.ticket(kept.id).await.expect("ticket").expect("committed ticket");
    assert_eq!(kept_now.title, "Sent");
    assert_eq!(
        r.reply_list(kept.id, true).await.expect("replies"),
        vec![],
        "no stray replies"
    );
    assert_eq!(r.reply_list(ticket.id, true).await.expect("reply_list").len(), 60);
}

/// Two units that each want to demote a different one of the last two admins: the second counts the
/// admins only after the first has committed, so it sees one admin left.
pub(super) async fn admin_count_holds_the_admins(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let ann = w
        .insert_staff(&new_staff("ann@example.com", "Ann", Role::Admin), "hash")
        .await
        .expect("insert admin");
    w.insert_staff(&new_staff("bob@example.com", "Bob", Role::Admin), "hash")
        .await
        .expect("insert admin");
    w.insert_staff(&new_staff("cy@example.com", "Cy", Role::Agent), "hash")
        .await
        .expect("insert agent");
    w.commit().await.expect("commit");

    let mut first = writer(&s).await;
    assert_eq!(first.admin_count_for_update().await.expect("count"), 2);
    let second = {
        let s = Arc::clone(&s);
        tokio::spawn(async move {
            let mut w = s.write().await.expect("second writer");
            w.admin_count_for_update().await.expect("second count")
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !second.is_finished(),
        "a second unit counted the admins while the first held them"
    );
    first
        .update_staff(
            &Staff {
                role: Role::Agent,
                ..ann
            },
            None,
        )
        .await
        .expect("demote");
    first.commit().await.expect("commit");
    assert_eq!(
        second.await.expect("second task"),
        1,
        "the second unit sees the first one's demotion"
    );
}
