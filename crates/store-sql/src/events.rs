//! The event log's SQL: one row per change, appended in the change's own transaction.
use crate::Value;
use crate::{
    Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, by_id, decode_err, from_json_text, json_text,
};
use domain::event::{EntityType, EventAction, EventData, EventSource, NewEvent};
use domain::hook_params::HookRun;
use domain::{Event, Timestamp};
use store::time::{from_micros, to_micros};
use store::{EventFilter, EventsRead, EventsWrite, Result};

pub(crate) const EVENT_COLS: &str = "id, timestamp, source, member_id, member_type, url, action, name, entity, entity_id, \
     customer_id, value, old, status, created_at, updated_at";

pub(crate) const EVENT_ROW: RowMap<Event> = |r| {
    let source: &str = r.get("source")?;
    let action: &str = r.get("action")?;
    let entity: &str = r.get("entity")?;
    Ok(Event {
        id: r.get("id")?,
        timestamp: from_micros(r.get("timestamp")?),
        source: EventSource::parse(source).ok_or_else(|| decode_err("event source", source))?,
        member_id: r.get("member_id")?,
        member_type: r.get("member_type")?,
        url: r.get("url")?,
        action: EventAction::parse(action).ok_or_else(|| decode_err("event action", action))?,
        name: r.get("name")?,
        data: EventData {
            entity: EntityType::parse(entity).ok_or_else(|| decode_err("event type", entity))?,
            value: from_json_text("event value", r.get("value")?)?,
            old: from_json_text("event old value", r.get("old")?)?,
        },
        entity_id: r.get("entity_id")?,
        customer_id: r.get("customer_id")?,
        status: r.get("status")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

pub(crate) const RUN_COLS: &str = "id, event_id, hook, script, status, line, message, duration_us, created_at";

pub(crate) const RUN_ROW: RowMap<HookRun> = |r| {
    Ok(HookRun {
        id: r.get("id")?,
        event_id: r.get("event_id")?,
        hook: r.get("hook")?,
        script: r.get("script")?,
        status: r.get("status")?,
        line: r.get("line")?,
        message: r.get("message")?,
        duration_us: r.get("duration_us")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

#[async_trait::async_trait]
impl<C: Dialect> EventsRead for SqlConn<C> {
    async fn has_claimable_events(&mut self, now: Timestamp) -> Result<bool> {
        let sql = "SELECT id FROM events WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < $1) \
                   ORDER BY id LIMIT 1";
        let found: Option<i64> = self
            .conn
            .fetch_optional(sql.into(), &[Value::from(to_micros(now))], |r| r.get("id"))
            .await?;
        Ok(found.is_some())
    }

    async fn latest_event_id(&mut self) -> Result<i64> {
        let sql = "SELECT COALESCE(MAX(id), 0) AS id FROM events";
        self.conn.fetch_one(sql.into(), &[], |r| r.get("id")).await
    }

    async fn hook_runs_of_event(&mut self, event_id: i64) -> Result<Vec<HookRun>> {
        let sql = format!("SELECT {RUN_COLS} FROM hook_runs WHERE event_id = $1 ORDER BY id");
        self.conn.fetch_all(sql.into(), &[Value::from(event_id)], RUN_ROW).await
    }

    async fn event(&mut self, id: i64) -> Result<Option<Event>> {
        by_id(&mut self.conn, EVENT_COLS, "events", id, EVENT_ROW).await
    }

    async fn event_list(&mut self, f: &EventFilter) -> Result<Vec<Event>> {
        let mut q = QueryBuilder::new(format!("SELECT {EVENT_COLS} FROM events WHERE TRUE"));
        if let Some(entity) = f.entity {
            q.push(" AND entity = ").bind(entity);
        }
        if let Some(id) = f.entity_id {
            q.push(" AND entity_id = ").bind(id);
        }
        if let Some(id) = f.customer_id {
            q.push(" AND customer_id = ").bind(id);
        }
        if let Some(since) = f.since_micros {
            q.push(" AND timestamp >= ").bind(since);
        }
        if let Some(before) = f.before_id {
            q.push(" AND id < ").bind(before);
        }
        q.push(" ORDER BY id DESC LIMIT ").bind(i64::from(f.limit));
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, EVENT_ROW).await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> EventsWrite for SqlConn<C> {
    async fn claim_events(&mut self, node: &str, now: Timestamp, until: Timestamp, limit: i64) -> Result<Vec<Event>> {
        let sql = format!(
            // Picked once, in a CTE: PostgreSQL may run an `IN (SELECT … LIMIT … SKIP LOCKED)` subquery more
            // than once and claim more than the limit.
            "WITH picked AS (SELECT s.id FROM events s WHERE s.status = 'pending' \
             AND (s.claimed_until IS NULL OR s.claimed_until < $2) ORDER BY s.id LIMIT $4{}) \
             UPDATE events SET claimed_by = $1, claimed_until = $3, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM picked) AND (claimed_until IS NULL OR claimed_until < $2) \
             RETURNING {EVENT_COLS}",
            C::SKIP_LOCKED
        );
        let params = [
            Value::from(node),
            Value::from(to_micros(now)),
            Value::from(to_micros(until)),
            Value::from(limit),
        ];
        let mut claimed = self.conn.fetch_all(sql.into(), &params, EVENT_ROW).await?;
        claimed.sort_by_key(|e| e.id);
        Ok(claimed)
    }

    async fn finish_event(&mut self, id: i64, node: &str, status: &str, at: Timestamp) -> Result<bool> {
        let sql = "UPDATE events SET status = $3, claimed_by = NULL, claimed_until = NULL, updated_at = $4 \
                   WHERE id = $1 AND claimed_by = $2";
        let params = [
            Value::from(id),
            Value::from(node),
            Value::from(status),
            Value::from(to_micros(at)),
        ];
        Ok(self.conn.execute(sql.into(), &params).await? == 1)
    }

    async fn insert_hook_run(&mut self, run: &HookRun) -> Result<HookRun> {
        let sql = "INSERT INTO hook_runs (event_id, hook, script, status, line, message, duration_us, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
        let params = [
            Value::from(run.event_id),
            Value::from(run.hook.as_str()),
            Value::from(run.script.as_str()),
            Value::from(run.status.as_str()),
            Value::from(run.line),
            Value::from(run.message.as_deref()),
            Value::from(run.duration_us),
            Value::from(to_micros(run.created_at)),
        ];
        let id: i64 = self.conn.fetch_one(sql.into(), &params, |r| r.get("id")).await?;
        Ok(HookRun { id, ..run.clone() })
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
        let id = self.conn.insert(row).await?;
        Ok(Event {
            id,
            timestamp: now,
            source: e.source,
            member_id: e.member_id,
            member_type: e.member_type.map(str::to_owned),
            url: e.url.clone(),
            action: e.action,
            name: e.name.map(str::to_owned),
            data: EventData {
                entity: e.entity,
                value: e.value.clone(),
                old: e.old.clone(),
            },
            entity_id: e.entity_id,
            customer_id: e.customer_id,
            status: "pending".into(),
            created_at: now,
            updated_at: now,
        })
    }
}
