//! Wiring of the ferrodesk binary, as a library so that tests start the very same server.
pub mod settings;

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
    let url = &settings.database_url;
    if url.starts_with("sqlite:") {
        let store = store_sqlite::SqliteStore::open(url)
            .await
            .context("cannot open the SQLite database")?;
        Ok(Arc::new(store))
    } else {
        let size = store_postgres::PoolSize {
            max_connections: settings.pg_max_connections,
        };
        let store = store_postgres::PostgresStore::open(url, size)
            .await
            .context("cannot open the PostgreSQL database")?;
        Ok(Arc::new(store))
    }
}

/// Creates the bootstrap accounts the settings ask for (SPEC §1).
pub async fn bootstrap(app: &App, settings: &Settings) -> anyhow::Result<Bootstrap> {
    if let (Some(email), Some(password)) = (&settings.admin_email, &settings.admin_password) {
        app.ensure_admin(email, password)
            .await
            .map_err(|e| anyhow::anyhow!("FERRODESK_ADMIN_EMAIL/PASSWORD: {e:?}"))?;
    }
    if let Some(token) = &settings.admin_token {
        app.ensure_admin_token(token)
            .await
            .map_err(|e| anyhow::anyhow!("FERRODESK_ADMIN_TOKEN: {e:?}"))?;
    }
    if settings.admin_email.is_none() && settings.admin_token.is_none() {
        return app
            .bootstrap_first_admin()
            .await
            .map_err(|e| anyhow::anyhow!("creating the first admin: {e:?}"));
    }
    Ok(Bootstrap::Nothing)
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub bootstrap: Bootstrap,
    pub store: Arc<dyn Store>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Opens the store, bootstraps accounts, binds `settings.listen` (port 0 picks a free port) and serves
    /// in the background.
    pub async fn start(settings: &Settings) -> anyhow::Result<Server> {
        let store = open_store(settings).await?;
        let app = App::new(store.clone());
        let bootstrap = bootstrap(&app, settings).await?;
        let listener = TcpListener::bind(&settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let trusted_proxies = settings.trusted_proxies.iter().filter_map(|p| p.parse().ok()).collect();
        let state = AppState {
            app,
            config: Arc::new(WebConfig {
                trusted_proxies,
                request_timeout: Duration::from_secs(settings.request_timeout_secs.max(1)),
                header_read_timeout: Duration::from_secs(settings.header_read_timeout_secs.max(1)),
                max_connections: settings.max_connections.max(1),
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
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish (at most `grace`), and closes the database.
    pub async fn shutdown(mut self, grace: Duration) -> anyhow::Result<()> {
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
