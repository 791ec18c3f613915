//! The SQLite WAL's size, sampled while the bench writes: its peak is one of the figures (the WAL must stay
//! under a bound however long the writes go on).
use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// How often the `-wal` file's size is read.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Samples the size of one `-wal` file until finished (or dropped).
pub(super) struct WalWatch {
    peak: Arc<AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl WalWatch {
    /// Watches the WAL beside the SQLite database at `url`; `None` for other databases.
    pub(super) fn start(url: &str) -> Option<Self> {
        let mut wal = sqlite_file(url)?.into_os_string();
        wal.push("-wal");
        let wal = PathBuf::from(wal);
        let peak = Arc::new(AtomicU64::new(0));
        let sampler = tokio::spawn({
            let peak = peak.clone();
            async move {
                let mut ticks = tokio::time::interval(SAMPLE_EVERY);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    // No file (yet, or after a checkpoint that removed it) is an empty WAL.
                    let size = std::fs::metadata(&wal).map_or(0, |m| m.len());
                    peak.fetch_max(size, Ordering::Relaxed);
                }
            }
        });
        Some(Self { peak, sampler })
    }

    /// Stops sampling; the largest size seen.
    pub(super) fn finish(self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for WalWatch {
    fn drop(&mut self) {
        self.sampler.abort();
    }
}
