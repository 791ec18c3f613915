//! The admin dashboard (SPEC §8): tickets opened and solved per day, open tickets by status, the median
//! first response and the monthly recurring revenue. Every figure is read on an index and bounded, so the
//! page costs the same with a million tickets as with a hundred: a day's figures are counted while it
//! lasts and once more after it is over, then kept (`day_counts`), so a view counts today's tickets only.
use crate::{App, AppResult, require_admin};
use domain::billing::{Currency, Interval, Money, Plan};
use domain::{Principal, TicketStatus, Timestamp};
use std::collections::BTreeMap;
use std::ops::Range;
use store::DayCount;
use store::time::{from_micros, now, to_micros};

/// Days the per-day charts cover, today included.
pub const DASHBOARD_DAYS: i64 = 30;
/// Open tickets of one status are counted up to this many (the chart says "at least" past it).
pub const STATUS_COUNT_BOUND: u64 = 1_000;
/// The first-response median is taken over at most this many of the newest tickets of the window.
pub const FIRST_RESPONSE_SAMPLE: u32 = 500;
/// Groups of (plan, quantity) read for the MRR; past it the figure is marked incomplete.
const MRR_GROUP_LIMIT: u32 = 10_000;
const DAY_MICROS: i64 = 86_400_000_000;
/// A day's figures are kept once it has been over this long: a ticket opened or solved a moment before
/// midnight may commit a moment after it.
const KEEP_AFTER_MICROS: i64 = 3_600_000_000;

/// One day of the per-day chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub opened: u64,
    pub solved: u64,
}

/// What the median first response was taken over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstResponseFigures {
    /// The median time from a ticket's creation to its first public staff reply, in seconds.
    pub median_secs: Option<i64>,
    /// Tickets of the sample with a staff reply.
    pub answered: usize,
    /// Tickets of the sample without one yet (not in the median).
    pub unanswered: usize,
    /// The sample reached [`FIRST_RESPONSE_SAMPLE`]: the median is of the newest tickets only.
    pub sampled: bool,
}

/// Monthly recurring revenue in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mrr {
    pub money: Money,
    pub subscriptions: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// [`DASHBOARD_DAYS`] days, oldest first.
    pub days: Vec<DayFigures>,
    /// The statuses other than `solved`, with their (bounded) counts.
    pub open_by_status: Vec<(TicketStatus, u64)>,
    pub first_response: FirstResponseFigures,
    /// One entry per currency of the paying subscriptions, by currency code.
    pub mrr: Vec<Mrr>,
    /// Not every subscription could be counted (too many plan and quantity groups, or a price past the
    /// money bound).
    pub mrr_incomplete: bool,
}

impl App {
    /// The dashboard's figures (admins only).
    pub async fn dashboard(&self, p: &Principal) -> AppResult<Dashboard> {
        require_admin(p)?;
        let now_micros = to_micros(now());
        let today = now_micros.div_euclid(DAY_MICROS);
        let first_day = today - (DASHBOARD_DAYS - 1);
        let window = first_day..today + 1;
        // Days that ended at least KEEP_AFTER ago; counted once, their figures stay.
        let over = (now_micros - KEEP_AFTER_MICROS).div_euclid(DAY_MICROS);
        let mut db = self.store().read().await?;
        let mut counts: BTreeMap<i64, DayCount> = db
            .kept_day_counts(window.clone())
            .await?
            .into_iter()
            .map(|c| (c.day, c))
            .collect();
        let mut to_keep = Vec::new();
        for run in uncounted_runs(window.clone(), &counts) {
            let opened: BTreeMap<i64, u64> = db.tickets_opened_per_day(run.clone()).await?.into_iter().collect();
            let solved: BTreeMap<i64, u64> = db.tickets_solved_per_day(run.clone()).await?.into_iter().collect();
            for day in run {
                let count = DayCount {
                    day,
                    opened: opened.get(&day).copied().unwrap_or(0),
                    solved: solved.get(&day).copied().unwrap_or(0),
                };
                if day < over {
                    to_keep.push(count);
                }
                counts.insert(day, count);
            }
        }
        let days = window
            .map(|day| {
                let c = counts.get(&day);
                DayFigures {
                    date: date_of(day),
                    opened: c.map_or(0, |c| c.opened),
                    solved: c.map_or(0, |c| c.solved),
                }
            })
            .collect();
        let since = from_micros(first_day * DAY_MICROS);
        let mut open_by_status = Vec::new();
        for status in TicketStatus::ALL.iter().copied().filter(|s| *s != TicketStatus::Solved) {
            open_by_status.push((status, db.ticket_count_by_status(status, STATUS_COUNT_BOUND).await?));
        }
        let sample = db.first_responses(since, FIRST_RESPONSE_SAMPLE).await?;
        let first_response = first_response_figures(&sample, FIRST_RESPONSE_SAMPLE);
        let groups = db.paying_subscription_counts(MRR_GROUP_LIMIT).await?;
        let mut plans: BTreeMap<i64, Option<Plan>> = BTreeMap::new();
        for (plan_id, _, _) in &groups {
            if !plans.contains_key(plan_id) {
                plans.insert(*plan_id, db.plan(*plan_id).await?);
            }
        }
        let mut mrr_incomplete = groups.len() >= MRR_GROUP_LIMIT as usize;
        let mut totals: BTreeMap<&'static str, (Currency, i128, u64)> = BTreeMap::new();
        for (plan_id, quantity, count) in groups {
            let Some(Some(plan)) = plans.get(&plan_id) else {
                mrr_incomplete = true;
                continue;
            };
            match monthly_price(plan, quantity) {
                Some(monthly) => {
                    let entry = totals.entry(plan.currency.code()).or_insert((plan.currency, 0, 0));
                    entry.1 += monthly * i128::from(count);
                    entry.2 += count;
                }
                None => mrr_incomplete = true,
            }
        }
        let mut mrr = Vec::new();
        for (currency, total, subscriptions) in totals.into_values() {
            match i64::try_from(total).ok().and_then(|t| Money::new(t, currency).ok()) {
                Some(money) => mrr.push(Mrr { money, subscriptions }),
                None => mrr_incomplete = true,
            }
        }
        drop(db);
        if !to_keep.is_empty() {
            let mut tx = self.store().write().await?;
            tx.keep_day_counts(&to_keep).await?;
            tx.commit().await?;
        }
        Ok(Dashboard {
            days,
            open_by_status,
            first_response,
            mrr,
            mrr_incomplete,
        })
    }
}

/// The runs of consecutive days of `days` without figures in `counted`, oldest first.
fn uncounted_runs(days: Range<i64>, counted: &BTreeMap<i64, DayCount>) -> Vec<Range<i64>> {
    let mut runs: Vec<Range<i64>> = Vec::new();
    for day in days.filter(|d| !counted.contains_key(d)) {
        match runs.last_mut() {
            Some(run) if run.end == day => run.end = day + 1,
            _ => runs.push(day..day + 1),
        }
    }
    runs
}

/// The day (days since 1970-01-01, UTC) of a moment.
pub fn day_of(t: Timestamp) -> i64 {
    to_micros(t).div_euclid(DAY_MICROS)
}

fn date_of(day: i64) -> String {
    let t = Timestamp::from_second(day * 86_400).unwrap_or(Timestamp::UNIX_EPOCH);
    t.strftime("%Y-%m-%d").to_string()
}

fn first_response_figures(sample: &[(Timestamp, Option<Timestamp>)], limit: u32) -> FirstResponseFigures {
    let mut waits: Vec<i64> = sample
        .iter()
        .filter_map(|(opened, answered)| answered.map(|a| (to_micros(a) - to_micros(*opened)).max(0) / 1_000_000))
        .collect();
    waits.sort_unstable();
    let median_secs = match waits.len() {
        0 => None,
        n if n % 2 == 1 => Some(waits[n / 2]),
        n => Some((waits[n / 2 - 1] + waits[n / 2]) / 2),
    };
    FirstResponseFigures {
        median_secs,
        answered: waits.len(),
        unanswered: sample.len() - waits.len(),
        sampled: sample.len() >= limit as usize,
    }
}

/// What one subscription of `quantity` on `plan` brings in per month, in minor units (rounded down): the
/// period's price (the initial fee is once, not recurring) spread over the months of the period — a year
/// is 12 months, a week 12/52 of one, a day 12/365. Plans that count end users are priced at the
/// subscription's quantity (their count is only known at invoice time).
pub fn monthly_price(plan: &Plan, quantity: u64) -> Option<i128> {
    let per_period = i128::from(plan.pricing.price(quantity).ok()?);
    let count = i128::from(plan.cycle.count);
    // per month = per_period × numerator / denominator
    let (numerator, denominator) = match plan.cycle.interval {
        Interval::Day => (365, 12 * count),
        Interval::Week => (52, 12 * count),
        Interval::Month => (1, count),
        Interval::Year => (1, 12 * count),
    };
    Some(per_period * numerator / denominator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_days_without_figures_are_counted() {
        let kept = |days: &[i64]| -> BTreeMap<i64, DayCount> {
            days.iter()
                .map(|&day| {
                    (
                        day,
                        DayCount {
                            day,
                            opened: 1,
                            solved: 0,
                        },
                    )
                })
                .collect()
        };
        assert_eq!(uncounted_runs(10..20, &kept(&[])), vec![10..20]);
        assert_eq!(
            uncounted_runs(10..20, &kept(&[10, 11, 12, 15, 19])),
            vec![13..15, 16..19]
        );
        assert_eq!(uncounted_runs(10..13, &kept(&[10, 11, 12])), Vec::<Range<i64>>::new());
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(20_000), "2024-10-04");
    }

    #[test]
    fn the_median_ignores_unanswered_tickets() {
        let t = |s: i64| from_micros(s * 1_000_000);
        let sample = [
            (t(0), Some(t(10))),
            (t(0), None),
            (t(100), Some(t(400))),
            (t(0), Some(t(60))),
        ];
        let f = first_response_figures(&sample, 10);
        assert_eq!(
            (f.median_secs, f.answered, f.unanswered, f.sampled),
            (Some(60), 3, 1, false)
        );
        let f = first_response_figures(&sample[..1], 1);
        assert_eq!((f.median_secs, f.sampled), (Some(10), true));
        let even = [(t(0), Some(t(10))), (t(0), Some(t(20)))];
        assert_eq!(first_response_figures(&even, 10).median_secs, Some(15));
        assert_eq!(first_response_figures(&[], 10).median_secs, None);
    }

    #[test]
    fn prices_are_spread_over_the_months_of_their_period() {
        use domain::billing::{Cycle, PlanUnit, Pricing};
        let plan = |interval, count, pricing| Plan {
            id: 1,
            package_id: 1,
            name: "p".into(),
            description: String::new(),
            currency: Currency::parse("EUR").expect("EUR"),
            cycle: Cycle::new(interval, count).expect("cycle"),
            trial_days: 0,
            initial_fee: 5_000,
            pricing,
            unit: PlanUnit::Quantity,
            created_at: now(),
            updated_at: now(),
            deleted_at: None,
        };
        let flat = |amount| Pricing::Flat { amount };
        assert_eq!(monthly_price(&plan(Interval::Month, 1, flat(1_000)), 1), Some(1_000));
        assert_eq!(monthly_price(&plan(Interval::Month, 3, flat(3_000)), 1), Some(1_000));
        assert_eq!(monthly_price(&plan(Interval::Year, 1, flat(12_000)), 1), Some(1_000));
        assert_eq!(monthly_price(&plan(Interval::Week, 1, flat(1_200)), 1), Some(5_200));
        assert_eq!(monthly_price(&plan(Interval::Day, 1, flat(12)), 1), Some(365));
        let unit = Pricing::Unit { amount: 250 };
        assert_eq!(monthly_price(&plan(Interval::Month, 1, unit), 4), Some(1_000));
    }
}
