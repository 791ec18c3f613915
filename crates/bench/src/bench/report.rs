//! The summary: every figure next to its target.
use super::*;

#[derive(Default)]
pub(super) struct Report {
    pub(super) backend: &'static str,
    pub(super) tickets: u64,
    pub(super) seconds: u64,
    pub(super) concurrency: usize,
    pub(super) search_concurrency: usize,
    pub(super) ready_fresh: Option<Duration>,
    pub(super) ready_existing: Option<Duration>,
    pub(super) ready_seeded: Option<Duration>,
    pub(super) rss_idle: Option<u64>,
    pub(super) rss_after_load: Option<u64>,
    pub(super) rss_idle_seeded: Option<u64>,
    pub(super) rss_after_search: Option<u64>,
    pub(super) healthz: Option<Stats>,
    pub(super) create1: Option<Stats>,
    pub(super) create_c: Option<Stats>,
    pub(super) get: Option<Stats>,
    pub(super) list: Option<Stats>,
    pub(super) seed: Option<(u64, f64)>,
    pub(super) search: Option<Stats>,
    pub(super) search_bands: Vec<Stats>,
    pub(super) list_q: Option<Stats>,
    pub(super) list_q_bands: Vec<Stats>,
    pub(super) get_seeded: Option<Stats>,
    pub(super) list_seeded: Option<Stats>,
    pub(super) create_seeded: Option<Stats>,
    /// Largest size of the SQLite WAL file while the load phases ran, while seeding, and while the phases
    /// on the seeded database ran.
    pub(super) wal_peak_load: Option<u64>,
    pub(super) wal_peak_seed: Option<u64>,
    pub(super) wal_peak_seeded: Option<u64>,
}

pub(super) fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

impl Report {
    pub(super) fn print(&self) {
        let sqlite = self.backend == "sqlite";
        let c = self.concurrency;
        let mut lines: Vec<String> = Vec::new();
        let mut failures = 0;
        let mut verdicts = 0;
        let mut judged = |lines: &mut Vec<String>, text: String, target: &str, ok: Option<bool>| {
            let mark = match ok {
                Some(ok) => {
                    verdicts += 1;
                    if !ok {
                        failures += 1;
                    }
                    verdict(ok)
                }
                None => "",
            };
            lines.push(format!("{text:<78} {target:<46} {mark}"));
        };
        let latency = |s: &Stats| format!("p50 {} p95 {} p99 {}", ms(s.p50), ms(s.p95), ms(s.p99));
        let errors = |s: &Stats| {
            if s.errors > 0 {
                format!(" ({} errors)", s.errors)
            } else {
                String::new()
            }
        };

        if let Some(h) = &self.healthz {
            judged(
                &mut lines,
                format!("/healthz c={c}: {:.0} req/s {}{}", h.rps(), latency(h), errors(h)),
                "(HTTP ceiling of this machine)",
                None,
            );
        }
        if let Some(s) = &self.create1 {
            judged(
                &mut lines,
                format!("ticket create c=1: {:.0} req/s {}{}", s.rps(), latency(s), errors(s)),
                "",
                None,
            );
        }
        if let Some(s) = &self.create_c {
            let share = self.healthz.as_ref().map_or(0.0, |h| s.rps() / h.rps().max(1e-9));
            let text = format!(
                "ticket create c={c}: {:.0} req/s {} ({:.1}% of healthz){}",
                s.rps(),
                latency(s),
                share * 100.0,
                errors(s)
            );
            if sqlite {
                let ok = s.rps() >= 3000.0 && s.p99 <= Duration::from_millis(30) && share >= 0.10 && s.errors == 0;
                judged(
                    &mut lines,
                    text,
                    "(target ≥3000/s, p99 ≤30 ms, ≥10% of healthz)",
                    Some(ok),
                );
            } else {
                judged(&mut lines, text, "(SQLite target: ≥3000/s, p99 ≤30 ms)", None);
            }
        }
        if let Some(s) = &self.get {
            judged(
                &mut lines,
                format!("ticket GET c={c}: {:.0} req/s {}{}", s.rps(), latency(s), errors(s)),
                "",
                None,
            );
        }
        if let Some(s) = &self.list {
            judged(
                &mut lines,
                format!(
                    "ticket list limit=50 c={c}: {:.0} req/s {}{}",
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                "",
                None,
            );
        }
        if let Some((n, secs)) = self.seed {
            judged(
                &mut lines,
                format!(
                    "seeded {n} tickets x {} messages in {secs:.0} s ({:.0} tickets/s)",
                    REPLIES + 1,
                    n as f64 / secs.max(1e-9)
                ),
                "(through the store)",
                None,
            );
        }
        if let Some(s) = &self.search {
            let limit = if sqlite { 20 } else { 50 };
            let full = self.tickets >= 1_000_000;
            let target = format!(
                "(target p95 ≤{limit} ms at 1,000,000 tickets{})",
                if full { "" } else { "; not judged below that" }
            );
            let ok = s.p95 <= Duration::from_millis(limit) && s.errors == 0;
            judged(
                &mut lines,
                format!(
                    "search c={} ({} tickets): {:.0} req/s {}{}",
                    self.search_concurrency,
                    self.tickets,
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                &target,
                full.then_some(ok),
            );
            for b in &self.search_bands {
                judged(
                    &mut lines,
                    format!("  {:<30} n={:<6} {}", b.name, b.count, latency(b)),
                    "",
                    None,
                );
            }
        }
        if let Some(s) = &self.list_q {
            judged(
                &mut lines,
                format!(
                    "ticket list q= c={} ({} tickets): {:.0} req/s {}{}",
                    self.search_concurrency,
                    self.tickets,
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                "",
                None,
            );
            for b in &self.list_q_bands {
                judged(
                    &mut lines,
                    format!("  {:<30} n={:<6} {}", b.name, b.count, latency(b)),
                    "",
                    None,
                );
            }
        }
        if let Some(s) = &self.get_seeded {
            judged(
                &mut lines,
                format!(
                    "ticket GET c={c}, seeded db: {:.0} req/s {}{}",
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                "",
                None,
            );
        }
        if let Some(s) = &self.list_seeded {
            judged(
                &mut lines,
                format!(
                    "ticket list limit=50 c={c}, seeded db: {:.0} req/s {}{}",
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                "",
                None,
            );
        }
        if let Some(s) = &self.create_seeded {
            judged(
                &mut lines,
                format!(
                    "ticket create c={c}, seeded db: {:.0} req/s {}{}",
                    s.rps(),
                    latency(s),
                    errors(s)
                ),
                "(information: index maintenance at scale)",
                None,
            );
        }
        let rss_limit = 30.0 * MB;
        for (label, value, judge) in [
            ("idle RSS after start", self.rss_idle, true),
            ("RSS after the load phases", self.rss_after_load, false),
            ("idle RSS after start on the seeded db", self.rss_idle_seeded, true),
            ("RSS after the search phases", self.rss_after_search, false),
        ] {
            if let Some(v) = value {
                let text = format!("{label}: {:.1} MB", v as f64 / MB);
                if judge {
                    judged(&mut lines, text, "(target ≤30 MB)", Some(v as f64 <= rss_limit));
                } else {
                    judged(&mut lines, text, "", None);
                }
            }
        }
        let wal_limit = 256.0 * MB;
        for (label, value) in [
            ("WAL peak during the load phases", self.wal_peak_load),
            ("WAL peak while seeding", self.wal_peak_seed),
            ("WAL peak during the phases on the seeded db", self.wal_peak_seeded),
        ] {
            if let Some(v) = value {
                let text = format!("{label}: {:.1} MB", v as f64 / MB);
                judged(&mut lines, text, "(target ≤256 MB)", Some(v as f64 <= wal_limit));
            }
        }
        let ready_limit = Duration::from_millis(200);
        for (label, value, judge) in [
            ("start to ready, fresh database", self.ready_fresh, false),
            ("start to ready, existing database", self.ready_existing, true),
            ("start to ready, existing seeded database", self.ready_seeded, true),
        ] {
            if let Some(v) = value {
                let text = format!("{label}: {}", ms(v));
                if judge {
                    judged(&mut lines, text, "(target ≤200 ms)", Some(v <= ready_limit));
                } else {
                    judged(&mut lines, text, "", None);
                }
            }
        }

        println!();
        println!(
            "==== ferrodesk bench summary: {}, {} CPUs, {} s per phase, {} tickets seeded ====",
            self.backend,
            cpus(),
            self.seconds,
            self.tickets
        );
        for line in &lines {
            println!("{}", line.trim_end());
        }
        println!(
            "{}",
            match (verdicts, failures) {
                (0, _) => "nothing judged".to_owned(),
                (n, 0) => format!("all {n} judged targets met"),
                (n, f) => format!("{f} of {n} judged targets missed"),
            }
        );
    }
}
