//! The load generator: tasks sending requests back to back, and latency statistics.
use super::*;

pub(super) type MakeRequest = Arc<dyn Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync>;

#[derive(Default)]
pub(super) struct PhaseOutput {
    pub(super) name: String,
    pub(super) concurrency: usize,
    pub(super) elapsed: Duration,
    /// Latency of every successful request, with the tag its request was made with.
    pub(super) samples: Vec<(Duration, u8)>,
    pub(super) errors: u64,
    pub(super) first_error: Option<String>,
    /// Ids of created records (when asked for).
    pub(super) ids: Vec<i64>,
}

impl PhaseOutput {
    pub(super) fn stats(&self) -> Stats {
        let mut stats = Stats::of(self.samples.iter().map(|s| s.0).collect(), self.elapsed);
        stats.name.clone_from(&self.name);
        stats.concurrency = self.concurrency;
        stats.errors = self.errors;
        stats
    }
}

#[derive(serde::Deserialize)]
pub(super) struct Created {
    pub(super) id: i64,
}

/// `concurrency` tasks send requests back to back until `duration` has passed; every answer is read in
/// full, and anything but a 2xx counts as an error.
pub(super) async fn load(
    http: &reqwest::Client,
    concurrency: usize,
    duration: Duration,
    want_ids: bool,
    make: MakeRequest,
) -> PhaseOutput {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..concurrency {
        let http = http.clone();
        let make = make.clone();
        tasks.spawn(async move {
            let mut rng =
                Rng::new(0x9e37_79b9_7f4a_7c15 ^ ((task as u64 + 1) << 32) ^ started.elapsed().as_nanos() as u64);
            let mut out = PhaseOutput::default();
            while Instant::now() < deadline {
                let (rb, tag) = make(&http, &mut rng);
                let t0 = Instant::now();
                let result = match rb.send().await {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(body) if status.is_success() => Ok(body.to_vec()),
                            Ok(body) => Err(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(300)])
                            )),
                            Err(e) => Err(format!("reading the body: {e}")),
                        }
                    }
                    Err(e) => Err(format!("{e}")),
                };
                let latency = t0.elapsed();
                match result {
                    Ok(body) => {
                        out.samples.push((latency, tag));
                        if want_ids {
                            match serde_json::from_slice::<Created>(&body) {
                                Ok(c) => out.ids.push(c.id),
                                Err(e) => {
                                    out.errors += 1;
                                    out.first_error
                                        .get_or_insert_with(|| format!("no id in the answer: {e}"));
                                }
                            }
                        }
                    }
                    Err(e) => {
                        out.errors += 1;
                        out.first_error.get_or_insert(e);
                        // A refused or failing server must not turn into a busy loop.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            out
        });
    }
    let mut total = PhaseOutput {
        concurrency,
        ..PhaseOutput::default()
    };
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(out) => {
                total.samples.extend(out.samples);
                total.ids.extend(out.ids);
                total.errors += out.errors;
                if total.first_error.is_none() {
                    total.first_error = out.first_error;
                }
            }
            Err(e) => {
                total.errors += 1;
                total
                    .first_error
                    .get_or_insert_with(|| format!("load task failed: {e}"));
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

#[derive(Clone, Default)]
pub(super) struct Stats {
    pub(super) name: String,
    pub(super) concurrency: usize,
    pub(super) count: usize,
    pub(super) errors: u64,
    pub(super) elapsed: Duration,
    pub(super) p50: Duration,
    pub(super) p95: Duration,
    pub(super) p99: Duration,
    pub(super) max: Duration,
}

impl Stats {
    pub(super) fn of(mut latencies: Vec<Duration>, elapsed: Duration) -> Stats {
        latencies.sort_unstable();
        Stats {
            count: latencies.len(),
            elapsed,
            p50: percentile(&latencies, 0.50),
            p95: percentile(&latencies, 0.95),
            p99: percentile(&latencies, 0.99),
            max: latencies.last().copied().unwrap_or_default(),
            ..Stats::default()
        }
    }

    pub(super) fn rps(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub(super) fn line(&self) -> String {
        format!(
            "{:<42} c={:<3} {:>8} ok {:>5} err {:>9.0} req/s  p50 {:>8}  p95 {:>8}  p99 {:>8}  max {:>8}",
            self.name,
            self.concurrency,
            self.count,
            self.errors,
            self.rps(),
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// Nearest-rank percentile of sorted values.
pub(super) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
