//! Billing rules that need no I/O (SPEC §5): money and currencies, plan pricing, billing periods, and the
//! arithmetic of invoices, payments and refunds.
pub mod catalogue;
pub mod contract;
pub mod invoice;
pub mod ledger;
pub mod link;
pub mod money;
pub mod period;
pub mod pricing;
pub mod renewal;
pub mod subscription;
pub mod support;

pub use catalogue::{Feature, Group, Package, PackageFeature, Plan, PlanUnit, PlanWire};
pub use contract::{Contract, ContractStatus, IncidentCount, IncidentUsage, TicketIncident};
pub use invoice::{Invoice, InvoiceItem, Payment, PendingItem, Refund};
pub use ledger::{InvoiceStatus, LedgerError, PaymentEffect};
pub use link::{BillingLink, BillingSystem};
pub use money::{Currency, MAX_MINOR_UNITS, Money, MoneyError};
pub use period::{Cycle, Interval, PeriodError};
pub use pricing::{Pricing, PricingError, Tier, TierMode};
pub use subscription::{Subscription, SubscriptionStatus};
pub use support::SupportLevel;
