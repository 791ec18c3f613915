//! The integrations benchmark (`--integrations`, issue 13): the telephony screen pop of a brand whose
//! customers live behind a `webcall` backend answering in 5 ms (a stub web-call server on 127.0.0.1), at
//! c=1 beside the same run's `/healthz` latency; then ticket creation over JSON-RPC (`caseCreate`) against
//! the native `POST /api/v1/tickets` at the same concurrency, each beside the run's `/healthz` ceiling.
use super::pages::{Login, PASSWORD, log_in};
use super::*;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long the stub customer database takes to answer each web call.
const BACKEND_DELAY: Duration = Duration::from_millis(5);
/// Pops measured (each records a call and its `CallReceived` event).
const POPS: usize = 300;
/// Targets of issue 13.
const POP_P95_TARGET: Duration = Duration::from_millis(20);
const JSONRPC_SHARE_TARGET: f64 = 0.5;

#[derive(Default)]
pub(super) struct IntegrationsReport {
    healthz1: Option<Stats>,
    healthz_c: Option<Stats>,
    pop: Option<Stats>,
    backend_calls: u64,
    rest: Option<Stats>,
    jsonrpc: Option<Stats>,
}

impl IntegrationsReport {
    pub(super) fn print(&self, backend: &str) {
        println!();
        println!(
            "==== ferrodesk bench summary: integrations, {backend}, {} CPUs ====",
            cpus()
        );
        if let Some(h) = &self.healthz1 {
            println!(
                "/healthz c=1: p50 {} p95 {}   (latency baseline of this run)",
                ms(h.p50),
                ms(h.p95)
            );
        }
        if let Some(p) = &self.pop {
            println!(
                "screen pop through a webcall backend answering in {} ms, c=1: n {} p50 {} p95 {} p99 {} ({} web calls answered; target p95 ≤ {} ms): {}",
                BACKEND_DELAY.as_millis(),
                p.count,
                ms(p.p50),
                ms(p.p95),
                ms(p.p99),
                self.backend_calls,
                POP_P95_TARGET.as_millis(),
                verdict(p.p95 <= POP_P95_TARGET && p.errors == 0 && p.count > 0)
            );
        }
        let ceiling = self.healthz_c.as_ref().map(Stats::rps);
        if let Some(h) = &self.healthz_c {
            println!(
                "/healthz c={}: {:.0} req/s   (HTTP ceiling of this run)",
                h.concurrency,
                h.rps()
            );
        }
        let share =
            |s: &Stats| ceiling.map_or(String::new(), |c| format!(" ({:.0}% of /healthz)", 100.0 * s.rps() / c));
        for (label, stats) in [
            ("POST /api/v1/tickets", &self.rest),
            ("JSON-RPC caseCreate", &self.jsonrpc),
        ] {
            if let Some(s) = stats {
                println!(
                    "{label} c={}: {:.0} req/s{}, p50 {}, p95 {}, {} errors",
                    s.concurrency,
                    s.rps(),
                    share(s),
                    ms(s.p50),
                    ms(s.p95),
                    s.errors
                );
            }
        }
        if let (Some(rest), Some(rpc)) = (&self.rest, &self.jsonrpc) {
            let ratio = rpc.rps() / rest.rps().max(1e-9);
            println!(
                "caseCreate throughput = {:.0}% of the native create's (target ≥ {:.0}%): {}",
                100.0 * ratio,
                100.0 * JSONRPC_SHARE_TARGET,
                verdict(ratio >= JSONRPC_SHARE_TARGET && rpc.errors == 0)
            );
        }
    }
}

/// A customer database speaking the web-call protocol: every call waits [`BACKEND_DELAY`], a search by
/// phone finds one account, a load answers it.
async fn stub_backend() -> anyhow::Result<(String, Arc<AtomicU64>, tokio::task::JoinHandle<()>)> {
    const USERS: &str = r#"<?xml version="1.0" ?><users><user status="Active" userkey="jdoe" name="John%20Doe" email="johnd%40xyz%2Enet" phone="%28555%29%20555%2D0100" /></users>"#;
    const USERDATA: &str = r#"<?xml version="1.0" encoding="UTF-8"?><userdata><user userkey="jdoe" password="" status="Active" account="Doe%20Industries" /><contacts><contact firstname="John" lastname="Doe" aone="123%20Fake%20St%2E" atwo="" city="Anywhere" region="ZZ" pc="123456" country="" pphone="%28555%29%20555%2D0100" sphone="" pemail="johnd%40xyz%2Enet" semail="" mobile="" fax="" /></contacts><fielddata><field id="1" value="Gold" /></fielddata></userdata>"#;
    let calls = Arc::new(AtomicU64::new(0));
    let answer = |body: &'static str, calls: Arc<AtomicU64>| {
        move || {
            let calls = Arc::clone(&calls);
            async move {
                tokio::time::sleep(BACKEND_DELAY).await;
                calls.fetch_add(1, Ordering::Relaxed);
                ([("content-type", "text/xml")], body)
            }
        }
    };
    let app = axum::Router::new()
        .route("/search", axum::routing::post(answer(USERS, Arc::clone(&calls))))
        .route("/load", axum::routing::post(answer(USERDATA, Arc::clone(&calls))));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((base, calls, task))
}

impl Bench {
    pub(super) async fn run_integrations(&mut self) -> anyhow::Result<()> {
        let c = self.args.concurrency;
        println!(
            "ferrodesk bench: integrations on {} ({}), {} CPUs, {POPS} pops at c=1, {} s per create phase at c={c}",
            self.backend,
            ferrodesk::settings::mask_database_url(&self.url),
            cpus(),
            self.args.seconds,
        );
        let env = vec![("FERRODESK_WEBCALLS_ALLOW_PRIVATE".to_owned(), "true".to_owned())];
        self.start_with(&env).await?;
        self.refuse_non_empty().await?;
        let fixture = self.setup().await?;
        let base = self.server()?.base.clone();
        let fd = self.client()?;

        // A brand served by the stub customer database, an agent who takes its calls.
        let (backend, backend_calls, backend_task) = stub_backend().await?;
        let tag = format!("{:x}", jiff::Timestamp::now().as_microsecond());
        let brand = fd
            .create_brand(&NewBrand {
                name: "Call Centre".into(),
                slug: Some(format!("call-centre-{tag}")),
                greeting: Some("Thank you for calling the call centre. May I have your account number?".into()),
                customer_backend: Some("webcall".into()),
                webcall: Some(api_types::WebcallInput {
                    search_url: format!("{backend}/search"),
                    load_url: format!("{backend}/load"),
                    int_user: Some("bench".into()),
                    int_pass: Some("bench".into()),
                    timeout_ms: Some(2_000),
                    ..api_types::WebcallInput::default()
                }),
                acknowledge_new_tickets: None,
            })
            .await
            .context("creating the webcall brand")?;
        let agent = fd
            .create_staff(&api_types::NewStaff {
                email: format!("phones+{tag}@bench.example"),
                name: "Phone Agent".into(),
                role: api_types::Role::Agent,
                password: PASSWORD.into(),
                department_ids: None,
            })
            .await
            .context("creating the agent")?;
        let browser = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        let Login { cookie } = log_in(&browser, &base, &agent.email).await?;

        let healthz = format!("{base}/healthz");
        self.integrations.healthz1 = Some(
            self.phase("GET /healthz", 1, false, move |http: &reqwest::Client, _: &mut Rng| {
                (http.get(&healthz), 0)
            })
            .await
            .stats(),
        );
        let pop_url = format!(
            "{base}/integrations/telephony/pop?company=1&brand={}&ani=%2B1-555-555-0100",
            brand.id
        );
        let before = backend_calls.load(Ordering::Relaxed);
        let mut samples = Vec::with_capacity(POPS);
        let mut errors = 0;
        let started = Instant::now();
        for n in 0..POPS + 10 {
            let t0 = Instant::now();
            let response = browser
                .get(format!("{pop_url}&callid=bench-{tag}-{n}"))
                .header(reqwest::header::COOKIE, &cookie)
                .send()
                .await;
            let ok = match response {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            // The first ten warm the connection and the caches, unmeasured.
            if n >= 10 {
                if ok {
                    samples.push(t0.elapsed());
                } else {
                    errors += 1;
                }
            }
        }
        let mut pop = Stats::of(samples, started.elapsed());
        pop.name = "GET /integrations/telephony/pop".into();
        pop.concurrency = 1;
        pop.errors = errors;
        println!(
            "{:<42} c=1 {:>9} ok {:>5} err  p50 {} p95 {} p99 {}",
            pop.name,
            pop.count,
            pop.errors,
            ms(pop.p50),
            ms(pop.p95),
            ms(pop.p99)
        );
        self.integrations.pop = Some(pop);
        self.integrations.backend_calls = backend_calls.load(Ordering::Relaxed) - before;
        backend_task.abort();

        // Creates: native REST, then JSON-RPC caseCreate, at the same concurrency.
        self.integrations.healthz_c = Some(self.healthz_phase(&base).await);
        let vocab = Arc::new(Vocabulary::new(VOCABULARY, 0x5eed_f00d));
        let create = create_request(&base, &self.token, fixture, vocab);
        self.integrations.rest = Some(self.phase("POST /api/v1/tickets", c, false, create).await.stats());
        let session = self.jsonrpc_connect(&base, &agent.email).await?;
        let rpc_url = format!("{base}/api/jsonrpc");
        let (department, user) = (fixture.department, fixture.end_user);
        let case_create = move |http: &reqwest::Client, rng: &mut Rng| {
            let body = serde_json::json!({
                "jsonrpc": "2.0",
                "method": "caseCreate",
                "params": {
                    "did": department,
                    "title": format!("Phone order {}", rng.below(1_000_000)),
                    "message": "The caller cannot log in to the control panel since this morning.",
                    "user_id": user,
                    "session": session,
                },
                "id": 1,
            });
            (http.post(&rpc_url).json(&body), 0)
        };
        // JSON-RPC answers its errors with 200: one call is checked for a created case before the phase.
        let (probe, _) = case_create(&self.http, &mut Rng::new(7));
        let answer: serde_json::Value = probe.send().await?.json().await?;
        if answer["result"]["id"].as_i64().is_none() {
            bail!("caseCreate did not create a case: {answer}");
        }
        let out = self.phase("JSON-RPC caseCreate", c, false, case_create).await;
        self.integrations.jsonrpc = Some(out.stats());
        self.stop().await
    }

    /// A JSON-RPC session key for a staff member (`connect`).
    async fn jsonrpc_connect(&self, base: &str, email: &str) -> anyhow::Result<String> {
        let answer: serde_json::Value = self
            .http
            .post(format!("{base}/api/jsonrpc"))
            .json(&serde_json::json!({
                "jsonrpc": "2.0",
                "method": "connect",
                "params": {"username": email, "password": PASSWORD},
                "id": 1,
            }))
            .send()
            .await?
            .json()
            .await?;
        answer["result"]
            .as_str()
            .map(str::to_owned)
            .or_else(|| answer["result"]["session"].as_str().map(str::to_owned))
            .with_context(|| format!("connect answered no session key: {answer}"))
    }
}
