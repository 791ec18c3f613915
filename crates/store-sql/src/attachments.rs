//! Attachments' SQL (SPEC §10, migration 0027/0028): content stored once per SHA-256, one attachment row per
//! file of a reply, read for a page of replies in one query.
use crate::{Connection, Dialect, NewRow, QueryBuilder, RowExt, RowMap, SqlConn, Transaction, Value};
use domain::Reply;
use domain::attachment::Attachment;
use std::collections::{BTreeSet, HashMap};
use store::time::to_micros;
use store::{AttachmentsRead, AttachmentsWrite, NewAttachment, Result, StoredAttachment};

const ATTACHMENT_COLS: &str = "a.id, a.reply_id, a.filename, a.content_type, a.size, a.sha256";

fn attachment(r: &dyn crate::Row) -> Result<Attachment> {
    Ok(Attachment {
        id: r.get("id")?,
        filename: r.get("filename")?,
        content_type: r.get("content_type")?,
        size: r.get("size")?,
        sha256: r.get("sha256")?,
    })
}

const OF_REPLY_ROW: RowMap<(i64, Attachment)> = |r| Ok((r.get("reply_id")?, attachment(r)?));

const STORED_ROW: RowMap<StoredAttachment> = |r| {
    Ok(StoredAttachment {
        attachment: attachment(r)?,
        reply_id: r.get("reply_id")?,
        ticket_id: r.get("ticket_id")?,
        internal: r.get("internal")?,
        customer_id: r.get("customer_id")?,
    })
};

/// The sizes `IN (…)` lists are padded to (the last value repeated): a handful of distinct statements, so
/// both databases' statement caches keep them, whatever the number of values.
const LIST_SIZES: [usize; 5] = [1, 8, 32, 128, 512];

/// `values` in chunks of at most the largest list size, each padded to a size of [`LIST_SIZES`].
fn padded_chunks<T: Clone>(values: &[T]) -> impl Iterator<Item = Vec<T>> + '_ {
    let largest = LIST_SIZES[LIST_SIZES.len() - 1];
    values.chunks(largest).map(move |chunk| {
        let size = LIST_SIZES
            .iter()
            .copied()
            .find(|n| *n >= chunk.len())
            .unwrap_or(largest);
        let mut padded = chunk.to_vec();
        if let Some(last) = chunk.last() {
            padded.resize(size, last.clone());
        }
        padded
    })
}

/// The attachments of `reply_ids`, by reply and then attachment id: one query per 512 replies.
async fn of_replies<C: Connection>(c: &mut C, reply_ids: &[i64]) -> Result<Vec<(i64, Attachment)>> {
    let mut out = Vec::new();
    for chunk in padded_chunks(reply_ids) {
        let mut q = QueryBuilder::new(format!(
            "SELECT {ATTACHMENT_COLS} FROM attachments a WHERE a.reply_id IN ("
        ));
        q.bind_list(chunk).push(") ORDER BY a.reply_id, a.id");
        let (sql, params) = q.build();
        out.extend(c.fetch_all(sql, &params, OF_REPLY_ROW).await?);
    }
    Ok(out)
}

/// Fills in the attachments of `replies` (read with one query for all of them, not one per reply).
pub(crate) async fn attach<C: Connection>(c: &mut C, replies: &mut [Reply]) -> Result<()> {
    if replies.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = replies.iter().map(|r| r.id).collect();
    let mut by_reply: HashMap<i64, Vec<Attachment>> = HashMap::new();
    for (reply_id, a) in of_replies(c, &ids).await? {
        by_reply.entry(reply_id).or_default().push(a);
    }
    for reply in replies {
        reply.attachments = by_reply.remove(&reply.id).unwrap_or_default();
    }
    Ok(())
}

/// Which replies' attachments a delete removes.
pub(crate) enum RepliesOf {
    Ticket(i64),
    Reply(i64),
}

/// Deletes the attachments of a ticket's replies (or of one reply) before the replies themselves go, then
/// the content no attachment names any more. Content another transaction is attaching right now is locked
/// by it (see [`AttachmentsWrite::insert_attachment`]) and skipped: it stays, and a later delete of an
/// attachment with that content sweeps it if it has become unused.
pub(crate) async fn delete_of<C: Dialect>(c: &mut C, of: RepliesOf) -> Result<()> {
    let (sql, id) = match of {
        RepliesOf::Ticket(id) => (
            "DELETE FROM attachments WHERE reply_id IN (SELECT id FROM replies WHERE ticket_id = $1) RETURNING sha256",
            id,
        ),
        RepliesOf::Reply(id) => ("DELETE FROM attachments WHERE reply_id = $1 RETURNING sha256", id),
    };
    let gone: BTreeSet<String> = c
        .fetch_all(sql.into(), &[Value::from(id)], |r| r.get("sha256"))
        .await?
        .into_iter()
        .collect();
    let gone: Vec<String> = gone.into_iter().collect();
    for chunk in padded_chunks(&gone) {
        let mut q = QueryBuilder::new(
            "DELETE FROM attachment_contents WHERE sha256 IN (SELECT s.sha256 FROM attachment_contents s \
             WHERE s.sha256 IN (",
        );
        q.bind_list(chunk).push(&format!(
            ") AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = s.sha256){})",
            C::SKIP_LOCKED
        ));
        let (sql, params) = q.build();
        c.execute(sql, &params).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl<C: Dialect> AttachmentsRead for SqlConn<C> {
    async fn attachments_of_replies(&mut self, reply_ids: &[i64]) -> Result<Vec<(i64, Attachment)>> {
        of_replies(&mut self.conn, reply_ids).await
    }

    async fn attachment(&mut self, id: i64) -> Result<Option<StoredAttachment>> {
        // The reply's own ticket decides, and a ticket that is gone takes its files with it.
        let sql = format!(
            "SELECT {ATTACHMENT_COLS}, r.ticket_id, r.internal, t.customer_id FROM attachments a \
             JOIN replies r ON r.id = a.reply_id JOIN tickets t ON t.id = r.ticket_id WHERE a.id = $1"
        );
        self.conn
            .fetch_optional(sql.into(), &[Value::from(id)], STORED_ROW)
            .await
    }

    async fn attachment_content(&mut self, sha256: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .fetch_optional(
                "SELECT content FROM attachment_contents WHERE sha256 = $1".into(),
                &[Value::from(sha256)],
                |r| r.get("content"),
            )
            .await
    }
}

#[async_trait::async_trait]
impl<C: Transaction> AttachmentsWrite for SqlConn<C> {
    async fn insert_attachment(&mut self, new: &NewAttachment<'_>) -> Result<Attachment> {
        let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
        // Content already stored is not written again, but its row is locked until commit (an update whose
        // condition never holds still locks on PostgreSQL): a delete sweeping unused content at the same
        // moment skips it instead of removing what this attachment is about to name.
        let sql = "INSERT INTO attachment_contents (sha256, size, content) VALUES ($1, $2, $3) \
                   ON CONFLICT (sha256) DO UPDATE SET size = excluded.size WHERE FALSE";
        let params = [Value::from(new.sha256), Value::from(size), Value::from(new.content)];
        self.conn.execute(sql.into(), &params).await?;
        let row = NewRow::new("attachments")
            .set("reply_id", new.reply_id)
            .set("ticket_id", new.ticket_id)
            .set("filename", new.filename)
            .set("content_type", new.content_type)
            .set("size", size)
            .set("sha256", new.sha256)
            .set("created_at", to_micros(new.created_at));
        let id = self.conn.insert(row).await?;
        Ok(Attachment {
            id,
            filename: new.filename.to_owned(),
            content_type: new.content_type.to_owned(),
            size,
            sha256: new.sha256.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_padded_to_a_few_sizes() {
        let sizes = |n: i64| -> Vec<usize> {
            let values: Vec<i64> = (0..n).collect();
            padded_chunks(&values).map(|c| c.len()).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(2), [8]);
        assert_eq!(sizes(33), [128]);
        assert_eq!(sizes(513), [512, 1]);
        let padded: Vec<Vec<i64>> = padded_chunks(&[4, 5]).collect();
        assert_eq!(padded, [vec![4, 5, 5, 5, 5, 5, 5, 5]]);
    }
}
