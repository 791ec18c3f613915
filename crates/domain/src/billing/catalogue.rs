//! The catalogue (SPEC §5.1, TeamTools' model): features, which may require other features; groups of
//! packages, one of them the default; packages, each a set of features; and plans, each the price of a
//! package in one currency and billing cycle.
use super::money::Currency;
use super::period::Cycle;
use super::period::Interval;
use super::pricing::{Pricing, Tier, TierMode};
use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The feature whose quantity in a package tops up the customer's per-incident support contract each
/// billing period (SPEC §5.4), found by its `unique_key`.
pub const SUPPORT_INCIDENTS: &str = "support_incidents";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feature {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// A stable key for code to find the feature by (`support_incidents`); unique among features.
    pub unique_key: Option<String>,
    /// Features this one requires: a package with this feature must have them too.
    pub dependency_ids: Vec<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: i64,
    pub name: String,
    /// The group a subscription joins when it names none; exactly one group is the default once any exists.
    pub default: bool,
    pub default_package_id: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// A feature of a package, with a quantity where counting makes sense (incidents per period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PackageFeature {
    pub feature_id: i64,
    pub quantity: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Package {
    pub id: i64,
    pub group_id: i64,
    pub name: String,
    pub description: String,
    /// The package of its group that a subscription gets when it names none.
    pub default: bool,
    pub features: Vec<PackageFeature>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<Timestamp>,
}

/// What a per-unit or tiered plan counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlanUnit {
    /// The subscription's `quantity`.
    Quantity,
    /// The customer's active end users at invoice time (TeamTools' `unit: enduser`).
    #[serde(rename = "enduser")]
    #[strum(serialize = "enduser")]
    EndUser,
}

/// On the wire a plan is [`PlanWire`]: its pricing and cycle spelled out as SPEC §5.1 names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "PlanWire", try_from = "PlanWire")]
pub struct Plan {
    pub id: i64,
    pub package_id: i64,
    pub name: String,
    pub description: String,
    pub currency: Currency,
    pub cycle: Cycle,
    pub trial_days: u32,
    /// Charged once, on the first invoice, in minor units.
    pub initial_fee: i64,
    pub pricing: Pricing,
    pub unit: PlanUnit,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// A plan as the API shows it (SPEC §5.1): `pricing` is `flat|unit|tier`; `amount` is the price of a flat or
/// per-unit plan, `tiers` and `tier_mode` those of a tiered one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlanWire {
    pub id: i64,
    pub package_id: i64,
    pub name: String,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "month"))]
    pub interval: Interval,
    pub interval_count: u32,
    pub trial_days: u32,
    pub initial_fee: i64,
    #[cfg_attr(feature = "openapi", schema(example = "flat"))]
    pub pricing: String,
    pub amount: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub tiers: Vec<Tier>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub tier_mode: Option<TierMode>,
    pub unit: PlanUnit,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deleted_at: Option<Timestamp>,
}

impl From<Plan> for PlanWire {
    fn from(p: Plan) -> Self {
        let (pricing, amount, tiers, tier_mode) = match p.pricing {
            Pricing::Flat { amount } => ("flat", Some(amount), vec![], None),
            Pricing::Unit { amount } => ("unit", Some(amount), vec![], None),
            Pricing::Tiered { mode, tiers } => ("tier", None, tiers, Some(mode)),
        };
        Self {
            id: p.id,
            package_id: p.package_id,
            name: p.name,
            description: p.description,
            currency: p.currency,
            interval: p.cycle.interval,
            interval_count: p.cycle.count,
            trial_days: p.trial_days,
            initial_fee: p.initial_fee,
            pricing: pricing.to_owned(),
            amount,
            tiers,
            tier_mode,
            unit: p.unit,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deleted_at: p.deleted_at,
        }
    }
}

impl TryFrom<PlanWire> for Plan {
    type Error = String;

    fn try_from(w: PlanWire) -> Result<Self, String> {
        let pricing = match w.pricing.as_str() {
            "flat" => Pricing::Flat {
                amount: w.amount.unwrap_or(0),
            },
            "unit" => Pricing::Unit {
                amount: w.amount.unwrap_or(0),
            },
            "tier" => Pricing::Tiered {
                mode: w.tier_mode.unwrap_or(TierMode::Graduated),
                tiers: w.tiers,
            },
            other => return Err(format!("unknown pricing {other:?}")),
        };
        Ok(Plan {
            id: w.id,
            package_id: w.package_id,
            name: w.name,
            description: w.description,
            currency: w.currency,
            cycle: Cycle::new(w.interval, w.interval_count).map_err(|e| e.to_string())?,
            trial_days: w.trial_days,
            initial_fee: w.initial_fee,
            pricing,
            unit: w.unit,
            created_at: w.created_at,
            updated_at: w.updated_at,
            deleted_at: w.deleted_at,
        })
    }
}

/// The longest trial a plan may offer, in days.
pub const MAX_TRIAL_DAYS: u32 = 3_650;

/// The features `features` require, directly or through other features, that are not among them: feature →
/// the required ones it misses. `requires` maps each feature to the features it requires.
pub fn missing_dependencies(features: &[i64], requires: &BTreeMap<i64, Vec<i64>>) -> BTreeMap<i64, Vec<i64>> {
    let have: BTreeSet<i64> = features.iter().copied().collect();
    let mut missing = BTreeMap::new();
    for &feature in &have {
        let lacking: Vec<i64> = required_by(feature, requires)
            .into_iter()
            .filter(|f| !have.contains(f))
            .collect();
        if !lacking.is_empty() {
            missing.insert(feature, lacking);
        }
    }
    missing
}

/// Every feature `feature` requires, directly or not (not itself), in id order.
fn required_by(feature: i64, requires: &BTreeMap<i64, Vec<i64>>) -> BTreeSet<i64> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<i64> = requires.get(&feature).cloned().unwrap_or_default();
    while let Some(next) = todo.pop() {
        if next != feature && seen.insert(next) {
            todo.extend(requires.get(&next).into_iter().flatten().copied());
        }
    }
    seen
}

/// Whether giving `feature` the dependencies `dependency_ids` would make a feature require itself, given
/// what every other feature requires: the first feature of such a cycle found among `dependency_ids`.
pub fn dependency_cycle(feature: i64, dependency_ids: &[i64], requires: &BTreeMap<i64, Vec<i64>>) -> Option<i64> {
    let mut graph = requires.clone();
    graph.insert(feature, dependency_ids.to_vec());
    dependency_ids
        .iter()
        .copied()
        .find(|&d| d == feature || required_by(d, &graph).contains(&feature))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(i64, &[i64])]) -> BTreeMap<i64, Vec<i64>> {
        edges.iter().map(|(f, d)| (*f, d.to_vec())).collect()
    }

    #[test]
    fn a_package_must_hold_what_its_features_require() {
        // 3 requires 2, 2 requires 1; 4 requires nothing.
        let requires = graph(&[(3, &[2]), (2, &[1])]);
        assert!(missing_dependencies(&[1, 2, 3, 4], &requires).is_empty());
        assert_eq!(missing_dependencies(&[3, 4], &requires), graph(&[(3, &[1, 2])]));
        assert_eq!(missing_dependencies(&[2, 3], &requires), graph(&[(2, &[1]), (3, &[1])]));
        assert!(missing_dependencies(&[], &requires).is_empty());
    }

    #[test]
    fn features_never_require_themselves() {
        let requires = graph(&[(3, &[2]), (2, &[1])]);
        assert_eq!(dependency_cycle(1, &[3], &requires), Some(3), "1 → 3 → 2 → 1");
        assert_eq!(dependency_cycle(1, &[1], &requires), Some(1), "directly");
        assert_eq!(dependency_cycle(4, &[3, 1], &requires), None);
        assert_eq!(dependency_cycle(2, &[1], &requires), None, "unchanged");
        // A cycle already in the graph elsewhere does not hang the search.
        let looped = graph(&[(5, &[6]), (6, &[5])]);
        assert_eq!(dependency_cycle(7, &[5], &looped), None);
        assert!(missing_dependencies(&[5], &looped).contains_key(&5));
    }
}
