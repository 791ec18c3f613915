//! The renewal benchmark (`--renewals N`, issue 10): N customers, each with a monthly subscription whose
//! period ends at the same moment, seeded through the store; then `ferrodesk billing run --now` just past
//! that moment renews them all — in one process (the SQLite target: 100,000 in ≤ 30 s), or in
//! `--renewal-processes` processes at once on PostgreSQL (the target: exactly N invoices). The invoices are
//! then read back over the API: N renewal invoices, no subscription period twice, numbers without gaps.
//! The same run's `/healthz` ceiling and a plain `GET /api/v1/invoices` page are printed beside the figure,
//! as the machine's yardsticks.
use super::*;
use domain::billing::{Currency, Cycle, Interval, Subscription, SubscriptionStatus};
use std::collections::BTreeSet;

/// The figures of a renewal run.
#[derive(Default)]
pub(super) struct RenewalReport {
    pub(super) subscriptions: u64,
    pub(super) processes: usize,
    pub(super) seed_secs: f64,
    pub(super) healthz: Option<Stats>,
    pub(super) invoice_page: Option<Stats>,
    pub(super) run_secs: Option<f64>,
    pub(super) issued: u64,
    pub(super) found: u64,
    pub(super) distinct_periods: u64,
    pub(super) gapless: bool,
    pub(super) rerun_issued: Option<u64>,
}

impl RenewalReport {
    pub(super) fn print(&self, backend: &str) {
        println!();
        println!(
            "==== ferrodesk bench summary: renewals, {backend}, {} CPUs, {} subscriptions, {} process(es) ====",
            cpus(),
            self.subscriptions,
            self.processes
        );
        println!(
            "seeded {} customers with a due subscription each in {:.1} s (through the store)",
            self.subscriptions, self.seed_secs
        );
        if let Some(h) = &self.healthz {
            println!(
                "/healthz c={}: {:.0} req/s, p50 {}   (HTTP ceiling of this run)",
                h.concurrency,
                h.rps(),
                ms(h.p50)
            );
        }
        if let Some(p) = &self.invoice_page {
            println!(
                "GET /api/v1/invoices?limit=50 c={}: {:.0} req/s, p50 {}   (a plain read of this run)",
                p.concurrency,
                p.rps(),
                ms(p.p50)
            );
        }
        if let Some(secs) = self.run_secs {
            let rate = self.issued as f64 / secs.max(1e-9);
            let share = self
                .healthz
                .as_ref()
                .map(|h| format!(", {:.1}% of the /healthz rate", rate / h.rps().max(1e-9) * 100.0))
                .unwrap_or_default();
            println!(
                "billing run: {} invoices in {secs:.1} s ({rate:.0} renewals/s{share})",
                self.issued
            );
            if backend == "sqlite" && self.subscriptions >= 100_000 {
                let verdict = if secs <= 30.0 { "met" } else { "MISSED" };
                println!("target: renewing 100,000 subscriptions ≤ 30 s on SQLite: {verdict} ({secs:.1} s)");
            }
        }
        println!(
            "read back: {} renewal invoices, {} distinct (subscription, period), numbers {}",
            self.found,
            self.distinct_periods,
            if self.gapless { "gapless" } else { "WITH GAPS" }
        );
        if let Some(n) = self.rerun_issued {
            println!("a second run at the same moment issued {n} invoices");
        }
        let exact = self.found == self.subscriptions
            && self.distinct_periods == self.subscriptions
            && self.issued == self.subscriptions
            && self.gapless
            && self.rerun_issued == Some(0);
        println!(
            "target: exactly {} invoices with {} process(es): {}",
            self.subscriptions,
            self.processes,
            if exact { "met" } else { "MISSED" }
        );
    }
}

impl Bench {
    pub(super) async fn run_renewals(&mut self, n: u64) -> anyhow::Result<()> {
        let processes = self.args.renewal_processes.max(1);
        self.renewals.subscriptions = n;
        self.renewals.processes = processes;
        println!(
            "ferrodesk bench: renewals, {} ({}), {} CPUs, {n} subscriptions, {processes} billing process(es)",
            self.backend,
            ferrodesk::settings::mask_database_url(&self.url),
            cpus()
        );
        self.start().await?;
        let client = self.client()?;
        if !client
            .invoices(&api_types::InvoiceQuery {
                limit: Some(1),
                ..Default::default()
            })
            .await?
            .data
            .is_empty()
        {
            bail!("the database holds invoices already: the renewal bench needs an empty database");
        }
        let group = client
            .create_group(&api_types::NewGroup {
                name: "Bench".into(),
                ..Default::default()
            })
            .await?;
        let package = client
            .create_package(&api_types::NewPackage {
                name: "Bench package".into(),
                group_id: Some(group.id),
                ..Default::default()
            })
            .await?;
        let plan = client
            .create_plan(&api_types::NewPlan {
                package_id: package.id,
                name: "Bench monthly".into(),
                currency: "EUR".into(),
                interval: "month".into(),
                pricing: "unit".into(),
                amount: Some(990),
                ..Default::default()
            })
            .await?;
        self.stop().await?;

        // Every subscription's first period ends one month from now; the run comes a minute after.
        let anchor = store::time::now();
        let cycle = Cycle::new(Interval::Month, 1)?;
        let period_end = cycle.after(anchor, 1)?;
        self.seed_subscriptions(n, plan.id, group.id, anchor, period_end)
            .await?;
        let at = period_end
            .checked_add(jiff::SignedDuration::from_secs(60))
            .context("a renewal moment")?;

        let started = Instant::now();
        let mut runs = tokio::task::JoinSet::new();
        for _ in 0..processes {
            let (exe, url, at) = (self.exe.clone(), self.url.clone(), at.to_string());
            runs.spawn(async move { billing_run(&exe, &url, &at).await });
        }
        let mut issued = 0;
        while let Some(joined) = runs.join_next().await {
            issued += joined.context("a billing run task panicked")??;
        }
        let secs = started.elapsed().as_secs_f64();
        println!("{processes} billing run(s): {issued} invoices in {secs:.1} s");
        self.renewals.run_secs = Some(secs);
        self.renewals.issued = issued;
        self.renewals.rerun_issued = Some(billing_run(&self.exe, &self.url, &at.to_string()).await?);

        self.start().await?;
        self.read_back(plan.currency).await?;
        let base = self.server()?.base.clone();
        let seconds = Duration::from_secs(self.args.seconds.min(5));
        let healthz: MakeRequest = Arc::new({
            let url = format!("{base}/healthz");
            move |http: &reqwest::Client, _: &mut Rng| (http.get(&url), 0)
        });
        let mut h = load(&self.http, self.args.concurrency, seconds, false, healthz)
            .await
            .stats();
        h.name = "GET /healthz".into();
        println!("{}", h.line());
        self.renewals.healthz = Some(h);
        let page: MakeRequest = Arc::new({
            let url = format!("{base}/api/v1/invoices?limit=50");
            let token = self.token.clone();
            move |http: &reqwest::Client, _: &mut Rng| (http.get(&url).bearer_auth(&token), 0)
        });
        let mut p = load(&self.http, self.args.query_concurrency, seconds, false, page)
            .await
            .stats();
        p.name = "GET /api/v1/invoices?limit=50".into();
        println!("{}", p.line());
        self.renewals.invoice_page = Some(p);
        self.stop().await
    }

    /// `n` customers, each with a live subscription to `plan_id` in `group_id` whose period is
    /// `[anchor, period_end)`, in transactions of `--batch`.
    async fn seed_subscriptions(
        &mut self,
        n: u64,
        plan_id: i64,
        group_id: i64,
        anchor: domain::Timestamp,
        period_end: domain::Timestamp,
    ) -> anyhow::Result<()> {
        let settings = Settings {
            database_url: self.url.as_str().into(),
            ..Settings::default()
        };
        let store = ferrodesk::open_store(&settings).await?;
        let started = Instant::now();
        let currency = Currency::parse("EUR")?;
        let mut done = 0;
        while done < n {
            let end = (done + self.args.batch).min(n);
            let mut tx = store.write().await?;
            for k in done..end {
                let customer = tx
                    .insert_customer(
                        &Customer {
                            id: 0,
                            name: format!("Renewal customer {k}"),
                            email: None,
                            phone: None,
                            city: None,
                            country: None,
                            external_id: Some(format!("renewal-{k}")),
                            tags: vec![],
                            attributes: Default::default(),
                            created_at: anchor,
                            updated_at: anchor,
                            deleted_at: None,
                        },
                        &[],
                    )
                    .await?;
                tx.insert_subscription(&Subscription {
                    id: 0,
                    customer_id: customer.id,
                    plan_id,
                    group_id,
                    status: SubscriptionStatus::Active,
                    quantity: 1 + k % 5,
                    manual: false,
                    currency,
                    anchor,
                    current_period_start: anchor,
                    current_period_end: period_end,
                    trial_end: None,
                    cancel_at_period_end: false,
                    canceled_at: None,
                    balance: 0,
                    created_at: anchor,
                    updated_at: anchor,
                })
                .await?;
            }
            tx.commit().await?;
            done = end;
            if done % 20_000 == 0 || done == n {
                println!(
                    "  {done:>8} subscriptions seeded in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
        }
        store.close().await;
        self.renewals.seed_secs = started.elapsed().as_secs_f64();
        Ok(())
    }

    /// Reads every invoice back over the API: how many renew a period, how many periods are distinct,
    /// and whether each year's numbers run 1, 2, 3, … without a gap.
    async fn read_back(&mut self, currency: Currency) -> anyhow::Result<()> {
        let client = self.client()?;
        let (mut periods, mut found) = (BTreeSet::new(), 0u64);
        let mut numbers: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
        let mut cursor = None;
        loop {
            let page = client
                .invoices(&api_types::InvoiceQuery {
                    limit: Some(500),
                    cursor: cursor.take(),
                    ..Default::default()
                })
                .await?;
            for i in &page.data {
                if let (Some(s), Some(start)) = (i.subscription_id, i.period_start)
                    && i.currency == currency
                {
                    found += 1;
                    periods.insert((s, start));
                }
                if let Some((year, seq)) = i.number.as_deref().and_then(|n| n.split_once('-')) {
                    numbers.entry(year.to_owned()).or_default().push(seq.parse()?);
                }
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        self.renewals.found = found;
        self.renewals.distinct_periods = periods.len() as u64;
        self.renewals.gapless = numbers.values_mut().all(|seq| {
            seq.sort_unstable();
            seq.iter().enumerate().all(|(k, n)| *n == k as u64 + 1)
        });
        Ok(())
    }
}

/// Runs `ferrodesk billing run --now <at>` and answers how many invoices it issued (from its summary).
async fn billing_run(exe: &std::path::Path, url: &str, at: &str) -> anyhow::Result<u64> {
    let out = tokio::process::Command::new(exe)
        .args(["billing", "run", "--now", at, "--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .with_context(|| format!("cannot run {}", exe.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("billing run failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
    }
    stdout
        .split(" invoices issued")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no invoice count in the billing run's summary: {stdout}"))
}
