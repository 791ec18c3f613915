//! The outbox's consumer (SPEC §3.5, §4): pending events of the log are claimed in id order, their event
//! hooks run (once per event and hook, at least once: a node that dies mid-run leaves its claim to expire,
//! and another node runs them again), each run is recorded on the event, and the event is marked done.
use crate::{App, AppError, AppResult};
use domain::Event;
use domain::hook_params::{HookRun, event_hooks};
use jiff::ToSpan;
use std::sync::Arc;
use store::time::now;

/// How long a claim holds: a node that has not finished its batch by then is taken to be gone.
const LEASE_SECONDS: i64 = 60;

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
    /// Claims up to `batch` pending events for `node`, runs their event hooks and marks them done; answers
    /// how many it took (0: nothing was pending).
    pub async fn process_outbox(&self, node: &str, batch: i64) -> AppResult<usize> {
        let at = now();
        let until = at
            .checked_add(LEASE_SECONDS.seconds())
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
        let results: Vec<(i64, Vec<HookRun>)> =
            tokio::task::spawn_blocking(move || events.iter().map(|e| (e.id, run_hooks(&hooks, e))).collect())
                .await
                .map_err(|e| AppError::Internal(format!("the hook thread failed: {e}")))?;
        let mut tx = self.store().write().await?;
        for (id, runs) in results {
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
        Ok(count)
    }

    /// The hook runs made for an event (staff).
    pub async fn event_runs(&self, p: &domain::Principal, id: i64) -> AppResult<Vec<HookRun>> {
        crate::require_staff(p)?;
        Ok(self.store().read().await?.hook_runs_of_event(id).await?)
    }
}
