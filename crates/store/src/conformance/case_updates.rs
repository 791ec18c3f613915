//! Case updates: queued once per event, claimed due-first with at most N per brand, never the same row by
//! two claimers at once, taken over when a claim expires, recorded only by the node that holds the claim,
//! and a finished update never claimed again.
use super::*;
use crate::{CaseUpdateOutcome, NewCaseUpdate};
use domain::automation::DeliveryStatus;
use domain::case_update::{CaseUpdateAttempt, CaseUpdateDelivery};

fn queued(event_id: i64, brand_id: i64) -> NewCaseUpdate {
    NewCaseUpdate {
        event_id,
        brand_id,
        ticket_id: 100 + event_id,
        reply_id: 200 + event_id,
        userkey: format!("jdoe{event_id}"),
    }
}

fn ids_of(updates: &[CaseUpdateDelivery]) -> BTreeSet<i64> {
    updates.iter().map(|u| u.id).collect()
}

fn outcome(update: i64, at: Timestamp, status: DeliveryStatus, next: Option<Timestamp>) -> CaseUpdateOutcome {
    let failed = status != DeliveryStatus::Done;
    CaseUpdateOutcome {
        case_update_id: update,
        attempt: CaseUpdateAttempt {
            id: 0,
            case_update_id: update,
            attempted_at: at,
            status_code: failed.then_some(500),
            error: failed.then(|| "HTTP 500".to_owned()),
            latency_us: 1500,
        },
        status,
        next_attempt_at: next,
    }
}

async fn claim(
    s: &Arc<dyn Store>,
    node: &str,
    now: Timestamp,
    per_brand: i64,
    held: &[(i64, i64)],
) -> Vec<CaseUpdateDelivery> {
    let mut w = writer(s).await;
    let claimed = w
        .claim_case_updates(node, now, at(now, 60_000_000), per_brand, held, 100)
        .await
        .expect("claim");
    w.commit().await.expect("commit");
    claimed
}

pub(super) async fn case_updates_claim_record_take_over(s: Arc<dyn Store>) {
    let t0 = now();
    let deadline = at(t0, 3_600_000_000);
    let (busy, quiet) = (7_i64, 8_i64);
    let mut w = writer(&s).await;
    let mut events = Vec::new();
    for n in 0..7 {
        events.push(
            w.insert_event(&new_event(EntityType::Reply, n, None))
                .await
                .expect("event")
                .id,
        );
    }
    for e in &events[..6] {
        w.insert_case_update(&queued(*e, busy), t0, deadline)
            .await
            .expect("queue");
    }
    w.insert_case_update(&queued(events[6], quiet), t0, deadline)
        .await
        .expect("queue");
    // The same event a second time is a no-op (an event whose outbox claim expired is consumed again).
    w.insert_case_update(&queued(events[6], quiet), t0, deadline)
        .await
        .expect("queue again");
    w.commit().await.expect("commit");

    let mut r = reader(&s).await;
    assert_eq!(r.next_case_update_due(t0).await.expect("due"), Some(t0));
    let of_event = r.case_updates_of_event(events[6]).await.expect("of event");
    assert_eq!(of_event.len(), 1, "{of_event:?}");
    let quiet_one = &of_event[0];
    assert_eq!(
        (
            quiet_one.brand_id,
            quiet_one.ticket_id,
            quiet_one.reply_id,
            quiet_one.userkey.as_str()
        ),
        (
            quiet,
            100 + events[6],
            200 + events[6],
            format!("jdoe{}", events[6]).as_str()
        )
    );
    assert_eq!(
        (
            quiet_one.status,
            quiet_one.attempts,
            quiet_one.next_attempt_at,
            quiet_one.deadline_at
        ),
        (DeliveryStatus::Pending, 0, Some(t0), deadline)
    );
    drop(r);

    // At most two per brand; with the busy brand held to its limit only the quiet one's is left.
    let first = claim(&s, "node-a", t0, 2, &[]).await;
    let per: Vec<i64> = first.iter().map(|u| u.brand_id).collect();
    assert_eq!(per.iter().filter(|b| **b == busy).count(), 2, "{per:?}");
    assert_eq!(per.iter().filter(|b| **b == quiet).count(), 1, "{per:?}");
    assert!(
        claim(&s, "node-b", t0, 2, &[(busy, 2)]).await.is_empty(),
        "the busy brand is held to its limit, the quiet brand's one is claimed already"
    );

    // Two claimers at once never get the same row, and between them take every free one.
    let (a, b) = tokio::join!(claim(&s, "node-b", t0, 10, &[]), claim(&s, "node-c", t0, 10, &[]));
    let (a, b) = (ids_of(&a), ids_of(&b));
    assert!(a.is_disjoint(&b), "claimed twice: {a:?} {b:?}");
    assert_eq!(a.len() + b.len(), 4, "the busy brand's other four: {a:?} {b:?}");
    assert!(ids_of(&first).is_disjoint(&a) && ids_of(&first).is_disjoint(&b));
    let (c_holds, c_one) = match a.first() {
        Some(id) => ("node-b", *id),
        None => ("node-c", *b.first().expect("one")),
    };

    // node-a: one succeeds, one fails to be tried again in 5 s, one fails for good. A record by a node that
    // does not hold the claim is refused.
    let later = at(t0, 1_000_000);
    let busy_ids: Vec<i64> = first.iter().filter(|u| u.brand_id == busy).map(|u| u.id).collect();
    let (done, retried, failed) = (busy_ids[0], busy_ids[1], quiet_one.id);
    let mut w = writer(&s).await;
    let success = outcome(done, later, DeliveryStatus::Done, None);
    assert!(!w.record_case_update("node-b", &success).await.expect("record"));
    assert!(w.record_case_update("node-a", &success).await.expect("record"));
    let retry_at = at(t0, 5_000_000);
    assert!(
        w.record_case_update(
            "node-a",
            &outcome(retried, later, DeliveryStatus::Pending, Some(retry_at))
        )
        .await
        .expect("record")
    );
    assert!(
        w.record_case_update("node-a", &outcome(failed, later, DeliveryStatus::Failed, None))
            .await
            .expect("record")
    );
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let stored = r.case_update(done).await.expect("read").expect("update");
    assert_eq!(
        (stored.status, stored.attempts, stored.next_attempt_at),
        (DeliveryStatus::Done, 1, None)
    );
    let stored = r.case_update(retried).await.expect("read").expect("update");
    assert_eq!(
        (stored.status, stored.attempts, stored.next_attempt_at),
        (DeliveryStatus::Pending, 1, Some(retry_at))
    );
    let stored = r.case_update(failed).await.expect("read").expect("update");
    assert_eq!((stored.status, stored.attempts), (DeliveryStatus::Failed, 1));
    let attempts = r
        .case_update_attempts(&[done, retried, failed])
        .await
        .expect("attempts");
    let shown: Vec<(i64, Option<i64>, Option<&str>, i64)> = attempts
        .iter()
        .map(|a| (a.case_update_id, a.status_code, a.error.as_deref(), a.latency_us))
        .collect();
    assert_eq!(
        shown,
        [
            (done, None, None, 1500),
            (retried, Some(500), Some("HTTP 500"), 1500),
            (failed, Some(500), Some("HTTP 500"), 1500),
        ]
    );
    assert_eq!(attempts[0].attempted_at, later);
    // The retry is not due yet and the rest are claimed: nothing is due that no one holds.
    assert_eq!(r.next_case_update_due(later).await.expect("due"), Some(retry_at));
    drop(r);

    // Before the leases run out nothing more is claimed; after, node-d takes over every expired claim and
    // the retry, never a finished one, and the late record of the node that lost its claim is refused.
    assert!(claim(&s, "node-d", at(t0, 4_000_000), 10, &[]).await.is_empty());
    let expired = at(t0, 61_000_000);
    let taken = claim(&s, "node-d", expired, 10, &[]).await;
    let expected: BTreeSet<i64> = [busy_ids[1]]
        .into_iter()
        .chain(a.iter().copied())
        .chain(b.iter().copied())
        .collect();
    assert_eq!(ids_of(&taken), expected, "the expired claims and the retry");
    let mut w = writer(&s).await;
    let late = outcome(c_one, expired, DeliveryStatus::Done, None);
    assert!(!w.record_case_update(c_holds, &late).await.expect("record"));
    assert!(w.record_case_update("node-d", &late).await.expect("record"));
    w.commit().await.expect("commit");
    let mut r = reader(&s).await;
    let attempts = r.case_update_attempts(&[c_one]).await.expect("attempts");
    assert_eq!(attempts.len(), 1, "only the claim holder's attempt is kept");
    drop(r);
    let much_later = at(expired, 3_600_000_000);
    let rest = claim(&s, "node-e", much_later, 10, &[]).await;
    assert_eq!(
        ids_of(&rest),
        expected.iter().copied().filter(|id| *id != c_one).collect(),
        "finished updates are never claimed again"
    );
}
