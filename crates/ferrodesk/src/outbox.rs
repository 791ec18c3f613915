//! The outbox worker of `serve` (SPEC §4): takes pending events as soon as they are committed (the store's
//! signal: the writer's commits on SQLite, LISTEN/NOTIFY on PostgreSQL), and every second in any case (for
//! claims that expired on a node that died).
use app::App;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Events claimed per batch.
const BATCH: i64 = 500;

/// This process's name in claims: host, process id and a random suffix.
pub(crate) fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let suffix: u32 = rand_suffix();
    format!("{}-{}-{suffix:08x}", host.trim(), std::process::id())
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    nanos ^ std::process::id().rotate_left(16)
}

/// Runs until `stop` turns true: a batch under way is finished first (its events done, its runs recorded),
/// so a graceful shutdown leaves no claim to expire.
pub(crate) fn start(
    app: App,
    node: String,
    lease: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let signal = app.store().outbox_signal();
        while !*stop.borrow() {
            match app.process_outbox(&node, BATCH, lease).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox batch failed; retrying"),
            }
            tokio::select! {
                () = signal.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => {}
            }
        }
    })
}
