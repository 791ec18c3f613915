//! TeamTools' loose input: numbers and booleans also as strings, ids as strings or numbers, and the
//! `pricing` object as a plan's pricing fields.
use super::*;

/// A member's text; numbers as their digits; blank or `null` is absent.
pub(super) fn text(body: &Map<String, Value>, name: &str) -> Option<String> {
    match body.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole number, given as a number or a string of digits.
pub(super) fn int(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| TeamToolsError::field(name, "must be a whole number")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| TeamToolsError::field(name, "must be a whole number")),
        Some(_) => Err(TeamToolsError::field(name, "must be a whole number")),
    }
}

pub(super) fn unsigned(body: &Map<String, Value>, name: &str) -> Result<Option<u32>, TeamToolsError> {
    int(body, name)?
        .map(|n| u32::try_from(n).map_err(|_| TeamToolsError::field(name, "must be 0 or more")))
        .transpose()
}

/// A boolean, given as `true`/`false`, `"true"`/`"false"`, `1`/`0` or `"1"`/`"0"`.
pub(super) fn flag(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(TeamToolsError::field(name, "must be true or false")),
        },
        Some(_) => Err(TeamToolsError::field(name, "must be true or false")),
    }
}

/// An id member (`"42"` or `42`).
pub(super) fn id_of(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => parse_id(v)
            .map(Some)
            .ok_or_else(|| TeamToolsError::field(name, "must be an id")),
    }
}

/// A list of ids (`[]` is an empty list).
pub(super) fn ids_of(body: &Map<String, Value>, name: &str) -> Result<Option<Vec<i64>>, TeamToolsError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field(name, "must be a list of ids")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(Value::Object(map)) => map
            .values()
            .map(|v| parse_id(v).ok_or_else(|| TeamToolsError::field(name, "must be a list of ids")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(TeamToolsError::field(name, "must be a list of ids")),
    }
}

/// Every page of a native list, up to 10,000 rows.
/// TeamTools' `pricing` object as the native plan's pricing fields: `type` (`free`, `flat`, `unit`,
/// `tier`), `interval {type, amount}`, `amount`, `unit`, `levels`.
pub(super) fn pricing_fields(plan: &mut NewPlan, pricing: &Map<String, Value>) -> Result<(), TeamToolsError> {
    let kind = text(pricing, "type")
        .unwrap_or_else(|| "flat".into())
        .to_ascii_lowercase();
    match pricing.get("interval") {
        Some(Value::Object(interval)) => {
            plan.interval = text(interval, "type").unwrap_or_else(|| "month".into());
            plan.interval_count = unsigned(interval, "amount")?;
        }
        Some(Value::String(s)) => plan.interval = s.clone(),
        _ => plan.interval = "month".into(),
    }
    plan.unit = text(pricing, "unit").map(|u| {
        if u.eq_ignore_ascii_case("enduser") {
            "enduser".into()
        } else {
            "quantity".into()
        }
    });
    match kind.as_str() {
        "free" => {
            plan.pricing = "flat".into();
            plan.amount = Some(0);
        }
        "flat" | "unit" => {
            plan.pricing = kind;
            plan.amount = int(pricing, "amount")?;
        }
        "tier" => {
            plan.pricing = "tier".into();
            plan.tier_mode = text(pricing, "mode");
            let Some(Value::Array(levels)) = pricing.get("levels") else {
                return Err(TeamToolsError::field("pricing.levels", "a tier plan needs levels"));
            };
            let mut tiers = Vec::with_capacity(levels.len());
            for (n, level) in levels.iter().enumerate() {
                let field = format!("pricing.levels[{n}]");
                let level = level
                    .as_object()
                    .ok_or_else(|| TeamToolsError::field(&field, "must be {condition, expression}"))?;
                let max = match level.get("condition") {
                    Some(Value::Object(c)) => int(c, "max")?,
                    _ => None,
                };
                let up_to = match max {
                    None | Some(-1) => None,
                    Some(m) => {
                        Some(u64::try_from(m).map_err(|_| TeamToolsError::field(&field, "max must be -1 or a count"))?)
                    }
                };
                let (mut unit_amount, mut flat_amount) = (0, 0);
                if let Some(Value::Array(expressions)) = level.get("expression") {
                    for e in expressions.iter().filter_map(Value::as_object) {
                        let amount = int(e, "amount")?.unwrap_or(0);
                        match text(e, "type").as_deref() {
                            Some("flat") => flat_amount += amount,
                            _ => unit_amount += amount,
                        }
                    }
                }
                tiers.push(Tier {
                    up_to,
                    unit_amount,
                    flat_amount,
                });
            }
            plan.tiers = Some(tiers);
        }
        _ => {
            return Err(TeamToolsError::field(
                "pricing.type",
                "must be free, flat, unit or tier",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::billing::{Interval, TierMode};

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn the_readme_pricing_objects_map_onto_plans() {
        let mut unit = NewPlan::default();
        pricing_fields(
            &mut unit,
            &map(json!({"type": "unit", "interval": {"type": "month", "amount": 2}, "unit": "enduser", "amount": 200})),
        )
        .expect("unit");
        assert_eq!(
            (
                unit.pricing.as_str(),
                unit.interval.as_str(),
                unit.interval_count,
                unit.amount,
                unit.unit.as_deref()
            ),
            ("unit", "month", Some(2), Some(200), Some("enduser"))
        );
        let mut tier = NewPlan::default();
        pricing_fields(
            &mut tier,
            &map(json!({"type": "tier", "interval": {"type": "month", "amount": "2"}, "unit": "enduser",
                "levels": [
                    {"condition": {"min": 1, "max": 10}, "expression": [{"type": "unit", "unit": "enduser", "amount": 120}]},
                    {"condition": {"min": 11, "max": -1}, "expression": [{"type": "unit", "amount": "100"}, {"type": "flat", "amount": 500}]}
                ]})),
        )
        .expect("tier");
        assert_eq!(
            tier.tiers,
            Some(vec![
                Tier {
                    up_to: Some(10),
                    unit_amount: 120,
                    flat_amount: 0
                },
                Tier {
                    up_to: None,
                    unit_amount: 100,
                    flat_amount: 500
                },
            ])
        );
        let mut free = NewPlan::default();
        pricing_fields(
            &mut free,
            &map(json!({"type": "free", "interval": {"type": "year", "amount": 1}})),
        )
        .expect("free");
        assert_eq!((free.pricing.as_str(), free.amount), ("flat", Some(0)));
        let mut bad = NewPlan::default();
        assert!(pricing_fields(&mut bad, &map(json!({"type": "barter"}))).is_err());
        assert!(pricing_fields(&mut bad, &map(json!({"type": "tier", "levels": "many"}))).is_err());
    }

    #[test]
    fn loose_members() {
        let body = map(json!({"a": "30", "b": 7, "c": "true", "d": "0", "e": ["1", 2], "f": "x", "g": null}));
        assert_eq!(int(&body, "a").expect("int"), Some(30));
        assert_eq!(int(&body, "b").expect("int"), Some(7));
        assert!(int(&body, "f").is_err());
        assert_eq!(int(&body, "g").expect("null"), None);
        assert_eq!(flag(&body, "c").expect("flag"), Some(true));
        assert_eq!(flag(&body, "d").expect("flag"), Some(false));
        assert!(flag(&body, "f").is_err());
        assert_eq!(ids_of(&body, "e").expect("ids"), Some(vec![1, 2]));
        assert_eq!(Interval::Month, "month".parse().expect("interval"));
        assert_eq!(TierMode::Graduated, "graduated".parse().expect("mode"));
    }
}
