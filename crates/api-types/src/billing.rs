//! Request bodies of the billing catalogue (`/api/v1/features`, `/groups`, `/packages`, `/plans`).
use serde::{Deserialize, Serialize};

pub use domain::billing::{Feature, Group, Package, PackageFeature, Plan, PlanUnit, PlanWire, Tier, TierMode};

body! {
    /// `POST /api/v1/features`.
    pub struct NewFeature {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// A stable key code finds the feature by (`support_incidents`): lower-case letters, digits, `_`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub unique_key: Option<String>,
        /// Features this one requires.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dependency_ids: Option<Vec<i64>>,
    }
}

body! {
    /// `PATCH /api/v1/features/{id}`; `dependency_ids` replaces the list (`[]` removes them all).
    pub struct FeaturePatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nullable")]
        pub unique_key: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub dependency_ids: Option<Vec<i64>>,
    }
}

body! {
    /// `POST /api/v1/groups`. The first group becomes the default unless `default: false` is given.
    pub struct NewGroup {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default_package_id: Option<i64>,
    }
}

body! {
    /// `PATCH /api/v1/groups/{id}`. `default: true` moves the default here; the default cannot be taken
    /// away except by giving it to another group.
    pub struct GroupPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nullable")]
        pub default_package_id: Option<Option<i64>>,
    }
}

body! {
    /// `POST /api/v1/packages`. Without `group_id` the package joins the default group.
    pub struct NewPackage {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub group_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default: Option<bool>,
        /// The package's features, each with an optional quantity (incidents per period for
        /// `support_incidents`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub features: Option<Vec<PackageFeature>>,
    }
}

body! {
    /// `PATCH /api/v1/packages/{id}`; `features` replaces the list.
    pub struct PackagePatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub group_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub default: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub features: Option<Vec<PackageFeature>>,
    }
}

body! {
    /// `POST /api/v1/plans` (SPEC §5.1). `pricing` is `flat` or `unit` with `amount`, or `tier` with `tiers`
    /// and `tier_mode` (`graduated` by default); amounts are minor units of `currency`.
    pub struct NewPlan {
        pub package_id: i64,
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        pub currency: String,
        /// `day`, `week`, `month` or `year`.
        pub interval: String,
        /// How many intervals one period lasts: 1 (default) to 1,000.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub interval_count: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub trial_days: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub initial_fee: Option<i64>,
        pub pricing: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub amount: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
        pub tiers: Option<Vec<Tier>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub tier_mode: Option<String>,
        /// What a per-unit or tiered plan counts: `quantity` (default, the subscription's) or `enduser`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub unit: Option<String>,
    }
}

body! {
    /// `PATCH /api/v1/plans/{id}`: its name, description and trial. Prices, currency and cycle are fixed once
    /// a plan exists (subscriptions renew by them); make a new plan instead.
    pub struct PlanPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub trial_days: Option<u32>,
    }
}

/// `GET /api/v1/features`, `/groups`, `/packages`, `/plans`: oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct CatalogueQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Soft-deleted features, packages and plans: `only` or `include`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<crate::DeletedQuery>,
    /// Packages of one group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<i64>,
    /// Plans of one package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<i64>,
}

pub use domain::billing::{Subscription, SubscriptionStatus};

body! {
    /// `POST /api/v1/customers/{id}/subscriptions` (TeamTools `subscribe`, SPEC §5.2).
    pub struct NewSubscription {
        pub plan_id: i64,
        /// Units of a plan priced per unit or by tiers that counts the subscription's quantity: at least 1
        /// (default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        /// The group the subscription is meant for: must be the group of the plan's package when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub group_id: Option<i64>,
        /// No automatic charge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub manual: Option<bool>,
        /// Replace the customer's live subscription in the group (cancelled now) instead of refusing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub force: Option<bool>,
    }
}

/// `DELETE /api/v1/subscriptions/{id}`: `?at=period_end` cancels at the end of the current period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct CancelQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

pub use domain::billing::{Invoice, InvoiceItem, InvoiceStatus};

body! {
    /// One item of a new invoice: `quantity` (default 1) × `unit_amount` minor units.
    pub struct NewInvoiceItem {
        pub description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        pub unit_amount: i64,
    }
}

body! {
    /// `POST /api/v1/invoices`. Issued at once (numbered, `open`) unless `draft: true`; a draft is issued
    /// with `POST /api/v1/invoices/{id}/settle`.
    pub struct NewInvoice {
        pub customer_id: i64,
        pub currency: String,
        pub items: Vec<NewInvoiceItem>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subscription_id: Option<i64>,
        /// When payment is due (RFC 3339); default 14 days after issue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due_at: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub draft: Option<bool>,
    }
}

body! {
    /// `POST /api/v1/subscriptions/{id}/items` (TeamTools `addInvoiceItem`): an item the subscription's next
    /// invoice picks up. `currency`, when given, must be the subscription's.
    pub struct NewPendingItem {
        pub description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub quantity: Option<u64>,
        pub unit_amount: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub currency: Option<String>,
    }
}

pub use domain::billing::PendingItem;

/// `GET /api/v1/invoices`: oldest first, of one customer when given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct InvoiceQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
}

pub use domain::billing::{Payment, Refund};

body! {
    /// `POST /api/v1/invoices/{id}/payments`: `amount` in minor units of the invoice's currency.
    pub struct NewPayment {
        pub amount: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub method: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reference: Option<String>,
    }
}

body! {
    /// `POST /api/v1/payments/{id}/refunds`: never more than what is left of the payment.
    pub struct NewRefund {
        pub amount: i64,
    }
}

pub use domain::billing::{BillingLink, BillingSystem};

body! {
    /// `POST /api/v1/customers/{id}/billing-links`: `billing_system` is one of `Blesta, WHMCS, ClientExec,
    /// WiseCP, HostBill, FOSSBilling, Paymenter, Upmind, Other` (any case).
    pub struct NewBillingLink {
        pub billing_system: String,
        pub billing_id: String,
    }
}

pub use domain::billing::SupportLevel;

body! {
    /// `POST /api/v1/support-levels`.
    pub struct NewSupportLevel {
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// 1 to 525,600 (a year); absent: no promise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub max_first_response_minutes: Option<u32>,
    }
}

body! {
    /// `PATCH /api/v1/support-levels/{id}`; `max_first_response_minutes: null` removes the promise.
    pub struct SupportLevelPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nullable")]
        pub max_first_response_minutes: Option<Option<u32>>,
    }
}

pub use domain::billing::{Contract, ContractStatus, IncidentCount, IncidentUsage};

body! {
    /// An incident type's counts on a contract: `total` covered, `used` (default 0) redeemed already.
    pub struct IncidentInput {
        pub total: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub used: Option<i64>,
    }
}

body! {
    /// `POST /api/v1/contracts` (SPEC §5.4): dates are `YYYY-MM-DD`, `end` inclusive; `status` defaults to
    /// `active`; `incidents` maps incident types to their counts (none: no per-incident support).
    pub struct NewContract {
        pub customer_id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        pub start: String,
        pub end: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub support_level_id: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub incidents: Option<std::collections::BTreeMap<String, IncidentInput>>,
    }
}

body! {
    /// `PATCH /api/v1/contracts/{id}`: `incidents` replaces the types and counts (a type left out is
    /// removed; `used` defaults to what the type had); `support_level_id: null` removes the level.
    pub struct ContractPatch {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub start: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub end: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::nullable")]
        pub support_level_id: Option<Option<i64>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub incidents: Option<std::collections::BTreeMap<String, IncidentInput>>,
    }
}

/// `GET /api/v1/contracts`: oldest first, of one customer when given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct ContractQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
}

body! {
    /// `POST /api/v1/tickets/{id}/incidents`: redeem one incident of each type for the ticket.
    pub struct RedeemIncidents {
        pub types: Vec<String>,
    }
}

/// `GET /api/v1/tickets/{id}/incidents` (and the answer to redeeming): the contract the ticket's customer
/// draws incidents from (`null`: none with per-incident support) and each of its types as the ticket sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketIncidents {
    pub contract_id: Option<i64>,
    pub data: Vec<IncidentUsage>,
}

/// An unpaid invoice as a ticket's service shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnpaidInvoice {
    pub id: i64,
    pub number: Option<String>,
    pub total: i64,
    pub amount_due: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<domain::Timestamp>,
}

/// A ticket's `service` with `?include=service` (SPEC §5.3): the subscription, its plan, what is unpaid,
/// and the incidents the customer's contract has left, so agents see them beside the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketService {
    /// The subscription's id (what `service` is without the include).
    pub id: i64,
    pub status: SubscriptionStatus,
    pub plan: PlanWire,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: domain::billing::Currency,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub current_period_start: domain::Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub current_period_end: domain::Timestamp,
    pub cancel_at_period_end: bool,
    pub balance: i64,
    pub unpaid_invoices: Vec<UnpaidInvoice>,
    /// The sum of `amount_due` over `unpaid_invoices`.
    pub amount_due: i64,
    /// The customer's per-incident contract (`null`: none) and its types.
    pub contract_id: Option<i64>,
    pub incidents: Vec<IncidentUsage>,
    /// The sum of `left` over `incidents`.
    pub incidents_left: i64,
}
