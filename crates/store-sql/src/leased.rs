//! The queues of outbound work the workers of every node share: webhook deliveries, case updates and mails.
//!
//! Each is a table of items that are `pending` until done or given up, due at `next_attempt_at`, and
//! claimed by one node at a time under a lease (`claimed_by`, `claimed_until`): a node that dies holding
//! items loses them when the lease ends, and another node takes them. An item's attempt is recorded only
//! by the node still holding it. Some queues are claimed per scope (a webhook endpoint, a brand), so that
//! one slow receiver cannot hold every worker.

use crate::{Connection, RowExt, RowMap, Transaction, Value};
use domain::Timestamp;
use store::Result;
use store::time::{from_micros, to_micros};

/// A table of leased work items.
pub(crate) struct LeasedQueue {
    pub(crate) table: &'static str,
    /// The columns a claim returns, for the table's row mapping.
    pub(crate) columns: &'static str,
    /// The column claims are shared out by (each scope's share is claimed on its own), if any.
    pub(crate) scope: Option<&'static str>,
}

impl LeasedQueue {
    /// When the next pending item nobody holds is due (in `scope`, for a scoped queue).
    pub(crate) async fn next_due(
        &self,
        conn: &mut impl Connection,
        now: Timestamp,
        scope: Option<i64>,
    ) -> Result<Option<Timestamp>> {
        // The due-time index yields pending items in order; those under a live claim (a few hundred at most
        // per node) are stepped over.
        let (filter, mut params) = self.scoped(scope);
        params.push(Value::from(to_micros(now)));
        let sql = format!(
            "SELECT next_attempt_at FROM {} s WHERE {filter}status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < ${}) ORDER BY next_attempt_at, id LIMIT 1",
            self.table,
            params.len()
        );
        let due: Option<i64> = conn
            .fetch_optional(sql.into(), &params, |r| r.get("next_attempt_at"))
            .await?;
        Ok(due.map(from_micros))
    }

    /// Claims up to `limit` due items (of `scope`, for a scoped queue) for `node` until `until`, in the order
    /// they fell due.
    pub(crate) async fn claim<C: Transaction, T: Send>(
        &self,
        conn: &mut C,
        lease: &Lease<'_>,
        scope: Option<i64>,
        limit: i64,
        row: RowMap<T>,
    ) -> Result<Vec<T>> {
        let (filter, mut params) = self.scoped(scope);
        let first = params.len();
        params.extend([
            Value::from(lease.node),
            Value::from(to_micros(lease.until)),
            Value::from(to_micros(lease.now)),
            Value::from(limit),
        ]);
        let (node, until, now, limit) = (first + 1, first + 2, first + 3, first + 4);
        // The candidates are picked once, in a CTE (PostgreSQL may run an `IN (SELECT … LIMIT … SKIP LOCKED)`
        // subquery more than once and claim more than the limit); the claim condition is checked again on
        // the row itself, so of two nodes that picked the same candidates only one claims each. The rows
        // come back in no particular order: the caller sorts them by due time.
        let sql = format!(
            "WITH picked AS (SELECT s.id FROM {table} s WHERE {filter}s.status = 'pending' \
             AND s.next_attempt_at <= ${now} AND (s.claimed_until IS NULL OR s.claimed_until < ${now}) \
             ORDER BY s.next_attempt_at, s.id LIMIT ${limit}{skip}) \
             UPDATE {table} SET claimed_by = ${node}, claimed_until = ${until} \
             WHERE id IN (SELECT id FROM picked) AND (claimed_until IS NULL OR claimed_until < ${now}) \
             AND status = 'pending' RETURNING {columns}",
            table = self.table,
            skip = C::SKIP_LOCKED,
            columns = self.columns,
        );
        conn.fetch_all(sql.into(), &params, row).await
    }

    /// Claims due items scope by scope (`scopes` in order), each scope up to `per_scope` items counting the
    /// `held` ones (scope, count) the node holds already, `limit` in all.
    pub(crate) async fn claim_shared<C: Transaction, T: Send>(
        &self,
        conn: &mut C,
        lease: &Lease<'_>,
        scopes: &[i64],
        (per_scope, held): (i64, &[(i64, i64)]),
        limit: i64,
        row: RowMap<T>,
    ) -> Result<Vec<T>> {
        let mut claimed = Vec::new();
        for &scope in scopes {
            let left = limit - i64::try_from(claimed.len()).unwrap_or(i64::MAX);
            if left <= 0 {
                break;
            }
            let holding = held.iter().find(|(s, _)| *s == scope).map_or(0, |(_, n)| *n);
            let room = (per_scope - holding).min(left);
            if room > 0 {
                claimed.extend(self.claim(conn, lease, Some(scope), room, row).await?);
            }
        }
        Ok(claimed)
    }

    /// Ends `node`'s claim on item `id` after an attempt: its new status, when it is next due (if it is
    /// still pending) and one more attempt counted. `false` when the node no longer held it (its lease
    /// ran out and another node took it): the attempt is then not to be recorded.
    pub(crate) async fn release(
        &self,
        conn: &mut impl Connection,
        id: i64,
        node: &str,
        status: &'static str,
        next_attempt_at: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET status = $3, attempts = attempts + 1, next_attempt_at = $4, \
             claimed_by = NULL, claimed_until = NULL, updated_at = $5 WHERE id = $1 AND claimed_by = $2",
            self.table
        );
        let params = [
            Value::from(id),
            Value::from(node),
            Value::from(status),
            Value::from(next_attempt_at.map(to_micros)),
            Value::from(to_micros(at)),
        ];
        Ok(conn.execute(sql.into(), &params).await? == 1)
    }

    /// The scope condition (`scope = $1 AND `) and its parameter, or nothing.
    fn scoped(&self, scope: Option<i64>) -> (String, Vec<Value>) {
        match (self.scope, scope) {
            // Qualified, for the claim's `s` alias (PostgreSQL's `FOR UPDATE OF s`); `next_due` names the table `s` too.
            (Some(column), Some(value)) => (format!("s.{column} = $1 AND "), vec![Value::from(value)]),
            _ => (String::new(), Vec::new()),
        }
    }
}

/// Who claims, and for how long.
pub(crate) struct Lease<'a> {
    pub(crate) node: &'a str,
    pub(crate) now: Timestamp,
    pub(crate) until: Timestamp,
}
