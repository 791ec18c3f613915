//! The webhook deliveries' side of the outbox (SPEC §4): due deliveries are claimed by a node (a lease,
//! taken over when it runs out), sent signed, and each attempt is recorded with the delivery's next state —
//! done on a 2xx, otherwise retried on the schedule with jitter until the deadline, then failed. An
//! endpoint that failed every attempt for three days (scaled like the schedule) is disabled.
use crate::{App, AppError, AppResult, Change, RequestMeta, Subject};
use domain::automation::{
    DISABLE_AFTER, Delivery, DeliveryAttempt, DeliveryStatus, Webhook, WebhookFormat, event_type, retry_delay, scaled,
};
use domain::event::{EntityType, EventAction, EventSource};
use domain::{Event, Principal, Timestamp};
use integrations::{Attempt, Outgoing};
use jiff::SignedDuration;
use rand::RngExt;
use std::collections::HashMap;
use std::time::Duration;
use store::DeliveryOutcome;
use store::time::now;

/// A claimed delivery with the message to send.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub message: Outgoing,
}

/// Settings of webhook delivery.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// `FERRODESK_WEBHOOK_RETRY_SCALE`: multiplies the retry schedule, the delivery window and the time
    /// after which a failing endpoint is disabled.
    pub retry_scale: f64,
    /// Whether endpoints may point at private, loopback and link-local addresses.
    pub allow_private: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry_scale: 1.0,
            allow_private: false,
        }
    }
}

fn later(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

/// The body an endpoint gets for `event`: native `{id, type, timestamp, data}`, or the TeamTools
/// web-event (the event as the API shows it).
pub fn webhook_body(format: WebhookFormat, event: &Event) -> Vec<u8> {
    let value = match format {
        WebhookFormat::Native => serde_json::json!({
            "id": event.id,
            "type": event_type(event),
            "timestamp": event.timestamp,
            "data": event.data,
        }),
        WebhookFormat::Teamtools => serde_json::to_value(event).unwrap_or_default(),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// The `webhook-id` of an event's message: the same on every attempt and replay, so a receiver can
/// dedupe.
pub fn message_id(event_id: i64) -> String {
    format!("evt_{event_id}")
}

impl App {
    /// When the next delivery that no node holds is due (none: nothing is pending).
    pub async fn next_delivery_due(&self) -> AppResult<Option<Timestamp>> {
        Ok(self.store().read().await?.next_delivery_due(now()).await?)
    }

    /// Claims up to `limit` due deliveries for `node` — of one endpoint at most `per_webhook` less what
    /// `held` says this node holds of it already — with the messages to send.
    /// The claim holds for `lease`: longer than the attempts can take, queued behind an endpoint's
    /// concurrency limit included; a node that dies leaves them to others when it runs out.
    pub async fn claim_deliveries(
        &self,
        node: &str,
        held: &[(i64, i64)],
        per_webhook: i64,
        limit: i64,
        lease: Duration,
    ) -> AppResult<Vec<DueDelivery>> {
        let at = now();
        match self.next_delivery_due().await? {
            Some(due) if due <= at => {}
            _ => return Ok(Vec::new()),
        }
        let mut tx = self.store().write().await?;
        let claimed = tx
            .claim_deliveries(node, at, later(at, lease), per_webhook, held, limit)
            .await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        let mut db = self.store().read().await?;
        let mut event_ids: Vec<i64> = claimed.iter().map(|d| d.event_id).collect();
        event_ids.sort_unstable();
        event_ids.dedup();
        let events: HashMap<i64, Event> = db
            .events_by_ids(&event_ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let webhooks: HashMap<i64, Webhook> = db.active_webhooks().await?.into_iter().map(|w| (w.id, w)).collect();
        let mut out = Vec::with_capacity(claimed.len());
        for delivery in claimed {
            // An endpoint turned off or removed since the claim: its deliveries wait (the claim lapses).
            let (Some(webhook), Some(event)) = (webhooks.get(&delivery.webhook_id), events.get(&delivery.event_id))
            else {
                continue;
            };
            let key = integrations::secret_key(&webhook.secret)
                .map_err(|e| AppError::Internal(format!("webhook {}: {e}", webhook.id)))?;
            out.push(DueDelivery {
                message: Outgoing {
                    url: webhook.url.clone(),
                    id: message_id(event.id),
                    body: webhook_body(webhook.format, event),
                    key,
                },
                delivery,
            });
        }
        Ok(out)
    }

    /// Records the attempts `node` made for its claimed deliveries, in one transaction, and disables the
    /// endpoints that have now failed for too long (each with an event).
    pub async fn record_deliveries(&self, node: &str, results: Vec<(Delivery, Timestamp, Attempt)>) -> AppResult<()> {
        if results.is_empty() {
            return Ok(());
        }
        let scale = self.webhook_settings().retry_scale;
        let mut tx = self.store().write().await?;
        let mut any_failed = false;
        for (delivery, attempted_at, attempt) in results {
            let failed_attempts = delivery.attempts + 1;
            let (status, next) = if attempt.delivered {
                (DeliveryStatus::Done, None)
            } else {
                any_failed = true;
                let jitter: f64 = rand::rng().random_range(0.8..=1.2);
                let next = later(now(), retry_delay(failed_attempts, scale, jitter));
                if next > delivery.deadline_at {
                    (DeliveryStatus::Failed, None)
                } else {
                    (DeliveryStatus::Pending, Some(next))
                }
            };
            let outcome = DeliveryOutcome {
                delivery_id: delivery.id,
                webhook_id: delivery.webhook_id,
                attempt: DeliveryAttempt {
                    id: 0,
                    delivery_id: delivery.id,
                    attempted_at,
                    status_code: attempt.status.map(i64::from),
                    error: attempt.error,
                    latency_us: i64::try_from(attempt.latency.as_micros()).unwrap_or(i64::MAX),
                    response: attempt.response,
                },
                status,
                next_attempt_at: next,
            };
            if !tx.record_delivery(node, &outcome).await? {
                tracing::warn!(
                    delivery = delivery.id,
                    "a delivery's claim was taken over; its attempt is not recorded"
                );
            }
        }
        if any_failed {
            let at = now();
            let failing_before = at
                .checked_sub(SignedDuration::try_from(scaled(DISABLE_AFTER, scale)).unwrap_or(SignedDuration::MAX))
                .unwrap_or(Timestamp::MIN);
            let reason = "every delivery failed for 3 days";
            let meta = RequestMeta {
                source: Some(EventSource::System),
                url: Some("webhooks".into()),
                ip: None,
            };
            for id in tx.disable_failing_webhooks(failing_before, reason, at).await? {
                tracing::warn!(webhook = id, "webhook disabled: {reason}");
                if let Some(w) = tx.webhook(id).await? {
                    let mut old = w.clone();
                    old.active = true;
                    old.disabled_reason = None;
                    let event = Change {
                        principal: &Principal::System,
                        meta: &meta,
                    }
                    .event(
                        EventAction::Updated,
                        Subject(EntityType::Webhook, id, None),
                        None,
                        domain::automation::redacted(&w),
                        domain::automation::redacted(&old),
                    );
                    tx.insert_event(&event).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
