//! The storage conformance suite on SQLite, one test per check, each on a fresh database file in a
//! temporary directory.

use ferrodesk_store_sqlite::SqliteStore;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use store::Store;
use store::conformance::{Check, checks, run_check};

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

fn run(check: Check, dir: &TempDir) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let url = format!("sqlite://{}", dir.0.join(format!("{}.db", check.name)).display());
        let store = SqliteStore::open(&url)
            .await
            .map_err(|e| format!("open a fresh SQLite database: {e}"))?;
        run_check(check, Arc::new(store) as Arc<dyn Store>)
            .await
            .map_err(Failed::from)
    })
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let dir = Arc::new(TempDir::new());
    let trials = checks()
        .into_iter()
        .map(|check| {
            let dir = Arc::clone(&dir);
            Trial::test(check.name, move || run(check, &dir))
        })
        .collect();
    let outcome = libtest_mimic::run(&args, trials);
    drop(dir);
    outcome.exit_code()
}
