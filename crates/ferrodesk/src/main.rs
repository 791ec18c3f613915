//! The `ferrodesk` command.

use anyhow::{Context, bail};
use app::App;
use app::staff::Bootstrap;
use clap::{Args, Parser, Subcommand};
use domain::event::EventSource;
use domain::{AttributeEntity, Role};
use ferrodesk::Server;
use ferrodesk::mail_socket::{Delivery, EX_DATAERR, EX_TEMPFAIL, Outcome};
use ferrodesk::settings::{Overrides, Settings};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "ferrodesk",
    version,
    about = "A self-hosted customer-support help desk in one binary"
)]
struct Cli {
    /// Configuration file (TOML); default ./ferrodesk.toml when it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://path/to.db (default sqlite://data/ferrodesk.db) or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API, web UI and background workers.
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Print the effective configuration, secrets masked.
    Config,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage OAuth clients (client credentials for integrations and the TeamTools SDK).
    #[command(subcommand)]
    OauthClient(OauthClientCommand),
    /// Copy a SQLite database, also while a server uses it, into a new file (readable by its owner only).
    /// On PostgreSQL, use pg_dump.
    Backup {
        /// The copy to create; an existing file is never overwritten.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Write every record (soft-deleted ones and the event log included) to FILE, a gzip-compressed
    /// JSON-lines copy that `restore` loads into either backend (docs/export-format.md).
    Export {
        /// The file to create (it must not exist), e.g. ferrodesk-export.jsonl.gz
        file: PathBuf,
    },
    /// Load a copy made by `export` into an empty database (created and migrated if needed), keeping ids.
    /// The server must not be running on that database meanwhile.
    Restore {
        /// A file written by `ferrodesk export`.
        file: PathBuf,
    },
    /// Import records from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Billing work: renewals, period ends, past-due subscriptions.
    #[command(subcommand)]
    Billing(BillingCommand),
    /// Hook scripts (docs/hooks.md).
    #[command(subcommand)]
    Hooks(HooksCommand),
    /// Store one mail message read from standard input (RFC 5322, as an MTA pipe or `.forward` hands it
    /// over): a new ticket, a reply on the ticket it answers, or a note (docs/email.md). Exit status 0 when
    /// stored (also for a duplicate or a dropped auto-reply), 65 for a message that is not one or is over
    /// 25 MiB, 67 when no mailbox of this installation is named, 75 when the database is unavailable (the
    /// MTA tries again later).
    MailIn {
        /// The mailbox address the message was delivered to; without it, the first mailbox named by To,
        /// Cc or Delivered-To.
        #[arg(long, value_name = "ADDRESS")]
        mailbox: Option<String>,
        /// The envelope sender; without it, the Return-Path header the MTA added.
        #[arg(long, value_name = "ADDR")]
        sender: Option<String>,
    },
    /// Load example data into a new database: two brands with departments, customers with attributes and
    /// portal logins, plans, subscriptions, invoices, support contracts, and tickets with replies. Prints
    /// the logins to look at it with (`ferrodesk serve`, then /login). Refuses a database that has brands.
    Demo,
}

#[derive(Subcommand)]
enum HooksCommand {
    /// Load every `*.rhai` script of DIR as `serve` would and report each one that does not load, with
    /// its file and line (a syntax error, an unknown hook point, a top level that fails); exit status 1
    /// when any does not.
    Check {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum BillingCommand {
    /// Do the billing work that is due, once, and exit: a renewal invoice for every subscription period
    /// begun (each exactly once, however often or in how many processes this runs), subscriptions
    /// cancelled at their period's end ended, subscriptions with overdue invoices marked past due. `serve`
    /// does the same every billing_interval_secs.
    Run {
        /// Run as if it were this moment (RFC 3339, e.g. 2027-03-01T00:00:00Z); default: now.
        #[arg(long, value_name = "TIMESTAMP")]
        now: Option<String>,
        /// Subscriptions renewed per transaction.
        #[arg(long, value_name = "N", default_value_t = app::renewals::DEFAULT_BATCH)]
        batch_size: i64,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Create or update customers (or, with --end-users, end users) from a CSV file, by the same rules as
    /// the API. The header row names the columns: built-in fields (customers: name, email, phone, city,
    /// country, external_id, tags; end users: customer_id, customer_external_id or customer_email, and
    /// name, first_name, last_name, email, phone, city, country, tags) and custom attributes. A row whose
    /// external_id or email matches a customer (for end users: whose email matches one of the customer's
    /// end users) updates it; others are created. Failed rows are reported with their line number.
    #[command(
        after_help = "Exit status: 0 when every row was stored (created, updated or unchanged), 1 when \
                            some rows failed (the others are stored), 2 when nothing could be imported \
                            (unreadable or empty file, bad header, database not reachable).

Details: docs/customers.md, \"Importing from CSV\"."
    )]
    Customers {
        /// The CSV file: UTF-8 (a byte order mark is fine), comma-separated, a header row first.
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// Import end users (people of customers) instead of customers.
        #[arg(long)]
        end_users: bool,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Seconds an OAuth access token works after it is issued (default 2592000, 30 days).
    #[arg(long, value_name = "SECONDS")]
    oauth_token_ttl: Option<u64>,
    /// The directory of hook scripts, `*.rhai` (default ./hooks); reloaded when its files change.
    #[arg(long, value_name = "DIR")]
    hooks_dir: Option<String>,
    /// Let webhooks reach private, loopback and link-local addresses (refused by default; for local
    /// testing and receivers inside your own network).
    #[arg(long)]
    webhooks_allow_private: bool,
    /// Let `webcall` customer backends reach private, loopback and link-local addresses (a customer
    /// database inside your own network; refused by default).
    #[arg(long)]
    webcalls_allow_private: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account; prints a generated password when none is given.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin or agent
        #[arg(long, default_value = "agent")]
        role: String,
        /// The password; read from FERRODESK_USER_PASSWORD when not given, generated when neither is set.
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print its secret (shown only this once).
    Create {
        #[arg(long)]
        name: String,
        /// admin, agent or end_user
        #[arg(long, default_value = "agent")]
        role: String,
        /// The end user an end_user token acts as.
        #[arg(long)]
        end_user_id: Option<i64>,
    },
}

#[derive(Subcommand)]
enum OauthClientCommand {
    /// Create an OAuth client and print its id, client_id, client_secret (shown only this once) and salt.
    Create {
        #[arg(long)]
        name: String,
        /// admin or agent
        #[arg(long, default_value = "agent")]
        role: String,
        /// The salt TeamTools signs activity events with; random when not given.
        #[arg(long)]
        salt: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::MailIn { mailbox, sender } = &cli.command {
        // An MTA starts one `mail-in` per message: it starts no runtime unless it stores the message itself.
        let delivery = Delivery {
            mailbox: mailbox.clone(),
            sender: sender.clone(),
        };
        return mail_in(&cli, delivery);
    }
    // An import that cannot run at all exits 2: 1 means "some rows failed" there.
    let failure = match cli.command {
        Command::Import(_) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return failure;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            failure
        }
    }
}

/// The settings: the configuration file, the environment, and the command line's overrides.
fn settings_of(cli: &Cli) -> anyhow::Result<Settings> {
    let (listen, oauth_token_ttl, hooks_dir, webhooks_allow_private, webcalls_allow_private) = match &cli.command {
        Command::Serve(a) => (
            a.listen.clone(),
            a.oauth_token_ttl,
            a.hooks_dir.clone(),
            a.webhooks_allow_private.then_some(true),
            a.webcalls_allow_private.then_some(true),
        ),
        _ => (None, None, None, None, None),
    };
    let overrides = Overrides {
        listen,
        hooks_dir,
        webhooks_allow_private,
        webcalls_allow_private,
        database_url: cli.database_url.as_deref().map(Into::into),
        oauth_token_ttl,
    };
    Settings::load(cli.config.as_deref(), &overrides)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Hooks(HooksCommand::Check { dir }) = &cli.command {
        return hooks_check(dir);
    }
    let settings = settings_of(&cli)?;
    init_tracing(&settings);
    let done = match cli.command {
        Command::Import(ImportCommand::Customers { file, end_users }) => {
            return import_customers(&settings, &file, end_users).await;
        }
        Command::Serve(_) => serve(settings).await,
        // `main` runs it before any runtime starts.
        Command::MailIn { .. } => Err(anyhow::anyhow!("mail-in does not run inside a runtime")),
        Command::Migrate => {
            let store = ferrodesk::open_store(&settings).await?;
            store.close().await;
            println!("database is up to date ({})", store.backend());
            Ok(())
        }
        Command::Backup { file } => backup(&settings, file).await,
        Command::Export { file } => {
            let started = Instant::now();
            let mut snapshot = ferrodesk::open_snapshot(&settings).await?;
            let source = ferrodesk::backend_of(settings.database_url.expose());
            let summary = ferrodesk::transfer::export(snapshot.as_mut(), source, &file).await?;
            println!(
                "exported {summary} to {} in {:.1} s",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let started = Instant::now();
            let loader = ferrodesk::open_loader(&settings).await?;
            let summary = ferrodesk::transfer::restore(loader, &file).await?;
            println!("restored {summary} in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Config => {
            print!("{}", settings.masked_toml()?);
            Ok(())
        }
        Command::Billing(BillingCommand::Run { now, batch_size }) => billing_run(&settings, now, batch_size).await,
        Command::Hooks(HooksCommand::Check { dir }) => return hooks_check(&dir),
        Command::Demo => demo(&settings).await,
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            password,
        }) => {
            let role = parse_role(&role)?;
            if !role.is_staff() {
                bail!("--role must be admin or agent");
            }
            let generated = password.is_none() && std::env::var("FERRODESK_USER_PASSWORD").is_err();
            let password = password
                .or_else(|| std::env::var("FERRODESK_USER_PASSWORD").ok())
                .unwrap_or_else(app::auth::new_password);
            let (app, store) = cli_app(&settings).await?;
            let staff = app
                .create_staff(
                    &domain::Principal::System,
                    &cli_meta(),
                    api_types::NewStaff {
                        email,
                        name,
                        role,
                        password: password.clone(),
                        department_ids: None,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            store.close().await;
            println!("created {} {} (id {})", staff.role.as_str(), staff.email, staff.id);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            name,
            role,
            end_user_id,
        }) => {
            let role = parse_role(&role)?;
            let (app, store) = cli_app(&settings).await?;
            let token = app
                .create_token(
                    &domain::Principal::System,
                    &cli_meta(),
                    api_types::NewToken {
                        name,
                        role,
                        end_user_id,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            store.close().await;
            println!("{}", token.token);
            Ok(())
        }
        Command::OauthClient(OauthClientCommand::Create { name, role, salt }) => {
            let role = parse_role(&role)?;
            if !role.is_staff() {
                bail!("--role must be admin or agent");
            }
            let (app, store) = cli_app(&settings).await?;
            let client = app
                .create_oauth_client(
                    &domain::Principal::System,
                    &cli_meta(),
                    api_types::NewOauthClient {
                        name,
                        role: Some(role),
                        salt,
                    },
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            store.close().await;
            println!("id:            {}", client.id);
            println!("client_id:     {}", client.client_id);
            println!("client_secret: {}", client.client_secret);
            println!("salt:          {}", client.salt);
            println!("The client secret is shown only this once.");
            Ok(())
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// `ferrodesk import customers FILE.csv [--end-users]`: exit 0 when every row was stored, 1 when some failed.
async fn import_customers(settings: &Settings, file: &Path, end_users: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let entity = if end_users {
        AttributeEntity::EndUser
    } else {
        AttributeEntity::Customer
    };
    let (app, store) = cli_app(settings).await?;
    let meta = app::RequestMeta {
        source: Some(EventSource::System),
        url: Some(if end_users {
            "cli: import customers --end-users".into()
        } else {
            "cli: import customers".into()
        }),
        ip: None,
    };
    let result = ferrodesk::import::import(&app, &meta, entity, file).await;
    store.close().await;
    let summary = result?;
    println!(
        "imported {}: {summary} in {:.1} s",
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `ferrodesk demo`: loads the example data and prints who to log in as.
async fn demo(settings: &Settings) -> anyhow::Result<()> {
    let (app, store) = cli_app(settings).await?;
    let loaded = ferrodesk::demo::load(&app).await;
    store.close().await;
    let demo = loaded?;
    println!("Loaded the demo: {}.", demo.counts);
    println!();
    println!(
        "Start the server with `ferrodesk serve` and log in at http://{}/login",
        settings.listen
    );
    println!(
        "  agent console    email: {}  password: {}",
        demo.agent.email, demo.agent.password
    );
    println!(
        "  customer portal  email: {}  password: {}",
        demo.end_user.email, demo.end_user.password
    );
    if let Some(admin) = &demo.admin {
        println!(
            "  admin            email: {}  password: {}",
            admin.email, admin.password
        );
    }
    println!("Every demo end user has the portal password above. The passwords are shown only this once.");
    Ok(())
}

/// `ferrodesk backup FILE`: SQLite's online backup into a new private file; PostgreSQL has pg_dump for this.
async fn backup(settings: &Settings, file: PathBuf) -> anyhow::Result<()> {
    let url = settings.database_url.expose();
    let Some(source) = store_sqlite::file_path(url).map(std::path::Path::to_path_buf) else {
        bail!(
            "ferrodesk backup copies a SQLite database; this one is PostgreSQL: use pg_dump, which takes a \
             consistent copy of a running database (e.g. pg_dump --format=custom --file=FILE \"$DATABASE_URL\")"
        );
    };
    let dest = file.clone();
    let copy = tokio::task::spawn_blocking(move || store_sqlite::files::backup(&source, &dest))
        .await
        .context("the backup thread failed")?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                anyhow::anyhow!("{} already exists; back up to a new file", file.display())
            }
            _ => anyhow::anyhow!("backup to {} failed: {e}", file.display()),
        })?;
    println!("backed up to {} ({} bytes)", file.display(), copy.bytes);
    Ok(())
}

/// `ferrodesk hooks check DIR`: each script that does not load, as `file:line: reason`; exit 1 if any.
fn hooks_check(dir: &Path) -> anyhow::Result<ExitCode> {
    let hooks = hooks::Hooks::default();
    let (scripts, errors) =
        ferrodesk::hooks_dir::compile_dir(&hooks, dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for script in &scripts {
        let points: Vec<String> = script
            .registrations()
            .iter()
            .map(|(point, priority)| format!("{point} ({priority})"))
            .collect();
        println!("ok     {}: {}", script.name(), points.join(", "));
    }
    for e in &errors {
        println!("error  {e}");
    }
    println!("{} scripts loaded, {} with errors", scripts.len(), errors.len());
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn billing_run(settings: &Settings, now: Option<String>, batch_size: i64) -> anyhow::Result<()> {
    let at = match now.as_deref() {
        Some(text) => text
            .parse::<domain::Timestamp>()
            .map_err(|e| anyhow::anyhow!("--now {text}: not an RFC 3339 timestamp ({e})"))?,
        None => store::time::now(),
    };
    if batch_size < 1 {
        bail!("--batch-size must be at least 1");
    }
    let started = Instant::now();
    let (app, store) = cli_app(settings).await?;
    let run = app
        .run_billing(at, batch_size, |run| {
            tracing::debug!(
                batches = run.batches,
                invoices = run.invoices,
                "billing batch committed"
            );
        })
        .await
        .map_err(|e| anyhow::anyhow!("billing run failed: {e}"))?;
    store.close().await;
    println!(
        "billing run at {at}: {} subscriptions renewed, {} invoices issued, {} ended, {} past due ({:.1} s)",
        run.renewed,
        run.invoices,
        run.ended,
        run.past_due,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn parse_role(s: &str) -> anyhow::Result<Role> {
    Role::parse(s).map_err(|e| anyhow::anyhow!("--role {e}"))
}

fn cli_meta() -> app::RequestMeta {
    app::RequestMeta {
        source: Some(EventSource::System),
        url: Some("cli".into()),
        ip: None,
    }
}

/// `ferrodesk mail-in`: one message from standard input, handed to the running `serve` when one listens on
/// the mail-in socket, stored by this process otherwise. Anything that stops it before the message is
/// judged is a temporary failure (75), for the MTA to deliver again.
fn mail_in(cli: &Cli, delivery: Delivery) -> ExitCode {
    use ferrodesk::mail_socket::hand_off;
    use std::io::Read;
    let settings = match settings_of(cli) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(EX_TEMPFAIL);
        }
    };
    init_tracing(&settings);
    let limit = app::MAX_MAIL_BYTES as u64;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().lock().take(limit + 1).read_to_end(&mut raw) {
        eprintln!("error: reading the message from standard input failed: {e}");
        return ExitCode::from(EX_TEMPFAIL);
    }
    if raw.len() as u64 > limit {
        eprintln!("error: the message is larger than 25 MiB");
        return ExitCode::from(EX_DATAERR);
    }
    let handed = settings
        .mail_in_socket_path()
        .and_then(|socket| hand_off(&socket, &delivery, &raw));
    let outcome = match handed {
        Some(outcome) => outcome,
        None => match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(store_mail(&settings, &delivery, &raw)),
            Err(e) => Outcome {
                code: EX_TEMPFAIL,
                line: format!("error: cannot start the runtime: {e}"),
            },
        },
    };
    if outcome.code == 0 {
        println!("{}", outcome.line);
    } else {
        eprintln!("{}", outcome.line);
    }
    ExitCode::from(outcome.code)
}

/// `mail-in` without a server to hand the message to: this process opens the database and stores it.
async fn store_mail(settings: &Settings, delivery: &Delivery, raw: &[u8]) -> Outcome {
    let store = match ferrodesk::open_store_for_command(settings).await {
        Ok(store) => store,
        Err(e) => {
            return Outcome {
                code: EX_TEMPFAIL,
                line: format!("error: the database is unavailable: {e:#}"),
            };
        }
    };
    let app = App::new(store.clone());
    let received = app
        .receive_mail(raw, delivery.mailbox.as_deref(), delivery.sender.as_deref())
        .await;
    store.close().await;
    ferrodesk::mail_socket::outcome(received)
}

async fn cli_app(settings: &Settings) -> anyhow::Result<(App, std::sync::Arc<dyn store::Store>)> {
    let store = ferrodesk::open_store(settings).await?;
    Ok((App::new(store.clone()), store))
}

fn init_tracing(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut server = Server::start(&settings).await?;
    if let Bootstrap::CreatedAdmin { email, password } = &server.bootstrap {
        // Printed once, to the terminal, never to the log.
        println!(
            "Created the first admin account.\n  email:    {email}\n  password: {password}\nChange it after logging in."
        );
    }
    tracing::info!(addr = %server.addr, backend = server.store.backend(), ready_ms = started.elapsed().as_millis() as u64, "ferrodesk is ready");
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    tokio::select! {
        result = server.wait() => result.context("the server stopped")?,
        () = shutdown_signal() => {
            tracing::info!("shutting down: finishing in-flight requests");
            server.shutdown(grace).await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
