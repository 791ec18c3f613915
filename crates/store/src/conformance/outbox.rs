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
