//! Round trips: what is written is read back, field by field.
use super::*;

pub(super) async fn fresh_store_is_empty(s: Arc<dyn Store>) {
    s.ping().await.expect("ping");
    assert!(!s.backend().is_empty(), "backend() is empty");
    let mut r = reader(&s).await;
    assert_eq!(r.staff_count(None).await.expect("staff_count"), 0);
    assert!(
        r.staff_list(&PageRequest::first(10))
            .await
            .expect("staff_list")
            .is_empty()
    );
    assert!(
        r.token_list(&PageRequest::first(10))
            .await
            .expect("token_list")
            .is_empty()
    );
    assert!(
        r.brand_list(&PageRequest::first(10))
            .await
            .expect("brand_list")
            .is_empty()
    );
    assert!(
        r.department_list(None, false, &PageRequest::first(10))
            .await
            .expect("department_list")
            .is_empty()
    );
    assert!(
        r.customer_list(DeletedFilter::Exclude, &PageRequest::first(10))
            .await
            .expect("customer_list")
            .is_empty()
    );
    assert!(
        r.end_user_list(None, DeletedFilter::Exclude, &PageRequest::first(10))
            .await
            .expect("end_user_list")
            .is_empty()
    );
    assert!(
        r.ticket_list(&TicketFilter::default())
            .await
            .expect("ticket_list")
            .is_empty()
    );
    let events = r
        .event_list(&EventFilter {
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .expect("event_list");
    assert!(events.is_empty());
    assert!(r.ticket(1).await.expect("ticket").is_none());
    assert!(r.staff(1).await.expect("staff").is_none());
    assert!(r.event(1).await.expect("event").is_none());
}

pub(super) async fn staff_round_trip(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let ann = w
        .insert_staff(&new_staff("ann@example.com", "Ann Admin", Role::Admin), "$argon2id$ann")
        .await
        .expect("insert ann");
    let bob = w
        .insert_staff(&new_staff("bob@example.com", "Bob Agent", Role::Agent), "$argon2id$bob")
        .await
        .expect("insert bob");
    assert!(
        ann.id > 0 && bob.id > 0 && ann.id != bob.id,
        "ids {} and {}",
        ann.id,
        bob.id
    );
    assert_eq!(
        w.staff(ann.id).await.expect("staff in writer"),
        Some(ann.clone()),
        "a writer reads its own writes"
    );
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.staff(ann.id).await.expect("staff"), Some(ann.clone()));
    assert_eq!(r.staff(bob.id).await.expect("staff"), Some(bob.clone()));
    let creds = r
        .staff_credentials("ann@example.com")
        .await
        .expect("credentials")
        .expect("ann's credentials");
    assert_eq!(creds.staff, ann);
    assert_eq!(creds.password_hash, "$argon2id$ann");
    assert!(
        r.staff_credentials("nobody@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert_eq!(r.staff_count(None).await.expect("staff_count"), 2);
    assert_eq!(r.staff_count(Some(Role::Admin)).await.expect("staff_count"), 1);
    assert_eq!(r.staff_count(Some(Role::Agent)).await.expect("staff_count"), 1);
    assert_eq!(
        r.staff_list(&PageRequest::first(10)).await.expect("staff_list"),
        vec![bob.clone(), ann.clone()]
    );
    assert_eq!(
        id_pages!(1, page => r.staff_list(&page).await.expect("staff_list")),
        vec![bob.id, ann.id]
    );
    drop(r);

    // Every field; no new password keeps the old one.
    let ann2 = Staff {
        email: "ann.new@example.com".into(),
        name: "Ann Agent".into(),
        role: Role::Agent,
        updated_at: at(now(), 17),
        ..ann.clone()
    };
    let mut w = writer(&s).await;
    w.update_staff(&ann2, None).await.expect("update staff");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.staff(ann.id).await.expect("staff"), Some(ann2.clone()));
    assert!(
        r.staff_credentials("ann@example.com")
            .await
            .expect("credentials")
            .is_none(),
        "old email still logs in"
    );
    let creds = r
        .staff_credentials("ann.new@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(
        creds.password_hash, "$argon2id$ann",
        "update without a password changed the hash"
    );
    drop(r);

    let mut w = writer(&s).await;
    w.update_staff(&ann2, Some("$argon2id$new"))
        .await
        .expect("update password");
    w.delete_staff(bob.id).await.expect("delete staff");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let creds = r
        .staff_credentials("ann.new@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(creds.password_hash, "$argon2id$new");
    assert!(
        r.staff(bob.id).await.expect("staff").is_none(),
        "deleted staff still there"
    );
    assert_eq!(r.staff_count(None).await.expect("staff_count"), 1);
}

pub(super) async fn token_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let created = now();
    let mut w = writer(&s).await;
    let ci = w
        .insert_token(
            &ApiToken {
                id: 0,
                name: "CI".into(),
                role: Role::Admin,
                end_user_id: None,
                created_by: Some(world.staff.id),
                created_at: created,
            },
            "sha256:one",
        )
        .await
        .expect("insert token");
    let portal = w
        .insert_token(
            &ApiToken {
                id: 0,
                name: "Portal".into(),
                role: Role::EndUser,
                end_user_id: Some(world.end_user.id),
                created_by: None,
                created_at: at(created, 1),
            },
            "sha256:two",
        )
        .await
        .expect("insert token");
    w.commit().await.expect("commit");
    assert_eq!(
        (ci.name.as_str(), ci.created_by, ci.created_at),
        ("CI", Some(world.staff.id), created)
    );

    let mut r = reader(&s).await;
    assert_eq!(r.token(ci.id).await.expect("token"), Some(ci.clone()));
    assert_eq!(r.token(portal.id).await.expect("token"), Some(portal.clone()));
    assert_eq!(
        r.token_by_hash("sha256:one").await.expect("token_by_hash"),
        Some(ci.clone())
    );
    assert_eq!(
        r.token_by_hash("sha256:two").await.expect("token_by_hash"),
        Some(portal.clone())
    );
    assert!(r.token_by_hash("sha256:three").await.expect("token_by_hash").is_none());
    assert_eq!(
        r.token_list(&PageRequest::first(10)).await.expect("token_list"),
        vec![portal.clone(), ci.clone()]
    );
    assert_eq!(
        id_pages!(1, page => r.token_list(&page).await.expect("token_list")),
        vec![portal.id, ci.id]
    );
    assert_eq!(
        r.end_user_token_list(world.end_user.id, &PageRequest::first(10))
            .await
            .expect("end_user_token_list"),
        vec![portal.clone()]
    );
    assert!(
        r.end_user_token_list(world.end_user.id + 1000, &PageRequest::first(10))
            .await
            .expect("end_user_token_list")
            .is_empty()
    );
    drop(r);

    let mut w = writer(&s).await;
    w.delete_token(ci.id).await.expect("delete token");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.token(ci.id).await.expect("token").is_none());
    assert!(r.token_by_hash("sha256:one").await.expect("token_by_hash").is_none());
    assert_eq!(
        ids(&r.token_list(&PageRequest::first(10)).await.expect("token_list")),
        vec![portal.id]
    );
}

pub(super) async fn brand_round_trip(s: Arc<dyn Store>) {
    let mut w = writer(&s).await;
    let brand = w.insert_brand(&new_brand("Acme", "acme")).await.expect("insert brand");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.brand(brand.id).await.expect("brand"), Some(brand.clone()));
    assert_eq!(r.brand_department_count(brand.id).await.expect("count"), 0);
    drop(r);

    let changed = Brand {
        name: "Acme Europe".into(),
        slug: "acme-eu".into(),
        greeting: "Guten Tag".into(),
        customer_backend: "webcall".into(),
        webcall: Some(domain::account::WebcallSettings {
            search_url: "https://crm.example/search".into(),
            load_url: "https://crm.example/load".into(),
            update_url: String::new(),
            case_url: "https://crm.example/case".into(),
            int_user: "desk".into(),
            int_pass: "the password, kept as given".into(),
            timeout_ms: 2_500,
        }),
        acknowledge_new_tickets: false,
        updated_at: at(now(), 99),
        ..brand.clone()
    };
    let mut w = writer(&s).await;
    w.update_brand(&changed).await.expect("update brand");
    let dept = w
        .insert_department(&new_department(brand.id, "Sales", "sales", true))
        .await
        .expect("insert department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.brand(brand.id).await.expect("brand"), Some(changed));
    assert_eq!(r.brand_department_count(brand.id).await.expect("count"), 1);
    drop(r);

    let mut w = writer(&s).await;
    w.delete_department(dept.id).await.expect("delete department");
    w.delete_brand(brand.id).await.expect("delete brand");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.brand(brand.id).await.expect("brand").is_none(),
        "deleted brand still there"
    );
    assert!(
        r.brand_list(&PageRequest::first(10))
            .await
            .expect("brand_list")
            .is_empty()
    );
}

pub(super) async fn department_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other_brand = w
        .insert_brand(&new_brand("Initech", "initech"))
        .await
        .expect("insert brand");
    let dept = w
        .insert_department(&new_department(world.brand.id, "Billing", "billing", true))
        .await
        .expect("insert department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.department(dept.id).await.expect("department"), Some(dept.clone()));
    assert_eq!(r.department_ticket_count(dept.id).await.expect("count"), 0);
    drop(r);

    let changed = Department {
        brand_id: other_brand.id,
        name: "Accounts".into(),
        slug: "accounts".into(),
        description: "Invoices and refunds".into(),
        public: false,
        updated_at: at(now(), 5),
        ..dept.clone()
    };
    let mut w = writer(&s).await;
    w.update_department(&changed).await.expect("update department");
    let ticket = w
        .insert_ticket(&Ticket {
            did: dept.id,
            ..new_ticket(&world, "Refund")
        })
        .await
        .expect("ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.department(dept.id).await.expect("department"), Some(changed));
    assert_eq!(r.department_ticket_count(dept.id).await.expect("count"), 1);
    assert_eq!(r.department_ticket_count(world.department.id).await.expect("count"), 0);
    drop(r);

    let mut w = writer(&s).await;
    w.delete_ticket(ticket.id).await.expect("delete ticket");
    w.delete_department(dept.id).await.expect("delete department");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.department(dept.id).await.expect("department").is_none(),
        "deleted department still there"
    );
    assert_eq!(
        r.department(world.department.id).await.expect("department"),
        Some(world.department)
    );
}

pub(super) async fn customer_round_trip(s: Arc<dyn Store>) {
    let created = now();
    let full = Customer {
        email: Some("billing@initech.example".into()),
        phone: Some("+1 555 0100".into()),
        city: Some("München".into()),
        country: Some("Germany".into()),
        tags: vec!["vip".into(), "münchen".into(), "".into()],
        attributes: Default::default(),
        created_at: created,
        updated_at: at(created, 3),
        ..new_customer("Initech", Some("crm-42"))
    };
    let bare = new_customer("Bare", None);
    let mut w = writer(&s).await;
    let full = w.insert_customer(&full, &[]).await.expect("insert customer");
    let bare = w.insert_customer(&bare, &[]).await.expect("insert customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.customer(full.id).await.expect("customer"), Some(full.clone()));
    assert_eq!(r.customer(bare.id).await.expect("customer"), Some(bare.clone()));
    drop(r);

    let deleted_at = at(now(), 11);
    let changed = Customer {
        name: "Initrode".into(),
        email: None,
        phone: Some("+44 20 7946 0000".into()),
        city: Some("London".into()),
        country: None,
        external_id: Some("crm-43".into()),
        tags: vec!["former".into()],
        attributes: Default::default(),
        updated_at: deleted_at,
        deleted_at: Some(deleted_at),
        ..full.clone()
    };
    let filled = Customer {
        email: Some("x@bare.example".into()),
        city: Some("São Paulo".into()),
        country: Some("Brazil".into()),
        external_id: Some("crm-44".into()),
        tags: vec!["a".into(), "b".into()],
        attributes: Default::default(),
        ..bare.clone()
    };
    let mut w = writer(&s).await;
    w.update_customer(&changed, None).await.expect("update customer");
    w.update_customer(&filled, None).await.expect("update customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.customer(full.id).await.expect("customer"),
        Some(changed.clone()),
        "soft-deleted customer"
    );
    assert_eq!(r.customer(bare.id).await.expect("customer"), Some(filled));
    assert_eq!(
        ids(&r
            .customer_list(DeletedFilter::Only, &PageRequest::first(10))
            .await
            .expect("list")),
        vec![full.id]
    );
    assert_eq!(
        ids(&r
            .customer_list(DeletedFilter::Exclude, &PageRequest::first(10))
            .await
            .expect("list")),
        vec![bare.id]
    );
    drop(r);

    let restored = Customer {
        deleted_at: None,
        ..changed
    };
    let mut w = writer(&s).await;
    w.update_customer(&restored, None).await.expect("restore customer");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.customer(full.id).await.expect("customer"), Some(restored));
    assert!(
        r.customer_list(DeletedFilter::Only, &PageRequest::first(10))
            .await
            .expect("list")
            .is_empty()
    );
}

pub(super) async fn end_user_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Other", None), &[])
        .await
        .expect("insert customer");
    let created = now();
    let with_password = EndUser {
        phone: Some("+1 555 0101".into()),
        tags: vec!["owner".into()],
        first_name: None,
        last_name: None,
        city: None,
        country: None,
        attributes: Default::default(),
        created_at: created,
        updated_at: at(created, 9),
        ..new_end_user(world.customer.id, "Marge", Some("marge@example.com"))
    };
    let marge = w
        .insert_end_user(&with_password, Some("$argon2id$marge"), &[])
        .await
        .expect("insert end user");
    let bart = w
        .insert_end_user(
            &new_end_user(world.customer.id, "Bart", Some("bart@example.com")),
            None,
            &[],
        )
        .await
        .expect("insert end user");
    w.commit().await.expect("commit");
    assert!(
        marge.has_password,
        "insert with a password hash returns has_password = false"
    );
    assert!(
        !bart.has_password,
        "insert without a password hash returns has_password = true"
    );
    assert_eq!(
        marge,
        EndUser {
            id: marge.id,
            has_password: true,
            ..with_password
        }
    );

    let mut r = reader(&s).await;
    assert_eq!(r.end_user(marge.id).await.expect("end_user"), Some(marge.clone()));
    assert_eq!(r.end_user(bart.id).await.expect("end_user"), Some(bart.clone()));
    let creds = r
        .end_user_credentials("marge@example.com")
        .await
        .expect("credentials")
        .expect("marge's credentials");
    assert_eq!(creds.end_user, marge);
    assert_eq!(creds.password_hash.as_deref(), Some("$argon2id$marge"));
    assert!(
        r.end_user_credentials("bart@example.com")
            .await
            .expect("credentials")
            .is_none(),
        "an end user without a password has credentials"
    );
    assert_eq!(
        r.end_user_by_email(world.customer.id, "bart@example.com")
            .await
            .expect("by email"),
        Some(bart.clone())
    );
    assert!(
        r.end_user_by_email(other.id, "bart@example.com")
            .await
            .expect("by email")
            .is_none()
    );
    drop(r);

    // Every field; `None` keeps the password, `Some(Some)` replaces it, `Some(None)` removes it.
    let moved = EndUser {
        customer_id: other.id,
        name: "Marjorie".into(),
        email: Some("marjorie@example.com".into()),
        phone: None,
        tags: vec![],
        first_name: None,
        last_name: None,
        city: None,
        country: None,
        attributes: Default::default(),
        updated_at: at(now(), 21),
        ..marge.clone()
    };
    let mut w = writer(&s).await;
    w.update_end_user(&moved, None, None).await.expect("update end user");
    w.update_end_user(&bart, Some(Some("$argon2id$bart")), None)
        .await
        .expect("set password");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.end_user(marge.id).await.expect("end_user"), Some(moved.clone()));
    let creds = r
        .end_user_credentials("marjorie@example.com")
        .await
        .expect("credentials")
        .expect("credentials");
    assert_eq!(
        creds.password_hash.as_deref(),
        Some("$argon2id$marge"),
        "update without a password changed it"
    );
    let creds = r
        .end_user_credentials("bart@example.com")
        .await
        .expect("credentials")
        .expect("bart's credentials");
    assert!(creds.end_user.has_password);
    assert_eq!(creds.password_hash.as_deref(), Some("$argon2id$bart"));
    drop(r);

    let mut w = writer(&s).await;
    w.update_end_user(&moved, Some(None), None)
        .await
        .expect("remove password");
    let gone = EndUser {
        deleted_at: Some(at(now(), 1)),
        has_password: true,
        ..bart.clone()
    };
    w.update_end_user(&gone, None, None)
        .await
        .expect("soft-delete end user");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let read = r.end_user(marge.id).await.expect("end_user").expect("marge");
    assert!(!read.has_password, "password not removed");
    assert!(
        r.end_user_credentials("marjorie@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert_eq!(
        r.end_user(bart.id).await.expect("end_user"),
        Some(gone),
        "soft-deleted end user"
    );
    assert!(
        r.end_user_credentials("bart@example.com")
            .await
            .expect("credentials")
            .is_none()
    );
    assert!(
        r.end_user_by_email(world.customer.id, "bart@example.com")
            .await
            .expect("by email")
            .is_none()
    );
}

pub(super) async fn ticket_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let dept2 = w
        .insert_department(&new_department(world.brand.id, "Sales", "sales", false))
        .await
        .expect("insert department");
    let customer2 = w
        .insert_customer(&new_customer("Initech", None), &[])
        .await
        .expect("insert customer");
    let user2 = w
        .insert_end_user(&new_end_user(customer2.id, "Peter", None), None, &[])
        .await
        .expect("insert end user");
    let staff2 = w
        .insert_staff(&new_staff("lead@example.com", "Lead", Role::Admin), "hash")
        .await
        .expect("insert staff");
    w.commit().await.expect("commit");

    let base = now();
    let mut custom = Map::new();
    custom.insert("order".into(), json!(12345));
    custom.insert("ratio".into(), json!(0.5));
    custom.insert("flag".into(), json!(true));
    custom.insert("none".into(), Value::Null);
    custom.insert(
        "nested".into(),
        json!({ "list": [1, "two", { "three": [] }], "text": "Grüße 日本" }),
    );
    let full = Ticket {
        status: TicketStatus::Process,
        locked: true,
        priority: Priority::HIGH,
        title: "Printer on fire".into(),
        ctime: base,
        lastreply: at(base, 1_234),
        read_by_customer: false,
        read_by_staff: true,
        service: Some(77),
        assigned: Some(world.staff.id),
        assigned_by: Some(staff2.id),
        custom_fields: custom,
        redeemed: vec!["phone".into(), "onsite".into()],
        account_key: Some("ACC-42".into()),
        updated_at: at(base, 2_345),
        ..new_ticket(&world, "")
    };
    let bare = Ticket {
        status: TicketStatus::Waiting,
        priority: Priority::LOW,
        ..new_ticket(&world, "Bare")
    };
    let mut w = writer(&s).await;
    let inserted = w.insert_ticket(&full).await.expect("insert ticket");
    let bare_in = w.insert_ticket(&bare).await.expect("insert ticket");
    w.commit().await.expect("commit");
    assert!(
        inserted.id > 0 && bare_in.id > inserted.id,
        "ids {} then {}",
        inserted.id,
        bare_in.id
    );
    assert_eq!(
        inserted,
        Ticket {
            id: inserted.id,
            ..full
        }
    );
    assert_eq!(bare_in, Ticket { id: bare_in.id, ..bare });

    let mut r = reader(&s).await;
    assert_eq!(r.ticket(inserted.id).await.expect("ticket"), Some(inserted.clone()));
    assert_eq!(r.ticket(bare_in.id).await.expect("ticket"), Some(bare_in.clone()));
    drop(r);

    // Every field but the creation time.
    let mut w = writer(&s).await;
    let locked = w.ticket_for_update(inserted.id).await.expect("ticket_for_update");
    assert_eq!(locked, Some(inserted.clone()));
    let mut other_custom = Map::new();
    other_custom.insert("order".into(), json!("A-1"));
    let changed = Ticket {
        did: dept2.id,
        user_id: user2.id,
        customer_id: customer2.id,
        status: TicketStatus::Solved,
        locked: false,
        priority: Priority::LOW,
        title: "Printer fixed".into(),
        lastreply: at(base, 10_000),
        read_by_customer: true,
        read_by_staff: false,
        service: None,
        assigned: Some(staff2.id),
        assigned_by: None,
        custom_fields: other_custom,
        redeemed: vec![],
        account_key: None,
        updated_at: at(base, 10_001),
        ..inserted.clone()
    };
    w.update_ticket(&changed).await.expect("update ticket");
    let filled = Ticket {
        status: TicketStatus::Replied,
        locked: true,
        priority: Priority::HIGH,
        service: Some(5),
        assigned: Some(world.staff.id),
        assigned_by: Some(world.staff.id),
        redeemed: vec!["remote".into()],
        account_key: Some("K".into()),
        ..bare_in.clone()
    };
    w.update_ticket(&filled).await.expect("update ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.ticket(inserted.id).await.expect("ticket"), Some(changed));
    assert_eq!(r.ticket(bare_in.id).await.expect("ticket"), Some(filled));
    drop(r);

    let mut w = writer(&s).await;
    w.delete_ticket(inserted.id).await.expect("delete ticket");
    assert!(
        w.ticket_for_update(inserted.id)
            .await
            .expect("ticket_for_update")
            .is_none()
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(
        r.ticket(inserted.id).await.expect("ticket").is_none(),
        "deleted ticket still there"
    );
    assert_eq!(
        ids(&r.ticket_list(&TicketFilter::default()).await.expect("ticket_list")),
        vec![bare_in.id]
    );
}

pub(super) async fn reply_round_trip(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let ticket = insert_tickets(&s, vec![new_ticket(&world, "Question")]).await.remove(0);
    let public = Reply {
        user_id: world.end_user.id,
        name: "Homer".into(),
        encrypted: true,
        ip: Some("203.0.113.7".into()),
        ctime: at(now(), 5),
        ..new_reply(ticket.id, "Hello,\nit does not work.", false)
    };
    let note = Reply {
        user_id: world.staff.id,
        ..new_reply(ticket.id, "Looks like a driver issue", true)
    };
    let replies = insert_replies(&s, vec![public.clone(), note.clone()]).await;
    let (public, note) = (replies[0].clone(), replies[1].clone());
    assert!(public.id > 0 && note.id > public.id);
    assert_eq!(public.message, "Hello,\nit does not work.");

    let mut r = reader(&s).await;
    assert_eq!(r.reply(public.id).await.expect("reply"), Some(public.clone()));
    assert_eq!(r.reply(note.id).await.expect("reply"), Some(note.clone()));
    assert_eq!(
        r.reply_list(ticket.id, false).await.expect("reply_list"),
        vec![public.clone()]
    );
    assert_eq!(
        r.reply_list(ticket.id, true).await.expect("reply_list"),
        vec![public.clone(), note.clone()]
    );
    drop(r);

    let edited = Reply {
        message: "Hello, it works now.".into(),
        internal: true,
        ..public.clone()
    };
    let mut w = writer(&s).await;
    w.update_reply(&edited).await.expect("update reply");
    w.delete_reply(note.id).await.expect("delete reply");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(r.reply(public.id).await.expect("reply"), Some(edited.clone()));
    assert!(
        r.reply(note.id).await.expect("reply").is_none(),
        "deleted reply still there"
    );
    assert!(r.reply_list(ticket.id, false).await.expect("reply_list").is_empty());
    assert_eq!(r.reply_list(ticket.id, true).await.expect("reply_list"), vec![edited]);
}

pub(super) async fn delete_ticket_removes_replies(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let tickets = insert_tickets(&s, vec![new_ticket(&world, "Doomed"), new_ticket(&world, "Survivor")]).await;
    let (doomed, survivor) = (&tickets[0], &tickets[1]);
    let replies = insert_replies(
        &s,
        vec![
            new_reply(doomed.id, "first albatross", false),
            new_reply(doomed.id, "second albatross", true),
            new_reply(survivor.id, "lone albatross", false),
        ],
    )
    .await;

    let mut w = writer(&s).await;
    w.delete_ticket(doomed.id).await.expect("delete ticket");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert!(r.ticket(doomed.id).await.expect("ticket").is_none());
    assert!(
        r.reply(replies[0].id).await.expect("reply").is_none(),
        "reply of a deleted ticket survived"
    );
    assert!(
        r.reply(replies[1].id).await.expect("reply").is_none(),
        "note of a deleted ticket survived"
    );
    assert!(r.reply_list(doomed.id, true).await.expect("reply_list").is_empty());
    assert_eq!(
        r.reply_list(survivor.id, true).await.expect("reply_list"),
        vec![replies[2].clone()]
    );
    let hits = search(&mut r, &["albatross"], &[SearchKind::Ticket], None).await;
    assert_eq!(ids(&hits), vec![survivor.id], "search still finds the deleted ticket");
    assert_eq!(term_ids(&mut r, &["albatross"], true).await, vec![survivor.id]);
}

pub(super) async fn event_round_trip(s: Arc<dyn Store>) {
    let before = now();
    let first = NewEvent {
        source: EventSource::Ui,
        member_id: Some(7),
        member_type: Some("staff"),
        url: Some("/api/v1/tickets/12".into()),
        action: EventAction::Updated,
        name: Some("TicketUpdated"),
        entity: EntityType::Ticket,
        entity_id: 12,
        customer_id: Some(3),
        value: json!({
            "id": 12,
            "title": "Привет, 日本語 — '; DROP TABLE events; --",
            "custom": { "ratio": 0.25, "list": [true, null, -1] },
        }),
        old: json!({ "status": "waiting" }),
    };
    let second = NewEvent {
        source: EventSource::System,
        member_id: None,
        member_type: None,
        url: None,
        action: EventAction::Deleted,
        name: None,
        entity: EntityType::BillingLink,
        entity_id: 4,
        customer_id: None,
        value: json!([]),
        old: Value::Null,
    };
    let mut w = writer(&s).await;
    let e1 = w.insert_event(&first).await.expect("insert event");
    let e2 = w.insert_event(&second).await.expect("insert event");
    w.commit().await.expect("commit");
    let after = now();

    assert!(e1.id > 0 && e2.id > e1.id, "event ids {} then {}", e1.id, e2.id);
    for (e, n) in [(&e1, &first), (&e2, &second)] {
        assert_eq!(e.source, n.source);
        assert_eq!(e.member_id, n.member_id);
        assert_eq!(e.member_type.as_deref(), n.member_type);
        assert_eq!(e.url, n.url);
        assert_eq!(e.action, n.action);
        assert_eq!(e.name.as_deref(), n.name);
        assert_eq!(e.data.entity, n.entity);
        assert_eq!(e.data.value, n.value);
        assert_eq!(e.data.old, n.old);
        assert_eq!(e.entity_id, n.entity_id);
        assert_eq!(e.customer_id, n.customer_id);
        assert_eq!(e.status, "pending");
        assert!(
            before <= e.timestamp && e.timestamp <= after,
            "event timestamp {} outside the insert",
            e.timestamp
        );
        assert!(
            before <= e.created_at && e.created_at <= after,
            "event created_at {}",
            e.created_at
        );
        assert!(
            before <= e.updated_at && e.updated_at <= after,
            "event updated_at {}",
            e.updated_at
        );
    }
    let mut r = reader(&s).await;
    assert_eq!(r.event(e1.id).await.expect("event"), Some(e1));
    assert_eq!(r.event(e2.id).await.expect("event"), Some(e2));
}

/// Each end user's own hash, even when another customer's end user with the same email has a password too
/// (the email lookup of a login would find only one of them).
pub(super) async fn end_user_password_hash_by_id(s: Arc<dyn Store>) {
    let world = world(&s).await;
    let mut w = writer(&s).await;
    let other = w
        .insert_customer(&new_customer("Other", None), &[])
        .await
        .expect("insert customer");
    let first = w
        .insert_end_user(
            &new_end_user(world.customer.id, "Sam", Some("sam@example.com")),
            Some("$argon2id$first"),
            &[],
        )
        .await
        .expect("insert end user");
    let second = w
        .insert_end_user(
            &new_end_user(other.id, "Sam", Some("sam@example.com")),
            Some("$argon2id$second"),
            &[],
        )
        .await
        .expect("insert end user");
    let without = w
        .insert_end_user(&new_end_user(other.id, "Nopass", Some("nopass@example.com")), None, &[])
        .await
        .expect("insert end user");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(
        r.end_user_password_hash(first.id).await.expect("hash").as_deref(),
        Some("$argon2id$first")
    );
    assert_eq!(
        r.end_user_password_hash(second.id).await.expect("hash").as_deref(),
        Some("$argon2id$second"),
        "the second end user with the same email reads their own hash"
    );
    assert_eq!(r.end_user_password_hash(without.id).await.expect("hash"), None);
    assert_eq!(r.end_user_password_hash(i64::MAX).await.expect("hash"), None);
    drop(r);

    // A changed password is what the next read returns.
    let mut w = writer(&s).await;
    w.update_end_user(&second, Some(Some("$argon2id$changed")), None)
        .await
        .expect("set password");
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    assert_eq!(
        r.end_user_password_hash(second.id).await.expect("hash").as_deref(),
        Some("$argon2id$changed")
    );
    assert_eq!(
        r.end_user_password_hash(first.id).await.expect("hash").as_deref(),
        Some("$argon2id$first")
    );
}
