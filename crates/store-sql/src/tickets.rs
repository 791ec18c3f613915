//! The tickets' SQL: tickets, replies, and the ticket list's filters (search itself is the dialect's).
use crate::{
    Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value, by_id, decode_err, from_json_text,
    json_text,
};
use domain::{Priority, Reply, Ticket, TicketStatus, Timestamp};
use std::ops::Range;
use store::time::{from_micros, to_micros};
use store::{
    AssignedFilter, DayCount, PageRequest, Result, SearchRequest, SearchRow, TicketFilter, TicketSort, TicketsRead,
    TicketsWrite,
};

const TICKET_COLS: &str = "t.id, t.did, t.user_id, t.customer_id, t.status, t.locked, t.priority, t.title, \
     t.ctime, t.lastreply, t.read_by_customer, t.read_by_staff, t.service, t.assigned, t.assigned_by, \
     t.custom_fields, t.redeemed, t.account_key, t.callid, t.updated_at";

/// Reads a ticket selected with the list's columns.
pub const TICKET_ROW: RowMap<Ticket> = |r| {
    let status: &str = r.get("status")?;
    let priority: i64 = r.get("priority")?;
    Ok(Ticket {
        id: r.get("id")?,
        did: r.get("did")?,
        user_id: r.get("user_id")?,
        customer_id: r.get("customer_id")?,
        status: TicketStatus::parse(status).map_err(|e| decode_err("ticket status", e))?,
        locked: r.get("locked")?,
        priority: Priority::try_from(priority).map_err(|e| decode_err("ticket priority", e))?,
        title: r.get("title")?,
        ctime: from_micros(r.get("ctime")?),
        lastreply: from_micros(r.get("lastreply")?),
        read_by_customer: r.get("read_by_customer")?,
        read_by_staff: r.get("read_by_staff")?,
        service: r.get("service")?,
        assigned: r.get("assigned")?,
        assigned_by: r.get("assigned_by")?,
        custom_fields: from_json_text("custom fields", r.get("custom_fields")?)?,
        redeemed: from_json_text("redeemed incidents", r.get("redeemed")?)?,
        account_key: r.get("account_key")?,
        callid: r.get("callid")?,
        updated_at: from_micros(r.get("updated_at")?),
        replies: None,
    })
};

const REPLY_COLS: &str = "id, ticket_id, user_id, admin, name, encrypted, message, ctime, ip, internal";

const REPLY_ROW: RowMap<Reply> = |r| {
    Ok(Reply {
        id: r.get("id")?,
        owner_id: r.get("ticket_id")?,
        user_id: r.get("user_id")?,
        admin: r.get("admin")?,
        name: r.get("name")?,
        encrypted: r.get("encrypted")?,
        message: r.get("message")?,
        ctime: from_micros(r.get("ctime")?),
        ip: r.get("ip")?,
        internal: r.get("internal")?,
        // Filled in by the reads, for all replies they return at once.
        attachments: Vec::new(),
    })
};

/// The ticket list's query over `tickets t`: its filters, the dialect's term filter, keyset paging in the
/// requested order.
fn ticket_list_query<C: Dialect>(f: &TicketFilter) -> QueryBuilder {
    ticket_list_query_over(
        f,
        f.page.limit,
        |q| {
            q.push("tickets t");
        },
        "t.id",
        |q| {
            if !f.terms.is_empty() {
                C::push_ticket_terms(q, &f.terms, f.search_internal);
            }
        },
    )
}

/// The ticket list's query with its rows read from what `source` pushes (it joins `tickets t`), ordered and
/// paged by the column `id` (equal to `t.id`) when the sort is by id, narrowed by what `terms` pushes
/// (`AND …`), at most `limit` rows. A dialect's bounded plan for terms drives the list from its full-text
/// index this way; the list's own filters and cursor are the same for every plan.
pub fn ticket_list_query_over(
    f: &TicketFilter,
    limit: u32,
    source: impl FnOnce(&mut QueryBuilder),
    id: &str,
    terms: impl FnOnce(&mut QueryBuilder),
) -> QueryBuilder {
    let mut q = QueryBuilder::new(format!("SELECT {TICKET_COLS} FROM "));
    source(&mut q);
    q.push(" WHERE TRUE");
    if !f.statuses.is_empty() {
        q.push(" AND t.status IN (")
            .bind_list(f.statuses.iter().map(|s| s.as_str()))
            .push(")");
    }
    if let Some(did) = f.did {
        q.push(" AND t.did = ").bind(did);
    }
    if let Some(brand) = f.brand {
        q.push(" AND t.did IN (SELECT id FROM departments WHERE brand_id = ")
            .bind(brand)
            .push(")");
    }
    if let Some(customer_id) = f.customer_id {
        q.push(" AND t.customer_id = ").bind(customer_id);
    }
    if let Some(user_id) = f.user_id {
        q.push(" AND t.user_id = ").bind(user_id);
    }
    match f.assigned {
        Some(AssignedFilter::Nobody) => {
            q.push(" AND t.assigned IS NULL");
        }
        Some(AssignedFilter::Staff(id)) => {
            q.push(" AND t.assigned = ").bind(id);
        }
        None => {}
    }
    if let Some(p) = f.priority {
        q.push(" AND t.priority = ").bind(i64::from(p));
    }
    if let Some(locked) = f.locked {
        q.push(" AND t.locked = ").bind(locked);
    }
    terms(&mut q);
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
                q.push(&format!(" AND ({col}, t.id) {cmp} ("))
                    .bind(after.key)
                    .push(", ")
                    .bind(after.id)
                    .push(")");
            }
            None => {
                q.push(&format!(" AND {id} {cmp} ")).bind(after.id);
            }
        }
    }
    match key_col {
        Some(col) => q.push(&format!(" ORDER BY {col} {dir}, t.id {dir}")),
        None => q.push(&format!(" ORDER BY {id} {dir}")),
    };
    q.push(" LIMIT ").bind(i64::from(limit));
    q
}

/// Whether a ticket list gets the dialect's bounded plan for its terms: matches in id order straight from
/// the full-text index, stopping at the page. Other sorts (last reply, priority) need every match before
/// the first row is known, so they keep the plain filter (documented in docs/architecture.md).
fn bounded_terms_plan(f: &TicketFilter) -> bool {
    !f.terms.is_empty() && matches!(f.sort, TicketSort::IdAsc | TicketSort::IdDesc)
}

#[async_trait::async_trait]
impl<C: Dialect> TicketsRead for SqlConn<C> {
    async fn ticket(&mut self, id: i64) -> Result<Option<Ticket>> {
        by_id(&mut self.conn, TICKET_COLS, "tickets t", id, TICKET_ROW).await
    }

    async fn ticket_list(&mut self, f: &TicketFilter) -> Result<Vec<Ticket>> {
        if bounded_terms_plan(f) {
            return self.conn.ticket_list_matching(f).await;
        }
        let (sql, params) = ticket_list_query::<C>(f).build();
        self.conn.fetch_all(sql, &params, TICKET_ROW).await
    }

    async fn reply(&mut self, id: i64) -> Result<Option<Reply>> {
        let mut reply = by_id(&mut self.conn, REPLY_COLS, "replies", id, REPLY_ROW).await?;
        crate::attachments::attach(&mut self.conn, reply.as_mut_slice()).await?;
        Ok(reply)
    }

    async fn reply_list(&mut self, ticket_id: i64, include_internal: bool) -> Result<Vec<Reply>> {
        let sql =
            format!("SELECT {REPLY_COLS} FROM replies WHERE ticket_id = $1 AND ($2 OR internal = FALSE) ORDER BY id");
        let params = [Value::from(ticket_id), Value::from(include_internal)];
        let mut replies = self.conn.fetch_all(sql.into(), &params, REPLY_ROW).await?;
        crate::attachments::attach(&mut self.conn, &mut replies).await?;
        Ok(replies)
    }

    async fn reply_page(&mut self, ticket_id: i64, include_internal: bool, page: &PageRequest) -> Result<Vec<Reply>> {
        let sql = format!(
            "SELECT {REPLY_COLS} FROM replies WHERE ticket_id = $1 AND ($2 OR internal = FALSE) AND id > $3 \
             ORDER BY id LIMIT $4"
        );
        let params = [
            Value::from(ticket_id),
            Value::from(include_internal),
            Value::from(page.after_id()),
            Value::from(i64::from(page.limit)),
        ];
        let mut replies = self.conn.fetch_all(sql.into(), &params, REPLY_ROW).await?;
        crate::attachments::attach(&mut self.conn, &mut replies).await?;
        Ok(replies)
    }

    async fn search(&mut self, request: &SearchRequest) -> Result<Vec<SearchRow>> {
        self.conn.search(request).await
    }

    async fn tickets_opened_per_day(&mut self, days: Range<i64>) -> Result<Vec<(i64, u64)>> {
        let sql = "SELECT ctime / 86400000000 AS day, count(*) AS n FROM tickets WHERE ctime >= $1 AND ctime < $2 \
                   GROUP BY ctime / 86400000000 ORDER BY day";
        self.conn.fetch_all(sql.into(), &day_bounds(&days), DAY_COUNT_ROW).await
    }

    async fn tickets_solved_per_day(&mut self, days: Range<i64>) -> Result<Vec<(i64, u64)>> {
        // The conditions repeat the predicate of the partial index `events_ticket_solved` word for word,
        // so both databases read that index instead of every event of the window.
        let sql = "SELECT timestamp / 86400000000 AS day, count(*) AS n FROM events \
                   WHERE entity = 'ticket' AND action = 'updated' \
                   AND value LIKE '%\"status\":\"solved\"%' AND old NOT LIKE '%\"status\":\"solved\"%' \
                   AND timestamp >= $1 AND timestamp < $2 GROUP BY timestamp / 86400000000 ORDER BY day";
        self.conn.fetch_all(sql.into(), &day_bounds(&days), DAY_COUNT_ROW).await
    }

    async fn kept_day_counts(&mut self, days: Range<i64>) -> Result<Vec<DayCount>> {
        let sql = "SELECT day, opened, solved FROM day_counts WHERE day >= $1 AND day < $2 ORDER BY day";
        let params = [Value::from(days.start), Value::from(days.end)];
        self.conn
            .fetch_all(sql.into(), &params, |r| {
                let count = |column: &'static str| -> Result<u64> {
                    let n: i64 = r.get(column)?;
                    u64::try_from(n).map_err(|e| decode_err(column, e))
                };
                Ok(DayCount {
                    day: r.get("day")?,
                    opened: count("opened")?,
                    solved: count("solved")?,
                })
            })
            .await
    }

    async fn ticket_count_by_status(&mut self, status: TicketStatus, bound: u64) -> Result<u64> {
        let sql = "SELECT count(*) AS n FROM (SELECT 1 AS one FROM tickets WHERE status = $1 LIMIT $2) AS s";
        let bound = i64::try_from(bound).unwrap_or(i64::MAX);
        let n: i64 = self
            .conn
            .fetch_one(sql.into(), &[Value::from(status.as_str()), Value::from(bound)], |r| {
                r.get("n")
            })
            .await?;
        u64::try_from(n).map_err(|e| decode_err("n", e))
    }

    async fn first_responses(&mut self, since: Timestamp, limit: u32) -> Result<Vec<(Timestamp, Option<Timestamp>)>> {
        let sql = "SELECT t.ctime AS opened, (SELECT min(r.ctime) FROM replies r WHERE r.ticket_id = t.id \
                   AND r.admin = TRUE AND r.internal = FALSE) AS answered \
                   FROM tickets t WHERE t.ctime >= $1 ORDER BY t.ctime DESC LIMIT $2";
        let params = [Value::from(to_micros(since)), Value::from(i64::from(limit))];
        self.conn
            .fetch_all(sql.into(), &params, |r| {
                let answered: Option<i64> = r.get("answered")?;
                Ok((from_micros(r.get("opened")?), answered.map(from_micros)))
            })
            .await
    }
}

const DAY_MICROS: i64 = 86_400_000_000;

/// The first and the last microsecond (excluded) of a range of days.
fn day_bounds(days: &Range<i64>) -> [Value; 2] {
    [
        Value::from(days.start.saturating_mul(DAY_MICROS)),
        Value::from(days.end.saturating_mul(DAY_MICROS)),
    ]
}

const DAY_COUNT_ROW: RowMap<(i64, u64)> = |r| {
    let n: i64 = r.get("n")?;
    Ok((r.get("day")?, u64::try_from(n).map_err(|e| decode_err("n", e))?))
};

#[async_trait::async_trait]
impl<C: Transaction> TicketsWrite for SqlConn<C> {
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
            .set("callid", t.callid.as_deref())
            .set("updated_at", to_micros(t.updated_at));
        let id = self.conn.insert(row).await?;
        self.conn.index_new_ticket(id, &t.title).await?;
        Ok(Ticket {
            id,
            replies: None,
            ..t.clone()
        })
    }

    async fn update_ticket(&mut self, t: &Ticket) -> Result<()> {
        let sql = "UPDATE tickets SET did = $2, user_id = $3, customer_id = $4, status = $5, locked = $6, \
                   priority = $7, title = $8, lastreply = $9, read_by_customer = $10, read_by_staff = $11, \
                   service = $12, assigned = $13, assigned_by = $14, custom_fields = $15, redeemed = $16, \
                   account_key = $17, updated_at = $18 WHERE id = $1";
        let params = [
            Value::from(t.id),
            Value::from(t.did),
            Value::from(t.user_id),
            Value::from(t.customer_id),
            Value::from(t.status.as_str()),
            Value::from(t.locked),
            Value::from(i64::from(t.priority)),
            Value::from(&t.title),
            Value::from(to_micros(t.lastreply)),
            Value::from(t.read_by_customer),
            Value::from(t.read_by_staff),
            Value::from(t.service),
            Value::from(t.assigned),
            Value::from(t.assigned_by),
            Value::from(json_text(&t.custom_fields)?),
            Value::from(json_text(&t.redeemed)?),
            Value::from(&t.account_key),
            Value::from(to_micros(t.updated_at)),
        ];
        self.conn.execute(sql.into(), &params).await?;
        self.conn.index_changed_text(&t.title).await
    }

    async fn keep_day_counts(&mut self, counts: &[DayCount]) -> Result<()> {
        let sql = "INSERT INTO day_counts (day, opened, solved) VALUES ($1, $2, $3) \
                   ON CONFLICT (day) DO UPDATE SET opened = excluded.opened, solved = excluded.solved";
        for c in counts {
            let params = [
                Value::from(c.day),
                Value::from(i64::try_from(c.opened).unwrap_or(i64::MAX)),
                Value::from(i64::try_from(c.solved).unwrap_or(i64::MAX)),
            ];
            self.conn.execute(sql.into(), &params).await?;
        }
        Ok(())
    }

    async fn forget_day_count(&mut self, day: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM day_counts WHERE day = $1".into(), &[Value::from(day)])
            .await
            .map(drop)
    }

    async fn delete_ticket(&mut self, id: i64) -> Result<()> {
        crate::attachments::delete_of(&mut self.conn, crate::attachments::RepliesOf::Ticket(id)).await?;
        let id = [Value::from(id)];
        self.conn
            .execute("DELETE FROM replies WHERE ticket_id = $1".into(), &id)
            .await?;
        self.conn
            .execute("DELETE FROM tickets WHERE id = $1".into(), &id)
            .await
            .map(drop)
    }

    async fn ticket_for_update(&mut self, id: i64) -> Result<Option<Ticket>> {
        let sql = format!("SELECT {TICKET_COLS} FROM tickets t WHERE id = $1{}", C::FOR_UPDATE);
        self.conn
            .fetch_optional(sql.into(), &[Value::from(id)], TICKET_ROW)
            .await
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
        let id = self.conn.insert(row).await?;
        self.conn.index_new_reply(r.owner_id, &r.message, r.internal).await?;
        Ok(Reply { id, ..r.clone() })
    }

    async fn update_reply(&mut self, r: &Reply) -> Result<()> {
        let sql = "UPDATE replies SET message = $2, internal = $3 WHERE id = $1";
        let params = [Value::from(r.id), Value::from(&r.message), Value::from(r.internal)];
        self.conn.execute(sql.into(), &params).await?;
        self.conn.index_changed_text(&r.message).await
    }

    async fn delete_reply(&mut self, id: i64) -> Result<()> {
        crate::attachments::delete_of(&mut self.conn, crate::attachments::RepliesOf::Reply(id)).await?;
        let sql = "DELETE FROM replies WHERE id = $1";
        self.conn.execute(sql.into(), &[Value::from(id)]).await.map(drop)
    }
}
