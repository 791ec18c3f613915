//! Subscriptions (SPEC §5.2): a customer's plan, its status and billing periods, its balance.
use super::money::Currency;
use super::period::{Cycle, PeriodError, trial_end};
use crate::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    /// A renewal invoice is unpaid past its due date.
    PastDue,
    Canceled,
}

impl SubscriptionStatus {
    /// Whether the subscription holds its group (one per group and customer, SPEC §5.2).
    pub fn is_live(self) -> bool {
        self != SubscriptionStatus::Canceled
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: i64,
    pub customer_id: i64,
    pub plan_id: i64,
    /// The group of the plan's package: one live subscription per group and customer unless `force`.
    pub group_id: i64,
    pub status: SubscriptionStatus,
    /// Units of a per-unit or tiered plan that counts the subscription's quantity.
    pub quantity: u64,
    /// No automatic charge: invoices are issued, payments recorded by hand.
    pub manual: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub currency: Currency,
    /// Where the billing periods are counted from: the end of the trial, or the start.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub anchor: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub current_period_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub current_period_end: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub trial_end: Option<Timestamp>,
    /// Cancelled at the end of the current period: stays live (and keeps its group) until then.
    pub cancel_at_period_end: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub canceled_at: Option<Timestamp>,
    /// Credit in minor units of `currency`, consumed by the next invoice.
    pub balance: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// The status and first period of a subscription begun at `start` on a plan with `trial_days` and `cycle`:
/// a trial is its own first stretch, and the billing periods count from its end.
pub struct Start {
    pub status: SubscriptionStatus,
    pub anchor: Timestamp,
    pub current_period_start: Timestamp,
    pub current_period_end: Timestamp,
    pub trial_end: Option<Timestamp>,
}

pub fn start(start: Timestamp, trial_days: u32, cycle: Cycle) -> Result<Start, PeriodError> {
    if trial_days > 0 {
        let end = trial_end(start, trial_days)?;
        return Ok(Start {
            status: SubscriptionStatus::Trialing,
            anchor: end,
            current_period_start: start,
            current_period_end: end,
            trial_end: Some(end),
        });
    }
    let (current_period_start, current_period_end) = cycle.period(start, 0)?;
    Ok(Start {
        status: SubscriptionStatus::Active,
        anchor: start,
        current_period_start,
        current_period_end,
        trial_end: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::Interval;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn a_trial_comes_first_and_anchors_the_periods() {
        let monthly = Cycle::new(Interval::Month, 1).expect("cycle");
        let s = start(at("2027-01-17T09:00:00Z"), 14, monthly).expect("start");
        assert_eq!(s.status, SubscriptionStatus::Trialing);
        assert_eq!(s.trial_end, Some(at("2027-01-31T09:00:00Z")));
        assert_eq!(
            (s.current_period_start, s.current_period_end),
            (at("2027-01-17T09:00:00Z"), at("2027-01-31T09:00:00Z"))
        );
        assert_eq!(s.anchor, at("2027-01-31T09:00:00Z"));
        assert_eq!(monthly.after(s.anchor, 1).expect("renewal"), at("2027-02-28T09:00:00Z"));

        let s = start(at("2027-01-31T00:00:00Z"), 0, monthly).expect("start");
        assert_eq!(s.status, SubscriptionStatus::Active);
        assert_eq!(s.current_period_end, at("2027-02-28T00:00:00Z"));
        assert!(SubscriptionStatus::PastDue.is_live() && !SubscriptionStatus::Canceled.is_live());
    }
}
