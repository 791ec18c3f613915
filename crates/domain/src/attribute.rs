//! Custom attributes of customers and end users (SPEC §3.4, TeamTools' model): their definitions, and the
//! rules a value must follow — type, `required`, `editable`, select options. Uniqueness is the database's to
//! hold (a check here could not stand against concurrent writers); this module says which form of a value
//! is compared ([`AttributeValue::folded`]).
use crate::control::{TextKind, check_text};
use crate::text::Email;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest text value, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Most options of a select attribute, and the longest option.
pub const MAX_OPTIONS: usize = 200;
const MAX_OPTION_CHARS: usize = 200;
/// Longest attribute name (`[A-Za-z][A-Za-z0-9_]*`).
pub const MAX_NAME_CHARS: usize = 64;

/// Which entity an attribute belongs to; also the path segment `/api/v1/attributes/{customer|end_user}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AttributeEntity {
    Customer,
    EndUser,
}

impl AttributeEntity {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
    }
}

/// What values an attribute holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum AttributeType {
    /// Free text (one or more lines).
    Text,
    /// A decimal number.
    Number,
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An email address (stored in its normal form).
    Email,
    /// One of the attribute's `options`.
    Select,
}

impl AttributeType {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        s.parse().map_err(|_| {
            let names: Vec<&str> = <Self as strum::VariantArray>::VARIANTS
                .iter()
                .map(|t| t.as_str())
                .collect();
            format!("must be one of {}", names.join(", "))
        })
    }

    /// Whether text comparisons (`{ct}`, `{sw}`, `{ew}`) apply.
    pub fn is_textual(self) -> bool {
        matches!(self, Self::Text | Self::Email | Self::Select | Self::Date)
    }

    /// Whether order comparisons (`{gt}` …) apply.
    pub fn is_ordered(self) -> bool {
        !matches!(self, Self::Boolean)
    }
}

/// An attribute definition. Built-in attributes (`default: true`) describe the entity's own fields and
/// cannot be changed; custom ones are stored, soft-deleted, and their values live with the entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Attribute {
    /// Built-in attributes have no id of their own (`null`).
    pub id: Option<i64>,
    pub entity: AttributeEntity,
    /// The machine name: the member that carries the value on the entity.
    pub name: String,
    pub pretty_name: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    pub description: String,
    pub required: bool,
    pub editable: bool,
    pub searchable: bool,
    pub unique: bool,
    /// `true` for the entity's built-in fields (TeamTools' "default attributes").
    pub default: bool,
    /// The value a new entity gets when none is given (already checked against the type).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_value: Option<Value>,
    /// The allowed values of a select attribute.
    pub options: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub created_at: Option<crate::Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub updated_at: Option<crate::Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<crate::Timestamp>,
}

/// A value that passed its attribute's type check, in its one canonical form.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
    Boolean(bool),
    /// `YYYY-MM-DD`.
    Date(String),
    Email(String),
    Select(String),
}

impl AttributeValue {
    /// The value as it is stored on the entity and shown (numbers and booleans as JSON numbers and
    /// booleans, everything else as a string).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Number(n) => number_json(*n),
            Self::Boolean(b) => Value::Bool(*b),
            Self::Text(s) | Self::Date(s) | Self::Email(s) | Self::Select(s) => Value::String(s.clone()),
        }
    }

    /// The value as text: what keyword search indexes.
    pub fn text(&self) -> String {
        match self {
            Self::Number(n) => number_text(*n),
            Self::Boolean(b) => b.to_string(),
            Self::Text(s) | Self::Date(s) | Self::Email(s) | Self::Select(s) => s.clone(),
        }
    }

    /// The form equality, uniqueness and text filters compare: the text in lower case.
    pub fn folded(&self) -> String {
        fold(&self.text())
    }

    /// The number order comparisons use, for numbers.
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }
}

/// Lower case, the one case-insensitive form of text comparisons (values and filter operands alike).
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn number_json(n: f64) -> Value {
    // Whole numbers within ±2^53 are integers on the wire (`42`, not `42.0`).
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn number_text(n: f64) -> String {
    match number_json(n) {
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    // Only plain decimals: no `inf`, `NaN`, hex or exponents beyond what JSON allows.
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'));
    let n: f64 = if plain { s.parse().ok()? } else { return None };
    n.is_finite().then_some(n)
}

fn parse_boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A `YYYY-MM-DD` date (a full RFC 3339 timestamp is cut to its UTC date).
pub fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(d) = s.parse::<jiff::civil::Date>()
        && s.len() == 10
    {
        return Some(d.to_string());
    }
    let ts: jiff::Timestamp = s.parse().ok()?;
    Some(jiff::tz::Offset::UTC.to_datetime(ts).date().to_string())
}

impl Attribute {
    /// Checks a value given for this attribute; `Ok(None)` for null or an empty string (no value).
    pub fn check_value(&self, value: &Value) -> Result<Option<AttributeValue>, String> {
        let text = match value {
            Value::Null => return Ok(None),
            Value::String(s) if s.trim().is_empty() && self.kind != AttributeType::Text => return Ok(None),
            Value::String(s) if s.is_empty() => return Ok(None),
            Value::String(s) => Some(s.as_str()),
            _ => None,
        };
        let parsed = match self.kind {
            AttributeType::Text => {
                let s = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => return Err("must be text".into()),
                };
                if s.chars().count() > MAX_TEXT_CHARS {
                    return Err(format!("must be at most {MAX_TEXT_CHARS} characters"));
                }
                check_text(&s, TextKind::MultiLine)?;
                AttributeValue::Text(s)
            }
            AttributeType::Number => {
                let n = match value {
                    Value::Number(n) => n.as_f64(),
                    _ => text.and_then(parse_number),
                };
                AttributeValue::Number(n.filter(|n| n.is_finite()).ok_or("must be a number")?)
            }
            AttributeType::Boolean => AttributeValue::Boolean(parse_boolean(value).ok_or("must be true or false")?),
            AttributeType::Date => {
                AttributeValue::Date(text.and_then(parse_date).ok_or("must be a date such as 2026-12-01")?)
            }
            AttributeType::Email => {
                let s = text.ok_or("must be an email address such as name@example.com")?;
                AttributeValue::Email(Email::parse(s)?.as_str().to_owned())
            }
            AttributeType::Select => {
                let s = match value {
                    Value::String(s) => s.trim().to_owned(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                match self.options.iter().find(|o| **o == s) {
                    Some(o) => AttributeValue::Select(o.clone()),
                    None => return Err(format!("must be one of: {}", self.options.join(", "))),
                }
            }
        };
        Ok(Some(parsed))
    }
}

/// A new or changed custom attribute definition, before it is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttributeDraft {
    pub name: Option<String>,
    pub pretty_name: Option<String>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub required: Option<bool>,
    pub editable: Option<bool>,
    pub searchable: Option<bool>,
    pub unique: Option<bool>,
    pub default_value: Option<Value>,
    pub options: Option<Vec<String>>,
}

/// TeamTools' spellings of built-in members, and the native names they mean.
const TEAMTOOLS_SPELLINGS: &[(&str, &str)] = &[
    ("firstName", "first_name"),
    ("lastName", "last_name"),
    ("externalId", "external_id"),
    ("customerId", "customer_id"),
    ("createdAt", "created_at"),
    ("updatedAt", "updated_at"),
];

/// The native name of a built-in member given in TeamTools' spelling (`externalId` → `external_id`,
/// ignoring case); any other name as it is. One table for the TeamTools API's bodies, list filters and
/// orders, and CSV headers.
pub fn native_member_name(name: &str) -> &str {
    TEAMTOOLS_SPELLINGS
        .iter()
        .find(|(teamtools, _)| teamtools.eq_ignore_ascii_case(name))
        .map_or(name, |(_, native)| native)
}

/// The TeamTools spelling of a built-in member's native name (`external_id` → `externalId`); any other name
/// as it is.
pub fn teamtools_member_name(name: &str) -> &str {
    TEAMTOOLS_SPELLINGS
        .iter()
        .find(|(_, native)| *native == name)
        .map_or(name, |(teamtools, _)| teamtools)
}

/// Members of customers and end users that are not attributes and that no attribute may be named
/// (compared ignoring case, in both the native and the TeamTools spelling).
const RESERVED_NAMES: &[&str] = &[
    "id",
    "customer_id",
    "customerid",
    "tags",
    "created_at",
    "createdat",
    "updated_at",
    "updatedat",
    "deleted_at",
    "deletedat",
    "has_password",
    "password",
    "current_password",
    "access_token",
    "include",
    "keyword",
    "filter",
    "groupid",
    "subscriptionid",
    "subscription",
    "joindate",
    "notes",
    "externalid",
    "firstname",
    "lastname",
    "users",
    "endusers",
    "end_users",
    "events",
    "invoices",
    "customer",
];

/// Whether `name` may name a custom attribute of `entity` (not a built-in or reserved member).
pub fn name_is_free(entity: AttributeEntity, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    !RESERVED_NAMES.contains(&lower.as_str())
        && !builtin_attributes(entity)
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(name))
}

/// Checks a draft for a new attribute; errors are `(field, message)` pairs, all of them at once.
pub fn new_attribute(
    entity: AttributeEntity,
    d: AttributeDraft,
    at: crate::Timestamp,
) -> Result<Attribute, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let name = d.name.clone().unwrap_or_default().trim().to_owned();
    let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.chars().count() <= MAX_NAME_CHARS;
    if name.is_empty() {
        errors.push(("name", "is required".to_owned()));
    } else if !name_ok {
        errors.push((
            "name",
            format!("must be letters, digits and _ (starting with a letter), at most {MAX_NAME_CHARS} characters"),
        ));
    } else if !name_is_free(entity, &name) {
        errors.push((
            "name",
            format!("\"{name}\" is a built-in member of {}", entity.as_str()),
        ));
    }
    let kind = match d.kind.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(("type", "is required".to_owned()));
            AttributeType::Text
        }
        Some(k) => AttributeType::parse(&k.to_ascii_lowercase()).unwrap_or_else(|e| {
            errors.push(("type", e));
            AttributeType::Text
        }),
    };
    let mut attribute = Attribute {
        id: None,
        entity,
        pretty_name: String::new(),
        name,
        kind,
        description: String::new(),
        required: false,
        editable: true,
        searchable: false,
        unique: false,
        default: false,
        default_value: None,
        options: Vec::new(),
        created_at: Some(at),
        updated_at: Some(at),
        deleted_at: None,
    };
    if d.pretty_name.is_none() {
        attribute.pretty_name = attribute.name.clone();
    }
    apply_draft(&mut attribute, d, &mut errors);
    if errors.is_empty() { Ok(attribute) } else { Err(errors) }
}

/// Applies a change to an attribute; `name` and `type` cannot change (the SDK strips them on update, and
/// stored values depend on them): giving them with another value is an error.
pub fn change_attribute(
    old: &Attribute,
    d: AttributeDraft,
    at: crate::Timestamp,
) -> Result<Attribute, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let mut a = old.clone();
    if let Some(name) = &d.name
        && name.trim() != old.name
    {
        errors.push(("name", "cannot be changed".to_owned()));
    }
    if let Some(kind) = &d.kind
        && !kind.trim().eq_ignore_ascii_case(old.kind.as_str())
    {
        errors.push(("type", "cannot be changed".to_owned()));
    }
    apply_draft(&mut a, d, &mut errors);
    a.updated_at = Some(at);
    if errors.is_empty() { Ok(a) } else { Err(errors) }
}

fn apply_draft(a: &mut Attribute, d: AttributeDraft, errors: &mut Vec<(&'static str, String)>) {
    if let Some(p) = d.pretty_name {
        let p = p.trim().to_owned();
        if p.is_empty() || p.chars().count() > 255 {
            errors.push(("prettyName", "must be 1 to 255 characters".to_owned()));
        } else if check_text(&p, TextKind::OneLine).is_err() {
            errors.push(("prettyName", "must not contain control characters".to_owned()));
        }
        a.pretty_name = p;
    }
    if let Some(desc) = d.description {
        if desc.chars().count() > 2_000 {
            errors.push(("description", "must be at most 2000 characters".to_owned()));
        }
        a.description = desc;
    }
    if let Some(v) = d.required {
        a.required = v;
    }
    if let Some(v) = d.editable {
        a.editable = v;
    }
    if let Some(v) = d.searchable {
        a.searchable = v;
    }
    if let Some(v) = d.unique {
        a.unique = v;
    }
    if let Some(options) = d.options {
        let options: Vec<String> = options.into_iter().map(|o| o.trim().to_owned()).collect();
        if options.len() > MAX_OPTIONS
            || options
                .iter()
                .any(|o| o.is_empty() || o.chars().count() > MAX_OPTION_CHARS)
        {
            errors.push((
                "options",
                format!("must be at most {MAX_OPTIONS} non-empty options of at most {MAX_OPTION_CHARS} characters"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if !options.iter().all(|o| seen.insert(o.as_str())) {
            errors.push(("options", "must not repeat an option".to_owned()));
        }
        a.options = options;
    }
    if a.kind == AttributeType::Select && a.options.is_empty() {
        errors.push(("options", "a select attribute needs at least one option".to_owned()));
    }
    if a.kind != AttributeType::Select && !a.options.is_empty() {
        errors.push(("options", "only select attributes have options".to_owned()));
    }
    if let Some(v) = d.default_value {
        match a.check_value(&v) {
            Ok(value) => a.default_value = value.map(|v| v.to_json()),
            Err(e) => errors.push(("defaultValue", e)),
        }
    }
    if a.unique && a.default_value.is_some() {
        errors.push((
            "defaultValue",
            "a unique attribute cannot have a default value (every entity would share it)".to_owned(),
        ));
    }
}

fn builtin(
    entity: AttributeEntity,
    name: &str,
    pretty: &str,
    kind: AttributeType,
    required: bool,
    searchable: bool,
    unique: bool,
) -> Attribute {
    Attribute {
        id: None,
        entity,
        name: name.to_owned(),
        pretty_name: pretty.to_owned(),
        kind,
        description: String::new(),
        required,
        editable: true,
        searchable,
        unique,
        default: true,
        default_value: None,
        options: Vec::new(),
        created_at: None,
        updated_at: None,
        deleted_at: None,
    }
}

/// The built-in fields of an entity, described as attributes (native names).
pub fn builtin_attributes(entity: AttributeEntity) -> Vec<Attribute> {
    use AttributeType::{Email as E, Text as T};
    let b = |name, pretty, kind, required, searchable, unique| {
        builtin(entity, name, pretty, kind, required, searchable, unique)
    };
    match entity {
        AttributeEntity::Customer => vec![
            b("name", "Name", T, true, true, false),
            b("email", "Email", E, false, true, true),
            b("phone", "Phone", T, false, true, false),
            b("city", "City", T, false, true, false),
            b("country", "Country", T, false, false, false),
            b("external_id", "External id", T, false, false, true),
        ],
        AttributeEntity::EndUser => vec![
            b("name", "Name", T, true, true, false),
            b("first_name", "First name", T, false, true, false),
            b("last_name", "Last name", T, false, true, false),
            b("email", "Email", E, false, true, false),
            b("phone", "Phone", T, false, true, false),
            b("city", "City", T, false, false, false),
            b("country", "Country", T, false, false, false),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn attr(kind: AttributeType) -> Attribute {
        let mut d = AttributeDraft {
            name: Some("plan".into()),
            kind: Some(kind.as_str().into()),
            ..Default::default()
        };
        if kind == AttributeType::Select {
            d.options = Some(vec!["gold".into(), "silver".into()]);
        }
        new_attribute(AttributeEntity::Customer, d, jiff::Timestamp::UNIX_EPOCH).expect("valid draft")
    }

    #[test]
    fn values_take_their_canonical_form() {
        let n = attr(AttributeType::Number);
        assert_eq!(n.check_value(&json!("42")), Ok(Some(AttributeValue::Number(42.0))));
        assert_eq!(
            n.check_value(&json!(1.5)).map(|v| v.map(|v| v.to_json())),
            Ok(Some(json!(1.5)))
        );
        assert_eq!(
            n.check_value(&json!(7)).map(|v| v.map(|v| v.to_json())),
            Ok(Some(json!(7)))
        );
        assert!(n.check_value(&json!("forty")).is_err());
        assert!(n.check_value(&json!("NaN")).is_err());
        assert!(n.check_value(&json!("inf")).is_err());
        let b = attr(AttributeType::Boolean);
        assert_eq!(b.check_value(&json!("true")), Ok(Some(AttributeValue::Boolean(true))));
        assert_eq!(b.check_value(&json!(0)), Ok(Some(AttributeValue::Boolean(false))));
        assert!(b.check_value(&json!("maybe")).is_err());
        let d = attr(AttributeType::Date);
        assert_eq!(
            d.check_value(&json!("2026-02-03")),
            Ok(Some(AttributeValue::Date("2026-02-03".into())))
        );
        assert_eq!(
            d.check_value(&json!("2026-02-03T23:30:00Z")),
            Ok(Some(AttributeValue::Date("2026-02-03".into())))
        );
        assert!(d.check_value(&json!("2026-02-30")).is_err());
        assert!(d.check_value(&json!("03/02/2026")).is_err());
        let e = attr(AttributeType::Email);
        assert_eq!(
            e.check_value(&json!("Ann@Example.COM")),
            Ok(Some(AttributeValue::Email("ann@example.com".into())))
        );
        assert!(e.check_value(&json!("not-an-address")).is_err());
        let s = attr(AttributeType::Select);
        assert_eq!(
            s.check_value(&json!("gold")),
            Ok(Some(AttributeValue::Select("gold".into())))
        );
        assert_eq!(
            s.check_value(&json!("bronze")),
            Err("must be one of: gold, silver".into())
        );
        let t = attr(AttributeType::Text);
        assert_eq!(t.check_value(&json!(null)), Ok(None));
        assert_eq!(t.check_value(&json!("")), Ok(None));
        assert!(t.check_value(&json!({"a": 1})).is_err());
        assert!(t.check_value(&json!("a\u{0}b")).is_err());
    }

    #[test]
    fn drafts_are_checked_as_a_whole() {
        let errors = new_attribute(
            AttributeEntity::Customer,
            AttributeDraft {
                name: Some("email".into()),
                kind: Some("colour".into()),
                ..Default::default()
            },
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect_err("two mistakes");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "type"]);
        let errors = new_attribute(
            AttributeEntity::Customer,
            AttributeDraft {
                name: Some("tier".into()),
                kind: Some("select".into()),
                ..Default::default()
            },
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect_err("no options");
        assert_eq!(errors[0].0, "options");
        let plan = attr(AttributeType::Number);
        let errors = change_attribute(
            &plan,
            AttributeDraft {
                kind: Some("text".into()),
                default_value: Some(json!("x")),
                ..Default::default()
            },
            jiff::Timestamp::UNIX_EPOCH,
        )
        .expect_err("type is immutable");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["type", "defaultValue"]);
    }

    #[test]
    fn teamtools_spellings_name_native_members() {
        assert_eq!(native_member_name("externalId"), "external_id");
        assert_eq!(native_member_name("FIRSTNAME"), "first_name");
        assert_eq!(native_member_name("plan"), "plan");
        assert_eq!(teamtools_member_name("last_name"), "lastName");
        assert_eq!(teamtools_member_name("plan"), "plan");
    }

    #[test]
    fn reserved_and_builtin_names_are_taken() {
        assert!(!name_is_free(AttributeEntity::Customer, "Email"));
        assert!(!name_is_free(AttributeEntity::EndUser, "firstName"));
        assert!(!name_is_free(AttributeEntity::Customer, "access_token"));
        assert!(name_is_free(AttributeEntity::Customer, "department"));
    }

    proptest! {
        /// A number's canonical JSON reads back as the same number.
        #[test]
        fn numbers_round_trip(n in -1.0e15f64..1.0e15) {
            let a = attr(AttributeType::Number);
            let v = a.check_value(&json!(n)).expect("a number").expect("a value");
            let again = a.check_value(&v.to_json()).expect("canonical").expect("a value");
            prop_assert_eq!(v.number(), again.number());
            let from_text = a.check_value(&json!(v.text())).expect("text form").expect("a value");
            prop_assert_eq!(v.number(), from_text.number());
        }

        /// No JSON string makes a check panic, for any type.
        #[test]
        fn any_string_is_answered(s in "\\PC{0,40}") {
            for kind in <AttributeType as strum::VariantArray>::VARIANTS {
                let _ = attr(*kind).check_value(&json!(s));
            }
        }
    }
}
