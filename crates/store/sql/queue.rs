// Inserts a write connection may hold back and run when its unit of work ends (see `WriteQueue`).
//
// Like shared.rs, this file is not a module of the `store` crate: each backend crate `include!`s it into its
// `sql` module next to shared.rs, so the two share one namespace (`Args`, `Conn`, `sql`, `map_err`, …).

/// Tables whose new rows a [`WriteQueue`] may number itself.
#[derive(Clone, Copy, Debug)]
pub enum Numbered {
    Ticket = 0,
    Reply = 1,
    Event = 2,
}

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
pub struct WriteQueue {
    statements: Vec<Queued>,
    next_ids: Option<[i64; 3]>,
}

/// A row, or a statement about one: its table and id.
pub type RowId = (&'static str, i64);

/// A held-back statement. Its values stay unbound, so that it can still be amended.
#[allow(dead_code)]
pub struct Queued {
    sql: String,
    values: Vec<Value>,
    /// The row it adds, if it inserts a numbered row: what deleting undoes.
    row: Option<RowId>,
    /// A name for [`WriteQueue::amend`].
    tag: Option<RowId>,
}

#[allow(dead_code)]
impl Queued {
    /// The statement's values, bound.
    pub fn args(self) -> Result<(String, Args, Option<RowId>)> {
        let mut args = Args::default();
        for value in self.values {
            value.bind(&mut args)?;
        }
        Ok((self.sql, args, self.row))
    }
}

// The PostgreSQL backend compiles this file too and never queues.
#[allow(dead_code)]
impl WriteQueue {
    /// Beyond this many queued statements the queue runs anyway (bounded memory per unit).
    const MAX_STATEMENTS: usize = 64;

    /// The highest id now in each numbered table (ticket, reply, event), read inside the writer's
    /// transaction; new rows get the following ones.
    pub fn number_from(&mut self, highest: [i64; 3]) {
        self.next_ids = Some(highest.map(|id| id + 1));
    }

    /// Forgets the ids (a transaction ended, so another process may write) and any queued statement.
    pub fn reset(&mut self) {
        self.next_ids = None;
        self.clear();
    }

    /// Drops queued statements that have not run (their unit is being rolled back).
    pub fn clear(&mut self) {
        self.statements.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    fn is_full(&self) -> bool {
        self.statements.len() >= Self::MAX_STATEMENTS
    }

    fn push(&mut self, sql: String, values: Vec<Value>, row: Option<RowId>, tag: Option<RowId>) {
        self.statements.push(Queued { sql, values, row, tag });
    }

    /// Changes value `offset` of the queued statement tagged `tag`, if it has not run yet.
    fn amend(&mut self, tag: RowId, offset: usize, change: impl FnOnce(&mut Value)) -> bool {
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

    /// The next id of `table`, if this queue numbers rows now.
    fn take_id(&mut self, table: Numbered) -> Option<i64> {
        let ids = self.next_ids.as_mut()?;
        let id = ids[table as usize];
        ids[table as usize] += 1;
        Some(id)
    }

    /// The queued statements, in order; the queue is left empty.
    pub fn drain(&mut self) -> std::vec::Drain<'_, Queued> {
        self.statements.drain(..)
    }
}

/// Runs `text` (placeholders from `$1`) with `values`: queued under `tag` after the statements before it
/// when the connection queues, otherwise at once.
#[allow(dead_code)]
pub async fn queue_or_run<C: Conn>(
    conn: &mut C,
    tag: Option<RowId>,
    text: String,
    values: Vec<Value>,
) -> Result<()> {
    if let Some(queue) = conn.queue()
        && queue.next_ids.is_some()
    {
        queue.push(text, values, None, tag);
        if queue.is_full() {
            conn.db().await?;
        }
        return Ok(());
    }
    let mut args = Args::default();
    for value in values {
        value.bind(&mut args)?;
    }
    db::query_with(sql(text), args).execute(conn.db().await?).await.map_err(map_err).map(drop)
}

/// Changes value `offset` of the statement queued under `tag`, if it is still waiting; false if it is not.
#[allow(dead_code)]
pub fn amend_queued<C: Conn>(conn: &mut C, tag: RowId, offset: usize, change: impl FnOnce(&mut Value)) -> bool {
    conn.queue().is_some_and(|queue| queue.amend(tag, offset, change))
}

/// A value of a new row, owned so that it can be bound to whichever query ends up running it.
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_owned))
    }
}

impl Value {
    fn bind(self, args: &mut Args) -> Result<()> {
        use db::Arguments as _;
        match self {
            Value::Int(v) => args.add(v),
            Value::Text(v) => args.add(v),
            Value::Bool(v) => args.add(v),
        }
        .map_err(|e| StoreError::Internal(format!("cannot encode a value: {e}")))
    }
}

/// One new row: its table, and its columns (without `id`) with their values.
struct NewRow {
    table: &'static str,
    columns: Vec<&'static str>,
    values: Vec<Value>,
}

impl NewRow {
    fn new(table: &'static str) -> Self {
        Self { table, columns: Vec::new(), values: Vec::new() }
    }

    fn set(mut self, column: &'static str, value: impl Into<Value>) -> Self {
        self.columns.push(column);
        self.values.push(value.into());
        self
    }

    /// `INSERT INTO table (columns) VALUES ($first, …)`, with `id` first when `id` is given.
    fn insert_sql(&self, id: bool, first: usize) -> String {
        let columns = if id { format!("id, {}", self.columns.join(", ")) } else { self.columns.join(", ") };
        let count = self.columns.len() + usize::from(id);
        let placeholders = (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ");
        format!("INSERT INTO {} ({columns}) VALUES ({placeholders})", self.table)
    }
}

/// Inserts `row` and returns its id: queued with an id of its own when the connection numbers rows
/// (see [`WriteQueue`]), otherwise at once.
async fn insert_row<C: Conn>(conn: &mut C, numbered: Option<Numbered>, row: NewRow) -> Result<i64> {
    if let Some(table) = numbered
        && let Some(queue) = conn.queue()
        && let Some(id) = queue.take_id(table)
    {
        let text = row.insert_sql(true, 1);
        let mut values = Vec::with_capacity(row.values.len() + 1);
        values.push(Value::from(id));
        values.extend(row.values);
        queue.push(text, values, Some((row.table, id)), None);
        if queue.is_full() {
            conn.db().await?;
        }
        return Ok(id);
    }
    let text = format!("{} RETURNING id", row.insert_sql(false, 1));
    let mut args = Args::default();
    for value in row.values {
        value.bind(&mut args)?;
    }
    db::query_scalar_with(sql(text), args)
        .fetch_one(conn.db().await?)
        .await
        .map_err(map_err)
}

