//! Tickets and replies (SPEC §3.2).
use crate::*;

#[tokio::test]
async fn end_user_opens_staff_replies_customer_replies() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;

    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Printer on fire"))
        .await
        .expect("create");
    assert_eq!(
        (t.status, t.user_id, t.customer_id, t.did),
        (TicketStatus::Waiting, pat.end_user.id, pat.customer.id, dept.id)
    );
    assert_eq!(t.priority, Priority::MEDIUM);
    assert!(
        !t.locked && t.read_by_customer && !t.read_by_staff,
        "customer opened: unread by staff"
    );
    let first = &t.replies.as_ref().expect("first reply")[0];
    assert_eq!(
        (first.admin, first.user_id, first.message.as_str()),
        (false, pat.end_user.id, "It does not work.")
    );
    assert_eq!(first.ip.as_deref(), Some("127.0.0.1"));

    let r = s
        .admin
        .reply(
            t.id,
            &NewReply {
                message: "Have you tried water?".into(),
                internal: None,
            },
        )
        .await
        .expect("staff reply");
    assert!(r.admin && !r.internal);
    let after = s.admin.ticket(t.id).await.expect("get");
    assert_eq!(after.status, TicketStatus::Replied);
    assert!(!after.read_by_customer && after.read_by_staff);
    assert!(after.lastreply >= t.lastreply);

    pat.client
        .reply(
            t.id,
            &NewReply {
                message: "Yes, now it is wet.".into(),
                internal: None,
            },
        )
        .await
        .expect("customer reply");
    let after = pat.client.ticket(t.id).await.expect("get");
    assert_eq!(after.status, TicketStatus::Waiting);
    assert!(!after.read_by_staff && after.read_by_customer);

    let full = s.admin.ticket_with_replies(t.id).await.expect("include replies");
    let messages: Vec<_> = full.replies.expect("replies").into_iter().map(|r| r.message).collect();
    assert_eq!(
        messages,
        ["It does not work.", "Have you tried water?", "Yes, now it is wet."]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn staff_open_tickets_for_customers() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;

    let by_user = s
        .admin
        .create_ticket(&NewTicket {
            user_id: Some(pat.end_user.id),
            priority: Some(Priority::HIGH),
            ..new_ticket(dept.id, "Renewal")
        })
        .await
        .expect("staff create by user_id");
    assert_eq!(
        (by_user.status, by_user.priority),
        (TicketStatus::Replied, Priority::HIGH)
    );
    assert!(!by_user.read_by_customer && by_user.read_by_staff);
    assert!(by_user.replies.expect("first reply")[0].admin);

    // customer_id + requester email creates the end user once, then finds them.
    let body = NewTicket {
        customer_id: Some(pat.customer.id),
        email: Some("New.Person@Example.com".into()),
        name: Some("New Person".into()),
        ..new_ticket(dept.id, "From the phone")
    };
    let a = s.admin.create_ticket(&body).await.expect("create with email");
    let b = s.admin.create_ticket(&body).await.expect("again");
    assert_eq!(a.user_id, b.user_id);
    let person = s.admin.end_user(a.user_id).await.expect("created end user");
    assert_eq!(
        (person.email.as_deref(), person.customer_id),
        (Some("new.person@example.com"), pat.customer.id)
    );

    let p = assert_code(
        s.admin.create_ticket(&new_ticket(dept.id, "Nobody")).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["user_id"]);
    s.shutdown().await;
}

#[tokio::test]
async fn internal_notes_are_staff_only() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Help"))
        .await
        .expect("create");

    let note = s
        .admin
        .reply(
            t.id,
            &NewReply {
                message: "VIP, be nice".into(),
                internal: Some(true),
            },
        )
        .await
        .expect("note");
    assert!(note.internal);
    let after = s.admin.ticket(t.id).await.expect("get");
    assert_eq!(
        (after.status, after.read_by_staff, after.lastreply),
        (TicketStatus::Waiting, false, t.lastreply),
        "a note changes nothing"
    );

    let seen = pat.client.replies(t.id).await.expect("customer replies");
    assert!(seen.data.iter().all(|r| !r.internal && r.message != "VIP, be nice"));
    let seen = pat.client.ticket_with_replies(t.id).await.expect("customer include");
    assert_eq!(seen.replies.expect("replies").len(), 1);
    assert_eq!(s.admin.replies(t.id).await.expect("staff replies").data.len(), 2);

    let p = assert_code(
        pat.client
            .reply(
                t.id,
                &NewReply {
                    message: "x".into(),
                    internal: Some(true),
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["internal"]);
    s.shutdown().await;
}

#[tokio::test]
async fn locked_tickets_refuse_customer_replies() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Lock me"))
        .await
        .expect("create");
    let locked = s
        .admin
        .update_ticket(
            t.id,
            &TicketPatch {
                locked: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("lock");
    assert!(locked.locked);

    assert_code(
        pat.client
            .reply(
                t.id,
                &NewReply {
                    message: "let me in".into(),
                    internal: None,
                },
            )
            .await,
        ErrorCode::TicketLocked,
    );
    let replies = s.admin.replies(t.id).await.expect("replies");
    assert_eq!(replies.data.len(), 1, "nothing written by the refused reply");
    s.admin
        .reply(
            t.id,
            &NewReply {
                message: "staff still may".into(),
                internal: None,
            },
        )
        .await
        .expect("staff reply");
    s.shutdown().await;
}

#[tokio::test]
async fn staff_patch_every_field_end_user_only_solves() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let other = s.department().await;
    let pat = s.customer().await;
    let agent_staff = s
        .admin
        .create_staff(&NewStaff {
            email: "agent@example.com".into(),
            name: "Agnes".into(),
            role: Role::Agent,
            password: "long enough pw".into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Patch me"))
        .await
        .expect("create");
    // A ticket's service is a subscription of its customer (SPEC §5.3).
    let group = s
        .admin
        .create_group(&NewGroup {
            name: "Hosting".into(),
            ..NewGroup::default()
        })
        .await
        .expect("group");
    let package = s
        .admin
        .create_package(&NewPackage {
            name: "Hosting".into(),
            group_id: Some(group.id),
            ..NewPackage::default()
        })
        .await
        .expect("package");
    let plan = s
        .admin
        .create_plan(&NewPlan {
            package_id: package.id,
            name: "Monthly".into(),
            currency: "EUR".into(),
            interval: "month".into(),
            pricing: "flat".into(),
            amount: Some(900),
            ..NewPlan::default()
        })
        .await
        .expect("plan");
    let service = s
        .admin
        .subscribe(
            pat.customer.id,
            &NewSubscription {
                plan_id: plan.id,
                ..NewSubscription::default()
            },
        )
        .await
        .expect("subscribe")
        .id;

    let mut cf = serde_json::Map::new();
    cf.insert("order".into(), serde_json::json!("A-17"));
    let patched = s
        .admin
        .update_ticket(
            t.id,
            &TicketPatch {
                status: Some(TicketStatus::Process),
                priority: Some(Priority::HIGH),
                did: Some(other.id),
                locked: Some(true),
                assigned: Some(Some(agent_staff.id)),
                service: Some(Some(service)),
                title: Some("Patched".into()),
                custom_fields: Some(cf.clone()),
                account_key: Some(Some("jdoe".into())),
            },
        )
        .await
        .expect("patch");
    assert_eq!(patched.status, TicketStatus::Process);
    assert_eq!(
        (patched.priority, patched.did, patched.locked),
        (Priority::HIGH, other.id, true)
    );
    assert_eq!(
        (patched.assigned, patched.service, patched.title.as_str()),
        (Some(agent_staff.id), Some(service), "Patched")
    );
    assert_eq!(patched.assigned_by, None, "an integration token is not a staff member");
    assert_eq!(
        (patched.custom_fields, patched.account_key.as_deref()),
        (cf, Some("jdoe"))
    );
    assert_eq!(s.admin.ticket(t.id).await.expect("reload").title, "Patched");

    let cleared = s
        .admin
        .update_ticket(
            t.id,
            &TicketPatch {
                assigned: Some(None),
                service: Some(None),
                ..Default::default()
            },
        )
        .await
        .expect("clear");
    assert_eq!((cleared.assigned, cleared.service), (None, None));

    for bad in [
        TicketPatch {
            priority: Some(Priority::LOW),
            ..Default::default()
        },
        TicketPatch {
            status: Some(TicketStatus::Process),
            ..Default::default()
        },
        TicketPatch {
            locked: Some(false),
            ..Default::default()
        },
        TicketPatch {
            title: Some("mine now".into()),
            ..Default::default()
        },
    ] {
        assert_code(pat.client.update_ticket(t.id, &bad).await, ErrorCode::ValidationFailed);
    }
    let solved = pat
        .client
        .update_ticket(
            t.id,
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                ..Default::default()
            },
        )
        .await
        .expect("solve");
    assert_eq!(solved.status, TicketStatus::Solved);

    assert_code(
        s.admin
            .update_ticket(
                t.id,
                &TicketPatch {
                    did: Some(999_999),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_code(
        s.admin
            .update_ticket(
                t.id,
                &TicketPatch {
                    assigned: Some(Some(999_999)),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    s.shutdown().await;
}

#[tokio::test]
async fn read_flags() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Unread"))
        .await
        .expect("create");
    assert!(!t.read_by_staff);
    assert!(s.admin.mark_read(t.id).await.expect("staff read").read_by_staff);
    s.admin
        .reply(
            t.id,
            &NewReply {
                message: "answer".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");
    assert!(!pat.client.ticket(t.id).await.expect("get").read_by_customer);
    assert!(
        pat.client
            .mark_read(t.id)
            .await
            .expect("customer read")
            .read_by_customer
    );
    s.shutdown().await;
}

#[tokio::test]
async fn other_customers_tickets_are_not_found() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let sam = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Private"))
        .await
        .expect("create");

    assert_code(sam.client.ticket(t.id).await, ErrorCode::NotFound);
    assert_code(sam.client.replies(t.id).await, ErrorCode::NotFound);
    assert_code(
        sam.client
            .reply(
                t.id,
                &NewReply {
                    message: "hi".into(),
                    internal: None,
                },
            )
            .await,
        ErrorCode::NotFound,
    );
    assert_code(
        sam.client
            .update_ticket(
                t.id,
                &TicketPatch {
                    status: Some(TicketStatus::Solved),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::NotFound,
    );
    assert_code(sam.client.mark_read(t.id).await, ErrorCode::NotFound);
    assert!(
        sam.client
            .tickets(&TicketQuery::default())
            .await
            .expect("list")
            .data
            .is_empty()
    );
    let forced = TicketQuery {
        customer_id: Some(pat.customer.id),
        ..Default::default()
    };
    assert!(
        sam.client.tickets(&forced).await.expect("list").data.is_empty(),
        "customer_id filter cannot widen the scope"
    );
    assert_code(s.anonymous().ticket(t.id).await, ErrorCode::Unauthenticated);
    assert_code(s.admin.ticket(999_999).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn replies_can_be_edited_and_deleted_by_staff() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let agent = s.agent().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Typos"))
        .await
        .expect("create");
    let r = agent
        .reply(
            t.id,
            &NewReply {
                message: "teh answer".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");

    let fixed = agent
        .update_reply(
            t.id,
            r.id,
            &ReplyPatch {
                message: "the answer".into(),
            },
        )
        .await
        .expect("edit");
    assert_eq!(fixed.message, "the answer");
    assert_code(
        pat.client
            .update_reply(t.id, r.id, &ReplyPatch { message: "mine".into() })
            .await,
        ErrorCode::NotFound,
    );
    assert_code(pat.client.delete_reply(t.id, r.id).await, ErrorCode::NotFound);
    assert_code(
        agent
            .update_reply(t.id, r.id, &ReplyPatch { message: "  ".into() })
            .await,
        ErrorCode::ValidationFailed,
    );

    let other = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Other"))
        .await
        .expect("create");
    assert_code(agent.delete_reply(other.id, r.id).await, ErrorCode::NotFound);
    agent.delete_reply(t.id, r.id).await.expect("delete");
    assert_eq!(s.admin.replies(t.id).await.expect("replies").data.len(), 1);
    s.shutdown().await;
}

#[tokio::test]
async fn delete_is_for_admins() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let agent = s.agent().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Delete me"))
        .await
        .expect("create");
    assert_code(pat.client.delete_ticket(t.id).await, ErrorCode::NotFound);
    assert_code(agent.delete_ticket(t.id).await, ErrorCode::NotFound);
    s.admin.delete_ticket(t.id).await.expect("delete");
    assert_code(s.admin.ticket(t.id).await, ErrorCode::NotFound);
    assert_code(s.admin.delete_ticket(t.id).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn filters_sorting_and_pagination() {
    let s = TestServer::start().await;
    let d1 = s.department().await;
    let d2 = s.department().await;
    let pat = s.customer().await;
    let sam = s.customer().await;
    let staff = s
        .admin
        .create_staff(&NewStaff {
            email: "a2@example.com".into(),
            name: "Al".into(),
            role: Role::Agent,
            password: "long enough pw".into(),
            department_ids: None,
        })
        .await
        .expect("staff");

    let mut ids = Vec::new();
    for i in 0..7 {
        let (who, did) = if i % 2 == 0 { (&pat, d1.id) } else { (&sam, d2.id) };
        let body = NewTicket {
            priority: Priority::try_from(i % 3 + 1).ok(),
            ..new_ticket(did, &format!("Ticket {i}"))
        };
        ids.push(who.client.create_ticket(&body).await.expect("create").id);
    }
    s.admin
        .update_ticket(
            ids[0],
            &TicketPatch {
                assigned: Some(Some(staff.id)),
                locked: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("assign");
    s.admin
        .reply(
            ids[1],
            &NewReply {
                message: "answered".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");

    let list = |q: TicketQuery| {
        let c = s.admin.clone();
        async move {
            c.tickets(&q)
                .await
                .expect("list")
                .data
                .into_iter()
                .map(|t| t.id)
                .collect::<Vec<_>>()
        }
    };
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
    assert_eq!(list(TicketQuery::default()).await, newest_first);
    assert_eq!(
        list(TicketQuery {
            did: Some(d1.id),
            ..Default::default()
        })
        .await,
        [ids[6], ids[4], ids[2], ids[0]]
    );
    assert_eq!(
        list(TicketQuery {
            customer_id: Some(sam.customer.id),
            ..Default::default()
        })
        .await,
        [ids[5], ids[3], ids[1]]
    );
    assert_eq!(
        list(TicketQuery {
            user_id: Some(sam.end_user.id),
            ..Default::default()
        })
        .await,
        [ids[5], ids[3], ids[1]]
    );
    assert_eq!(
        list(TicketQuery {
            status: Some("replied".into()),
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    assert_eq!(
        list(TicketQuery {
            status: Some("replied,waiting".into()),
            ..Default::default()
        })
        .await
        .len(),
        7
    );
    assert_eq!(
        list(TicketQuery {
            assigned: Some(staff.id.to_string()),
            ..Default::default()
        })
        .await,
        [ids[0]]
    );
    assert_eq!(
        list(TicketQuery {
            assigned: Some("none".into()),
            ..Default::default()
        })
        .await
        .len(),
        6
    );
    assert_eq!(
        list(TicketQuery {
            locked: Some(1),
            ..Default::default()
        })
        .await,
        [ids[0]]
    );
    assert_eq!(
        list(TicketQuery {
            priority: Some(3),
            ..Default::default()
        })
        .await,
        [ids[5], ids[2]]
    );
    assert_eq!(
        list(TicketQuery {
            sort: Some("id".into()),
            ..Default::default()
        })
        .await,
        ids
    );
    assert_eq!(
        list(TicketQuery {
            sort: Some("-lastreply".into()),
            limit: Some(1),
            ..Default::default()
        })
        .await,
        [ids[1]]
    );
    let by_priority = list(TicketQuery {
        sort: Some("-priority".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(by_priority, [ids[5], ids[2], ids[4], ids[1], ids[6], ids[3], ids[0]]);

    // Walk every sort order three at a time: same rows, same order, no duplicates; with a `q=` every
    // ticket matches (the bounded plan of the id orders and the plain filter of the others page alike).
    for q in [None, Some("ticket")] {
        for sort in ["-id", "id", "lastreply", "-lastreply", "priority", "-priority"] {
            let full = list(TicketQuery {
                sort: Some(sort.into()),
                ..Default::default()
            })
            .await;
            let mut walked = Vec::new();
            let mut cursor = None;
            loop {
                let page = s
                    .admin
                    .tickets(&TicketQuery {
                        sort: Some(sort.into()),
                        q: q.map(Into::into),
                        limit: Some(3),
                        cursor,
                        ..Default::default()
                    })
                    .await
                    .expect("page");
                walked.extend(page.data.iter().map(|t| t.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(walked, full, "sort {sort}, q {q:?}");
        }
    }

    // An end user's `q=` list pages through their customer's matches only, newest first.
    let mut walked = Vec::new();
    let mut cursor = None;
    loop {
        let page = pat
            .client
            .tickets(&TicketQuery {
                q: Some("ticket".into()),
                limit: Some(3),
                cursor,
                ..Default::default()
            })
            .await
            .expect("end user's page");
        walked.extend(page.data.iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, [ids[6], ids[4], ids[2], ids[0]], "the end user's matches");

    for bad in [
        TicketQuery {
            status: Some("open".into()),
            ..Default::default()
        },
        TicketQuery {
            priority: Some(4),
            ..Default::default()
        },
        TicketQuery {
            locked: Some(2),
            ..Default::default()
        },
        TicketQuery {
            assigned: Some("bob".into()),
            ..Default::default()
        },
        TicketQuery {
            sort: Some("title".into()),
            ..Default::default()
        },
        TicketQuery {
            cursor: Some("zz".into()),
            ..Default::default()
        },
        TicketQuery {
            limit: Some(0),
            ..Default::default()
        },
    ] {
        assert_code(s.admin.tickets(&bad).await, ErrorCode::ValidationFailed);
    }
    // Pat sees only Pat's customer's tickets, whatever the filter.
    let mine = pat.client.tickets(&TicketQuery::default()).await.expect("own list");
    assert_eq!(
        mine.data.iter().map(|t| t.id).collect::<Vec<_>>(),
        [ids[6], ids[4], ids[2], ids[0]]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn full_text_filter_covers_title_and_every_reply() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let a = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Invoice question"))
        .await
        .expect("a");
    let b = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Login trouble"))
        .await
        .expect("b");
    s.admin
        .reply(
            b.id,
            &NewReply {
                message: "Reset your password via the portal".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");
    s.admin
        .reply(
            a.id,
            &NewReply {
                message: "escalated to kangaroo team".into(),
                internal: Some(true),
            },
        )
        .await
        .expect("note");

    let q = |c: &ferrodesk_client::Client, text: &str| {
        let c = c.clone();
        let text = text.to_owned();
        async move {
            c.tickets(&TicketQuery {
                q: Some(text),
                ..Default::default()
            })
            .await
            .expect("q")
            .data
            .into_iter()
            .map(|t| t.id)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(q(&s.admin, "invoice").await, [a.id]);
    assert_eq!(q(&s.admin, "password portal").await, [b.id]);
    assert_eq!(q(&s.admin, "work").await.len(), 2, "first message of both");
    assert_eq!(q(&s.admin, "kangaroo").await, [a.id], "staff search internal notes");
    assert!(
        q(&pat.client, "kangaroo").await.is_empty(),
        "end users never match internal notes"
    );
    assert!(q(&s.admin, "nonexistentword").await.is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn replies_page_with_limit_and_cursor() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let pat = s.customer().await;
    let t = pat
        .client
        .create_ticket(&new_ticket(dept.id, "Many replies"))
        .await
        .expect("create");
    let mut written = vec![0];
    for i in 0..5 {
        let r = s
            .admin
            .reply(
                t.id,
                &NewReply {
                    message: format!("answer {i}"),
                    internal: Some(i == 2),
                },
            )
            .await
            .expect("reply");
        written.push(r.id);
    }
    let first = s
        .admin
        .replies_page(
            t.id,
            &ListQuery {
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .expect("first page");
    assert_eq!(first.data.len(), 2, "limit is honoured");
    let mut seen: Vec<i64> = first.data.iter().map(|r| r.id).collect();
    let mut cursor = first.next_cursor;
    while let Some(c) = cursor {
        let page = s
            .admin
            .replies_page(
                t.id,
                &ListQuery {
                    limit: Some(2),
                    cursor: Some(c),
                    ..Default::default()
                },
            )
            .await
            .expect("next page");
        assert!(!page.data.is_empty() && page.data.len() <= 2);
        seen.extend(page.data.iter().map(|r| r.id));
        cursor = page.next_cursor;
    }
    let first_reply = s.admin.replies(t.id).await.expect("all").data[0].id;
    let mut expected = vec![first_reply];
    expected.extend(&written[1..]);
    assert_eq!(seen, expected, "every reply once, oldest first");

    // The customer's pages skip the internal note.
    let theirs = pat
        .client
        .replies_page(
            t.id,
            &ListQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
        .expect("customer page");
    assert_eq!(theirs.data.len(), 5);
    assert!(theirs.next_cursor.is_none());

    let p = assert_code(
        s.admin
            .replies_page(
                t.id,
                &ListQuery {
                    cursor: Some("not a cursor".into()),
                    ..Default::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["cursor"]);
    s.shutdown().await;
}

/// Staff opening tickets for the same new requester (customer + email) at once all succeed: the requests
/// that lose the race to create the end user use the one that won.
#[tokio::test]
async fn concurrent_tickets_for_one_new_requester_share_one_end_user() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let customer = s
        .admin
        .create_customer(&NewCustomer {
            name: unique("Racing"),
            ..Default::default()
        })
        .await
        .expect("customer");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let admin = s.admin.clone();
        let body = NewTicket {
            customer_id: Some(customer.id),
            email: Some("first.time@racing.example".into()),
            name: Some("First Time".into()),
            ..new_ticket(dept.id, &format!("phoned in {i}"))
        };
        tasks.spawn(async move { admin.create_ticket(&body).await });
    }
    let mut tickets = Vec::new();
    while let Some(done) = tasks.join_next().await {
        tickets.push(done.expect("task").expect("every create succeeds"));
    }
    assert_eq!(tickets.len(), 20);
    let requester = tickets[0].user_id;
    assert!(
        tickets
            .iter()
            .all(|t| t.user_id == requester && t.customer_id == customer.id),
        "one requester for all: {:?}",
        tickets.iter().map(|t| t.user_id).collect::<Vec<_>>()
    );
    let end_users = s
        .admin
        .customer_end_users(customer.id, &ListQuery::default())
        .await
        .expect("list");
    assert_eq!(end_users.data.iter().map(|u| u.id).collect::<Vec<_>>(), [requester]);
    assert_eq!(end_users.data[0].email.as_deref(), Some("first.time@racing.example"));
    s.shutdown().await;
}
