//! Lists: keyset pages, ticket filters, sorts, cursors and the full-text filter.
use super::*;

pub(super) async fn brand_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(
            w.insert_brand(&new_brand(&format!("Brand {i}"), &format!("brand-{i}")))
                .await
                .expect("brand")
                .id,
        );
    }
    w.commit().await.expect("commit");
    let expected = newest_first(made);
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&r.brand_list(&PageRequest::first(10)).await.expect("brand_list")),
        expected
    );
    assert_eq!(
        ids(&r.brand_list(&PageRequest::first(2)).await.expect("brand_list")),
        expected[..2]
    );
    for limit in [1, 2, 3, 5] {
        assert_eq!(
            id_pages!(limit, page => r.brand_list(&page).await.expect("brand_list")),
            expected,
            "limit {limit}"
        );
    }
    let after_second = PageRequest {
        limit: 10,
        after: Some(Cursor {
            key: 0,
            id: expected[1],
        }),
    };
    assert_eq!(
        ids(&r.brand_list(&after_second).await.expect("brand_list")),
        expected[2..]
    );
}

pub(super) async fn customer_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let mut live = Vec::new();
    let mut deleted = Vec::new();
    for i in 0..7 {
        let mut c = new_customer(&format!("Customer {i}"), None);
        if i % 3 == 1 {
            c.deleted_at = Some(now());
        }
        let c = w.insert_customer(&c, &[]).await.expect("insert customer");
        if c.deleted_at.is_some() {
            deleted.push(c.id);
        } else {
            live.push(c.id);
        }
    }
    w.commit().await.expect("commit");
    let all = newest_first(live.iter().chain(&deleted).copied().collect());
    let (live, deleted) = (newest_first(live), newest_first(deleted));
    let mut r = reader(&s).await;
    for limit in [1, 2, 10] {
        for (filter, expected) in [
            (DeletedFilter::Exclude, &live),
            (DeletedFilter::Only, &deleted),
            (DeletedFilter::Include, &all),
        ] {
            assert_eq!(
                &id_pages!(limit, page => r.customer_list(filter, &page).await.expect("list")),
                expected,
                "{filter:?}, limit {limit}"
            );
        }
    }
    drop(r);

    // Soft delete through update_customer moves a customer between the lists.
    let mut w = writer(&s).await;
    let mut c = w.customer(live[0]).await.expect("customer").expect("live customer");
    c.deleted_at = Some(now());
    w.update_customer(&c, None).await.expect("soft delete");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&r
            .customer_list(DeletedFilter::Exclude, &PageRequest::first(10))
            .await
            .expect("list")),
        live[1..]
    );
    assert_eq!(
        ids(&r
            .customer_list(DeletedFilter::Only, &PageRequest::first(10))
            .await
            .expect("list")),
        newest_first(deleted.iter().copied().chain([live[0]]).collect())
    );
    assert_eq!(
        ids(&r
            .customer_list(DeletedFilter::Include, &PageRequest::first(10))
            .await
            .expect("list")),
        all
    );
}

pub(super) async fn end_user_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let c1 = w
        .insert_customer(&new_customer("One", None), &[])
        .await
        .expect("customer");
    let c2 = w
        .insert_customer(&new_customer("Two", None), &[])
        .await
        .expect("customer");
    let c3 = w
        .insert_customer(&new_customer("Three", None), &[])
        .await
        .expect("customer");
    let mut users: Vec<EndUser> = Vec::new();
    for i in 0..11 {
        let customer = [c1.id, c2.id, c3.id][i % 3];
        let mut u = new_end_user(customer, &format!("User {i}"), None);
        if i == 4 || i == 5 || i == 8 {
            u.deleted_at = Some(now());
        }
        users.push(w.insert_end_user(&u, None, &[]).await.expect("end user"));
    }
    // The third customer is soft-deleted: its end users count as deleted, without changing their own rows.
    let mut gone = c3.clone();
    gone.deleted_at = Some(now());
    w.update_customer(&gone, None).await.expect("soft delete customer");
    w.commit().await.expect("commit");
    let deleted = |u: &EndUser| u.deleted_at.is_some() || u.customer_id == c3.id;
    let expect = |customer: Option<i64>, filter: DeletedFilter| {
        newest_first(
            users
                .iter()
                .filter(|u| customer.is_none_or(|c| u.customer_id == c))
                .filter(|u| match filter {
                    DeletedFilter::Exclude => !deleted(u),
                    DeletedFilter::Only => deleted(u),
                    DeletedFilter::Include => true,
                })
                .map(|u| u.id)
                .collect(),
        )
    };
    let mut r = reader(&s).await;
    for customer in [None, Some(c1.id), Some(c2.id), Some(c3.id)] {
        for filter in [DeletedFilter::Exclude, DeletedFilter::Only, DeletedFilter::Include] {
            let expected = expect(customer, filter);
            for limit in [1, 2, 50] {
                let got = id_pages!(limit, page => r.end_user_list(customer, filter, &page).await.expect("list"));
                assert_eq!(got, expected, "end users of {customer:?}, {filter:?}, limit {limit}");
            }
        }
    }
    assert!(
        r.end_user_list(Some(c3.id), DeletedFilter::Exclude, &PageRequest::first(50))
            .await
            .expect("list")
            .is_empty(),
        "end users of a deleted customer are listed"
    );
    assert_eq!(
        r.end_user_list(Some(c1.id), DeletedFilter::Exclude, &PageRequest::first(50))
            .await
            .expect("list")
            .len(),
        4
    );
    drop(r);

    // Restoring the customer brings its end users back as they were: the one deleted on its own stays so.
    let mut w = writer(&s).await;
    w.update_customer(
        &Customer {
            deleted_at: None,
            ..gone
        },
        None,
    )
    .await
    .expect("restore customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let back = r
        .end_user_list(Some(c3.id), DeletedFilter::Exclude, &PageRequest::first(50))
        .await
        .expect("list");
    assert_eq!(
        ids(&back),
        newest_first(
            users
                .iter()
                .filter(|u| u.customer_id == c3.id && u.deleted_at.is_none())
                .map(|u| u.id)
                .collect()
        )
    );
    for u in &back {
        assert_eq!(
            Some(u),
            users.iter().find(|x| x.id == u.id),
            "restored end user changed"
        );
    }
}

pub(super) async fn department_list_pages(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let b1 = w.insert_brand(&new_brand("One", "one")).await.expect("brand");
    let b2 = w.insert_brand(&new_brand("Two", "two")).await.expect("brand");
    let mut depts = Vec::new();
    for i in 0..7 {
        let brand = if i < 4 { b1.id } else { b2.id };
        let d = new_department(brand, &format!("Dept {i}"), &format!("dept-{i}"), i % 2 == 0);
        depts.push(w.insert_department(&d).await.expect("department"));
    }
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    for brand in [None, Some(b1.id), Some(b2.id)] {
        for public_only in [false, true] {
            let expected = newest_first(
                depts
                    .iter()
                    .filter(|d| brand.is_none_or(|b| d.brand_id == b) && (d.public || !public_only))
                    .map(|d| d.id)
                    .collect(),
            );
            for limit in [1, 2, 50] {
                let got = id_pages!(limit, page => r.department_list(brand, public_only, &page).await.expect("list"));
                assert_eq!(
                    got, expected,
                    "departments of brand {brand:?}, public_only {public_only}, limit {limit}"
                );
            }
        }
    }
    let all = r
        .department_list(None, true, &PageRequest::first(50))
        .await
        .expect("list");
    assert!(all.iter().all(|d| d.public), "public_only listed a private department");
    assert_eq!(all.len(), 4);
}

pub(super) async fn reply_list_pages(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let tickets = insert_tickets(&s, vec![new_ticket(&world, "Paged"), new_ticket(&world, "Other")]).await;
    let mut made = Vec::new();
    for i in 0..7 {
        made.push(new_reply(tickets[0].id, &format!("reply {i}"), i % 3 == 2));
    }
    made.push(new_reply(tickets[1].id, "elsewhere", false));
    let replies = insert_replies(&s, made).await;
    let all: Vec<i64> = replies[..7].iter().map(|r| r.id).collect();
    let public: Vec<i64> = replies[..7].iter().filter(|r| !r.internal).map(|r| r.id).collect();
    let mut r = reader(&s).await;
    for limit in [1, 2, 3, 50] {
        for (internal, expected) in [(true, &all), (false, &public)] {
            // Oldest first: each page continues after the last id of the one before.
            let mut got: Vec<i64> = Vec::new();
            let mut after: Option<Cursor> = None;
            loop {
                let page = PageRequest {
                    limit,
                    after: after.clone(),
                };
                let rows = ids(&r.reply_page(tickets[0].id, internal, &page).await.expect("reply_page"));
                assert!(rows.len() <= limit as usize, "a page is longer than its limit {limit}");
                let Some(&last) = rows.last() else { break };
                after = Some(Cursor { key: 0, id: last });
                got.extend(rows);
            }
            assert_eq!(&got, expected, "limit {limit}, internal {internal}");
        }
    }
}

// ---------------------------------------------------------------- checks: tickets

/// Tickets spread over two departments, customers, users and agents, with every status and priority.
pub(super) struct TicketWorld {
    brand: i64,
    dept_a: i64,
    dept_b: i64,
    customer_1: i64,
    customer_2: i64,
    user_1: i64,
    user_3: i64,
    staff_1: i64,
    staff_2: i64,
    tickets: Vec<Ticket>,
}

pub(super) async fn ticket_world(s: &Arc<dyn Store>) -> TicketWorld {
    let world = world(s).await;
    let mut w = writer(s).await;
    let dept_b = w
        .insert_department(&new_department(world.brand.id, "Billing", "billing", false))
        .await
        .expect("department");
    let customer_2 = w
        .insert_customer(&new_customer("Initech", None), &[])
        .await
        .expect("customer");
    let user_2 = w
        .insert_end_user(&new_end_user(customer_2.id, "Peter", None), None, &[])
        .await
        .expect("end user");
    let user_3 = w
        .insert_end_user(&new_end_user(world.customer.id, "Lisa", None), None, &[])
        .await
        .expect("end user");
    let staff_2 = w
        .insert_staff(&new_staff("b@example.com", "B", Role::Agent), "h")
        .await
        .expect("staff");
    w.commit().await.expect("commit");

    let (a, b) = (world.department.id, dept_b.id);
    let (u1, u2, u3) = (world.end_user.id, user_2.id, user_3.id);
    let (c1, c2) = (world.customer.id, customer_2.id);
    let (s1, s2) = (world.staff.id, staff_2.id);
    use TicketStatus::*;
    // (department, user, customer, status, priority, assigned, locked, lastreply offset)
    let rows = [
        (a, u1, c1, Waiting, 1, None, false, 30),
        (b, u2, c2, Replied, 2, Some(s1), true, 10),
        (a, u3, c1, Process, 3, Some(s2), false, 30),
        (b, u1, c1, Solved, 2, Some(s1), true, 20),
        (a, u2, c2, Waiting, 3, None, true, 10),
        (a, u1, c1, Replied, 1, Some(s2), false, 30),
        (b, u3, c1, Waiting, 3, None, false, 5),
        (a, u2, c2, Process, 2, Some(s1), false, 20),
    ];
    let base = now();
    let tickets = rows
        .iter()
        .enumerate()
        .map(
            |(i, &(did, user_id, customer_id, status, priority, assigned, locked, offset))| Ticket {
                did,
                user_id,
                customer_id,
                status,
                priority: Priority::try_from(priority).expect("a valid priority"),
                assigned,
                assigned_by: assigned.map(|_| s1),
                locked,
                lastreply: at(base, offset),
                ..new_ticket(&world, &format!("Ticket number {i}"))
            },
        )
        .collect();
    let tickets = insert_tickets(s, tickets).await;
    TicketWorld {
        brand: world.brand.id,
        dept_a: a,
        dept_b: b,
        customer_1: c1,
        customer_2: c2,
        user_1: u1,
        user_3: u3,
        staff_1: s1,
        staff_2: s2,
        tickets,
    }
}

pub(super) fn expected_ids(tickets: &[Ticket], keep: impl Fn(&Ticket) -> bool) -> Vec<i64> {
    newest_first(tickets.iter().filter(|t| keep(t)).map(|t| t.id).collect())
}

pub(super) async fn ticket_list_filters(s: Arc<dyn Store>) {
    let tw = ticket_world(&s).await;
    let all = &tw.tickets;
    let mut r = reader(&s).await;

    let listed = r.ticket_list(&TicketFilter::default()).await.expect("ticket_list");
    let mut newest: Vec<Ticket> = all.clone();
    newest.reverse();
    assert_eq!(
        listed, newest,
        "the unfiltered list is every ticket, newest first, as stored"
    );

    type Keep = Box<dyn Fn(&Ticket) -> bool + Send>;
    let cases: Vec<(&str, TicketFilter, Keep)> = vec![
        (
            "status waiting",
            TicketFilter {
                statuses: vec![TicketStatus::Waiting],
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.status == TicketStatus::Waiting),
        ),
        (
            "status waiting or solved",
            TicketFilter {
                statuses: vec![TicketStatus::Waiting, TicketStatus::Solved],
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| matches!(t.status, TicketStatus::Waiting | TicketStatus::Solved)),
        ),
        (
            "every status",
            TicketFilter {
                statuses: TicketStatus::ALL.to_vec(),
                ..TicketFilter::default()
            },
            Box::new(|_: &Ticket| true),
        ),
        (
            "department a",
            TicketFilter {
                did: Some(tw.dept_a),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_a;
                Box::new(move |t: &Ticket| t.did == d)
            },
        ),
        (
            "department b",
            TicketFilter {
                did: Some(tw.dept_b),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_b;
                Box::new(move |t: &Ticket| t.did == d)
            },
        ),
        (
            "a brand with both departments",
            TicketFilter {
                brand: Some(tw.brand),
                ..TicketFilter::default()
            },
            {
                let (a, b) = (tw.dept_a, tw.dept_b);
                Box::new(move |t: &Ticket| t.did == a || t.did == b)
            },
        ),
        (
            "customer 1",
            TicketFilter {
                customer_id: Some(tw.customer_1),
                ..TicketFilter::default()
            },
            {
                let c = tw.customer_1;
                Box::new(move |t: &Ticket| t.customer_id == c)
            },
        ),
        (
            "customer 2",
            TicketFilter {
                customer_id: Some(tw.customer_2),
                ..TicketFilter::default()
            },
            {
                let c = tw.customer_2;
                Box::new(move |t: &Ticket| t.customer_id == c)
            },
        ),
        (
            "user 1",
            TicketFilter {
                user_id: Some(tw.user_1),
                ..TicketFilter::default()
            },
            {
                let u = tw.user_1;
                Box::new(move |t: &Ticket| t.user_id == u)
            },
        ),
        (
            "user 3",
            TicketFilter {
                user_id: Some(tw.user_3),
                ..TicketFilter::default()
            },
            {
                let u = tw.user_3;
                Box::new(move |t: &Ticket| t.user_id == u)
            },
        ),
        (
            "assigned to nobody",
            TicketFilter {
                assigned: Some(AssignedFilter::Nobody),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.assigned.is_none()),
        ),
        (
            "assigned to staff 1",
            TicketFilter {
                assigned: Some(AssignedFilter::Staff(tw.staff_1)),
                ..TicketFilter::default()
            },
            {
                let s1 = tw.staff_1;
                Box::new(move |t: &Ticket| t.assigned == Some(s1))
            },
        ),
        (
            "assigned to staff 2",
            TicketFilter {
                assigned: Some(AssignedFilter::Staff(tw.staff_2)),
                ..TicketFilter::default()
            },
            {
                let s2 = tw.staff_2;
                Box::new(move |t: &Ticket| t.assigned == Some(s2))
            },
        ),
        (
            "priority 1",
            TicketFilter {
                priority: Some(1),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 1),
        ),
        (
            "priority 2",
            TicketFilter {
                priority: Some(2),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 2),
        ),
        (
            "priority 3",
            TicketFilter {
                priority: Some(3),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.priority.get() == 3),
        ),
        (
            "locked",
            TicketFilter {
                locked: Some(true),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| t.locked),
        ),
        (
            "unlocked",
            TicketFilter {
                locked: Some(false),
                ..TicketFilter::default()
            },
            Box::new(|t: &Ticket| !t.locked),
        ),
        (
            "department a, waiting or replied, unlocked",
            TicketFilter {
                did: Some(tw.dept_a),
                statuses: vec![TicketStatus::Waiting, TicketStatus::Replied],
                locked: Some(false),
                ..TicketFilter::default()
            },
            {
                let d = tw.dept_a;
                Box::new(move |t: &Ticket| {
                    t.did == d && matches!(t.status, TicketStatus::Waiting | TicketStatus::Replied) && !t.locked
                })
            },
        ),
        (
            "customer 1 assigned to staff 1",
            TicketFilter {
                customer_id: Some(tw.customer_1),
                assigned: Some(AssignedFilter::Staff(tw.staff_1)),
                ..TicketFilter::default()
            },
            {
                let (c, s1) = (tw.customer_1, tw.staff_1);
                Box::new(move |t: &Ticket| t.customer_id == c && t.assigned == Some(s1))
            },
        ),
        (
            "nothing matches",
            TicketFilter {
                did: Some(tw.dept_b),
                priority: Some(1),
                ..TicketFilter::default()
            },
            Box::new(|_: &Ticket| false),
        ),
    ];
    for (name, filter, keep) in cases {
        let expected = expected_ids(all, keep);
        assert!(
            name == "nothing matches" || !expected.is_empty(),
            "case {name} selects nothing"
        );
        let got = ids(&r.ticket_list(&filter).await.expect("ticket_list"));
        assert_eq!(got, expected, "ticket_list filter: {name}");
        // The same filter, two at a time.
        let got = id_pages!(2, page => r.ticket_list(&TicketFilter { page, ..filter.clone() }).await.expect("list"));
        assert_eq!(got, expected, "ticket_list filter: {name}, in pages of 2");
    }
    let two = TicketFilter {
        page: PageRequest::first(2),
        ..TicketFilter::default()
    };
    assert_eq!(
        r.ticket_list(&two).await.expect("ticket_list").len(),
        2,
        "limit not applied"
    );
}

pub(super) fn sort_key(t: &Ticket, sort: TicketSort) -> i64 {
    match sort {
        TicketSort::IdAsc | TicketSort::IdDesc => 0,
        TicketSort::LastReplyAsc | TicketSort::LastReplyDesc => to_micros(t.lastreply),
        TicketSort::PriorityAsc | TicketSort::PriorityDesc => i64::from(t.priority),
    }
}

pub(super) async fn ticket_list_sorts_and_cursors(s: Arc<dyn Store>) {
    let tw = ticket_world(&s).await;
    let mut r = reader(&s).await;
    let sorts = [
        TicketSort::IdDesc,
        TicketSort::IdAsc,
        TicketSort::LastReplyDesc,
        TicketSort::LastReplyAsc,
        TicketSort::PriorityDesc,
        TicketSort::PriorityAsc,
    ];
    for sort in sorts {
        for locked in [None, Some(false)] {
            let mut expected: Vec<&Ticket> = tw
                .tickets
                .iter()
                .filter(|t| locked.is_none_or(|l| t.locked == l))
                .collect();
            expected.sort_by_key(|t| (sort_key(t, sort), t.id));
            if sort.descending() {
                expected.reverse();
            }
            let expected: Vec<i64> = expected.iter().map(|t| t.id).collect();
            for limit in [1, 2, 3, 50] {
                let base = TicketFilter {
                    locked,
                    sort,
                    ..TicketFilter::default()
                };
                let mut got: Vec<i64> = Vec::new();
                let mut after: Option<Cursor> = None;
                for _ in 0..50 {
                    let filter = TicketFilter {
                        page: PageRequest {
                            limit,
                            after: after.clone(),
                        },
                        ..base.clone()
                    };
                    let page = r.ticket_list(&filter).await.expect("ticket_list");
                    assert!(page.len() <= limit as usize, "{sort:?}: page longer than {limit}");
                    let Some(last) = page.last() else { break };
                    after = Some(Cursor {
                        key: sort_key(last, sort),
                        id: last.id,
                    });
                    got.extend(ids(&page));
                }
                assert_eq!(got, expected, "{sort:?}, locked {locked:?}, pages of {limit}");
            }
        }
    }
}

pub(super) async fn ticket_list_terms(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Other", None), &[])
        .await
        .expect("customer");
    let other_user = w
        .insert_end_user(&new_end_user(other.id, "Otto", None), None, &[])
        .await
        .expect("end user");
    w.commit().await.expect("commit");
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Printer jammed again"),
            Ticket {
                customer_id: other.id,
                user_id: other_user.id,
                ..new_ticket(&world, "Invoice question")
            },
            new_ticket(&world, "Network down"),
        ],
    )
    .await;
    let (a, b, c) = (tickets[0].id, tickets[1].id, tickets[2].id);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(a, "the toner cartridge leaks", false),
            new_reply(a, "customer seems grumpy", true),
            new_reply(b, "printer works now thanks", false),
            new_reply(c, "printer firmware suspected", true),
        ],
    )
    .await;

    let mut r = reader(&s).await;
    assert_eq!(
        term_ids(&mut r, &["printer"], false).await,
        vec![b, a],
        "title and public reply"
    );
    assert_eq!(
        term_ids(&mut r, &["PRINTER"], false).await,
        vec![b, a],
        "terms ignore case"
    );
    assert_eq!(
        term_ids(&mut r, &["printer"], true).await,
        vec![c, b, a],
        "with internal notes"
    );
    assert_eq!(
        term_ids(&mut r, &["toner"], false).await,
        vec![a],
        "a word only in a reply"
    );
    assert_eq!(
        term_ids(&mut r, &["jammed"], false).await,
        vec![a],
        "a word only in the title"
    );
    assert!(
        term_ids(&mut r, &["grumpy"], false).await.is_empty(),
        "internal note matched without search_internal"
    );
    assert_eq!(
        term_ids(&mut r, &["grumpy"], true).await,
        vec![a],
        "internal note with search_internal"
    );
    assert_eq!(
        term_ids(&mut r, &["print"], true).await,
        vec![c, b, a],
        "the last term matches as a prefix"
    );
    assert!(
        term_ids(&mut r, &["print", "toner"], true).await.is_empty(),
        "terms before the last are whole words, not prefixes"
    );
    assert!(term_ids(&mut r, &["nonexistent"], true).await.is_empty());
    // Every term must occur, in any of the searched texts.
    assert_eq!(
        term_ids(&mut r, &["printer", "toner"], false).await,
        vec![a],
        "title + reply"
    );
    assert_eq!(
        term_ids(&mut r, &["printer", "thanks"], false).await,
        vec![b],
        "both in a reply"
    );
    assert!(
        term_ids(&mut r, &["printer", "network"], false).await.is_empty(),
        "one term only in a note"
    );
    assert_eq!(
        term_ids(&mut r, &["network", "printer"], true).await,
        vec![c],
        "title + internal note"
    );
    assert_eq!(
        term_ids(&mut r, &["jammed", "grumpy"], true).await,
        vec![a],
        "title + internal note"
    );
    assert!(
        term_ids(&mut r, &["toner", "thanks"], true).await.is_empty(),
        "terms in different tickets"
    );

    // Terms combine with the other filters, sorts and pages.
    let scoped = TicketFilter {
        customer_id: Some(other.id),
        ..ticket_terms(&["printer"], true)
    };
    assert_eq!(ids(&r.ticket_list(&scoped).await.expect("ticket_list")), vec![b]);
    let oldest_first = TicketFilter {
        sort: TicketSort::IdAsc,
        ..ticket_terms(&["printer"], true)
    };
    let got = id_pages!(1, page => r.ticket_list(&TicketFilter { page, ..ticket_terms(&["printer"], true) })
        .await.expect("ticket_list"));
    assert_eq!(got, vec![c, b, a], "terms in pages of 1");
    assert_eq!(
        ids(&r.ticket_list(&oldest_first).await.expect("ticket_list")),
        vec![a, b, c]
    );
    drop(r);

    // The index follows edits: a new title, an edited reply, a note made public, a deleted reply.
    let mut w = writer(&s).await;
    let retitled = Ticket {
        title: "Printer cleared".into(),
        ..tickets[0].clone()
    };
    w.update_ticket(&retitled).await.expect("update ticket");
    w.update_reply(&Reply {
        message: "the drum unit leaks".into(),
        ..replies[0].clone()
    })
    .await
    .expect("edit");
    w.update_reply(&Reply {
        internal: false,
        ..replies[3].clone()
    })
    .await
    .expect("publish note");
    w.delete_reply(replies[2].id).await.expect("delete reply");
    w.insert_reply(&new_reply(b, "resolved by reinstalling", false))
        .await
        .expect("insert reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        term_ids(&mut r, &["jammed"], true).await.is_empty(),
        "old title still matches"
    );
    assert_eq!(term_ids(&mut r, &["cleared"], false).await, vec![a], "new title");
    assert!(
        term_ids(&mut r, &["toner"], true).await.is_empty(),
        "edited-away reply text still matches"
    );
    assert_eq!(term_ids(&mut r, &["drum"], false).await, vec![a], "edited reply text");
    assert_eq!(
        term_ids(&mut r, &["firmware"], false).await,
        vec![c],
        "note made public"
    );
    assert!(
        term_ids(&mut r, &["thanks"], true).await.is_empty(),
        "deleted reply still matches"
    );
    assert_eq!(
        term_ids(&mut r, &["reinstalling"], false).await,
        vec![b],
        "reply added later"
    );
    assert_eq!(term_ids(&mut r, &["printer"], false).await, vec![c, a], "after edits");
}

/// A `q=` list with more matches than a page (and than a backend reads at once, across several blocks of
/// ids): the newest matches come first and the pages follow to the end, with the list's other filters, the
/// oldest-first order, the customer's narrowing, and internal notes matching for staff only.
pub(super) async fn ticket_list_terms_many_matches(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Initech", None), &[])
        .await
        .expect("customer");
    let other_user = w
        .insert_end_user(&new_end_user(other.id, "Peter", None), None, &[])
        .await
        .expect("end user");
    w.commit().await.expect("commit");
    let planned = (0..2_400)
        .map(|i| {
            let title = if i % 4 == 3 {
                format!("Wombat burrow {i}")
            } else {
                format!("Quokka sighting {i}")
            };
            let mut t = new_ticket(&world, &title);
            if i % 5 == 0 {
                t.status = TicketStatus::Solved;
            }
            if i % 7 == 0 {
                t.customer_id = other.id;
                t.user_id = other_user.id;
            }
            t
        })
        .collect();
    let tickets = insert_tickets(&s, planned).await;
    let noted: BTreeSet<i64> = tickets
        .iter()
        .filter(|t| t.title.starts_with("Wombat"))
        .step_by(10)
        .map(|t| t.id)
        .collect();
    insert_replies(
        &s,
        noted
            .iter()
            .map(|&id| new_reply(id, "a quokka was seen nearby", true))
            .collect(),
    )
    .await;
    let expected = |keep: &dyn Fn(&Ticket) -> bool| -> Vec<i64> {
        newest_first(tickets.iter().filter(|t| keep(t)).map(|t| t.id).collect())
    };
    let in_title = |t: &Ticket| t.title.starts_with("Quokka");
    let quokka = |page: PageRequest| TicketFilter {
        terms: vec!["quokka".into()],
        page,
        ..TicketFilter::default()
    };

    let mut r = reader(&s).await;
    let first = r
        .ticket_list(&quokka(PageRequest::first(50)))
        .await
        .expect("ticket_list q=");
    let newest = expected(&in_title);
    assert!(newest.len() > 1_500, "more matches than any backend reads at once");
    assert_eq!(ids(&first), newest[..50], "the first page holds the newest matches");

    let all = id_pages!(200, page => r.ticket_list(&quokka(page)).await.expect("ticket_list q="));
    assert_eq!(all, newest, "end users' view: every title match, newest first, no note");

    let staff = id_pages!(200, page => r
        .ticket_list(&TicketFilter {
            search_internal: true,
            ..quokka(page)
        })
        .await
        .expect("ticket_list q= for staff"));
    assert_eq!(
        staff,
        expected(&|t| in_title(t) || noted.contains(&t.id)),
        "staff also match internal notes"
    );

    let solved_oldest_first = id_pages!(100, page => r
        .ticket_list(&TicketFilter {
            statuses: vec![TicketStatus::Solved],
            sort: TicketSort::IdAsc,
            ..quokka(page)
        })
        .await
        .expect("ticket_list q= status= sort=id"));
    let mut solved = expected(&|t| in_title(t) && t.status == TicketStatus::Solved);
    solved.reverse();
    assert_eq!(solved_oldest_first, solved, "another filter, oldest first");

    let customer = id_pages!(50, page => r
        .ticket_list(&TicketFilter {
            customer_id: Some(other.id),
            ..quokka(page)
        })
        .await
        .expect("ticket_list q= customer_id="));
    assert_eq!(
        customer,
        expected(&|t| in_title(t) && t.customer_id == other.id),
        "one customer's matches"
    );
}
