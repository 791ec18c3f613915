//! Support contracts with per-incident support (SPEC §5.4, Eventum's model): a customer's contract counts,
//! per incident type, how many incidents it covers and how many tickets redeemed.
use crate::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ContractStatus {
    Active,
    Expired,
    Cancelled,
}

/// Incidents of one type: `total` covered, `used` redeemed (never more than `total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentCount {
    pub total: i64,
    pub used: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Contract {
    pub id: i64,
    pub customer_id: i64,
    pub status: ContractStatus,
    /// The first day covered (`YYYY-MM-DD`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub start: Date,
    /// The last day covered (`YYYY-MM-DD`), inclusive.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub end: Date,
    pub support_level_id: Option<i64>,
    /// Per incident type (`"phone"`, `"email"`, …); no types: a contract without per-incident support.
    pub incidents: BTreeMap<String, IncidentCount>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

impl Contract {
    /// Whether the contract's incidents can be redeemed on `day`: active, and `day` within its dates.
    pub fn covers(&self, day: Date) -> bool {
        self.status == ContractStatus::Active && self.start <= day && day <= self.end
    }

    /// Whether it sells per-incident support at all.
    pub fn is_per_incident(&self) -> bool {
        !self.incidents.is_empty()
    }
}

/// The most incidents one type may count: far more than any contract sells, far below overflow.
pub const MAX_INCIDENTS: i64 = 1_000_000_000;

/// An incident type's name: trimmed, 1 to 64 characters.
pub fn incident_type(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err("an incident type is 1 to 64 characters");
    }
    Ok(name.to_owned())
}

/// Checks counts given for a contract: `0 ≤ used ≤ total ≤ MAX_INCIDENTS`.
pub fn check_count(count: IncidentCount) -> Result<IncidentCount, &'static str> {
    if count.total < 0 || count.total > MAX_INCIDENTS {
        return Err("total must be between 0 and 1000000000");
    }
    if count.used < 0 || count.used > count.total {
        return Err("used must be between 0 and total");
    }
    Ok(count)
}

/// A ticket's redeemed incident: which contract paid for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketIncident {
    pub id: i64,
    pub ticket_id: i64,
    pub contract_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: Timestamp,
}

/// `GET /api/v1/tickets/{id}/incidents`: one incident type of the customer's contract, as this ticket sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentUsage {
    #[serde(rename = "type")]
    pub kind: String,
    pub total: i64,
    pub used: i64,
    pub left: i64,
    /// Whether this ticket redeemed an incident of this type.
    pub redeemed: bool,
}

/// The usage of each of `contract`'s types for a ticket that redeemed `redeemed`.
pub fn usage(contract: &Contract, redeemed: &[TicketIncident]) -> Vec<IncidentUsage> {
    contract
        .incidents
        .iter()
        .map(|(kind, count)| IncidentUsage {
            kind: kind.clone(),
            total: count.total,
            used: count.used,
            left: (count.total - count.used).max(0),
            redeemed: redeemed.iter().any(|r| r.contract_id == contract.id && &r.kind == kind),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_coverage() {
        assert_eq!(check_count(IncidentCount { total: 5, used: 5 }).map(|c| c.used), Ok(5));
        assert!(check_count(IncidentCount { total: 5, used: 6 }).is_err());
        assert!(check_count(IncidentCount { total: -1, used: 0 }).is_err());
        assert!(
            check_count(IncidentCount {
                total: MAX_INCIDENTS + 1,
                used: 0
            })
            .is_err()
        );
        assert_eq!(incident_type("  phone "), Ok("phone".into()));
        assert!(incident_type(" ").is_err());
        let day = |s: &str| s.parse::<Date>().expect("date");
        let contract = Contract {
            id: 1,
            customer_id: 1,
            status: ContractStatus::Active,
            start: day("2027-01-01"),
            end: day("2027-12-31"),
            support_level_id: None,
            incidents: BTreeMap::from([("phone".to_owned(), IncidentCount { total: 3, used: 3 })]),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        };
        assert!(contract.covers(day("2027-12-31")) && !contract.covers(day("2028-01-01")));
        let redeemed = [TicketIncident {
            id: 1,
            ticket_id: 9,
            contract_id: 1,
            kind: "phone".into(),
            created_at: Timestamp::UNIX_EPOCH,
        }];
        assert_eq!(
            usage(&contract, &redeemed),
            [IncidentUsage {
                kind: "phone".into(),
                total: 3,
                used: 3,
                left: 0,
                redeemed: true
            }]
        );
    }
}
