// The SQL implementation shared by the SQLite and PostgreSQL backends.
//
// This file is not a module of the `store` crate: each backend crate `include!`s it (and queue.rs) as its `sql` module,
// after defining at its root
//   mod db (sqlx itself on PostgreSQL; on SQLite the same calls over rusqlite: query, query_scalar,
//     query_with, query_scalar_with, QueryBuilder, Row, Arguments, Args, Query, AssertSqlSafe, and
//     map_err, which turns the driver's errors into the store's),
//   type Db (the database marker), type DbConn (its connection type), type DbRow (its row type),
//   mod dialect { FOR_UPDATE, push_ticket_terms(..), search(..), index_new_ticket(..),
//                 index_new_reply(..) }.
// Both backends accept `$N` placeholders, share their column types (BIGINT/INTEGER ids and microsecond
// timestamps, TEXT for JSON, booleans as bool) and differ only where `dialect` says, so the row mapping and
// every ordinary query are written once and compiled twice, against concrete types. That keeps sqlx's
// generic-executor bounds (and their lifetime errors) out of the code.

use super::db::{self, QueryBuilder, Row};
pub use super::db::map_err;
use super::{Db, DbConn, DbRow, dialect};
use store::time::{from_micros, to_micros};
use store::{
    AssignedFilter, DeletedFilter, EndUserCredentials, EventFilter, PageRequest, Reader, Result, SearchKind, SearchRequest, SearchRow,
    StaffCredentials, StoreError, TicketFilter, TicketSort, Writer,
};
use domain::event::{EntityType, EventAction, EventData, EventSource, NewEvent};
use domain::{ApiToken, Brand, Customer, Department, EndUser, Event, Priority, Reply, Role, Staff, Ticket, TicketStatus};

/// A connection of either kind: a pooled connection (reads) or a transaction (reads and writes).
pub struct SqlConn<C> {
    conn: C,
}

impl<C> SqlConn<C> {
    pub fn new(conn: C) -> Self {
        Self { conn }
    }
}

fn decode_err(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Internal(format!("cannot decode {what}: {e}"))
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

fn from_json_text<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| decode_err(what, e))
}

fn opt_ts(v: Option<i64>) -> Option<domain::Timestamp> {
    v.map(from_micros)
}

fn role(s: &str) -> Result<Role> {
    Role::parse(s).map_err(|e| decode_err("role", e))
}

// ---------------------------------------------------------------- row mapping

const STAFF_COLS: &str = "id, email, name, role, created_at, updated_at";

fn staff_row(r: &DbRow) -> Result<Staff> {
    Ok(Staff {
        id: r.try_get("id").map_err(map_err)?,
        email: r.try_get("email").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        role: role(r.try_get("role").map_err(map_err)?)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
    })
}

const TOKEN_COLS: &str = "id, name, role, end_user_id, created_by, created_at";

fn token_row(r: &DbRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        role: role(r.try_get("role").map_err(map_err)?)?,
        end_user_id: r.try_get("end_user_id").map_err(map_err)?,
        created_by: r.try_get("created_by").map_err(map_err)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
    })
}

const BRAND_COLS: &str = "id, name, slug, greeting, customer_backend, created_at, updated_at";

fn brand_row(r: &DbRow) -> Result<Brand> {
    Ok(Brand {
        id: r.try_get("id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        slug: r.try_get("slug").map_err(map_err)?,
        greeting: r.try_get("greeting").map_err(map_err)?,
        customer_backend: r.try_get("customer_backend").map_err(map_err)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
    })
}

const DEPARTMENT_COLS: &str = "id, brand_id, name, slug, description, public, created_at, updated_at";

fn department_row(r: &DbRow) -> Result<Department> {
    Ok(Department {
        id: r.try_get("id").map_err(map_err)?,
        brand_id: r.try_get("brand_id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        slug: r.try_get("slug").map_err(map_err)?,
        description: r.try_get("description").map_err(map_err)?,
        public: r.try_get("public").map_err(map_err)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
    })
}

const CUSTOMER_COLS: &str =
    "id, name, email, phone, city, country, external_id, tags, created_at, updated_at, deleted_at";

fn customer_row(r: &DbRow) -> Result<Customer> {
    Ok(Customer {
        id: r.try_get("id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        email: r.try_get("email").map_err(map_err)?,
        phone: r.try_get("phone").map_err(map_err)?,
        city: r.try_get("city").map_err(map_err)?,
        country: r.try_get("country").map_err(map_err)?,
        external_id: r.try_get("external_id").map_err(map_err)?,
        tags: from_json_text("customer tags", r.try_get::<&str, _>("tags").map_err(map_err)?)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
        deleted_at: opt_ts(r.try_get("deleted_at").map_err(map_err)?),
    })
}

const END_USER_COLS: &str =
    "id, customer_id, name, email, phone, tags, password_hash, created_at, updated_at, deleted_at";

fn end_user_row(r: &DbRow) -> Result<EndUser> {
    let hash: Option<&str> = r.try_get("password_hash").map_err(map_err)?;
    Ok(EndUser {
        id: r.try_get("id").map_err(map_err)?,
        customer_id: r.try_get("customer_id").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        email: r.try_get("email").map_err(map_err)?,
        phone: r.try_get("phone").map_err(map_err)?,
        tags: from_json_text("end user tags", r.try_get::<&str, _>("tags").map_err(map_err)?)?,
        has_password: hash.is_some(),
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
        deleted_at: opt_ts(r.try_get("deleted_at").map_err(map_err)?),
    })
}

const TICKET_COLS: &str = "t.id, t.did, t.user_id, t.customer_id, t.status, t.locked, t.priority, t.title, \
     t.ctime, t.lastreply, t.read_by_customer, t.read_by_staff, t.service, t.assigned, t.assigned_by, \
     t.custom_fields, t.redeemed, t.account_key, t.updated_at";

fn ticket_row(r: &DbRow) -> Result<Ticket> {
    let status: &str = r.try_get("status").map_err(map_err)?;
    let priority: i64 = r.try_get("priority").map_err(map_err)?;
    Ok(Ticket {
        id: r.try_get("id").map_err(map_err)?,
        did: r.try_get("did").map_err(map_err)?,
        user_id: r.try_get("user_id").map_err(map_err)?,
        customer_id: r.try_get("customer_id").map_err(map_err)?,
        status: TicketStatus::parse(status).map_err(|e| decode_err("ticket status", e))?,
        locked: r.try_get("locked").map_err(map_err)?,
        priority: Priority::try_from(priority).map_err(|e| decode_err("ticket priority", e))?,
        title: r.try_get("title").map_err(map_err)?,
        ctime: from_micros(r.try_get("ctime").map_err(map_err)?),
        lastreply: from_micros(r.try_get("lastreply").map_err(map_err)?),
        read_by_customer: r.try_get("read_by_customer").map_err(map_err)?,
        read_by_staff: r.try_get("read_by_staff").map_err(map_err)?,
        service: r.try_get("service").map_err(map_err)?,
        assigned: r.try_get("assigned").map_err(map_err)?,
        assigned_by: r.try_get("assigned_by").map_err(map_err)?,
        custom_fields: from_json_text("custom fields", r.try_get::<&str, _>("custom_fields").map_err(map_err)?)?,
        redeemed: from_json_text("redeemed incidents", r.try_get::<&str, _>("redeemed").map_err(map_err)?)?,
        account_key: r.try_get("account_key").map_err(map_err)?,
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
        replies: None,
    })
}

const REPLY_COLS: &str = "id, ticket_id, user_id, admin, name, encrypted, message, ctime, ip, internal";

fn reply_row(r: &DbRow) -> Result<Reply> {
    Ok(Reply {
        id: r.try_get("id").map_err(map_err)?,
        owner_id: r.try_get("ticket_id").map_err(map_err)?,
        user_id: r.try_get("user_id").map_err(map_err)?,
        admin: r.try_get("admin").map_err(map_err)?,
        name: r.try_get("name").map_err(map_err)?,
        encrypted: r.try_get("encrypted").map_err(map_err)?,
        message: r.try_get("message").map_err(map_err)?,
        ctime: from_micros(r.try_get("ctime").map_err(map_err)?),
        ip: r.try_get("ip").map_err(map_err)?,
        internal: r.try_get("internal").map_err(map_err)?,
    })
}

const EVENT_COLS: &str = "id, timestamp, source, member_id, member_type, url, action, name, entity, entity_id, \
     customer_id, value, old, status, created_at, updated_at";

fn event_row(r: &DbRow) -> Result<Event> {
    let source: &str = r.try_get("source").map_err(map_err)?;
    let action: &str = r.try_get("action").map_err(map_err)?;
    let entity: &str = r.try_get("entity").map_err(map_err)?;
    Ok(Event {
        id: r.try_get("id").map_err(map_err)?,
        timestamp: from_micros(r.try_get("timestamp").map_err(map_err)?),
        source: EventSource::parse(source).ok_or_else(|| decode_err("event source", source))?,
        member_id: r.try_get("member_id").map_err(map_err)?,
        member_type: r.try_get("member_type").map_err(map_err)?,
        url: r.try_get("url").map_err(map_err)?,
        action: EventAction::parse(action).ok_or_else(|| decode_err("event action", action))?,
        name: r.try_get("name").map_err(map_err)?,
        data: EventData {
            entity: EntityType::parse(entity).ok_or_else(|| decode_err("event type", entity))?,
            value: from_json_text("event value", r.try_get::<&str, _>("value").map_err(map_err)?)?,
            old: from_json_text("event old value", r.try_get::<&str, _>("old").map_err(map_err)?)?,
        },
        entity_id: r.try_get("entity_id").map_err(map_err)?,
        customer_id: r.try_get("customer_id").map_err(map_err)?,
        status: r.try_get("status").map_err(map_err)?,
        created_at: from_micros(r.try_get("created_at").map_err(map_err)?),
        updated_at: from_micros(r.try_get("updated_at").map_err(map_err)?),
    })
}

fn sql(s: String) -> db::AssertSqlSafe<String> {
    db::AssertSqlSafe(s)
}

/// `SELECT <cols> FROM <table> WHERE id = $1`, decoded with `f`.
async fn by_id<T>(c: &mut DbConn, cols: &str, table: &str, id: i64, f: fn(&DbRow) -> Result<T>) -> Result<Option<T>> {
    let row = db::query(sql(format!("SELECT {cols} FROM {table} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *c)
        .await
        .map_err(map_err)?;
    row.as_ref().map(f).transpose()
}

/// Newest-first keyset page of a table, narrowed by `condition` (`AND …`), which may refer to `$3`:
/// `third`, bound only when given.
async fn id_page<T>(
    c: &mut DbConn,
    cols: &str,
    table: &str,
    condition: &str,
    third: Option<i64>,
    page: &PageRequest,
    f: fn(&DbRow) -> Result<T>,
) -> Result<Vec<T>> {
    let mut q = db::query(sql(format!(
        "SELECT {cols} FROM {table} WHERE id < $1 {condition} ORDER BY id DESC LIMIT $2"
    )))
    .bind(page.before_id())
    .bind(i64::from(page.limit));
    if let Some(value) = third {
        q = q.bind(value);
    }
    let rows = q.fetch_all(&mut *c).await.map_err(map_err)?;
    rows_of(rows, f)
}

/// A search hit; each dialect's search query selects `id, title, text, score`.
pub fn search_row(kind: SearchKind, r: &DbRow) -> Result<SearchRow> {
    Ok(SearchRow {
        kind,
        id: r.try_get("id").map_err(map_err)?,
        title: r.try_get("title").map_err(map_err)?,
        text: r.try_get("text").map_err(map_err)?,
        score: r.try_get("score").map_err(map_err)?,
    })
}

fn rows_of<T>(rows: Vec<DbRow>, f: fn(&DbRow) -> Result<T>) -> Result<Vec<T>> {
    rows.iter().map(f).collect()
}

async fn exec(c: &mut DbConn, q: db::Query<'_>) -> Result<u64> {
    Ok(q.execute(&mut *c).await.map_err(map_err)?.rows_affected())
}

// ---------------------------------------------------------------- connections

/// A connection the shared SQL runs on.
#[async_trait::async_trait]
pub trait Conn: Send {
    /// The driver connection, after every statement queued on this connection has run: whatever asks for
    /// it sees this unit's own writes.
    async fn db(&mut self) -> Result<&mut DbConn>;

    /// Where inserts may wait to be sent together with the connection's next statement, or `None` if every
    /// statement runs at once.
    fn queue(&mut self) -> Option<&mut WriteQueue> {
        None
    }
}

use db::Args;

// ---------------------------------------------------------------- reads

#[async_trait::async_trait]
impl<C: Conn> Reader for SqlConn<C> {
    async fn staff(&mut self, id: i64) -> Result<Option<Staff>> {
        by_id(self.conn.db().await?, STAFF_COLS, "staff", id, staff_row).await
    }

    async fn staff_credentials(&mut self, email: &str) -> Result<Option<StaffCredentials>> {
        let row = db::query(sql(format!("SELECT {STAFF_COLS}, password_hash FROM staff WHERE email = $1")))
            .bind(email)
            .fetch_optional(self.conn.db().await?)
            .await
            .map_err(map_err)?;
        row.map(|r| Ok(StaffCredentials { staff: staff_row(&r)?, password_hash: r.try_get("password_hash").map_err(map_err)? }))
            .transpose()
    }

    async fn staff_list(&mut self, page: &PageRequest) -> Result<Vec<Staff>> {
        id_page(self.conn.db().await?, STAFF_COLS, "staff", "", None, page, staff_row).await
    }

    async fn staff_count(&mut self, role: Option<Role>) -> Result<i64> {
        db::query_scalar("SELECT COUNT(*) FROM staff WHERE $1 IS NULL OR role = $1")
            .bind(role.map(Role::as_str))
            .fetch_one(self.conn.db().await?)
            .await
            .map_err(map_err)
    }

    async fn token(&mut self, id: i64) -> Result<Option<ApiToken>> {
        by_id(self.conn.db().await?, TOKEN_COLS, "api_tokens", id, token_row).await
    }

    async fn token_by_hash(&mut self, secret_hash: &str) -> Result<Option<ApiToken>> {
        let row = db::query(sql(format!("SELECT {TOKEN_COLS} FROM api_tokens WHERE secret_hash = $1")))
            .bind(secret_hash)
            .fetch_optional(self.conn.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(token_row).transpose()
    }

    async fn token_list(&mut self, page: &PageRequest) -> Result<Vec<ApiToken>> {
        id_page(self.conn.db().await?, TOKEN_COLS, "api_tokens", "", None, page, token_row).await
    }

    async fn end_user_token_list(&mut self, end_user_id: i64, page: &PageRequest) -> Result<Vec<ApiToken>> {
        let condition = "AND end_user_id = $3";
        id_page(self.conn.db().await?, TOKEN_COLS, "api_tokens", condition, Some(end_user_id), page, token_row).await
    }

    async fn brand(&mut self, id: i64) -> Result<Option<Brand>> {
        by_id(self.conn.db().await?, BRAND_COLS, "brands", id, brand_row).await
    }

    async fn brand_list(&mut self, page: &PageRequest) -> Result<Vec<Brand>> {
        id_page(self.conn.db().await?, BRAND_COLS, "brands", "", None, page, brand_row).await
    }

    async fn department(&mut self, id: i64) -> Result<Option<Department>> {
        by_id(self.conn.db().await?, DEPARTMENT_COLS, "departments", id, department_row).await
    }

    async fn department_list(&mut self, brand_id: Option<i64>, public_only: bool, page: &PageRequest) -> Result<Vec<Department>> {
        let rows = db::query(sql(format!(
            "SELECT {DEPARTMENT_COLS} FROM departments WHERE id < $1 AND ($3 IS NULL OR brand_id = $3) \
             AND (public OR NOT $4) ORDER BY id DESC LIMIT $2"
        )))
        .bind(page.before_id())
        .bind(i64::from(page.limit))
        .bind(brand_id)
        .bind(public_only)
        .fetch_all(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        rows_of(rows, department_row)
    }

    async fn department_ticket_count(&mut self, id: i64) -> Result<i64> {
        db::query_scalar("SELECT COUNT(*) FROM tickets WHERE did = $1")
            .bind(id)
            .fetch_one(self.conn.db().await?)
            .await
            .map_err(map_err)
    }

    async fn brand_department_count(&mut self, id: i64) -> Result<i64> {
        db::query_scalar("SELECT COUNT(*) FROM departments WHERE brand_id = $1")
            .bind(id)
            .fetch_one(self.conn.db().await?)
            .await
            .map_err(map_err)
    }

    async fn customer(&mut self, id: i64) -> Result<Option<Customer>> {
        by_id(self.conn.db().await?, CUSTOMER_COLS, "customers", id, customer_row).await
    }

    async fn customer_list(&mut self, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<Customer>> {
        let condition = match deleted {
            DeletedFilter::Exclude => "AND deleted_at IS NULL",
            DeletedFilter::Only => "AND deleted_at IS NOT NULL",
            DeletedFilter::Include => "",
        };
        id_page(self.conn.db().await?, CUSTOMER_COLS, "customers", condition, None, page, customer_row).await
    }

    async fn end_user(&mut self, id: i64) -> Result<Option<EndUser>> {
        by_id(self.conn.db().await?, END_USER_COLS, "end_users", id, end_user_row).await
    }

    async fn end_user_credentials(&mut self, email: &str) -> Result<Option<EndUserCredentials>> {
        let row = db::query(sql(format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE email = $1 AND deleted_at IS NULL \
             AND password_hash IS NOT NULL ORDER BY id LIMIT 1"
        )))
        .bind(email)
        .fetch_optional(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        row.map(|r| {
            Ok(EndUserCredentials { end_user: end_user_row(&r)?, password_hash: r.try_get("password_hash").map_err(map_err)? })
        })
        .transpose()
    }

    async fn end_user_by_email(&mut self, customer_id: i64, email: &str) -> Result<Option<EndUser>> {
        let row = db::query(sql(format!(
            "SELECT {END_USER_COLS} FROM end_users WHERE customer_id = $1 AND email = $2 AND deleted_at IS NULL \
             ORDER BY id LIMIT 1"
        )))
        .bind(customer_id)
        .bind(email)
        .fetch_optional(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        row.as_ref().map(end_user_row).transpose()
    }

    async fn end_user_list(&mut self, customer_id: Option<i64>, deleted: DeletedFilter, page: &PageRequest) -> Result<Vec<EndUser>> {
        // An end user of a soft-deleted customer is hidden with it (their own deleted_at stays as it was).
        let deleted_cond = match deleted {
            DeletedFilter::Exclude => {
                "AND deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = end_users.customer_id \
                 AND c.deleted_at IS NULL)"
            }
            DeletedFilter::Only => {
                "AND (deleted_at IS NOT NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = end_users.customer_id \
                 AND c.deleted_at IS NOT NULL))"
            }
            DeletedFilter::Include => "",
        };
        let condition = match customer_id {
            Some(_) => format!("{deleted_cond} AND customer_id = $3"),
            None => deleted_cond.to_owned(),
        };
        id_page(self.conn.db().await?, END_USER_COLS, "end_users", &condition, customer_id, page, end_user_row).await
    }

    async fn ticket(&mut self, id: i64) -> Result<Option<Ticket>> {
        by_id(self.conn.db().await?, TICKET_COLS, "tickets t", id, ticket_row).await
    }

    async fn ticket_list(&mut self, f: &TicketFilter) -> Result<Vec<Ticket>> {
        let mut q = QueryBuilder::<Db>::new(format!("SELECT {TICKET_COLS} FROM tickets t WHERE TRUE"));
        if !f.statuses.is_empty() {
            q.push(" AND t.status IN (");
            let mut list = q.separated(", ");
            for s in &f.statuses {
                list.push_bind(s.as_str());
            }
            q.push(")");
        }
        if let Some(did) = f.did {
            q.push(" AND t.did = ").push_bind(did);
        }
        if let Some(customer_id) = f.customer_id {
            q.push(" AND t.customer_id = ").push_bind(customer_id);
        }
        if let Some(user_id) = f.user_id {
            q.push(" AND t.user_id = ").push_bind(user_id);
        }
        match f.assigned {
            Some(AssignedFilter::Nobody) => {
                q.push(" AND t.assigned IS NULL");
            }
            Some(AssignedFilter::Staff(id)) => {
                q.push(" AND t.assigned = ").push_bind(id);
            }
            None => {}
        }
        if let Some(p) = f.priority {
            q.push(" AND t.priority = ").push_bind(i64::from(p));
        }
        if let Some(locked) = f.locked {
            q.push(" AND t.locked = ").push_bind(locked);
        }
        if !f.terms.is_empty() {
            dialect::push_ticket_terms(&mut q, &f.terms, f.search_internal);
        }
        let desc = f.sort.descending();
        let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
        let key_col = match f.sort {
            TicketSort::IdAsc | TicketSort::IdDesc => None,
            TicketSort::LastReplyAsc | TicketSort::LastReplyDesc => Some("t.lastreply"),
            TicketSort::PriorityAsc | TicketSort::PriorityDesc => Some("t.priority"),
        };
        if let Some(after) = &f.page.after {
            match key_col {
                Some(col) => {
                    q.push(format!(" AND ({col}, t.id) {cmp} (")).push_bind(after.key).push(", ").push_bind(after.id).push(")");
                }
                None => {
                    q.push(format!(" AND t.id {cmp} ")).push_bind(after.id);
                }
            }
        }
        match key_col {
            Some(col) => q.push(format!(" ORDER BY {col} {dir}, t.id {dir}")),
            None => q.push(format!(" ORDER BY t.id {dir}")),
        };
        q.push(" LIMIT ").push_bind(i64::from(f.page.limit));
        let rows = q.build().fetch_all(self.conn.db().await?).await.map_err(map_err)?;
        rows_of(rows, ticket_row)
    }

    async fn reply(&mut self, id: i64) -> Result<Option<Reply>> {
        by_id(self.conn.db().await?, REPLY_COLS, "replies", id, reply_row).await
    }

    async fn reply_list(&mut self, ticket_id: i64, include_internal: bool) -> Result<Vec<Reply>> {
        let rows = db::query(sql(format!(
            "SELECT {REPLY_COLS} FROM replies WHERE ticket_id = $1 AND ($2 OR internal = FALSE) ORDER BY id"
        )))
        .bind(ticket_id)
        .bind(include_internal)
        .fetch_all(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        rows_of(rows, reply_row)
    }

    async fn reply_page(&mut self, ticket_id: i64, include_internal: bool, page: &PageRequest) -> Result<Vec<Reply>> {
        let rows = db::query(sql(format!(
            "SELECT {REPLY_COLS} FROM replies WHERE ticket_id = $1 AND ($2 OR internal = FALSE) AND id > $3 \
             ORDER BY id LIMIT $4"
        )))
        .bind(ticket_id)
        .bind(include_internal)
        .bind(page.after_id())
        .bind(i64::from(page.limit))
        .fetch_all(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        rows_of(rows, reply_row)
    }

    async fn event(&mut self, id: i64) -> Result<Option<Event>> {
        by_id(self.conn.db().await?, EVENT_COLS, "events", id, event_row).await
    }

    async fn event_list(&mut self, f: &EventFilter) -> Result<Vec<Event>> {
        let mut q = QueryBuilder::<Db>::new(format!("SELECT {EVENT_COLS} FROM events WHERE TRUE"));
        if let Some(entity) = f.entity {
            q.push(" AND entity = ").push_bind(entity);
        }
        if let Some(id) = f.entity_id {
            q.push(" AND entity_id = ").push_bind(id);
        }
        if let Some(id) = f.customer_id {
            q.push(" AND customer_id = ").push_bind(id);
        }
        if let Some(since) = f.since_micros {
            q.push(" AND timestamp >= ").push_bind(since);
        }
        if let Some(before) = f.before_id {
            q.push(" AND id < ").push_bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(f.limit));
        let rows = q.build().fetch_all(self.conn.db().await?).await.map_err(map_err)?;
        rows_of(rows, event_row)
    }

    async fn search(&mut self, request: &SearchRequest) -> Result<Vec<SearchRow>> {
        dialect::search(self.conn.db().await?, request).await
    }
}

// ---------------------------------------------------------------- writes

/// How a write connection ends its unit of work: a plain transaction commits; SQLite's batched writer
/// runs what it queued, releases its savepoint and waits for the group commit.
#[async_trait::async_trait]
pub trait Finish: Conn {
    async fn finish(self) -> Result<()>;
}

#[async_trait::async_trait]
impl<C: Finish> Writer for SqlConn<C> {
    async fn insert_staff(&mut self, s: &Staff, password_hash: &str) -> Result<Staff> {
        let id: i64 = db::query_scalar(
            "INSERT INTO staff (email, name, role, password_hash, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&s.email)
        .bind(&s.name)
        .bind(s.role.as_str())
        .bind(password_hash)
        .bind(to_micros(s.created_at))
        .bind(to_micros(s.updated_at))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(Staff { id, ..s.clone() })
    }

    async fn admin_count_for_update(&mut self) -> Result<i64> {
        // Locked in id order, so concurrent units queue on the first admin instead of deadlocking; a unit
        // let through after another's commit sees that commit (READ COMMITTED re-reads locked rows).
        db::query_scalar(sql(format!(
            "SELECT count(*) FROM (SELECT id FROM staff WHERE role = 'admin' ORDER BY id{}) AS admins",
            dialect::FOR_UPDATE
        )))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)
    }

    async fn update_staff(&mut self, s: &Staff, password_hash: Option<&str>) -> Result<()> {
        let q = db::query(
            "UPDATE staff SET email = $2, name = $3, role = $4, password_hash = coalesce($5, password_hash), \
             updated_at = $6 WHERE id = $1",
        )
        .bind(s.id)
        .bind(&s.email)
        .bind(&s.name)
        .bind(s.role.as_str())
        .bind(password_hash)
        .bind(to_micros(s.updated_at));
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn delete_staff(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM staff WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn insert_token(&mut self, t: &ApiToken, secret_hash: &str) -> Result<ApiToken> {
        let id: i64 = db::query_scalar(
            "INSERT INTO api_tokens (name, role, end_user_id, created_by, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&t.name)
        .bind(t.role.as_str())
        .bind(t.end_user_id)
        .bind(t.created_by)
        .bind(secret_hash)
        .bind(to_micros(t.created_at))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(ApiToken { id, ..t.clone() })
    }

    async fn delete_token(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM api_tokens WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn insert_brand(&mut self, b: &Brand) -> Result<Brand> {
        let id: i64 = db::query_scalar(
            "INSERT INTO brands (name, slug, greeting, customer_backend, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&b.name)
        .bind(&b.slug)
        .bind(&b.greeting)
        .bind(&b.customer_backend)
        .bind(to_micros(b.created_at))
        .bind(to_micros(b.updated_at))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(Brand { id, ..b.clone() })
    }

    async fn update_brand(&mut self, b: &Brand) -> Result<()> {
        let q = db::query(
            "UPDATE brands SET name = $2, slug = $3, greeting = $4, customer_backend = $5, updated_at = $6 WHERE id = $1",
        )
        .bind(b.id)
        .bind(&b.name)
        .bind(&b.slug)
        .bind(&b.greeting)
        .bind(&b.customer_backend)
        .bind(to_micros(b.updated_at));
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn delete_brand(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM brands WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn insert_department(&mut self, d: &Department) -> Result<Department> {
        let id: i64 = db::query_scalar(
            "INSERT INTO departments (brand_id, name, slug, description, public, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(d.brand_id)
        .bind(&d.name)
        .bind(&d.slug)
        .bind(&d.description)
        .bind(d.public)
        .bind(to_micros(d.created_at))
        .bind(to_micros(d.updated_at))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(Department { id, ..d.clone() })
    }

    async fn update_department(&mut self, d: &Department) -> Result<()> {
        let q = db::query(
            "UPDATE departments SET brand_id = $2, name = $3, slug = $4, description = $5, public = $6, \
             updated_at = $7 WHERE id = $1",
        )
        .bind(d.id)
        .bind(d.brand_id)
        .bind(&d.name)
        .bind(&d.slug)
        .bind(&d.description)
        .bind(d.public)
        .bind(to_micros(d.updated_at));
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn delete_department(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM departments WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn insert_customer(&mut self, c: &Customer) -> Result<Customer> {
        let id: i64 = db::query_scalar(
            "INSERT INTO customers (name, email, phone, external_id, tags, created_at, updated_at, deleted_at, city, \
             country) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&c.name)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(&c.external_id)
        .bind(json_text(&c.tags)?)
        .bind(to_micros(c.created_at))
        .bind(to_micros(c.updated_at))
        .bind(c.deleted_at.map(to_micros))
        .bind(&c.city)
        .bind(&c.country)
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(Customer { id, ..c.clone() })
    }

    async fn update_customer(&mut self, c: &Customer) -> Result<()> {
        let q = db::query(
            "UPDATE customers SET name = $2, email = $3, phone = $4, external_id = $5, tags = $6, updated_at = $7, \
             deleted_at = $8, city = $9, country = $10 WHERE id = $1",
        )
        .bind(c.id)
        .bind(&c.name)
        .bind(&c.email)
        .bind(&c.phone)
        .bind(&c.external_id)
        .bind(json_text(&c.tags)?)
        .bind(to_micros(c.updated_at))
        .bind(c.deleted_at.map(to_micros))
        .bind(&c.city)
        .bind(&c.country);
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn insert_end_user(&mut self, u: &EndUser, password_hash: Option<&str>) -> Result<EndUser> {
        let id: i64 = db::query_scalar(
            "INSERT INTO end_users (customer_id, name, email, phone, tags, password_hash, created_at, updated_at, \
             deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(u.customer_id)
        .bind(&u.name)
        .bind(&u.email)
        .bind(&u.phone)
        .bind(json_text(&u.tags)?)
        .bind(password_hash)
        .bind(to_micros(u.created_at))
        .bind(to_micros(u.updated_at))
        .bind(u.deleted_at.map(to_micros))
        .fetch_one(self.conn.db().await?)
        .await
        .map_err(map_err)?;
        Ok(EndUser { id, has_password: password_hash.is_some(), ..u.clone() })
    }

    async fn update_end_user(&mut self, u: &EndUser, password_hash: Option<Option<&str>>) -> Result<()> {
        let q = db::query(
            "UPDATE end_users SET customer_id = $2, name = $3, email = $4, phone = $5, tags = $6, updated_at = $7, \
             deleted_at = $8, password_hash = CASE WHEN $9 THEN $10 ELSE password_hash END WHERE id = $1",
        )
        .bind(u.id)
        .bind(u.customer_id)
        .bind(&u.name)
        .bind(&u.email)
        .bind(&u.phone)
        .bind(json_text(&u.tags)?)
        .bind(to_micros(u.updated_at))
        .bind(u.deleted_at.map(to_micros))
        .bind(password_hash.is_some())
        .bind(password_hash.flatten());
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn insert_ticket(&mut self, t: &Ticket) -> Result<Ticket> {
        let row = NewRow::new("tickets")
            .set("did", t.did)
            .set("user_id", t.user_id)
            .set("customer_id", t.customer_id)
            .set("status", t.status.as_str())
            .set("locked", t.locked)
            .set("priority", i64::from(t.priority))
            .set("title", t.title.as_str())
            .set("ctime", to_micros(t.ctime))
            .set("lastreply", to_micros(t.lastreply))
            .set("read_by_customer", t.read_by_customer)
            .set("read_by_staff", t.read_by_staff)
            .set("service", t.service)
            .set("assigned", t.assigned)
            .set("assigned_by", t.assigned_by)
            .set("custom_fields", json_text(&t.custom_fields)?)
            .set("redeemed", json_text(&t.redeemed)?)
            .set("account_key", t.account_key.as_deref())
            .set("updated_at", to_micros(t.updated_at));
        let id = insert_row(&mut self.conn, Some(Numbered::Ticket), row).await?;
        dialect::index_new_ticket(&mut self.conn, id, &t.title).await?;
        Ok(Ticket { id, replies: None, ..t.clone() })
    }

    async fn update_ticket(&mut self, t: &Ticket) -> Result<()> {
        let q = db::query(
            "UPDATE tickets SET did = $2, user_id = $3, customer_id = $4, status = $5, locked = $6, priority = $7, \
             title = $8, lastreply = $9, read_by_customer = $10, read_by_staff = $11, service = $12, assigned = $13, \
             assigned_by = $14, custom_fields = $15, redeemed = $16, account_key = $17, updated_at = $18 WHERE id = $1",
        )
        .bind(t.id)
        .bind(t.did)
        .bind(t.user_id)
        .bind(t.customer_id)
        .bind(t.status.as_str())
        .bind(t.locked)
        .bind(i64::from(t.priority))
        .bind(&t.title)
        .bind(to_micros(t.lastreply))
        .bind(t.read_by_customer)
        .bind(t.read_by_staff)
        .bind(t.service)
        .bind(t.assigned)
        .bind(t.assigned_by)
        .bind(json_text(&t.custom_fields)?)
        .bind(json_text(&t.redeemed)?)
        .bind(&t.account_key)
        .bind(to_micros(t.updated_at));
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn delete_ticket(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM replies WHERE ticket_id = $1").bind(id)).await?;
        exec(self.conn.db().await?, db::query("DELETE FROM tickets WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn ticket_for_update(&mut self, id: i64) -> Result<Option<Ticket>> {
        let row = db::query(sql(format!("SELECT {TICKET_COLS} FROM tickets t WHERE id = $1{}", dialect::FOR_UPDATE)))
            .bind(id)
            .fetch_optional(self.conn.db().await?)
            .await
            .map_err(map_err)?;
        row.as_ref().map(ticket_row).transpose()
    }

    async fn insert_reply(&mut self, r: &Reply) -> Result<Reply> {
        let row = NewRow::new("replies")
            .set("ticket_id", r.owner_id)
            .set("user_id", r.user_id)
            .set("admin", r.admin)
            .set("name", r.name.as_str())
            .set("encrypted", r.encrypted)
            .set("message", r.message.as_str())
            .set("ctime", to_micros(r.ctime))
            .set("ip", r.ip.as_deref())
            .set("internal", r.internal);
        let id = insert_row(&mut self.conn, Some(Numbered::Reply), row).await?;
        dialect::index_new_reply(&mut self.conn, r.owner_id, &r.message, r.internal).await?;
        Ok(Reply { id, ..r.clone() })
    }

    async fn update_reply(&mut self, r: &Reply) -> Result<()> {
        let q = db::query("UPDATE replies SET message = $2, internal = $3 WHERE id = $1")
            .bind(r.id)
            .bind(&r.message)
            .bind(r.internal);
        exec(self.conn.db().await?, q).await.map(drop)
    }

    async fn delete_reply(&mut self, id: i64) -> Result<()> {
        exec(self.conn.db().await?, db::query("DELETE FROM replies WHERE id = $1").bind(id)).await.map(drop)
    }

    async fn insert_event(&mut self, e: &NewEvent) -> Result<Event> {
        let now = store::time::now();
        let at = to_micros(now);
        let (value, old) = (json_text(&e.value)?, json_text(&e.old)?);
        // Only the id comes back: the rest is what was written, and decoding the JSON again would cost time
        // on every write.
        let row = NewRow::new("events")
            .set("timestamp", at)
            .set("source", e.source.as_str())
            .set("member_id", e.member_id)
            .set("member_type", e.member_type)
            .set("url", e.url.as_deref())
            .set("action", e.action.as_str())
            .set("name", e.name)
            .set("entity", e.entity.as_str())
            .set("entity_id", e.entity_id)
            .set("customer_id", e.customer_id)
            .set("value", value)
            .set("old", old)
            .set("status", "pending")
            .set("created_at", at)
            .set("updated_at", at);
        let id = insert_row(&mut self.conn, Some(Numbered::Event), row).await?;
        Ok(Event {
            id,
            timestamp: now,
            source: e.source,
            member_id: e.member_id,
            member_type: e.member_type.map(str::to_owned),
            url: e.url.clone(),
            action: e.action,
            name: e.name.map(str::to_owned),
            data: EventData { entity: e.entity, value: e.value.clone(), old: e.old.clone() },
            entity_id: e.entity_id,
            customer_id: e.customer_id,
            status: "pending".into(),
            created_at: now,
            updated_at: now,
        })
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        self.conn.finish().await
    }
}
