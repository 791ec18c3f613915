// Inserts a write connection may hold back and send later, many in one round trip (see `WriteQueue`).
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

/// Inserts waiting to be sent, in one round trip, with the connection's next statement.
///
/// A driver that runs each connection on its own thread (sqlx's SQLite) pays a thread switch per statement,
/// and on SQLite's one writer those switches are what every other writer waits for. An insert whose result
/// is only its new id needs no answer at once if the id is known in advance: the one writer numbers new
/// rows itself (`next_ids`, read from the tables when its transaction begins, while nobody else can
/// write), queues the insert and answers at once; the queue runs before anything else touches the
/// connection, or with the unit's commit. A constraint the queued insert breaks is therefore reported by
/// that later statement or by the commit, never lost. Every insert into a numbered table must go through
/// the queue while ids are known, or the two would hand out the same id.
#[derive(Default)]
pub struct WriteQueue {
    sql: String,
    /// The parameters of the queued statements, bound only when they are sent, so that a queued statement
    /// can still be amended (see [`WriteQueue::amend`]).
    values: Vec<Value>,
    /// Per queued statement: the row it adds (table, id) if it is an insert of a numbered row, and a tag
    /// naming it for [`WriteQueue::amend`], with the index of its first value.
    statements: Vec<Queued>,
    next_ids: Option<[i64; 3]>,
}

struct Queued {
    row: Option<(&'static str, i64)>,
    tag: Option<(&'static str, i64)>,
    first_value: usize,
}

// The PostgreSQL backend compiles this file too and never queues.
#[allow(dead_code)]
impl WriteQueue {
    /// Beyond this many queued statements the queue is sent anyway (bounded statement text and parameters).
    const MAX_STATEMENTS: usize = 24;

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
        self.sql.clear();
        self.values.clear();
        self.statements.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    fn is_full(&self) -> bool {
        self.statements.len() >= Self::MAX_STATEMENTS
    }

    /// Queues `text` (whose placeholders start at `$first`, as given to it) with `values`.
    fn push(
        &mut self,
        text: impl FnOnce(usize) -> String,
        values: Vec<Value>,
        row: Option<(&'static str, i64)>,
        tag: Option<(&'static str, i64)>,
    ) {
        let first_value = self.values.len();
        self.sql.push_str(&text(first_value + 1));
        self.sql.push_str(";\n");
        self.values.extend(values);
        self.statements.push(Queued { row, tag, first_value });
    }

    /// Changes value `offset` of the queued statement tagged `tag`, if it has not been sent yet.
    fn amend(&mut self, tag: (&'static str, i64), offset: usize, change: impl FnOnce(&mut Value)) -> bool {
        let Some(queued) = self.statements.iter().rev().find(|q| q.tag == Some(tag)) else {
            return false;
        };
        match self.values.get_mut(queued.first_value + offset) {
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

    /// `first`, the queued statements and `then` (parameterless statements around them), as one query, and
    /// per queued statement the row it adds, if any; the queue is left empty.
    pub fn drain(&mut self, first: &str, then: &str) -> Result<(String, Args, Vec<Option<(&'static str, i64)>>)> {
        let mut sql = String::with_capacity(first.len() + self.sql.len() + then.len());
        sql.push_str(first);
        sql.push_str(&self.sql);
        sql.push_str(then);
        self.sql.clear();
        let mut args = Args::default();
        for value in self.values.drain(..) {
            value.bind(&mut args)?;
        }
        let rows = self.statements.drain(..).map(|q| q.row).collect();
        Ok((sql, args, rows))
    }
}

/// Runs `first`, the queued statements and `then` in one round trip.
#[allow(dead_code)]
pub async fn run_queue(c: &mut DbConn, queue: &mut WriteQueue, first: &str, then: &str) -> Result<()> {
    if queue.is_empty() && first.is_empty() && then.is_empty() {
        return Ok(());
    }
    let (text, args, _) = queue.drain(first, then)?;
    sqlx::query_with(sql(text), args).execute(&mut *c).await.map_err(map_err).map(drop)
}

/// Runs the queued inserts in one round trip, with nothing to undo them but their ids: if one fails, those
/// before it are deleted again (in reverse order, so their triggers undo what they did), and the error is
/// returned. Only an error while undoing is `Err` of the outer result: then the transaction's state is
/// unknown.
#[allow(dead_code)]
pub async fn run_queue_undoable(c: &mut DbConn, queue: &mut WriteQueue) -> Result<Result<()>> {
    use futures_util::StreamExt;
    use sqlx::Executor;
    if queue.is_empty() {
        return Ok(Ok(()));
    }
    let (text, args, rows) = queue.drain("", "")?;
    let mut completed = 0;
    let mut failure = None;
    {
        let mut results = (&mut *c).fetch_many(sqlx::query_with::<Db, _>(sql(text), args));
        while let Some(result) = results.next().await {
            match result {
                Ok(sqlx::Either::Left(_)) => completed += 1,
                Ok(sqlx::Either::Right(_)) => {}
                Err(e) => {
                    failure = Some(map_err(e));
                    break;
                }
            }
        }
    }
    let Some(failure) = failure else { return Ok(Ok(())) };
    let undo: String = rows
        .iter()
        .take(completed)
        .rev()
        .flatten()
        .map(|(table, id)| format!("DELETE FROM {table} WHERE id = {id};\n"))
        .collect();
    if !undo.is_empty() {
        sqlx::raw_sql(sql(undo)).execute(&mut *c).await.map_err(map_err)?;
    }
    Ok(Err(failure))
}

/// Runs `text` (placeholders from `$first`, as given to it) with `values`: queued under `tag` when the
/// connection queues, so that it goes out with the statements before it, otherwise at once.
#[allow(dead_code)]
pub async fn queue_or_run<C: Conn>(
    conn: &mut C,
    tag: Option<(&'static str, i64)>,
    text: impl FnOnce(usize) -> String,
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
    sqlx::query_with(sql(text(1)), args).execute(conn.db().await?).await.map_err(map_err).map(drop)
}

/// Changes value `offset` of the statement queued under `tag`, if it is still waiting; false if it is not.
#[allow(dead_code)]
pub fn amend_queued<C: Conn>(conn: &mut C, tag: (&'static str, i64), offset: usize, change: impl FnOnce(&mut Value)) -> bool {
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
        use sqlx::Arguments as _;
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
        let NewRow { table: name, columns, values: row_values } = row;
        let mut values = Vec::with_capacity(row_values.len() + 1);
        values.push(Value::from(id));
        values.extend(row_values);
        let shape = NewRow { table: name, columns, values: Vec::new() };
        queue.push(|first| shape.insert_sql(true, first), values, Some((name, id)), None);
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
    sqlx::query_scalar_with(sql(text), args)
        .fetch_one(conn.db().await?)
        .await
        .map_err(map_err)
}

