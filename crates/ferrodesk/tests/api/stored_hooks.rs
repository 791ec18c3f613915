//! Hook scripts stored through the API (SPEC §4, `/api/v1/hooks`): admins add them (a script that does not
//! compile is refused with its line), each new source is a version, they can be disabled and removed, tried
//! against a ticket without any side effect, and their event-hook runs are listed.
use crate::*;
use std::time::{Duration, Instant};

const SHORT_TITLES: &str = r#"
hook("TicketClientCreateValidation", 1, |params| {
    if params.title.len() < 10 { return #{ error: "Titles need ten characters" }; }
});
"#;

fn new_hook(name: &str, source: &str) -> NewHook {
    NewHook {
        name: name.into(),
        source: source.into(),
        enabled: None,
    }
}

#[tokio::test]
async fn stored_scripts_run_at_once_and_are_versioned_disabled_and_removed() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let person = s.customer().await;
    let short_ticket = new_ticket(dept.id, "Broken");
    let short = || person.client.create_ticket(&short_ticket);

    // A script that does not compile, or registers an unknown hook, is refused with the line.
    let p = assert_code(
        s.admin
            .create_hook(&new_hook(
                "broken",
                "hook(\"TicketClientCreated\", 1, |p| {\n  let x = ;\n});",
            ))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["source"]);
    assert!(p.errors[0].message.starts_with("line 2:"), "{:?}", p.errors);
    let p = assert_code(
        s.admin
            .create_hook(&new_hook("unknown", "\nhook(\"TicketExploded\", 1, |p| ());"))
            .await,
        ErrorCode::ValidationFailed,
    );
    assert!(p.errors[0].message.contains("TicketExploded"), "{:?}", p.errors);
    assert!(p.errors[0].message.starts_with("line 2:"), "{:?}", p.errors);
    assert_code(
        s.admin.create_hook(&new_hook("  ", SHORT_TITLES)).await,
        ErrorCode::ValidationFailed,
    );

    let hook = s
        .admin
        .create_hook(&new_hook("Short titles", SHORT_TITLES))
        .await
        .expect("hook");
    assert_eq!(
        (hook.version, hook.enabled, hook.name.as_str()),
        (1, true, "Short titles")
    );
    // It runs from the next request on.
    let p = assert_code(short().await, ErrorCode::HookRejected);
    assert_eq!(p.detail.as_deref(), Some("Titles need ten characters"));

    // A new source is a new version; the versions are kept.
    let v2 = s
        .admin
        .update_hook(
            hook.id,
            &HookPatch {
                source: Some(SHORT_TITLES.replace("ten characters", "at least ten characters")),
                ..HookPatch::default()
            },
        )
        .await
        .expect("new source");
    assert_eq!(v2.version, 2);
    let p = assert_code(short().await, ErrorCode::HookRejected);
    assert_eq!(p.detail.as_deref(), Some("Titles need at least ten characters"));
    let versions = s.admin.hook_versions(hook.id).await.expect("versions");
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(versions[1].source, SHORT_TITLES);
    // A rename is not a new version; a broken new source leaves the stored one as it was.
    let renamed = s
        .admin
        .update_hook(
            hook.id,
            &HookPatch {
                name: Some("Titles".into()),
                ..HookPatch::default()
            },
        )
        .await
        .expect("rename");
    assert_eq!((renamed.version, renamed.name.as_str()), (2, "Titles"));
    assert_code(
        s.admin
            .update_hook(
                hook.id,
                &HookPatch {
                    source: Some("hook(".into()),
                    ..HookPatch::default()
                },
            )
            .await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(s.admin.hook(hook.id).await.expect("hook").version, 2);

    // Disabled: it no longer runs; enabled again: it does.
    let off = s
        .admin
        .update_hook(
            hook.id,
            &HookPatch {
                enabled: Some(false),
                ..HookPatch::default()
            },
        )
        .await
        .expect("disable");
    assert!(!off.enabled);
    short().await.expect("no hook refuses now");
    s.admin
        .update_hook(
            hook.id,
            &HookPatch {
                enabled: Some(true),
                ..HookPatch::default()
            },
        )
        .await
        .expect("enable");
    assert_code(short().await, ErrorCode::HookRejected);

    // Every change is on the event log as a `hook` event.
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("hook".into()),
            entity_id: Some(hook.id),
            ..EventQuery::default()
        })
        .await
        .expect("events")
        .data;
    assert_eq!(events.len(), 5, "{events:?}");

    // Removed: gone, and it no longer runs.
    s.admin.delete_hook(hook.id).await.expect("delete");
    assert_code(s.admin.hook(hook.id).await, ErrorCode::NotFound);
    short().await.expect("no hook refuses now");
    let listed = s.admin.hooks(&ListQuery::default()).await.expect("list");
    assert!(listed.data.is_empty());

    // Admins only.
    let agent = s.agent().await;
    assert_code(
        agent.create_hook(&new_hook("x", SHORT_TITLES)).await,
        ErrorCode::NotFound,
    );
    assert_code(agent.hooks(&ListQuery::default()).await, ErrorCode::NotFound);
    s.shutdown().await;
}

const EVERY_KIND: &str = r#"
hook("TicketAdminAreaViewDetailSidebar", 5, |params| `<p>Ticket ${params.id}: ${params.title}</p>`);
hook("TicketClientReplyValidation", 1, |params| {
    if params.reply.message.contains("refund") { return #{ error: "Refunds go through billing" }; }
});
hook("TicketAdminCreateValidation", 2, |params| ());
hook("TicketSolved", 3, |params| {
    let x = params.nothing.len();
});
"#;

#[tokio::test]
async fn a_stored_script_is_tried_against_a_ticket_without_side_effects_and_its_runs_are_listed() {
    let s = TestServer::start().await;
    let dept = s.department().await;
    let person = s.customer().await;
    let ticket = person
        .client
        .create_ticket(&new_ticket(dept.id, "Please refund me"))
        .await
        .expect("ticket");
    person
        .client
        .reply(
            ticket.id,
            &NewReply {
                message: "I want a refund".into(),
                ..NewReply::default()
            },
        )
        .await
        .expect("reply before the hook exists");
    let hook = s
        .admin
        .create_hook(&NewHook {
            enabled: Some(false),
            ..new_hook("Every kind", EVERY_KIND)
        })
        .await
        .expect("hook");
    let events_before = s.admin.events(&EventQuery::default()).await.expect("events").data.len();

    // A disabled script can be tried too: each hook with the ticket as its point gives it.
    let result = s.admin.test_hook(hook.id, ticket.id).await.expect("test");
    assert_eq!(
        (result.hook_id, result.version, result.ticket_id),
        (hook.id, 1, ticket.id)
    );
    let by_hook = |name: &str| result.runs.iter().find(|r| r.hook == name).expect(name).clone();
    let view = by_hook("TicketAdminAreaViewDetailSidebar");
    assert_eq!(
        view.output.as_deref(),
        Some(format!("<p>Ticket {}: Please refund me</p>", ticket.id).as_str())
    );
    assert_eq!((view.kind.as_str(), view.priority), ("view", 5));
    let reply = by_hook("TicketClientReplyValidation");
    assert!(reply.rejected);
    assert_eq!(reply.output.as_deref(), Some("Refunds go through billing"));
    let create = by_hook("TicketAdminCreateValidation");
    assert!(!create.rejected && create.error.is_none());
    let solved = by_hook("TicketSolved");
    assert!(solved.error.is_some());
    assert_eq!(solved.line, 8);
    // Nothing was written: no event, no run.
    let events_after = s.admin.events(&EventQuery::default()).await.expect("events").data.len();
    assert_eq!(events_before, events_after);
    assert!(
        s.admin
            .hook_runs(hook.id, &ListQuery::default())
            .await
            .expect("runs")
            .data
            .is_empty()
    );
    let p = assert_code(
        s.admin.test_hook(hook.id, ticket.id + 1000).await,
        ErrorCode::ValidationFailed,
    );
    assert_eq!(fields(&p), ["ticket_id"]);
    assert_code(s.admin.test_hook(hook.id + 1000, ticket.id).await, ErrorCode::NotFound);

    // Enabled, its event hook runs from the outbox; the failure is on its runs with the line.
    s.admin
        .update_hook(
            hook.id,
            &HookPatch {
                enabled: Some(true),
                ..HookPatch::default()
            },
        )
        .await
        .expect("enable");
    s.admin
        .update_ticket(
            ticket.id,
            &TicketPatch {
                status: Some(TicketStatus::Solved),
                ..TicketPatch::default()
            },
        )
        .await
        .expect("solved");
    let deadline = Instant::now() + Duration::from_secs(10);
    let runs = loop {
        let runs = s
            .admin
            .hook_runs(hook.id, &ListQuery::default())
            .await
            .expect("runs")
            .data;
        if !runs.is_empty() {
            break runs;
        }
        assert!(Instant::now() < deadline, "no run");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        (run.hook.as_str(), run.script.clone(), run.status.as_str(), run.line),
        ("TicketSolved", format!("db:{}", hook.id), "failed", Some(8))
    );
    let detail = s.admin.event_detail(run.event_id).await.expect("event");
    assert_eq!(detail.runs, runs);
    s.shutdown().await;
}

/// Every node runs the scripts an admin stored through any of them (each reloads within a second).
#[tokio::test]
async fn another_node_picks_up_a_stored_script() {
    if !on_postgres() {
        eprintln!("skipped: several nodes share a PostgreSQL database only");
        return;
    }
    let first = TestServer::start().await;
    let second = TestServer::start_on(first.database_url.clone(), None, |_| {}).await;
    let dept = first.department().await;
    let person = first.customer().await;
    let token = first
        .admin
        .create_end_user_token(person.end_user.id, None)
        .await
        .expect("token");
    let on_second = second.client(&token.token);
    first
        .admin
        .create_hook(&new_hook("Short titles", SHORT_TITLES))
        .await
        .expect("hook");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match on_second.create_ticket(&new_ticket(dept.id, "Broken")).await {
            Err(ferrodesk_client::Error::Api(p)) if p.code == ErrorCode::HookRejected => break,
            _ => {}
        }
        assert!(Instant::now() < deadline, "the second node never ran the stored script");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    second.shutdown().await;
    first.shutdown().await;
}
