//! ferrodesk on PostgreSQL: many `serve` nodes may share one database.
//!
//! Writers run concurrently and lock what they read for update (`FOR UPDATE`); background work is claimed
//! with `FOR UPDATE SKIP LOCKED`, so each job runs once however many nodes there are.

use async_trait::async_trait;
use domain::Ticket;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Arguments as _, PgConnection, PgPool, Postgres, Row as _};
use std::borrow::Cow;
use std::ops::DerefMut;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{ForeignKey, Reader, Result, SearchRequest, SearchRow, Store, StoreError, TicketFilter, UniqueKey, Writer};
use store_sql::vocabulary::KnownWords;
use store_sql::{Connection, Dialect, NewRow, QueryBuilder, Row, RowMap, Sql, SqlConn, Transaction, Value};

mod dialect;
pub mod dump;
mod people;
mod windows;

/// Maps a driver error onto the store's error, naming broken constraints and never panicking.
pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                StoreError::Unique(unique_key(db.constraint().unwrap_or_default()))
            } else if db.is_foreign_key_violation() {
                StoreError::Reference(foreign_key(db.constraint().unwrap_or_default()))
            } else if dialect::is_unavailable(db.as_ref()) {
                StoreError::unavailable_from("PostgreSQL cannot take the statement now", e)
            } else {
                StoreError::internal_from("PostgreSQL failed", e)
            }
        }
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => StoreError::unavailable_from("PostgreSQL cannot be reached", e),
        _ => StoreError::internal_from("PostgreSQL failed", e),
    }
}

/// The unique key a constraint name (PostgreSQL's defaults, `<table>_<column>_key`) names.
fn unique_key(constraint: &str) -> UniqueKey {
    match constraint {
        "staff_email_key" => UniqueKey::StaffEmail,
        "brands_slug_key" => UniqueKey::BrandSlug,
        "departments_slug_key" => UniqueKey::DepartmentSlug,
        "customers_external_id_key" => UniqueKey::CustomerExternalId,
        "end_users_customer_email" => UniqueKey::EndUserEmail,
        "api_tokens_secret_hash_key" => UniqueKey::TokenSecret,
        "customers_email" => UniqueKey::CustomerEmail,
        "attributes_name" => UniqueKey::AttributeName,
        "attribute_values_unique" => UniqueKey::AttributeValue(None),
        "features_unique_key_key" => UniqueKey::FeatureKey,
        "subscriptions_one_per_group" => UniqueKey::SubscriptionGroup,
        "billing_links_billing_system_billing_id_key" => UniqueKey::BillingLink,
        "invoices_one_per_period" => UniqueKey::InvoicePeriod,
        "ticket_incidents_ticket_id_type_key" => UniqueKey::TicketIncident,
        c if c.ends_with("_pkey") => UniqueKey::Id,
        other => UniqueKey::Other(other.to_owned()),
    }
}

/// The foreign key a constraint name (PostgreSQL's defaults, `<table>_<column>_fkey`) names.
fn foreign_key(constraint: &str) -> ForeignKey {
    match constraint {
        "departments_brand_id_fkey" => ForeignKey::DepartmentBrand,
        "end_users_customer_id_fkey" => ForeignKey::EndUserCustomer,
        "api_tokens_end_user_id_fkey" => ForeignKey::TokenEndUser,
        "api_tokens_created_by_fkey" => ForeignKey::TokenCreator,
        "tickets_did_fkey" => ForeignKey::TicketDepartment,
        "tickets_user_id_fkey" => ForeignKey::TicketEndUser,
        "tickets_customer_id_fkey" => ForeignKey::TicketCustomer,
        "tickets_assigned_fkey" => ForeignKey::TicketAssignee,
        "tickets_assigned_by_fkey" => ForeignKey::TicketAssigner,
        "replies_ticket_id_fkey" => ForeignKey::ReplyTicket,
        other => ForeignKey::Other(other.to_owned()),
    }
}

/// A pooled connection (reads) or a transaction (reads and writes), as the shared SQL's connection.
pub struct PgConn<C>(C);

/// The parameters of one statement, encoded as sqlx sends them.
fn arguments(params: &[Value]) -> Result<PgArguments> {
    let mut args = PgArguments::default();
    for value in params {
        match value {
            Value::Int(v) => args.add(*v),
            Value::Text(v) => args.add(v.as_deref()),
            Value::Bool(v) => args.add(*v),
            Value::Real(v) => args.add(*v),
            Value::Bytes(v) => args.add(v.as_deref()),
        }
        .map_err(|e| StoreError::internal_from("cannot encode a parameter", e))?;
    }
    Ok(args)
}

/// A statement's text as sqlx takes it: literals as they are, built text without a copy.
fn query(sql: Sql, params: &[Value]) -> Result<sqlx::query::Query<'static, Postgres, PgArguments>> {
    let args = arguments(params)?;
    Ok(match sql.0 {
        Cow::Borrowed(text) => sqlx::query_with(text, args),
        Cow::Owned(text) => sqlx::query_with(sqlx::AssertSqlSafe(text), args),
    })
}

/// One PostgreSQL row, read through its column types.
struct PgRowRef<'a>(&'a PgRow);

impl PgRowRef<'_> {
    fn get<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(&'r self, column: &str) -> Result<T> {
        self.0
            .try_get(column)
            .map_err(|e| StoreError::internal_from(format!("cannot read column {column}"), e))
    }
}

impl Row for PgRowRef<'_> {
    fn int(&self, column: &str) -> Result<Option<i64>> {
        self.get(column)
    }

    fn float(&self, column: &str) -> Result<Option<f64>> {
        self.get(column)
    }

    fn bool(&self, column: &str) -> Result<Option<bool>> {
        self.get(column)
    }

    fn text(&self, column: &str) -> Result<Option<&str>> {
        self.get(column)
    }

    fn bytes(&self, column: &str) -> Result<Option<&[u8]>> {
        self.get(column)
    }
}

impl<C: DerefMut<Target = PgConnection> + Send> Connection for PgConn<C> {
    async fn execute(&mut self, sql: Sql, params: &[Value]) -> Result<u64> {
        let done = query(sql, params)?.execute(&mut *self.0).await.map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn fetch_optional<T: Send>(&mut self, sql: Sql, params: &[Value], map: RowMap<T>) -> Result<Option<T>> {
        let row = query(sql, params)?
            .fetch_optional(&mut *self.0)
            .await
            .map_err(map_err)?;
        row.as_ref().map(|row| map(&PgRowRef(row))).transpose()
    }

    async fn fetch_all<T: Send>(&mut self, sql: Sql, params: &[Value], map: RowMap<T>) -> Result<Vec<T>> {
        let rows = query(sql, params)?.fetch_all(&mut *self.0).await.map_err(map_err)?;
        rows.iter().map(|row| map(&PgRowRef(row))).collect()
    }
}

impl<C: DerefMut<Target = PgConnection> + Send> Dialect for PgConn<C> {
    const FOR_UPDATE: &'static str = dialect::FOR_UPDATE;
    const FOR_SHARE: &'static str = " FOR SHARE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE OF s SKIP LOCKED";

    fn push_ticket_terms(query: &mut QueryBuilder, terms: &[String], internal: bool) {
        dialect::push_ticket_terms(query, terms, internal);
    }

    const STRING_AGG_VALUES: &'static str = "string_agg(v.value, ' ' ORDER BY v.attribute_id)";

    fn person_terms_table(_entity: domain::AttributeEntity) -> Option<&'static str> {
        // GIN has no order: the planner chooses between the index's matches and the id order itself.
        None
    }

    fn push_person_terms(query: &mut QueryBuilder, _entity: domain::AttributeEntity, terms: &[String], _: bool) {
        people::PersonMatch::new(terms).push(query, "e");
    }

    async fn ticket_list_matching(&mut self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
        dialect::ticket_list_matching(self, filter).await
    }

    async fn person_list_matching<T: Send>(
        &mut self,
        query: &store::PersonQuery,
        cols: &str,
        map: RowMap<T>,
    ) -> Result<Option<Vec<T>>> {
        people::person_list_matching(self, query, cols, map).await
    }

    async fn search(&mut self, request: &SearchRequest) -> Result<Vec<SearchRow>> {
        dialect::search(&mut self.0, request).await
    }
}

/// A write transaction, with the store's memory of the words its vocabulary holds.
pub struct PgWrite {
    tx: sqlx::Transaction<'static, Postgres>,
    known: Arc<Mutex<KnownWords>>,
    /// Words of this transaction's text the store did not know; added to the vocabulary at commit, and
    /// known once it commits (a rollback undoes them).
    added: Vec<String>,
}

impl std::ops::Deref for PgWrite {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.tx
    }
}

impl DerefMut for PgWrite {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.tx
    }
}

/// Adds the words of new and changed text to the search vocabulary (`store_sql::vocabulary`).
static ADD_WORDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO ticket_terms (key, term) VALUES {} ON CONFLICT DO NOTHING",
        store_sql::vocabulary::insert_rows()
    )
});

impl PgConn<PgWrite> {
    /// Notes the words of `text` that the store does not know to be in the vocabulary yet; they are added
    /// at commit, in as few statements as the transaction needs (one round trip for most).
    fn add_words(&mut self, text: &str) {
        let known = self.0.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let added = &mut self.0.added;
        added.extend(
            store_sql::vocabulary::words_to_keep(text)
                .filter(|w| !known.knows(w))
                .map(str::to_owned),
        );
    }
}

impl Transaction for PgConn<PgWrite> {
    async fn insert(&mut self, row: NewRow) -> Result<i64> {
        let sql = format!("{} RETURNING id", row.insert_sql(false));
        let args = arguments(&row.values)?;
        sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), args)
            .fetch_one(&mut *self.0)
            .await
            .map_err(map_err)
    }

    /// The `ticket_search` triggers index new tickets inside the inserting statement; their words go to
    /// the vocabulary at commit.
    async fn index_new_ticket(&mut self, _: i64, title: &str) -> Result<()> {
        self.add_words(title);
        Ok(())
    }

    /// The `ticket_search` triggers index new replies inside the inserting statement; their words go to
    /// the vocabulary at commit.
    async fn index_new_reply(&mut self, _: i64, message: &str, _: bool) -> Result<()> {
        self.add_words(message);
        Ok(())
    }

    async fn index_changed_text(&mut self, text: &str) -> Result<()> {
        self.add_words(text);
        Ok(())
    }

    async fn commit(mut self) -> Result<()> {
        let statements = store_sql::vocabulary::add_words(self.0.added.iter().map(String::as_str), |_| true);
        for values in statements {
            self.execute(Sql::from(ADD_WORDS.as_str()), &values).await?;
        }
        let PgWrite { tx, known, added } = self.0;
        tx.commit().await.map_err(map_err)?;
        let mut known = known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for word in &added {
            known.learn(word);
        }
        Ok(())
    }
}

pub struct PostgresStore {
    pool: PgPool,
    /// Woken by `NOTIFY ferrodesk_events` (the event log's insert trigger), from any node.
    outbox: Arc<tokio::sync::Notify>,
    /// None for a one-message command, which wakes no outbox worker.
    listener: Option<tokio::task::JoinHandle<()>>,
    /// Words this node knows the search vocabulary to hold (other nodes add theirs; inserts skip duplicates).
    known_words: Arc<Mutex<KnownWords>>,
}

/// Pool settings: how many connections one node may hold.
#[derive(Debug, Clone, Copy)]
pub struct PoolSize {
    pub max_connections: u32,
}

impl Default for PoolSize {
    fn default() -> Self {
        Self { max_connections: 16 }
    }
}

/// Plans a full-text query once on a new connection. The first plan of a search on a connection reads the
/// statistics of `ticket_search.doc` (most common lexemes, kept at STATISTICS 1000) into the connection's
/// cache: ~30 ms at 1,000,000 tickets, once per connection, paid here rather than by someone's search. A
/// database not migrated yet has no such table: nothing to warm.
async fn warm_search_statistics(conn: &mut PgConnection) -> std::result::Result<(), sqlx::Error> {
    let _ = sqlx::query("EXPLAIN SELECT 1 FROM ticket_search WHERE doc @@ 'ferrodesk'::tsquery")
        .execute(conn)
        .await;
    Ok(())
}

impl PostgresStore {
    /// Connects to `url` and applies pending migrations. Several nodes may start at once: sqlx takes an
    /// advisory lock around migrations.
    pub async fn open(url: &str, size: PoolSize) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(size.max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(true)
            .after_connect(|conn, _| Box::pin(warm_search_statistics(conn)))
            .connect_with(connect_options(url)?)
            .await
            .map_err(|e| StoreError::unavailable_from("cannot connect to PostgreSQL", e))?;
        migrate(&pool).await?;
        let outbox = Arc::new(tokio::sync::Notify::new());
        let listener = Some(tokio::spawn(listen_for_events(pool.clone(), outbox.clone())));
        Ok(Self {
            pool,
            outbox,
            listener,
            known_words: Arc::default(),
        })
    }

    /// [`PostgresStore::open`] for a command that writes one message and exits (`mail-in`, once per mail
    /// from an MTA): two connections at most, opened when needed, no search warm-up and no `LISTEN`; the
    /// migrations' advisory lock is taken only when one is pending, so that commands started together
    /// do not queue behind each other for a schema that is current.
    pub async fn open_for_command(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(connect_options(url)?)
            .await
            .map_err(|e| StoreError::unavailable_from("cannot connect to PostgreSQL", e))?;
        let migrator = sqlx::migrate!("./migrations");
        let applied = applied_migrations(&pool).await?;
        if migrator.iter().any(|m| !applied.contains(&m.version)) {
            migrate(&pool).await?;
        }
        Ok(Self {
            pool,
            outbox: Arc::new(tokio::sync::Notify::new()),
            listener: None,
            known_words: Arc::default(),
        })
    }
}

fn connect_options(url: &str) -> Result<PgConnectOptions> {
    Ok(PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::unavailable_from("bad PostgreSQL URL", e))?
        .application_name("ferrodesk"))
}

/// Applies pending migrations (sqlx holds an advisory lock meanwhile, so several nodes may start at once),
/// then what runs after some of them.
async fn migrate(pool: &PgPool) -> Result<()> {
    let applied_before = applied_migrations(pool).await?;
    sqlx::migrate!("./migrations")
        .run(pool)
        .await
        .map_err(|e| StoreError::unavailable_from("cannot migrate PostgreSQL database", e))?;
    let applied_now = applied_migrations(pool).await?;
    for (version, sql) in AFTER_MIGRATION {
        if !applied_before.contains(version) && applied_now.contains(version) {
            sqlx::query(sqlx::AssertSqlSafe(*sql))
                .execute(pool)
                .await
                .map_err(|e| StoreError::unavailable_from("cannot finish a PostgreSQL migration", e))?;
        }
    }
    Ok(())
}

/// What runs once after a migration has been applied, outside its transaction. Planner statistics: inside
/// the migration's transaction `ANALYZE` ignores a statistics target set in that same transaction, and
/// migration 0011's keyword lists choose their plan by the statistics of the new index expressions
/// (`people.rs`), gathered with its target of 1,000.
const AFTER_MIGRATION: &[(i64, &str)] = &[(11, "ANALYZE customers, end_users")];

/// The versions of the migrations applied to the database (none before the first).
async fn applied_migrations(pool: &PgPool) -> Result<Vec<i64>> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await
        .map_err(map_err)?;
    if !exists {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .map_err(map_err)
}

/// Wakes `outbox` at every `NOTIFY ferrodesk_events`; the listener reconnects by itself after a lost
/// connection (and wakes the workers then, since notifications may have been missed meanwhile).
async fn listen_for_events(pool: PgPool, outbox: Arc<tokio::sync::Notify>) {
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
            listener.listen("ferrodesk_events").await?;
            outbox.notify_one();
            loop {
                listener.recv().await?;
                outbox.notify_one();
            }
        };
        let result: std::result::Result<(), sqlx::Error> = listener.await;
        if let Err(e) = result {
            tracing::debug!(error = %e, "event listener lost its connection; reconnecting");
        }
        outbox.notify_one();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn read(&self) -> Result<Box<dyn Reader>> {
        Ok(Box::new(SqlConn::new(PgConn(
            self.pool.acquire().await.map_err(map_err)?,
        ))))
    }

    async fn write(&self) -> Result<Box<dyn Writer>> {
        Ok(Box::new(SqlConn::new(PgConn(PgWrite {
            tx: self.pool.begin().await.map_err(map_err)?,
            known: self.known_words.clone(),
            added: Vec::new(),
        }))))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(map_err)
            .map(drop)
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn outbox_signal(&self) -> Arc<tokio::sync::Notify> {
        Arc::clone(&self.outbox)
    }

    async fn close(&self) {
        if let Some(listener) = &self.listener {
            listener.abort();
        }
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_become_keys() {
        assert_eq!(unique_key("staff_email_key"), UniqueKey::StaffEmail);
        assert_eq!(unique_key("tickets_pkey"), UniqueKey::Id);
        assert_eq!(unique_key("end_users_customer_email"), UniqueKey::EndUserEmail);
        assert_eq!(unique_key("made_up"), UniqueKey::Other("made_up".into()));
        assert_eq!(foreign_key("tickets_did_fkey"), ForeignKey::TicketDepartment);
        assert_eq!(foreign_key("made_up"), ForeignKey::Other("made_up".into()));
    }
}
