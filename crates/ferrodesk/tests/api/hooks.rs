//! Hook scripts from the hooks directory (SPEC §4, issue 11): the four validation hooks refuse a write
//! before anything is stored (422 `hook_rejected`, `detail` = the script's message), Admin variants for
//! staff and Client variants for end users; a misbehaving script never holds a request; scripts are
//! reloaded when the directory changes; `ferrodesk hooks check` names each broken file and line.
use crate::process::ferrodesk;
use crate::*;
use std::time::{Duration, Instant};

const VALIDATION: &str = r#"
hook("TicketClientCreateValidation", 1, |params| {
    if params.title.len() < 10 { return #{ error: "Please describe the problem in the title" }; }
});
hook("TicketAdminCreateValidation", 1, |params| {
    if params.priority == 3 { return #{ error: "Agents may not open high-priority tickets" }; }
});
hook("TicketClientReplyValidation", 1, |params| {
    if params.reply.message.contains("refund") { return #{ error: "Refunds are requested in the billing portal" }; }
});
hook("TicketAdminReplyValidation", 1, |params| {
    if params.request.title.starts_with("Frozen") { return #{ error: "This ticket is frozen" }; }
});
"#;

async fn server_with_hooks(scripts: &[(&str, &str)]) -> (TestServer, TempDir) {
    let dir = temp_dir();
    for (name, source) in scripts {
        std::fs::write(dir.path().join(name), source).expect("write script");
    }
    let path = dir.path().display().to_string();
    let s = TestServer::start_with(|settings| settings.hooks_dir = path).await;
    (s, dir)
}

fn detail(p: &Problem) -> &str {
    p.detail.as_deref().unwrap_or_default()
}

#[tokio::test]
async fn validation_hooks_refuse_before_anything_is_written() {
    let (s, _dir) = server_with_hooks(&[("validation.rhai", VALIDATION)]).await;
    let dept = s.department().await;
    let person = s.customer().await;

    // TicketClientCreateValidation: an end user's short title.
    let p = assert_code(
        person.client.create_ticket(&new_ticket(dept.id, "Broken")).await,
        ErrorCode::HookRejected,
    );
    assert_eq!(
        (p.status, detail(&p)),
        (422, "Please describe the problem in the title")
    );
    // Staff are held to the Admin variant only: the same short title is fine for them.
    let staff_ticket = s
        .admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Broken")
        })
        .await
        .expect("the Client hook does not apply to staff");
    // TicketAdminCreateValidation: staff opening a high-priority ticket.
    let p = assert_code(
        s.admin
            .create_ticket(&NewTicket {
                user_id: Some(person.end_user.id),
                priority: Some(Priority::HIGH),
                ..new_ticket(dept.id, "Server room flooded")
            })
            .await,
        ErrorCode::HookRejected,
    );
    assert_eq!(detail(&p), "Agents may not open high-priority tickets");
    let listed = s.admin.tickets(&TicketQuery::default()).await.expect("list").data;
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        [staff_ticket.id],
        "nothing stored for the refused ones"
    );

    // TicketClientReplyValidation and TicketAdminReplyValidation see {request, reply}.
    let mine = person
        .client
        .create_ticket(&new_ticket(dept.id, "Frozen account since Monday"))
        .await
        .expect("long title");
    let p = assert_code(
        person
            .client
            .reply(
                mine.id,
                &NewReply {
                    message: "I want a refund".into(),
                    internal: None,
                },
            )
            .await,
        ErrorCode::HookRejected,
    );
    assert_eq!(detail(&p), "Refunds are requested in the billing portal");
    person
        .client
        .reply(
            mine.id,
            &NewReply {
                message: "Any news?".into(),
                internal: None,
            },
        )
        .await
        .expect("a reply the hook allows");
    let p = assert_code(
        s.admin
            .reply(
                mine.id,
                &NewReply {
                    message: "Looking into it".into(),
                    internal: None,
                },
            )
            .await,
        ErrorCode::HookRejected,
    );
    assert_eq!(detail(&p), "This ticket is frozen");
    let replies = s
        .admin
        .ticket_with_replies(mine.id)
        .await
        .expect("ticket")
        .replies
        .expect("replies");
    assert_eq!(
        replies.len(),
        2,
        "the opening message and the allowed reply: the refused ones are not stored"
    );
    assert_eq!(replies[1].message, "Any news?");
}

#[tokio::test]
async fn misbehaving_scripts_never_hold_a_request() {
    let (s, _dir) = server_with_hooks(&[
        (
            "a-loop.rhai",
            "hook(\"TicketAdminCreateValidation\", 1, |p| { loop { } });",
        ),
        (
            "b-throw.rhai",
            "hook(\"TicketAdminCreateValidation\", 2, |p| { throw \"oops\"; });",
        ),
        ("c-wrong.rhai", "hook(\"TicketAdminCreateValidation\", 3, |p| 42);"),
        ("d-syntax.rhai", "hook(\"TicketAdminCreateValidation\", 1, |p| {"),
    ])
    .await;
    let dept = s.department().await;
    let person = s.customer().await;
    let started = Instant::now();
    s.admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Still works")
        })
        .await
        .expect("failing hooks do not refuse");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn scripts_are_reloaded_when_the_directory_changes() {
    let (s, dir) = server_with_hooks(&[]).await;
    let dept = s.department().await;
    let person = s.customer().await;
    person
        .client
        .create_ticket(&new_ticket(dept.id, "Short"))
        .await
        .expect("no hooks yet");
    std::fs::write(dir.path().join("validation.rhai"), VALIDATION).expect("write");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match person.client.create_ticket(&new_ticket(dept.id, "Short")).await {
            Err(ferrodesk_client::Error::Api(p)) if p.code == ErrorCode::HookRejected => break,
            Ok(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            other => panic!("the new script was not loaded: {other:?}"),
        }
    }
    std::fs::remove_file(dir.path().join("validation.rhai")).expect("remove");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match person.client.create_ticket(&new_ticket(dept.id, "Short")).await {
            Ok(_) => break,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => panic!("the removed script still runs: {e:?}"),
        }
    }
}

#[test]
fn hooks_check_names_each_broken_file_and_line() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("good.rhai"), VALIDATION).expect("write");
    std::fs::write(
        dir.path().join("typo.rhai"),
        "// a comment\nhook(\"TicketClientCreatedd\", 1, |p| ());\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("syntax.rhai"),
        "hook(\"TicketSolved\", 1, |p| {\n  let = 1;\n});\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a script").expect("write");
    let out = ferrodesk(&["hooks", "check", &dir.path().display().to_string()])
        .output()
        .expect("run hooks check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("typo.rhai:2: unknown hook point \"TicketClientCreatedd\""),
        "{text}"
    );
    assert!(text.contains("syntax.rhai:2:"), "{text}");
    assert!(text.contains("good.rhai: TicketClientCreateValidation (1)"), "{text}");
    assert!(text.contains("1 scripts loaded, 2 with errors"), "{text}");
    std::fs::remove_file(dir.path().join("typo.rhai")).expect("remove");
    std::fs::remove_file(dir.path().join("syntax.rhai")).expect("remove");
    let out = ferrodesk(&["hooks", "check", &dir.path().display().to_string()])
        .output()
        .expect("run hooks check");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

const EVENTS: &str = r#"
hook("TicketClientCreated", 1, |params| {
    if params.title == "" { throw "a ticket without a title"; }
});
hook("TicketPriorityChange", 1, |params| {
    if params.changes.priority["new"] != 3 { throw "expected the new priority"; }
});
hook("TicketSolved", 1, |params| {
    throw "boom";
});
"#;

/// Waits until event `id` is done and answers its runs.
async fn runs_of(s: &TestServer, id: i64) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e: serde_json::Value = s.admin.get(&format!("/api/v1/events/{id}")).await.expect("event");
        if e["status"] == "done" {
            return e["runs"].as_array().cloned().unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "event {id} still pending: {e}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn last_ticket_event(s: &TestServer) -> Event {
    s.admin
        .events(&EventQuery {
            entity: Some("ticket".into()),
            limit: Some(1),
            ..EventQuery::default()
        })
        .await
        .expect("events")
        .data
        .into_iter()
        .next()
        .expect("an event")
}

#[tokio::test]
async fn event_hooks_run_once_from_the_outbox_with_their_runs_on_the_event() {
    let (s, _dir) = server_with_hooks(&[("events.rhai", EVENTS)]).await;
    let dept = s.department().await;
    let person = s.customer().await;
    let started = Instant::now();
    let t = person
        .client
        .create_ticket(&new_ticket(dept.id, "The printer is on fire"))
        .await
        .expect("ticket");
    let created = last_ticket_event(&s).await;
    assert_eq!(created.name.as_deref(), Some("TicketClientCreated"));
    let runs = runs_of(&s, created.id).await;
    let picked_up = started.elapsed();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (
            runs[0]["hook"].as_str(),
            runs[0]["script"].as_str().map(|s| s.ends_with("events.rhai")),
            runs[0]["status"].as_str()
        ),
        (Some("TicketClientCreated"), Some(true), Some("ok"))
    );
    assert!(picked_up < Duration::from_secs(2), "picked up after {picked_up:?}");

    // A staff update fires TicketAdminUpdated and the specific change hook, with `changes`.
    s.admin
        .update_ticket(
            t.id,
            &TicketPatch {
                priority: Some(Priority::HIGH),
                ..TicketPatch::default()
            },
        )
        .await
        .expect("patch");
    let updated = last_ticket_event(&s).await;
    let runs = runs_of(&s, updated.id).await;
    assert_eq!(runs.len(), 1, "only the hooks scripts registered: {runs:?}");
    assert_eq!(
        (runs[0]["hook"].as_str(), runs[0]["status"].as_str()),
        (Some("TicketPriorityChange"), Some("ok"))
    );

    // A script's error is logged on the event with its line; the event is still done, once.
    person
        .client
        .update_ticket(
            t.id,
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                ..TicketPatch::default()
            },
        )
        .await
        .expect("solve");
    let solved = last_ticket_event(&s).await;
    let runs = runs_of(&s, solved.id).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (
            runs[0]["hook"].as_str(),
            runs[0]["status"].as_str(),
            runs[0]["message"].as_str(),
            runs[0]["line"].as_i64()
        ),
        (Some("TicketSolved"), Some("failed"), Some("boom"), Some(9))
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again: serde_json::Value = s
        .admin
        .get(&format!("/api/v1/events/{}", solved.id))
        .await
        .expect("event");
    assert_eq!(
        again["runs"].as_array().map(Vec::len),
        Some(1),
        "each hook runs once per event"
    );
}

const VIEWS: &str = r#"
hook("TicketAdminAreaViewDetailSidebar", 5, |params| `<p>Plan: ${params.service}</p>`);
hook("TicketAdminAreaViewDetailSidebar", 1, |params| `<h3>${params.title}</h3>`);
hook("TicketClientAreaViewDetail", 1, |params| `<p onclick="x()">Thanks!</p><script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">a</a><a href="data:text/html,x">b</a>`);
hook("TicketClientAreaViewList", 1, |params| { throw "broken"; });
"#;

#[tokio::test]
async fn view_hooks_render_their_slot_and_customers_get_clean_html() {
    let (s, _dir) = server_with_hooks(&[("views.rhai", VIEWS)]).await;
    let dept = s.department().await;
    let person = s.customer().await;
    let t = person
        .client
        .create_ticket(&new_ticket(dept.id, "Mail is down"))
        .await
        .expect("ticket");
    let admin: serde_json::Value = s
        .admin
        .get(&format!(
            "/api/v1/views/TicketAdminAreaViewDetailSidebar?ticket_id={}",
            t.id
        ))
        .await
        .expect("admin slot");
    assert_eq!(
        admin["html"], "<h3>Mail is down</h3><p>Plan: </p>",
        "priority order: {admin}"
    );
    let client: serde_json::Value = person
        .client
        .get(&format!("/api/v1/views/TicketClientAreaViewDetail?ticket_id={}", t.id))
        .await
        .expect("client slot");
    let html = client["html"].as_str().expect("html");
    assert!(html.contains("Thanks!"), "{html}");
    for bad in ["<script", "onclick", "onerror", "javascript:", "data:"] {
        assert!(!html.contains(bad), "{bad} left in {html}");
    }
    let failing: serde_json::Value = s
        .admin
        .get("/api/v1/views/TicketClientAreaViewList")
        .await
        .expect("list slot");
    assert_eq!(failing["html"], "");
    assert_eq!(failing["failures"][0]["message"], "broken");
    // End users see no admin slot and no other customer's ticket.
    let refused = person
        .client
        .get::<serde_json::Value>(&format!(
            "/api/v1/views/TicketAdminAreaViewDetailSidebar?ticket_id={}",
            t.id
        ))
        .await;
    assert_code(refused, ErrorCode::NotFound);
    let other = s.customer().await;
    let refused = other
        .client
        .get::<serde_json::Value>(&format!("/api/v1/views/TicketClientAreaViewDetail?ticket_id={}", t.id))
        .await;
    assert_code(refused, ErrorCode::NotFound);
    assert_code(
        s.admin.get::<serde_json::Value>("/api/v1/views/NoSuchSlot").await,
        ErrorCode::NotFound,
    );
    let p = assert_code(
        s.admin
            .get::<serde_json::Value>("/api/v1/views/TicketAdminAreaViewDetail")
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["ticket_id"]);
}

/// Three `serve` processes on one PostgreSQL share the outbox: every event's hooks run exactly once,
/// whichever node takes it (SPEC §4, issue 11 item 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_run_each_events_hooks_once() {
    if !on_postgres() {
        eprintln!("skipped: several nodes share a PostgreSQL database only");
        return;
    }
    const TOKEN: &str = "a shared token for the outbox nodes";
    let dir = temp_dir();
    std::fs::write(
        dir.path().join("count.rhai"),
        "hook(\"TicketAdminCreated\", 1, |p| ());\nhook(\"EndUserCreated\", 1, |p| ());\n",
    )
    .expect("write");
    let (db, _db_dir) = fresh_database().await;
    let hooks_dir = dir.path().display().to_string();
    let env = [
        ("FERRODESK_ADMIN_TOKEN", TOKEN),
        ("FERRODESK_HOOKS_DIR", hooks_dir.as_str()),
    ];
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(crate::process::spawn_server(&db, &env).await);
    }
    let clients: Vec<Client> = nodes
        .iter()
        .map(|(_, url)| Client::new(url, TOKEN).expect("client"))
        .collect();
    let (dept, requester) = crate::process::department_and_requester(&clients[0]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let client = clients[n % 3].clone();
        tasks.spawn(async move {
            client
                .create_ticket(&NewTicket {
                    user_id: Some(requester.id),
                    ..new_ticket(dept.id, &format!("Outbox ticket {n}"))
                })
                .await
                .expect("ticket")
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task");
    }
    // Every event done, each TicketAdminCreated with exactly one run.
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = loop {
        let page = clients[1]
            .events(&EventQuery {
                entity: Some("ticket".into()),
                limit: Some(200),
                ..EventQuery::default()
            })
            .await
            .expect("events")
            .data;
        if page.len() >= 60 && page.iter().all(|e| e.status == "done") {
            break page;
        }
        assert!(Instant::now() < deadline, "events still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    for e in events
        .iter()
        .filter(|e| e.name.as_deref() == Some("TicketAdminCreated"))
    {
        let detail: serde_json::Value = clients[2]
            .get(&format!("/api/v1/events/{}", e.id))
            .await
            .expect("event");
        assert_eq!(
            detail["runs"].as_array().map(Vec::len),
            Some(1),
            "event {}: {detail}",
            e.id
        );
    }
    for (mut node, _) in nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
}
