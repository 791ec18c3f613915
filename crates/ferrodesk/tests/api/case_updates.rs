//! Case updates (SPEC §6, issue 13): after each reply on a ticket with an account key, a `webcall` brand
//! with a `case_url` gets `Userkey` and `caseXML` from the outbox — durable (queued in the reply's
//! transaction, sent after a restart), retried on the webhook schedule, failed once the window ends, every
//! attempt visible on the event. Against the web-call server of `webcall_server.rs` on 127.0.0.1; the
//! posted `caseXML` is read with quick-xml, not with ferrodesk's own reader.
use crate::webcall_server::{CasePost, INT_PASS, INT_USER, Mode, WebcallServer};
use crate::*;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A desk that may call loopback customer databases, with the retry schedule scaled by `scale`.
async fn desk(scale: f64) -> TestServer {
    TestServer::start_with(|s| {
        s.webcalls_allow_private = true;
        s.webhook_retry_scale = scale;
    })
    .await
}

/// A department of `brand`.
async fn department_of(s: &TestServer, brand: &Brand) -> Department {
    s.admin
        .create_department(&NewDepartment {
            brand_id: brand.id,
            name: unique("Support"),
            ..Default::default()
        })
        .await
        .expect("department")
}

/// A ticket staff open for `person` in `did`, on the account `account_key`.
async fn open(s: &TestServer, did: i64, person: &Person, account_key: Option<&str>) -> Ticket {
    s.admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            account_key: account_key.map(str::to_owned),
            ..new_ticket(did, "Browsing")
        })
        .await
        .expect("ticket")
}

/// The `created` event of an entity.
async fn created_event(s: &TestServer, entity: &str, id: i64) -> Event {
    let page = s
        .admin
        .events(&EventQuery {
            entity: Some(entity.into()),
            entity_id: Some(id),
            ..Default::default()
        })
        .await
        .expect("events");
    page.data
        .into_iter()
        .find(|e| e.action == EventAction::Created)
        .expect("the created event")
}

/// The event as `GET /api/v1/events/{id}` shows it, once `done` says it is.
async fn wait_for(s: &TestServer, event: i64, what: &str, done: impl Fn(&EventDetail) -> bool) -> EventDetail {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let detail = s.admin.event_detail(event).await.expect("event");
        if done(&detail) {
            return detail;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {detail:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The event's case update, once it has reached `status`.
async fn case_update_in(s: &TestServer, event: i64, status: DeliveryStatus) -> CaseUpdateDelivery {
    let detail = wait_for(s, event, &format!("a case update {status:?}"), |d| {
        d.case_updates.iter().any(|u| u.status == status)
    })
    .await;
    assert_eq!(detail.case_updates.len(), 1, "one case update per event");
    detail.case_updates[0].clone()
}

/// Waits until the server holds `n` case posts and answers them.
async fn posts(backend: &WebcallServer, n: usize) -> Vec<CasePost> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let cases = backend.cases();
        if cases.len() >= n {
            return cases;
        }
        assert!(Instant::now() < deadline, "{n} case updates never came: {cases:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The attributes of the one `<ticket>` of a `caseXML` in document order, XML-unescaped; the root must be
/// `<tickets>`.
fn ticket_of(case_xml: &str) -> Vec<(String, String)> {
    use quick_xml::events::Event as Xml;
    use quick_xml::name::QName;
    let mut reader = quick_xml::Reader::from_str(case_xml);
    let mut root = None;
    let mut tickets = Vec::new();
    loop {
        match reader.read_event().expect("a well-formed caseXML") {
            Xml::Start(e) | Xml::Empty(e) => {
                let name = <QName<'_> as AsRef<str>>::as_ref(&e.name()).to_owned();
                root.get_or_insert_with(|| name.clone());
                if name == "ticket" {
                    let mut attributes = Vec::new();
                    for a in e.attributes() {
                        let a = a.expect("an attribute");
                        let value = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("an attribute value")
                            .into_owned();
                        let key = <QName<'_> as AsRef<str>>::as_ref(&a.key).to_owned();
                        attributes.push((key, value));
                    }
                    tickets.push(attributes);
                }
            }
            Xml::Eof => break,
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("tickets"), "{case_xml}");
    assert_eq!(tickets.len(), 1, "{case_xml}");
    tickets.remove(0)
}

/// The case status and its `sid`, as docs/integrations.md lists them.
fn documented_status(status: TicketStatus) -> (&'static str, &'static str) {
    match status {
        TicketStatus::Waiting => ("Waiting", "1"),
        TicketStatus::Process => ("In Progress", "2"),
        TicketStatus::Replied => ("Replied", "3"),
        TicketStatus::Solved => ("Solved", "4"),
    }
}

/// What the protocol's example writes as `1/27/06 1:27:51 PM`, in UTC.
fn protocol_date(at: jiff::Timestamp) -> String {
    at.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%-m/%-d/%y %-I:%M:%S %p")
        .to_string()
}

/// Checks one posted case update against the reply it is about, with the ticket as it was when sent.
#[track_caller]
fn assert_case(post: &CasePost, ticket: &Ticket, reply: &Reply, assignee: &str) {
    assert_eq!(post.userkey, "jdoe");
    let (status, sid) = documented_status(ticket.status);
    let (journal, email) = if reply.internal {
        (reply.message.as_str(), "")
    } else {
        ("", reply.message.as_str())
    };
    let expected: Vec<(String, String)> = [
        ("cid", ticket.id.to_string()),
        ("id", reply.id.to_string()),
        ("tier", "1".into()),
        ("date", protocol_date(reply.ctime)),
        ("status", status.into()),
        ("sid", sid.into()),
        ("issue", ticket.title.clone()),
        ("agent", reply.name.clone()),
        ("aname", assignee.into()),
        ("journal", journal.into()),
        ("email", email.into()),
        ("article", String::new()),
        ("treepath", String::new()),
        ("events", String::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(ticket_of(&post.case_xml), expected, "{}", post.case_xml);
}

#[tokio::test]
async fn each_reply_sends_one_case_update_with_the_protocols_case_xml() {
    let s = desk(1.0).await;
    let backend = WebcallServer::start().await;
    let brand = backend.brand(&s).await;
    let dept = department_of(&s, &brand).await;
    let person = s.customer().await;
    let assignee = s
        .admin
        .create_staff(&NewStaff {
            email: format!("{}@example.com", unique("jane").to_lowercase()),
            name: "Roe, Jane".into(),
            role: Role::Agent,
            password: "long enough pw".into(),
            department_ids: None,
        })
        .await
        .expect("staff");
    let ticket = s
        .admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            account_key: Some("jdoe".into()),
            assigned: Some(assignee.id),
            ..new_ticket(dept.id, "Browsing & <other> \"things\"")
        })
        .await
        .expect("ticket");

    // The opening message is the case's first response.
    let opened = posts(&backend, 1).await;
    let first = s.admin.replies(ticket.id).await.expect("replies").data.remove(0);
    let now = s.admin.ticket(ticket.id).await.expect("ticket");
    assert_case(&opened[0], &now, &first, "Roe, Jane");

    // A staff reply (an e-mail to the customer), a customer's, and an internal note (a journal entry):
    // each is sent once, with the ticket's status as it is then.
    let agent = s.agent().await;
    let replies = [
        (&agent, "Try clearing the cache.\nThen reload & see.", false),
        (&person.client, "Still broken <sigh>.", false),
        (&agent, "13:28:41 - customer called again", true),
    ];
    for (n, (client, message, internal)) in replies.into_iter().enumerate() {
        let reply = client
            .reply(
                ticket.id,
                &NewReply {
                    message: message.into(),
                    internal: Some(internal),
                },
            )
            .await
            .expect("reply");
        let sent = posts(&backend, n + 2).await;
        assert_eq!(sent.len(), n + 2, "one case update per reply: {sent:#?}");
        let event = created_event(&s, "reply", reply.id).await;
        let update = case_update_in(&s, event.id, DeliveryStatus::Done).await;
        let now = s.admin.ticket(ticket.id).await.expect("ticket");
        assert_case(&sent[n + 1], &now, &reply, "Roe, Jane");
        assert_eq!(
            (
                update.brand_id,
                update.ticket_id,
                update.reply_id,
                update.userkey.as_str(),
                update.attempts
            ),
            (brand.id, ticket.id, reply.id, "jdoe", 1)
        );
        assert_eq!(update.attempt_log.len(), 1);
        assert_eq!(
            (
                update.attempt_log[0].status_code,
                update.attempt_log[0].error.as_deref()
            ),
            (None, None)
        );
    }
    let requests = backend.requests_to("case");
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert!(r.has_credentials(), "{r:?}");
        assert_eq!(r.content_type, "application/x-www-form-urlencoded");
        let names: Vec<&str> = r.sent().into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, ["Userkey", "caseXML"]);
    }
    // The password shows nowhere on the event.
    let event = created_event(&s, "ticket", ticket.id).await;
    let shown = serde_json::to_string(&s.admin.event_detail(event.id).await.expect("event")).expect("json");
    assert!(
        !shown.contains(INT_PASS) && shown.contains("\"case_updates\""),
        "{shown}"
    );
    assert_eq!(INT_USER, requests[0].get("intUser").unwrap_or_default());
    s.shutdown().await;
}

#[tokio::test]
async fn no_case_update_without_an_account_key_a_webcall_brand_or_a_case_url() {
    let s = desk(1.0).await;
    let backend = WebcallServer::start().await;
    let person = s.customer().await;
    let webcall = department_of(&s, &backend.brand(&s).await).await;
    let local = s.department().await;
    let no_case_url = WebcallInput {
        case_url: Some(String::new()),
        ..backend.settings()
    };
    let silent = department_of(&s, &backend.brand_with(&s, no_case_url).await).await;
    let blank_key = open(&s, webcall.id, &person, Some("  ")).await;
    for ticket in [
        open(&s, webcall.id, &person, None).await,
        open(&s, local.id, &person, Some("jdoe")).await,
        open(&s, silent.id, &person, Some("jdoe")).await,
    ] {
        let reply = s
            .admin
            .reply(
                ticket.id,
                &NewReply {
                    message: "An answer".into(),
                    internal: None,
                },
            )
            .await
            .expect("reply");
        for event in [
            created_event(&s, "ticket", ticket.id).await,
            created_event(&s, "reply", reply.id).await,
        ] {
            let detail = wait_for(&s, event.id, "the outbox taking the event", |d| {
                d.event.status == "done"
            })
            .await;
            assert!(detail.case_updates.is_empty(), "{detail:#?}");
        }
    }
    let event = created_event(&s, "ticket", blank_key.id).await;
    let detail = wait_for(&s, event.id, "the outbox taking the event", |d| {
        d.event.status == "done"
    })
    .await;
    assert!(detail.case_updates.is_empty(), "a blank account key: {detail:#?}");
    // A ticket that does send one, last: once it arrived, nothing before it was sent.
    open(&s, webcall.id, &person, Some("jdoe")).await;
    let cases = posts(&backend, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(backend.cases().len(), 1, "{cases:#?}");
    s.shutdown().await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_takes_the_update() {
    // 0.1: the retries come after about 0.5 s and 3 s.
    let s = desk(0.1).await;
    let backend = WebcallServer::start().await;
    let dept = department_of(&s, &backend.brand(&s).await).await;
    let person = s.customer().await;
    let ticket = open(&s, dept.id, &person, Some("jdoe")).await;
    posts(&backend, 1).await;
    backend.set_mode_of("case", Mode::Status500);
    let reply = s
        .admin
        .reply(
            ticket.id,
            &NewReply {
                message: "Please try again".into(),
                internal: None,
            },
        )
        .await
        .expect("reply");
    let deadline = Instant::now() + Duration::from_secs(30);
    while backend.requests_to("case").len() < 3 {
        assert!(Instant::now() < deadline, "the update was not retried");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    backend.set_mode_of("case", Mode::Normal);
    let event = created_event(&s, "reply", reply.id).await;
    let update = case_update_in(&s, event.id, DeliveryStatus::Done).await;
    let attempts: Vec<(Option<i64>, Option<&str>)> = update
        .attempt_log
        .iter()
        .map(|a| (a.status_code, a.error.as_deref()))
        .collect();
    assert_eq!(
        attempts,
        [
            (Some(500), Some("HTTP 500")),
            (Some(500), Some("HTTP 500")),
            (None, None)
        ]
    );
    assert_eq!(update.attempts, 3);
    assert!(
        update
            .attempt_log
            .windows(2)
            .all(|w| w[0].attempted_at < w[1].attempted_at)
    );
    // The receiver got it once it answered: the opening message's update and this one.
    let cases = backend.cases();
    assert_eq!(cases.len(), 2, "{cases:#?}");
    let attributes: BTreeMap<String, String> = ticket_of(&cases[1].case_xml).into_iter().collect();
    assert_eq!(attributes["id"], reply.id.to_string());
    s.shutdown().await;
}

/// A URL of 127.0.0.1 where nothing listens.
async fn nobody_listens() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{address}/case")
}

#[tokio::test]
async fn an_unreachable_receiver_fails_the_update_when_its_window_ends() {
    // 0.00005: the 24-hour window is 4.3 s.
    let s = desk(0.00005).await;
    let backend = WebcallServer::start().await;
    let settings = WebcallInput {
        case_url: Some(nobody_listens().await),
        ..backend.settings()
    };
    let dept = department_of(&s, &backend.brand_with(&s, settings).await).await;
    let person = s.customer().await;
    let started = Instant::now();
    let ticket = open(&s, dept.id, &person, Some("jdoe")).await;
    let event = created_event(&s, "ticket", ticket.id).await;
    let update = case_update_in(&s, event.id, DeliveryStatus::Failed).await;
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "failed after {:?}",
        started.elapsed()
    );
    assert!(update.attempt_log.len() >= 5, "{} attempts", update.attempt_log.len());
    assert_eq!(update.attempts, i64::try_from(update.attempt_log.len()).expect("count"));
    for a in &update.attempt_log {
        assert_eq!(a.status_code, None);
        let error = a.error.as_deref().unwrap_or_default();
        assert!(error.contains("could not reach"), "{error}");
    }
    assert_eq!(update.next_attempt_at, None);
    assert!(backend.cases().is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn a_queued_case_update_is_sent_after_a_restart() {
    let (database, _dir) = fresh_database().await;
    let start = || {
        TestServer::start_on(database.clone(), None, |s| {
            s.webcalls_allow_private = true;
        })
    };
    let backend = WebcallServer::start().await;
    let first = start().await;
    let down = WebcallInput {
        case_url: Some(nobody_listens().await),
        ..backend.settings()
    };
    let brand = backend.brand_with(&first, down).await;
    let dept = department_of(&first, &brand).await;
    let person = first.customer().await;
    let ticket = open(&first, dept.id, &person, Some("jdoe")).await;
    let event = created_event(&first, "ticket", ticket.id).await;
    // Tried once while the receiver is down; the next attempt is about 5 s later.
    let detail = wait_for(&first, event.id, "a first attempt", |d| {
        d.case_updates.first().is_some_and(|u| u.attempts == 1)
    })
    .await;
    assert_eq!(detail.case_updates[0].status, DeliveryStatus::Pending);
    first.shutdown().await;

    // The next process sends it from the stored queue, to the brand's case_url as it is then.
    let second = start().await;
    second
        .admin
        .update_brand(
            brand.id,
            &BrandPatch {
                webcall: Some(backend.settings()),
                ..Default::default()
            },
        )
        .await
        .expect("the customer database is back");
    let cases = posts(&backend, 1).await;
    assert_eq!(cases.len(), 1);
    let attributes: BTreeMap<String, String> = ticket_of(&cases[0].case_xml).into_iter().collect();
    assert_eq!(attributes["cid"], ticket.id.to_string());
    let update = case_update_in(&second, event.id, DeliveryStatus::Done).await;
    assert_eq!(update.attempt_log.len(), 2);
    assert!(update.attempt_log[0].error.is_some() && update.attempt_log[1].error.is_none());
    second.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_shows_case_updates_on_the_event() {
    let s = TestServer::start().await;
    let spec: serde_json::Value = reqwest::get(format!("{}/api/openapi.json", s.url))
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    let schemas = &spec["components"]["schemas"];
    // The event's own members come first (`allOf`), then what its consumers did.
    let parts = schemas["EventDetail"]["allOf"].as_array().cloned().unwrap_or_default();
    let member = parts
        .iter()
        .find_map(|p| p["properties"].get("case_updates"))
        .unwrap_or_else(|| panic!("no case_updates: {}", schemas["EventDetail"]));
    assert_eq!(
        member["items"]["$ref"], "#/components/schemas/CaseUpdateDelivery",
        "{member}"
    );
    for field in [
        "status",
        "attempts",
        "attempt_log",
        "userkey",
        "reply_id",
        "deadline_at",
    ] {
        assert!(
            schemas["CaseUpdateDelivery"]["properties"][field].is_object(),
            "{field}: {}",
            schemas["CaseUpdateDelivery"]
        );
    }
    for field in ["attempted_at", "status_code", "error", "latency_us"] {
        assert!(
            schemas["CaseUpdateAttempt"]["properties"][field].is_object(),
            "{field}: {}",
            schemas["CaseUpdateAttempt"]
        );
    }
    s.shutdown().await;
}
