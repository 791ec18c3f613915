//! The telephony screen pop (SPEC §7.4) and the web-UI parts of the customer backends (SPEC §6, §8): the pop
//! behind the staff login, its parameters, the caller lookup through the local and the `webcall` backend
//! (one that is down included), the case, opening a ticket from the call; the admin's backend settings
//! with the connection test; the ticket sidebar's `webcall` account.
use super::pages::*;
use super::webcall_server::{INT_PASS, INT_USER, Mode, WebcallServer, webcall_desk};
use super::*;
use reqwest::StatusCode;

/// The pop's URL for `brand` with the other parameters as given (already encoded).
fn pop_url(brand: i64, rest: &str) -> String {
    format!("/integrations/telephony/pop?company=1&brand={brand}{rest}")
}

/// The `CallReceived` events so far, newest first.
async fn calls(server: &TestServer) -> Vec<Event> {
    server
        .admin
        .events(&EventQuery {
            entity: Some("call".into()),
            limit: Some(500),
            ..Default::default()
        })
        .await
        .expect("call events")
        .data
}

/// A loopback URL nothing listens on.
async fn closed_port_url(path: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{address}{path}")
}

async fn customer_with_phone(server: &TestServer, name: &str, phone: &str) -> Customer {
    server
        .admin
        .create_customer(&NewCustomer {
            name: name.into(),
            phone: Some(phone.into()),
            ..Default::default()
        })
        .await
        .expect("customer")
}

/// A department of a new brand with `greeting`.
async fn department_with_greeting(server: &TestServer, greeting: &str) -> Department {
    let d = server.department().await;
    server
        .admin
        .update_brand(
            d.brand_id,
            &BrandPatch {
                greeting: Some(greeting.into()),
                ..Default::default()
            },
        )
        .await
        .expect("greeting");
    d
}

#[tokio::test]
async fn the_pop_sends_a_visitor_to_the_login_and_back_with_its_query() {
    let server = TestServer::start().await;
    let d = department_with_greeting(&server, "Thank you for calling Acme, this is {agent}.").await;
    let email = format!("{}@example.com", unique("agent").to_lowercase());
    server
        .admin
        .create_staff(&NewStaff {
            email: email.clone(),
            name: "Ann Agent".into(),
            role: Role::Agent,
            password: PASSWORD.into(),
            department_ids: None,
        })
        .await
        .expect("agent");
    let b = Browser::new(&server);
    let pop = pop_url(d.brand_id, "&callid=c-77%26x&ani=%2B1%20(555)%20010-0200&caseid=");
    let away = b.get(&pop).await;
    assert_eq!(away.status, StatusCode::SEE_OTHER, "{}", away.body);
    let to_login = away.location.clone().expect("to the login");
    let next = to_login.strip_prefix("/login?next=").expect("a next parameter");
    let next: String = form_urlencoded::parse(format!("n={next}").as_bytes())
        .next()
        .expect("decoded")
        .1
        .into_owned();
    assert_eq!(next, pop, "the whole pop URL, query included");
    assert!(calls(&server).await.is_empty(), "no call is recorded before the login");

    let form = b.get(&to_login).await;
    form.assert_ok();
    assert_eq!(input_value(&form.body, "next").as_deref(), Some(pop.as_str()));
    let landed = b
        .post("/login", &[("email", &email), ("password", PASSWORD), ("next", &next)])
        .await;
    assert_eq!(landed.status, StatusCode::SEE_OTHER, "{}", landed.body);
    assert_eq!(landed.location.as_deref(), Some(pop.as_str()));
    let page = b.get(&pop).await;
    page.assert_ok();
    assert!(
        page.body.contains("Thank you for calling Acme, this is {agent}."),
        "{}",
        page.body
    );
    assert!(page.body.contains("c-77&amp;x") || page.body.contains("c-77&#38;x"));
    assert!(page.body.contains("+1 (555) 010-0200"));
    let recorded = calls(&server).await;
    assert_eq!(recorded.len(), 1, "one CallReceived for one pop");
    assert_eq!(recorded[0].name.as_deref(), Some("CallReceived"));
    assert_eq!(recorded[0].data.value["callid"], "c-77&x");

    // SpiceCSM's path is the same page.
    let alias = b
        .get(&format!(
            "/spiceinstall/integrations/telephony/telephonypop.php?company=1&brand={}&callid=c-78",
            d.brand_id
        ))
        .await;
    alias.assert_ok();
    assert!(alias.body.contains("Thank you for calling Acme"));
    assert_eq!(calls(&server).await.len(), 2);

    // An end user is not staff: the pop does not exist for them.
    let (_, customer) = customer_browser(&server).await;
    assert_eq!(customer.get(&pop).await.status, StatusCode::NOT_FOUND);
    assert_eq!(calls(&server).await.len(), 2);
    server.shutdown().await;
}

#[tokio::test]
async fn missing_parameters_are_400_and_unknown_company_or_brand_404() {
    let server = TestServer::start().await;
    let d = server.department().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let brand = d.brand_id;
    let refused = [
        (format!("/integrations/telephony/pop?brand={brand}"), 400, "company"),
        (
            "/integrations/telephony/pop?company=1&ani=5550100".to_owned(),
            400,
            "brand",
        ),
        ("/integrations/telephony/pop?company=1&brand=".to_owned(), 400, "brand"),
        ("/integrations/telephony/pop".to_owned(), 400, "company and brand"),
        (
            "/spiceinstall/integrations/telephony/telephonypop.php?callid=1".to_owned(),
            400,
            "company and brand",
        ),
        (
            format!("/integrations/telephony/pop?company=2&brand={brand}"),
            404,
            "No such company",
        ),
        (
            "/integrations/telephony/pop?company=1&brand=abc".to_owned(),
            404,
            "No such brand",
        ),
        (
            "/integrations/telephony/pop?company=1&brand=987654".to_owned(),
            404,
            "No such brand",
        ),
    ];
    for (path, status, says) in refused {
        let page = b.get(&path).await;
        assert_eq!(page.status.as_u16(), status, "{path}: {}", page.body);
        assert!(page.body.contains(says), "{path} says {says}: {}", page.body);
    }
    assert!(calls(&server).await.is_empty(), "a refused pop records no call");
    server.shutdown().await;
}

#[tokio::test]
async fn a_number_with_punctuation_and_a_plus_matches_customers_stored_otherwise() {
    let server = TestServer::start().await;
    let d = server.department().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let london = customer_with_phone(&server, "London Ltd", "(020) 7946-0958").await;
    let other = customer_with_phone(&server, "Elsewhere Inc", "020 7946 0000").await;
    let person = server.customer().await;
    server
        .admin
        .update_end_user(
            person.end_user.id,
            &EndUserPatch {
                phone: Some(Some("555.010.0300".into())),
                ..Default::default()
            },
        )
        .await
        .expect("end user phone");

    let page = b
        .get(&pop_url(d.brand_id, "&callid=a1&ani=%2B44%20(20)%207946-0958"))
        .await;
    page.assert_ok();
    assert!(
        page.body.contains(&format!("href=\"/agent/customers/{}\"", london.id)),
        "{}",
        page.body
    );
    assert!(page.body.contains("London Ltd"));
    assert!(!page.body.contains(&other.name));
    assert_eq!(
        input_value(&page.body, "customer_id").as_deref(),
        Some(london.id.to_string().as_str()),
        "the only customer found is the ticket's"
    );
    let call = &calls(&server).await[0];
    assert_eq!(call.data.value["customer_id"], london.id);

    let page = b.get(&pop_url(d.brand_id, "&callid=a2&ani=%2B1-555-010-0300")).await;
    page.assert_ok();
    assert!(
        page.body.contains(&format!(
            "href=\"/agent/customers/{}#contact-{}\"",
            person.customer.id, person.end_user.id
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "value=\"{}\" id=\"user-{}\" checked",
            person.end_user.id, person.end_user.id
        )),
        "the only person found is the requester: {}",
        page.body
    );

    let nobody = b
        .get(&pop_url(d.brand_id, "&callid=a3&ani=%2B1%20999%20888%207777"))
        .await;
    nobody.assert_ok();
    assert!(nobody.body.contains("No customer has this number."));
    assert_eq!(calls(&server).await.len(), 3, "one CallReceived per pop");
    server.shutdown().await;
}

#[tokio::test]
async fn a_case_of_another_brand_is_not_shown() {
    let server = TestServer::start().await;
    let here = server.department().await;
    let there = server.department().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let person = server.customer().await;
    let theirs = person
        .client
        .create_ticket(&new_ticket(there.id, "Their broken router"))
        .await
        .expect("ticket");
    let ours = person
        .client
        .create_ticket(&new_ticket(here.id, "Our broken router"))
        .await
        .expect("ticket");

    let page = b
        .get(&pop_url(here.brand_id, &format!("&callid=k1&caseid={}", theirs.id)))
        .await;
    page.assert_ok();
    assert!(
        page.body.contains(&format!("No case {} in this brand.", theirs.id)),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Their broken router"));
    assert!(!page.body.contains(&format!("href=\"/agent/tickets/{}\"", theirs.id)));

    let page = b
        .get(&pop_url(here.brand_id, &format!("&callid=k2&caseid={}", ours.id)))
        .await;
    page.assert_ok();
    assert!(page.body.contains(&format!("href=\"/agent/tickets/{}\"", ours.id)));
    assert!(page.body.contains("Our broken router"));

    let page = b.get(&pop_url(here.brand_id, "&callid=k3&caseid=no-such")).await;
    page.assert_ok();
    assert!(page.body.contains("No case no-such in this brand."));
    server.shutdown().await;
}

#[tokio::test]
async fn a_ticket_opened_from_the_pop_carries_the_callid_and_the_call_links_it() {
    let server = TestServer::start().await;
    let d = server.department().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let person = server.customer().await;
    server
        .admin
        .update_end_user(
            person.end_user.id,
            &EndUserPatch {
                phone: Some(Some("+49 30 1234567".into())),
                ..Default::default()
            },
        )
        .await
        .expect("phone");
    let page = b
        .get(&pop_url(d.brand_id, "&callid=call-4711&ani=%2B49%20(30)%20123-4567"))
        .await;
    page.assert_ok();
    let call_event = calls(&server).await.remove(0);
    assert_eq!(call_event.data.value["end_user_id"], person.end_user.id);
    let once = input_value(&page.body, "once").expect("one-time key");
    let user_id = person.end_user.id.to_string();
    let did = d.id.to_string();
    let base = [
        ("brand", d.brand_id.to_string()),
        ("callid", "call-4711".to_owned()),
        ("ani", "+49 (30) 123-4567".to_owned()),
        ("did", did.clone()),
        ("user_id", user_id.clone()),
    ];

    // Refused: the errors next to their fields, the input kept, and the call not popped again.
    let mut fields: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend([
        ("title", ""),
        ("message", "Caller says <the VPN> drops."),
        ("once", &once),
    ]);
    let refused = b.post("/integrations/telephony/pop/tickets", &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("class=\"field-error\""), "{}", refused.body);
    assert!(
        refused.body.contains("Caller says &#60;the VPN&#62; drops.")
            || refused.body.contains("Caller says &lt;the VPN&gt; drops.")
    );
    assert!(
        refused
            .body
            .contains(&format!("value=\"{user_id}\" id=\"user-{user_id}\" checked"))
    );
    assert_eq!(input_value(&refused.body, "callid").as_deref(), Some("call-4711"));
    assert_eq!(
        calls(&server).await.len(),
        1,
        "the refused form did not pop the call again"
    );

    let once = input_value(&refused.body, "once").expect("a new one-time key");
    let mut fields: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend([
        ("title", "VPN drops"),
        ("message", "Caller says the VPN drops."),
        ("once", &once),
    ]);
    let opened = b.post("/integrations/telephony/pop/tickets", &fields).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let to = opened.location.expect("to the ticket");
    let id: i64 = to
        .strip_prefix("/agent/tickets/")
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .expect("a ticket id");
    let ticket = server.admin.ticket(id).await.expect("the ticket");
    assert_eq!(ticket.callid.as_deref(), Some("call-4711"));
    assert_eq!(ticket.user_id, person.end_user.id);
    assert_eq!(ticket.did, d.id);
    // The same form again is the same ticket.
    let again = b.post("/integrations/telephony/pop/tickets", &fields).await;
    assert_eq!(again.location.as_deref(), Some(to.as_str()));

    // The call record names the ticket.
    let settings = ferrodesk::settings::Settings {
        database_url: server.database_url.as_str().into(),
        ..Default::default()
    };
    let store = ferrodesk::open_store(&settings).await.expect("the database");
    let call = store
        .read()
        .await
        .expect("a reader")
        .call(call_event.entity_id)
        .await
        .expect("the call")
        .expect("recorded");
    assert_eq!(call.ticket_id, Some(id));
    assert_eq!(call.callid, "call-4711");

    // A callid the brand never saw is refused next to the form.
    let once = input_value(&b.get(&pop_url(d.brand_id, "&callid=other")).await.body, "once").expect("key");
    let refused = b
        .post(
            "/integrations/telephony/pop/tickets",
            &[
                ("brand", &d.brand_id.to_string()),
                ("callid", "never-popped"),
                ("did", &did),
                ("user_id", &user_id),
                ("title", "x"),
                ("message", "y"),
                ("once", &once),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("no call with this callid"), "{}", refused.body);
    server.shutdown().await;
}

#[tokio::test]
async fn a_brand_whose_backend_is_down_still_pops_the_call() {
    let server = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let down = closed_port_url("/search").await;
    let brand = backend
        .brand_with(
            &server,
            WebcallInput {
                search_url: down.clone(),
                load_url: down,
                ..backend.settings()
            },
        )
        .await;
    let (_, b) = staff_browser(&server, Role::Agent).await;
    let page = b
        .get(&pop_url(brand.id, "&callid=down-1&ani=%2B1%20555%20555%205555"))
        .await;
    page.assert_ok();
    assert!(page.body.contains("down-1") && page.body.contains("+1 555 555 5555"));
    assert!(page.body.contains("The lookup failed:"), "{}", page.body);
    assert!(page.body.contains("Open a ticket from this call"));
    let recorded = calls(&server).await;
    assert_eq!(recorded.len(), 1);
    assert!(
        recorded[0].data.value["lookup_error"].is_string(),
        "{:?}",
        recorded[0].data.value
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_webcall_account_shows_on_the_pop_and_in_the_ticket_sidebar() {
    let server = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let brand = backend.brand(&server).await;
    let d = server
        .admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: "Phones".into(),
            ..Default::default()
        })
        .await
        .expect("department");
    let person = server.customer().await;
    let (_, b) = staff_browser(&server, Role::Agent).await;

    // Several accounts have the number: they are listed, none is loaded.
    let page = b.get(&pop_url(brand.id, "&callid=w1&ani=(555)%20555-5555")).await;
    page.assert_ok();
    assert!(
        page.body.contains("Accounts found") && page.body.contains("jdoe2"),
        "{}",
        page.body
    );
    assert!(
        backend
            .requests_to("search")
            .iter()
            .any(|r| r.get("PrimaryPhone") == Some("(555) 555-5555"))
    );

    // One account has it: it is loaded and shown, and the ticket form keeps its key.
    let page = b
        .get(&pop_url(brand.id, "&callid=w2&ani=%2B44%2020%207946%200958"))
        .await;
    page.assert_ok();
    assert!(
        page.body.contains("Z &#38; Sons") || page.body.contains("Z &amp; Sons"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Zoë") && page.body.contains("Inactive"));
    assert!(page.body.contains("The number matches one account"));
    assert_eq!(input_value(&page.body, "account_key").as_deref(), Some("zoe"));
    assert_eq!(input_value(&page.body, "email").as_deref(), Some("zoe@example.org"));
    assert!(!page.body.contains(INT_PASS));

    let once = input_value(&page.body, "once").expect("key");
    let email = person.end_user.email.clone().expect("email");
    let opened = b
        .post(
            "/integrations/telephony/pop/tickets",
            &[
                ("brand", &brand.id.to_string()),
                ("callid", "w2"),
                ("did", &d.id.to_string()),
                ("customer_id", &person.customer.id.to_string()),
                ("email", &email),
                ("account_key", "zoe"),
                ("title", "Billing question"),
                ("message", "Zoë asks about her bill."),
                ("once", &once),
            ],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let to = opened.location.expect("to the ticket");
    let id: i64 = to
        .trim_start_matches("/agent/tickets/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("id");
    let ticket = server.admin.ticket(id).await.expect("ticket");
    assert_eq!(ticket.account_key.as_deref(), Some("zoe"));
    assert_eq!(ticket.callid.as_deref(), Some("w2"));

    // The sidebar shows the account like a local customer: name, status, contacts, fields.
    let page = b.get(&format!("/agent/tickets/{id}")).await;
    page.assert_ok();
    assert!(page.body.contains("id=\"account\""), "{}", page.body);
    assert!(page.body.contains("Z &#38; Sons") || page.body.contains("Z &amp; Sons"));
    assert!(page.body.contains("Inactive") && page.body.contains("ann@example.org"));
    assert!(
        page.body.contains("id=\"customer\""),
        "the local customer is still shown"
    );

    // The customer database fails: the sidebar says so and the page still works.
    backend.set_mode(Mode::Status500);
    let page = b.get(&format!("/agent/tickets/{id}")).await;
    page.assert_ok();
    assert!(page.body.contains("customer database unavailable: "), "{}", page.body);
    assert!(page.body.contains("Billing question") && page.body.contains("Zoë asks about her bill."));
    let replied = b
        .post(
            &format!("/agent/tickets/{id}/replies"),
            &[
                ("message", "We are looking into it."),
                ("once", &input_value(&page.body, "once").expect("key")),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.body);
    server.shutdown().await;
}

#[tokio::test]
async fn an_admin_sets_the_webcall_backend_and_tests_the_connection() {
    let server = webcall_desk().await;
    let backend = WebcallServer::start().await;
    let (_, admin) = staff_browser(&server, Role::Admin).await;
    let brand = server
        .admin
        .create_brand(&NewBrand {
            name: unique("Phones brand"),
            ..Default::default()
        })
        .await
        .expect("brand");
    let path = format!("/admin/brands/{}", brand.id);
    let page = admin.get(&path).await;
    page.assert_ok();
    assert!(page.body.contains("Test connection") && page.body.contains("name=\"webcall.search_url\""));
    // A local brand's test is a success without a call.
    let tested = admin.post(&format!("{path}/backend/test"), &[]).await;
    tested.assert_ok();
    assert!(
        tested.body.contains("Connection OK: the local backend"),
        "{}",
        tested.body
    );

    let search = backend.url("search");
    let load = backend.url("load");
    let form = |search: &str, pass: &str, timeout: &str| {
        vec![
            ("name".to_owned(), brand.name.clone()),
            ("greeting".to_owned(), "Hello, Phones.".to_owned()),
            ("customer_backend".to_owned(), "webcall".to_owned()),
            ("webcall.search_url".to_owned(), search.to_owned()),
            ("webcall.load_url".to_owned(), load.clone()),
            ("webcall.update_url".to_owned(), String::new()),
            ("webcall.case_url".to_owned(), String::new()),
            ("webcall.int_user".to_owned(), INT_USER.to_owned()),
            ("webcall.int_pass".to_owned(), pass.to_owned()),
            ("webcall.timeout_ms".to_owned(), timeout.to_owned()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let mut fields = fields;
        fields.push(("csrf".into(), admin.csrf().expect("token")));
        let path = path.clone();
        let admin = &admin;
        async move { admin.post_raw(&path, &fields).await }
    };

    // Bad settings: each error next to its field, the input kept, the password not shown back.
    let refused = post(form("not a url", INT_PASS, "abc")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("must be a whole number"), "{}", refused.body);
    assert!(!refused.body.contains(INT_PASS));
    let refused = post(form("not a url", INT_PASS, "50")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let after = |field: &str| {
        let at = refused.body.find(&format!("name=\"{field}\"")).expect("the field");
        refused.body[at..].split("<label").next().unwrap_or_default().to_owned()
    };
    assert!(
        after("webcall.search_url").contains("must be an http or https URL"),
        "{}",
        refused.body
    );
    assert!(
        after("webcall.timeout_ms").contains("must be between 100 and"),
        "{}",
        refused.body
    );
    assert_eq!(
        input_value(&refused.body, "webcall.search_url").as_deref(),
        Some("not a url")
    );
    assert!(!refused.body.contains(INT_PASS));
    assert_eq!(
        server.admin.brand(brand.id).await.expect("brand").customer_backend,
        "local"
    );

    let saved = post(form(&search, INT_PASS, "2000")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = server.admin.brand(brand.id).await.expect("brand");
    assert_eq!(stored.customer_backend, "webcall");
    let w = stored.webcall.expect("settings");
    assert_eq!((w.search_url.as_str(), w.timeout_ms), (search.as_str(), 2000));
    assert_eq!(w.int_pass, "********");
    let page = admin.get(&path).await;
    page.assert_ok();
    assert!(!page.body.contains(INT_PASS), "the password is never shown");
    assert_eq!(input_value(&page.body, "webcall.int_pass").as_deref(), Some(""));
    assert!(page.body.contains("A password is set"));
    assert_eq!(
        input_value(&page.body, "webcall.search_url").as_deref(),
        Some(search.as_str())
    );

    // Saved again with the password left empty: the stored one is kept (the backend takes the test).
    let saved = post(form(&search, "", "3000")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    admin.get(&path).await.assert_ok();
    let tested = admin.post(&format!("{path}/backend/test"), &[]).await;
    tested.assert_ok();
    assert!(
        tested.body.contains("Connection OK: the webcall backend answered in"),
        "{}",
        tested.body
    );
    let test_call = backend.last_request();
    assert_eq!(test_call.call, "search");
    assert!(test_call.has_credentials(), "the kept password was sent");

    // A backend that does not answer: the failure next to the button.
    let down = closed_port_url("/search").await;
    let saved = post(form(&down, "", "3000")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    admin.get(&path).await.assert_ok();
    let tested = admin.post(&format!("{path}/backend/test"), &[]).await;
    tested.assert_ok();
    let at = tested.body.find("id=\"test-connection\"").expect("the button");
    assert!(tested.body[at..].contains("Connection failed after"), "{}", tested.body);
    assert!(!tested.body.contains(INT_PASS));

    // Agents have no admin pages.
    let (_, agent) = staff_browser(&server, Role::Agent).await;
    agent.get("/agent").await.assert_ok();
    assert_eq!(
        agent.post(&format!("{path}/backend/test"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    server.shutdown().await;
}
