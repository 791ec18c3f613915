//! The hooks-and-webhooks benchmark (`--webhooks N`, issue 11): ticket creation at c=1 and c=N with no
//! hooks, then with one validation hook and one event hook installed (what a validation hook adds to a
//! create, and the throughput that stays); then N events written straight into the outbox and fanned out
//! to a webhook receiver on 127.0.0.1 (deliveries per second, from the server's start to the last one
//! received). The same run's `/healthz` ceiling is printed beside every throughput.
use super::*;
use domain::event::{EntityType, EventAction, EventSource, NewEvent};
use std::sync::atomic::{AtomicU64, Ordering};

/// The figures of a webhook run.
#[derive(Default)]
pub(super) struct WebhookReport {
    pub(super) healthz: Option<Stats>,
    pub(super) plain1: Option<Stats>,
    pub(super) plain_c: Option<Stats>,
    pub(super) hooked1: Option<Stats>,
    pub(super) hooked_c: Option<Stats>,
    pub(super) events: u64,
    pub(super) fan_out_secs: Option<f64>,
    pub(super) received: u64,
}

const VALIDATION_AND_EVENT_HOOKS: &str = r#"
hook("TicketAdminCreateValidation", 1, |params| {
    if params.title.len() < 3 { return #{ error: "Titles need three characters" }; }
});
hook("TicketAdminCreated", 1, |params| {
    let words = params.title.split(" ");
    words.len()
});
"#;

impl WebhookReport {
    pub(super) fn print(&self, backend: &str) {
        println!();
        println!(
            "==== ferrodesk bench summary: hooks and webhooks, {backend}, {} CPUs ====",
            cpus()
        );
        let ceiling = self.healthz.as_ref().map(Stats::rps);
        let share =
            |s: &Stats| ceiling.map_or(String::new(), |c| format!(" ({:.0}% of /healthz)", 100.0 * s.rps() / c));
        if let Some(h) = &self.healthz {
            println!(
                "/healthz c={}: {:.0} req/s, p50 {}   (HTTP ceiling of this run)",
                h.concurrency,
                h.rps(),
                ms(h.p50)
            );
        }
        for (label, stats) in [
            ("create, no hooks", &self.plain1),
            ("create, no hooks", &self.plain_c),
            ("create, 1 validation + 1 event hook", &self.hooked1),
            ("create, 1 validation + 1 event hook", &self.hooked_c),
        ] {
            if let Some(s) = stats {
                println!(
                    "{label} c={}: {:.0} req/s{}, p50 {}, p95 {}",
                    s.concurrency,
                    s.rps(),
                    share(s),
                    ms(s.p50),
                    ms(s.p95)
                );
            }
        }
        if let (Some(a), Some(b)) = (&self.plain1, &self.hooked1) {
            let added = b.p50.as_secs_f64() - a.p50.as_secs_f64();
            println!(
                "a validation hook adds {:.3} ms to a create at c=1 (p50 {} vs {}; target ≤ 0.2 ms): {}",
                added * 1e3,
                ms(b.p50),
                ms(a.p50),
                verdict(added <= 0.000_2)
            );
        }
        if let Some(s) = &self.hooked_c {
            println!(
                "create with hooks at c={}: {:.0}/s (target ≥ 3,000/s): {}",
                s.concurrency,
                s.rps(),
                verdict(s.rps() >= 3_000.0)
            );
        }
        if let Some(secs) = self.fan_out_secs {
            let rate = self.received as f64 / secs.max(1e-9);
            println!(
                "webhook fan-out: {} events delivered to a loopback receiver in {secs:.2} s = {rate:.0} deliveries/s{} (target ≥ 2,000/s): {}",
                self.received,
                ceiling.map_or(String::new(), |c| format!(" ({:.0}% of /healthz)", 100.0 * rate / c)),
                verdict(rate >= 2_000.0)
            );
        }
    }
}

/// A receiver that answers 200 and counts what it got.
async fn receiver() -> anyhow::Result<(String, Arc<AtomicU64>, tokio::task::JoinHandle<()>)> {
    let count = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&count);
    let app = axum::Router::new().fallback(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::Relaxed);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, count, task))
}

impl Bench {
    pub(super) async fn run_webhooks(&mut self, events: u64) -> anyhow::Result<()> {
        println!(
            "ferrodesk bench: hooks and webhooks on {} ({}), {} CPUs, {} s per phase, c={}, {events} events to fan out",
            self.backend,
            ferrodesk::settings::mask_database_url(&self.url),
            cpus(),
            self.args.seconds,
            self.args.concurrency,
        );
        let c = self.args.concurrency;
        let vocab = Arc::new(Vocabulary::new(VOCABULARY, 0x5eed_f00d));
        let empty_hooks = std::env::temp_dir().join(format!("ferrodesk-bench-nohooks-{}", std::process::id()));
        let hooks = std::env::temp_dir().join(format!("ferrodesk-bench-hooks-{}", std::process::id()));
        std::fs::create_dir_all(&empty_hooks)?;
        std::fs::create_dir_all(&hooks)?;
        std::fs::write(hooks.join("bench.rhai"), VALIDATION_AND_EVENT_HOOKS)?;
        let env = |dir: &std::path::Path| {
            vec![
                ("FERRODESK_HOOKS_DIR".to_owned(), dir.display().to_string()),
                ("FERRODESK_WEBHOOKS_ALLOW_PRIVATE".to_owned(), "true".to_owned()),
            ]
        };

        self.start_with(&env(&empty_hooks)).await?;
        self.refuse_non_empty().await?;
        let fixture = self.setup().await?;
        let base = self.server()?.base.clone();
        self.webhooks.healthz = Some(self.healthz_phase(&base).await);
        let create = create_request(&base, &self.token, fixture, vocab.clone());
        self.webhooks.plain1 = Some(
            self.phase("POST /api/v1/tickets (no hooks)", 1, false, create.clone())
                .await
                .stats(),
        );
        self.webhooks.plain_c = Some(
            self.phase("POST /api/v1/tickets (no hooks)", c, false, create)
                .await
                .stats(),
        );
        self.stop().await?;

        self.start_with(&env(&hooks)).await?;
        let base = self.server()?.base.clone();
        let create = create_request(&base, &self.token, fixture, vocab.clone());
        self.webhooks.hooked1 = Some(
            self.phase("POST /api/v1/tickets (hooks)", 1, false, create.clone())
                .await
                .stats(),
        );
        self.webhooks.hooked_c = Some(
            self.phase("POST /api/v1/tickets (hooks)", c, false, create)
                .await
                .stats(),
        );

        // The fan-out: a webhook for every event, N events written into the outbox while the server is
        // stopped, then the time from its start until the receiver has them all.
        let (url, received, receiver_task) = receiver().await?;
        let admin = ferrodesk_client::Client::new(&base, &self.token)?;
        admin
            .create_webhook(&api_types::NewWebhook {
                url,
                events: Some(vec!["TicketAdminCreated".into()]),
                ..api_types::NewWebhook::default()
            })
            .await
            .context("creating the webhook")?;
        // Let the outbox finish the create phases' events before the server stops.
        tokio::time::sleep(Duration::from_secs(3)).await;
        self.stop().await?;
        let already = received.load(Ordering::Relaxed);
        self.seed_events(events).await?;
        self.webhooks.events = events;
        let started = Instant::now();
        self.start_with(&env(&empty_hooks)).await?;
        let deadline = started + Duration::from_secs(600);
        while received.load(Ordering::Relaxed) < already + events {
            if Instant::now() > deadline {
                bail!(
                    "only {} of {events} deliveries within 600 s",
                    received.load(Ordering::Relaxed) - already
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        self.webhooks.fan_out_secs = Some(started.elapsed().as_secs_f64());
        self.webhooks.received = received.load(Ordering::Relaxed) - already;
        receiver_task.abort();
        let _ = std::fs::remove_dir_all(&empty_hooks);
        let _ = std::fs::remove_dir_all(&hooks);
        Ok(())
    }

    /// Writes `n` pending `TicketAdminCreated` events straight into the outbox, 1,000 per transaction.
    async fn seed_events(&self, n: u64) -> anyhow::Result<()> {
        let settings = Settings {
            database_url: self.url.as_str().into(),
            ..Settings::default()
        };
        let store = ferrodesk::open_store(&settings).await?;
        let started = Instant::now();
        let mut written = 0;
        while written < n {
            let mut tx = store.write().await?;
            for _ in 0..(n - written).min(1_000) {
                written += 1;
                tx.insert_event(&NewEvent {
                    source: EventSource::Api,
                    member_id: None,
                    member_type: None,
                    url: Some("/api/v1/tickets".into()),
                    action: EventAction::Created,
                    name: Some("TicketAdminCreated"),
                    entity: EntityType::Ticket,
                    entity_id: i64::try_from(written).unwrap_or(i64::MAX),
                    customer_id: None,
                    value: serde_json::json!({"id": written, "title": "Fan-out"}),
                    old: serde_json::Value::Null,
                })
                .await?;
            }
            tx.commit().await?;
        }
        store.close().await;
        println!(
            "wrote {n} events into the outbox in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
