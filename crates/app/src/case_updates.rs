//! Case updates through the outbox (SPEC §6): the outbox queues one for each reply on a ticket with an
//! account key whose brand's `webcall` backend has a `case_url`, in the event's own transaction. A node
//! claims due ones (a lease, taken over when it runs out), builds the `caseXML` from the ticket, the reply
//! and the brand as they are when it is sent, posts it, and records the attempt with the update's next
//! state: done on a 2xx, otherwise retried on the webhooks' schedule until the deadline, then failed. What
//! can never succeed (the brand stopped sending case updates, the ticket or reply was deleted) fails at once.
use crate::backends::WebcallBackend;
use crate::{App, AppResult};
use domain::automation::{DeliveryStatus, retry_delay};
use domain::case_update::{CaseSubject, CaseUpdateAttempt, CaseUpdateDelivery, case_subject, case_update};
use domain::{Brand, Event, Principal, Timestamp};
use integrations::webcall::WebcallError;
use jiff::SignedDuration;
use rand::RngExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use store::time::now;
use store::{CaseUpdateOutcome, NewCaseUpdate};

/// Whether `brand` tells its customer database about replies: a `webcall` backend with a `case_url`.
pub fn sends_case_updates(brand: &Brand) -> bool {
    brand.customer_backend == "webcall" && brand.webcall.as_ref().is_some_and(|w| !w.case_url.trim().is_empty())
}

/// One attempt to send a claimed case update, ready to be recorded.
#[derive(Debug, Clone)]
pub struct CaseUpdateSent {
    pub attempted_at: Timestamp,
    pub latency: Duration,
    /// `None`: the customer database took it (a 2xx answer).
    pub failure: Option<SendFailure>,
}

/// Why an attempt failed, and whether trying again may help.
#[derive(Debug, Clone)]
pub struct SendFailure {
    pub status_code: Option<u16>,
    /// Safe to show and log: never the password, the configured URL or the posted values.
    pub error: String,
    pub retry: bool,
}

impl SendFailure {
    /// A failure no later attempt can mend.
    fn permanent(error: impl Into<String>) -> Self {
        Self {
            status_code: None,
            error: error.into(),
            retry: false,
        }
    }

    fn of_call(e: WebcallError) -> Self {
        let status_code = match e {
            WebcallError::Status(code) => Some(code),
            _ => None,
        };
        // A missing or malformed URL stays so until an admin changes the brand; everything else (no answer,
        // an error status, a refused address) may pass later.
        let retry = !matches!(e, WebcallError::NotConfigured(_) | WebcallError::InvalidUrl { .. });
        Self {
            status_code,
            error: e.to_string(),
            retry,
        }
    }
}

impl From<store::StoreError> for SendFailure {
    fn from(e: store::StoreError) -> Self {
        tracing::warn!(error = %e, "reading a case update's ticket failed");
        Self {
            status_code: None,
            error: "the database could not be read".into(),
            retry: true,
        }
    }
}

fn later(at: Timestamp, d: Duration) -> Timestamp {
    at.checked_add(SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

impl App {
    /// Notified when case updates may have become due on this node.
    pub fn case_updates_signal(&self) -> &std::sync::Arc<tokio::sync::Notify> {
        &self.case_updates_signal
    }

    /// The case updates `events` queue: each reply (or opened ticket) with an account key, on a department
    /// whose brand sends case updates.
    pub(crate) async fn case_updates_for(&self, events: &[Event]) -> AppResult<Vec<NewCaseUpdate>> {
        let subjects: Vec<(i64, CaseSubject)> = events
            .iter()
            .filter_map(|e| case_subject(e).map(|s| (e.id, s)))
            .collect();
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let mut db = self.store().read().await?;
        // Department → the brand that takes its case updates, if it does; read once per batch.
        let mut sending: HashMap<i64, Option<i64>> = HashMap::new();
        let mut out = Vec::new();
        for (event_id, subject) in subjects {
            let brand_id = match sending.get(&subject.department_id) {
                Some(known) => *known,
                None => {
                    let brand = match db.department(subject.department_id).await? {
                        Some(d) => db.brand(d.brand_id).await?,
                        None => None,
                    };
                    let brand_id = brand.filter(sends_case_updates).map(|b| b.id);
                    sending.insert(subject.department_id, brand_id);
                    brand_id
                }
            };
            if let Some(brand_id) = brand_id {
                out.push(NewCaseUpdate {
                    event_id,
                    brand_id,
                    ticket_id: subject.ticket_id,
                    reply_id: subject.reply_id,
                    userkey: subject.userkey,
                });
            }
        }
        Ok(out)
    }

    /// When the next case update that no node holds is due (none: nothing is pending).
    pub async fn next_case_update_due(&self) -> AppResult<Option<Timestamp>> {
        Ok(self.store().read().await?.next_case_update_due(now()).await?)
    }

    /// Claims up to `limit` due case updates for `node` — of one brand at most `per_brand` less what `held`
    /// says this node holds of it already. The claim holds for `lease`, longer than an attempt can take.
    pub async fn claim_case_updates(
        &self,
        node: &str,
        held: &[(i64, i64)],
        per_brand: i64,
        limit: i64,
        lease: Duration,
    ) -> AppResult<Vec<CaseUpdateDelivery>> {
        let at = now();
        match self.next_case_update_due().await? {
            Some(due) if due <= at => {}
            _ => return Ok(Vec::new()),
        }
        let mut tx = self.store().write().await?;
        let claimed = tx
            .claim_case_updates(node, at, later(at, lease), per_brand, held, limit)
            .await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Builds a claimed case update from the ticket, the reply and the brand as they are now, and posts it to
    /// the brand's `case_url`. Never fails: what went wrong is the attempt's.
    pub async fn send_case_update(&self, update: &CaseUpdateDelivery) -> CaseUpdateSent {
        let attempted_at = now();
        let started = Instant::now();
        let failure = self.try_send_case_update(update).await.err();
        CaseUpdateSent {
            attempted_at,
            latency: started.elapsed(),
            failure,
        }
    }

    async fn try_send_case_update(&self, update: &CaseUpdateDelivery) -> Result<(), SendFailure> {
        let mut db = self.store().read().await?;
        let brand = db
            .brand(update.brand_id)
            .await?
            .ok_or_else(|| SendFailure::permanent("the brand was deleted"))?;
        let settings = match brand.webcall.clone() {
            Some(settings) if sends_case_updates(&brand) => settings,
            _ => {
                return Err(SendFailure::permanent(
                    "the brand no longer sends case updates (no webcall backend with a case_url)",
                ));
            }
        };
        let ticket = db
            .ticket(update.ticket_id)
            .await?
            .ok_or_else(|| SendFailure::permanent("the ticket was deleted"))?;
        let reply = db
            .reply(update.reply_id)
            .await?
            .filter(|r| r.owner_id == ticket.id)
            .ok_or_else(|| SendFailure::permanent("the reply was deleted"))?;
        let assignee = match ticket.assigned {
            Some(id) => db.staff(id).await?.map(|s| s.name).unwrap_or_default(),
            None => String::new(),
        };
        drop(db);
        let case = case_update(&ticket, &reply, &assignee);
        let client = self.webcall_client().map_err(|e| {
            tracing::warn!(error = %e, "no web-call client for case updates");
            SendFailure {
                status_code: None,
                error: "the web-call client could not be built".into(),
                retry: true,
            }
        })?;
        WebcallBackend::new(client, settings)
            .case_update(&update.userkey, &case)
            .await
            .map_err(SendFailure::of_call)
    }

    /// Records `node`'s attempt of a claimed case update with its next state: done, pending again after the
    /// retry schedule's wait, or failed (past its deadline, or not worth retrying).
    pub async fn record_case_update(
        &self,
        node: &str,
        update: &CaseUpdateDelivery,
        sent: &CaseUpdateSent,
    ) -> AppResult<()> {
        let (status, next) = match &sent.failure {
            None => (DeliveryStatus::Done, None),
            Some(f) if !f.retry => (DeliveryStatus::Failed, None),
            Some(_) => {
                let jitter: f64 = rand::rng().random_range(0.8..=1.2);
                let wait = retry_delay(update.attempts + 1, self.webhook_settings().retry_scale, jitter);
                let next = later(now(), wait);
                if next > update.deadline_at {
                    (DeliveryStatus::Failed, None)
                } else {
                    (DeliveryStatus::Pending, Some(next))
                }
            }
        };
        let outcome = CaseUpdateOutcome {
            case_update_id: update.id,
            attempt: CaseUpdateAttempt {
                id: 0,
                case_update_id: update.id,
                attempted_at: sent.attempted_at,
                status_code: sent.failure.as_ref().and_then(|f| f.status_code).map(i64::from),
                error: sent.failure.as_ref().map(|f| f.error.clone()),
                latency_us: i64::try_from(sent.latency.as_micros()).unwrap_or(i64::MAX),
            },
            status,
            next_attempt_at: next,
        };
        let mut tx = self.store().write().await?;
        let recorded = tx.record_case_update(node, &outcome).await?;
        tx.commit().await?;
        if !recorded {
            tracing::warn!(
                case_update = update.id,
                "a case update's claim was taken over; its attempt is not recorded"
            );
        } else if let Some(f) = &sent.failure {
            tracing::warn!(case_update = update.id, ticket = update.ticket_id, brand = update.brand_id,
                error = %f.error, status = <&'static str>::from(status), "case update attempt failed");
        }
        Ok(())
    }

    /// The case updates queued for an event, each with its attempts (staff see them on the event).
    pub async fn event_case_updates(&self, p: &Principal, event_id: i64) -> AppResult<Vec<CaseUpdateDelivery>> {
        crate::require_staff(p)?;
        let mut db = self.store().read().await?;
        let mut updates = db.case_updates_of_event(event_id).await?;
        let ids: Vec<i64> = updates.iter().map(|u| u.id).collect();
        let mut by_update: HashMap<i64, Vec<CaseUpdateAttempt>> = HashMap::new();
        for attempt in db.case_update_attempts(&ids).await? {
            by_update.entry(attempt.case_update_id).or_default().push(attempt);
        }
        for update in &mut updates {
            update.attempt_log = by_update.remove(&update.id).unwrap_or_default();
        }
        Ok(updates)
    }
}
