//! The schema's migrations, applied in order, each in its own transaction.
//!
//! They are recorded in the table sqlx's migrator uses (`_sqlx_migrations`: version, description,
//! success, SHA-384 checksum, time taken), because databases made by earlier ferrodesk builds, which
//! migrated with sqlx, must go on upgrading in place. A migration changed after it was applied is refused,
//! as sqlx refuses it.
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha384};
use std::time::Instant;

struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
    /// Statements run after `sql` in the same transaction, shared with other code (so not in the file,
    /// and not in the checksum).
    then: Option<&'static str>,
}

/// Every file of `migrations/`, in order (a test checks that none is missing).
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "core",
        sql: include_str!("../migrations/0001_core.sql"),
        then: None,
    },
    Migration {
        version: 2,
        description: "search triggers on change",
        sql: include_str!("../migrations/0002_search_triggers_on_change.sql"),
        then: None,
    },
    Migration {
        version: 3,
        description: "index new rows without triggers",
        sql: include_str!("../migrations/0003_index_new_rows_without_triggers.sql"),
        then: None,
    },
    Migration {
        version: 4,
        description: "customer city country",
        sql: include_str!("../migrations/0004_customer_city_country.sql"),
        then: None,
    },
    Migration {
        version: 5,
        description: "end user email unique",
        sql: include_str!("../migrations/0005_end_user_email_unique.sql"),
        then: None,
    },
    Migration {
        version: 6,
        description: "ticket terms",
        sql: include_str!("../migrations/0006_ticket_terms.sql"),
        then: Some(crate::vocabulary::FILL_FROM_INDEX),
    },
    Migration {
        version: 7,
        description: "oauth clients",
        sql: include_str!("../migrations/0007_oauth_clients.sql"),
        then: None,
    },
    Migration {
        version: 8,
        description: "customer attributes",
        sql: include_str!("../migrations/0008_customer_attributes.sql"),
        then: None,
    },
    Migration {
        version: 9,
        description: "activity events",
        sql: include_str!("../migrations/0009_activity_events.sql"),
        then: None,
    },
    Migration {
        version: 10,
        description: "billing catalogue",
        sql: include_str!("../migrations/0010_billing_catalogue.sql"),
        then: None,
    },
    Migration {
        version: 11,
        description: "subscriptions",
        sql: include_str!("../migrations/0011_subscriptions.sql"),
        then: None,
    },
    Migration {
        version: 12,
        description: "invoices",
        sql: include_str!("../migrations/0012_invoices.sql"),
        then: None,
    },
    Migration {
        version: 13,
        description: "payments",
        sql: include_str!("../migrations/0013_payments.sql"),
        then: None,
    },
    Migration {
        version: 14,
        description: "billing links",
        sql: include_str!("../migrations/0014_billing_links.sql"),
        then: None,
    },
    Migration {
        version: 15,
        description: "support levels",
        sql: include_str!("../migrations/0015_support_levels.sql"),
        then: None,
    },
    Migration {
        version: 16,
        description: "renewals",
        sql: include_str!("../migrations/0016_renewals.sql"),
        then: None,
    },
    Migration {
        version: 17,
        description: "contracts",
        sql: include_str!("../migrations/0017_contracts.sql"),
        then: None,
    },
    Migration {
        version: 18,
        description: "outbox",
        sql: include_str!("../migrations/0018_outbox.sql"),
        then: None,
    },
    Migration {
        version: 19,
        description: "automation",
        sql: include_str!("../migrations/0019_automation.sql"),
        then: None,
    },
    Migration {
        version: 20,
        description: "sessions",
        sql: include_str!("../migrations/0020_sessions.sql"),
        then: None,
    },
    Migration {
        version: 21,
        description: "console",
        sql: include_str!("../migrations/0021_console.sql"),
        then: None,
    },
    Migration {
        version: 22,
        description: "dashboard",
        sql: include_str!("../migrations/0022_dashboard.sql"),
        then: None,
    },
    Migration {
        version: 23,
        description: "queue orders",
        sql: include_str!("../migrations/0023_queue_orders.sql"),
        then: None,
    },
    Migration {
        version: 24,
        description: "day counts",
        sql: include_str!("../migrations/0024_day_counts.sql"),
        then: None,
    },
    Migration {
        version: 25,
        description: "integrations",
        sql: include_str!("../migrations/0025_integrations.sql"),
        then: None,
    },
    Migration {
        version: 26,
        description: "case updates",
        sql: include_str!("../migrations/0026_case_updates.sql"),
        then: None,
    },
    Migration {
        version: 27,
        description: "email",
        sql: include_str!("../migrations/0027_email.sql"),
        then: None,
    },
];

/// Makes [`store_sql::phone_key`] callable from SQL as `ferrodesk_phone_key(phone)`, for migration 0025.
fn register_phone_key_function(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "ferrodesk_phone_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(ctx.get_raw(0).as_str().ok().and_then(store_sql::phone_key)),
    )
}

/// Applies the migrations `conn` has not had yet; how many there were.
pub(crate) fn run(conn: &mut Connection) -> Result<usize, String> {
    crate::vocabulary::register_key_function(conn).map_err(|e| e.to_string())?;
    register_phone_key_function(conn).map_err(|e| e.to_string())?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS _sqlx_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            success BOOLEAN NOT NULL,
            checksum BLOB NOT NULL,
            execution_time BIGINT NOT NULL
        )",
    )
    .map_err(|e| e.to_string())?;
    let mut applied_now = 0;
    for m in MIGRATIONS {
        let checksum = Sha384::digest(m.sql.as_bytes()).to_vec();
        let applied: Option<(Vec<u8>, bool)> = conn
            .query_row(
                "SELECT checksum, success FROM _sqlx_migrations WHERE version = ?1",
                [m.version],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(|e| e.to_string())?;
        match applied {
            Some((_, false)) => return Err(format!("migration {} failed earlier; restore a backup", m.version)),
            Some((recorded, true)) if recorded != checksum => {
                return Err(format!("migration {} was changed after it was applied", m.version));
            }
            Some(_) => continue,
            None => {}
        }
        applied_now += 1;
        let started = Instant::now();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| e.to_string())?;
        for sql in std::iter::once(m.sql).chain(m.then) {
            tx.execute_batch(sql)
                .map_err(|e| format!("migration {} ({}): {e}", m.version, m.description))?;
        }
        let took = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (?1, ?2, TRUE, ?3, ?4)",
            params![m.version, m.description, checksum, took],
        )
        .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    Ok(applied_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(
            files.len(),
            MIGRATIONS.len(),
            "a migration file is not listed in MIGRATIONS"
        );
        for (file, m) in files.iter().zip(MIGRATIONS) {
            let (number, rest) = file.split_once('_').expect("NNNN_description.sql");
            assert_eq!(number.parse::<i64>().ok(), Some(m.version), "{file}");
            assert_eq!(rest.trim_end_matches(".sql").replace('_', " "), m.description, "{file}");
            let text = std::fs::read_to_string(format!("{dir}/{file}")).expect("readable");
            assert_eq!(text, m.sql, "{file}");
        }
    }

    #[test]
    fn applies_once_and_refuses_a_changed_migration() {
        let mut conn = Connection::open_in_memory().expect("in-memory database");
        run(&mut conn).expect("first run");
        run(&mut conn).expect("second run is a no-op");
        let count: i64 = conn
            .query_row("SELECT count(*) FROM _sqlx_migrations WHERE success", [], |r| r.get(0))
            .expect("count");
        assert_eq!(count, i64::try_from(MIGRATIONS.len()).expect("small"));
        conn.execute("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1", [])
            .expect("tamper");
        let refused = run(&mut conn).expect_err("changed migration");
        assert!(refused.contains("changed"), "{refused}");
    }
}
