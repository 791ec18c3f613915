//! `ferrodesk bench`: starts this very binary as a server on a loopback port and measures it.
//!
//! A benchmark, not a test: it prints figures (throughput, latency percentiles, idle memory, start-to-ready
//! time) next to the targets the project holds itself to. Everything it talks to is `127.0.0.1`; the server
//! is a child process that is stopped with SIGTERM between phases and killed if the bench fails.
//!
//! Phases: `/healthz` at c=N (the HTTP ceiling of this machine), ticket creation at c=1 and c=N, ticket
//! GET and list at c=N; then the server stops, the bench seeds `--tickets` tickets (each with an opening
//! message and three replies) straight through the store, restarts the server on the now large database
//! and measures full-text search (`/api/v1/search`) and the ticket list's `q=` filter.
use anyhow::{Context, bail};
use api_types::{NewBrand, NewCustomer, NewDepartment, NewEndUser, NewTicket, TicketQuery};
use clap::Args;
use domain::{Customer, EndUser, Priority, Reply, Ticket, TicketStatus};
use ferrodesk::settings::Settings;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::Child;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Tickets to seed through the store (each with an opening message and 3 replies) before the search phase.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: u64,
    /// Seconds each load phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent requests in the concurrent phases.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Concurrent requests in the search phases (1 measures latency without queueing).
    #[arg(long, default_value_t = 1)]
    search_concurrency: usize,
    /// Tickets per transaction while seeding.
    #[arg(long, default_value_t = 500)]
    batch: u64,
    /// Only the search phases, on a database seeded by an earlier run (`--keep`, or PostgreSQL) with the same
    /// --tickets; the seeded text is replayed to know how frequent each word is.
    #[arg(long)]
    search_only: bool,
    /// Concurrent seeding transactions (default 1 on SQLite, which has one writer, 2 on PostgreSQL).
    #[arg(long)]
    seed_writers: Option<usize>,
    /// Keep the temporary SQLite database instead of deleting it at the end.
    #[arg(long)]
    keep: bool,
    /// Run even if the database already holds tickets (the bench adds a million of them).
    #[arg(long)]
    allow_existing: bool,
}

/// Words in the generated vocabulary; their frequencies follow Zipf's law (exponent 1).
const VOCABULARY: usize = 5_000;
/// Replies after the opening message of every seeded ticket.
const REPLIES: usize = 3;
/// Customers (with two end users each) the seeded tickets are spread over.
const CUSTOMERS: usize = 200;
const MB: f64 = 1024.0 * 1024.0;

// ---------------------------------------------------------------- entry point

pub async fn run(args: BenchArgs, database_url: Option<String>) -> anyhow::Result<()> {
    if args.concurrency == 0 || args.search_concurrency == 0 || args.seconds == 0 || args.batch == 0 {
        bail!("--concurrency, --search-concurrency, --seconds and --batch must be at least 1");
    }
    if args.search_only && database_url.is_none() {
        bail!("--search-only needs --database-url: the database seeded by an earlier run");
    }
    let exe = std::env::current_exe().context("cannot find the ferrodesk executable")?;
    let (url, temp_dir) = match database_url {
        Some(url) => (url, None),
        None => {
            let dir = std::env::temp_dir().join(format!(
                "ferrodesk-bench-{}-{}",
                std::process::id(),
                jiff::Timestamp::now().as_millisecond()
            ));
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            (format!("sqlite://{}/bench.db", dir.display()), Some(dir))
        }
    };
    let mut bench = Bench::new(args, exe, url)?;
    let outcome = tokio::select! {
        outcome = bench.run() => outcome,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    // Whatever happened, no server outlives the bench (dropping a child kills it as well).
    if let Some(server) = bench.server.take() {
        let _ = server.stop().await;
    }
    if let Some(dir) = temp_dir {
        if bench.args.keep {
            println!("kept the database in {}", dir.display());
        } else if let Err(e) = std::fs::remove_dir_all(&dir) {
            eprintln!("warning: cannot remove {}: {e}", dir.display());
        }
    }
    // The figures measured so far, also when a later phase failed.
    bench.report.print();
    outcome
}

struct Bench {
    args: BenchArgs,
    exe: PathBuf,
    url: String,
    backend: &'static str,
    token: String,
    http: reqwest::Client,
    server: Option<ServerProcess>,
    report: Report,
}

/// What the setup phase created over the API.
#[derive(Clone, Copy)]
struct Fixture {
    department: i64,
    end_user: i64,
}

impl Bench {
    fn new(args: BenchArgs, exe: PathBuf, url: String) -> anyhow::Result<Self> {
        let backend = if url.starts_with("sqlite:") {
            "sqlite"
        } else {
            "postgres"
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(args.concurrency.max(args.search_concurrency) * 2)
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client")?;
        let report = Report {
            backend,
            tickets: args.tickets,
            seconds: args.seconds,
            concurrency: args.concurrency,
            search_concurrency: args.search_concurrency,
            ..Report::default()
        };
        Ok(Self {
            args,
            exe,
            url,
            backend,
            token: app::auth::new_token_secret(),
            http,
            server: None,
            report,
        })
    }

    fn server(&self) -> anyhow::Result<&ServerProcess> {
        self.server.as_ref().context("the server is not running")
    }

    async fn start(&mut self) -> anyhow::Result<Duration> {
        let server = ServerProcess::start(&self.exe, &self.url, &self.token, &self.http).await?;
        let ready = server.ready_after;
        self.server = Some(server);
        Ok(ready)
    }

    async fn stop(&mut self) -> anyhow::Result<()> {
        match self.server.take() {
            Some(server) => server.stop().await,
            None => Ok(()),
        }
    }

    /// Resident memory of the server after a second without requests.
    async fn idle_rss(&self) -> anyhow::Result<u64> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.server()?.rss_bytes()
    }

    async fn run(&mut self) -> anyhow::Result<()> {
        println!(
            "ferrodesk bench: {} ({}), {} CPUs, {} s per phase, c={}, {} tickets to seed{}",
            self.backend,
            mask_url(&self.url),
            cpus(),
            self.args.seconds,
            self.args.concurrency,
            self.args.tickets,
            if self.args.search_only {
                " (--search-only: seeded by an earlier run)"
            } else {
                ""
            }
        );
        let vocab = Arc::new(Vocabulary::new(VOCABULARY, 0x5eed_f00d));
        let frequencies = if self.args.search_only {
            let started = Instant::now();
            let mut text = SeedText::new(&vocab);
            let mut ticket = SeedTicket::default();
            for n in 0..self.args.tickets {
                text.next(n, &mut ticket);
            }
            println!(
                "replayed the text of {} seeded tickets in {:.1} s (for the words' frequencies)",
                self.args.tickets,
                started.elapsed().as_secs_f64()
            );
            text.document_frequency
        } else {
            let fixture = self.load_phases().await?;
            self.seed(fixture, &vocab).await?
        };
        self.flush_and_warm().await?;
        self.search_phases(vocab, &frequencies).await
    }

    /// Start-to-ready and idle memory, then the HTTP phases on a small database.
    async fn load_phases(&mut self) -> anyhow::Result<Fixture> {
        let c = self.args.concurrency;
        let vocab = Arc::new(Vocabulary::new(VOCABULARY, 0x5eed_f00d));
        // Start-to-ready: once on the fresh database (creating it), then again on the existing one.
        let fresh = self.start().await?;
        println!("start to ready, fresh database: {}", ms(fresh));
        self.refuse_non_empty().await?;
        self.stop().await?;
        let existing = self.start().await?;
        println!("start to ready, existing database: {}", ms(existing));
        self.report.ready_fresh = Some(fresh);
        self.report.ready_existing = Some(existing);
        let rss = self.idle_rss().await?;
        println!("idle RSS: {:.1} MB", rss as f64 / MB);
        self.report.rss_idle = Some(rss);

        let fixture = self.setup().await?;
        let base = self.server()?.base.clone();

        let healthz = self
            .phase("GET /healthz", c, false, {
                let url = format!("{base}/healthz");
                move |http: &reqwest::Client, _rng: &mut Rng| (http.get(&url), 0)
            })
            .await;
        self.report.healthz = Some(healthz.stats());

        let create = create_request(&base, &self.token, fixture, vocab.clone());
        let create1 = self.phase("POST /api/v1/tickets", 1, true, create.clone()).await;
        self.report.create1 = Some(create1.stats());
        let create_c = self.phase("POST /api/v1/tickets", c, true, create).await;
        self.report.create_c = Some(create_c.stats());

        let mut ids = create1.ids;
        ids.extend(create_c.ids);
        if ids.is_empty() {
            bail!("no ticket was created; see the errors above");
        }
        let ids = Arc::new(ids);
        let get = self
            .phase(
                "GET /api/v1/tickets/{id}",
                c,
                false,
                get_request(&base, &self.token, ids.clone()),
            )
            .await;
        self.report.get = Some(get.stats());
        let list = self
            .phase(
                "GET /api/v1/tickets?limit=50",
                c,
                false,
                list_request(&base, &self.token),
            )
            .await;
        self.report.list = Some(list.stats());
        let rss = self.idle_rss().await?;
        println!("RSS after load: {:.1} MB", rss as f64 / MB);
        self.report.rss_after_load = Some(rss);
        self.stop().await?;

        Ok(fixture)
    }

    /// Search and the ticket list's full-text filter on the seeded database, then GET and list again.
    async fn search_phases(&mut self, vocab: Arc<Vocabulary>, frequencies: &[u32]) -> anyhow::Result<()> {
        let c = self.args.concurrency;
        let ready = self.start().await?;
        println!(
            "start to ready, existing database with the seeded tickets: {}",
            ms(ready)
        );
        self.report.ready_seeded = Some(ready);
        let rss = self.idle_rss().await?;
        println!("idle RSS on the seeded database: {:.1} MB", rss as f64 / MB);
        self.report.rss_idle_seeded = Some(rss);

        let base = self.server()?.base.clone();
        let queries = Arc::new(QueryMix::new(vocab, frequencies, self.args.tickets));
        println!("search queries: {}", queries.describe());
        let sc = self.args.search_concurrency;
        // Unmeasured: the first queries after a start fill the server's and the database's caches.
        let warm_up = Duration::from_secs(self.args.seconds.min(3));
        let warm = load(
            &self.http,
            sc,
            warm_up,
            false,
            Arc::new(search_request(&base, &self.token, queries.clone())),
        )
        .await;
        println!(
            "search warm-up (not measured): {} queries in {:.1} s",
            warm.samples.len(),
            warm.elapsed.as_secs_f64()
        );
        let search = self
            .phase(
                "GET /api/v1/search?types=tickets",
                sc,
                false,
                search_request(&base, &self.token, queries.clone()),
            )
            .await;
        self.report.search = Some(search.stats());
        self.report.search_bands = queries.band_stats(&search);
        let list_q = self
            .phase(
                "GET /api/v1/tickets?q=",
                sc,
                false,
                list_q_request(&base, &self.token, queries.clone()),
            )
            .await;
        self.report.list_q = Some(list_q.stats());
        self.report.list_q_bands = queries.band_stats(&list_q);

        // GET and list again, now on the large database.
        let max_id = self.max_ticket_id().await?;
        let get = self
            .phase(
                "GET /api/v1/tickets/{id} (seeded)",
                c,
                false,
                get_request(&base, &self.token, Arc::new(vec![-max_id])),
            )
            .await;
        self.report.get_seeded = Some(get.stats());
        let list = self
            .phase(
                "GET /api/v1/tickets?limit=50 (seeded)",
                c,
                false,
                list_request(&base, &self.token),
            )
            .await;
        self.report.list_seeded = Some(list.stats());
        let rss = self.idle_rss().await?;
        println!("RSS after the search phases: {:.1} MB", rss as f64 / MB);
        self.report.rss_after_search = Some(rss);
        self.stop().await?;
        Ok(())
    }

    fn client(&self) -> anyhow::Result<ferrodesk_client::Client> {
        Ok(ferrodesk_client::Client::new(&self.server()?.base, &self.token)?)
    }

    /// The bench writes a million tickets: never into a database that already has some, unless asked.
    async fn refuse_non_empty(&self) -> anyhow::Result<()> {
        let page = self
            .client()?
            .tickets(&TicketQuery {
                limit: Some(1),
                ..TicketQuery::default()
            })
            .await?;
        if !page.data.is_empty() && !self.args.allow_existing {
            bail!(
                "the database already holds tickets; give the URL of an empty database (or --allow-existing \
                 to add the bench's tickets to it anyway)"
            );
        }
        Ok(())
    }

    async fn max_ticket_id(&self) -> anyhow::Result<i64> {
        let page = self
            .client()?
            .tickets(&TicketQuery {
                limit: Some(1),
                ..TicketQuery::default()
            })
            .await?;
        page.data.first().map(|t| t.id).context("no tickets after seeding")
    }

    /// A brand, a department, a customer and an end user for the tickets, through the typed client.
    async fn setup(&self) -> anyhow::Result<Fixture> {
        let fd = self.client()?;
        let tag = format!("{:x}", jiff::Timestamp::now().as_microsecond());
        let brand = fd
            .create_brand(&NewBrand {
                name: format!("Bench {tag}"),
                slug: Some(format!("bench-{tag}")),
                ..NewBrand::default()
            })
            .await
            .context("creating the brand")?;
        let department = fd
            .create_department(&NewDepartment {
                brand_id: brand.id,
                name: format!("Bench support {tag}"),
                slug: Some(format!("bench-support-{tag}")),
                ..NewDepartment::default()
            })
            .await
            .context("creating the department")?;
        let customer = fd
            .create_customer(&NewCustomer {
                name: "Bench Customer Ltd".into(),
                email: Some(format!("billing+{tag}@bench.example")),
                ..NewCustomer::default()
            })
            .await
            .context("creating the customer")?;
        let end_user = fd
            .create_end_user(&NewEndUser {
                customer_id: customer.id,
                name: "Bench Requester".into(),
                email: Some(format!("requester+{tag}@bench.example")),
                ..NewEndUser::default()
            })
            .await
            .context("creating the end user")?;
        Ok(Fixture {
            department: department.id,
            end_user: end_user.id,
        })
    }

    async fn phase<F>(&self, name: &str, concurrency: usize, want_ids: bool, make: F) -> PhaseOutput
    where
        F: Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static,
    {
        let out = load(
            &self.http,
            concurrency,
            Duration::from_secs(self.args.seconds),
            want_ids,
            Arc::new(make),
        )
        .await;
        let mut stats = out.stats();
        stats.name = name.to_owned();
        println!("{}", stats.line());
        if let Some(e) = &out.first_error {
            println!("  first error: {e}");
        }
        PhaseOutput {
            name: name.to_owned(),
            ..out
        }
    }

    /// Writes `--tickets` tickets straight through the store, in transactions of `--batch`, and returns how
    /// many seeded tickets contain each vocabulary word (document frequency, by rank).
    async fn seed(&mut self, fixture: Fixture, vocab: &Vocabulary) -> anyhow::Result<Vec<u32>> {
        let total = self.args.tickets;
        if total == 0 {
            return Ok(vec![0u32; vocab.len()]);
        }
        let settings = Settings {
            database_url: self.url.clone(),
            ..Settings::default()
        };
        let store = ferrodesk::open_store(&settings).await?;
        let started = Instant::now();
        let at = store::time::now();

        // Requesters: a few hundred customers with two people each.
        let mut people = Vec::with_capacity(CUSTOMERS * 2);
        let mut tx = store.write().await?;
        let mut rng = Rng::new(0xc0ff_ee00);
        for i in 0..CUSTOMERS {
            let customer = tx
                .insert_customer(&Customer {
                    id: 0,
                    name: format!("{} {}", capitalized(vocab.word(vocab.sample(&mut rng))), "Ltd"),
                    email: Some(format!("accounts{i}@customer{i}.example")),
                    phone: None,
                    external_id: None,
                    tags: vec![],
                    created_at: at,
                    updated_at: at,
                    deleted_at: None,
                })
                .await?;
            for j in 0..2 {
                let user = tx
                    .insert_end_user(
                        &EndUser {
                            id: 0,
                            customer_id: customer.id,
                            name: format!("Person {j} of customer {i}"),
                            email: Some(format!("person{j}@customer{i}.example")),
                            phone: None,
                            tags: vec![],
                            has_password: false,
                            created_at: at,
                            updated_at: at,
                            deleted_at: None,
                        },
                        None,
                    )
                    .await?;
                people.push((user.id, user.name, customer.id));
            }
        }
        tx.commit().await?;

        let writers = self.args.seed_writers.unwrap_or(if self.backend == "sqlite" { 1 } else { 2 }).max(1);
        println!(
            "seeding {total} tickets with {} messages each through the store ({writers} writer{}, {} per transaction) ...",
            REPLIES + 1,
            if writers == 1 { "" } else { "s" },
            self.args.batch
        );
        // One task generates the (deterministic) text; `writers` tasks write batches of it, each in one
        // transaction.
        let people = Arc::new(people);
        let now_us = store::time::to_micros(at);
        let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (send, receive) = tokio::sync::mpsc::channel::<Vec<(u64, SeedTicket)>>(writers * 2);
        let receive = Arc::new(tokio::sync::Mutex::new(receive));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..writers {
            let (store, people, done, receive) = (store.clone(), people.clone(), done.clone(), receive.clone());
            let department = fixture.department;
            tasks.spawn(async move {
                loop {
                    let Some(batch) = receive.lock().await.recv().await else {
                        return anyhow::Ok(());
                    };
                    let mut tx = store.write().await?;
                    for (n, t) in &batch {
                        let (user_id, user_name, customer_id) = &people[t.person % people.len()];
                        // Ten tickets a minute, the newest now.
                        let ctime = store::time::from_micros(now_us - (total - n) as i64 * 6_000_000);
                        let ticket = tx
                            .insert_ticket(&Ticket {
                                id: 0,
                                did: department,
                                user_id: *user_id,
                                customer_id: *customer_id,
                                status: t.status,
                                locked: t.locked,
                                priority: t.priority,
                                title: t.title.clone(),
                                ctime,
                                lastreply: ctime,
                                read_by_customer: true,
                                read_by_staff: t.read_by_staff,
                                service: None,
                                assigned: None,
                                assigned_by: None,
                                custom_fields: serde_json::Map::new(),
                                redeemed: vec![],
                                account_key: None,
                                updated_at: ctime,
                                replies: None,
                            })
                            .await?;
                        for (k, message) in t.messages.iter().enumerate() {
                            let staff = k % 2 == 1;
                            tx.insert_reply(&Reply {
                                id: 0,
                                owner_id: ticket.id,
                                user_id: if staff { 0 } else { *user_id },
                                admin: staff,
                                name: if staff { "Support".to_owned() } else { user_name.clone() },
                                encrypted: false,
                                message: message.clone(),
                                ctime,
                                ip: None,
                                internal: false,
                            })
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    let before = done.fetch_add(batch.len() as u64, std::sync::atomic::Ordering::Relaxed);
                    let after = before + batch.len() as u64;
                    if after / 100_000 > before / 100_000 || after == total {
                        let secs = started.elapsed().as_secs_f64();
                        println!("  {after:>9} tickets in {secs:>6.1} s ({:.0} tickets/s)", after as f64 / secs.max(1e-9));
                    }
                }
            });
        }
        let mut text = SeedText::new(vocab);
        let mut n = 0u64;
        while n < total {
            let size = self.args.batch.min(total - n);
            let mut batch = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let mut t = SeedTicket::default();
                text.next(n, &mut t);
                batch.push((n, t));
                n += 1;
            }
            if send.send(batch).await.is_err() {
                break; // a writer failed; its error is reported below
            }
        }
        drop(send);
        while let Some(joined) = tasks.join_next().await {
            joined.context("a seeding task panicked")??;
        }
        store.close().await;
        let secs = started.elapsed().as_secs_f64();
        self.report.seed = Some((total, secs));
        Ok(text.document_frequency)
    }

    /// Seeding leaves gigabytes of dirty pages behind: flush them, so that the restart and the searches do
    /// not queue behind write-back. On SQLite, also read the database file once, so the searches run on a warm
    /// page cache, as on a server that has been up for a while (PostgreSQL keeps what it just wrote cached).
    async fn flush_and_warm(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        tokio::process::Command::new("sync")
            .status()
            .await
            .context("cannot run sync")?;
        println!("flushed dirty pages (sync) in {:.1} s", started.elapsed().as_secs_f64());
        if let Some(path) = sqlite_file(&self.url) {
            let started = Instant::now();
            let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
                use std::io::Read;
                let mut file = std::fs::File::open(&path)?;
                let mut buf = vec![0u8; 1 << 20];
                let mut total = 0u64;
                loop {
                    match file.read(&mut buf)? {
                        0 => return Ok(total),
                        n => total += n as u64,
                    }
                }
            })
            .await
            .context("warming the page cache")??;
            println!(
                "read the database file ({:.2} GB) into the page cache in {:.1} s",
                bytes as f64 / 1e9,
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    }
}

/// The file behind a `sqlite:` URL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

// ---------------------------------------------------------------- requests

fn create_request(
    base: &str,
    token: &str,
    fixture: Fixture,
    vocab: Arc<Vocabulary>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Clone + Send + Sync + 'static {
    let url = format!("{base}/api/v1/tickets");
    let token = token.to_owned();
    move |http, rng| {
        let mut words = Vec::new();
        let mut title = String::new();
        let mut message = String::new();
        vocab.title(rng, &mut title, &mut words);
        vocab.message(rng, &mut message, &mut words);
        let body = NewTicket {
            did: fixture.department,
            title,
            message,
            user_id: Some(fixture.end_user),
            ..NewTicket::default()
        };
        (http.post(&url).bearer_auth(&token).json(&body), 0)
    }
}

/// `ids` are the tickets to pick from; a single negative entry `-n` means "any id in 1..=n".
fn get_request(
    base: &str,
    token: &str,
    ids: Arc<Vec<i64>>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let base = base.to_owned();
    let token = token.to_owned();
    move |http, rng| {
        let id = match ids.as_slice() {
            [n] if *n < 0 => 1 + rng.below(n.unsigned_abs()) as i64,
            ids => ids[rng.below(ids.len() as u64) as usize],
        };
        (http.get(format!("{base}/api/v1/tickets/{id}")).bearer_auth(&token), 0)
    }
}

fn list_request(
    base: &str,
    token: &str,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let url = format!("{base}/api/v1/tickets?limit=50");
    let token = token.to_owned();
    move |http, _rng| (http.get(&url).bearer_auth(&token), 0)
}

fn search_request(
    base: &str,
    token: &str,
    queries: Arc<QueryMix>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let url = format!("{base}/api/v1/search");
    let token = token.to_owned();
    move |http, rng| {
        let (q, band) = queries.pick(rng);
        let rb = http
            .get(&url)
            .query(&[("q", q.as_str()), ("types", "tickets")])
            .bearer_auth(&token);
        (rb, band)
    }
}

fn list_q_request(
    base: &str,
    token: &str,
    queries: Arc<QueryMix>,
) -> impl Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync + 'static {
    let url = format!("{base}/api/v1/tickets");
    let token = token.to_owned();
    move |http, rng| {
        let (q, band) = queries.pick(rng);
        let rb = http
            .get(&url)
            .query(&[("q", q.as_str()), ("limit", "50")])
            .bearer_auth(&token);
        (rb, band)
    }
}

// ---------------------------------------------------------------- load generator

type MakeRequest = Arc<dyn Fn(&reqwest::Client, &mut Rng) -> (reqwest::RequestBuilder, u8) + Send + Sync>;

#[derive(Default)]
struct PhaseOutput {
    name: String,
    concurrency: usize,
    elapsed: Duration,
    /// Latency of every successful request, with the tag its request was made with.
    samples: Vec<(Duration, u8)>,
    errors: u64,
    first_error: Option<String>,
    /// Ids of created records (when asked for).
    ids: Vec<i64>,
}

impl PhaseOutput {
    fn stats(&self) -> Stats {
        let mut stats = Stats::of(self.samples.iter().map(|s| s.0).collect(), self.elapsed);
        stats.name.clone_from(&self.name);
        stats.concurrency = self.concurrency;
        stats.errors = self.errors;
        stats
    }
}

#[derive(serde::Deserialize)]
struct Created {
    id: i64,
}

/// `concurrency` tasks send requests back to back until `duration` has passed; every answer is read in
/// full, and anything but a 2xx counts as an error.
async fn load(
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
struct Stats {
    name: String,
    concurrency: usize,
    count: usize,
    errors: u64,
    elapsed: Duration,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut latencies: Vec<Duration>, elapsed: Duration) -> Stats {
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

    fn rps(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn line(&self) -> String {
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
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------- the server under test

struct ServerProcess {
    child: Child,
    pid: u32,
    base: String,
    ready_after: Duration,
}

impl ServerProcess {
    /// Spawns `ferrodesk serve` on a free loopback port and waits until `/readyz` answers 200.
    async fn start(exe: &std::path::Path, url: &str, token: &str, http: &reqwest::Client) -> anyhow::Result<Self> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
            probe.local_addr()?.port()
        };
        let listen = format!("127.0.0.1:{port}");
        let started = Instant::now();
        let mut child = tokio::process::Command::new(exe)
            .args(["serve", "--listen", &listen, "--database-url", url])
            .env("FERRODESK_ADMIN_TOKEN", token)
            .env("RUST_LOG", "warn")
            .env_remove("FERRODESK_ADMIN_TOKEN_FILE")
            .env_remove("FERRODESK_ADMIN_EMAIL")
            .env_remove("FERRODESK_ADMIN_PASSWORD")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", exe.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let base = format!("http://{listen}");
        let readyz = format!("{base}/readyz");
        let deadline = started + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("the server exited before it was ready ({status})");
            }
            let ok = match http.get(&readyz).timeout(Duration::from_secs(2)).send().await {
                Ok(r) => r.status().is_success(),
                Err(_) => false,
            };
            if ok {
                break;
            }
            if Instant::now() > deadline {
                bail!("the server was not ready within 120 s");
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(Self {
            ready_after: started.elapsed(),
            child,
            pid,
            base,
        })
    }

    fn rss_bytes(&self) -> anyhow::Result<u64> {
        let path = format!("/proc/{}/status", self.pid);
        let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("no VmRSS in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }

    /// SIGTERM (the server's graceful shutdown), then SIGKILL if it is still there after 30 s.
    async fn stop(mut self) -> anyhow::Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("the server did not stop within 30 s of SIGTERM; killed it")
            }
        }
    }
}

// ---------------------------------------------------------------- text

/// xorshift64*: deterministic, fast, and good enough to pick words.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The order number quoted in the opening message of seeded ticket `n` (deterministic, so queries can
/// ask for one that exists).
fn order_number(n: u64) -> u64 {
    let mut r = Rng::new(n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xdead_beef);
    r.next_u64();
    10_000_000 + r.below(90_000_000)
}

/// One seeded ticket's generated content.
struct SeedTicket {
    person: usize,
    status: TicketStatus,
    locked: bool,
    priority: Priority,
    read_by_staff: bool,
    title: String,
    /// The opening message and the replies.
    messages: Vec<String>,
}

impl Default for SeedTicket {
    fn default() -> Self {
        Self {
            person: 0,
            status: TicketStatus::Waiting,
            locked: false,
            priority: Priority::MEDIUM,
            read_by_staff: false,
            title: String::new(),
            messages: Vec::new(),
        }
    }
}

/// The deterministic text of the seeded tickets; replaying it (`--search-only`) yields the same words.
struct SeedText<'a> {
    vocab: &'a Vocabulary,
    rng: Rng,
    words: Vec<u32>,
    /// How many seeded tickets contain each word, by rank.
    document_frequency: Vec<u32>,
}

impl<'a> SeedText<'a> {
    fn new(vocab: &'a Vocabulary) -> Self {
        Self {
            vocab,
            rng: Rng::new(0x0005_eed5),
            words: Vec::with_capacity(512),
            document_frequency: vec![0; vocab.len()],
        }
    }

    /// Ticket number `n` (from 0) of the seed.
    fn next(&mut self, n: u64, t: &mut SeedTicket) {
        let rng = &mut self.rng;
        self.words.clear();
        t.person = rng.below((CUSTOMERS * 2) as u64) as usize;
        t.status = TicketStatus::ALL[rng.below(4) as usize];
        t.locked = rng.below(20) == 0;
        t.priority = Priority::try_from(1 + rng.below(3) as i64).unwrap_or(Priority::MEDIUM);
        t.read_by_staff = rng.below(2) == 0;
        self.vocab.title(rng, &mut t.title, &mut self.words);
        t.messages.resize(REPLIES + 1, String::new());
        for (k, message) in t.messages.iter_mut().enumerate() {
            self.vocab.message(rng, message, &mut self.words);
            if k == 0 {
                // Opening messages quote an order number: a token that is (nearly) unique.
                let _ = write!(message, " Order {}.", order_number(n));
            }
        }
        self.words.sort_unstable();
        self.words.dedup();
        for &w in &self.words {
            self.document_frequency[w as usize] += 1;
        }
    }
}

/// Pronounceable pseudo-words, most frequent first, drawn with Zipfian frequencies.
struct Vocabulary {
    words: Vec<String>,
    /// Cumulative probability by rank.
    cdf: Vec<f64>,
}

impl Vocabulary {
    fn new(size: usize, seed: u64) -> Self {
        const ONSETS: [&str; 20] = [
            "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "st", "tr", "pl",
        ];
        const VOWELS: [&str; 8] = ["a", "e", "i", "o", "u", "ai", "ou", "ea"];
        const CODAS: [&str; 8] = ["", "", "", "n", "r", "s", "t", "l"];
        let mut rng = Rng::new(seed);
        let mut seen = std::collections::HashSet::new();
        let mut words = Vec::with_capacity(size);
        while words.len() < size {
            // Frequent words are short, rare ones long, as in natural language.
            let syllables = 1 + (words.len() * 3 / size.max(1)) + rng.below(2) as usize;
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(ONSETS[rng.below(ONSETS.len() as u64) as usize]);
                w.push_str(VOWELS[rng.below(VOWELS.len() as u64) as usize]);
                w.push_str(CODAS[rng.below(CODAS.len() as u64) as usize]);
            }
            if w.len() >= 2 && seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let weights: Vec<f64> = (1..=size).map(|r| 1.0 / r as f64).collect();
        let sum: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / sum;
                acc
            })
            .collect();
        Self { words, cdf }
    }

    fn len(&self) -> usize {
        self.words.len()
    }

    fn word(&self, rank: usize) -> &str {
        &self.words[rank]
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.words.len() - 1)
    }

    fn words_into(&self, rng: &mut Rng, n: usize, out: &mut String, used: &mut Vec<u32>) {
        for i in 0..n {
            let rank = self.sample(rng);
            used.push(rank as u32);
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&self.words[rank]);
        }
    }

    /// A subject line of 3–8 words.
    fn title(&self, rng: &mut Rng, out: &mut String, used: &mut Vec<u32>) {
        out.clear();
        let n = 3 + rng.below(6) as usize;
        self.words_into(rng, n, out, used);
        capitalize(out);
    }

    /// A message of 1–4 sentences, 15–60 words in all.
    fn message(&self, rng: &mut Rng, out: &mut String, used: &mut Vec<u32>) {
        out.clear();
        let mut left = 15 + rng.below(46) as usize;
        while left > 0 {
            let n = left.min(6 + rng.below(12) as usize);
            left -= n;
            if !out.is_empty() {
                out.push(' ');
            }
            let start = out.len();
            self.words_into(rng, n, out, used);
            let mut sentence = out.split_off(start);
            capitalize(&mut sentence);
            out.push_str(&sentence);
            out.push(if rng.below(5) == 0 { '?' } else { '.' });
        }
    }
}

fn capitalize(s: &mut String) {
    if let Some(first) = s.chars().next() {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
}

fn capitalized(s: &str) -> String {
    let mut s = s.to_owned();
    capitalize(&mut s);
    s
}

// ---------------------------------------------------------------- search queries

/// Query kinds, by the share of seeded tickets a word occurs in.
const BANDS: [(&str, f64); 5] = [
    ("rare word (<0.5% of tickets)", 0.30),
    ("mid word (0.5–5%)", 0.30),
    ("common word (5–25%)", 0.10),
    ("two words (rare/mid/common)", 0.20),
    ("order number (1 ticket)", 0.10),
];

/// The search queries of the bench: mostly rare and mid-frequency words, some common ones, some two-word
/// queries and some order numbers. Words in more than a quarter of the tickets (the stop words of this
/// vocabulary) are not searched for on their own.
struct QueryMix {
    vocab: Arc<Vocabulary>,
    rare: Vec<usize>,
    mid: Vec<usize>,
    common: Vec<usize>,
    seeded: u64,
}

impl QueryMix {
    fn new(vocab: Arc<Vocabulary>, document_frequency: &[u32], seeded: u64) -> Self {
        let (mut rare, mut mid, mut common) = (vec![], vec![], vec![]);
        for (rank, &df) in document_frequency.iter().enumerate() {
            let share = f64::from(df) / seeded.max(1) as f64;
            match share {
                s if s < 0.005 => rare.push(rank),
                s if s < 0.05 => mid.push(rank),
                s if s < 0.25 => common.push(rank),
                _ => {}
            }
        }
        Self {
            vocab,
            rare,
            mid,
            common,
            seeded,
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} rare, {} mid, {} common words in the vocabulary of {}; mix {}",
            self.rare.len(),
            self.mid.len(),
            self.common.len(),
            self.vocab.len(),
            BANDS
                .iter()
                .map(|(name, share)| format!("{:.0}% {name}", share * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    fn word_in_band<'a>(&'a self, band: usize, rng: &mut Rng) -> Option<&'a str> {
        let list = match band {
            0 => &self.rare,
            1 => &self.mid,
            _ => &self.common,
        };
        (!list.is_empty()).then(|| self.vocab.word(list[rng.below(list.len() as u64) as usize]))
    }

    /// A query and its band (index into [`BANDS`]).
    fn pick(&self, rng: &mut Rng) -> (String, u8) {
        let u = rng.unit();
        let mut acc = 0.0;
        let mut band = BANDS.len() - 1;
        for (i, (_, share)) in BANDS.iter().enumerate() {
            acc += share;
            if u < acc {
                band = i;
                break;
            }
        }
        let single = |rng: &mut Rng, b: usize| -> String {
            self.word_in_band(b, rng)
                .or_else(|| self.word_in_band(0, rng))
                .or_else(|| self.word_in_band(1, rng))
                .or_else(|| self.word_in_band(2, rng))
                .unwrap_or_else(|| self.vocab.word(self.vocab.len() - 1))
                .to_owned()
        };
        let q = match band {
            0..=2 => single(rng, band),
            3 => {
                let (x, y) = (rng.below(3) as usize, rng.below(3) as usize);
                let a = single(rng, x);
                let b = single(rng, y);
                format!("{a} {b}")
            }
            _ => order_number(rng.below(self.seeded.max(1))).to_string(),
        };
        (q, band as u8)
    }

    fn band_stats(&self, out: &PhaseOutput) -> Vec<Stats> {
        BANDS
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let latencies = out
                    .samples
                    .iter()
                    .filter(|s| usize::from(s.1) == i)
                    .map(|s| s.0)
                    .collect();
                let mut stats = Stats::of(latencies, out.elapsed);
                stats.name = (*name).to_owned();
                stats.concurrency = out.concurrency;
                stats
            })
            .collect()
    }
}

// ---------------------------------------------------------------- report

#[derive(Default)]
struct Report {
    backend: &'static str,
    tickets: u64,
    seconds: u64,
    concurrency: usize,
    search_concurrency: usize,
    ready_fresh: Option<Duration>,
    ready_existing: Option<Duration>,
    ready_seeded: Option<Duration>,
    rss_idle: Option<u64>,
    rss_after_load: Option<u64>,
    rss_idle_seeded: Option<u64>,
    rss_after_search: Option<u64>,
    healthz: Option<Stats>,
    create1: Option<Stats>,
    create_c: Option<Stats>,
    get: Option<Stats>,
    list: Option<Stats>,
    seed: Option<(u64, f64)>,
    search: Option<Stats>,
    search_bands: Vec<Stats>,
    list_q: Option<Stats>,
    list_q_bands: Vec<Stats>,
    get_seeded: Option<Stats>,
    list_seeded: Option<Stats>,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

impl Report {
    fn print(&self) {
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

// ---------------------------------------------------------------- helpers

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The URL without its password, for printing.
fn mask_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.rsplit_once('@')
    {
        let user = creds.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.50), Duration::from_millis(50));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn vocabulary_is_deterministic_and_zipfian() {
        let a = Vocabulary::new(1000, 7);
        let b = Vocabulary::new(1000, 7);
        assert_eq!(a.words, b.words);
        let mut rng = Rng::new(1);
        let mut counts = vec![0u32; 1000];
        for _ in 0..100_000 {
            counts[a.sample(&mut rng)] += 1;
        }
        assert!(counts[0] > 10 * counts[99], "{} vs {}", counts[0], counts[99]);
    }
}
