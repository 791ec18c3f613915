//! Case updates' SQL (SPEC §6): queued once per event, claimed per brand like webhook deliveries are per
//! endpoint (a lease per node, taken over when it runs out, rows other transactions are claiming skipped
//! where writers run concurrently), and every attempt kept.
use crate::leased::{Lease, LeasedQueue};
use crate::{Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err};
use domain::Timestamp;
use domain::automation::DeliveryStatus;
use domain::case_update::{CaseUpdateAttempt, CaseUpdateDelivery};
use store::time::{from_micros, to_micros};
use store::{CaseUpdateOutcome, CaseUpdatesRead, CaseUpdatesWrite, NewCaseUpdate, Result};

const CASE_UPDATE_COLS: &str = "id, event_id, brand_id, ticket_id, reply_id, userkey, status, attempts, \
     next_attempt_at, deadline_at, created_at, updated_at";

/// Claimed per brand, so that one slow help desk holds only its share of the workers.
const QUEUE: LeasedQueue = LeasedQueue {
    table: "case_updates",
    columns: CASE_UPDATE_COLS,
    scope: Some("brand_id"),
};

const CASE_UPDATE_ROW: RowMap<CaseUpdateDelivery> = |r| {
    let status: &str = r.get("status")?;
    Ok(CaseUpdateDelivery {
        id: r.get("id")?,
        event_id: r.get("event_id")?,
        brand_id: r.get("brand_id")?,
        ticket_id: r.get("ticket_id")?,
        reply_id: r.get("reply_id")?,
        userkey: r.get("userkey")?,
        status: status
            .parse::<DeliveryStatus>()
            .map_err(|e| decode_err("case update status", e))?,
        attempts: r.get("attempts")?,
        next_attempt_at: r.get::<Option<i64>>("next_attempt_at")?.map(from_micros),
        deadline_at: from_micros(r.get("deadline_at")?),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        attempt_log: Vec::new(),
    })
};

const ATTEMPT_COLS: &str = "id, case_update_id, attempted_at, status_code, error, latency_us";

const ATTEMPT_ROW: RowMap<CaseUpdateAttempt> = |r| {
    Ok(CaseUpdateAttempt {
        id: r.get("id")?,
        case_update_id: r.get("case_update_id")?,
        attempted_at: from_micros(r.get("attempted_at")?),
        status_code: r.get("status_code")?,
        error: r.get("error")?,
        latency_us: r.get("latency_us")?,
    })
};

#[async_trait::async_trait]
impl<C: Dialect> CaseUpdatesRead for SqlConn<C> {
    async fn case_update(&mut self, id: i64) -> Result<Option<CaseUpdateDelivery>> {
        by_id(&mut self.conn, CASE_UPDATE_COLS, "case_updates", id, CASE_UPDATE_ROW).await
    }

    async fn case_updates_of_event(&mut self, event_id: i64) -> Result<Vec<CaseUpdateDelivery>> {
        let sql = format!("SELECT {CASE_UPDATE_COLS} FROM case_updates WHERE event_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(event_id)], CASE_UPDATE_ROW)
            .await
    }

    async fn case_update_attempts(&mut self, ids: &[i64]) -> Result<Vec<CaseUpdateAttempt>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(format!(
            "SELECT {ATTEMPT_COLS} FROM case_update_attempts WHERE case_update_id IN ("
        ));
        q.bind_list(ids.iter().copied()).push(") ORDER BY id");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, ATTEMPT_ROW).await
    }

    async fn next_case_update_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>> {
        QUEUE.next_due(&mut self.conn, now, None).await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> CaseUpdatesWrite for SqlConn<C> {
    async fn insert_case_update(&mut self, u: &NewCaseUpdate, at: Timestamp, deadline: Timestamp) -> Result<()> {
        let sql = "INSERT INTO case_updates (event_id, brand_id, ticket_id, reply_id, userkey, status, attempts, \
                   next_attempt_at, deadline_at, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $6, $6) ON CONFLICT (event_id) DO NOTHING";
        let params = [
            Value::from(u.event_id),
            Value::from(u.brand_id),
            Value::from(u.ticket_id),
            Value::from(u.reply_id),
            Value::from(u.userkey.as_str()),
            Value::from(to_micros(at)),
            Value::from(to_micros(deadline)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }

    async fn claim_case_updates(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        per_brand: i64,
        held: &[(i64, i64)],
        limit: i64,
    ) -> Result<Vec<CaseUpdateDelivery>> {
        let sql = "SELECT DISTINCT brand_id FROM case_updates WHERE status = 'pending' AND next_attempt_at <= $1 \
                   ORDER BY brand_id";
        let brands: Vec<i64> = self
            .conn
            .fetch_all(sql.into(), &[Value::from(to_micros(now))], |r| r.get("brand_id"))
            .await?;
        let lease = Lease { node, now, until };
        let mut claimed = QUEUE
            .claim_shared(
                &mut self.conn,
                &lease,
                &brands,
                (per_brand, held),
                limit,
                CASE_UPDATE_ROW,
            )
            .await?;
        // Brand by brand, each brand's in the order they fell due.
        claimed.sort_by_key(|u| (u.brand_id, u.next_attempt_at, u.id));
        Ok(claimed)
    }

    async fn record_case_update(&mut self, node: &str, o: &CaseUpdateOutcome) -> Result<bool> {
        let status = <&'static str>::from(o.status);
        let at = o.attempt.attempted_at;
        if !QUEUE
            .release(&mut self.conn, o.case_update_id, node, status, o.next_attempt_at, at)
            .await?
        {
            return Ok(false);
        }
        let at = to_micros(at);
        let a = &o.attempt;
        let row = NewRow::new("case_update_attempts")
            .set("case_update_id", o.case_update_id)
            .set("attempted_at", at)
            .set("status_code", a.status_code)
            .set("error", a.error.as_deref())
            .set("latency_us", a.latency_us);
        self.conn.insert(row).await?;
        Ok(true)
    }
}
