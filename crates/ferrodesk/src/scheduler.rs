//! The background billing scheduler of `serve` (SPEC §5.2): runs the billing work due every
//! `billing_interval_secs`. Several nodes may run it on one PostgreSQL; each period is still billed once
//! (see `app::renewals`).
use app::App;
use app::renewals::DEFAULT_BATCH;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Starts the scheduler; `None` when `interval` is zero (this node leaves billing to others, or to
/// `ferrodesk billing run` from cron). Aborting the task mid-run rolls its open batch back.
pub(crate) fn start(app: App, interval: Duration) -> Option<JoinHandle<()>> {
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match app.run_billing(store::time::now(), DEFAULT_BATCH, |_| {}).await {
                Ok(run) if run.batches > 0 => tracing::info!(
                    renewed = run.renewed,
                    invoices = run.invoices,
                    ended = run.ended,
                    past_due = run.past_due,
                    "billing run"
                ),
                Ok(_) => tracing::debug!("billing run: nothing due"),
                Err(e) => tracing::warn!(error = %e, "billing run failed; retrying at the next interval"),
            }
        }
    }))
}
