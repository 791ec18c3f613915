//! The storage conformance suite on PostgreSQL, one test per check, when `FERRODESK_TEST_PG_URL` names a
//! server (`scripts/with-postgres` starts a throwaway one). Every check gets a fresh schema of its own: the
//! store connects with `options=-c search_path=<schema>`, so its migrations and tables land there.
//!
//! Without `FERRODESK_TEST_PG_URL` the checks are reported as ignored, unless `FERRODESK_TEST_BACKEND=postgres`
//! asks for PostgreSQL explicitly (as CI does), in which case they fail rather than pass silently.

use ferrodesk_store_postgres::{PoolSize, PostgresStore};
use libtest_mimic::{Arguments, Failed, Trial};
use sqlx::{Connection as _, PgConnection};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use store::Store;
use store::conformance::{Check, checks, run_check};

/// `url` with `options=-c search_path=<schema>` added to its query string.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

/// Runs `check` in a schema of its own, dropped afterwards whatever the outcome.
async fn in_schema(check: Check, url: &str, schema: &str) -> Result<(), Failed> {
    let mut admin = PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await?;
    let outcome = open_and_run(check, &mut admin, &with_search_path(url, schema), schema).await;
    let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE")))
        .execute(&mut admin)
        .await;
    admin.close().await?;
    outcome?;
    dropped
        .map(drop)
        .map_err(|e| format!("cannot drop schema {schema}: {e}").into())
}

async fn open_and_run(check: Check, admin: &mut PgConnection, url: &str, schema: &str) -> Result<(), Failed> {
    let store = PostgresStore::open(url, PoolSize { max_connections: 5 })
        .await
        .map_err(|e| format!("open PostgreSQL with the check's search_path: {e}"))?;
    // The migrations must have landed in the check's schema, and nowhere else.
    let (tables, migrations, in_public): (i64, i64, bool) = sqlx::query_as(
        "SELECT \
           (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 \
              AND table_name IN ('staff', 'tickets', 'replies', 'events', 'ticket_search')), \
           (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 \
              AND table_name = '_sqlx_migrations'), \
           to_regclass('public.tickets') IS NOT NULL",
    )
    .bind(schema)
    .fetch_one(&mut *admin)
    .await?;
    if (tables, migrations, in_public) != (5, 1, false) {
        store.close().await;
        return Err(format!("migrations did not land in {schema}").into());
    }
    run_check(check, Arc::new(store) as Arc<dyn Store>)
        .await
        .map_err(Failed::from)?;
    documents_built_in_one_pass_are_the_same(url).await
}

/// After every check, whatever it wrote: a restore builds all search documents in one pass
/// (`ticket_search_documents()`, migration 0006), the triggers one ticket at a time
/// (`ticket_search_document(id)`); both must build the same document for every ticket.
async fn documents_built_in_one_pass_are_the_same(url: &str) -> Result<(), Failed> {
    let mut conn = PgConnection::connect(url).await?;
    let (tickets, built, different): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM tickets), count(*), \
                count(*) FILTER (WHERE d.doc IS DISTINCT FROM ticket_search_document(d.ticket_id)) \
         FROM ticket_search_documents() d",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    if (built, different) != (tickets, 0) {
        return Err(format!(
            "one-pass search documents: {built} built for {tickets} tickets, {different} unlike the per-ticket ones"
        )
        .into());
    }
    Ok(())
}

fn run(check: Check, url: &str, schema: &str) -> Result<(), Failed> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(in_schema(check, url, schema))
}

fn main() -> ExitCode {
    let args = Arguments::from_args();
    let url = std::env::var("FERRODESK_TEST_PG_URL").ok();
    let required = std::env::var("FERRODESK_TEST_BACKEND").as_deref() == Ok("postgres");
    let run_id = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() % 1_000_000_000)
    );
    let trials = checks()
        .into_iter()
        .map(|check| {
            let url = url.clone();
            // Without a server and without being asked for PostgreSQL, the checks are skipped, visibly.
            let skip = url.is_none() && !required;
            let schema = format!("t_{run_id}_{}", check.name);
            let trial = Trial::test(check.name, move || match url {
                Some(url) => run(check, &url, &schema),
                None => Err("FERRODESK_TEST_BACKEND=postgres but FERRODESK_TEST_PG_URL is not set \
                             (run under scripts/with-postgres)"
                    .into()),
            });
            trial.with_ignored_flag(skip)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}
