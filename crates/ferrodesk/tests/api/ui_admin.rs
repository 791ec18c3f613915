//! The admin pages (`/admin`, SPEC §8): every section for admins only, forms that write through the same
//! use cases as the API (checked through the typed client), errors next to their field with the input kept,
//! CSRF, webhooks' delivery log and replay, the hook script editor and tester, reset links, the dashboard.
use super::pages::*;
use super::*;
use crate::receiver::Receiver;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

const SECTIONS: &[&str] = &[
    "/admin",
    "/admin/brands",
    "/admin/brands/new",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/staff",
    "/admin/staff/new",
    "/admin/tokens",
    "/admin/tokens/new",
    "/admin/oauth-clients",
    "/admin/oauth-clients/new",
    "/admin/attributes/customer",
    "/admin/attributes/end_user",
    "/admin/attributes/customer/new",
    "/admin/groups",
    "/admin/groups/new",
    "/admin/features",
    "/admin/features/new",
    "/admin/packages",
    "/admin/packages/new",
    "/admin/plans",
    "/admin/plans/new",
    "/admin/mailboxes",
    "/admin/mailboxes/new",
    "/admin/webhooks",
    "/admin/webhooks/new",
    "/admin/hooks",
    "/admin/hooks/new",
];

#[tokio::test]
async fn every_section_renders_for_an_admin_and_is_404_for_an_agent() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    for path in SECTIONS {
        let page = admin.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(
            page.body.contains("aria-label=\"Admin sections\""),
            "{path}: the sub-navigation"
        );
        assert!(page.body.contains("name=\"viewport\""), "{path}");
        assert_eq!(
            agent.get(path).await.status,
            StatusCode::NOT_FOUND,
            "{path} for an agent"
        );
    }
    // Posting as an agent is refused the same way, and nothing is written.
    agent.get("/account/password").await.assert_ok();
    let posted = agent.post("/admin/brands", &[("name", "Agent brand")]).await;
    assert_eq!(posted.status, StatusCode::NOT_FOUND);
    let brands = server.admin.brands(&ListQuery::default()).await.expect("brands");
    assert!(brands.data.iter().all(|b| b.name != "Agent brand"));
    let (_, customer) = customer_browser(&server).await;
    assert_eq!(customer.get("/admin/webhooks").await.status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

#[tokio::test]
async fn a_brand_made_in_the_form_is_in_the_api_and_its_html_is_escaped() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/brands/new").await.assert_ok();
    let name = "<script>alert(1)</script> & Co";
    let created = admin
        .post(
            "/admin/brands",
            &[("name", name), ("greeting", "Thanks for calling <b>us</b>")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let to = created.location.expect("location");
    let brands = server.admin.brands(&ListQuery::default()).await.expect("brands");
    let brand = brands.data.iter().find(|b| b.name == name).expect("brand in the API");
    assert_eq!(brand.greeting, "Thanks for calling <b>us</b>");
    assert!(to.starts_with(&format!("/admin/brands/{}", brand.id)), "{to}");
    let page = admin.get(&to).await;
    page.assert_ok();
    assert!(page.body.contains("Saved."));
    assert!(!page.body.contains("<script>alert(1)"), "escaped on the edit page");
    assert!(
        page.body.contains("alert(1)") && page.body.contains("script&#62;alert(1)"),
        "shown as text"
    );
    let list = admin.get("/admin/brands").await;
    assert!(!list.body.contains("<script>alert(1)"), "escaped in the list");
    assert!(!list.body.contains("<b>us</b>"));

    // Editing the greeting goes through the use case too.
    let edited = admin
        .post(
            &format!("/admin/brands/{}", brand.id),
            &[("name", "Plain name"), ("greeting", "New greeting")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let b = server.admin.brand(brand.id).await.expect("brand");
    assert_eq!((b.name.as_str(), b.greeting.as_str()), ("Plain name", "New greeting"));
    server.shutdown().await;
}

#[tokio::test]
async fn validation_errors_show_next_to_the_field_and_keep_the_input() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/brands/new").await.assert_ok();
    let refused = admin
        .post(
            "/admin/brands",
            &[("name", "  "), ("slug", "Bad Slug!"), ("greeting", "kept greeting")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("class=\"field-error\""), "{}", refused.body);
    assert_eq!(input_value(&refused.body, "slug").as_deref(), Some("Bad Slug!"));
    assert!(refused.body.contains(">kept greeting</textarea>"));
    // The error follows its field: the slug's message comes after the slug input, before the greeting.
    let slug_at = refused.body.find("name=\"slug\"").expect("slug");
    let error_at = refused.body[slug_at..].find("field-error").expect("error") + slug_at;
    let greeting_at = refused.body.find("name=\"greeting\"").expect("greeting");
    assert!(error_at < greeting_at, "the slug's error sits next to the slug");

    admin.get("/admin/staff/new").await.assert_ok();
    let refused = admin
        .post(
            "/admin/staff",
            &[
                ("email", "not-an-email"),
                ("name", "Kept Name"),
                ("role", "agent"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(input_value(&refused.body, "email").as_deref(), Some("not-an-email"));
    assert_eq!(input_value(&refused.body, "name").as_deref(), Some("Kept Name"));
    assert!(refused.body.contains("field-error"));
    let staff = server.admin.staff(&ListQuery::default()).await.expect("staff");
    assert!(staff.data.iter().all(|s| s.name != "Kept Name"), "nothing written");
    server.shutdown().await;
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_403_and_writes_nothing() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/brands/new").await.assert_ok();
    let before = server
        .admin
        .brands(&ListQuery::default())
        .await
        .expect("brands")
        .data
        .len();
    for (path, fields) in [
        ("/admin/brands", vec![("name", "No token")]),
        (
            "/admin/webhooks",
            vec![("url", "https://example.com/hook"), ("events", "*")],
        ),
        (
            "/admin/staff",
            vec![("email", "x@example.com"), ("name", "X"), ("role", "agent")],
        ),
    ] {
        let fields: Vec<(String, String)> = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(
            admin.post_raw(path, &fields).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let mut wrong = fields.clone();
        wrong.push(("csrf".into(), "not-the-token".into()));
        assert_eq!(
            admin.post_raw(path, &wrong).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let after = server
        .admin
        .brands(&ListQuery::default())
        .await
        .expect("brands")
        .data
        .len();
    assert_eq!(before, after);
    assert!(
        server
            .admin
            .webhooks(&ListQuery::default())
            .await
            .expect("webhooks")
            .data
            .is_empty()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn departments_attributes_and_the_catalogue_made_in_forms_are_in_the_api() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let brand = server
        .admin
        .create_brand(&NewBrand {
            name: unique("Brand"),
            ..Default::default()
        })
        .await
        .expect("brand");
    admin.get("/admin/departments/new").await.assert_ok();
    let brand_id = brand.id.to_string();
    let made = admin
        .post(
            "/admin/departments",
            &[("brand_id", &brand_id), ("name", "Billing desk"), ("public", "true")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let depts = server
        .admin
        .departments(&ListQuery::default())
        .await
        .expect("departments");
    let d = depts
        .data
        .iter()
        .find(|d| d.name == "Billing desk")
        .expect("department");
    assert!(d.public && d.brand_id == brand.id);
    assert!(admin.get("/admin/departments").await.body.contains("Billing desk"));

    admin.get("/admin/attributes/customer/new").await.assert_ok();
    let made = admin
        .post(
            "/admin/attributes/customer",
            &[
                ("name", "tier_level"),
                ("pretty_name", "Tier"),
                ("type", "select"),
                ("options", "gold, silver"),
                ("searchable", "true"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let attrs = server
        .admin
        .attributes(AttributeEntity::Customer)
        .await
        .expect("attributes");
    let a = attrs.data.iter().find(|a| a.name == "tier_level").expect("attribute");
    assert_eq!(a.options, vec!["gold".to_owned(), "silver".to_owned()]);
    assert!(a.searchable);
    let id = a.id.expect("custom attribute id");
    admin.get(&format!("/admin/attributes/customer/{id}")).await.assert_ok();
    let deleted = admin
        .post(&format!("/admin/attributes/customer/{id}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let attrs = server
        .admin
        .attributes(AttributeEntity::Customer)
        .await
        .expect("attributes");
    assert!(attrs.data.iter().all(|a| a.name != "tier_level"));

    admin.get("/admin/groups/new").await.assert_ok();
    let made = admin
        .post("/admin/groups", &[("name", "Support plans"), ("default", "true")])
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    admin.get("/admin/features/new").await.assert_ok();
    let made = admin
        .post(
            "/admin/features",
            &[("name", "Phone support"), ("unique_key", "phone_support")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let features = server
        .admin
        .features(&CatalogueQuery::default())
        .await
        .expect("features");
    let feature = features
        .data
        .iter()
        .find(|f| f.name == "Phone support")
        .expect("feature");
    admin.get("/admin/packages/new").await.assert_ok();
    let fid = feature.id.to_string();
    let made = admin
        .post("/admin/packages", &[("name", "Gold"), ("features", &fid)])
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let packages = server
        .admin
        .packages(&CatalogueQuery::default())
        .await
        .expect("packages");
    let package = packages.data.iter().find(|p| p.name == "Gold").expect("package");
    assert_eq!(package.features.len(), 1);

    admin.get("/admin/plans/new").await.assert_ok();
    let pid = package.id.to_string();
    let refused = admin
        .post(
            "/admin/plans",
            &[
                ("package_id", &pid),
                ("name", "Gold monthly"),
                ("currency", "EUR"),
                ("interval", "month"),
                ("pricing", "flat"),
                ("amount", "-5"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(input_value(&refused.body, "name").as_deref(), Some("Gold monthly"));
    let made = admin
        .post(
            "/admin/plans",
            &[
                ("package_id", &pid),
                ("name", "Gold monthly"),
                ("currency", "EUR"),
                ("interval", "month"),
                ("interval_count", "1"),
                ("pricing", "flat"),
                ("amount", "4900"),
                ("tier_mode", "graduated"),
                ("unit", "quantity"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let plans = server.admin.plans(&CatalogueQuery::default()).await.expect("plans");
    let plan = plans.data.iter().find(|p| p.name == "Gold monthly").expect("plan");
    let edited = admin
        .post(
            &format!("/admin/plans/{}", plan.id),
            &[("name", "Gold per month"), ("trial_days", "14")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let plan = server.admin.plan(plan.id).await.expect("plan");
    assert_eq!((plan.name.as_str(), plan.trial_days), ("Gold per month", 14));
    server.shutdown().await;
}

#[tokio::test]
async fn tokens_and_oauth_clients_show_their_secret_once() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/tokens/new").await.assert_ok();
    let made = admin
        .post("/admin/tokens", &[("name", "CI token"), ("role", "agent")])
        .await;
    made.assert_ok();
    let start = made.body.find("class=\"out secret\">").expect("the secret") + "class=\"out secret\">".len();
    let secret = unescape(&made.body[start..start + made.body[start..].find('<').expect("end")]);
    let me = server
        .admin
        .with_token(&secret)
        .me()
        .await
        .expect("the shown secret works");
    assert_eq!(me.role, Role::Agent);
    let tokens = server.admin.tokens(&ListQuery::default()).await.expect("tokens");
    let token = tokens.data.iter().find(|t| t.name == "CI token").expect("token");
    let list = admin.get("/admin/tokens").await;
    assert!(
        list.body.contains("CI token") && !list.body.contains(&secret),
        "never shown again"
    );
    let deleted = admin.post(&format!("/admin/tokens/{}/delete", token.id), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(server.admin.with_token(&secret).me().await.is_err());

    admin.get("/admin/oauth-clients/new").await.assert_ok();
    let made = admin
        .post("/admin/oauth-clients", &[("name", "SDK"), ("role", "agent")])
        .await;
    made.assert_ok();
    let clients = server
        .admin
        .oauth_clients(&ListQuery::default())
        .await
        .expect("clients");
    let client = clients.data.iter().find(|c| c.name == "SDK").expect("client");
    assert!(made.body.contains(&client.client_id));
    assert!(made.body.contains("Client secret"));
    let deleted = admin
        .post(&format!("/admin/oauth-clients/{}/delete", client.id), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        server
            .admin
            .oauth_clients(&ListQuery::default())
            .await
            .expect("clients")
            .data
            .is_empty()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn staff_made_and_changed_in_forms_and_the_reset_link_works_end_to_end() {
    let server = TestServer::start().await;
    let department = server.department().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/staff/new").await.assert_ok();
    let email = format!("{}@example.com", unique("newagent").to_lowercase());
    let made = admin
        .post(
            "/admin/staff",
            &[
                ("email", &email),
                ("name", "New Agent"),
                ("role", "agent"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let staff = server.admin.staff(&ListQuery::default()).await.expect("staff");
    let member = staff.data.iter().find(|s| s.email == email).expect("staff member");
    let edit = format!("/admin/staff/{}", member.id);
    admin.get(&edit).await.assert_ok();
    let changed = admin
        .post(
            &edit,
            &[
                ("email", &email),
                ("name", "Renamed Agent"),
                ("role", "admin"),
                ("password", ""),
                ("department_ids", &department.id.to_string()),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let m = staff_by_email(&server, &email).await;
    assert_eq!((m.name.as_str(), m.role), ("Renamed Agent", Role::Admin));
    assert_eq!(m.department_ids, vec![department.id], "SPEC §10: staff department_ids");
    let refused = admin
        .post(
            &edit,
            &[
                ("email", &email),
                ("name", "Renamed Agent"),
                ("role", "admin"),
                ("password", ""),
                ("department_ids", "support, 99999999"),
            ],
        )
        .await;
    assert!(refused.body.contains("department ids"), "{}", refused.body);

    let issued = admin.post(&format!("{edit}/reset-link"), &[]).await;
    issued.assert_ok();
    let start = issued.body.find("/reset/").expect("the link");
    let link = issued.body[start..start + issued.body[start..].find('<').expect("end")].to_owned();
    let token = link.trim_start_matches("/reset/").to_owned();
    let visitor = Browser::new(&server);
    visitor.get(&link).await.assert_ok();
    let new_password = "a brand new long password";
    let set = visitor
        .post(
            &link,
            &[
                ("csrf", &token),
                ("password", new_password),
                ("password_again", new_password),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    let landed = visitor.login(&email, new_password).await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(
        visitor.get(&link).await.status,
        StatusCode::NOT_FOUND,
        "a link works once"
    );

    let deleted = admin.post(&format!("{edit}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let staff = server.admin.staff(&ListQuery::default()).await.expect("staff");
    assert!(staff.data.iter().all(|s| s.email != email));
    server.shutdown().await;
}

async fn staff_by_email(server: &TestServer, email: &str) -> Staff {
    let staff = server.admin.staff(&ListQuery::default()).await.expect("staff");
    staff.data.into_iter().find(|s| s.email == email).expect("staff member")
}

#[tokio::test]
async fn a_webhook_made_in_the_form_shows_its_deliveries_and_replays_them() {
    let server = TestServer::start_with(|s| {
        s.webhooks_allow_private = true;
        s.webhook_retry_scale = 0.01;
    })
    .await;
    let receiver = Receiver::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/webhooks/new").await.assert_ok();
    let refused = admin
        .post(
            "/admin/webhooks",
            &[("url", &receiver.url), ("events", "NoSuchEvent"), ("active", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert_eq!(input_value(&refused.body, "events").as_deref(), Some("NoSuchEvent"));
    let made = admin
        .post(
            "/admin/webhooks",
            &[
                ("url", &receiver.url),
                ("events", "TicketAdminCreated"),
                ("format", "native"),
                ("active", "true"),
            ],
        )
        .await;
    made.assert_ok();
    assert!(made.body.contains("Signing secret"));
    let hooks = server.admin.webhooks(&ListQuery::default()).await.expect("webhooks");
    let hook = hooks.data.first().expect("webhook in the API");
    assert_eq!(hook.events, vec!["TicketAdminCreated".to_owned()]);

    let dept = server.department().await;
    let person = server.customer().await;
    server
        .admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Deliver me")
        })
        .await
        .expect("ticket");
    let delivery = wait_for_done(&server, hook.id, 1).await;
    let page = admin.get(&format!("/admin/webhooks/{}", hook.id)).await;
    page.assert_ok();
    assert!(page.body.contains(&format!("/admin/deliveries/{}/replay", delivery.id)));
    assert!(page.body.contains("1 attempt(s)"), "{}", page.body);
    assert!(page.body.contains(">200<"), "the attempt's HTTP status");

    let replayed = admin
        .post(&format!("/admin/deliveries/{}/replay", delivery.id), &[])
        .await;
    assert_eq!(replayed.status, StatusCode::SEE_OTHER, "{}", replayed.body);
    receiver
        .wait_until(Duration::from_secs(30), "the replay", |r| r.len() >= 2)
        .await;
    let again = wait_for_attempts(&server, delivery.id, 2).await;
    assert_eq!(again.attempt_log.len(), 2);

    // Turning it off through the edit form.
    let off = admin
        .post(
            &format!("/admin/webhooks/{}", hook.id),
            &[
                ("url", &receiver.url),
                ("events", "TicketAdminCreated"),
                ("format", "native"),
            ],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    assert!(!server.admin.webhook(hook.id).await.expect("webhook").active);
    server.shutdown().await;
}

async fn wait_for_done(server: &TestServer, webhook: i64, attempts: usize) -> Delivery {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = server
            .admin
            .webhook_deliveries(webhook, &ListQuery::default())
            .await
            .expect("deliveries");
        if let Some(d) = page.data.into_iter().find(|d| d.attempt_log.len() >= attempts) {
            return d;
        }
        assert!(Instant::now() < deadline, "no delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_attempts(server: &TestServer, delivery: i64, attempts: usize) -> Delivery {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = server.admin.delivery(delivery).await.expect("delivery");
        if d.attempt_log.len() >= attempts {
            return d;
        }
        assert!(Instant::now() < deadline, "no second attempt: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn hook_scripts_show_compile_errors_at_their_line_and_the_tester_shows_output() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    admin.get("/admin/hooks/new").await.assert_ok();
    let broken = "// first line\nhook(\"TicketAdminAreaViewDetailSidebar\", 5, |params| {\n    let x = ;\n});\n";
    let refused = admin
        .post(
            "/admin/hooks",
            &[("name", "sidebar"), ("source", broken), ("enabled", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("line 3"), "{}", refused.body);
    assert!(refused.body.contains("class=\"code\""));
    assert!(refused.body.contains("let x = ;"), "the source is kept");
    assert!(
        server
            .admin
            .hooks(&ListQuery::default())
            .await
            .expect("hooks")
            .data
            .is_empty()
    );

    let source = "hook(\"TicketAdminAreaViewDetailSidebar\", 5, |params| `<p>Plan for ${params.title}</p>`);\n";
    let made = admin
        .post(
            "/admin/hooks",
            &[("name", "sidebar"), ("source", source), ("enabled", "true")],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let hooks = server.admin.hooks(&ListQuery::default()).await.expect("hooks");
    let hook = hooks.data.first().expect("hook in the API");
    let page_path = format!("/admin/hooks/{}", hook.id);
    admin.get(&page_path).await.assert_ok();

    let dept = server.department().await;
    let person = server.customer().await;
    let ticket = server
        .admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Tester ticket")
        })
        .await
        .expect("ticket");
    let tid = ticket.id.to_string();
    let tested = admin.post(&format!("{page_path}/test"), &[("ticket_id", &tid)]).await;
    tested.assert_ok();
    assert!(tested.body.contains("<pre class=\"out\">"), "{}", tested.body);
    assert!(
        tested.body.contains("output: &#60;p&#62;Plan for Tester ticket"),
        "the view hook's output, as text: {}",
        tested.body
    );
    assert!(!tested.body.contains("<p>Plan for Tester ticket"), "never as markup");
    let missing = admin
        .post(&format!("{page_path}/test"), &[("ticket_id", "999999")])
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body.contains("no such ticket"));

    // A new source is a new version; a broken one is refused next to the field with the line.
    admin.get(&page_path).await.assert_ok();
    let v2 = source.replace("Plan for", "Plan of");
    let saved = admin
        .post(&page_path, &[("name", "sidebar"), ("source", &v2), ("enabled", "true")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(server.admin.hook(hook.id).await.expect("hook").version, 2);
    let page = admin.get(&page_path).await;
    assert!(page.body.contains("Version 2") && page.body.contains("Version 1"));
    let refused = admin
        .post(
            &page_path,
            &[
                ("name", "sidebar"),
                ("source", "hook(\"Nope\", 1, |p| 1);"),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("line 1"), "{}", refused.body);

    let toggled = admin.post(&format!("{page_path}?toggle=1"), &[]).await;
    assert_eq!(toggled.status, StatusCode::SEE_OTHER, "{}", toggled.body);
    assert!(!server.admin.hook(hook.id).await.expect("hook").enabled);
    let deleted = admin.post(&format!("{page_path}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        server
            .admin
            .hooks(&ListQuery::default())
            .await
            .expect("hooks")
            .data
            .is_empty()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_dashboard_draws_the_tickets_of_today_as_svg() {
    let server = TestServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let dept = server.department().await;
    let person = server.customer().await;
    let mut tickets = Vec::new();
    for i in 0..3 {
        tickets.push(
            server
                .admin
                .create_ticket(&NewTicket {
                    user_id: Some(person.end_user.id),
                    ..new_ticket(dept.id, &format!("Dashboard ticket {i}"))
                })
                .await
                .expect("ticket"),
        );
    }
    server
        .admin
        .update_ticket(
            tickets[0].id,
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                ..Default::default()
            },
        )
        .await
        .expect("solve");
    let page = admin.get("/admin").await;
    page.assert_ok();
    assert!(page.body.contains("<svg"), "{}", page.body);
    assert!(!page.body.contains("<script>"), "no inline script on the page");
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(page.body.contains(&format!("{today}: 3 opened")), "{}", page.body);
    assert!(page.body.contains(&format!("{today}: 1 solved")), "{}", page.body);
    assert!(page.body.contains("3 opened") && page.body.contains("1 solved"));
    let open = server.admin.ticket(tickets[1].id).await.expect("ticket").status;
    assert!(
        page.body.contains(&format!("{open}: 2")),
        "open tickets by status ({open})"
    );
    assert!(page.body.contains("Median first response"));
    assert!(page.body.contains("Monthly recurring revenue"));
    server.shutdown().await;
}

/// Rewrites an export so every ticket was opened `days` days ago (the only way a ticket of an earlier day
/// reaches a server from outside: a copy of a desk that has been running).
fn backdate_tickets(file: &std::path::Path, days: i64) -> std::path::PathBuf {
    use std::io::{Read, Write};
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(file).expect("open"))
        .read_to_string(&mut text)
        .expect("gunzip");
    let opened = (jiff::Timestamp::now().as_microsecond() / 86_400_000_000 - days) * 86_400_000_000 + 3_600_000_000;
    let mut ctime_column = None;
    let mut out = String::new();
    for line in text.lines() {
        let mut value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        if let Some(table) = value.get("table").and_then(|t| t.as_str()) {
            ctime_column = (table == "tickets").then(|| {
                value["columns"]
                    .as_array()
                    .expect("columns")
                    .iter()
                    .position(|c| c == "ctime")
                    .expect("a ctime column")
            });
        } else if let (Some(i), Some(row)) = (ctime_column, value.as_array_mut()) {
            row[i] = serde_json::json!(opened);
        }
        out.push_str(&value.to_string());
        out.push('\n');
    }
    let backdated = file.with_extension("backdated.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&backdated).expect("create"),
        flate2::Compression::fast(),
    );
    gz.write_all(out.as_bytes()).expect("write");
    gz.finish().expect("finish");
    backdated
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_keeps_the_figures_of_days_that_are_over_and_counts_a_day_again_when_a_ticket_goes() {
    use crate::transfer::{export, restore};
    let source = TestServer::start().await;
    let dept = source.department().await;
    let person = source.customer().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let t = source
            .admin
            .create_ticket(&NewTicket {
                user_id: Some(person.end_user.id),
                ..new_ticket(dept.id, &format!("Last week's ticket {i}"))
            })
            .await
            .expect("ticket");
        ids.push(t.id);
    }
    let scratch = temp_dir();
    let file = scratch.path().join("copy.jsonl.gz");
    export(&source.database_url, &file);
    source.shutdown().await;
    let backdated = backdate_tickets(&file, 3);
    let (target_url, target_dir) = fresh_database().await;
    restore(&target_url, &backdated);

    let server = TestServer::start_on(target_url, target_dir, |_| {}).await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let day = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(72))
        .strftime("%Y-%m-%d")
        .to_string();
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    for view in ["first", "second, from the kept figures"] {
        let page = admin.get("/admin").await;
        page.assert_ok();
        assert!(
            page.body.contains(&format!("{day}: 3 opened")),
            "{view} view: {}",
            page.body
        );
        assert!(page.body.contains(&format!("{today}: 0 opened")), "{view} view");
    }
    server
        .admin
        .delete_ticket(ids[0])
        .await
        .expect("delete a ticket of that day");
    let page = admin.get("/admin").await;
    assert!(
        page.body.contains(&format!("{day}: 2 opened")),
        "the day is counted again without the deleted ticket: {}",
        page.body
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_mailbox_made_in_the_form_keeps_its_password_masked_and_tests_its_servers() {
    let server = TestServer::start().await;
    let department = server.department().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let form = admin.get("/admin/mailboxes/new").await;
    form.assert_ok();
    assert!(form.body.contains(&department.name), "departments to choose from");
    let address = format!("{}@mail.example", unique("help").to_lowercase());
    let made = admin
        .post(
            "/admin/mailboxes",
            &[
                ("address", &address),
                ("department_id", &department.id.to_string()),
                ("imap_url", ""),
                ("smtp_url", "smtp://desk:form-secret@127.0.0.1:1"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let mailboxes = server.admin.mailboxes(None).await.expect("mailboxes");
    let mailbox = mailboxes
        .data
        .iter()
        .find(|m| m.address == address)
        .expect("the mailbox");
    assert_eq!(mailbox.brand_id, department.brand_id, "the department's brand");
    let edit = format!("/admin/mailboxes/{}", mailbox.id);
    let page = admin.get(&edit).await;
    page.assert_ok();
    assert!(!page.body.contains("form-secret"), "the password is never shown");
    assert!(page.body.contains("smtp://desk:********@127.0.0.1:1"), "{}", page.body);
    // Saved as shown (masked): the password stays; the test says what failed.
    let saved = admin
        .post(
            &edit,
            &[
                ("address", &address),
                ("department_id", &department.id.to_string()),
                ("imap_url", ""),
                ("smtp_url", "smtp://desk:********@127.0.0.1:2"),
                ("active", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let tested = admin.post(&format!("{edit}/test"), &[]).await;
    tested.assert_ok();
    assert!(
        tested.body.contains("SMTP: the connection to the SMTP server"),
        "{}",
        tested.body
    );
    assert!(tested.body.contains("IMAP: not set."), "{}", tested.body);
    let refused = admin
        .post(
            "/admin/mailboxes",
            &[
                ("address", "not an address"),
                ("department_id", &department.id.to_string()),
                ("smtp_url", "ftp://x"),
            ],
        )
        .await;
    assert!(refused.body.contains("not an address"), "the input is kept");
    assert!(
        refused.body.contains("e.g. smtp://"),
        "the error sits by its field: {}",
        refused.body
    );
    let unchosen = admin
        .post(
            "/admin/mailboxes",
            &[
                ("address", "late@mail.example"),
                ("department_id", ""),
                ("smtp_url", ""),
            ],
        )
        .await;
    assert!(
        unchosen.body.contains("choose a department"),
        "no department chosen: {}",
        unchosen.body
    );
    let deleted = admin.post(&format!("{edit}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert!(
        server
            .admin
            .mailboxes(None)
            .await
            .expect("list")
            .data
            .iter()
            .all(|m| m.address != address)
    );
    server.shutdown().await;
}
