//! Mail's SQL (SPEC §10): mailboxes, the Message-IDs of tickets' mail, outbound mails claimed with a lease
//! like webhook deliveries (one row per recipient), and department membership of staff.
use crate::leased::{Lease, LeasedQueue};
use crate::{Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err};
use domain::Timestamp;
use domain::automation::DeliveryStatus;
use domain::mailbox::{MailAttempt, MailDelivery, MailKind, Mailbox};
use store::time::{from_micros, to_micros};
use store::{MailMessage, MailOutcome, MailRead, MailWrite, MailboxFields, NewMailDelivery, Result};

const MAILBOX_COLS: &str = "id, brand_id, address, department_id, imap_url, smtp_url, active, last_error, \
     last_polled_at, created_at, updated_at";

const MAILBOX_ROW: RowMap<Mailbox> = |r| {
    Ok(Mailbox {
        id: r.get("id")?,
        brand_id: r.get("brand_id")?,
        address: r.get("address")?,
        department_id: r.get("department_id")?,
        imap_url: r.get("imap_url")?,
        smtp_url: r.get("smtp_url")?,
        active: r.get("active")?,
        last_error: r.get("last_error")?,
        last_polled_at: r.get::<Option<i64>>("last_polled_at")?.map(from_micros),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
    })
};

const DELIVERY_COLS: &str = "id, event_id, kind, mailbox_id, brand_id, ticket_id, reply_id, recipient, message_id, \
     status, attempts, next_attempt_at, deadline_at, created_at, updated_at";

/// One queue for all mail: a slow mail server is one connection's wait, not a stalled queue.
const QUEUE: LeasedQueue = LeasedQueue {
    table: "mail_deliveries",
    columns: DELIVERY_COLS,
    scope: None,
};

const DELIVERY_ROW: RowMap<MailDelivery> = |r| {
    let status: &str = r.get("status")?;
    let kind: &str = r.get("kind")?;
    Ok(MailDelivery {
        id: r.get("id")?,
        event_id: r.get("event_id")?,
        kind: kind.parse::<MailKind>().map_err(|e| decode_err("mail kind", e))?,
        mailbox_id: r.get("mailbox_id")?,
        brand_id: r.get("brand_id")?,
        ticket_id: r.get("ticket_id")?,
        reply_id: r.get("reply_id")?,
        recipient: r.get("recipient")?,
        message_id: r.get("message_id")?,
        status: status
            .parse::<DeliveryStatus>()
            .map_err(|e| decode_err("mail status", e))?,
        attempts: r.get("attempts")?,
        next_attempt_at: r.get::<Option<i64>>("next_attempt_at")?.map(from_micros),
        deadline_at: from_micros(r.get("deadline_at")?),
        created_at: from_micros(r.get("created_at")?),
        updated_at: from_micros(r.get("updated_at")?),
        attempt_log: Vec::new(),
    })
};

const ATTEMPT_COLS: &str = "id, mail_delivery_id, attempted_at, smtp_code, error, latency_us";

const ATTEMPT_ROW: RowMap<MailAttempt> = |r| {
    Ok(MailAttempt {
        id: r.get("id")?,
        mail_delivery_id: r.get("mail_delivery_id")?,
        attempted_at: from_micros(r.get("attempted_at")?),
        smtp_code: r.get("smtp_code")?,
        error: r.get("error")?,
        latency_us: r.get("latency_us")?,
    })
};

#[async_trait::async_trait]
impl<C: Dialect> MailRead for SqlConn<C> {
    async fn mailbox(&mut self, id: i64) -> Result<Option<Mailbox>> {
        by_id(&mut self.conn, MAILBOX_COLS, "mailboxes", id, MAILBOX_ROW).await
    }

    async fn mailbox_by_address(&mut self, address: &str) -> Result<Option<Mailbox>> {
        let sql = format!("SELECT {MAILBOX_COLS} FROM mailboxes WHERE address = $1");
        self.conn
            .fetch_optional(sql.into(), &[Value::from(address)], MAILBOX_ROW)
            .await
    }

    async fn mailboxes(&mut self, brand_id: Option<i64>) -> Result<Vec<Mailbox>> {
        let mut q = QueryBuilder::new(format!("SELECT {MAILBOX_COLS} FROM mailboxes"));
        if let Some(brand) = brand_id {
            q.push(" WHERE brand_id = ").bind(brand);
        }
        q.push(" ORDER BY id");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, MAILBOX_ROW).await
    }

    async fn ticket_of_messages(&mut self, message_ids: &[String]) -> Result<Option<(i64, i64)>> {
        if message_ids.is_empty() {
            return Ok(None);
        }
        let mut q =
            QueryBuilder::new("SELECT message_id, ticket_id, brand_id FROM mail_messages WHERE message_id IN (");
        q.bind_list(message_ids.iter().map(String::as_str)).push(")");
        let (sql, params) = q.build();
        let found: Vec<(String, i64, i64)> = self
            .conn
            .fetch_all(sql, &params, |r| {
                Ok((r.get("message_id")?, r.get("ticket_id")?, r.get("brand_id")?))
            })
            .await?;
        Ok(message_ids
            .iter()
            .find_map(|id| found.iter().find(|(m, _, _)| m == id).map(|(_, t, b)| (*t, *b))))
    }

    async fn has_message(&mut self, message_id: &str) -> Result<bool> {
        let found: Option<i64> = self
            .conn
            .fetch_optional(
                "SELECT ticket_id FROM mail_messages WHERE message_id = $1".into(),
                &[Value::from(message_id)],
                |r| r.get("ticket_id"),
            )
            .await?;
        Ok(found.is_some())
    }

    async fn messages_of_ticket(&mut self, ticket_id: i64, before: &str, limit: u32) -> Result<Vec<String>> {
        let sql = "SELECT message_id FROM mail_messages WHERE ticket_id = $1 \
                   AND id < coalesce((SELECT b.id FROM mail_messages b WHERE b.message_id = $2 AND b.ticket_id = $1), $4) \
                   ORDER BY id DESC LIMIT $3";
        let mut ids: Vec<String> = self
            .conn
            .fetch_all(
                sql.into(),
                &[
                    Value::from(ticket_id),
                    Value::from(before),
                    Value::from(i64::from(limit)),
                    Value::from(i64::MAX),
                ],
                |r| r.get("message_id"),
            )
            .await?;
        ids.reverse();
        Ok(ids)
    }

    async fn mail_delivery(&mut self, id: i64) -> Result<Option<MailDelivery>> {
        by_id(&mut self.conn, DELIVERY_COLS, "mail_deliveries", id, DELIVERY_ROW).await
    }

    async fn mail_deliveries_of_event(&mut self, event_id: i64) -> Result<Vec<MailDelivery>> {
        let sql = format!("SELECT {DELIVERY_COLS} FROM mail_deliveries WHERE event_id = $1 ORDER BY id");
        self.conn
            .fetch_all(sql.into(), &[Value::from(event_id)], DELIVERY_ROW)
            .await
    }

    async fn mail_attempts(&mut self, ids: &[i64]) -> Result<Vec<MailAttempt>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(format!(
            "SELECT {ATTEMPT_COLS} FROM mail_attempts WHERE mail_delivery_id IN ("
        ));
        q.bind_list(ids.iter().copied()).push(") ORDER BY id");
        let (sql, params) = q.build();
        self.conn.fetch_all(sql, &params, ATTEMPT_ROW).await
    }

    async fn next_mail_due(&mut self, now: Timestamp) -> Result<Option<Timestamp>> {
        QUEUE.next_due(&mut self.conn, now, None).await
    }

    async fn staff_departments(&mut self, staff_id: i64) -> Result<Vec<i64>> {
        self.conn
            .fetch_all(
                "SELECT department_id FROM staff_departments WHERE staff_id = $1 ORDER BY department_id".into(),
                &[Value::from(staff_id)],
                |r| r.get("department_id"),
            )
            .await
    }

    async fn department_members(&mut self, department_id: i64) -> Result<Vec<i64>> {
        self.conn
            .fetch_all(
                "SELECT staff_id FROM staff_departments WHERE department_id = $1 ORDER BY staff_id".into(),
                &[Value::from(department_id)],
                |r| r.get("staff_id"),
            )
            .await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> MailWrite for SqlConn<C> {
    async fn insert_mailbox(&mut self, f: &MailboxFields, at: Timestamp) -> Result<Mailbox> {
        let row = NewRow::new("mailboxes")
            .set("brand_id", f.brand_id)
            .set("address", f.address.as_str())
            .set("department_id", f.department_id)
            .set("imap_url", f.imap_url.as_deref())
            .set("smtp_url", f.smtp_url.as_deref())
            .set("active", f.active)
            .set("created_at", to_micros(at))
            .set("updated_at", to_micros(at));
        let id = self.conn.insert(row).await?;
        Ok(Mailbox {
            id,
            brand_id: f.brand_id,
            address: f.address.clone(),
            department_id: f.department_id,
            imap_url: f.imap_url.clone(),
            smtp_url: f.smtp_url.clone(),
            active: f.active,
            last_error: None,
            last_polled_at: None,
            created_at: at,
            updated_at: at,
        })
    }

    async fn update_mailbox(&mut self, id: i64, f: &MailboxFields, at: Timestamp) -> Result<Option<Mailbox>> {
        let sql = format!(
            "UPDATE mailboxes SET brand_id = $2, address = $3, department_id = $4, imap_url = $5, smtp_url = $6, \
             active = $7, updated_at = $8 WHERE id = $1 RETURNING {MAILBOX_COLS}"
        );
        let params = [
            Value::from(id),
            Value::from(f.brand_id),
            Value::from(f.address.as_str()),
            Value::from(f.department_id),
            Value::from(f.imap_url.as_deref()),
            Value::from(f.smtp_url.as_deref()),
            Value::from(f.active),
            Value::from(to_micros(at)),
        ];
        self.conn.fetch_optional(sql.into(), &params, MAILBOX_ROW).await
    }

    async fn delete_mailbox(&mut self, id: i64) -> Result<bool> {
        let n = self
            .conn
            .execute("DELETE FROM mailboxes WHERE id = $1".into(), &[Value::from(id)])
            .await?;
        Ok(n == 1)
    }

    async fn set_mailbox_polled(&mut self, id: i64, error: Option<&str>, at: Timestamp) -> Result<()> {
        self.conn
            .execute(
                "UPDATE mailboxes SET last_error = $2, last_polled_at = $3 WHERE id = $1".into(),
                &[Value::from(id), Value::from(error), Value::from(to_micros(at))],
            )
            .await
            .map(drop)
    }

    async fn insert_mail_message(&mut self, m: &MailMessage) -> Result<bool> {
        let sql = "INSERT INTO mail_messages (message_id, ticket_id, reply_id, brand_id, direction, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING";
        let params = [
            Value::from(m.message_id.as_str()),
            Value::from(m.ticket_id),
            Value::from(m.reply_id),
            Value::from(m.brand_id),
            Value::from(m.direction),
            Value::from(to_micros(m.created_at)),
        ];
        Ok(self.conn.execute(sql.into(), &params).await? == 1)
    }

    async fn insert_mail_delivery(&mut self, m: &NewMailDelivery, at: Timestamp, deadline: Timestamp) -> Result<()> {
        let sql = "INSERT INTO mail_deliveries (event_id, kind, mailbox_id, brand_id, ticket_id, reply_id, recipient, \
                   message_id, status, attempts, next_attempt_at, deadline_at, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $9, $9) \
                   ON CONFLICT (event_id, kind, recipient) DO NOTHING";
        let params = [
            Value::from(m.event_id),
            Value::from(<&'static str>::from(m.kind)),
            Value::from(m.mailbox_id),
            Value::from(m.brand_id),
            Value::from(m.ticket_id),
            Value::from(m.reply_id),
            Value::from(m.recipient.as_str()),
            Value::from(m.message_id.as_str()),
            Value::from(to_micros(at)),
            Value::from(to_micros(deadline)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        Ok(())
    }

    async fn claim_mail_deliveries(
        &mut self,
        node: &str,
        now: Timestamp,
        until: Timestamp,
        limit: i64,
    ) -> Result<Vec<MailDelivery>> {
        let lease = Lease { node, now, until };
        let mut rows = QUEUE.claim(&mut self.conn, &lease, None, limit, DELIVERY_ROW).await?;
        rows.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(rows)
    }

    async fn record_mail_delivery(&mut self, node: &str, o: &MailOutcome) -> Result<bool> {
        let status = <&'static str>::from(o.status);
        let at = o.attempt.attempted_at;
        if !QUEUE
            .release(&mut self.conn, o.mail_delivery_id, node, status, o.next_attempt_at, at)
            .await?
        {
            return Ok(false);
        }
        let at = to_micros(at);
        let a = &o.attempt;
        let row = NewRow::new("mail_attempts")
            .set("mail_delivery_id", o.mail_delivery_id)
            .set("attempted_at", at)
            .set("smtp_code", a.smtp_code)
            .set("error", a.error.as_deref())
            .set("latency_us", a.latency_us);
        self.conn.insert(row).await?;
        Ok(true)
    }

    async fn set_staff_departments(&mut self, staff_id: i64, department_ids: &[i64]) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM staff_departments WHERE staff_id = $1".into(),
                &[Value::from(staff_id)],
            )
            .await?;
        let mut ids = department_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for department in ids {
            self.conn
                .execute(
                    "INSERT INTO staff_departments (staff_id, department_id) VALUES ($1, $2)".into(),
                    &[Value::from(staff_id), Value::from(department)],
                )
                .await?;
        }
        Ok(())
    }
}
