//! The agent console and the customer portal over HTTP (SPEC §8): what the pages show and what their
//! forms change, seen through the API; bad input (escaping, other customers' URLs, double submissions,
//! long text).
use super::pages::*;
use super::*;
use reqwest::StatusCode;

/// A ticket opened by the end user through the API.
async fn ticket_by(person: &Person, did: i64, title: &str) -> Ticket {
    person
        .client
        .create_ticket(&new_ticket(did, title))
        .await
        .expect("ticket")
}

#[tokio::test]
async fn the_queue_filters_by_status_brand_department_assignee_and_priority() {
    let server = TestServer::start().await;
    let (agent, b) = staff_browser(&server, Role::Agent).await;
    let d1 = server.department().await;
    let d2 = server.department().await;
    let person = server.customer().await;
    let a = ticket_by(&person, d1.id, "Alpha printer jam").await;
    let bt = ticket_by(&person, d2.id, "Bravo mail bounce").await;
    server
        .admin
        .update_ticket(
            bt.id,
            &TicketPatch {
                assigned: Some(Some(agent.id)),
                priority: Some(Priority::HIGH),
                status: Some(TicketStatus::Process),
                ..Default::default()
            },
        )
        .await
        .expect("assign");
    let all = b.get("/agent").await;
    all.assert_ok();
    assert!(all.body.contains("Alpha printer jam") && all.body.contains("Bravo mail bounce"));
    assert!(
        all.body
            .contains(&format!("<tr class=\"unread\" data-ticket=\"{}\">", a.id)),
        "a customer's new ticket is unread"
    );
    let cases = [
        (format!("/agent?did={}", d1.id), true, false),
        (format!("/agent?brand={}", d2.brand_id), false, true),
        ("/agent?assigned=me".to_owned(), false, true),
        ("/agent?assigned=none".to_owned(), true, false),
        ("/agent?priority=3".to_owned(), false, true),
        ("/agent?status=process".to_owned(), false, true),
        ("/agent?status=waiting".to_owned(), true, false),
    ];
    for (path, alpha, bravo) in cases {
        let p = b.get(&path).await;
        p.assert_ok();
        assert_eq!(p.body.contains("Alpha printer jam"), alpha, "{path}");
        assert_eq!(p.body.contains("Bravo mail bounce"), bravo, "{path}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn saved_views_keep_the_filters_per_agent() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    b.get("/agent?priority=3&status=waiting").await.assert_ok();
    let saved = b
        .post(
            "/agent/views",
            &[("name", "Urgent <b>now</b>"), ("query", "priority=3&status=waiting")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(saved.location.as_deref(), Some("/agent?priority=3&status=waiting"));
    let q = b.get("/agent").await;
    assert!(!q.body.contains("<b>now</b>"), "the view's name is escaped");
    assert!(unescape(&q.body).contains("Urgent <b>now</b>"));
    assert!(unescape(&q.body).contains("href=\"/agent?priority=3&status=waiting\""));
    let (_, other) = staff_browser(&server, Role::Agent).await;
    assert!(
        !other.get("/agent").await.body.contains("Urgent"),
        "views are per agent"
    );
    let empty = b.post("/agent/views", &[("name", "  "), ("query", "")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("field-error"), "{}", empty.body);
    server.shutdown().await;
}

#[tokio::test]
async fn an_agent_replies_adds_notes_and_changes_the_ticket_from_its_page() {
    let server = TestServer::start().await;
    let (agent, b) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let d2 = server.department().await;
    let person = server.customer().await;
    let t = ticket_by(&person, d.id, "Cannot log in").await;
    let page = b.get(&format!("/agent/tickets/{}", t.id)).await;
    page.assert_ok();
    assert!(page.body.contains("Cannot log in") && page.body.contains("It does not work."));
    assert!(
        server.admin.ticket(t.id).await.expect("ticket").read_by_staff,
        "opening the page reads it"
    );

    let sent = b
        .post(
            &format!("/agent/tickets/{}/replies", t.id),
            &[("message", "Try resetting your password.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    b.get(&format!("/agent/tickets/{}", t.id)).await;
    let note = b
        .post(
            &format!("/agent/tickets/{}/replies", t.id),
            &[("message", "Customer called twice."), ("internal", "1")],
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER);
    let seen_by_customer = person.client.replies(t.id).await.expect("replies").data;
    assert!(
        seen_by_customer
            .iter()
            .any(|r| r.message == "Try resetting your password.")
    );
    assert!(
        !seen_by_customer.iter().any(|r| r.message.contains("called twice")),
        "notes stay internal"
    );
    assert_eq!(
        server.admin.ticket(t.id).await.expect("ticket").status,
        TicketStatus::Replied
    );

    b.get(&format!("/agent/tickets/{}", t.id)).await;
    let changed = b
        .post(
            &format!("/agent/tickets/{}", t.id),
            &[
                ("status", "process"),
                ("priority", "3"),
                ("did", &d2.id.to_string()),
                ("assigned", &agent.id.to_string()),
                ("locked", "1"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let now = server.admin.ticket(t.id).await.expect("ticket");
    assert_eq!(now.status, TicketStatus::Process);
    assert_eq!(now.priority, Priority::HIGH);
    assert_eq!(now.did, d2.id);
    assert_eq!(now.assigned, Some(agent.id));
    assert!(now.locked);
    let page = b.get(&format!("/agent/tickets/{}", t.id)).await;
    assert!(page.body.contains("Customer called twice."), "staff see notes");
    assert!(page.body.contains("class=\"message internal\""));

    // An empty reply: the error is next to the field, the page keeps the rest.
    let refused = b
        .post(&format!("/agent/tickets/{}/replies", t.id), &[("message", "   ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("class=\"field-error\""), "{}", refused.body);
    server.shutdown().await;
}

#[tokio::test]
async fn the_sidebar_shows_the_customer_and_redeems_an_incident() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    server
        .admin
        .create_contract(&NewContract {
            customer_id: person.customer.id,
            start: "2020-01-01".into(),
            end: "2099-12-31".into(),
            incidents: Some([("phone".to_owned(), IncidentInput { total: 2, used: None })].into()),
            ..NewContract::default()
        })
        .await
        .expect("contract");
    server
        .admin
        .create_invoice(&NewInvoice {
            customer_id: person.customer.id,
            currency: "EUR".into(),
            items: vec![NewInvoiceItem {
                description: "Hosting".into(),
                quantity: None,
                unit_amount: 1250,
            }],
            ..Default::default()
        })
        .await
        .expect("invoice");
    let t = ticket_by(&person, d.id, "Server down").await;
    let page = b.get(&format!("/agent/tickets/{}", t.id)).await;
    page.assert_ok();
    assert!(page.body.contains(&person.customer.name), "the customer");
    assert!(page.body.contains("Pat Doe"), "a contact");
    assert!(page.body.contains("12.50 EUR"), "the unpaid invoice: {}", page.body);
    assert!(
        page.body.contains("phone: <strong>2</strong> of 2 left"),
        "{}",
        page.body
    );
    let redeemed = b
        .post(&format!("/agent/tickets/{}/incidents", t.id), &[("type", "phone")])
        .await;
    assert_eq!(redeemed.status, StatusCode::SEE_OTHER, "{}", redeemed.body);
    let incidents = server.admin.ticket_incidents(t.id).await.expect("incidents");
    assert!(
        incidents
            .data
            .iter()
            .any(|u| u.kind == "phone" && u.redeemed && u.left == 1)
    );
    let page = b.get(&format!("/agent/tickets/{}", t.id)).await;
    assert!(page.body.contains("redeemed for this ticket"));
    // Twice is a conflict, shown on the page.
    let again = b
        .post(&format!("/agent/tickets/{}/incidents", t.id), &[("type", "phone")])
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.body.contains("class=\"alert\""));
    let customer_page = b.get(&format!("/agent/customers/{}", person.customer.id)).await;
    customer_page.assert_ok();
    assert!(customer_page.body.contains("Server down"));
    server.shutdown().await;
}

#[tokio::test]
async fn an_open_ticket_shows_who_else_is_there_and_updates_when_someone_replies() {
    let server = TestServer::start().await;
    let (_, first) = staff_browser(&server, Role::Agent).await;
    let (second_agent, second) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    let t = ticket_by(&person, d.id, "Slow website").await;
    let page = first.get(&format!("/agent/tickets/{}", t.id)).await;
    let live_url = {
        let start = page.body.find("/live?v=").expect("live poll");
        let rest = &page.body[start..];
        let v: String = rest["/live?v=".len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        format!("/agent/tickets/{}/live?v={v}", t.id)
    };
    // The second agent is writing a reply.
    let theirs = second
        .get(&format!("/agent/tickets/{}/live?v=0&replying=1", t.id))
        .await;
    theirs.assert_ok();
    let mine = first.get(&live_url).await;
    mine.assert_ok();
    assert!(mine.body.contains(&second_agent.name), "{}", mine.body);
    assert!(mine.body.contains("writing a reply"));
    assert!(!mine.body.contains("hx-swap-oob"), "nothing changed yet");
    person
        .client
        .reply(
            t.id,
            &NewReply {
                message: "Still slow today.".into(),
                internal: None,
            },
        )
        .await
        .expect("customer reply");
    let after = first.get(&live_url).await;
    assert!(
        after.body.contains("hx-swap-oob") && after.body.contains("Still slow today."),
        "{}",
        after.body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_queue_redraws_only_after_a_change() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    ticket_by(&person, d.id, "First").await;
    let q = b.get("/agent").await;
    let since: String = {
        let at = q.body.find("since=").expect("marker") + "since=".len();
        q.body[at..].chars().take_while(|c| c.is_ascii_digit()).collect()
    };
    let idle = b.get(&format!("/agent/queue/live?since={since}")).await;
    assert_eq!(idle.status, StatusCode::NO_CONTENT);
    ticket_by(&person, d.id, "Second arrives").await;
    let moved = b.get(&format!("/agent/queue/live?since={since}")).await;
    moved.assert_ok();
    assert!(moved.body.contains("Second arrives"));
    server.shutdown().await;
}

#[tokio::test]
async fn search_highlights_what_matched() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    let t = ticket_by(&person, d.id, "Invoice shows the wrong VAT <b>rate</b>").await;
    let p = b.get("/agent/search?q=VAT").await;
    p.assert_ok();
    assert!(
        p.body.contains(&format!("href=\"/agent/tickets/{}\"", t.id)),
        "{}",
        p.body
    );
    assert!(p.body.contains("<mark>VAT</mark>"), "{}", p.body);
    assert!(!p.body.contains("<b>rate"), "the rest is escaped");
    server.shutdown().await;
}

#[tokio::test]
async fn html_in_titles_replies_and_names_is_shown_as_text_everywhere() {
    let server = TestServer::start().await;
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let (person, portal) = customer_browser(&server).await;
    server
        .admin
        .update_customer(
            person.customer.id,
            &CustomerPatch {
                name: Some("<img src=x onerror=alert(2)>Evil Corp".into()),
                ..Default::default()
            },
        )
        .await
        .expect("rename");
    let t = person
        .client
        .create_ticket(&NewTicket {
            message: "<script>alert(3)</script> body".into(),
            ..new_ticket(d.id, "<script>alert(1)</script>")
        })
        .await
        .expect("ticket");
    for (b, path) in [
        (&agent, "/agent".to_owned()),
        (&agent, format!("/agent/tickets/{}", t.id)),
        (&agent, format!("/agent/customers/{}", person.customer.id)),
        (&portal, "/portal".to_owned()),
        (&portal, format!("/portal/tickets/{}", t.id)),
    ] {
        let p = b.get(&path).await;
        p.assert_ok();
        assert!(!p.body.contains("<script>alert"), "{path}: {}", p.body);
        assert!(!p.body.contains("<img src=x"), "{path}");
        assert!(p.body.contains("alert(1)"), "{path}: the title is there, as text");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn very_long_titles_and_replies_render() {
    let server = TestServer::start().await;
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    let title = "W".repeat(250);
    let message = "x".repeat(60_000);
    let t = person
        .client
        .create_ticket(&NewTicket {
            message: message.clone(),
            ..new_ticket(d.id, &title)
        })
        .await
        .expect("ticket");
    let p = agent.get(&format!("/agent/tickets/{}", t.id)).await;
    p.assert_ok();
    assert!(p.body.contains(&title) && p.body.contains(&message));
    let css = reqwest::get(format!("{}/assets/app.css", server.url))
        .await
        .expect("css")
        .text()
        .await
        .expect("text");
    assert!(
        css.contains("overflow-wrap:anywhere"),
        "long words wrap instead of widening the page"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn end_users_get_404_for_agent_pages_and_other_customers_tickets() {
    let server = TestServer::start().await;
    let d = server.department().await;
    let (mine, b) = customer_browser(&server).await;
    let other = server.customer().await;
    let my_ticket = ticket_by(&mine, d.id, "Mine").await;
    let theirs = ticket_by(&other, d.id, "Theirs").await;
    assert_eq!(
        b.get(&format!("/portal/tickets/{}", my_ticket.id)).await.status,
        StatusCode::OK
    );
    for path in [
        format!("/portal/tickets/{}", theirs.id),
        format!("/agent/tickets/{}", my_ticket.id),
        format!("/agent/customers/{}", mine.customer.id),
        "/agent/search?q=x".to_owned(),
        "/admin".to_owned(),
        "/portal/tickets/999999".to_owned(),
        "/portal/tickets/abc".to_owned(),
    ] {
        assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Their ticket cannot be answered or closed either.
    b.get("/portal").await;
    let r = b
        .post(&format!("/portal/tickets/{}/replies", theirs.id), &[("message", "hi")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b.post(&format!("/portal/tickets/{}/solved", theirs.id), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(server.admin.replies(theirs.id).await.expect("replies").data.len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_customer_opens_replies_solves_and_sees_invoices() {
    let server = TestServer::start().await;
    let d = server.department().await;
    let (person, b) = customer_browser(&server).await;
    let form = b.get("/portal/tickets/new").await;
    form.assert_ok();
    let once = input_value(&form.body, "once").expect("one-time key");
    let fields = [
        ("did", d.id.to_string()),
        ("title", "Website is down".to_owned()),
        ("message", "Since this morning.".to_owned()),
        ("reference", "example.com".to_owned()),
        ("once", once.clone()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let opened = b.post("/portal/tickets/new", &fields).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    // The same form again (a double click): the first ticket, no second one.
    let again = b.post("/portal/tickets/new", &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.location, opened.location);
    let mine = person
        .client
        .tickets(&TicketQuery::default())
        .await
        .expect("tickets")
        .data;
    assert_eq!(mine.len(), 1, "one ticket for a double submission");
    let t = &mine[0];
    assert_eq!(
        t.custom_fields.get("reference").and_then(|v| v.as_str()),
        Some("example.com")
    );

    let page = b.get(&format!("/portal/tickets/{}", t.id)).await;
    page.assert_ok();
    let reply = b
        .post(
            &format!("/portal/tickets/{}/replies", t.id),
            &[("message", "Now it is back.")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    b.get(&format!("/portal/tickets/{}", t.id)).await;
    let solved = b.post(&format!("/portal/tickets/{}/solved", t.id), &[]).await;
    assert_eq!(solved.status, StatusCode::SEE_OTHER);
    assert_eq!(
        server.admin.ticket(t.id).await.expect("ticket").status,
        TicketStatus::Solved
    );

    // A locked ticket has no reply box, and a reply sent anyway is refused on the page.
    server
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
    let locked = b.get(&format!("/portal/tickets/{}", t.id)).await;
    assert!(locked.body.contains("This ticket is locked") && !locked.body.contains("Send reply"));
    let refused = b
        .post(&format!("/portal/tickets/{}/replies", t.id), &[("message", "hello?")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("locked"));

    // A missing title: the error by the field, the message kept.
    let form = b.get("/portal/tickets/new").await;
    let bad = b
        .post(
            "/portal/tickets/new",
            &[
                ("did", &d.id.to_string()),
                ("title", ""),
                ("message", "keep me"),
                ("once", &input_value(&form.body, "once").expect("key")),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("keep me") && bad.body.contains("field-error"),
        "{}",
        bad.body
    );

    // Invoices: issued ones with status and amounts; drafts are not shown.
    server
        .admin
        .create_invoice(&NewInvoice {
            customer_id: person.customer.id,
            currency: "EUR".into(),
            items: vec![NewInvoiceItem {
                description: "Hosting".into(),
                quantity: Some(2),
                unit_amount: 995,
            }],
            ..Default::default()
        })
        .await
        .expect("invoice");
    server
        .admin
        .create_invoice(&NewInvoice {
            customer_id: person.customer.id,
            currency: "EUR".into(),
            items: vec![NewInvoiceItem {
                description: "Draft".into(),
                quantity: None,
                unit_amount: 777,
            }],
            draft: Some(true),
            ..Default::default()
        })
        .await
        .expect("draft");
    let inv = b.get("/portal/invoices").await;
    inv.assert_ok();
    assert!(
        inv.body.contains("19.90 EUR") && inv.body.contains("open"),
        "{}",
        inv.body
    );
    assert!(!inv.body.contains("7.77 EUR"), "drafts are not the customer's yet");
    server.shutdown().await;
}

#[tokio::test]
async fn a_double_submitted_staff_reply_is_one_reply() {
    let server = TestServer::start().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let d = server.department().await;
    let person = server.customer().await;
    let t = ticket_by(&person, d.id, "Twice").await;
    let page = b.get(&format!("/agent/tickets/{}", t.id)).await;
    let once = input_value(&page.body, "once").expect("key");
    for _ in 0..2 {
        let r = b
            .post(
                &format!("/agent/tickets/{}/replies", t.id),
                &[("message", "Only once"), ("once", &once)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let replies = server.admin.replies(t.id).await.expect("replies").data;
    assert_eq!(replies.iter().filter(|r| r.message == "Only once").count(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn an_admin_gives_an_end_user_a_reset_link_for_the_portal() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let person = server.customer().await;
    let page = admin.get(&format!("/agent/customers/{}", person.customer.id)).await;
    page.assert_ok();
    let issued = admin
        .post(&format!("/agent/end-users/{}/reset-link", person.end_user.id), &[])
        .await;
    issued.assert_ok();
    let start = issued.body.find("<code id=\"reset-link\">").expect("link shown") + "<code id=\"reset-link\">".len();
    let link = issued.body[start..].split('<').next().expect("link").to_owned();
    assert!(link.starts_with("/reset/"), "{link}");
    let token = link.trim_start_matches("/reset/").to_owned();
    let visitor = Browser::new(&server);
    visitor.get(&link).await.assert_ok();
    let set = visitor
        .post(
            &link,
            &[
                ("password", "portal password 1"),
                ("password_again", "portal password 1"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let email = person.end_user.email.clone().expect("email");
    let landed = Browser::new(&server).login(&email, "portal password 1").await;
    assert_eq!(landed.location.as_deref(), Some("/portal"));
    assert_eq!(
        visitor.get(&link).await.status,
        StatusCode::NOT_FOUND,
        "a link works once"
    );
    // Agents cannot issue links.
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    agent.get(&format!("/agent/customers/{}", person.customer.id)).await;
    let refused = agent
        .post(&format!("/agent/end-users/{}/reset-link", person.end_user.id), &[])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

/// Every WiseCP view hook shows in its slot on the matching page (SPEC §8); client-area slots lose their
/// scripts and event handlers on the way to the portal.
#[tokio::test]
async fn every_view_hook_renders_in_its_slot_and_client_slots_are_sanitised() {
    const PAGES: [(&str, &str); 9] = [
        ("TicketAdminAreaViewList", "/agent"),
        ("TicketAdminAreaViewDetail", "/agent/tickets/{id}"),
        ("TicketAdminAreaViewDetailSidebar", "/agent/tickets/{id}"),
        ("TicketAdminAreaViewCreate", "/agent/tickets/new"),
        ("TicketAdminAreaViewCreateSidebar", "/agent/tickets/new"),
        ("TicketClientAreaViewList", "/portal"),
        ("TicketClientAreaViewDetailTop", "/portal/tickets/{id}"),
        ("TicketClientAreaViewDetail", "/portal/tickets/{id}"),
        ("TicketClientAreaViewCreate", "/portal/tickets/new"),
    ];
    let server = TestServer::start().await;
    let source: String = PAGES
        .iter()
        .map(|(slot, _)| {
            format!(
                "hook(\"{slot}\", 1, |p| `<p class=\"from-{slot}\" onclick=\"window.__pwned=1\">{slot}</p><script>window.__pwned=1</script>`);\n"
            )
        })
        .collect();
    server
        .admin
        .create_hook(&NewHook {
            name: "slots".into(),
            source,
            enabled: None,
        })
        .await
        .expect("hook");
    let d = server.department().await;
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    let (person, portal) = customer_browser(&server).await;
    let t = ticket_by(&person, d.id, "Slots").await;
    for (slot, path) in PAGES {
        let path = path.replace("{id}", &t.id.to_string());
        let client = slot.starts_with("TicketClientArea");
        let b = if client { &portal } else { &agent };
        let page = b.get(&path).await;
        page.assert_ok();
        assert!(page.body.contains(&format!("data-slot=\"{slot}\"")), "{slot} on {path}");
        assert!(
            page.body.contains(&format!(">{slot}</p>")),
            "{slot} on {path}: {}",
            page.body
        );
        if client {
            assert!(
                !page.body.contains("window.__pwned"),
                "{slot}: script and handler removed"
            );
        }
    }
    // Admin-area slots never reach the portal.
    let portal_page = portal.get(&format!("/portal/tickets/{}", t.id)).await;
    assert!(!portal_page.body.contains("TicketAdminArea"));
    server.shutdown().await;
}
