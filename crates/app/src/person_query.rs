//! Customer and end-user lists: `keyword`, `filter` and the order, read against the entity's fields and
//! attributes into a store query (the same for the native API and the TeamTools one).
use crate::attributes::AttributeSet;
use crate::{AppError, AppResult};
use domain::attribute::{AttributeType, fold, parse_date};
use domain::filter::{FilterCondition, FilterOp, parse_filter};
use domain::{AttributeEntity, search_terms};
use store::{FOLDED_CHARS, Operand, PersonColumn, PersonCondition, PersonField, PersonOrder};

/// What a field name of a filter or order means for an entity.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    Column(PersonColumn),
    Attribute { id: i64, kind: AttributeType },
    Tags,
}

/// The built-in column a name means, in the native (`external_id`) or TeamTools (`externalId`) spelling.
fn column(entity: AttributeEntity, name: &str) -> Option<PersonColumn> {
    use PersonColumn as C;
    let name = domain::attribute::native_member_name(name);
    let common = match name {
        "id" => Some(C::Id),
        "name" => Some(C::Name),
        "email" => Some(C::Email),
        "phone" => Some(C::Phone),
        "city" => Some(C::City),
        "country" => Some(C::Country),
        "created_at" | "joinDate" => Some(C::CreatedAt),
        "updated_at" => Some(C::UpdatedAt),
        _ => None,
    };
    common.or(match (entity, name) {
        (AttributeEntity::Customer, "external_id") => Some(C::ExternalId),
        (AttributeEntity::EndUser, "first_name") => Some(C::FirstName),
        (AttributeEntity::EndUser, "last_name") => Some(C::LastName),
        (AttributeEntity::EndUser, "customer_id") => Some(C::CustomerId),
        _ => None,
    })
}

fn target(entity: AttributeEntity, set: &AttributeSet, name: &str) -> Option<Target> {
    if name == "tags" {
        return Some(Target::Tags);
    }
    if let Some(c) = column(entity, name) {
        return Some(Target::Column(c));
    }
    set.find(name).and_then(|a| {
        Some(Target::Attribute {
            id: a.id?,
            kind: a.kind,
        })
    })
}

/// A timestamp operand: a date (its first instant, UTC) or an RFC 3339 timestamp, in microseconds.
fn instant(value: &str) -> Option<i64> {
    let value = value.trim();
    let ts: jiff::Timestamp = match value.parse::<jiff::civil::Date>() {
        Ok(d) if value.len() == 10 => jiff::tz::Offset::UTC
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .ok()?,
        _ => value.parse().ok()?,
    };
    Some(store::time::to_micros(ts))
}

fn number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

fn folded(value: &str) -> String {
    fold(value.trim()).chars().take(FOLDED_CHARS).collect()
}

/// Reads each value of a condition (`{in}` items or its one value) with `read`, into one operand.
fn operand<T>(
    c: &FilterCondition,
    read: impl Fn(&str) -> Option<T>,
    one: impl Fn(T) -> Operand,
    many: impl Fn(Vec<T>) -> Operand,
    what: &str,
) -> Result<Operand, String> {
    let bad = |v: &str| format!("{v:?} is not {what}");
    if c.op == FilterOp::In {
        let items: Result<Vec<T>, String> = c.values.iter().map(|v| read(v).ok_or_else(|| bad(v))).collect();
        Ok(many(items?))
    } else {
        read(&c.value).map(one).ok_or_else(|| bad(&c.value))
    }
}

fn texts(c: &FilterCondition, read: impl Fn(&str) -> Option<String>, what: &str) -> Result<Operand, String> {
    operand(c, read, Operand::Text, Operand::Texts, what)
}

fn condition(c: &FilterCondition, target: Target) -> Result<PersonCondition, String> {
    use FilterOp::*;
    let textual_op = matches!(c.op, Ct | Sw | Ew);
    let (field, operand) = match target {
        Target::Tags => {
            if !matches!(c.op, Eq | Ne | In) {
                return Err("tags take {eq}, {ne} or {in}".into());
            }
            (PersonField::Tags, texts(c, |v| Some(v.to_owned()), "a tag")?)
        }
        Target::Column(col) if col.is_integer() => {
            if textual_op {
                return Err(format!("{{{}}} applies to text; {} is not text", c.op, c.field));
            }
            let operand = if matches!(col, PersonColumn::CreatedAt | PersonColumn::UpdatedAt) {
                operand(c, instant, Operand::Integer, Operand::Integers, "a date or timestamp")?
            } else {
                operand(
                    c,
                    |v| v.trim().parse().ok(),
                    Operand::Integer,
                    Operand::Integers,
                    "an id",
                )?
            };
            (PersonField::Column(col), operand)
        }
        Target::Column(col) => (PersonField::Column(col), texts(c, |v| Some(folded(v)), "text")?),
        Target::Attribute { id, kind } => {
            if textual_op && !kind.is_textual() {
                return Err(format!(
                    "{{{}}} applies to text; {} is a {}",
                    c.op,
                    c.field,
                    kind.as_str()
                ));
            }
            if !kind.is_ordered() && matches!(c.op, Gt | Gte | Lt | Lte) {
                return Err(format!("{{{}}} does not apply to a boolean", c.op));
            }
            let numeric = kind == AttributeType::Number;
            let operand = match kind {
                AttributeType::Number => operand(c, number, Operand::Number, Operand::Numbers, "a number")?,
                AttributeType::Boolean => texts(
                    c,
                    |v| match v.trim().to_ascii_lowercase().as_str() {
                        "true" | "1" => Some("true".to_owned()),
                        "false" | "0" => Some("false".to_owned()),
                        _ => None,
                    },
                    "true or false",
                )?,
                AttributeType::Date if !textual_op => texts(c, parse_date, "a date such as 2026-12-01")?,
                _ => texts(c, |v| Some(folded(v)), "text")?,
            };
            (PersonField::Attribute { id, numeric }, operand)
        }
    };
    Ok(PersonCondition {
        field,
        op: c.op,
        operand,
    })
}

/// The conditions of every `filter` given (all must hold). A malformed filter, an unknown field or a
/// value that does not fit is 422 naming `filter` and the character where it went wrong.
pub(crate) fn conditions(
    entity: AttributeEntity,
    set: &AttributeSet,
    filters: &[String],
) -> AppResult<Vec<PersonCondition>> {
    let mut out = Vec::new();
    for filter in filters {
        let parsed = parse_filter(filter).map_err(|e| AppError::field("filter", e.to_string()))?;
        for c in parsed {
            let at =
                |message: String| AppError::field("filter", format!("filter: {message} at character {}", c.position));
            let target = target(entity, set, &c.field).ok_or_else(|| at(format!("unknown field {:?}", c.field)))?;
            out.push(condition(&c, target).map_err(at)?);
        }
    }
    Ok(out)
}

/// The order `name` / `-name` asks for (a field or attribute; `-` descending), or `descending` given apart
/// (TeamTools' `orderDirection`).
pub(crate) fn order(
    entity: AttributeEntity,
    set: &AttributeSet,
    sort: &str,
    descending: Option<bool>,
    param: &str,
) -> AppResult<PersonOrder> {
    let (name, desc) = match sort.strip_prefix('-') {
        Some(name) => (name, true),
        None => (sort, false),
    };
    let field = match target(entity, set, name.trim()) {
        Some(Target::Column(c)) => store::PersonField::Column(c),
        Some(Target::Attribute { id, kind }) => store::PersonField::Attribute {
            id,
            numeric: kind == AttributeType::Number,
        },
        Some(Target::Tags) | None => {
            return Err(AppError::field(
                param,
                format!("cannot order by {name:?}: not a field or attribute"),
            ));
        }
    };
    Ok(PersonOrder {
        field,
        descending: descending.unwrap_or(desc),
    })
}

/// Keyword terms; a keyword without a word (only punctuation) is refused rather than matching everything.
pub(crate) fn keyword_terms(keyword: Option<&str>) -> AppResult<Vec<String>> {
    match keyword.map(str::trim).filter(|k| !k.is_empty()) {
        None => Ok(Vec::new()),
        Some(k) => {
            let terms = search_terms(k);
            if terms.is_empty() {
                Err(AppError::field("keyword", "must contain at least one word"))
            } else {
                Ok(terms)
            }
        }
    }
}
