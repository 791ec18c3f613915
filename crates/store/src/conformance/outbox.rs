//! The outbox: pending events claimed in id order, a live claim skipped, an expired one taken over, a
//! finished event never claimed again, and hook runs kept with their event.
use super::*;
use domain::hook_params::HookRun;

pub(super) async fn outbox_claims_in_order_and_take_over(s: Arc<dyn Store>) {
    let t0 = now();
    let mut w = writer(&s).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            w.insert_event(&new_event(EntityType::Brand, n, None))
                .await
                .expect("event")
                .id,
        );
    }
    w.commit().await.expect("commit");

    let mut w = writer(&s).await;
    let first = w
        .claim_events("node-a", t0, at(t0, 60_000_000), 3)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    assert_eq!(ids_of_events(&first), ids[..3].to_vec(), "oldest first");
    let mut w = writer(&s).await;
    let second = w
        .claim_events("node-b", t0, at(t0, 60_000_000), 10)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    assert_eq!(ids_of_events(&second), ids[3..].to_vec(), "claimed ones are skipped");

    // node-a dies: its claims expire, node-c takes them over; node-a's late finish is refused.
    let later = at(t0, 61_000_000);
    let mut w = writer(&s).await;
    let taken = w
        .claim_events("node-c", later, at(later, 60_000_000), 10)
        .await
        .expect("claim");
    assert_eq!(
        ids_of_events(&taken),
        [ids[..3].to_vec(), ids[3..].to_vec()].concat(),
        "every expired claim"
    );
    assert!(!w.finish_event(ids[0], "node-a", "done", later).await.expect("finish"));
    assert!(w.finish_event(ids[0], "node-c", "done", later).await.expect("finish"));
    let run = w
        .insert_hook_run(&HookRun {
            id: 0,
            event_id: ids[0],
            hook: "TicketSolved".into(),
            script: "hooks/a.rhai".into(),
            status: "failed".into(),
            line: Some(3),
            message: Some("boom".into()),
            duration_us: 120,
            created_at: later,
        })
        .await
        .expect("run");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.hook_runs_of_event(ids[0]).await.expect("runs"), vec![run]);
    assert_eq!(
        r.event(ids[0]).await.expect("event").map(|e| e.status),
        Some("done".into())
    );
    drop(r);
    let much_later = at(later, 3_600_000_000);
    let mut w = writer(&s).await;
    let rest = w
        .claim_events("node-d", much_later, at(much_later, 60_000_000), 10)
        .await
        .expect("claim");
    assert_eq!(
        ids_of_events(&rest),
        ids[1..].to_vec(),
        "a finished event is never claimed again"
    );
}

fn ids_of_events(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

fn webhook(url: &str, active: bool, at: domain::Timestamp) -> domain::automation::Webhook {
    domain::automation::Webhook {
        id: 0,
        url: url.into(),
        events: vec!["*".into()],
        secret: "s3cret".into(),
        format: domain::automation::WebhookFormat::Native,
        active,
        failing_since: None,
        disabled_reason: None,
        created_at: at,
        updated_at: at,
    }
}

/// Webhook deliveries: queued once per endpoint and event, claimed due-first with at most N per endpoint
/// and none of skipped or inactive endpoints, taken over when a claim expires, recorded only by the node
/// that holds the claim, the endpoint's failing streak tracked and a long one disabling it.
pub(super) async fn deliveries_claim_per_endpoint(s: Arc<dyn Store>) {
    use domain::automation::{DeliveryAttempt, DeliveryStatus};
    let t0 = now();
    let mut w = writer(&s).await;
    let busy = w
        .insert_webhook(&webhook("https://a.example/h", true, t0))
        .await
        .expect("webhook");
    let quiet = w
        .insert_webhook(&webhook("https://b.example/h", true, t0))
        .await
        .expect("webhook");
    let off = w
        .insert_webhook(&webhook("https://c.example/h", false, t0))
        .await
        .expect("webhook");
    let mut events = Vec::new();
    for n in 0..4 {
        events.push(
            w.insert_event(&new_event(EntityType::Brand, n, None))
                .await
                .expect("event")
                .id,
        );
    }
    let deadline = at(t0, 3_600_000_000);
    for e in &events {
        w.insert_delivery(busy.id, *e, t0, deadline).await.expect("delivery");
        w.insert_delivery(off.id, *e, t0, deadline).await.expect("delivery");
    }
    w.insert_delivery(quiet.id, events[0], t0, deadline)
        .await
        .expect("delivery");
    // The same event for the same endpoint a second time is a no-op.
    w.insert_delivery(quiet.id, events[0], t0, deadline)
        .await
        .expect("again");
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    assert_eq!(r.next_delivery_due(t0).await.expect("due"), Some(t0));
    assert_eq!(r.deliveries_of_event(events[0]).await.expect("of event").len(), 3);
    drop(r);

    let mut w = writer(&s).await;
    let first = w
        .claim_deliveries("node-a", t0, at(t0, 60_000_000), 2, &[], 100)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    let per: Vec<i64> = first.iter().map(|d| d.webhook_id).collect();
    assert_eq!(
        per.iter().filter(|w| **w == busy.id).count(),
        2,
        "two of the busy endpoint: {per:?}"
    );
    assert_eq!(per.iter().filter(|w| **w == quiet.id).count(), 1, "{per:?}");
    assert!(!per.contains(&off.id), "an inactive endpoint is never claimed");

    // With the busy endpoint held to its limit, nothing else is due.
    let mut w = writer(&s).await;
    let none = w
        .claim_deliveries("node-b", t0, at(t0, 60_000_000), 2, &[(busy.id, 2)], 100)
        .await
        .expect("claim");
    assert!(none.is_empty(), "{none:?}");
    let rest = w
        .claim_deliveries("node-b", t0, at(t0, 60_000_000), 10, &[], 100)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    assert_eq!(rest.len(), 2, "the busy endpoint's other two");

    // node-a fails its busy delivery; node-b's record of a claim it does not hold is refused.
    let later = at(t0, 1_000_000);
    let attempt = |delivery: i64| DeliveryAttempt {
        id: 0,
        delivery_id: delivery,
        attempted_at: later,
        status_code: Some(500),
        error: Some("HTTP 500".into()),
        latency_us: 1200,
        response: Some("oops".into()),
    };
    let busy_one = first.iter().find(|d| d.webhook_id == busy.id).expect("busy").id;
    let failed = crate::DeliveryOutcome {
        delivery_id: busy_one,
        webhook_id: busy.id,
        attempt: attempt(busy_one),
        status: DeliveryStatus::Pending,
        next_attempt_at: Some(at(t0, 5_000_000)),
    };
    let mut w = writer(&s).await;
    assert!(!w.record_delivery("node-b", &failed).await.expect("record"));
    assert!(w.record_delivery("node-a", &failed).await.expect("record"));
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    let stored = r.delivery(busy_one).await.expect("read").expect("delivery");
    assert_eq!((stored.status, stored.attempts), (DeliveryStatus::Pending, 1));
    assert_eq!(stored.next_attempt_at, Some(at(t0, 5_000_000)));
    let attempts = r.delivery_attempts(&[busy_one]).await.expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (attempts[0].status_code, attempts[0].response.as_deref()),
        (Some(500), Some("oops"))
    );
    let streak = r.webhook(busy.id).await.expect("read").expect("webhook").failing_since;
    assert_eq!(streak, Some(later));
    drop(r);

    // Not due before its next attempt, even once the claims expire; node-c takes over node-a's others.
    let expired = at(t0, 61_000_000);
    let mut w = writer(&s).await;
    let taken = w
        .claim_deliveries("node-c", at(t0, 4_000_000), at(t0, 70_000_000), 10, &[], 100)
        .await
        .expect("claim");
    assert!(taken.is_empty(), "claims still live: {taken:?}");
    let taken = w
        .claim_deliveries("node-c", expired, at(expired, 60_000_000), 10, &[], 100)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    assert_eq!(taken.len(), 5, "every expired claim and the retry: {taken:?}");

    // A streak older than the limit disables the endpoint; a success would have ended it.
    let mut w = writer(&s).await;
    let disabled = w
        .disable_failing_webhooks(at(later, 1), "failing", expired)
        .await
        .expect("disable");
    assert_eq!(disabled, [busy.id]);
    let done = crate::DeliveryOutcome {
        status: DeliveryStatus::Done,
        next_attempt_at: None,
        attempt: DeliveryAttempt {
            status_code: Some(200),
            error: None,
            ..attempt(events[0])
        },
        delivery_id: taken.iter().find(|d| d.webhook_id == busy.id).expect("busy").id,
        webhook_id: busy.id,
    };
    assert!(w.record_delivery("node-c", &done).await.expect("record"));
    w.commit().await.expect("commit");
    let mut r = s.read().await.expect("read");
    let after = r.webhook(busy.id).await.expect("read").expect("webhook");
    assert!(!after.active);
    assert_eq!(
        (after.failing_since, after.disabled_reason.as_deref()),
        (None, Some("failing"))
    );
    assert!(
        r.active_webhooks()
            .await
            .expect("active")
            .iter()
            .all(|w| w.id == quiet.id)
    );
}
