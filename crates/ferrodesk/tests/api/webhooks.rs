//! Webhooks (SPEC §4, issue 11 item 4): signed the Standard Webhooks way (checked by the `standardwebhooks`
//! crate, an independent implementation), delivered at least once with the retry schedule, every attempt
//! kept, replayable, disabled after failing for three days (scaled), private targets refused unless allowed,
//! and one slow receiver never starving the others.
use crate::receiver::{Answer, Receiver};
use crate::*;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A server that may deliver to the loopback receivers of the tests, with the retry schedule scaled.
async fn server(scale: f64, timeout_ms: u64, concurrency: usize) -> TestServer {
    TestServer::start_with(|s| {
        s.webhooks_allow_private = true;
        s.webhook_retry_scale = scale;
        s.webhook_timeout_ms = timeout_ms;
        s.webhook_concurrency = concurrency;
    })
    .await
}

fn endpoint(url: &str, events: &[&str]) -> NewWebhook {
    NewWebhook {
        url: url.into(),
        events: Some(events.iter().map(|e| (*e).to_owned()).collect()),
        secret: Some(SECRET.into()),
        ..NewWebhook::default()
    }
}

/// `n` tickets opened by staff for a new requester (each one `TicketAdminCreated` event).
async fn open_tickets(s: &TestServer, n: usize) -> Vec<Ticket> {
    let dept = s.department().await;
    let person = s.customer().await;
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            s.admin
                .create_ticket(&NewTicket {
                    user_id: Some(person.end_user.id),
                    ..new_ticket(dept.id, &format!("Webhook ticket {i}"))
                })
                .await
                .expect("ticket"),
        );
    }
    out
}

async fn wait_for_delivery(s: &TestServer, webhook: i64, done: impl Fn(&Delivery) -> bool) -> Delivery {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = s
            .admin
            .webhook_deliveries(webhook, &ListQuery::default())
            .await
            .expect("deliveries");
        if let Some(d) = page.data.into_iter().find(|d| done(d)) {
            return d;
        }
        assert!(Instant::now() < deadline, "no such delivery of webhook {webhook}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn deliveries_are_signed_the_standard_webhooks_way() {
    let s = server(1.0, 5_000, 16).await;
    let native = Receiver::start().await;
    let teamtools = Receiver::start().await;
    let hook = s
        .admin
        .create_webhook(&endpoint(&native.url, &["TicketClientCreated"]))
        .await
        .expect("webhook");
    assert_eq!((hook.secret.as_str(), hook.active), (SECRET, true));
    assert_eq!(hook.format, WebhookFormat::Native);
    s.admin
        .create_webhook(&NewWebhook {
            format: Some("teamtools".into()),
            ..endpoint(&teamtools.url, &["*"])
        })
        .await
        .expect("teamtools webhook");

    let dept = s.department().await;
    let person = s.customer().await;
    // Staff's ticket is TicketAdminCreated: the native endpoint did not subscribe to it.
    s.admin
        .create_ticket(&NewTicket {
            user_id: Some(person.end_user.id),
            ..new_ticket(dept.id, "Opened by an agent")
        })
        .await
        .expect("staff ticket");
    let ticket = person
        .client
        .create_ticket(&new_ticket(dept.id, "Opened by the customer"))
        .await
        .expect("ticket");

    let got = native
        .wait_until(Duration::from_secs(10), "the customer's ticket", |r| !r.is_empty())
        .await;
    let message = &got[0];
    // An independent implementation of the spec verifies the signature.
    let verifier = standardwebhooks::Webhook::new(SECRET).expect("secret");
    verifier
        .verify(&message.body, &message.headers)
        .expect("the standardwebhooks crate accepts the signature");
    let tampered = [message.body.as_ref(), b" "].concat();
    assert!(verifier.verify(&tampered, &message.headers).is_err());
    assert!(message.header("webhook-signature").starts_with("v1,"));
    let body = message.json();
    assert_eq!(body["type"], "TicketClientCreated");
    assert_eq!(body["data"]["type"], "ticket");
    assert_eq!(body["data"]["value"]["id"], ticket.id);
    assert!(body["timestamp"].is_string());
    let event_id = body["id"].as_i64().expect("the event's id");
    assert_eq!(message.header("webhook-id"), format!("evt_{event_id}"));
    assert_eq!(message.header("content-type"), "application/json");
    // Only the subscribed event came.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(native.received().len(), 1);

    // The TeamTools format is the event as the API shows it (TeamTools' web-event body).
    let tt = teamtools
        .wait_until(Duration::from_secs(10), "the TicketClientCreated event", |r| {
            r.iter().any(|m| m.json()["name"] == "TicketClientCreated")
        })
        .await;
    let tt_body = tt
        .iter()
        .map(|m| m.json())
        .find(|b| b["name"] == "TicketClientCreated")
        .expect("the event");
    assert_eq!(tt_body["id"], event_id);
    assert_eq!(tt_body["action"], "created");
    assert_eq!(tt_body["data"]["value"]["id"], ticket.id);
    assert!(tt_body.get("memberId").is_some() && tt_body.get("source").is_some());

    // The event shows its deliveries with their attempts.
    let deadline = Instant::now() + Duration::from_secs(10);
    let detail = loop {
        let detail = s.admin.event_detail(event_id).await.expect("event");
        if detail.deliveries.len() == 2 && detail.deliveries.iter().all(|d| d.status == DeliveryStatus::Done) {
            break detail;
        }
        assert!(Instant::now() < deadline, "deliveries not done: {detail:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attempt = &detail.deliveries[0].attempt_log[0];
    assert_eq!(attempt.status_code, Some(200));
    assert_eq!(attempt.error, None);
    assert!(attempt.latency_us > 0);
    assert!(attempt.response.as_deref().is_some_and(|r| r.contains("thanks")));
    s.shutdown().await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_on_the_schedule_until_it_answers() {
    // 0.02: 5 s → 100 ms, 30 s → 600 ms, 2 min → 2.4 s.
    let s = server(0.02, 5_000, 16).await;
    let receiver = Receiver::start().await;
    receiver.answer(vec![
        Answer::Status(500),
        Answer::Status(503),
        Answer::Status(404),
        Answer::Ok,
    ]);
    let hook = s
        .admin
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    open_tickets(&s, 1).await;
    let got = receiver
        .wait_until(Duration::from_secs(20), "four attempts", |r| r.len() >= 4)
        .await;
    // One message: the same id and body on every attempt.
    assert_eq!(
        got.iter()
            .map(|r| r.header("webhook-id"))
            .collect::<BTreeSet<_>>()
            .len(),
        1
    );
    assert!(got.windows(2).all(|w| w[0].body == w[1].body));
    // The waits follow the schedule with at most ±20% jitter.
    let gaps: Vec<Duration> = got.windows(2).map(|w| w[1].at - w[0].at).collect();
    for (gap, expected) in gaps.iter().zip([0.1, 0.6, 2.4]) {
        let seconds = gap.as_secs_f64();
        assert!(
            seconds >= expected * 0.8 - 0.02 && seconds <= expected * 1.2 + 0.5,
            "gap {seconds:.3} s, expected about {expected} s ({gaps:?})"
        );
    }
    let delivery = wait_for_delivery(&s, hook.id, |d| d.status == DeliveryStatus::Done).await;
    let delivery = s.admin.delivery(delivery.id).await.expect("delivery");
    let statuses: Vec<Option<i64>> = delivery.attempt_log.iter().map(|a| a.status_code).collect();
    assert_eq!(statuses, [Some(500), Some(503), Some(404), Some(200)]);
    assert_eq!(delivery.attempt_log[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!(delivery.attempt_log[0].response.as_deref(), Some("receiver error"));
    assert_eq!(delivery.attempts, 4);
    // A success ends the endpoint's failing streak.
    assert_eq!(s.admin.webhook(hook.id).await.expect("webhook").failing_since, None);
    s.shutdown().await;
}

#[tokio::test]
async fn deliveries_fail_after_their_window_and_a_failing_endpoint_is_disabled() {
    // 0.00005: the 24-hour window is 4.3 s, the 3 days before disabling 13 s.
    let s = server(0.00005, 2_000, 16).await;
    let receiver = Receiver::start().await;
    receiver.answer(vec![Answer::Status(500)]);
    let hook = s
        .admin
        .create_webhook(&endpoint(&receiver.url, &["*"]))
        .await
        .expect("webhook");
    let dept = s.department().await;
    let person = s.customer().await;
    let started = Instant::now();
    let mut failed = None;
    let disabled = loop {
        s.admin
            .create_ticket(&NewTicket {
                user_id: Some(person.end_user.id),
                ..new_ticket(dept.id, "Still failing")
            })
            .await
            .expect("ticket");
        if failed.is_none() {
            let page = s
                .admin
                .webhook_deliveries(hook.id, &ListQuery::default())
                .await
                .expect("deliveries");
            failed = page.data.into_iter().find(|d| d.status == DeliveryStatus::Failed);
        }
        let w = s.admin.webhook(hook.id).await.expect("webhook");
        if !w.active {
            break w;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the endpoint was never disabled"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let failed = failed.expect("a delivery failed when its window ended");
    let failed = s.admin.delivery(failed.id).await.expect("delivery");
    assert!(failed.attempt_log.len() >= 5, "{} attempts", failed.attempt_log.len());
    assert!(failed.attempt_log.iter().all(|a| a.status_code == Some(500)));
    assert!(
        started.elapsed() >= Duration::from_secs(12),
        "disabled after {:?}",
        started.elapsed()
    );
    assert_eq!(
        disabled.disabled_reason.as_deref(),
        Some("every delivery failed for 3 days")
    );
    assert!(disabled.failing_since.is_some());
    // The change is on the event log, as the system's.
    let events = s
        .admin
        .events(&EventQuery {
            entity: Some("webhook".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events")
        .data;
    let off = events
        .iter()
        .find(|e| e.action == EventAction::Updated && e.data.value["active"] == false)
        .expect("the disabling event");
    assert_eq!(off.source, EventSource::System);
    assert_eq!(off.data.value["secret"], "[redacted]");
    // A disabled endpoint's deliveries are not replayed until it is turned on again.
    let p = assert_code(s.admin.replay_delivery(failed.id).await, ErrorCode::Conflict);
    assert_eq!(p.status, 409);
    receiver.answer(vec![Answer::Ok]);
    let on = s
        .admin
        .update_webhook(
            hook.id,
            &WebhookPatch {
                active: Some(true),
                ..WebhookPatch::default()
            },
        )
        .await
        .expect("turned on");
    assert!(on.active && on.failing_since.is_none() && on.disabled_reason.is_none());
    let replayed = s.admin.replay_delivery(failed.id).await.expect("replay");
    assert_eq!((replayed.status, replayed.attempts), (DeliveryStatus::Pending, 0));
    wait_for_delivery(&s, hook.id, |d| d.id == failed.id && d.status == DeliveryStatus::Done).await;
    s.shutdown().await;
}

#[tokio::test]
async fn any_delivery_can_be_replayed() {
    let s = server(1.0, 5_000, 16).await;
    let receiver = Receiver::start().await;
    let hook = s
        .admin
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    open_tickets(&s, 1).await;
    let done = wait_for_delivery(&s, hook.id, |d| d.status == DeliveryStatus::Done).await;
    let replayed = s.admin.replay_delivery(done.id).await.expect("replay");
    assert_eq!(replayed.id, done.id);
    let got = receiver
        .wait_until(Duration::from_secs(10), "the replay", |r| r.len() >= 2)
        .await;
    // The same message again: receivers dedupe by webhook-id.
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body);
    let after = wait_for_delivery(&s, hook.id, |d| d.id == done.id && d.status == DeliveryStatus::Done).await;
    assert_eq!(s.admin.delivery(after.id).await.expect("delivery").attempt_log.len(), 2);
    assert_code(s.admin.replay_delivery(done.id + 1000).await, ErrorCode::NotFound);
    let agent = s.agent().await;
    assert_code(agent.replay_delivery(done.id).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let s = TestServer::start().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
    ] {
        let p = assert_code(
            s.admin.create_webhook(&endpoint(url, &["*"])).await,
            ErrorCode::ValidationFailed,
        );
        assert_eq!(fields(&p), ["url"], "{url}");
    }
    // A name is checked where it leads when the connection is made: localhost resolves to loopback.
    let receiver = Receiver::start().await;
    let port = receiver.url.rsplit(':').next().expect("port");
    let hook = s
        .admin
        .create_webhook(&endpoint(&format!("http://localhost:{port}"), &["TicketAdminCreated"]))
        .await
        .expect("a name is accepted");
    open_tickets(&s, 1).await;
    let delivery = wait_for_delivery(&s, hook.id, |d| d.attempts > 0).await;
    let delivery = s.admin.delivery(delivery.id).await.expect("delivery");
    let error = delivery.attempt_log[0].error.clone().unwrap_or_default();
    assert!(error.contains("refused") && error.contains("loopback"), "{error}");
    assert_eq!(delivery.attempt_log[0].status_code, None);
    assert!(receiver.received().is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn redirects_to_allowed_targets_are_followed() {
    // The redirect to another receiver is followed (a redirect to a refused address is refused by the same
    // check as the first target: integrations' unit tests).
    let s = server(1.0, 2_000, 16).await;
    let first = Receiver::start().await;
    let second = Receiver::start().await;
    first.answer(vec![Answer::Redirect(second.url.clone())]);
    let hook = s
        .admin
        .create_webhook(&endpoint(&first.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    open_tickets(&s, 1).await;
    second
        .wait_until(Duration::from_secs(10), "the redirected message", |r| !r.is_empty())
        .await;
    wait_for_delivery(&s, hook.id, |d| d.status == DeliveryStatus::Done).await;
    s.shutdown().await;
}

#[tokio::test]
async fn bad_webhook_input_is_refused_with_the_field_named() {
    let s = TestServer::start().await;
    let cases: [(NewWebhook, &str); 5] = [
        (endpoint("ftp://example.com/x", &["*"]), "url"),
        (endpoint("not a url", &["*"]), "url"),
        (endpoint("https://example.com/hook", &["TicketExploded"]), "events"),
        (
            NewWebhook {
                format: Some("xml".into()),
                ..endpoint("https://example.com/hook", &["*"])
            },
            "format",
        ),
        (
            NewWebhook {
                secret: Some("whsec_not base64!".into()),
                ..endpoint("https://example.com/hook", &["*"])
            },
            "secret",
        ),
    ];
    for (body, field) in cases {
        let p = assert_code(s.admin.create_webhook(&body).await, ErrorCode::ValidationFailed);
        assert_eq!(fields(&p), [field]);
    }
    // A made-up secret is in Standard Webhooks' form; events default to everything.
    let made = s
        .admin
        .create_webhook(&NewWebhook {
            url: "https://example.com/hook".into(),
            ..NewWebhook::default()
        })
        .await
        .expect("webhook");
    assert!(made.secret.starts_with("whsec_"), "{}", made.secret);
    assert_eq!(made.events, ["*"]);
    // Events by change hook and by type.action are accepted.
    s.admin
        .create_webhook(&endpoint(
            "https://example.com/h2",
            &["TicketPriorityChange", "token.created"],
        ))
        .await
        .expect("names");
    let agent = s.agent().await;
    assert_code(
        agent.create_webhook(&endpoint("https://example.com/x", &["*"])).await,
        ErrorCode::NotFound,
    );
    assert_code(agent.webhooks(&ListQuery::default()).await, ErrorCode::NotFound);
    let listed = s.admin.webhooks(&ListQuery::default()).await.expect("list");
    assert_eq!(listed.data.len(), 2);
    s.admin.delete_webhook(made.id).await.expect("delete");
    assert_code(s.admin.webhook(made.id).await, ErrorCode::NotFound);
    s.shutdown().await;
}

#[tokio::test]
async fn a_slow_receiver_does_not_starve_the_others() {
    let s = server(1.0, 10_000, 2).await;
    let slow = Receiver::start().await;
    slow.answer(vec![Answer::Slow(Duration::from_secs(2))]);
    let fast = Receiver::start().await;
    for r in [&slow, &fast] {
        s.admin
            .create_webhook(&endpoint(&r.url, &["TicketAdminCreated"]))
            .await
            .expect("webhook");
    }
    let started = Instant::now();
    open_tickets(&s, 20).await;
    fast.wait_until(Duration::from_secs(10), "every event at the fast receiver", |r| {
        r.len() >= 20
    })
    .await;
    let took = started.elapsed();
    // The slow one has taken at most its limit (2) of at most two rounds meanwhile.
    assert!(
        slow.received().len() <= 6,
        "slow receiver got {}",
        slow.received().len()
    );
    assert!(took < Duration::from_secs(8), "the fast receiver waited {took:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn receivers_that_hang_or_answer_too_much_are_cut_short() {
    let s = server(1.0, 500, 16).await;
    let hanging = Receiver::start().await;
    hanging.answer(vec![Answer::Hang]);
    let huge = Receiver::start().await;
    huge.answer(vec![Answer::Huge(10 * 1024 * 1024)]);
    let h1 = s
        .admin
        .create_webhook(&endpoint(&hanging.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    let h2 = s
        .admin
        .create_webhook(&endpoint(&huge.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    open_tickets(&s, 1).await;
    let hung = wait_for_delivery(&s, h1.id, |d| d.attempts > 0).await;
    let hung = s.admin.delivery(hung.id).await.expect("delivery");
    assert_eq!(hung.attempt_log[0].error.as_deref(), Some("timed out"));
    assert!(hung.attempt_log[0].latency_us < 2_000_000);
    assert_eq!(hung.status, DeliveryStatus::Pending);
    let big = wait_for_delivery(&s, h2.id, |d| d.status == DeliveryStatus::Done).await;
    let big = s.admin.delivery(big.id).await.expect("delivery");
    let snippet = big.attempt_log[0].response.clone().unwrap_or_default();
    assert_eq!(snippet.len(), 1024);
    s.shutdown().await;
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_everything_when_it_is_back() {
    // 0.01: ten minutes down is six seconds.
    let s = server(0.01, 2_000, 16).await;
    let receiver = Receiver::start().await;
    receiver.answer(vec![Answer::Status(503)]);
    s.admin
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    let tickets = open_tickets(&s, 50).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    receiver.answer(vec![Answer::Ok]);
    let want: BTreeSet<i64> = tickets.iter().map(|t| t.id).collect();
    receiver
        .wait_until(Duration::from_secs(60), "every ticket once the receiver is up", |r| {
            let ok: BTreeSet<i64> = r
                .iter()
                .filter_map(|m| m.json()["data"]["value"]["id"].as_i64())
                .collect();
            want.is_subset(&ok) && r.len() > 50
        })
        .await;
    s.shutdown().await;
}

/// The ids of every `TicketAdminCreated` event in the log.
async fn ticket_created_events(client: &Client) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor = None;
    loop {
        let page = client
            .events(&EventQuery {
                entity: Some("ticket".into()),
                limit: Some(500),
                cursor: cursor.clone(),
                ..EventQuery::default()
            })
            .await
            .expect("events");
        ids.extend(
            page.data
                .iter()
                .filter(|e| e.name.as_deref() == Some("TicketAdminCreated"))
                .map(|e| format!("evt_{}", e.id)),
        );
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// Opens tickets through `clients` (in turn) from 16 tasks until `count` are made or a request fails.
fn fan_out(clients: Vec<Client>, dept: i64, requester: i64, count: usize) -> tokio::task::JoinSet<usize> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for t in 0..16 {
        let client = clients[t % clients.len()].clone();
        let next = std::sync::Arc::clone(&next);
        tasks.spawn(async move {
            let mut made = 0;
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                let ticket = NewTicket {
                    user_id: Some(requester),
                    ..new_ticket(dept, "Fan-out")
                };
                if client.create_ticket(&ticket).await.is_err() {
                    break;
                }
                made += 1;
            }
            made
        });
    }
    tasks
}

/// SPEC §4 at-least-once: `ferrodesk serve` killed with SIGKILL in the middle of a fan-out; after a restart
/// the receiver has every event (deduplicated by `webhook-id`), none missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_after_a_kill_9_in_the_middle_of_a_fan_out() {
    const TOKEN: &str = "a token for the fan-out test";
    let events: usize = std::env::var("FERRODESK_TEST_FANOUT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let (db, _db_dir) = fresh_database().await;
    let env = [
        ("FERRODESK_ADMIN_TOKEN", TOKEN),
        ("FERRODESK_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("FERRODESK_WEBHOOK_TIMEOUT_MS", "1000"),
        ("FERRODESK_WEBHOOK_RETRY_SCALE", "0.01"),
        ("FERRODESK_OUTBOX_LEASE_SECS", "2"),
    ];
    let (mut node, url) = crate::process::spawn_server(&db, &env).await;
    let admin = Client::new(&url, TOKEN).expect("client");
    let receiver = Receiver::start().await;
    receiver.answer(vec![Answer::Slow(Duration::from_millis(2))]);
    admin
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    let (dept, requester) = crate::process::department_and_requester(&admin).await;
    let mut tasks = fan_out(vec![admin.clone()], dept.id, requester.id, events);
    receiver
        .wait_until(Duration::from_secs(120), "a quarter of the fan-out", |r| {
            r.len() >= events / 4
        })
        .await;
    node.kill().expect("SIGKILL");
    let _ = node.wait();
    let mut made = 0;
    while let Some(n) = tasks.join_next().await {
        made += n.expect("task");
    }
    let before_restart = receiver.ids().len();
    let (mut node, url) = crate::process::spawn_server(&db, &env).await;
    let admin = Client::new(&url, TOKEN).expect("client");
    // Whatever the killed node had not done yet, the rest of the fan-out comes from the restarted one.
    let mut rest = fan_out(vec![admin.clone()], dept.id, requester.id, events.saturating_sub(made));
    while let Some(n) = rest.join_next().await {
        made += n.expect("task");
    }
    let want = ticket_created_events(&admin).await;
    assert!(want.len() >= events, "{} events for {made} tickets", want.len());
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let got = receiver.ids();
        let missing = want.difference(&got).count();
        if missing == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} events never arrived",
            want.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "fan-out: {} events, {before_restart} received before the kill, {} messages in all ({} repeated)",
        want.len(),
        receiver.received().len(),
        receiver.received().len() - receiver.ids().len()
    );
    let _ = node.kill();
    let _ = node.wait();
}

/// Three `serve` processes on one PostgreSQL deliver each event once; one of them killed with SIGKILL in
/// the middle of a fan-out, the two others deliver everything it left (SPEC §4, issue 11).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_deliver_each_event_once_and_survive_one_killed() {
    if !on_postgres() {
        eprintln!("skipped: several nodes share a PostgreSQL database only");
        return;
    }
    const TOKEN: &str = "a token for the three-node fan-out";
    let (db, _db_dir) = fresh_database().await;
    let env = [
        ("FERRODESK_ADMIN_TOKEN", TOKEN),
        ("FERRODESK_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("FERRODESK_WEBHOOK_TIMEOUT_MS", "1000"),
        ("FERRODESK_WEBHOOK_RETRY_SCALE", "0.01"),
        ("FERRODESK_OUTBOX_LEASE_SECS", "2"),
    ];
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(crate::process::spawn_server(&db, &env).await);
    }
    let clients: Vec<Client> = nodes
        .iter()
        .map(|(_, url)| Client::new(url, TOKEN).expect("client"))
        .collect();
    let receiver = Receiver::start().await;
    clients[0]
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    let (dept, requester) = crate::process::department_and_requester(&clients[0]).await;

    // Without failures: every event exactly once, whichever node took it.
    let mut tasks = fan_out(clients.clone(), dept.id, requester.id, 300);
    while let Some(n) = tasks.join_next().await {
        assert!(n.expect("task") > 0);
    }
    let want = ticket_created_events(&clients[1]).await;
    assert_eq!(want.len(), 300);
    receiver
        .wait_until(Duration::from_secs(60), "the first 300 events", |r| r.len() >= 300)
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.ids(), want);
    assert_eq!(receiver.received().len(), 300, "an event was delivered twice");

    // One node killed in the middle of the next 3,000.
    let survivors = vec![clients[0].clone(), clients[2].clone()];
    let mut tasks = fan_out(clients.clone(), dept.id, requester.id, 3_000);
    receiver
        .wait_until(Duration::from_secs(120), "part of the fan-out", |r| r.len() >= 1_000)
        .await;
    let _ = nodes[1].0.kill();
    let _ = nodes[1].0.wait();
    let mut made = 0;
    while let Some(n) = tasks.join_next().await {
        made += n.expect("task");
    }
    let mut rest = fan_out(
        survivors.clone(),
        dept.id,
        requester.id,
        3_000usize.saturating_sub(made),
    );
    while let Some(n) = rest.join_next().await {
        n.expect("task");
    }
    let want = ticket_created_events(&survivors[0]).await;
    assert!(want.len() >= 3_300, "{} events", want.len());
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let missing = want.difference(&receiver.ids()).count();
        if missing == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{missing} events never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (mut node, _) in nodes {
        let _ = node.kill();
        let _ = node.wait();
    }
}

/// The fenced block of `language` in docs/webhooks.md.
fn documented(language: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/webhooks.md")).expect("docs");
    let start = doc.find(&format!("```{language}\n")).expect("the example") + language.len() + 4;
    let end = start + doc[start..].find("```").expect("the example's end");
    doc[start..end].to_owned()
}

/// Runs a documented verifier on `body` with `headers`; `None` when its interpreter is not installed.
fn run_verifier(program: &str, args: &[&str], script: String, body: &[u8], headers: &http::HeaderMap) -> Option<bool> {
    let dir = temp_dir();
    let script_path = dir.path().join("verify");
    let body_path = dir.path().join("body");
    std::fs::write(&script_path, script).expect("script");
    std::fs::write(&body_path, body).expect("body");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let status = std::process::Command::new(program)
        .args(args)
        .arg(&script_path)
        .env("SECRET", SECRET)
        .env("BODY", &body_path)
        .env("WEBHOOK_ID", header("webhook-id"))
        .env("WEBHOOK_TIMESTAMP", header("webhook-timestamp"))
        .env("WEBHOOK_SIGNATURE", header("webhook-signature"))
        .status();
    match status {
        Ok(status) => Some(status.success()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

#[tokio::test]
async fn the_documented_verifiers_accept_a_real_delivery() {
    let s = server(1.0, 5_000, 16).await;
    let receiver = Receiver::start().await;
    s.admin
        .create_webhook(&endpoint(&receiver.url, &["TicketAdminCreated"]))
        .await
        .expect("webhook");
    open_tickets(&s, 1).await;
    let got = receiver
        .wait_until(Duration::from_secs(10), "a delivery", |r| !r.is_empty())
        .await;
    let message = &got[0];
    let tampered = [message.body.as_ref(), b"x"].concat();

    let python = documented("python")
        + r#"
import os, sys
headers = {"webhook-id": os.environ["WEBHOOK_ID"], "webhook-timestamp": os.environ["WEBHOOK_TIMESTAMP"],
           "webhook-signature": os.environ["WEBHOOK_SIGNATURE"]}
sys.exit(0 if verify(os.environ["SECRET"], headers, open(os.environ["BODY"], "rb").read()) else 1)
"#;
    let php = format!(
        "<?php\n{}\n{}",
        documented("php"),
        r#"$headers = ['webhook-id' => getenv('WEBHOOK_ID'), 'webhook-timestamp' => getenv('WEBHOOK_TIMESTAMP'),
            'webhook-signature' => getenv('WEBHOOK_SIGNATURE')];
exit(ferrodesk_verify(getenv('SECRET'), $headers, file_get_contents(getenv('BODY'))) ? 0 : 1);
"#
    );
    for (program, args, script) in [("python3", vec![], python), ("php", vec!["-f"], php)] {
        match run_verifier(program, &args, script.clone(), &message.body, &message.headers) {
            Some(ok) => {
                assert!(ok, "the documented {program} verifier refused a real delivery");
                let refused = run_verifier(program, &args, script, &tampered, &message.headers);
                assert_eq!(
                    refused,
                    Some(false),
                    "the documented {program} verifier accepted a tampered body"
                );
            }
            None => eprintln!("skipped the {program} example: {program} is not installed"),
        }
    }
    s.shutdown().await;
}
