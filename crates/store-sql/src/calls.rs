//! Telephony calls' SQL (SPEC §7.4), and the screen pop's lookups by the caller's number.
use crate::people::{CUSTOMER_COLS, CUSTOMER_ROW, END_USER_COLS, END_USER_ROW};
use crate::{Dialect, NewRow, RowExt, RowMap, SqlConn, Transaction, Value, by_id};
use domain::call::Call;
use domain::{Customer, EndUser};
use store::time::{from_micros, to_micros};
use store::{CallsRead, CallsWrite, Result};

const CALL_COLS: &str = "id, callid, ani, brand_id, customer_id, end_user_id, account_key, ticket_id, staff_id, \
     lookup_error, created_at";

const CALL_ROW: RowMap<Call> = |r| {
    Ok(Call {
        id: r.get("id")?,
        callid: r.get("callid")?,
        ani: r.get("ani")?,
        brand_id: r.get("brand_id")?,
        customer_id: r.get("customer_id")?,
        end_user_id: r.get("end_user_id")?,
        account_key: r.get("account_key")?,
        ticket_id: r.get("ticket_id")?,
        staff_id: r.get("staff_id")?,
        lookup_error: r.get("lookup_error")?,
        created_at: from_micros(r.get("created_at")?),
    })
};

/// The upper end of the keys that begin with `prefix` (keys are ASCII digits).
fn key_end(prefix: &str) -> String {
    format!("{prefix}~")
}

#[async_trait::async_trait]
impl<C: Dialect> CallsRead for SqlConn<C> {
    async fn call(&mut self, id: i64) -> Result<Option<Call>> {
        by_id(&mut self.conn, CALL_COLS, "calls", id, CALL_ROW).await
    }

    async fn call_by_callid(&mut self, brand_id: i64, callid: &str) -> Result<Option<Call>> {
        let sql = format!("SELECT {CALL_COLS} FROM calls WHERE brand_id = $1 AND callid = $2 ORDER BY id DESC LIMIT 1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(brand_id), Value::from(callid)], CALL_ROW)
            .await
    }

    async fn customers_by_phone(&mut self, key_prefix: &str, limit: u32) -> Result<Vec<Customer>> {
        let sql = format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE phone_key >= $1 AND phone_key < $2 \
             AND deleted_at IS NULL ORDER BY id DESC LIMIT $3"
        );
        let params = [
            Value::from(key_prefix),
            Value::from(key_end(key_prefix)),
            Value::from(i64::from(limit)),
        ];
        self.conn.fetch_all(sql.into(), &params, CUSTOMER_ROW).await
    }

    async fn end_users_by_phone(&mut self, key_prefix: &str, limit: u32) -> Result<Vec<EndUser>> {
        let sql = format!(
            "SELECT {END_USER_COLS} FROM end_users e WHERE e.phone_key >= $1 AND e.phone_key < $2 \
             AND e.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id \
             AND c.deleted_at IS NULL) ORDER BY e.id DESC LIMIT $3"
        );
        let params = [
            Value::from(key_prefix),
            Value::from(key_end(key_prefix)),
            Value::from(i64::from(limit)),
        ];
        self.conn.fetch_all(sql.into(), &params, END_USER_ROW).await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> CallsWrite for SqlConn<C> {
    async fn insert_call(&mut self, c: &Call) -> Result<Call> {
        let row = NewRow::new("calls")
            .set("callid", c.callid.as_str())
            .set("ani", c.ani.as_str())
            .set("brand_id", c.brand_id)
            .set("customer_id", c.customer_id)
            .set("end_user_id", c.end_user_id)
            .set("account_key", c.account_key.as_deref())
            .set("ticket_id", c.ticket_id)
            .set("staff_id", c.staff_id)
            .set("lookup_error", c.lookup_error.as_deref())
            .set("created_at", to_micros(c.created_at));
        let id = self.conn.insert(row).await?;
        Ok(Call { id, ..c.clone() })
    }

    async fn set_call_ticket(&mut self, call_id: i64, ticket_id: i64) -> Result<()> {
        self.conn
            .execute(
                "UPDATE calls SET ticket_id = $2 WHERE id = $1".into(),
                &[Value::from(call_id), Value::from(ticket_id)],
            )
            .await
            .map(drop)
    }
}
