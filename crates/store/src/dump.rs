//! The table-level copy of a database behind `ferrodesk export` and `ferrodesk restore`: which tables and
//! columns make up ferrodesk's data, the values a copy carries, and what a backend provides to read a
//! consistent snapshot and to load one into an empty database.
//!
//! Both backends share their column types (integer ids, microsecond timestamps, JSON as text, booleans), so
//! a row read from one is written unchanged into the other. Derived data (full-text indexes) is not copied:
//! a loader rebuilds it when it finishes. A capability that adds a table or a column adds it here.
//!
//! Binary data (attachment content) travels as base64 text, a few rows at a time.

use crate::Result;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

/// How a column's values are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 64-bit integer: ids, counts, microsecond timestamps.
    Int,
    /// UTF-8 text, JSON documents included.
    Text,
    /// A boolean (an integer 0/1 on SQLite).
    Bool,
    /// Binary data (a BLOB on SQLite, BYTEA on PostgreSQL), carried as base64 text (standard alphabet,
    /// padded).
    Bytes,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

/// A table with an integer primary key `id`, copied in id order.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether the table holds binary data, whose rows may be large.
    fn has_bytes(&self) -> bool {
        self.columns.iter().any(|c| c.kind == Kind::Bytes)
    }

    /// The table called `name`, if ferrodesk has one.
    pub fn named(name: &str) -> Option<&'static Table> {
        TABLES.iter().find(|t| t.name == name)
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        nullable: false,
    }
}
const fn int_or_null(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
        nullable: true,
    }
}
const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        nullable: false,
    }
}
const fn text_or_null(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        nullable: true,
    }
}
const fn boolean(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bool,
        nullable: false,
    }
}
const fn bytes(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bytes,
        nullable: false,
    }
}

/// Every table of ferrodesk's data, parents before the tables that refer to them (the order a load
/// inserts them in).
pub static TABLES: &[Table] = &[
    Table {
        name: "staff",
        columns: &[
            int("id"),
            text("email"),
            text("name"),
            text("role"),
            text("password_hash"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "brands",
        columns: &[
            int("id"),
            text("name"),
            text("slug"),
            text("greeting"),
            text("customer_backend"),
            int("created_at"),
            int("updated_at"),
            text_or_null("webcall"),
            boolean("acknowledge_new_tickets"),
        ],
    },
    Table {
        name: "departments",
        columns: &[
            int("id"),
            int("brand_id"),
            text("name"),
            text("slug"),
            text("description"),
            boolean("public"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "attributes",
        columns: &[
            int("id"),
            text("entity"),
            text("name"),
            text("pretty_name"),
            text("type"),
            text("description"),
            boolean("required"),
            boolean("editable"),
            boolean("searchable"),
            boolean("unique_values"),
            text_or_null("default_value"),
            text("options"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
        ],
    },
    Table {
        name: "customers",
        columns: &[
            int("id"),
            text("name"),
            text_or_null("email"),
            text_or_null("phone"),
            text_or_null("city"),
            text_or_null("country"),
            text_or_null("external_id"),
            text("tags"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
            text("attributes"),
            text("search_text"),
        ],
    },
    Table {
        name: "end_users",
        columns: &[
            int("id"),
            int("customer_id"),
            text("name"),
            text_or_null("email"),
            text_or_null("phone"),
            text("tags"),
            text_or_null("password_hash"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
            text_or_null("first_name"),
            text_or_null("last_name"),
            text_or_null("city"),
            text_or_null("country"),
            text("attributes"),
            text("search_text"),
        ],
    },
    Table {
        name: "activity_events",
        columns: &[
            int("id"),
            int("end_user_id"),
            int("customer_id"),
            text("name"),
            int("counter"),
            text("metadata"),
            int("timestamp"),
            int("created_at"),
        ],
    },
    // Custom attribute values as indexed (their `number` and `unique_value` follow from `value`, `folded`
    // and the attribute, and are set by the loader); tags are indexed again from the entities' `tags`.
    Table {
        name: "attribute_values",
        columns: &[
            int("id"),
            int("entity_id"),
            int("attribute_id"),
            text("value"),
            text("folded"),
        ],
    },
    Table {
        name: "api_tokens",
        columns: &[
            int("id"),
            text("name"),
            text("role"),
            int_or_null("end_user_id"),
            int_or_null("created_by"),
            text("secret_hash"),
            int("created_at"),
        ],
    },
    Table {
        name: "oauth_clients",
        columns: &[
            int("id"),
            text("name"),
            text("role"),
            text("client_id"),
            text("secret_hash"),
            text("salt"),
            int_or_null("created_by"),
            int("created_at"),
        ],
    },
    // Access tokens are carried too, so integrations keep working after a move without logging in again.
    Table {
        name: "oauth_access_tokens",
        columns: &[
            int("id"),
            int("client_id"),
            text("token_hash"),
            int("created_at"),
            int("expires_at"),
        ],
    },
    Table {
        name: "features",
        columns: &[
            int("id"),
            text("name"),
            text("description"),
            text_or_null("unique_key"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
        ],
    },
    Table {
        name: "feature_dependencies",
        columns: &[int("id"), int("feature_id"), int("dependency_id")],
    },
    Table {
        name: "billing_groups",
        columns: &[
            int("id"),
            text("name"),
            boolean("is_default"),
            int_or_null("default_package_id"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "packages",
        columns: &[
            int("id"),
            int("group_id"),
            text("name"),
            text("description"),
            boolean("is_default"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
        ],
    },
    Table {
        name: "package_features",
        columns: &[int("id"), int("package_id"), int("feature_id"), int_or_null("quantity")],
    },
    Table {
        name: "plans",
        columns: &[
            int("id"),
            int("package_id"),
            text("name"),
            text("description"),
            text("currency"),
            text("cycle"),
            int("interval_count"),
            int("trial_days"),
            int("initial_fee"),
            text("pricing"),
            int_or_null("amount"),
            text_or_null("tier_mode"),
            text_or_null("tiers"),
            text("unit"),
            int("created_at"),
            int("updated_at"),
            int_or_null("deleted_at"),
        ],
    },
    Table {
        name: "subscriptions",
        columns: &[
            int("id"),
            int("customer_id"),
            int("plan_id"),
            int("group_id"),
            text("status"),
            int("quantity"),
            boolean("manual"),
            text("currency"),
            int("anchor"),
            int("current_period_start"),
            int("current_period_end"),
            int_or_null("trial_end"),
            boolean("cancel_at_period_end"),
            int_or_null("canceled_at"),
            int("balance"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "invoice_numbers",
        columns: &[int("id"), int("year"), int("last")],
    },
    Table {
        name: "invoices",
        columns: &[
            int("id"),
            int("customer_id"),
            int_or_null("subscription_id"),
            text_or_null("number"),
            text("currency"),
            text("status"),
            text("items"),
            int("subtotal"),
            int("total"),
            int("amount_paid"),
            int("credit_applied"),
            int_or_null("period_start"),
            int_or_null("period_end"),
            int_or_null("issued_at"),
            int_or_null("due_at"),
            int_or_null("paid_at"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "pending_invoice_items",
        columns: &[
            int("id"),
            int("subscription_id"),
            text("description"),
            int("quantity"),
            int("unit_amount"),
            int("amount"),
            int("created_at"),
        ],
    },
    Table {
        name: "payments",
        columns: &[
            int("id"),
            int("invoice_id"),
            int("amount"),
            int("applied"),
            int("credited"),
            int("refunded"),
            text("method"),
            text("reference"),
            int("created_at"),
        ],
    },
    Table {
        name: "refunds",
        columns: &[
            int("id"),
            int("payment_id"),
            int("invoice_id"),
            int("amount"),
            int("created_at"),
        ],
    },
    Table {
        name: "billing_links",
        columns: &[
            int("id"),
            int("customer_id"),
            text("billing_system"),
            text("billing_id"),
            int("created_at"),
        ],
    },
    Table {
        name: "support_levels",
        columns: &[
            int("id"),
            text("name"),
            text("description"),
            int_or_null("max_first_response_minutes"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "contracts",
        columns: &[
            int("id"),
            int("customer_id"),
            text("status"),
            text("start_date"),
            text("end_date"),
            int_or_null("support_level_id"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "contract_incidents",
        columns: &[int("id"), int("contract_id"), text("type"), int("total"), int("used")],
    },
    Table {
        name: "tickets",
        columns: &[
            int("id"),
            int("did"),
            int("user_id"),
            int("customer_id"),
            text("status"),
            boolean("locked"),
            int("priority"),
            text("title"),
            int("ctime"),
            int("lastreply"),
            boolean("read_by_customer"),
            boolean("read_by_staff"),
            int_or_null("service"),
            int_or_null("assigned"),
            int_or_null("assigned_by"),
            text("custom_fields"),
            text("redeemed"),
            text_or_null("account_key"),
            int("updated_at"),
            text_or_null("callid"),
        ],
    },
    Table {
        name: "replies",
        columns: &[
            int("id"),
            int("ticket_id"),
            int("user_id"),
            boolean("admin"),
            text("name"),
            boolean("encrypted"),
            text("message"),
            int("ctime"),
            text_or_null("ip"),
            boolean("internal"),
        ],
    },
    // Attachment content, once per SHA-256, before the attachments that name it.
    Table {
        name: "attachment_contents",
        columns: &[int("id"), text("sha256"), int("size"), bytes("content")],
    },
    Table {
        name: "attachments",
        columns: &[
            int("id"),
            int("reply_id"),
            int("ticket_id"),
            text("filename"),
            text("content_type"),
            int("size"),
            text("sha256"),
            int("created_at"),
        ],
    },
    Table {
        name: "ticket_incidents",
        columns: &[
            int("id"),
            int("ticket_id"),
            int("contract_id"),
            text("type"),
            int("created_at"),
        ],
    },
    Table {
        name: "events",
        columns: &[
            int("id"),
            int("timestamp"),
            text("source"),
            int_or_null("member_id"),
            text_or_null("member_type"),
            text_or_null("url"),
            text("action"),
            text_or_null("name"),
            text("entity"),
            int("entity_id"),
            int_or_null("customer_id"),
            text("value"),
            text("old"),
            text("status"),
            text_or_null("claimed_by"),
            int_or_null("claimed_until"),
            int("attempts"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "hook_runs",
        columns: &[
            int("id"),
            int("event_id"),
            text("hook"),
            text("script"),
            text("status"),
            int_or_null("line"),
            text_or_null("message"),
            int("duration_us"),
            int("created_at"),
        ],
    },
    Table {
        name: "hook_scripts",
        columns: &[
            int("id"),
            text("name"),
            text("source"),
            boolean("enabled"),
            int("version"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "hook_script_versions",
        columns: &[
            int("id"),
            int("hook_id"),
            int("version"),
            text("source"),
            int("created_at"),
        ],
    },
    Table {
        name: "webhooks",
        columns: &[
            int("id"),
            text("url"),
            text("events"),
            text("secret"),
            text("format"),
            boolean("active"),
            int_or_null("failing_since"),
            text_or_null("disabled_reason"),
            int_or_null("deleted_at"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            int("id"),
            int("webhook_id"),
            int("event_id"),
            text("status"),
            int("attempts"),
            int_or_null("next_attempt_at"),
            int("deadline_at"),
            text_or_null("claimed_by"),
            int_or_null("claimed_until"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "webhook_attempts",
        columns: &[
            int("id"),
            int("delivery_id"),
            int("attempted_at"),
            int_or_null("status_code"),
            text_or_null("error"),
            int("latency_us"),
            text_or_null("response"),
        ],
    },
    Table {
        name: "sessions",
        columns: &[
            int("id"),
            text("secret_hash"),
            int_or_null("staff_id"),
            int_or_null("end_user_id"),
            text("csrf"),
            text_or_null("ip"),
            text_or_null("user_agent"),
            int("created_at"),
            int("last_seen_at"),
            int("expires_at"),
        ],
    },
    Table {
        name: "login_failures",
        columns: &[int("id"), text("email"), text("ip"), int("at")],
    },
    Table {
        name: "password_resets",
        columns: &[
            int("id"),
            text("secret_hash"),
            int_or_null("staff_id"),
            int_or_null("end_user_id"),
            int("created_at"),
            int("expires_at"),
            int_or_null("used_at"),
        ],
    },
    Table {
        name: "saved_views",
        columns: &[
            int("id"),
            int("staff_id"),
            text("name"),
            text("query"),
            int("created_at"),
        ],
    },
    Table {
        name: "ticket_presence",
        columns: &[
            int("id"),
            int("ticket_id"),
            int("staff_id"),
            boolean("replying"),
            int("seen_at"),
        ],
    },
    Table {
        name: "form_submissions",
        columns: &[int("id"), text("key"), text_or_null("result"), int("created_at")],
    },
    Table {
        name: "calls",
        columns: &[
            int("id"),
            text("callid"),
            text("ani"),
            int("brand_id"),
            int_or_null("customer_id"),
            int_or_null("end_user_id"),
            text_or_null("account_key"),
            int_or_null("ticket_id"),
            int_or_null("staff_id"),
            text_or_null("lookup_error"),
            int("created_at"),
        ],
    },
    Table {
        name: "case_updates",
        columns: &[
            int("id"),
            int("event_id"),
            int("brand_id"),
            int("ticket_id"),
            int("reply_id"),
            text("userkey"),
            text("status"),
            int("attempts"),
            int_or_null("next_attempt_at"),
            int("deadline_at"),
            text_or_null("claimed_by"),
            int_or_null("claimed_until"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "case_update_attempts",
        columns: &[
            int("id"),
            int("case_update_id"),
            int("attempted_at"),
            int_or_null("status_code"),
            text_or_null("error"),
            int("latency_us"),
        ],
    },
    Table {
        name: "mailboxes",
        columns: &[
            int("id"),
            int("brand_id"),
            text("address"),
            int("department_id"),
            text_or_null("imap_url"),
            text_or_null("smtp_url"),
            boolean("active"),
            text_or_null("last_error"),
            int_or_null("last_polled_at"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "staff_departments",
        columns: &[int("id"), int("staff_id"), int("department_id")],
    },
    Table {
        name: "mail_messages",
        columns: &[
            int("id"),
            text("message_id"),
            int("ticket_id"),
            int_or_null("reply_id"),
            int("brand_id"),
            text("direction"),
            int("created_at"),
        ],
    },
    Table {
        name: "mail_deliveries",
        columns: &[
            int("id"),
            int("event_id"),
            text("kind"),
            int("mailbox_id"),
            int("brand_id"),
            int("ticket_id"),
            int_or_null("reply_id"),
            text("recipient"),
            text("message_id"),
            text("status"),
            int("attempts"),
            int_or_null("next_attempt_at"),
            int("deadline_at"),
            text_or_null("claimed_by"),
            int_or_null("claimed_until"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "mail_attempts",
        columns: &[
            int("id"),
            int("mail_delivery_id"),
            int("attempted_at"),
            int_or_null("smtp_code"),
            text_or_null("error"),
            int("latency_us"),
        ],
    },
];

/// What a restore derives from the loaded rows (after every table is in), the same SQL on both databases:
/// the indexed forms of attribute values that follow from their attribute; and the dashboard's kept day
/// counts (not copied) are forgotten, so the loaded tickets are counted.
pub const DERIVED_FROM_ROWS: &[&str] = &[
    "DELETE FROM day_counts",
    "UPDATE attribute_values SET number = CAST(value AS DOUBLE PRECISION) \
     WHERE attribute_id IN (SELECT id FROM attributes WHERE type = 'number')",
    "UPDATE attribute_values SET unique_value = folded WHERE attribute_id IN (SELECT id FROM attributes WHERE unique_values)",
];

/// One value of a copied row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl Cell {
    /// The value as JSON: `null`, a number, a string or a boolean.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Int(v) => (*v).into(),
            Cell::Text(v) => v.as_str().into(),
            Cell::Bool(v) => (*v).into(),
            Cell::Bytes(v) => BASE64.encode(v).into(),
        }
    }

    /// Reads a JSON value written by [`Cell::to_json`] for `column`, refusing one of the wrong kind.
    pub fn from_json(value: &serde_json::Value, column: &Column) -> Result<Cell, String> {
        use serde_json::Value as J;
        match (value, column.kind) {
            (J::Null, _) if column.nullable => Ok(Cell::Null),
            (J::Null, _) => Err(format!("{} may not be null", column.name)),
            (J::Number(n), Kind::Int) => n
                .as_i64()
                .map(Cell::Int)
                .ok_or_else(|| format!("{} must be a 64-bit integer, not {n}", column.name)),
            (J::String(s), Kind::Text) => Ok(Cell::Text(s.clone())),
            (J::Bool(b), Kind::Bool) => Ok(Cell::Bool(*b)),
            (J::String(s), Kind::Bytes) => BASE64
                .decode(s)
                .map(Cell::Bytes)
                .map_err(|e| format!("{} must be base64: {e}", column.name)),
            (other, kind) => Err(format!("{} must be {}, not {other}", column.name, kind_name(kind))),
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "an integer",
        Kind::Text => "a string",
        Kind::Bool => "a boolean",
        Kind::Bytes => "a base64 string",
    }
}

/// The first line of an export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The backend the copy was taken from (information only).
    pub source: String,
    pub ferrodesk_version: String,
    pub created_at: String,
}

/// The line that starts a table's rows in an export file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStart {
    pub table: String,
    pub columns: Vec<String>,
    pub rows: u64,
}

impl TableStart {
    /// The table and the columns this line names, in its order; an unknown table or column, a column
    /// named twice, or no `id` is refused.
    pub fn resolve(&self) -> Result<(&'static Table, Vec<&'static Column>), String> {
        let table = Table::named(&self.table).ok_or_else(|| {
            format!(
                "unknown table {:?} (a copy from a newer ferrodesk? use that version to restore)",
                self.table
            )
        })?;
        let mut columns: Vec<&'static Column> = Vec::with_capacity(self.columns.len());
        for name in &self.columns {
            let column = table
                .column(name)
                .ok_or_else(|| format!("unknown column {}.{name} (a copy from a newer ferrodesk?)", table.name))?;
            if columns.iter().any(|c| c.name == column.name) {
                return Err(format!("column {}.{name} appears twice", table.name));
            }
            columns.push(column);
        }
        if !columns.iter().any(|c| c.name == "id") {
            return Err(format!("table {} has no id column", table.name));
        }
        Ok((table, columns))
    }
}

/// The last line of an export file: without it the file is truncated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub end: bool,
    pub rows: u64,
}

/// One line of an export file.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Header(Header),
    Table(TableStart),
    Row(Vec<serde_json::Value>),
    End(End),
}

/// Reads one line of an export file (docs/export-format.md): a row is a JSON array, every other line an
/// object, told apart by its members.
pub fn parse_line(text: &str) -> Result<Line, String> {
    if text.starts_with('[') {
        return serde_json::from_str(text)
            .map(Line::Row)
            .map_err(|e| format!("not a JSON array: {e}"));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not a JSON line: {e}"))?;
    let kind = if value.get("end").is_some() {
        "end"
    } else if value.get("table").is_some() {
        "table"
    } else if value.get("format").is_some() {
        "header"
    } else {
        return Err("neither a row nor a header, table or end line".into());
    };
    let bad = |e: serde_json::Error| format!("bad {kind} line: {e}");
    match kind {
        "end" => serde_json::from_value(value).map(Line::End).map_err(bad),
        "table" => serde_json::from_value(value).map(Line::Table).map_err(bad),
        _ => serde_json::from_value(value).map(Line::Header).map_err(bad),
    }
}

/// A row's values as cells of `columns`, refusing a wrong count or a value of the wrong kind.
pub fn row_cells(values: &[serde_json::Value], columns: &[&Column]) -> Result<Vec<Cell>, String> {
    if values.len() != columns.len() {
        return Err(format!("{} values for {} columns", values.len(), columns.len()));
    }
    values.iter().zip(columns).map(|(v, c)| Cell::from_json(v, c)).collect()
}

/// `SELECT <columns> FROM <table> WHERE id > $1 ORDER BY id LIMIT $2`: one page of a copy.
pub fn select_page_sql(table: &Table) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    format!(
        "SELECT {} FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
        columns.join(", "),
        table.name
    )
}

/// Rows of binary data one page of a copy reads at most: an attachment may be tens of MiB.
pub const BYTES_PAGE_ROWS: u32 = 4;

/// How many rows to read for a page of `limit` rows of `table` (fewer where rows may be large).
pub fn page_rows(table: &Table, limit: u32) -> u32 {
    if table.has_bytes() {
        limit.min(BYTES_PAGE_ROWS)
    } else {
        limit
    }
}

/// How many rows one insert statement of `table` carries (one where rows may be large).
pub fn insert_batch(table: &Table) -> usize {
    if table.has_bytes() { 1 } else { INSERT_BATCH }
}

/// `INSERT INTO <table> (<columns>) VALUES ($1, …), (…)` for `rows` rows of `columns`, numbered in order.
pub fn insert_sql(table: &Table, columns: &[&Column], rows: usize) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", table.name, names.join(", "));
    let mut n = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for col in 0..columns.len() {
            if col > 0 {
                sql.push_str(", ");
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql
}

/// Most rows one insert statement carries: both backends accept 32,766 parameters or more, and ferrodesk's
/// widest table has fewer than 32 columns.
pub const INSERT_BATCH: usize = 1000;

/// A consistent, read-only view of a whole database (one read transaction), for `export`.
#[async_trait]
pub trait Snapshot: Send {
    /// How many rows `table` has in this snapshot.
    async fn count(&mut self, table: &'static Table) -> Result<u64>;
    /// Up to `limit` rows with ids above `after_id`, by id (fewer where rows may be large:
    /// [`page_rows`]); cells in `table.columns` order.
    async fn rows(&mut self, table: &'static Table, after_id: i64, limit: u32) -> Result<Vec<Vec<Cell>>>;
}

/// Loads a copy into an empty database in one transaction, for `restore`. Dropped without
/// [`Loader::finish`], nothing stays.
#[async_trait]
pub trait Loader: Send {
    /// Inserts rows of `table`, keeping their ids; `columns` says what each row's cells are (a subset of
    /// the table's columns: an older copy may lack a newer column, which then takes its default).
    async fn insert(&mut self, table: &'static Table, columns: &[&'static Column], rows: &[Vec<Cell>]) -> Result<()>;
    /// Rebuilds what is derived from the rows (search indexes, id sequences) and commits.
    async fn finish(self: Box<Self>) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_statements_number_their_parameters_in_order() {
        let table = Table::named("brands").expect("brands");
        let columns = [table.column("id").expect("id"), table.column("name").expect("name")];
        assert_eq!(
            insert_sql(table, &columns, 2),
            "INSERT INTO brands (id, name) VALUES ($1, $2), ($3, $4)"
        );
    }

    #[test]
    fn every_table_has_an_id_first_and_unique_column_names() {
        for table in TABLES {
            assert_eq!(table.columns[0].name, "id", "{}", table.name);
            let mut names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), table.columns.len(), "{}", table.name);
            assert!(table.columns.len() * INSERT_BATCH < 32_766, "{}", table.name);
        }
    }

    #[test]
    fn lines_are_told_apart_and_checked() {
        assert!(matches!(parse_line("[1, \"x\", null]"), Ok(Line::Row(v)) if v.len() == 3));
        assert_eq!(
            parse_line(r#"{"end": true, "rows": 3}"#),
            Ok(Line::End(End { end: true, rows: 3 }))
        );
        let Ok(Line::Table(start)) = parse_line(r#"{"table": "brands", "columns": ["id", "name"], "rows": 2}"#) else {
            panic!("a table line");
        };
        let (table, columns) = start.resolve().expect("known table");
        assert_eq!((table.name, columns.len()), ("brands", 2));
        assert!(matches!(parse_line(r#"{"format": "ferrodesk-export"}"#), Err(e) if e.starts_with("bad header")));
        assert!(parse_line("{}").is_err());
        assert!(parse_line("[1, ").is_err());
        for (table, columns) in [
            ("nope", vec!["id"]),
            ("brands", vec!["id", "nope"]),
            ("brands", vec!["id", "id"]),
            ("brands", vec!["name"]),
        ] {
            let start = TableStart {
                table: table.into(),
                columns: columns.into_iter().map(str::to_owned).collect(),
                rows: 0,
            };
            assert!(start.resolve().is_err(), "{start:?}");
        }
        let id = int("id");
        assert!(row_cells(&[serde_json::json!(1), serde_json::json!(2)], &[&id]).is_err());
        assert_eq!(row_cells(&[serde_json::json!(1)], &[&id]), Ok(vec![Cell::Int(1)]));
    }

    #[test]
    fn cells_refuse_values_of_the_wrong_kind() {
        let id = int("id");
        let name = text_or_null("name");
        assert_eq!(Cell::from_json(&serde_json::json!(7), &id), Ok(Cell::Int(7)));
        assert!(Cell::from_json(&serde_json::json!("7"), &id).is_err());
        assert!(Cell::from_json(&serde_json::json!(null), &id).is_err());
        assert!(Cell::from_json(&serde_json::json!(1.5), &id).is_err());
        assert_eq!(Cell::from_json(&serde_json::json!(null), &name), Ok(Cell::Null));
        let binary = Cell::Bytes((0..=255u8).collect());
        for cell in [
            Cell::Int(-3),
            Cell::Text("é\n".into()),
            Cell::Bool(true),
            Cell::Null,
            binary,
            Cell::Bytes(vec![]),
        ] {
            let column = match cell {
                Cell::Int(_) => int("x"),
                Cell::Text(_) | Cell::Null => text_or_null("x"),
                Cell::Bool(_) => boolean("x"),
                Cell::Bytes(_) => bytes("x"),
            };
            assert_eq!(Cell::from_json(&cell.to_json(), &column), Ok(cell));
        }
        // Binary data travels as standard, padded base64.
        assert_eq!(Cell::Bytes(b"hi?".to_vec()).to_json(), serde_json::json!("aGk/"));
        assert!(Cell::from_json(&serde_json::json!("not base64!"), &bytes("x")).is_err());
        assert!(Cell::from_json(&serde_json::json!(7), &bytes("x")).is_err());
    }
}
