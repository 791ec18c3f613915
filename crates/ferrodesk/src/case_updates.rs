//! The case-update worker of `serve` (SPEC §6): claims due case updates (woken when the outbox queues some,
//! when an attempt under way ends, and at the moment the next retry is due), sends each, and records its
//! attempt. Claims are sized per brand, so one slow customer database holds at most `PER_BRAND` calls and
//! never the others' turn.
use app::App;
use domain::case_update::CaseUpdateDelivery;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{JoinHandle, JoinSet};

/// Calls in flight to one brand's customer database.
const PER_BRAND: i64 = 4;

/// Calls in flight on one node, all brands together.
const MAX_IN_FLIGHT: usize = 64;

/// How long the worker sleeps at most when nothing is due (a claim another node let lapse is found then).
const IDLE: Duration = Duration::from_secs(1);

/// How long a claim holds: the longest a web call may take (a brand's timeout is at most 60 s), with room
/// for reading the ticket and recording the attempt.
pub(crate) fn lease() -> Duration {
    Duration::from_millis(domain::account::MAX_WEBCALL_TIMEOUT_MS) + Duration::from_secs(30)
}

/// Sends one claimed update and records its attempt; a record that cannot be written is retried (the
/// claim would otherwise lapse and the update be sent again).
async fn deliver(app: App, node: Arc<str>, update: CaseUpdateDelivery) {
    let sent = app.send_case_update(&update).await;
    while let Err(e) = app.record_case_update(&node, &update, &sent).await {
        tracing::warn!(error = %e, case_update = update.id, "recording a case update attempt failed; retrying");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Runs until `stop` turns true; then claims nothing more and waits for the calls under way to be recorded
/// (the caller bounds the wait), so a graceful shutdown leaves no claim to expire. Dropping the task stops
/// the calls with it.
pub(crate) fn start(
    app: App,
    node: String,
    lease: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let node: Arc<str> = node.into();
        let signal = Arc::clone(app.case_updates_signal());
        let mut running: JoinSet<()> = JoinSet::new();
        // Which brand each call under way is for.
        let mut brand_of: HashMap<tokio::task::Id, i64> = HashMap::new();
        while !*stop.borrow() {
            let room = MAX_IN_FLIGHT.saturating_sub(running.len());
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                let mut held: HashMap<i64, i64> = HashMap::new();
                for brand in brand_of.values() {
                    *held.entry(*brand).or_default() += 1;
                }
                let held: Vec<(i64, i64)> = held.into_iter().collect();
                let limit = i64::try_from(room).unwrap_or(1);
                app.claim_case_updates(&node, &held, PER_BRAND, limit, lease).await
            };
            let wait = match claimed {
                Ok(due) if !due.is_empty() => {
                    for update in due {
                        let brand = update.brand_id;
                        let handle = running.spawn(deliver(app.clone(), Arc::clone(&node), update));
                        brand_of.insert(handle.id(), brand);
                    }
                    continue;
                }
                Ok(_) => match app.next_case_update_due().await {
                    // What is due now may be of a brand held at its limit, which the end of one of its calls
                    // frees (and wakes the worker): meanwhile, no tight polling.
                    Ok(Some(due)) => Duration::try_from(due.duration_since(store::time::now()))
                        .unwrap_or(Duration::ZERO)
                        .clamp(
                            if running.is_empty() {
                                Duration::from_millis(5)
                            } else {
                                Duration::from_millis(100)
                            },
                            IDLE,
                        ),
                    Ok(None) => IDLE,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading due case updates failed");
                        IDLE
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "claiming case updates failed; retrying");
                    IDLE
                }
            };
            tokio::select! {
                () = signal.notified() => {}
                Some(ended) = running.join_next_with_id() => {
                    let id = match ended {
                        Ok((id, ())) => id,
                        Err(e) => {
                            tracing::warn!(error = %e, "a case update call ended abnormally");
                            e.id()
                        }
                    };
                    brand_of.remove(&id);
                }
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        while running.join_next().await.is_some() {}
    })
}
