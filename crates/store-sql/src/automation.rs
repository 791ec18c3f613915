//! Automation's SQL (SPEC §4): stored hook scripts and their versions, webhook endpoints, deliveries and
//! attempts. Deliveries are claimed like the events of the outbox: a lease per node, taken over when it runs
//! out, rows other transactions are claiming skipped where writers run concurrently.
use crate::leased::{Lease, LeasedQueue};
use crate::{
    Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err, from_json_text,
    json_text,
};
use domain::Timestamp;
use domain::automation::{
    Delivery, DeliveryAttempt, DeliveryStatus, HookScript, HookScriptVersion, Webhook, WebhookFormat,
};
use domain::hook_params::HookRun;
use store::time::{from_micros, to_micros};
use store::{AutomationRead, AutomationWrite, DeliveryOutcome, PageRequest, Result};

/// Claimed per endpoint, so that one slow receiver holds only its share of the workers.
const QUEUE: LeasedQueue = LeasedQueue {
    table: "webhook_deliveries",
    columns: DELIVERY_COLS,
    scope: Some("webhook_id"),
};

const SCRIPT_COLS: &str = "id, name, source, enabled, version, created_at, updated_at";

const SCRIPT_ROW: RowMap<HookScript> = |r| {
    Ok(HookScript {
        id: r.get("id")?,
        name: r.get("name")?,
        source: r.get("source")?,
        enabled: r.get("enabled")?,
        version: r.get("version")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

const VERSION_ROW: RowMap<HookScriptVersion> = |r| {
    Ok(HookScriptVersion {
        hook_id: r.get("hook_id")?,
        version: r.get("version")?,
        source: r.get("source")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

const WEBHOOK_COLS: &str =
    "id, url, events, secret, format, active, failing_since, disabled_reason, created_at, updated_at";

const WEBHOOK_ROW: RowMap<Webhook> = |r| {
    let format: &str = r.get("format")?;
    Ok(Webhook {
        id: r.get("id")?,
        url: r.get("url")?,
        events: from_json_text("webhook events", r.get("events")?)?,
        secret: r.get("secret")?,
        format: format
            .parse::<WebhookFormat>()
            .map_err(|e| decode_err("webhook format", e))?,
        active: r.get("active")?,
        failing_since: r.get::<Option<i64>>("failing_since")?.map(from_micros),
        disabled_reason: r.get("disabled_reason")?,
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

const DELIVERY_COLS: &str =
    "id, webhook_id, event_id, status, attempts, next_attempt_at, deadline_at, created_at, updated_at";

const DELIVERY_ROW: RowMap<Delivery> = |r| {
    let status: &str = r.get("status")?;
    Ok(Delivery {
        id: r.get("id")?,
        webhook_id: r.get("webhook_id")?,
        event_id: r.get("event_id")?,
        status: status
            .parse::<DeliveryStatus>()
            .map_err(|e| decode_err("delivery status", e))?,
        attempts: r.get("attempts")?,
        next_attempt_at: r.get::<Option<i64>>("next_attempt_at")?.map(from_micros),
        deadline_at: from_micros(r.get("deadline_at")?),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        attempt_log: Vec::new(),
    })
};

const ATTEMPT_COLS: &str = "id, delivery_id, attempted_at, status_code, error, latency_us, response";

const ATTEMPT_ROW: RowMap<DeliveryAttempt> = |r| {
    Ok(DeliveryAttempt {
        id: r.get("id")?,
        delivery_id: r.get("delivery_id")?,
        attempted_at: from_micros(r.get("attempted_at")?),
        status_code: r.get("status_code")?,
        error: r.get("error")?,
        latency_us: r.get("latency_us")?,
        response: r.get("response")?,
    })
};

#[async_trait::async_trait]
impl<C: Dialect> AutomationRead for SqlConn<C> {
    async fn hook_script(&mut self, id: i64) -> Result<Option<HookScript>> {
        by_id(&mut self.conn, SCRIPT_COLS, "hook_scripts", id, SCRIPT_ROW).await
    }

    async fn hook_script_list(&mut self, page: &PageRequest) -> Result<Vec<HookScript>> {
        let after = page.after.as_ref().map_or(0, |a| a.id);
        let sql = format!("SELECT {SCRIPT_COLS} FROM hook_scripts WHERE id > $1 ORDER BY id LIMIT $2");
        let params = [Value::from(after), Value::from(i64::from(page.limit))];
        self.conn.fetch_all(sql.into(), &params, SCRIPT_ROW).await
    }

    async fn enabled_hook_scripts(&mut self) -> Result<Vec<HookScript>> {
        let sql = format!("SELECT {SCRIPT_COLS} FROM hook_scripts WHERE enabled ORDER BY id");
        self.conn.fetch_all(sql.into(), &[], SCRIPT_ROW).await
    }

    async fn hook_scripts_revision(&mut self) -> Result<(i64, i64)> {
        let sql = "SELECT COUNT(*) AS n, COALESCE(MAX(updated_at), 0) AS at FROM hook_scripts";
        self.conn
            .fetch_one(sql.into(), &[], |r| Ok((r.get("n")?, r.get("at")?)))
            .await
    }

    async fn hook_script_versions(&mut self, id: i64) -> Result<Vec<HookScriptVersion>> {
        let sql = "SELECT hook_id, version, source, created_at FROM hook_script_versions WHERE hook_id = $1 \
                   ORDER BY version DESC";
        self.conn.fetch_all(sql.into(), &[Value::from(id)], VERSION_ROW).await
    }

    async fn hook_runs_of_script(&mut self, script: &str, before: Option<i64>, limit: u32) -> Result<Vec<HookRun>> {
        let sql = format!(
            "SELECT {} FROM hook_runs WHERE script = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
            crate::events::RUN_COLS
        );
        let params = [
            Value::from(script),
            Value::from(before.unwrap_or(i64::MAX)),
            Value::from(i64::from(limit)),
        ];
        self.conn.fetch_all(sql.into(), &params, crate::events::RUN_ROW).await
    }

    async fn webhook(&mut self, id: i64) -> Result<Option<Webhook>> {
        let sql = format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND deleted_at IS NULL");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(id)], WEBHOOK_ROW)
            .await
    }

    async fn webhook_list(&mut self, page: &PageRequest) -> Result<Vec<Webhook>> {
        let after = page.after.as_ref().map_or(0, |a| a.id);
        let sql =
            format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2");
        let params = [Value::from(after), Value::from(i64::from(page.limit))];
        self.conn.fetch_all(sql.into(), &params, WEBHOOK_ROW).await
    }

    async fn active_webhooks(&mut self) -> Result<Vec<Webhook>> {
        let sql = format!("SELECT {WEBHOOK_COLS} FROM webhooks WHERE active AND deleted_at IS NULL ORDER BY id");
        self.conn.fetch_all(sql.into(), &[], WEBHOOK_ROW).await
    }

    async fn delivery(&mut self, id: i64) -> Result<Option<Delivery>> {
        by_id(&mut self.conn, DELIVERY_COLS, "webhook_deliveries", id, DELIVERY_ROW).await
    }

    async fn deliveries_of_webhook(
        &mut self,
        webhook_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        );
        let params = [
            Value::from(webhook_id),
            Value::from(before.unwrap_or(i64::MAX)),
            Value::from(i64::from(limit)),
        ];
        self.conn.fetch_all(sql.into(), &params, DELIVERY_ROW).await
    }

    async fn deliveries_of_event(&mut self, event_id: i64) -> Result<Vec<Delivery>> {
        let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE event_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(event_id)], DELIVERY_ROW)
            .await
    }

    async fn delivery_attempts(&mut self, delivery_ids: &[i64]) -> Result<Vec<DeliveryAttempt>> {
        if delivery_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(format!(
            "SELECT {ATTEMPT_COLS} FROM webhook_attempts WHERE delivery_id IN ("
        ));
        q.bind_list(delivery_ids.iter().copied()).push(") ORDER BY id");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, ATTEMPT_ROW).await
    }

    async fn next_delivery_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>> {
        let sql = "SELECT id FROM webhooks WHERE active AND deleted_at IS NULL ORDER BY id";
        let endpoints: Vec<i64> = self.conn.fetch_all(sql.into(), &[], |r| r.get("id")).await?;
        let mut first: Option<Timestamp> = None;
        for endpoint in endpoints {
            let due = QUEUE.next_due(&mut self.conn, now, Some(endpoint)).await?;
            first = match (first, due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(first)
    }

    async fn events_by_ids(&mut self, ids: &[i64]) -> Result<Vec<domain::Event>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(format!(
            "SELECT {} FROM events WHERE id IN (",
            crate::events::EVENT_COLS
        ));
        q.bind_list(ids.iter().copied()).push(")");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, crate::events::EVENT_ROW).await
    }
}

fn webhook_row(w: &Webhook) -> Result<NewRow> {
    Ok(NewRow::new("webhooks")
        .set("url", w.url.as_str())
        .set("events", json_text(&w.events)?)
        .set("secret", w.secret.as_str())
        .set("format", <&'static str>::from(w.format))
        .set("active", w.active)
        .set("failing_since", w.failing_since.map(to_micros))
        .set("disabled_reason", w.disabled_reason.as_deref())
        .set("created_at", to_micros(w.created_at))
        .set("updated_at", to_micros(w.updated_at)))
}

#[async_trait::async_trait]
impl<C: Transaction> AutomationWrite for SqlConn<C> {
    async fn insert_hook_script(&mut self, s: &HookScript) -> Result<HookScript> {
        let row = NewRow::new("hook_scripts")
            .set("name", s.name.as_str())
            .set("source", s.source.as_str())
            .set("enabled", s.enabled)
            .set("version", 1_i64)
            .set("created_at", to_micros(s.created_at))
            .set("updated_at", to_micros(s.updated_at));
        let id = self.conn.insert(row).await?;
        let version = NewRow::new("hook_script_versions")
            .set("hook_id", id)
            .set("version", 1_i64)
            .set("source", s.source.as_str())
            .set("created_at", to_micros(s.updated_at));
        self.conn.insert(version).await?;
        Ok(HookScript {
            id,
            version: 1,
            ..s.clone()
        })
    }

    async fn update_hook_script(&mut self, s: &HookScript, source_changed: bool) -> Result<()> {
        let sql = "UPDATE hook_scripts SET name = $2, source = $3, enabled = $4, version = $5, updated_at = $6 \
                   WHERE id = $1";
        let params = [
            Value::from(s.id),
            Value::from(s.name.as_str()),
            Value::from(s.source.as_str()),
            Value::from(s.enabled),
            Value::from(s.version),
            Value::from(to_micros(s.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        if source_changed {
            let version = NewRow::new("hook_script_versions")
                .set("hook_id", s.id)
                .set("version", s.version)
                .set("source", s.source.as_str())
                .set("created_at", to_micros(s.updated_at));
            self.conn.insert(version).await?;
        }
        Ok(())
    }

    async fn delete_hook_script(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM hook_script_versions WHERE hook_id = $1".into(),
                &[Value::from(id)],
            )
            .await?;
        self.conn
            .execute("DELETE FROM hook_scripts WHERE id = $1".into(), &[Value::from(id)])
            .await?;
        Ok(())
    }

    async fn insert_webhook(&mut self, w: &Webhook) -> Result<Webhook> {
        let id = self.conn.insert(webhook_row(w)?).await?;
        Ok(Webhook { id, ..w.clone() })
    }

    async fn update_webhook(&mut self, w: &Webhook) -> Result<()> {
        let sql = "UPDATE webhooks SET url = $2, events = $3, secret = $4, format = $5, active = $6, \
                   failing_since = $7, disabled_reason = $8, updated_at = $9 WHERE id = $1";
        let params = [
            Value::from(w.id),
            Value::from(w.url.as_str()),
            Value::from(json_text(&w.events)?),
            Value::from(w.secret.as_str()),
            Value::from(<&'static str>::from(w.format)),
            Value::from(w.active),
            Value::from(w.failing_since.map(to_micros)),
            Value::from(w.disabled_reason.as_deref()),
            Value::from(to_micros(w.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }

    async fn delete_webhook(&mut self, id: i64, at: Timestamp) -> Result<()> {
        // Kept (with its deliveries and their attempts, which in-flight attempts may still be adding to),
        // but never claimed or shown again.
        let sql = "UPDATE webhooks SET active = FALSE, deleted_at = $2, updated_at = $2 WHERE id = $1";
        self.conn
            .execute(sql.into(), &[Value::from(id), Value::from(to_micros(at))])
            .await?;
        Ok(())
    }

    async fn insert_delivery(
        &mut self,
        webhook_id: i64,
        event_id: i64,
        at: Timestamp,
        deadline: Timestamp,
    ) -> Result<()> {
        let sql = "INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, \
                   deadline_at, created_at, updated_at) VALUES ($1, $2, 'pending', 0, $3, $4, $3, $3) \
                   ON CONFLICT (webhook_id, event_id) DO NOTHING";
        let params = [
            Value::from(webhook_id),
            Value::from(event_id),
            Value::from(to_micros(at)),
            Value::from(to_micros(deadline)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }

    async fn claim_deliveries(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        per_webhook: i64,
        held: &[(i64, i64)],
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let sql = "SELECT id FROM webhooks WHERE active AND deleted_at IS NULL ORDER BY id";
        let endpoints: Vec<i64> = self.conn.fetch_all(sql.into(), &[], |r| r.get("id")).await?;
        let lease = Lease { node, now, until };
        let mut claimed = QUEUE
            .claim_shared(
                &mut self.conn,
                &lease,
                &endpoints,
                (per_webhook, held),
                limit,
                DELIVERY_ROW,
            )
            .await?;
        // Endpoint by endpoint, each endpoint's in the order they fell due.
        claimed.sort_by_key(|d| (d.webhook_id, d.next_attempt_at, d.id));
        Ok(claimed)
    }

    async fn record_delivery(&mut self, node: &str, o: &DeliveryOutcome) -> Result<bool> {
        let status = <&'static str>::from(o.status);
        let at = o.attempt.attempted_at;
        if !QUEUE
            .release(&mut self.conn, o.delivery_id, node, status, o.next_attempt_at, at)
            .await?
        {
            return Ok(false);
        }
        let at = to_micros(at);
        let a = &o.attempt;
        let row = NewRow::new("webhook_attempts")
            .set("delivery_id", o.delivery_id)
            .set("attempted_at", at)
            .set("status_code", a.status_code)
            .set("error", a.error.as_deref())
            .set("latency_us", a.latency_us)
            .set("response", a.response.as_deref());
        self.conn.insert(row).await?;
        // A success ends the endpoint's failing streak; a failure starts one if none is running.
        let (sql, params) = if o.status == DeliveryStatus::Done {
            (
                "UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                vec![Value::from(o.webhook_id)],
            )
        } else {
            (
                "UPDATE webhooks SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL",
                vec![Value::from(o.webhook_id), Value::from(at)],
            )
        };
        self.conn.execute(sql.into(), &params).await?;
        Ok(true)
    }

    async fn disable_failing_webhooks(
        &mut self,
        failing_before: Timestamp,
        reason: &str,
        at: Timestamp,
    ) -> Result<Vec<i64>> {
        let sql = "UPDATE webhooks SET active = FALSE, disabled_reason = $2, updated_at = $3 \
                   WHERE active AND failing_since IS NOT NULL AND failing_since < $1 RETURNING id";
        let params = [
            Value::from(to_micros(failing_before)),
            Value::from(reason),
            Value::from(to_micros(at)),
        ];
        self.conn.fetch_all(sql.into(), &params, |r| r.get("id")).await
    }

    async fn replay_delivery(&mut self, id: i64, at: Timestamp, deadline: Timestamp) -> Result<()> {
        let sql = "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, \
                   deadline_at = $3, claimed_by = NULL, claimed_until = NULL, updated_at = $2 WHERE id = $1";
        let params = [
            Value::from(id),
            Value::from(to_micros(at)),
            Value::from(to_micros(deadline)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }
}
