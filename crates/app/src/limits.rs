//! Per-principal rate limits on expensive actions, kept in this process (each node counts its own).
use crate::{AppError, AppResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A fixed-window counter per key: at most `max` actions per `window`; more are refused until the window
/// that holds them has passed.
pub(crate) struct RateLimiter {
    max: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Entries kept before expired ones are swept, so one limiter cannot grow without bound.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub(crate) fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one action for `key`, or refuses it with the seconds until it would be allowed.
    pub(crate) fn check(&self, key: &str) -> AppResult<()> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> AppResult<()> {
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| AppError::Internal("rate limiter lock poisoned".into()))?;
        if windows.len() >= SWEEP_AT {
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            *start = now;
            *count = 0;
        }
        if *count >= self.max {
            let left = self.window.saturating_sub(now.duration_since(*start));
            return Err(AppError::RateLimited {
                retry_after_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
            });
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_until_the_window_passes() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(limiter.check_at("a", t0).is_ok());
        assert!(limiter.check_at("a", t0).is_ok());
        match limiter.check_at("a", t0 + Duration::from_millis(500)) {
            Err(AppError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 60),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(limiter.check_at("b", t0).is_ok(), "keys are counted apart");
        assert!(
            limiter.check_at("a", t0 + Duration::from_secs(60)).is_ok(),
            "a new window"
        );
    }
}
