//! Timestamps are stored as integer microseconds since the Unix epoch (UTC) on every backend: exact,
//! portable ordering and comparison, and no driver-specific date types.
use domain::Timestamp;

pub fn to_micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The current instant, truncated to microseconds so that what is stored equals what is returned.
pub fn now() -> Timestamp {
    from_micros(to_micros(Timestamp::now()))
}
