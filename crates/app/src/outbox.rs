//! The outbox's consumer (SPEC §3.5, §4, §6): pending events of the log are claimed in id order, their event
//! hooks run (once per event and hook, at least once: a node that dies mid-run leaves its claim to expire,
//! and another node runs them again), each run is recorded on the event, their webhook deliveries and case
//! updates are queued, and the event is marked done.
use crate::{App, AppError, AppResult};
use domain::Event;
use domain::automation::{DELIVERY_WINDOW, event_type, scaled, subscribed};
use domain::hook_params::{HookRun, event_hooks};
use std::sync::Arc;
use store::time::now;

/// The runs of every event hook `event` fires.
fn run_hooks(hooks: &hooks::Hooks, event: &Event) -> Vec<HookRun> {
    let mut runs = Vec::new();
    for (point, params) in event_hooks(event) {
        if !hooks.has(point) {
            continue;
        }
        for run in hooks.event(point, &params) {
            runs.push(HookRun {
                id: 0,
                event_id: event.id,
                hook: point.as_str().to_owned(),
                script: run.script,
                status: if run.error.is_some() { "failed" } else { "ok" }.to_owned(),
                line: i64::try_from(run.line).ok().filter(|l| *l > 0),
                message: run.error,
                duration_us: i64::try_from(run.duration.as_micros()).unwrap_or(i64::MAX),
                created_at: now(),
            });
        }
    }
    runs
}

impl App {
    /// Claims up to `batch` pending events for `node`, runs their event hooks, queues their webhook
    /// deliveries and case updates and marks them done; answers how many it took (0: nothing was pending).
    /// The claim holds for `lease`: a node that has not finished its batch by then is taken to be gone.
    pub async fn process_outbox(&self, node: &str, batch: i64, lease: std::time::Duration) -> AppResult<usize> {
        let at = now();
        let until = at
            .checked_add(jiff::SignedDuration::try_from(lease).map_err(|e| AppError::Internal(e.to_string()))?)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // Every commit wakes the worker, its own too: a read decides whether there is work, so an idle
        // worker never takes the writer.
        if !self.store().read().await?.has_claimable_events(at).await? {
            return Ok(0);
        }
        let mut tx = self.store().write().await?;
        let events = tx.claim_events(node, at, until, batch).await?;
        tx.commit().await?;
        if events.is_empty() {
            return Ok(0);
        }
        let count = events.len();
        let hooks = Arc::clone(self.hooks());
        let (events, results): (Vec<Event>, Vec<(i64, Vec<HookRun>)>) = tokio::task::spawn_blocking(move || {
            let results = events.iter().map(|e| (e.id, run_hooks(&hooks, e))).collect();
            (events, results)
        })
        .await
        .map_err(|e| AppError::Internal(format!("the hook thread failed: {e}")))?;
        let webhooks = self.store().read().await?.active_webhooks().await?;
        let window = scaled(DELIVERY_WINDOW, self.webhook_settings().retry_scale);
        let at = now();
        let deadline = at
            .checked_add(jiff::SignedDuration::try_from(window).unwrap_or(jiff::SignedDuration::MAX))
            .unwrap_or(at);
        let cases = self.case_updates_for(&events).await?;
        let mails = self.mails_for(&events).await?;
        let mut queued = 0_usize;
        let mut tx = self.store().write().await?;
        for case in &cases {
            tx.insert_case_update(case, at, deadline).await?;
        }
        for mail in &mails {
            tx.insert_mail_message(&mail.message).await?;
            tx.insert_mail_delivery(&mail.delivery, at, deadline).await?;
        }
        for (event, (id, runs)) in events.iter().zip(results) {
            if !webhooks.is_empty() {
                let name = event_type(event);
                let hooks: Vec<&str> = event_hooks(event).iter().map(|(p, _)| p.as_str()).collect();
                for webhook in webhooks.iter().filter(|w| subscribed(&w.events, &name, &hooks)) {
                    tx.insert_delivery(webhook.id, id, at, deadline).await?;
                    queued += 1;
                }
            }
            for run in &runs {
                if run.status == "failed" {
                    tracing::warn!(event = id, hook = %run.hook, script = %run.script, line = ?run.line,
                        error = ?run.message, "event hook failed");
                }
                tx.insert_hook_run(run).await?;
            }
            tx.finish_event(id, node, "done", now()).await?;
        }
        tx.commit().await?;
        if queued > 0 {
            self.deliveries_signal().notify_one();
        }
        if !cases.is_empty() {
            self.case_updates_signal().notify_one();
        }
        if !mails.is_empty() {
            self.mail_signal().notify_one();
        }
        Ok(count)
    }

    /// The hook runs made for an event (staff).
    pub async fn event_runs(&self, p: &domain::Principal, id: i64) -> AppResult<Vec<HookRun>> {
        crate::require_staff(p)?;
        Ok(self.store().read().await?.hook_runs_of_event(id).await?)
    }
}
