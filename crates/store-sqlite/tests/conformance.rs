//! The storage conformance suite on SQLite: every check on a fresh database file in a temporary directory.

use ferrodesk_store_sqlite::SqliteStore;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use store::Store;

/// A directory for this run's databases, removed (with their WAL and shared-memory files) when dropped,
/// also when a check fails.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("ferrodesk-conformance-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let dir = TempDir::new();
    let next = AtomicUsize::new(0);
    store::conformance::run_all(|| {
        let path = dir.0.join(format!("check-{}.db", next.fetch_add(1, Ordering::Relaxed)));
        async move {
            let url = format!("sqlite://{}", path.display());
            let store = SqliteStore::open(&url).await.expect("open a fresh SQLite database");
            Arc::new(store) as Arc<dyn Store>
        }
    })
    .await;
}
