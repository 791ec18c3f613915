//! Case updates' SQL (SPEC §6): queued once per event, claimed per brand like webhook deliveries are per
//! endpoint (a lease per node, taken over when it runs out, rows other transactions are claiming skipped
//! where writers run concurrently), and every attempt kept.
use crate::{Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err};
use domain::Timestamp;
use domain::automation::DeliveryStatus;
use domain::case_update::{CaseUpdateAttempt, CaseUpdateDelivery};
use store::time::{from_micros, to_micros};
use store::{CaseUpdateOutcome, CaseUpdatesRead, CaseUpdatesWrite, NewCaseUpdate, Result};

const CASE_UPDATE_COLS: &str = "id, event_id, brand_id, ticket_id, reply_id, userkey, status, attempts, \
     next_attempt_at, deadline_at, created_at, updated_at";

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
        // The due-time index yields pending updates in order; those under a live claim (a few per brand and
        // node) are stepped over.
        let sql = "SELECT next_attempt_at FROM case_updates WHERE status = 'pending' \
                   AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT 1";
        let due: Option<i64> = self
            .conn
            .fetch_optional(sql.into(), &[Value::from(to_micros(now))], |r| r.get("next_attempt_at"))
            .await?;
        Ok(due.map(from_micros))
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
        // As for webhook deliveries: the candidates are picked once, in a CTE, and the claim condition is
        // checked again on the row itself, so of two nodes that picked the same rows only one claims each.
        let sql = format!(
            "WITH picked AS (SELECT s.id FROM case_updates s WHERE s.brand_id = $4 AND s.status = 'pending' \
             AND s.next_attempt_at <= $3 AND (s.claimed_until IS NULL OR s.claimed_until < $3) \
             ORDER BY s.next_attempt_at, s.id LIMIT $5{}) \
             UPDATE case_updates SET claimed_by = $1, claimed_until = $2 \
             WHERE id IN (SELECT id FROM picked) AND (claimed_until IS NULL OR claimed_until < $3) \
             AND status = 'pending' RETURNING {CASE_UPDATE_COLS}",
            C::SKIP_LOCKED
        );
        let mut claimed = Vec::new();
        for brand in brands {
            let left = limit - i64::try_from(claimed.len()).unwrap_or(i64::MAX);
            if left <= 0 {
                break;
            }
            let holding = held.iter().find(|(b, _)| *b == brand).map_or(0, |(_, n)| *n);
            let room = (per_brand - holding).min(left);
            if room <= 0 {
                continue;
            }
            let params = [
                Value::from(node),
                Value::from(to_micros(until)),
                Value::from(to_micros(now)),
                Value::from(brand),
                Value::from(room),
            ];
            let mut rows = self
                .conn
                .fetch_all(sql.clone().into(), &params, CASE_UPDATE_ROW)
                .await?;
            rows.sort_by_key(|u| (u.next_attempt_at, u.id));
            claimed.extend(rows);
        }
        Ok(claimed)
    }

    async fn record_case_update(&mut self, node: &str, o: &CaseUpdateOutcome) -> Result<bool> {
        let at = to_micros(o.attempt.attempted_at);
        let sql = "UPDATE case_updates SET status = $3, attempts = attempts + 1, next_attempt_at = $4, \
                   claimed_by = NULL, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND claimed_by = $2";
        let params = [
            Value::from(o.case_update_id),
            Value::from(node),
            Value::from(<&'static str>::from(o.status)),
            Value::from(o.next_attempt_at.map(to_micros)),
            Value::from(at),
        ];
        if self.conn.execute(sql.into(), &params).await? != 1 {
            return Ok(false);
        }
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
