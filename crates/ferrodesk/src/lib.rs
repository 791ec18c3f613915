//! Wiring of the ferrodesk binary, as a library so that tests start the very same server.
mod case_updates;
pub mod demo;
pub mod hooks_dir;
pub mod import;
pub mod mail_in;
mod mail_out;
pub mod mail_socket;
mod outbox;
mod scheduler;
pub mod settings;
pub mod transfer;
mod webhooks;

use anyhow::Context;
use app::App;
use app::staff::Bootstrap;
use settings::Settings;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use web::{AppState, WebConfig};

/// Opens the database named by the URL (creating and migrating it).
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    open(settings, false).await
}

/// Opens the database named by the settings for a command that stores one message and exits
/// (`mail-in`, run by an MTA once per mail): migrated as [`open_store`] does, but without what only a
/// long-running process needs (SQLite's checkpoint thread and final checkpoint; PostgreSQL's pool,
/// listener and search warm-up).
pub async fn open_store_for_command(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    open(settings, true).await
}

async fn open(settings: &Settings, one_command: bool) -> anyhow::Result<Arc<dyn Store>> {
    let url = settings.database_url.expose();
    let store: Arc<dyn Store> = if is_sqlite(url) {
        let opened = if one_command {
            store_sqlite::SqliteStore::open_for_command(url).await
        } else {
            store_sqlite::SqliteStore::open(url).await
        };
        Arc::new(opened.context("cannot open the SQLite database")?)
    } else {
        let opened = if one_command {
            store_postgres::PostgresStore::open_for_command(url).await
        } else {
            let size = store_postgres::PoolSize {
                max_connections: settings.pg_max_connections,
            };
            store_postgres::PostgresStore::open(url, size).await
        };
        Arc::new(opened.context("cannot open the PostgreSQL database")?)
    };
    Ok(store)
}

/// A consistent read-only snapshot of the database named by the settings, for `export`.
pub async fn open_snapshot(settings: &Settings) -> anyhow::Result<Box<dyn store::dump::Snapshot>> {
    let url = settings.database_url.expose();
    let snapshot = if is_sqlite(url) {
        store_sqlite::dump::snapshot(url)
    } else {
        store_postgres::dump::snapshot(url).await
    };
    snapshot.context("cannot read the database")
}

/// A loader into the (empty) database named by the settings, created and migrated if needed, for `restore`.
pub async fn open_loader(settings: &Settings) -> anyhow::Result<Box<dyn store::dump::Loader>> {
    let url = settings.database_url.expose();
    let loader = if is_sqlite(url) {
        store_sqlite::dump::loader(url).await
    } else {
        store_postgres::dump::loader(url).await
    };
    loader.context("cannot restore into this database")
}

/// Whether a database URL names an SQLite file (anything else is PostgreSQL; settings validate the scheme).
fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// The backend a database URL names.
pub fn backend_of(url: &str) -> &'static str {
    if is_sqlite(url) { "sqlite" } else { "postgres" }
}

/// Creates the bootstrap accounts the settings ask for (SPEC §1).
pub async fn bootstrap(app: &App, settings: &Settings) -> anyhow::Result<Bootstrap> {
    settings.check_bootstrap()?;
    if let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) {
        app.ensure_admin(email, password.expose())
            .await
            .map_err(|e| anyhow::anyhow!("FERRODESK_ADMIN_EMAIL/PASSWORD: {}", describe(&e)))?;
    }
    if let Some(token) = &settings.admin_token {
        app.ensure_admin_token(token.expose())
            .await
            .map_err(|e| anyhow::anyhow!("FERRODESK_ADMIN_TOKEN: {}", describe(&e)))?;
    }
    if settings.admin_email.is_none() && settings.admin_token.is_none() {
        return app
            .bootstrap_first_admin()
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {}", describe(&e)));
    }
    Ok(Bootstrap::Nothing)
}

/// An application error as one line for an operator: validation problems name the variable and the rule.
fn describe(e: &app::AppError) -> String {
    match e {
        app::AppError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{} {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => format!("{other:?}"),
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub bootstrap: Bootstrap,
    pub store: Arc<dyn Store>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    scheduler: Option<tokio::task::JoinHandle<()>>,
    hooks_watch: Option<tokio::task::JoinHandle<()>>,
    outbox: Option<tokio::task::JoinHandle<()>>,
    deliveries: Option<tokio::task::JoinHandle<()>>,
    case_updates: Option<tokio::task::JoinHandle<()>>,
    /// Sends the mails the outbox queued.
    mail_out: Option<tokio::task::JoinHandle<()>>,
    /// Polls the mailboxes' IMAP servers.
    mail_in: Option<tokio::task::JoinHandle<()>>,
    /// Takes messages `mail-in` hands over (none when the socket is off or another server holds it).
    mail_socket: Option<tokio::task::JoinHandle<()>>,
    stored_hooks_watch: Option<tokio::task::JoinHandle<()>>,
    /// Tells the outbox, delivery and case-update workers to finish what they hold and stop.
    stop_workers: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Opens the store, bootstraps accounts, binds `settings.listen` (port 0 picks a free port) and serves
    /// in the background.
    pub async fn start(settings: &Settings) -> anyhow::Result<Server> {
        // Refuse a bad configuration before anything is opened or created.
        settings.check_bootstrap()?;
        let trusted_proxies = settings.trusted_proxy_networks()?;
        let store = open_store(settings).await?;
        let hooks = std::sync::Arc::new(hooks::Hooks::default());
        let hooks_watch = hooks_dir::watch(hooks.clone(), settings.hooks_dir.clone().into());
        let app = App::new(store.clone())
            .with_oauth_token_ttl(Duration::from_secs(settings.oauth_token_ttl))
            .with_hooks(hooks)
            .with_webhook_settings(app::deliveries::WebhookSettings {
                retry_scale: settings.webhook_retry_scale,
                allow_private: settings.webhooks_allow_private,
            })
            .with_session_settings(app::sessions::SessionSettings {
                idle: Duration::from_secs(settings.session_idle_secs),
                absolute: Duration::from_secs(settings.session_absolute_secs),
            })
            .with_webcall_allow_private(settings.webcalls_allow_private)
            .with_smtp_url(settings.smtp_url.as_ref().map(|u| u.expose().to_owned()))
            .with_mail_roots(settings.mail_roots()?);
        let bootstrap = bootstrap(&app, settings).await?;
        let stored_hooks_watch = hooks_dir::watch_stored(app.clone()).await;
        let scheduler = scheduler::start(app.clone(), Duration::from_secs(settings.billing_interval_secs));
        let node = outbox::node_name();
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        let outbox = outbox::start(
            app.clone(),
            node.clone(),
            Duration::from_secs(settings.outbox_lease_secs),
            workers_stop.clone(),
        );
        let timeout = Duration::from_millis(settings.webhook_timeout_ms);
        let client = integrations::WebhookClient::new(integrations::WebhookClientConfig {
            allow_private: settings.webhooks_allow_private,
            timeout,
        })
        .map_err(|e| anyhow::anyhow!("cannot build the webhook client: {e}"))?;
        // A claim outlives the rounds of attempts queued behind an endpoint's limit, each at most the timeout.
        let rounds = u32::try_from(webhooks::QUEUE_ROUNDS).unwrap_or(4);
        let lease = timeout * (rounds + 1) + Duration::from_secs(10);
        let deliveries = webhooks::start(
            app.clone(),
            node.clone(),
            client,
            settings.webhook_concurrency,
            lease,
            workers_stop.clone(),
        );
        let case_updates = case_updates::start(app.clone(), node.clone(), case_updates::lease(), workers_stop.clone());
        let mail_out = mail_out::start(app.clone(), node, workers_stop.clone());
        let mail_in = mail_in::start(app.clone(), Duration::from_secs(settings.mail_poll_secs), workers_stop);
        let mail_socket = match settings.mail_in_socket_path() {
            Some(path) => mail_socket::listen(app.clone(), path).await,
            None => None,
        };
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let state = AppState {
            app,
            config: Arc::new(WebConfig {
                trusted_proxies,
                request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
                header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs.max(1)),
                max_connections: settings.max_connections.max(1),
                attachment_max_bytes: usize::try_from(settings.attachment_max_bytes).unwrap_or(usize::MAX),
                ..WebConfig::default()
            }),
            metrics: web::metrics_recorder(),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(web::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Ok(Server {
            addr,
            bootstrap,
            store,
            stop: Some(stop),
            task,
            scheduler,
            hooks_watch: Some(hooks_watch),
            outbox: Some(outbox),
            deliveries: Some(deliveries),
            case_updates: Some(case_updates),
            mail_out: Some(mail_out),
            mail_in: Some(mail_in),
            mail_socket,
            stored_hooks_watch: Some(stored_hooks_watch),
            stop_workers,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (at most `grace`), and closes the database.
    pub async fn shutdown(mut self, grace: Duration) -> anyhow::Result<()> {
        for task in [
            self.scheduler.take(),
            self.hooks_watch.take(),
            self.stored_hooks_watch.take(),
            self.mail_in.take(),
            self.mail_socket.take(),
        ]
        .into_iter()
        .flatten()
        {
            task.abort();
        }
        // The outbox, delivery and case-update workers finish the batch and the attempts they hold (within
        // the grace time), so that no claim is left to expire; then they are stopped whatever they do.
        let _ = self.stop_workers.send(true);
        let started = std::time::Instant::now();
        for mut task in [
            self.outbox.take(),
            self.deliveries.take(),
            self.case_updates.take(),
            self.mail_out.take(),
        ]
        .into_iter()
        .flatten()
        {
            let left = grace.saturating_sub(started.elapsed());
            if tokio::time::timeout(left, &mut task).await.is_err() {
                tracing::warn!("a worker did not finish within the grace time; stopping it");
                task.abort();
            }
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(grace, &mut self.task).await {
            Ok(joined) => joined.context("server task panicked")?.context("server error")?,
            Err(_) => {
                tracing::warn!("in-flight requests did not finish within {grace:?}; stopping anyway");
                self.task.abort();
            }
        }
        self.store.close().await;
        Ok(())
    }

    /// Waits until the server stops by itself (it only does on an I/O error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task)
            .await
            .context("server task panicked")?
            .context("server error")
    }
}
