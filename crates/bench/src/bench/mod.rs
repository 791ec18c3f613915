//! The benchmark: starts the `ferrodesk` binary as a server on a loopback port and measures it.
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
use api_types::{AttributeInput, NewBrand, NewCustomer, NewDepartment, NewEndUser, NewTicket, TicketQuery};
use clap::Args;
use domain::{Customer, EndUser, Priority, Reply, Ticket, TicketStatus};
use ferrodesk::settings::Settings;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::process::Child;

mod customers;
mod integrations;
mod load;
mod mail;
mod pages;
mod queries;
mod renewals;
mod report;
mod requests;
mod seed;
mod server;
mod text;
mod wal;
mod webhooks;

use customers::CustomerReport;
use load::*;
use queries::*;
use report::*;
use requests::*;
use seed::*;
use server::*;
use text::*;
use wal::*;

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
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
    /// The customer-database benchmark instead of the ticket one: define the bench's custom attributes,
    /// seed N customers through the store (or reuse those an earlier run seeded into --database-url), then
    /// measure keyword and filter queries of the customer lists.
    #[arg(long, value_name = "N")]
    customers: Option<u64>,
    /// Concurrent requests in the customer query phases.
    #[arg(long, default_value_t = 4)]
    query_concurrency: usize,
    /// The renewal benchmark instead: seed N customers with a subscription each, all due at one moment,
    /// then time `ferrodesk billing run` renewing them and read the invoices back.
    #[arg(long, value_name = "N")]
    renewals: Option<u64>,
    /// `billing run` processes started at once for the renewal benchmark (3 shows several nodes on one
    /// PostgreSQL issuing each invoice exactly once).
    #[arg(long, default_value_t = 1)]
    renewal_processes: usize,
    /// The hooks-and-webhooks benchmark instead: ticket creation with and without a validation and an
    /// event hook, then N events fanned out to a loopback webhook receiver.
    #[arg(long, value_name = "N")]
    webhooks: Option<u64>,
    /// The integrations benchmark instead (issue 13): the telephony screen pop through a `webcall` backend
    /// answering in 5 ms, at c=1; then JSON-RPC `caseCreate` against `POST /api/v1/tickets` at
    /// --concurrency.
    #[arg(long)]
    integrations: bool,
    /// The web UI benchmark instead: seed N tickets (default 1,000,000) over a few brands, departments and
    /// assignees, log in through the login form as an agent, an admin and an end user, and time every main
    /// page of the agent console, the portal and the admin dashboard at c=1, with its weight.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1000000")]
    pages: Option<u64>,
    /// Measured requests per page in the web UI benchmark (after a few unmeasured ones).
    #[arg(long, default_value_t = 300)]
    page_requests: usize,
    /// With --pages N: only the pages, on a database seeded by an earlier `--pages N` run (`--keep`, or
    /// PostgreSQL) given as --database-url; its layout and portal fixture are found over the API, and the
    /// seeded text is replayed to pick the same search words.
    #[arg(long, requires = "pages")]
    seeded: bool,
    /// The email benchmark instead (issue 14), with `serve` sending to a loopback SMTP sink: N messages
    /// (default 10,000; half of them answers) piped into `ferrodesk mail-in` processes, then N/2 staff
    /// replies over the API at --concurrency until the sink holds their mails, then an agent's ticket page
    /// with 20 attachments at c=1 (--page-requests times).
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10000")]
    mail: Option<u64>,
    /// `ferrodesk mail-in` processes running at once in the email benchmark (as an MTA delivers).
    #[arg(long, default_value_t = 8)]
    mail_processes: usize,
    /// Every `mail-in` opens the database itself (the mail-in socket off), instead of handing its message
    /// to the running server.
    #[arg(long)]
    mail_direct: bool,
}

/// Words in the generated vocabulary; their frequencies follow Zipf's law (exponent 1).
const VOCABULARY: usize = 5_000;
/// Replies after the opening message of every seeded ticket.
const REPLIES: usize = 3;
/// Customers (with two end users each) the seeded tickets are spread over.
const CUSTOMERS: usize = 200;
const MB: f64 = 1024.0 * 1024.0;

// ---------------------------------------------------------------- entry point

/// Runs every phase against `server` (the `ferrodesk` binary), on `database_url` or a scratch SQLite file.
pub(crate) async fn run(args: BenchArgs, server: PathBuf, database_url: Option<String>) -> anyhow::Result<()> {
    if args.concurrency == 0
        || args.search_concurrency == 0
        || args.query_concurrency == 0
        || args.seconds == 0
        || args.batch == 0
    {
        bail!("--concurrency, --search-concurrency, --query-concurrency, --seconds and --batch must be at least 1");
    }
    if args.search_only && args.pages.is_some() {
        bail!("--search-only is the ticket benchmark's; with --pages, --seeded reuses a seeded database");
    }
    if (args.search_only || args.seeded) && database_url.is_none() {
        bail!("--search-only and --seeded need --database-url: the database seeded by an earlier run");
    }
    if !server.is_file() {
        bail!(
            "no ferrodesk server binary at {}: build it first (cargo build --release -p ferrodesk) or pass --server PATH",
            server.display()
        );
    }
    if let Some(url) = &database_url
        && !url.starts_with("sqlite:")
    {
        report_postgres_durability(url).await?;
    }
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
    let mut bench = Bench::new(args, server, url)?;
    let customers = bench.args.customers;
    let renewals = bench.args.renewals;
    let webhooks = bench.args.webhooks;
    let pages = bench.args.pages;
    let integrations = bench.args.integrations;
    let mail = bench.args.mail;
    let outcome = tokio::select! {
        outcome = async {
            match (renewals, customers) {
                _ if pages.is_some() => bench.run_pages(pages.unwrap_or_default()).await,
                _ if mail.is_some() => bench.run_mail(mail.unwrap_or_default()).await,
                _ if integrations => bench.run_integrations().await,
                _ if webhooks.is_some() => bench.run_webhooks(webhooks.unwrap_or_default()).await,
                (Some(n), _) => bench.run_renewals(n).await,
                (None, Some(n)) => bench.run_customers(n).await,
                (None, None) => bench.run().await,
            }
        } => outcome,
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
    if pages.is_some() {
        bench.pages.print(bench.backend);
    } else if mail.is_some() {
        bench.mail.print(bench.backend);
    } else if integrations {
        bench.integrations.print(bench.backend);
    } else if webhooks.is_some() {
        bench.webhooks.print(bench.backend);
    } else if renewals.is_some() {
        bench.renewals.print(bench.backend);
    } else if customers.is_some() {
        bench.customers.print(bench.backend, bench.args.seconds);
    } else {
        bench.report.print();
    }
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
    customers: CustomerReport,
    renewals: renewals::RenewalReport,
    webhooks: webhooks::WebhookReport,
    pages: pages::PagesReport,
    integrations: integrations::IntegrationsReport,
    mail: mail::MailReport,
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
            .pool_max_idle_per_host(
                args.concurrency
                    .max(args.search_concurrency)
                    .max(args.query_concurrency)
                    * 2,
            )
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
            customers: CustomerReport::default(),
            renewals: renewals::RenewalReport::default(),
            webhooks: webhooks::WebhookReport::default(),
            pages: pages::PagesReport::default(),
            integrations: integrations::IntegrationsReport::default(),
            mail: mail::MailReport::default(),
        })
    }

    fn server(&self) -> anyhow::Result<&ServerProcess> {
        self.server.as_ref().context("the server is not running")
    }

    async fn start(&mut self) -> anyhow::Result<Duration> {
        self.start_with(&[]).await
    }

    /// Starts the server with these environment variables set as well.
    async fn start_with(&mut self, env: &[(String, String)]) -> anyhow::Result<Duration> {
        let server = ServerProcess::start(&self.exe, &self.url, &self.token, &self.http, env).await?;
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
            ferrodesk::settings::mask_database_url(&self.url),
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
            replay_seed(&vocab, self.args.tickets).document_frequency
        } else {
            let watch = WalWatch::start(&self.url);
            let fixture = self.load_phases().await?;
            self.report.wal_peak_load = watch.map(WalWatch::finish);
            let watch = WalWatch::start(&self.url);
            let frequencies = self.seed(fixture, &vocab).await?;
            self.report.wal_peak_seed = watch.map(WalWatch::finish);
            frequencies
        };
        self.flush_and_warm().await?;
        let watch = WalWatch::start(&self.url);
        let searched = self.search_phases(vocab, &frequencies).await;
        self.report.wal_peak_seeded = watch.map(WalWatch::finish);
        searched
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

        self.report.healthz = Some(self.healthz_phase(&base).await);

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
        let vocab_for_create = vocab.clone();
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
        // Creation again, on the large database: index maintenance (FTS5 segment merges, GIN pending-list
        // flushes) grows with the index, and shows in the tail.
        let fixture = self.setup().await?;
        let create = self
            .phase(
                "POST /api/v1/tickets (seeded)",
                c,
                false,
                create_request(&base, &self.token, fixture, vocab_for_create.clone()),
            )
            .await;
        self.report.create_seeded = Some(create.stats());
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
                name: Some("Bench Requester".into()),
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

    /// `GET /healthz` at the bench's concurrency: the HTTP ceiling of this machine and run.
    async fn healthz_phase(&self, base: &str) -> Stats {
        let url = format!("{base}/healthz");
        let make = move |http: &reqwest::Client, _rng: &mut Rng| (http.get(&url), 0);
        self.phase("GET /healthz", self.args.concurrency, false, make)
            .await
            .stats()
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
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// Prints whether the PostgreSQL server syncs its commits. Figures for docs come from a durable server (as a
/// production database runs); a run on one with `fsync` or `synchronous_commit` off says so loudly.
async fn report_postgres_durability(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .context("cannot connect to PostgreSQL")?;
    let mut setting = async |name: &str| -> anyhow::Result<String> {
        let value: (String,) = sqlx::query_as(sqlx::AssertSqlSafe(format!("SHOW {name}")))
            .fetch_one(&mut conn)
            .await
            .with_context(|| format!("cannot read the PostgreSQL setting {name}"))?;
        Ok(value.0)
    };
    let fsync = setting("fsync").await?;
    let synchronous_commit = setting("synchronous_commit").await?;
    println!("PostgreSQL durability: fsync={fsync} synchronous_commit={synchronous_commit}");
    if fsync != "on" || synchronous_commit != "on" {
        println!(
            "WARNING: this PostgreSQL does not make commits durable; its figures are not comparable with a production \
             server's and do not belong in docs/benchmarks.md"
        );
    }
    conn.close().await.ok();
    Ok(())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
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
