//! Billing periods (SPEC §5.2): a plan's interval (`day|week|month|year`) times its `interval_count`,
//! counted from the subscription's anchor in UTC.
//!
//! Period `n` ends at `anchor + (n + 1) × interval`, always computed from the anchor, never from the end of
//! the period before: a subscription anchored on January 31 renews on February 28 (29 in a leap year), March
//! 31, April 30, … — the day of the month is clamped to the month's length and comes back in longer months,
//! as Stripe does it. Stepping from the previous end instead would drift to the 28th for good.
use crate::Timestamp;
use jiff::tz::Offset;
use jiff::{Span, ToSpan};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumString, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

/// Why a billing cycle is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("interval_count: must be between 1 and {MAX_INTERVAL_COUNT}")]
    Count,
    #[error("the billing period lies beyond the year 9999")]
    OutOfRange,
}

/// The longest cycle one plan may have, in its own intervals (a daily plan renewing every 1,000 days at most).
pub const MAX_INTERVAL_COUNT: u32 = 1_000;

/// `count` intervals: the length of one billing period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub interval: Interval,
    pub count: u32,
}

impl Cycle {
    pub fn new(interval: Interval, count: u32) -> Result<Self, PeriodError> {
        if (1..=MAX_INTERVAL_COUNT).contains(&count) {
            Ok(Self { interval, count })
        } else {
            Err(PeriodError::Count)
        }
    }

    /// `n` whole cycles as a calendar span.
    fn times(self, n: i64) -> Result<Span, PeriodError> {
        let units = n.checked_mul(i64::from(self.count)).ok_or(PeriodError::OutOfRange)?;
        let span = match self.interval {
            Interval::Day => Span::new().try_days(units),
            Interval::Week => Span::new().try_weeks(units),
            Interval::Month => Span::new().try_months(units),
            Interval::Year => Span::new().try_years(units),
        };
        span.map_err(|_| PeriodError::OutOfRange)
    }

    /// The end of `n` cycles after `anchor` (`n = 0` is the anchor itself), in UTC calendar terms.
    pub fn after(self, anchor: Timestamp, n: u32) -> Result<Timestamp, PeriodError> {
        let start = Offset::UTC.to_datetime(anchor);
        let end = start
            .checked_add(self.times(i64::from(n))?)
            .map_err(|_| PeriodError::OutOfRange)?;
        Offset::UTC.to_timestamp(end).map_err(|_| PeriodError::OutOfRange)
    }

    /// Period `n` (0 is the first) of a subscription anchored at `anchor`: `[start, end)`.
    pub fn period(self, anchor: Timestamp, n: u32) -> Result<(Timestamp, Timestamp), PeriodError> {
        Ok((
            self.after(anchor, n)?,
            self.after(anchor, n.checked_add(1).ok_or(PeriodError::OutOfRange)?)?,
        ))
    }

    /// The number of the period that holds `at` (the first, 0, for anything before the anchor).
    pub fn period_at(self, anchor: Timestamp, at: Timestamp) -> Result<u32, PeriodError> {
        if at < anchor {
            return Ok(0);
        }
        // A guess from the average length of a cycle, then a step or two to the exact period: months differ
        // by at most three days, so the guess is off by at most one cycle in a few hundred.
        let average_seconds = match self.interval {
            Interval::Day => 86_400.0,
            Interval::Week => 7.0 * 86_400.0,
            Interval::Month => 30.436_875 * 86_400.0,
            Interval::Year => 365.242_5 * 86_400.0,
        } * f64::from(self.count);
        let elapsed = at.as_second().saturating_sub(anchor.as_second()) as f64;
        let mut n = (elapsed / average_seconds).floor().clamp(0.0, f64::from(u32::MAX - 1)) as u32;
        while n > 0 && self.after(anchor, n)? > at {
            n -= 1;
        }
        while self.after(anchor, n + 1)? <= at {
            n += 1;
        }
        Ok(n)
    }
}

/// The end of a trial of `days` days begun at `start`: days of 24 hours, as every day is in UTC.
pub fn trial_end(start: Timestamp, days: u32) -> Result<Timestamp, PeriodError> {
    start
        .checked_add((i64::from(days) * 24).hours())
        .map_err(|_| PeriodError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn monthly() -> Cycle {
        Cycle::new(Interval::Month, 1).expect("cycle")
    }

    #[test]
    fn month_ends_are_clamped_and_come_back() {
        let anchor = at("2027-01-31T10:00:00Z");
        let ends: Vec<String> = (1..=4)
            .map(|n| monthly().after(anchor, n).expect("end").to_string())
            .collect();
        assert_eq!(
            ends,
            [
                "2027-02-28T10:00:00Z",
                "2027-03-31T10:00:00Z",
                "2027-04-30T10:00:00Z",
                "2027-05-31T10:00:00Z"
            ]
        );
        assert_eq!(
            monthly()
                .after(at("2028-01-31T00:00:00Z"), 1)
                .expect("leap")
                .to_string(),
            "2028-02-29T00:00:00Z",
            "a leap year's February"
        );
        let yearly = Cycle::new(Interval::Year, 1).expect("cycle");
        assert_eq!(
            yearly.after(at("2028-02-29T00:00:00Z"), 1).expect("end").to_string(),
            "2029-02-28T00:00:00Z"
        );
        assert_eq!(
            yearly.after(at("2028-02-29T00:00:00Z"), 4).expect("end").to_string(),
            "2032-02-29T00:00:00Z"
        );
    }

    #[test]
    fn days_weeks_and_counts() {
        let anchor = at("2026-12-30T12:00:00Z");
        let two_weeks = Cycle::new(Interval::Week, 2).expect("cycle");
        assert_eq!(
            two_weeks.period(anchor, 1).expect("period"),
            (at("2027-01-13T12:00:00Z"), at("2027-01-27T12:00:00Z"))
        );
        let quarterly = Cycle::new(Interval::Month, 3).expect("cycle");
        assert_eq!(
            quarterly.after(at("2026-11-30T00:00:00Z"), 1).expect("end"),
            at("2027-02-28T00:00:00Z")
        );
        assert_eq!(Cycle::new(Interval::Day, 0), Err(PeriodError::Count));
        assert_eq!(
            Cycle::new(Interval::Day, MAX_INTERVAL_COUNT + 1),
            Err(PeriodError::Count)
        );
        assert_eq!(
            trial_end(at("2027-02-20T00:00:00Z"), 14).expect("trial"),
            at("2027-03-06T00:00:00Z")
        );
        assert_eq!(
            Cycle::new(Interval::Year, 1000).expect("cycle").after(anchor, 9),
            Err(PeriodError::OutOfRange)
        );
    }

    #[test]
    fn the_period_holding_a_moment() {
        let anchor = at("2027-01-31T10:00:00Z");
        assert_eq!(monthly().period_at(anchor, at("2020-01-01T00:00:00Z")), Ok(0));
        assert_eq!(monthly().period_at(anchor, anchor), Ok(0));
        assert_eq!(monthly().period_at(anchor, at("2027-02-28T09:59:59Z")), Ok(0));
        assert_eq!(monthly().period_at(anchor, at("2027-02-28T10:00:00Z")), Ok(1));
        assert_eq!(monthly().period_at(anchor, at("2029-03-31T10:00:00Z")), Ok(26));
    }

    proptest! {
        #[test]
        fn periods_follow_each_other_without_gaps(
            anchor in 0i64..4_000_000_000,
            interval in prop::sample::select(vec![Interval::Day, Interval::Week, Interval::Month, Interval::Year]),
            count in 1u32..13,
            n in 0u32..200,
            offset in 0i64..10_000_000,
        ) {
            let cycle = Cycle::new(interval, count).expect("cycle");
            let anchor = Timestamp::from_second(anchor).expect("anchor");
            let (start, end) = cycle.period(anchor, n).expect("period");
            prop_assert!(start < end);
            prop_assert_eq!(cycle.period(anchor, n + 1).expect("next").0, end);
            // Every moment lies in exactly the period that period_at names.
            let moment = Timestamp::from_second(start.as_second() + offset % (end.as_second() - start.as_second())).expect("moment");
            prop_assert_eq!(cycle.period_at(anchor, moment), Ok(n));
        }
    }
}
