//! Billing-system links (SPEC §5.5, Ticaga): a customer's accounts in external billing systems.
use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// The billing systems a link may name, in their canonical spelling; parsed ignoring case.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[strum(ascii_case_insensitive)]
pub enum BillingSystem {
    Blesta,
    #[serde(rename = "WHMCS")]
    #[strum(serialize = "WHMCS")]
    Whmcs,
    ClientExec,
    WiseCP,
    HostBill,
    #[serde(rename = "FOSSBilling")]
    #[strum(serialize = "FOSSBilling")]
    FossBilling,
    Paymenter,
    Upmind,
    Other,
}

impl BillingSystem {
    /// Every system's canonical spelling.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    pub fn parse(s: &str) -> Option<Self> {
        s.trim().parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BillingLink {
    pub id: i64,
    pub customer_id: i64,
    pub billing_system: BillingSystem,
    /// The customer's id in that system; unique per system.
    pub billing_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantNames;

    #[test]
    fn systems_parse_ignoring_case_and_show_their_canonical_spelling() {
        assert_eq!(
            BillingSystem::VARIANTS,
            [
                "Blesta",
                "WHMCS",
                "ClientExec",
                "WiseCP",
                "HostBill",
                "FOSSBilling",
                "Paymenter",
                "Upmind",
                "Other"
            ]
        );
        for name in BillingSystem::VARIANTS {
            let system = BillingSystem::parse(&name.to_lowercase()).expect("parses");
            assert_eq!(system.as_str(), *name);
            assert_eq!(
                serde_json::to_value(system).expect("json"),
                serde_json::Value::from(*name)
            );
        }
        assert_eq!(BillingSystem::parse(" whmcs "), Some(BillingSystem::Whmcs));
        assert_eq!(BillingSystem::parse("Stripe"), None);
        assert_eq!(BillingSystem::parse(""), None);
    }
}
