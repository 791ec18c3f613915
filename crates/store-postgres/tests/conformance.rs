//! The storage conformance suite on PostgreSQL, when `FERRODESK_TEST_PG_URL` names a server
//! (`scripts/with-postgres` starts a throwaway one). Every check gets a fresh schema of its own: the store
//! connects with `options=-c search_path=<schema>`, so its migrations and tables land there.
//!
//! Without `FERRODESK_TEST_PG_URL` the suite is skipped, unless `FERRODESK_TEST_BACKEND=postgres` asks for
//! PostgreSQL explicitly (as CI does), in which case it fails rather than pass silently.

use ferrodesk_store_postgres::{PoolSize, PostgresStore};
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};
use store::Store;

/// `url` with `options=-c search_path=<schema>` added to its query string.
fn with_search_path(url: &str, schema: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}options=-c%20search_path%3D{schema}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let Ok(url) = std::env::var("FERRODESK_TEST_PG_URL") else {
        assert!(
            std::env::var("FERRODESK_TEST_BACKEND").as_deref() != Ok("postgres"),
            "FERRODESK_TEST_BACKEND=postgres but FERRODESK_TEST_PG_URL is not set (run under scripts/with-postgres)"
        );
        println!("conformance on PostgreSQL skipped: FERRODESK_TEST_PG_URL is not set");
        return;
    };
    let admin = PgPool::connect(&url).await.expect("connect to FERRODESK_TEST_PG_URL");
    let run = format!(
        "{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() % 1_000_000_000)
    );
    let schemas = Arc::new(Mutex::new(Vec::<String>::new()));
    let next = Arc::new(AtomicUsize::new(0));

    // The suite runs in a task of its own so that the schemas are dropped even when a check fails.
    let suite = {
        let (admin, schemas) = (admin.clone(), Arc::clone(&schemas));
        tokio::spawn(async move {
            store::conformance::run_all(move || {
                let schema = format!("t_{run}_{}", next.fetch_add(1, Ordering::Relaxed));
                schemas.lock().expect("schema list").push(schema.clone());
                let (admin, url) = (admin.clone(), with_search_path(&url, &schema));
                async move {
                    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                        .execute(&admin)
                        .await
                        .expect("create a schema for the check");
                    let store = PostgresStore::open(&url, PoolSize { max_connections: 5 })
                        .await
                        .expect("open PostgreSQL with the check's search_path");
                    // The migrations must have landed in the check's schema, and nowhere else.
                    let (tables, migrations, in_public): (i64, i64, bool) = sqlx::query_as(
                        "SELECT \
                           (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 \
                              AND table_name IN ('staff', 'tickets', 'replies', 'events', 'ticket_search')), \
                           (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 \
                              AND table_name = '_sqlx_migrations'), \
                           to_regclass('public.tickets') IS NOT NULL",
                    )
                    .bind(&schema)
                    .fetch_one(&admin)
                    .await
                    .expect("inspect the check's schema");
                    assert_eq!(
                        (tables, migrations, in_public),
                        (5, 1, false),
                        "migrations did not land in {schema}"
                    );
                    Arc::new(store) as Arc<dyn Store>
                }
            })
            .await;
        })
    };
    let outcome = suite.await;

    let names = schemas.lock().map(|s| s.clone()).unwrap_or_default();
    for schema in names {
        let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&admin).await {
            eprintln!("cannot drop schema {schema}: {e}");
        }
    }
    admin.close().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(payload) => std::panic::resume_unwind(payload),
            Err(e) => panic!("the conformance suite did not finish: {e}"),
        }
    }
}
