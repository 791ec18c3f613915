//! Custom attributes' SQL: their definitions, the indexed copies of their values and of tags, and the list
//! query of customers and end users (filters, keyword, order, pages) that runs on those indexes.
use crate::{Connection, Dialect, QueryBuilder, RowExt, RowMap, Value, from_json_text, json_text};
use domain::filter::FilterOp;
use domain::{Attribute, AttributeEntity, AttributeType};
use store::time::{from_micros, to_micros};
use store::{
    DeletedFilter, IndexedValue, Operand, PersonCondition, PersonField, PersonPage, PersonQuery, Result, StoreError,
    UniqueKey,
};

const ATTRIBUTE_COLS: &str = "id, entity, name, pretty_name, type, description, required, editable, searchable, \
     unique_values, default_value, options, created_at, updated_at, deleted_at";

const ATTRIBUTE_ROW: RowMap<Attribute> = |r| {
    let entity: &str = r.get("entity")?;
    let kind: &str = r.get("type")?;
    let default_value: Option<&str> = r.get("default_value")?;
    Ok(Attribute {
        id: Some(r.get("id")?),
        entity: AttributeEntity::parse(entity)
            .ok_or_else(|| StoreError::internal(format!("unknown attribute entity {entity:?}")))?,
        name: r.get("name")?,
        pretty_name: r.get("pretty_name")?,
        kind: AttributeType::parse(kind).map_err(|e| StoreError::internal(format!("attribute type {kind:?}: {e}")))?,
        description: r.get("description")?,
        required: r.get("required")?,
        editable: r.get("editable")?,
        searchable: r.get("searchable")?,
        unique: r.get("unique_values")?,
        default: false,
        default_value: default_value
            .map(|v| from_json_text("attribute default", v))
            .transpose()?,
        options: from_json_text("attribute options", r.get("options")?)?,
        created_at: Some(from_micros(r.get("created_at")?)),
        updated_at: Some(from_micros(r.get("updated_at")?)),
        deleted_at: r.get::<Option<i64>>("deleted_at")?.map(from_micros),
    })
};

pub(crate) async fn attributes<C: Connection>(
    c: &mut C,
    entity: AttributeEntity,
    with_deleted: bool,
) -> Result<Vec<Attribute>> {
    let sql =
        format!("SELECT {ATTRIBUTE_COLS} FROM attributes WHERE entity = $1 AND ($2 OR deleted_at IS NULL) ORDER BY id");
    c.fetch_all(
        sql.into(),
        &[Value::from(entity.as_str()), Value::from(with_deleted)],
        ATTRIBUTE_ROW,
    )
    .await
}

pub(crate) async fn attribute<C: Connection>(c: &mut C, id: i64) -> Result<Option<Attribute>> {
    let sql = format!("SELECT {ATTRIBUTE_COLS} FROM attributes WHERE id = $1");
    c.fetch_optional(sql.into(), &[Value::from(id)], ATTRIBUTE_ROW).await
}

fn attribute_params(a: &Attribute) -> Result<Vec<Value>> {
    let default_value = a.default_value.as_ref().map(json_text).transpose()?;
    Ok(vec![
        Value::from(a.entity.as_str()),
        Value::from(&a.name),
        Value::from(&a.pretty_name),
        Value::from(a.kind.as_str()),
        Value::from(&a.description),
        Value::from(a.required),
        Value::from(a.editable),
        Value::from(a.searchable),
        Value::from(a.unique),
        Value::from(default_value),
        Value::from(json_text(&a.options)?),
        Value::from(a.created_at.map(to_micros)),
        Value::from(a.updated_at.map(to_micros)),
        Value::from(a.deleted_at.map(to_micros)),
    ])
}

pub(crate) async fn insert_attribute<C: Connection>(c: &mut C, a: &Attribute) -> Result<Attribute> {
    let sql = "INSERT INTO attributes (entity, name, pretty_name, type, description, required, editable, \
               searchable, unique_values, default_value, options, created_at, updated_at, deleted_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id";
    let id = c.fetch_one(sql.into(), &attribute_params(a)?, |r| r.get("id")).await?;
    Ok(Attribute {
        id: Some(id),
        ..a.clone()
    })
}

pub(crate) async fn update_attribute<C: Dialect>(c: &mut C, a: &Attribute, old: &Attribute) -> Result<()> {
    let id =
        a.id.ok_or_else(|| StoreError::internal("a built-in attribute cannot be stored"))?;
    // What changes is judged against the definition as stored, locked until the commit: `old` is what
    // the caller read, which a concurrent change of the same attribute may have overtaken (the stored
    // values must follow the definition this write leaves, whatever came between).
    let sql = format!(
        "SELECT unique_values, searchable, deleted_at FROM attributes WHERE id = $1{}",
        C::FOR_UPDATE
    );
    let map: RowMap<(bool, bool)> = |r| {
        let live = r.get::<Option<i64>>("deleted_at")?.is_none();
        Ok((r.get("unique_values")?, r.get::<bool>("searchable")? && live))
    };
    let live = |x: &Attribute| x.searchable && x.deleted_at.is_none();
    let (was_unique, was_searchable) = c
        .fetch_optional(sql.into(), &[Value::from(id)], map)
        .await?
        .unwrap_or((old.unique, live(old)));
    let sql = "UPDATE attributes SET entity = $1, name = $2, pretty_name = $3, type = $4, description = $5, \
               required = $6, editable = $7, searchable = $8, unique_values = $9, default_value = $10, options = $11, \
               created_at = $12, updated_at = $13, deleted_at = $14 WHERE id = $15";
    let mut params = attribute_params(a)?;
    params.push(Value::from(id));
    c.execute(sql.into(), &params).await?;
    if a.unique != was_unique {
        let sql = "UPDATE attribute_values SET unique_value = CASE WHEN $2 THEN folded END WHERE attribute_id = $1";
        c.execute(sql.into(), &[Value::from(id), Value::from(a.unique)])
            .await
            .map_err(|e| with_attribute(e, id))?;
    }
    if live(a) != was_searchable {
        let table = table(a.entity);
        // The same text the store writes with each entity (see `search_text`), built from the rows.
        let sql = format!(
            "UPDATE {table} SET search_text = coalesce((SELECT {agg} FROM attribute_values v \
             JOIN attributes a ON a.id = v.attribute_id \
             WHERE v.entity_id = {table}.id AND a.entity = $2 AND a.searchable AND a.deleted_at IS NULL), '') \
             WHERE id IN (SELECT entity_id FROM attribute_values WHERE attribute_id = $1)",
            agg = C::STRING_AGG_VALUES,
        );
        c.execute(sql.into(), &[Value::from(id), Value::from(a.entity.as_str())])
            .await?;
    }
    Ok(())
}

fn table(entity: AttributeEntity) -> &'static str {
    match entity {
        AttributeEntity::Customer => "customers",
        AttributeEntity::EndUser => "end_users",
    }
}

/// A broken attribute-value uniqueness, named with the attribute it was written for.
fn with_attribute(e: StoreError, attribute_id: i64) -> StoreError {
    match e {
        StoreError::Unique(UniqueKey::AttributeValue(None)) => {
            StoreError::Unique(UniqueKey::AttributeValue(Some(attribute_id)))
        }
        other => other,
    }
}

/// A value with what its attribute's definition says of it now: whether its folded form takes part in the
/// unique index, and whether it joins the entity's keyword-search text (searchable and not deleted).
pub(crate) struct Defined {
    value: IndexedValue,
    unique: bool,
    searchable: bool,
}

/// `values` with `unique` and `searchable` as their attributes are defined now, held so until the
/// transaction ends. A use case reads the definitions before it writes (where writers run concurrently,
/// without a lock; or from a reader, before its turn to write): an admin may meanwhile have made an
/// attribute unique or searchable, or deleted it, and a write trusting what the use case read would slip a
/// repeated value past the unique index, or leave a value out of keyword search, for good. Read here with
/// the write, and locked where writers run concurrently ([`Dialect::FOR_SHARE`]), a change of a
/// definition either waits for this write (its re-indexing then sees these values) or is waited for and
/// followed.
pub(crate) async fn as_defined<C: Dialect>(c: &mut C, values: &[IndexedValue]) -> Result<Vec<Defined>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::new("SELECT id, unique_values, searchable, deleted_at FROM attributes WHERE id IN (");
    q.bind_list(values.iter().map(|v| v.attribute_id))
        .push(") ORDER BY id")
        .push(C::FOR_SHARE);
    let (sql, params) = q.build();
    let map: RowMap<(i64, bool, bool)> = |r| {
        let live = r.get::<Option<i64>>("deleted_at")?.is_none();
        Ok((
            r.get("id")?,
            r.get("unique_values")?,
            r.get::<bool>("searchable")? && live,
        ))
    };
    let defined = c.fetch_all(sql, &params, map).await?;
    Ok(values
        .iter()
        .map(|v| {
            // An unknown attribute: neither; its insert fails on the foreign key.
            let (unique, searchable) = defined
                .iter()
                .find(|(id, _, _)| *id == v.attribute_id)
                .map_or((false, false), |&(_, unique, searchable)| (unique, searchable));
            Defined {
                value: v.clone(),
                unique,
                searchable,
            }
        })
        .collect())
}

/// The keyword-search text of an entity: its searchable values, in attribute order.
pub(crate) fn search_text(values: &[Defined]) -> String {
    let mut sorted: Vec<&IndexedValue> = values.iter().filter(|d| d.searchable).map(|d| &d.value).collect();
    sorted.sort_by_key(|v| v.attribute_id);
    sorted.iter().map(|v| v.value.as_str()).collect::<Vec<_>>().join(" ")
}

/// Writes an entity's indexed values, replacing the ones it had (`replace`), one statement per value so
/// that a broken uniqueness names its attribute.
pub(crate) async fn write_values<C: Connection>(
    c: &mut C,
    entity: AttributeEntity,
    entity_id: i64,
    values: &[Defined],
    replace: bool,
) -> Result<()> {
    if replace {
        remove_other_values(c, entity, entity_id, values).await?;
    }
    for Defined { value: v, unique, .. } in values {
        let sql = if replace {
            "INSERT INTO attribute_values (entity_id, attribute_id, value, folded, number, unique_value) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (entity_id, attribute_id) DO UPDATE SET \
             value = excluded.value, folded = excluded.folded, number = excluded.number, \
             unique_value = excluded.unique_value"
        } else {
            "INSERT INTO attribute_values (entity_id, attribute_id, value, folded, number, unique_value) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        };
        let params = [
            Value::from(entity_id),
            Value::from(v.attribute_id),
            Value::from(&v.value),
            Value::from(&v.folded),
            Value::from(v.number),
            Value::from(unique.then(|| v.folded.clone())),
        ];
        c.execute(sql.into(), &params)
            .await
            .map_err(|e| with_attribute(e, v.attribute_id))?;
    }
    Ok(())
}

/// Removes an entity's indexed values of the attributes `keep` does not name, among `entity`'s.
async fn remove_other_values<C: Connection>(
    c: &mut C,
    entity: AttributeEntity,
    entity_id: i64,
    keep: &[Defined],
) -> Result<()> {
    let mut q = QueryBuilder::new("DELETE FROM attribute_values WHERE entity_id = ");
    q.bind(entity_id)
        .push(" AND attribute_id IN (SELECT id FROM attributes WHERE entity = ")
        .bind(entity.as_str())
        .push(")");
    if !keep.is_empty() {
        q.push(" AND attribute_id NOT IN (")
            .bind_list(keep.iter().map(|d| d.value.attribute_id))
            .push(")");
    }
    let (sql, params) = q.build();
    c.execute(sql, &params).await.map(drop)
}

/// Writes an entity's tags as rows, replacing the ones it had (`replace`).
pub(crate) async fn write_tags<C: Connection>(
    c: &mut C,
    entity: AttributeEntity,
    entity_id: i64,
    tags: &[String],
    replace: bool,
) -> Result<()> {
    if replace {
        let sql = "DELETE FROM entity_tags WHERE entity = $1 AND entity_id = $2";
        c.execute(sql.into(), &[Value::from(entity.as_str()), Value::from(entity_id)])
            .await?;
    }
    if tags.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::new("INSERT INTO entity_tags (entity, tag, entity_id) VALUES ");
    for (i, tag) in tags.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push("(")
            .bind(entity.as_str())
            .push(", ")
            .bind(tag.as_str())
            .push(", ")
            .bind(entity_id)
            .push(")");
    }
    let (sql, params) = q.build();
    c.execute(sql, &params).await.map(drop)
}

/// How an attribute or tag condition narrows a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Narrowing {
    /// `e.id IN (SELECT entity_id …)`: the index yields every matching id first. Cheap when few match;
    /// when many do, it materialises them all before the page's `ORDER BY id LIMIT` can stop.
    Driving,
    /// `(SELECT 1 … WHERE entity_id = e.id … LIMIT 1) IS NOT NULL`: one probe of the `(entity_id,
    /// attribute_id)` key per row the list reads in id order, so a page of a common value stops after its
    /// first rows; a rare value would read every row.
    Probe,
}

/// The most index entries a plan's bounded count reads: below it a condition drives the list, at or above
/// it the conditions probe rows in id order. Driving costs about as many lookups as matches, probing
/// about `page / share of matches` rows; at 1,000,000 rows and pages of 50 they break even near 7,000
/// (docs/benchmarks.md, "Customer database").
pub(crate) const DRIVING_BOUND: i64 = 5_000;

/// The same for a bounded count of matches ([`person_count_bounded`]), which reads up to its bound of
/// matches rather than a page: probing pays off only when matches are dense.
pub(crate) const COUNT_DRIVING_BOUND: i64 = 50_000;

/// Chooses per attribute or tag condition of a list in id order whether it drives or probes
/// ([`Narrowing`]): the condition with the fewest matches drives when a bounded count finds fewer than
/// `bound` ([`DRIVING_BOUND`] for a page, [`COUNT_DRIVING_BOUND`] for a bounded count), every other one
/// probes. Lists in another order need every match anyway and keep driving conditions.
pub(crate) async fn person_plan<C: Connection>(c: &mut C, query: &PersonQuery, bound: i64) -> Result<Vec<Narrowing>> {
    let mut plan = vec![Narrowing::Driving; query.conditions.len()];
    if !matches!(query.order.field, PersonField::Column(store::PersonColumn::Id)) {
        return Ok(plan);
    }
    let mut fewest: Option<(usize, i64)> = None;
    for (i, condition) in query.conditions.iter().enumerate() {
        if matches!(condition.field, PersonField::Column(_)) {
            continue;
        }
        plan[i] = Narrowing::Probe;
        if let Some(count) = bounded_count(query.entity, condition, bound) {
            let (sql, params) = count.build();
            let n: i64 = c.fetch_one(sql, &params, |r| r.get("count")).await?;
            if n < bound && fewest.is_none_or(|(_, m)| n < m) {
                fewest = Some((i, n));
            }
        }
    }
    if let Some((i, _)) = fewest {
        plan[i] = Narrowing::Driving;
    }
    Ok(plan)
}

/// How many index entries match `c`, counting at most `bound`: for conditions an index range
/// answers (equality, lists, order comparisons; not negations, nor `ct`/`sw`/`ew`, which read the whole
/// attribute).
fn bounded_count(entity: AttributeEntity, c: &PersonCondition, bound: i64) -> Option<QueryBuilder> {
    if matches!(c.op, FilterOp::Ne | FilterOp::Ct | FilterOp::Sw | FilterOp::Ew) {
        return None;
    }
    let mut q = QueryBuilder::new("SELECT count(*) AS count FROM (SELECT 1 FROM ");
    match &c.field {
        PersonField::Attribute { id, numeric } => {
            q.push("attribute_values v WHERE v.attribute_id = ")
                .bind(*id)
                .push(" AND ");
            push_comparison(&mut q, if *numeric { "v.number" } else { "v.folded" }, c.op, &c.operand);
        }
        PersonField::Tags => {
            q.push("entity_tags t WHERE t.entity = ")
                .bind(entity.as_str())
                .push(" AND ");
            push_comparison(&mut q, "t.tag", c.op, &c.operand);
        }
        PersonField::Column(_) => return None,
    }
    q.push(" LIMIT ").bind(bound).push(") bounded");
    Some(q)
}

/// `WHERE …` of a person list (without order and page), over `<table> e`; `plan` says how each condition
/// narrows it (one entry per condition).
/// `streaming`: the list reads the dialect's [`Dialect::person_terms_table`].
fn push_conditions<C: Dialect>(q: &mut QueryBuilder, query: &PersonQuery, plan: &[Narrowing], streaming: bool) {
    let entity = query.entity.as_str();
    let end_users = query.entity == AttributeEntity::EndUser;
    // End users of a soft-deleted customer count as deleted with it.
    match (query.deleted, end_users) {
        (DeletedFilter::Exclude, false) => {
            q.push(" AND e.deleted_at IS NULL");
        }
        (DeletedFilter::Exclude, true) => {
            q.push(
                " AND e.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id \
                 AND c.deleted_at IS NULL)",
            );
        }
        (DeletedFilter::Only, false) => {
            q.push(" AND e.deleted_at IS NOT NULL");
        }
        (DeletedFilter::Only, true) => {
            q.push(
                " AND (e.deleted_at IS NOT NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id \
                 AND c.deleted_at IS NOT NULL))",
            );
        }
        (DeletedFilter::Include, _) => {}
    }
    if let Some(customer_id) = query.customer_id {
        q.push(" AND e.customer_id = ").bind(customer_id);
    }
    if let Some(external_id) = &query.external_id {
        q.push(" AND e.external_id = ").bind(external_id.as_str());
    }
    if !query.terms.is_empty() {
        C::push_person_terms(q, query.entity, &query.terms, streaming);
    }
    for (i, condition) in query.conditions.iter().enumerate() {
        push_condition(q, entity, condition, plan.get(i).copied().unwrap_or(Narrowing::Driving));
    }
}

/// `op` as SQL, with the operand bound; text operands of `ct`/`sw`/`ew` become `LIKE` patterns.
fn push_comparison(q: &mut QueryBuilder, expr: &str, op: FilterOp, operand: &Operand) {
    let like = |q: &mut QueryBuilder, before: &str, text: &str, after: &str| {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        q.push(&format!("{expr} LIKE "))
            .bind(format!("{before}{escaped}{after}"))
            .push(" ESCAPE '\\'");
    };
    let symbol = match op {
        FilterOp::Eq => "=",
        FilterOp::Ne => "<>",
        FilterOp::Gt => ">",
        FilterOp::Gte => ">=",
        FilterOp::Lt => "<",
        FilterOp::Lte => "<=",
        FilterOp::Ct | FilterOp::Sw | FilterOp::Ew | FilterOp::In => "",
    };
    match (op, operand) {
        (FilterOp::Ct, Operand::Text(t)) => like(q, "%", t, "%"),
        (FilterOp::Sw, Operand::Text(t)) => like(q, "", t, "%"),
        (FilterOp::Ew, Operand::Text(t)) => like(q, "%", t, ""),
        (_, Operand::Texts(list)) => {
            q.push(&format!("{expr} IN ("))
                .bind_list(list.iter().map(String::as_str))
                .push(")");
        }
        (_, Operand::Numbers(list)) => {
            q.push(&format!("{expr} IN ("))
                .bind_list(list.iter().copied())
                .push(")");
        }
        (_, Operand::Integers(list)) => {
            q.push(&format!("{expr} IN ("))
                .bind_list(list.iter().copied())
                .push(")");
        }
        (_, Operand::Text(t)) => {
            q.push(&format!("{expr} {symbol} ")).bind(t.as_str());
        }
        (_, Operand::Number(n)) => {
            q.push(&format!("{expr} {symbol} ")).bind(*n);
        }
        (_, Operand::Integer(n)) => {
            q.push(&format!("{expr} {symbol} ")).bind(*n);
        }
    }
}

fn push_condition(q: &mut QueryBuilder, entity: &str, c: &PersonCondition, narrowing: Narrowing) {
    // `ne` is "not equal to", so a missing value counts as different: it negates the equality.
    let (negate, op) = match c.op {
        FilterOp::Ne => (true, FilterOp::Eq),
        op => (false, op),
    };
    match &c.field {
        PersonField::Column(column) => {
            let col = column.sql();
            let expr = if column.is_integer() {
                format!("e.{col}")
            } else {
                format!("lower(e.{col})")
            };
            if negate {
                q.push(&format!(" AND (e.{col} IS NULL OR NOT ("));
                push_comparison(q, &expr, op, &c.operand);
                q.push("))");
            } else {
                q.push(" AND ");
                push_comparison(q, &expr, op, &c.operand);
            }
        }
        PersonField::Attribute { id, numeric } => {
            let expr = if *numeric { "v.number" } else { "v.folded" };
            let close = open_narrowing(
                q,
                narrowing,
                negate,
                "v.entity_id FROM attribute_values v WHERE",
                "attribute_values v WHERE v.entity_id = e.id AND",
            );
            q.push(" v.attribute_id = ").bind(*id).push(" AND ");
            push_comparison(q, expr, op, &c.operand);
            q.push(close);
        }
        PersonField::Tags => {
            let close = open_narrowing(
                q,
                narrowing,
                negate,
                "t.entity_id FROM entity_tags t WHERE",
                "entity_tags t WHERE t.entity_id = e.id AND",
            );
            q.push(" t.entity = ").bind(entity).push(" AND ");
            push_comparison(q, "t.tag", op, &c.operand);
            q.push(close);
        }
    }
}

/// Opens an indexed condition as `narrowing` says, over `driving` (`… FROM … WHERE`, selecting the ids) or
/// `probing` (`… FROM … WHERE <key> = e.id AND`), and returns what closes it. A probe is a scalar subquery
/// with `LIMIT 1`, not `EXISTS`: the databases turn an `EXISTS` into a join of their choosing (SQLite's
/// newer planner joined every value in range, then sorted: 2 s for `seats{gte}100` at 1M), while a scalar
/// subquery stays a lookup of the `(entity_id, attribute_id)` key per row read in id order.
fn open_narrowing(
    q: &mut QueryBuilder,
    narrowing: Narrowing,
    negate: bool,
    driving: &str,
    probing: &str,
) -> &'static str {
    match narrowing {
        Narrowing::Driving => {
            q.push(if negate {
                " AND e.id NOT IN (SELECT "
            } else {
                " AND e.id IN (SELECT "
            })
            .push(driving);
            ")"
        }
        Narrowing::Probe => {
            q.push(" AND (SELECT 1 FROM ").push(probing);
            if negate {
                " LIMIT 1) IS NULL"
            } else {
                " LIMIT 1) IS NOT NULL"
            }
        }
    }
}

/// `SELECT <cols> FROM … WHERE …` of a list (without cursor, order and page), with the conditions
/// narrowing as `plan` says, and the full-text table it streams from, if any.
/// `prefix` opens the statement (an outer query around it).
fn person_select<C: Dialect>(
    prefix: &str,
    query: &PersonQuery,
    cols: &str,
    plan: &[Narrowing],
) -> (QueryBuilder, Option<&'static str>) {
    person_select_among::<C>(prefix, query, cols, plan, None)
}

/// [`person_select`], narrowed to the rows `among` when given.
fn person_select_among<C: Dialect>(
    prefix: &str,
    query: &PersonQuery,
    cols: &str,
    plan: &[Narrowing],
    among: Option<&[i64]>,
) -> (QueryBuilder, Option<&'static str>) {
    let table = table(query.entity);
    // In id order, the matches of keyword terms stream from a full-text table that has that order.
    let stream = match &query.order.field {
        PersonField::Column(store::PersonColumn::Id) if !query.terms.is_empty() => C::person_terms_table(query.entity),
        _ => None,
    };
    let source = match stream {
        Some(fts) => format!("{fts} CROSS JOIN {table} e ON e.id = {fts}.rowid"),
        None => format!("{table} e"),
    };
    let mut q = QueryBuilder::new(format!("{prefix}SELECT {cols} FROM {source}"));
    let order_attribute = match &query.order.field {
        PersonField::Attribute { id, numeric } => Some((*id, *numeric)),
        _ => None,
    };
    if let Some((id, _)) = order_attribute {
        q.push(" LEFT JOIN attribute_values o ON o.entity_id = e.id AND o.attribute_id = ")
            .bind(id);
    }
    q.push(" WHERE TRUE");
    if let Some(ids) = among {
        q.push(" AND e.id IN (").bind_list(ids.iter().copied()).push(")");
    }
    push_conditions::<C>(&mut q, query, plan, stream.is_some());
    (q, stream)
}

/// How many rows a list matches, counting at most `bound`: the rows stream as the list's do (`plan`), so a
/// common value stops after `bound` matches instead of reading every one.
pub(crate) fn person_count_bounded<C: Dialect>(query: &PersonQuery, plan: &[Narrowing], bound: i64) -> QueryBuilder {
    let (mut q, _) = person_select::<C>("SELECT count(*) AS count FROM (", query, "1", plan);
    q.push(" LIMIT ").bind(bound).push(") matches");
    q
}

/// The list query of customers or end users, selecting `cols`, with the conditions narrowing as `plan` says
/// ([`person_plan`]).
pub(crate) fn person_query<C: Dialect>(query: &PersonQuery, cols: &str, plan: &[Narrowing]) -> QueryBuilder {
    person_query_over::<C>(query, cols, plan, None)
}

/// The rows of the list `query` among `ids`, which are known to match its keyword terms: every other
/// condition, the order and the cursor apply as in the list itself, and at most `limit` rows come back (the
/// list's own page is ignored). A dialect whose full-text index yields matches in no order
/// ([`Dialect::person_list_matching`]) finds the ids of the matches first and reads the page through this.
pub fn person_query_among<C: Dialect>(query: &PersonQuery, cols: &str, ids: &[i64], limit: u32) -> QueryBuilder {
    let mut among = query.clone();
    among.terms.clear();
    if let PersonPage::Keyset(page) = &mut among.page {
        page.limit = limit;
    } else {
        among.page = PersonPage::Keyset(store::PageRequest { limit, after: None });
    }
    // Few rows are read, each probing its attribute and tag conditions.
    let plan = vec![Narrowing::Probe; among.conditions.len()];
    person_query_over::<C>(&among, cols, &plan, Some(ids))
}

fn person_query_over<C: Dialect>(
    query: &PersonQuery,
    cols: &str,
    plan: &[Narrowing],
    among: Option<&[i64]>,
) -> QueryBuilder {
    let cols: Vec<String> = cols.split(',').map(|c| format!("e.{}", c.trim())).collect();
    let (mut q, stream) = person_select_among::<C>("", query, &cols.join(", "), plan, among);
    let id = stream.map_or_else(|| "e.id".to_owned(), |fts| format!("{fts}.rowid"));
    let desc = query.order.descending;
    let dir = if desc { "DESC" } else { "ASC" };
    if let PersonPage::Keyset(page) = &query.page
        && let Some(after) = &page.after
    {
        q.push(&format!(" AND {id} {} ", if desc { "<" } else { ">" }))
            .bind(after.id);
    }
    // Missing values sort last in both directions, on both databases.
    let key = match &query.order.field {
        PersonField::Attribute { numeric: true, .. } => Some("o.number".to_owned()),
        PersonField::Attribute { numeric: false, .. } => Some("o.folded".to_owned()),
        PersonField::Column(c) if c.is_integer() => (c.sql() != "id").then(|| format!("e.{}", c.sql())),
        PersonField::Column(c) => Some(format!("lower(e.{})", c.sql())),
        PersonField::Tags => None,
    };
    match key {
        Some(key) => q.push(&format!(" ORDER BY ({key} IS NULL), {key} {dir}, e.id {dir}")),
        None => q.push(&format!(" ORDER BY {id} {dir}")),
    };
    match &query.page {
        PersonPage::Keyset(page) => {
            q.push(" LIMIT ").bind(i64::from(page.limit));
        }
        PersonPage::Offset { offset, limit } => {
            q.push(" LIMIT ")
                .bind(i64::from(*limit))
                .push(" OFFSET ")
                .bind(i64::try_from(*offset).unwrap_or(i64::MAX));
        }
    }
    q
}

/// How many rows a list query matches: every match is read, so the conditions drive (the smallest set
/// first, as the database's planner picks it).
pub(crate) fn person_count<C: Dialect>(query: &PersonQuery) -> QueryBuilder {
    let mut q = QueryBuilder::new(format!(
        "SELECT count(*) AS count FROM {} e WHERE TRUE",
        table(query.entity)
    ));
    let plan = vec![Narrowing::Driving; query.conditions.len()];
    push_conditions::<C>(&mut q, query, &plan, false);
    q
}
