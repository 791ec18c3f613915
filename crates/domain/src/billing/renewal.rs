//! Renewals (SPEC §5.2): what the scheduler does with a subscription whose period has ended, and the lines
//! of the invoice that bills a period.
use super::catalogue::Plan;
use super::invoice::InvoiceItem;
use super::ledger::LedgerError;
use super::period::PeriodError;
use super::pricing::{Pricing, PricingError};
use super::subscription::Subscription;
use crate::Timestamp;
use jiff::tz::Offset;

/// The scheduler's next step for a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Cancelled at its period's end, which has come: it ends then.
    End { at: Timestamp },
    /// The period `[start, end)` has begun: bill it and make it current.
    Renew { start: Timestamp, end: Timestamp },
}

/// What is due for `s` at `now`, or `None` while its period runs (or once it is canceled). One step covers
/// one period: a subscription several periods behind takes several steps, one invoice each, so every period
/// is billed exactly once however late the scheduler runs.
pub fn next_step(s: &Subscription, plan: &Plan, now: Timestamp) -> Result<Option<Step>, PeriodError> {
    if !s.status.is_live() || s.current_period_end > now {
        return Ok(None);
    }
    if s.cancel_at_period_end {
        return Ok(Some(Step::End {
            at: s.current_period_end,
        }));
    }
    // The period that begins where the current one ends: the first after a trial (whose end is the anchor),
    // the next one otherwise; counted from the anchor, so month ends come back (see `period`).
    let n = plan.cycle.period_at(s.anchor, s.current_period_end)?;
    let (start, end) = plan.cycle.period(s.anchor, n)?;
    Ok(Some(Step::Renew { start, end }))
}

/// Why a period's invoice cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The plan's line on the invoice of `[start, end)` for `units` units (the subscription's quantity, or
/// the customer's end users for a plan counting them). A per-unit plan shows units × price; flat and
/// tiered plans one line at the period's price (a tiered price is no product of the units), naming the
/// units in the description.
pub fn plan_line(plan: &Plan, units: u64, start: Timestamp, end: Timestamp) -> Result<InvoiceItem, LineError> {
    let period = format!("{} – {}", day(start), day(end));
    let item = match &plan.pricing {
        Pricing::Flat { amount } => InvoiceItem::new(format!("{} ({period})", plan.name), 1, *amount)?,
        Pricing::Unit { amount } => InvoiceItem::new(format!("{} ({period})", plan.name), units, *amount)?,
        Pricing::Tiered { .. } => InvoiceItem::new(
            format!("{} × {units} ({period})", plan.name),
            1,
            plan.pricing.price(units)?,
        )?,
    };
    Ok(item)
}

/// The one-time fee of a plan's first invoice, if it has one.
pub fn initial_fee_line(plan: &Plan) -> Result<Option<InvoiceItem>, LedgerError> {
    if plan.initial_fee == 0 {
        return Ok(None);
    }
    InvoiceItem::new(format!("{}: initial fee", plan.name), 1, plan.initial_fee).map(Some)
}

fn day(t: Timestamp) -> jiff::civil::Date {
    Offset::UTC.to_datetime(t).date()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::subscription::start;
    use crate::billing::{Currency, Cycle, Interval, PlanUnit, SubscriptionStatus, Tier, TierMode};

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn plan(pricing: Pricing, trial_days: u32) -> Plan {
        Plan {
            id: 1,
            package_id: 1,
            name: "Pro".into(),
            description: String::new(),
            currency: Currency::parse("EUR").expect("currency"),
            cycle: Cycle::new(Interval::Month, 1).expect("cycle"),
            trial_days,
            initial_fee: 0,
            pricing,
            unit: PlanUnit::Quantity,
            created_at: at("2027-01-01T00:00:00Z"),
            updated_at: at("2027-01-01T00:00:00Z"),
            deleted_at: None,
        }
    }

    fn subscribed(plan: &Plan, when: &str) -> Subscription {
        let begun = start(at(when), plan.trial_days, plan.cycle).expect("start");
        Subscription {
            id: 1,
            customer_id: 1,
            plan_id: plan.id,
            group_id: 1,
            status: begun.status,
            quantity: 3,
            manual: false,
            currency: plan.currency,
            anchor: begun.anchor,
            current_period_start: begun.current_period_start,
            current_period_end: begun.current_period_end,
            trial_end: begun.trial_end,
            cancel_at_period_end: false,
            canceled_at: None,
            balance: 0,
            created_at: at(when),
            updated_at: at(when),
        }
    }

    /// Walks the scheduler's steps up to `now`, as the app does, and answers the periods it billed.
    fn periods_billed(plan: &Plan, s: &mut Subscription, now: Timestamp) -> Vec<(String, String)> {
        let mut billed = vec![];
        while let Some(step) = next_step(s, plan, now).expect("step") {
            match step {
                Step::End { at } => {
                    s.status = SubscriptionStatus::Canceled;
                    s.canceled_at = Some(at);
                }
                Step::Renew { start, end } => {
                    billed.push((start.to_string(), end.to_string()));
                    s.status = SubscriptionStatus::Active;
                    s.current_period_start = start;
                    s.current_period_end = end;
                }
            }
        }
        billed
    }

    #[test]
    fn every_period_is_billed_once_from_month_ends() {
        let p = plan(Pricing::Flat { amount: 1000 }, 0);
        let mut s = subscribed(&p, "2027-01-31T08:00:00Z");
        assert_eq!(next_step(&s, &p, at("2027-02-28T07:59:59Z")), Ok(None));
        let billed = periods_billed(&p, &mut s, at("2027-04-30T08:00:00Z"));
        assert_eq!(
            billed,
            [
                ("2027-02-28T08:00:00Z".into(), "2027-03-31T08:00:00Z".into()),
                ("2027-03-31T08:00:00Z".into(), "2027-04-30T08:00:00Z".into()),
                ("2027-04-30T08:00:00Z".into(), "2027-05-31T08:00:00Z".into()),
            ]
        );
        assert!(
            periods_billed(&p, &mut s, at("2027-04-30T08:00:00Z")).is_empty(),
            "a re-run bills nothing"
        );
    }

    #[test]
    fn a_trial_ends_into_the_first_period_and_cancelling_stops_renewals() {
        let p = plan(Pricing::Flat { amount: 1000 }, 14);
        let mut s = subscribed(&p, "2027-12-20T00:00:00Z");
        let billed = periods_billed(&p, &mut s, at("2028-01-03T00:00:00Z"));
        assert_eq!(billed, [("2028-01-03T00:00:00Z".into(), "2028-02-03T00:00:00Z".into())]);
        s.cancel_at_period_end = true;
        assert_eq!(
            next_step(&s, &p, at("2028-06-01T00:00:00Z")),
            Ok(Some(Step::End {
                at: at("2028-02-03T00:00:00Z")
            }))
        );
        assert!(periods_billed(&p, &mut s, at("2028-06-01T00:00:00Z")).is_empty());
        assert_eq!(s.status, SubscriptionStatus::Canceled);
    }

    #[test]
    fn lines_price_the_period() {
        let (start, end) = (at("2027-01-31T00:00:00Z"), at("2027-02-28T00:00:00Z"));
        let unit = plan(Pricing::Unit { amount: 250 }, 0);
        let line = plan_line(&unit, 4, start, end).expect("line");
        assert_eq!((line.quantity, line.unit_amount, line.amount), (4, 250, 1000));
        assert_eq!(line.description, "Pro (2027-01-31 – 2027-02-28)");
        let tiered = plan(
            Pricing::Tiered {
                mode: TierMode::Graduated,
                tiers: vec![
                    Tier {
                        up_to: Some(5),
                        unit_amount: 500,
                        flat_amount: 0,
                    },
                    Tier {
                        up_to: None,
                        unit_amount: 400,
                        flat_amount: 0,
                    },
                ],
            },
            0,
        );
        let line = plan_line(&tiered, 7, start, end).expect("line");
        assert_eq!((line.quantity, line.amount), (1, 3300));
        assert_eq!(line.description, "Pro × 7 (2027-01-31 – 2027-02-28)");
        let mut fee = plan(Pricing::Flat { amount: 0 }, 0);
        assert_eq!(initial_fee_line(&fee), Ok(None));
        fee.initial_fee = 4900;
        assert_eq!(initial_fee_line(&fee).expect("fee").map(|l| l.amount), Some(4900));
    }
}
