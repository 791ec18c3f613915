//! The webhook delivery worker of `serve` (SPEC §4): claims due deliveries (woken when the outbox queues
//! some, and at the moment the next retry is due), sends each under its endpoint's concurrency limit, and
//! writes the attempts back in batches. Claims are sized per endpoint, so one slow receiver holds at most
//! a few rounds of its own limit and never the slots of the others.
use app::App;
use app::deliveries::DueDelivery;
use domain::Timestamp;
use domain::automation::Delivery;
use integrations::{Attempt, WebhookClient};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;

/// Attempts in flight on one node, all endpoints together.
const MAX_IN_FLIGHT: usize = 512;

/// Claims per endpoint, in rounds of its concurrency limit.
pub(crate) const QUEUE_ROUNDS: usize = 4;

/// Outcomes written back per transaction.
const RECORD_BATCH: usize = 500;

/// How long the worker sleeps at most when nothing is due (a claim another node let lapse is found then).
const IDLE: Duration = Duration::from_secs(1);

type Outcome = (Delivery, Timestamp, Attempt);

/// Deliveries claimed and not yet recorded, per endpoint; and the endpoints' limits.
struct Flight {
    per_endpoint: usize,
    claimed: Mutex<HashMap<i64, usize>>,
    gates: Mutex<HashMap<i64, Arc<Semaphore>>>,
    /// A slot came free: the claimer may take more.
    freed: Notify,
}

impl Flight {
    fn total(&self) -> usize {
        self.claimed.lock().map(|m| m.values().sum()).unwrap_or(0)
    }

    /// What this node holds of each endpoint.
    fn held(&self) -> Vec<(i64, i64)> {
        self.claimed
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(id, n)| (*id, i64::try_from(*n).unwrap_or(i64::MAX)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn take(&self, webhook: i64) -> Arc<Semaphore> {
        if let Ok(mut m) = self.claimed.lock() {
            *m.entry(webhook).or_default() += 1;
        }
        let mut gates = match self.gates.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(
            gates
                .entry(webhook)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_endpoint))),
        )
    }

    fn release(&self, webhook: i64) {
        if let Ok(mut m) = self.claimed.lock()
            && let Some(n) = m.get_mut(&webhook)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&webhook);
            }
        }
        self.freed.notify_one();
    }
}

fn unix_seconds(t: Timestamp) -> i64 {
    t.as_second()
}

/// Writes outcomes back in batches until the channel closes; a batch that cannot be written is retried
/// (its claims would otherwise lapse and the attempts be made again).
async fn record(app: App, node: Arc<str>, flight: Arc<Flight>, mut outcomes: mpsc::UnboundedReceiver<Outcome>) {
    let mut batch: Vec<Outcome> = Vec::with_capacity(RECORD_BATCH);
    while outcomes.recv_many(&mut batch, RECORD_BATCH).await > 0 {
        let webhooks: Vec<i64> = batch.iter().map(|(d, _, _)| d.webhook_id).collect();
        loop {
            match app.record_deliveries(&node, batch.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "recording webhook attempts failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        batch.clear();
        for id in webhooks {
            flight.release(id);
        }
    }
}

fn send(client: Arc<WebhookClient>, gate: Arc<Semaphore>, due: DueDelivery, outcomes: mpsc::UnboundedSender<Outcome>) {
    tokio::spawn(async move {
        let _permit = gate.acquire_owned().await;
        let at = store::time::now();
        let attempt = client.send(&due.message, unix_seconds(at)).await;
        let _ = outcomes.send((due.delivery, at, attempt));
    });
}

/// Runs until `stop` turns true; then claims nothing more and waits for the attempts under way to be
/// recorded (the caller bounds the wait), so a graceful shutdown leaves no claim to expire.
pub(crate) fn start(
    app: App,
    node: String,
    client: WebhookClient,
    per_endpoint: usize,
    lease: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let node: Arc<str> = node.into();
        let client = Arc::new(client);
        let flight = Arc::new(Flight {
            per_endpoint,
            claimed: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
            freed: Notify::new(),
        });
        let (outcomes, received) = mpsc::unbounded_channel();
        // Stopping the worker (dropping this future) stops the recorder with it.
        let _recorder = AbortOnDrop(tokio::spawn(record(
            app.clone(),
            Arc::clone(&node),
            Arc::clone(&flight),
            received,
        )));
        let signal = Arc::clone(app.deliveries_signal());
        // Claims queue a few rounds of attempts per endpoint, so that a claim round feeds the sends for a
        // while; the semaphore still lets only `per_endpoint` run at once.
        let per_webhook = i64::try_from(per_endpoint * QUEUE_ROUNDS).unwrap_or(i64::MAX);
        while !*stop.borrow() {
            let room = MAX_IN_FLIGHT.saturating_sub(flight.total());
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                let limit = i64::try_from(room.min(RECORD_BATCH)).unwrap_or(1);
                app.claim_deliveries(&node, &flight.held(), per_webhook, limit, lease)
                    .await
            };
            let wait = match claimed {
                Ok(due) if !due.is_empty() => {
                    for d in due {
                        let gate = flight.take(d.delivery.webhook_id);
                        send(Arc::clone(&client), gate, d, outcomes.clone());
                    }
                    continue;
                }
                Ok(_) => match app.next_delivery_due().await {
                    Ok(Some(due)) => {
                        let until = due.duration_since(store::time::now());
                        Duration::try_from(until)
                            .unwrap_or(Duration::ZERO)
                            .clamp(Duration::from_millis(5), IDLE)
                    }
                    Ok(None) => IDLE,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading due webhook deliveries failed");
                        IDLE
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "claiming webhook deliveries failed; retrying");
                    IDLE
                }
            };
            tokio::select! {
                () = signal.notified() => {}
                () = flight.freed.notified() => {}
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
        while flight.total() > 0 {
            flight.freed.notified().await;
        }
    })
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
