//! The one integration test binary: boots ferrodesk on 127.0.0.1:0 and drives it through the typed client.
//!
//! Backend: SQLite (a temporary file per server) by default; PostgreSQL (a fresh schema per server) when
//! `FERRODESK_TEST_BACKEND=postgres` and `FERRODESK_TEST_PG_URL` are set (`scripts/with-postgres` does both).

mod attachments;
mod attributes;
mod auth;
mod backends;
mod bad_input;
mod billing;
mod case_updates;
mod contracts;
mod demo;
mod directory;
mod edge;
mod events;
mod hook_points;
mod hooks;
mod import;
mod invoices;
mod jsonrpc;
mod mail;
mod nodes;
mod oauth;
mod ops;
mod pages;
mod people;
mod process;
mod receiver;
mod renewals;
mod search;
mod sqlite_files;
mod stored_hooks;
mod teamtools;
mod teamtools_billing;
mod ticaga;
mod tickets;
mod transfer;
mod ui_admin;
mod ui_console;
mod ui_sessions;
mod ui_telephony;
mod webcall_server;
mod webhooks;

use api_types::*;
use ferrodesk::Server;
use ferrodesk::settings::Settings;
use ferrodesk_client::Client;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tempfile::TempDir;

pub const ADMIN_TOKEN: &str = "fd_test_admin_token_0123456789abcdef";

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

pub fn on_postgres() -> bool {
    std::env::var("FERRODESK_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// A fresh, empty database URL for one server: a SQLite file in a temporary directory (removed when the
/// returned guard drops), or a new PostgreSQL schema.
pub async fn fresh_database() -> (String, Option<TempDir>) {
    if on_postgres() {
        let base = std::env::var("FERRODESK_TEST_PG_URL")
            .expect("FERRODESK_TEST_BACKEND=postgres needs FERRODESK_TEST_PG_URL");
        let schema = unique("t");
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
            .await
            .expect("connect to test PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut conn)
            .await
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        (format!("{base}{sep}options[search_path]={schema}"), None)
    } else {
        let dir = temp_dir();
        (format!("sqlite://{}/ferrodesk.db", dir.path().display()), Some(dir))
    }
}

/// A temporary directory, removed with everything in it when dropped.
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("ferrodesk-test-")
        .tempdir()
        .expect("temporary directory")
}

/// A server with an admin token, on its own empty database. It runs on the test's own runtime: a test that
/// runs the `ferrodesk` binary against the same database (and so blocks its thread while the child runs)
/// uses a multi-thread runtime, so that the server's tasks — the SQLite committer among them, which may
/// hold the write lock of an open batch — keep running meanwhile.
pub struct TestServer {
    server: Option<Server>,
    pub url: String,
    pub database_url: String,
    pub admin: Client,
    /// The SQLite database's directory, removed when the server is dropped.
    _dir: Option<TempDir>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose settings `configure` changes first.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestServer {
        let (database_url, dir) = fresh_database().await;
        Self::start_on(database_url, dir, configure).await
    }

    /// A server on `database_url` (which may hold data already), with settings `configure` changes first;
    /// `dir` is removed when the server is dropped.
    pub async fn start_on(
        database_url: String,
        dir: Option<TempDir>,
        configure: impl FnOnce(&mut Settings),
    ) -> TestServer {
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url: database_url.as_str().into(),
            admin_token: Some(ADMIN_TOKEN.into()),
            pg_max_connections: 8,
            ..Settings::default()
        };
        configure(&mut settings);
        let server = Server::start(&settings).await.expect("server starts");
        let url = server.url();
        let admin = Client::new(&url, ADMIN_TOKEN).expect("client");
        TestServer {
            server: Some(server),
            url,
            database_url,
            admin,
            _dir: dir,
        }
    }

    pub fn anonymous(&self) -> Client {
        Client::anonymous(&self.url).expect("client")
    }

    pub fn client(&self, token: &str) -> Client {
        Client::new(&self.url, token).expect("client")
    }

    /// An agent's token.
    pub async fn agent(&self) -> Client {
        let t = self
            .admin
            .create_token(&NewToken {
                name: "agent".into(),
                role: Role::Agent,
                end_user_id: None,
            })
            .await
            .expect("agent token");
        self.client(&t.token)
    }

    /// A brand with one public department.
    pub async fn department(&self) -> Department {
        let brand = self
            .admin
            .create_brand(&NewBrand {
                name: unique("Brand"),
                ..Default::default()
            })
            .await
            .expect("brand");
        self.admin
            .create_department(&NewDepartment {
                brand_id: brand.id,
                name: unique("Support"),
                ..Default::default()
            })
            .await
            .expect("department")
    }

    /// A customer with one end user, and a client acting as that end user.
    pub async fn customer(&self) -> Person {
        let customer = self
            .admin
            .create_customer(&NewCustomer {
                name: unique("Acme"),
                ..Default::default()
            })
            .await
            .expect("customer");
        let email = format!("{}@example.com", unique("person").to_lowercase());
        let end_user = self
            .admin
            .create_end_user(&NewEndUser {
                customer_id: customer.id,
                name: Some("Pat Doe".into()),
                email: Some(email),
                ..Default::default()
            })
            .await
            .expect("end user");
        let token = self
            .admin
            .create_end_user_token(end_user.id, None)
            .await
            .expect("end user token");
        Person {
            customer,
            end_user,
            client: self.client(&token.token),
            token_id: token.id,
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown(Duration::from_secs(10)).await.expect("clean shutdown");
        }
    }
}

/// An end user and the client that acts as them.
pub struct Person {
    pub customer: Customer,
    pub end_user: EndUser,
    pub client: Client,
    pub token_id: i64,
}

/// A ticket body for `did`, opened by whoever sends it.
pub fn new_ticket(did: i64, title: &str) -> NewTicket {
    NewTicket {
        did,
        title: title.into(),
        message: "It does not work.".into(),
        ..Default::default()
    }
}

/// Asserts that a call failed with `code` (and the matching HTTP status).
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, ferrodesk_client::Error>, code: ErrorCode) -> Problem {
    match result {
        Err(ferrodesk_client::Error::Api(p)) => {
            assert_eq!(p.code, code, "unexpected problem: {p:?}");
            assert_eq!(p.status, code.status());
            p
        }
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

/// The field names a validation problem reports.
pub fn fields(p: &Problem) -> Vec<&str> {
    p.errors.iter().map(|e| e.field.as_str()).collect()
}
