//! Inserts the one writer numbers itself and holds back until the unit's next other statement or its end.
use store_sql::{NewRow, Value};

/// Tables whose new rows a [`WriteQueue`] numbers itself, in the order of [`WriteQueue::number_from`].
const NUMBERED: [&str; 3] = ["tickets", "replies", "events"];

/// Inserts held back until the unit's next other statement or its end.
///
/// SQLite's one writer shares a transaction between units of work (group commit), so a unit that fails
/// must undo only its own part. A savepoint would do that, but at every savepoint FTS5 writes its pending
/// index data out as a new segment (and soon merges them), which made savepoints the writer's largest
/// cost. Most units only insert (a new ticket with its first message and its event): such a unit needs no
/// savepoint if its inserts are undone by deleting the rows again by id. So the one writer numbers new rows
/// itself (`next_ids`, read from the tables when its transaction begins, while nobody else can write) and
/// queues the inserts; they run when the unit finishes, or before anything else touches the connection
/// (the unit then opens its savepoint). A constraint a queued insert breaks is therefore reported by that
/// later call or by the commit, never lost. Held back, a statement can also still be changed: a new
/// ticket's full-text row takes its first message before it is written ([`WriteQueue::amend`]). Every insert
/// into a numbered table must go through the queue while ids are known, or two would get the same id.
#[derive(Default)]
pub(crate) struct WriteQueue {
    statements: Vec<Queued>,
    next_ids: Option<[i64; 3]>,
}

/// A row, or a statement about one: its table and id.
pub(crate) type RowId = (&'static str, i64);

/// A held-back statement. Its values stay unbound, so that it can still be amended.
pub(crate) struct Queued {
    pub sql: String,
    pub values: Vec<Value>,
    /// The row it adds, if it inserts a numbered row: what deleting undoes.
    pub row: Option<RowId>,
    /// A name for [`WriteQueue::amend`].
    tag: Option<RowId>,
}

impl WriteQueue {
    /// Beyond this many queued statements the queue runs anyway (bounded memory per unit).
    const MAX_STATEMENTS: usize = 64;

    /// The highest id now in each numbered table (ticket, reply, event), read inside the writer's
    /// transaction; new rows get the following ones.
    pub(crate) fn number_from(&mut self, highest: [i64; 3]) {
        self.next_ids = Some(highest.map(|id| id + 1));
    }

    /// Forgets the ids (a transaction ended, so another process may write) and any queued statement.
    pub(crate) fn reset(&mut self) {
        self.next_ids = None;
        self.clear();
    }

    /// Drops queued statements that have not run (their unit is being rolled back).
    pub(crate) fn clear(&mut self) {
        self.statements.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Whether the queue numbers new rows now (a transaction is open).
    pub(crate) fn is_numbering(&self) -> bool {
        self.next_ids.is_some()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.statements.len() >= Self::MAX_STATEMENTS
    }

    pub(crate) fn push(&mut self, sql: String, values: Vec<Value>, row: Option<RowId>, tag: Option<RowId>) {
        self.statements.push(Queued { sql, values, row, tag });
    }

    /// Changes value `offset` of the queued statement tagged `tag`, if it has not run yet.
    pub(crate) fn amend(&mut self, tag: RowId, offset: usize, change: impl FnOnce(&mut Value)) -> bool {
        let Some(queued) = self.statements.iter_mut().rev().find(|q| q.tag == Some(tag)) else {
            return false;
        };
        match queued.values.get_mut(offset) {
            Some(value) => {
                change(value);
                true
            }
            None => false,
        }
    }

    /// The next id of `table`, if this queue numbers that table's rows now.
    fn take_id(&mut self, table: &str) -> Option<i64> {
        let index = NUMBERED.iter().position(|t| *t == table)?;
        let ids = self.next_ids.as_mut()?;
        let id = ids[index];
        ids[index] += 1;
        Some(id)
    }

    /// Queues the insert of `row` with an id of its own and returns the id, if this queue numbers the rows
    /// of its table now; otherwise hands `row` back, to be inserted at once.
    pub(crate) fn insert(&mut self, row: NewRow) -> Result<i64, NewRow> {
        let Some(id) = self.take_id(row.table) else {
            return Err(row);
        };
        let sql = row.insert_sql(true);
        let mut values = Vec::with_capacity(row.values.len() + 1);
        values.push(Value::from(id));
        values.extend(row.values);
        self.push(sql, values, Some((row.table, id)), None);
        Ok(id)
    }

    /// The queued statements, in order; the queue is left empty.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, Queued> {
        self.statements.drain(..)
    }
}
