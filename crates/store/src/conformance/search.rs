//! Ranked search over tickets, customers and end users.
use super::*;

pub(super) async fn search_tickets(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let long_reply = "Weekly report follows with many unrelated words about budgets meetings schedules travel \
                      lunch coffee parking badges printers chairs desks windows doors lamps plants and one nebula \
                      mention hidden among them plus more filler words at the very end of this message";
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Quasar alignment failure"),
            new_ticket(&world, "Routine checkup"),
            new_ticket(&world, "Nebula nebula"),
            new_ticket(&world, "Weekly report"),
            new_ticket(&world, "Unrelated matter"),
        ],
    )
    .await;
    let (quasar, routine, nebula, weekly) = (&tickets[0], &tickets[1], &tickets[2], &tickets[3]);
    insert_replies(
        &s,
        vec![
            new_reply(routine.id, "the quasar telescope is fine", false),
            new_reply(nebula.id, "nebula nebula nebula", false),
            new_reply(weekly.id, long_reply, false),
        ],
    )
    .await;

    let mut r = reader(&s).await;
    let hits = search(&mut r, &["quasar"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&hits),
        BTreeSet::from([quasar.id, routine.id]),
        "a word in a title and in a reply"
    );
    for hit in &hits {
        assert_eq!(hit.kind, SearchKind::Ticket);
        let ticket = tickets.iter().find(|t| t.id == hit.id).expect("hit is a ticket");
        assert_eq!(hit.title, ticket.title, "a ticket hit's title is the ticket's title");
        assert_marked(hit, "quasar");
    }

    let hits = search(&mut r, &["telescope"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![routine.id], "a word only in a reply");
    assert_eq!(hits[0].title, "Routine checkup");
    assert_marked(&hits[0], "telescope");

    let hits = search(&mut r, &["nebula"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&hits),
        vec![nebula.id, weekly.id],
        "five mentions rank above one in a long text"
    );
    assert!(
        hits[0].score > hits[1].score,
        "ranked hits have distinct scores: {hits:?}"
    );
    let one = r
        .search(&SearchRequest {
            limit: 1,
            ..search_request(&["nebula"], &[SearchKind::Ticket], None)
        })
        .await
        .expect("search");
    assert_eq!(ids(&one), vec![nebula.id], "limit keeps the best hit");

    let hits = search(&mut r, &["quasar", "telescope"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![routine.id], "every term must match");
    assert!(
        search(&mut r, &["quasar"], &[SearchKind::Customer, SearchKind::EndUser], None)
            .await
            .is_empty()
    );
    assert!(
        search(&mut r, &["pulsar"], &[SearchKind::Ticket], None)
            .await
            .is_empty()
    );
    assert!(
        search(&mut r, &["quasar"], &[], None).await.is_empty(),
        "no kinds, no hits"
    );
}

pub(super) async fn search_customer_scope(s: Arc<dyn Store>) {
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
            new_ticket(&world, "Gizmo broken"),
            Ticket {
                customer_id: other.id,
                user_id: other_user.id,
                ..new_ticket(&world, "Gizmo squeaks")
            },
        ],
    )
    .await;
    let (mine, theirs) = (tickets[0].id, tickets[1].id);
    insert_replies(
        &s,
        vec![
            new_reply(mine, "gizmo secretword confidential", true),
            new_reply(theirs, "sprocket replaced", false),
        ],
    )
    .await;
    let own = Some(world.customer.id);

    let mut r = reader(&s).await;
    let all = search(&mut r, &["gizmo"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&all),
        BTreeSet::from([mine, theirs]),
        "staff see every customer's tickets"
    );
    let scoped = search(&mut r, &["gizmo"], &[SearchKind::Ticket], own).await;
    assert_eq!(
        ids(&scoped),
        vec![mine],
        "customer_scope keeps to that customer's tickets"
    );
    assert_marked(&scoped[0], "gizmo");
    assert!(
        !scoped[0].text.contains("secretword"),
        "a scoped hit's text shows an internal note: {:?}",
        scoped[0]
    );
    assert_eq!(
        ids(&search(&mut r, &["gizmo"], &[SearchKind::Ticket], Some(other.id)).await),
        vec![theirs]
    );
    assert_eq!(
        ids(&search(&mut r, &["sprocket"], &[SearchKind::Ticket], Some(other.id)).await),
        vec![theirs]
    );
    assert!(
        search(&mut r, &["sprocket"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "another customer's reply"
    );

    let staff = search(&mut r, &["secretword"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&staff), vec![mine], "staff find internal notes");
    assert_marked(&staff[0], "secretword");
    assert!(
        search(&mut r, &["secretword"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "customer_scope matched an internal note"
    );
    assert!(
        search(&mut r, &["gizmo", "confidential"], &[SearchKind::Ticket], own)
            .await
            .is_empty(),
        "customer_scope matched a term found only in an internal note"
    );
    let split = search(&mut r, &["broken", "confidential"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&split),
        vec![mine],
        "staff: one term in the title, the other only in an internal note"
    );
}

pub(super) async fn search_people(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let zi = w
        .insert_customer(
            &Customer {
                email: Some("info@zi.example".into()),
                ..new_customer("Zephyr Industries", None)
            },
            &[],
        )
        .await
        .expect("customer");
    let zl = w
        .insert_customer(&new_customer("Zephyr Labs", None), &[])
        .await
        .expect("customer");
    let oc = w
        .insert_customer(&new_customer("Other Corp", None), &[])
        .await
        .expect("customer");
    let zj = w
        .insert_end_user(&new_end_user(oc.id, "Zephyr Jones", None), None, &[])
        .await
        .expect("end user");
    let al = w
        .insert_end_user(&new_end_user(zi.id, "Alice Smith", None), None, &[])
        .await
        .expect("end user");
    let gone = w
        .insert_end_user(
            &EndUser {
                deleted_at: Some(now()),
                ..new_end_user(zl.id, "Zephyr Gone", None)
            },
            None,
            &[],
        )
        .await
        .expect("end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    let customers = search(&mut r, &["zephyr"], &[SearchKind::Customer], None).await;
    assert_eq!(id_set(&customers), BTreeSet::from([zi.id, zl.id]), "customers by name");
    for hit in &customers {
        let name = if hit.id == zi.id { &zi.name } else { &zl.name };
        assert_eq!(&hit.title, name, "a customer hit's title is its name");
        assert_marked(hit, "zephyr");
    }
    let users = search(&mut r, &["zephyr"], &[SearchKind::EndUser], None).await;
    assert_eq!(
        ids(&users),
        vec![zj.id],
        "end users by name, soft-deleted ones left out"
    );
    assert_eq!(users[0].title, "Zephyr Jones");
    assert_marked(&users[0], "zephyr");
    assert_eq!(
        ids(&search(&mut r, &["alice"], &[SearchKind::EndUser], None).await),
        vec![al.id]
    );
    assert!(!ids(&search(&mut r, &["gone"], &[SearchKind::EndUser], None).await).contains(&gone.id));

    let both = search(&mut r, &["zephyr"], &[SearchKind::Customer, SearchKind::EndUser], None).await;
    let kinds: BTreeSet<(&str, i64)> = both.iter().map(|h| (h.kind.as_str(), h.id)).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([("customer", zi.id), ("customer", zl.id), ("end_user", zj.id)]),
        "both kinds at once"
    );
    assert!(
        search(&mut r, &["zephyr"], &[SearchKind::Ticket], None)
            .await
            .is_empty()
    );
    drop(r);

    // Soft delete (through update_customer) hides a customer; restoring and renaming show in search.
    let mut w = writer(&s).await;
    w.update_customer(
        &Customer {
            deleted_at: Some(now()),
            ..zl.clone()
        },
        None,
    )
    .await
    .expect("soft delete");
    w.update_customer(
        &Customer {
            name: "Zephyr Holdings".into(),
            ..oc.clone()
        },
        None,
    )
    .await
    .expect("rename");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let customers = search(&mut r, &["zephyr"], &[SearchKind::Customer], None).await;
    assert_eq!(
        id_set(&customers),
        BTreeSet::from([zi.id, oc.id]),
        "soft-deleted customer found, or rename missed"
    );
    assert!(
        search(&mut r, &["labs"], &[SearchKind::Customer], None)
            .await
            .is_empty(),
        "soft-deleted customer"
    );
    assert!(
        search(&mut r, &["corp"], &[SearchKind::Customer], None)
            .await
            .is_empty(),
        "old name still found"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.update_customer(&zl, None).await.expect("restore");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&search(&mut r, &["labs"], &[SearchKind::Customer], None).await),
        vec![zl.id],
        "restored"
    );
    drop(r);

    // End users vanish with their customer and come back with it.
    let mut w = writer(&s).await;
    w.update_customer(
        &Customer {
            deleted_at: Some(now()),
            ..zi.clone()
        },
        None,
    )
    .await
    .expect("soft delete");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        search(&mut r, &["alice"], &[SearchKind::EndUser], None)
            .await
            .is_empty(),
        "an end user of a soft-deleted customer is found"
    );
    drop(r);
    let mut w = writer(&s).await;
    w.update_customer(&zi, None).await.expect("restore");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        ids(&search(&mut r, &["alice"], &[SearchKind::EndUser], None).await),
        vec![al.id],
        "end user back with the customer"
    );
}

pub(super) async fn verbatim_text(s: Arc<dyn Store>) {
    const SQL: &str = "'; DROP TABLE tickets; --";
    const SQL_REPLY: &str = "Robert'); DROP TABLE replies;-- \"quoted\" \\backslash\\ 100% _under_ $1 ? :name";
    const RUSSIAN: &str = "Привет мир";
    const JAPANESE: &str = "日本語 ユーザー";
    const MIXED: &str = "Grüße, 😀 — Привет мир 日本語\ttab\nnewline";

    let mut w = writer(&s).await;
    let brand = w
        .insert_brand(&Brand {
            greeting: MIXED.into(),
            ..new_brand(RUSSIAN, "verbatim")
        })
        .await
        .expect("brand");
    let dept = w
        .insert_department(&Department {
            description: SQL.into(),
            ..new_department(brand.id, JAPANESE, "d", true)
        })
        .await
        .expect("department");
    let customer = w
        .insert_customer(
            &Customer {
                tags: vec![SQL.into(), MIXED.into()],
                attributes: Default::default(),
                ..new_customer(RUSSIAN, Some(SQL))
            },
            &[],
        )
        .await
        .expect("customer");
    let user = w
        .insert_end_user(
            &new_end_user(customer.id, JAPANESE, Some("ユーザー@example.com")),
            None,
            &[],
        )
        .await
        .expect("end user");
    let staff = w
        .insert_staff(&new_staff(SQL, MIXED, Role::Agent), SQL)
        .await
        .expect("staff");
    w.commit().await.expect("commit");
    let world = World {
        brand,
        department: dept,
        customer,
        end_user: user,
        staff,
    };

    let mut custom = Map::new();
    custom.insert(SQL.into(), json!(MIXED));
    custom.insert(RUSSIAN.into(), json!([JAPANESE, SQL]));
    let tickets = insert_tickets(
        &s,
        vec![
            Ticket {
                custom_fields: custom,
                account_key: Some(SQL.into()),
                ..new_ticket(&world, SQL)
            },
            new_ticket(&world, RUSSIAN),
            new_ticket(&world, MIXED),
        ],
    )
    .await;
    let replies = insert_replies(&s, vec![new_reply(tickets[0].id, SQL_REPLY, false)]).await;
    let mut w = writer(&s).await;
    let event = NewEvent {
        value: json!({ "title": SQL, "text": MIXED }),
        ..new_event(EntityType::Ticket, 1, None)
    };
    let event = w.insert_event(&event).await.expect("event");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.brand(world.brand.id).await.expect("brand"), Some(world.brand.clone()));
    assert_eq!(
        r.department(world.department.id).await.expect("department"),
        Some(world.department.clone())
    );
    assert_eq!(
        r.customer(world.customer.id).await.expect("customer"),
        Some(world.customer.clone())
    );
    assert_eq!(
        r.end_user(world.end_user.id).await.expect("end user"),
        Some(world.end_user.clone())
    );
    assert_eq!(r.staff(world.staff.id).await.expect("staff"), Some(world.staff.clone()));
    let creds = r
        .staff_credentials(SQL)
        .await
        .expect("credentials")
        .expect("credentials by SQL-looking email");
    assert_eq!(creds.password_hash, SQL);
    for t in &tickets {
        assert_eq!(
            r.ticket(t.id).await.expect("ticket").as_ref(),
            Some(t),
            "ticket text changed"
        );
    }
    assert_eq!(r.reply(replies[0].id).await.expect("reply"), Some(replies[0].clone()));
    assert_eq!(r.event(event.id).await.expect("event"), Some(event));
    let by_email = r
        .end_user_by_email(world.customer.id, "ユーザー@example.com")
        .await
        .expect("by email");
    assert_eq!(by_email, Some(world.end_user.clone()));

    let hits = search(&mut r, &["DROP"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        ids(&hits),
        vec![tickets[0].id],
        "SQL-looking title and reply found as text"
    );
    assert_eq!(hits[0].title, SQL);
    let hits = search(&mut r, &["Привет"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&hits),
        BTreeSet::from([tickets[1].id, tickets[2].id]),
        "Cyrillic word in titles"
    );
    assert!(
        hits.iter().all(|h| h.title == RUSSIAN || h.title == MIXED),
        "titles returned verbatim: {hits:?}"
    );
    let hits = search(&mut r, &["日本語"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![tickets[2].id], "Japanese word in a title");
    let hits = search(&mut r, &["Привет"], &[SearchKind::Customer], None).await;
    assert_eq!(ids(&hits), vec![world.customer.id]);
    assert_eq!(hits[0].title, RUSSIAN);
    assert_marked(&hits[0], "Привет");
    let hits = search(&mut r, &["日本語"], &[SearchKind::EndUser], None).await;
    assert_eq!(ids(&hits), vec![world.end_user.id]);
    assert_eq!(hits[0].title, JAPANESE);
    assert_eq!(
        term_ids(&mut r, &["мир"], false).await,
        vec![tickets[2].id, tickets[1].id]
    );
    assert_eq!(
        term_ids(&mut r, &["Robert"], false).await,
        vec![tickets[0].id],
        "a word of the SQL-looking reply"
    );

    // The tables the texts name are still there.
    assert_eq!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .len(),
        3
    );
    assert_eq!(r.reply_list(tickets[0].id, true).await.expect("reply_list").len(), 1);
}

/// Search follows edits: a renamed title, an edited, re-flagged or deleted reply; other ticket updates
/// (status, read flags) leave what is found alone; ticket lists' `q=` filter agrees.
pub(super) async fn search_follows_edits(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Alpha outage")])
        .await
        .remove(0);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(ticket.id, "bravo printer", false),
            new_reply(ticket.id, "charlie secret", true),
            new_reply(ticket.id, "foxtrot spare", false),
        ],
    )
    .await;
    let (bravo, charlie, foxtrot) = (&replies[0], &replies[1], &replies[2]);
    let scope = Some(world.customer.id);
    let found = |hits: Vec<SearchRow>| hits.iter().any(|h| h.id == ticket.id);

    let mut w = writer(&s).await;
    let renamed = Ticket {
        title: "Delta outage".into(),
        ..ticket.clone()
    };
    w.update_ticket(&renamed).await.expect("rename");
    w.update_reply(&Reply {
        message: "echo printer".into(),
        ..bravo.clone()
    })
    .await
    .expect("edit reply");
    w.update_reply(&Reply {
        internal: false,
        ..charlie.clone()
    })
    .await
    .expect("publish note");
    w.delete_reply(foxtrot.id).await.expect("delete reply");
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    let solved = Ticket {
        status: TicketStatus::Solved,
        read_by_customer: !renamed.read_by_customer,
        ..renamed.clone()
    };
    w.update_ticket(&solved).await.expect("status change");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    for (word, expected) in [
        ("alpha", false),
        ("delta", true),
        ("outage", true),
        ("bravo", false),
        ("echo", true),
        ("printer", true),
        ("charlie", true),
        ("foxtrot", false),
        ("spare", false),
    ] {
        assert_eq!(
            found(search(&mut r, &[word], &[SearchKind::Ticket], None).await),
            expected,
            "staff search for {word:?} after edits"
        );
        assert_eq!(
            found(search(&mut r, &[word], &[SearchKind::Ticket], scope).await),
            expected,
            "customer search for {word:?} after edits (the note was made public)"
        );
        let listed = r
            .ticket_list(&TicketFilter {
                terms: vec![word.to_string()],
                ..TicketFilter::default()
            })
            .await
            .expect("ticket_list q=");
        assert_eq!(listed.iter().any(|t| t.id == ticket.id), expected, "q={word:?}");
    }
}

/// More matches than are ranked: the best of the newest matches come back, best first; an older ticket
/// that would rank higher is outside them (the documented bound); every match is still found by the
/// exact `q=` filter.
pub(super) async fn search_many_matches(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let old_best = insert_tickets(&s, vec![new_ticket(&world, "Zebra zebra zebra zebra")])
        .await
        .remove(0);
    let crowd: Vec<Ticket> = (0..1_199)
        .map(|i| {
            let title = if i == 1_150 {
                "Zebra zebra zebra crossing".to_string()
            } else {
                format!("Zebra crossing {i}")
            };
            new_ticket(&world, &title)
        })
        .collect();
    let crowd = insert_tickets(&s, crowd).await;
    let newest_best = &crowd[1_150];

    let mut r = reader(&s).await;
    let hits = search(&mut r, &["zebra"], &[SearchKind::Ticket], None).await;
    assert_eq!(hits.len(), 20, "a full page of hits");
    assert_eq!(hits[0].id, newest_best.id, "the best of the newest matches ranks first");
    assert!(
        hits.iter().all(|h| h.id != old_best.id),
        "an old match outside the ranked newest ones"
    );
    let newest: BTreeSet<i64> = crowd.iter().rev().take(500).map(|t| t.id).collect();
    assert!(
        hits.iter().all(|h| newest.contains(&h.id)),
        "hits come from the newest 500 matches"
    );
    assert_eq!(id_set(&hits).len(), 20, "no hit twice");

    let scoped = search(&mut r, &["zebra"], &[SearchKind::Ticket], Some(world.customer.id)).await;
    assert_eq!(
        scoped.first().map(|h| h.id),
        Some(newest_best.id),
        "the same for the customer"
    );

    let listed = id_pages!(100, page => r
        .ticket_list(&TicketFilter {
            terms: vec!["crossing".into()],
            page,
            ..TicketFilter::default()
        })
        .await
        .expect("ticket_list q="));
    assert_eq!(listed.len(), 1_199, "the list filter finds every match");
}

/// Matching ignores case and accents, and the last word of a query also matches as a prefix (from
/// `domain::PREFIX_MIN_CHARS` characters), in ranked search of every kind and in the ticket list's terms.
pub(super) async fn search_folds_accents_and_matches_prefixes(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Café au lait machine"),
            new_ticket(&world, "Imprimante en panne"),
        ],
    )
    .await;
    let (cafe, panne) = (&tickets[0], &tickets[1]);
    insert_replies(
        &s,
        vec![
            new_reply(cafe.id, "The PRINTER jammed again", false),
            new_reply(panne.id, "printing costs are high", true),
            new_reply(panne.id, "Señor Núñez llamó", false),
        ],
    )
    .await;
    let mut w = writer(&s).await;
    let creme = w
        .insert_customer(&new_customer("Crème Brûlée Ltd", None), &[])
        .await
        .expect("customer");
    let zoe = w
        .insert_end_user(&new_end_user(creme.id, "Zoë Müller", None), None, &[])
        .await
        .expect("end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    for terms in [&["cafe"][..], &["CAFÉ"], &["Cafe", "machine"], &["café", "mach"]] {
        let hits = search(&mut r, terms, &[SearchKind::Ticket], None).await;
        assert_eq!(ids(&hits), vec![cafe.id], "{terms:?}");
        let terms: Vec<String> = terms.iter().map(|t| (*t).to_owned()).collect();
        let marked = domain::excerpt(&hits[0].text, &terms, 24);
        assert!(
            marked.contains(&format!("{MARK_START}Café{MARK_END}")),
            "{terms:?} marks {marked:?}"
        );
    }
    assert_eq!(
        ids(&search(&mut r, &["senor", "nunez"], &[SearchKind::Ticket], None).await),
        vec![panne.id]
    );
    assert_eq!(
        ids(&search(&mut r, &["SEÑOR"], &[SearchKind::Ticket], None).await),
        vec![panne.id]
    );

    // The last word as a prefix: staff find the internal note too, a customer's search does not.
    let staff = search(&mut r, &["print"], &[SearchKind::Ticket], None).await;
    assert_eq!(
        id_set(&staff),
        BTreeSet::from([cafe.id, panne.id]),
        "print finds printer and printing"
    );
    for hit in &staff {
        assert_marked(hit, "print");
    }
    assert_eq!(
        ids(&search(&mut r, &["print"], &[SearchKind::Ticket], Some(world.customer.id)).await),
        vec![cafe.id],
        "a prefix does not reach internal notes for end users"
    );
    assert_eq!(
        ids(&search(&mut r, &["printer", "jam"], &[SearchKind::Ticket], None).await),
        vec![cafe.id]
    );
    assert!(
        search(&mut r, &["printer", "ja"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "a last word shorter than the minimum matches whole only"
    );
    assert!(
        search(&mut r, &["prin", "jammed"], &[SearchKind::Ticket], None)
            .await
            .is_empty(),
        "only the last word is a prefix"
    );

    // The ticket list's terms follow the same rules.
    assert_eq!(term_ids(&mut r, &["cafe"], false).await, vec![cafe.id]);
    assert_eq!(term_ids(&mut r, &["PRINT"], false).await, vec![cafe.id]);
    assert_eq!(
        term_ids(&mut r, &["print"], true).await,
        newest_first(vec![cafe.id, panne.id])
    );
    assert_eq!(term_ids(&mut r, &["nunez"], false).await, vec![panne.id]);
    assert!(term_ids(&mut r, &["prin", "jammed"], true).await.is_empty());

    // People.
    for terms in [&["creme", "brulee"][..], &["CRÈME", "bru"], &["crem"]] {
        assert_eq!(
            ids(&search(&mut r, terms, &[SearchKind::Customer], None).await),
            vec![creme.id],
            "{terms:?}"
        );
    }
    for terms in [&["zoe", "muller"][..], &["ZOË"], &["zoe", "müll"]] {
        assert_eq!(
            ids(&search(&mut r, terms, &[SearchKind::EndUser], None).await),
            vec![zoe.id],
            "{terms:?}"
        );
    }
    assert!(
        search(&mut r, &["mull", "zoe"], &[SearchKind::EndUser], None)
            .await
            .is_empty()
    );
}

/// The last word as a prefix reaches every word it begins, however the word came into the index: a new
/// ticket, a reply added later, an edited title or reply; and a prefix that begins very many words.
pub(super) async fn prefixes_reach_every_word_they_begin(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let many: Vec<String> = (1..=80).map(|n| format!("zebra{n:03}")).collect();
    let tickets = insert_tickets(
        &s,
        vec![
            new_ticket(&world, "Cafés fermés le dimanche"),
            new_ticket(&world, &many.join(" ")),
            new_ticket(&world, "Plain title"),
            new_ticket(&world, "Unrelated"),
        ],
    )
    .await;
    let (cafes, zebras, plain, unrelated) = (&tickets[0], &tickets[1], &tickets[2], &tickets[3]);
    let replies = insert_replies(&s, vec![new_reply(unrelated.id, "nothing to see", false)]).await;
    // A reply added to a ticket whose search row was written by an earlier transaction.
    insert_replies(
        &s,
        vec![new_reply(plain.id, "Kangaroos escaped; e-mail the keeper", false)],
    )
    .await;
    let zebra_reply = new_reply(zebras.id, "zebra999 and zebrafish", false);
    insert_replies(&s, vec![zebra_reply]).await;

    let mut r = reader(&s).await;
    let cases: [(&[&str], i64); 8] = [
        (&["cafe"], cafes.id),
        (&["CAFÉS", "ferm"], cafes.id),
        (&["fermé"], cafes.id),
        (&["kanga"], plain.id),
        (&["e-mai"], plain.id),
        (&["zebra042"], zebras.id),
        (&["zebra"], zebras.id),
        (&["zebraf"], zebras.id),
    ];
    for (terms, want) in cases {
        assert_eq!(
            ids(&search(&mut r, terms, &[SearchKind::Ticket], None).await),
            vec![want],
            "search {terms:?}"
        );
        assert_eq!(term_ids(&mut r, terms, true).await, vec![want], "list {terms:?}");
        let by_last_reply = TicketFilter {
            sort: TicketSort::LastReplyDesc,
            ..ticket_terms(terms, true)
        };
        assert_eq!(
            ids(&r.ticket_list(&by_last_reply).await.expect("list by last reply")),
            vec![want],
            "list by last reply {terms:?}"
        );
    }
    drop(r);

    // Edited text: its new words are found by their beginnings, its old ones no more.
    let mut w = writer(&s).await;
    w.update_ticket(&Ticket {
        title: "Quokka sighting".into(),
        ..plain.clone()
    })
    .await
    .expect("rename");
    w.update_reply(&Reply {
        message: "wombats everywhere".into(),
        ..replies[0].clone()
    })
    .await
    .expect("edit reply");
    w.commit().await.expect("commit edits");
    let mut r = reader(&s).await;
    for (terms, want) in [(&["quok"][..], plain.id), (&["womb"], unrelated.id)] {
        assert_eq!(
            ids(&search(&mut r, terms, &[SearchKind::Ticket], None).await),
            vec![want],
            "{terms:?}"
        );
        assert_eq!(term_ids(&mut r, terms, true).await, vec![want], "list {terms:?}");
    }
    assert!(
        search(&mut r, &["plai"], &[SearchKind::Ticket], None).await.is_empty(),
        "the old title's words are gone"
    );
}
