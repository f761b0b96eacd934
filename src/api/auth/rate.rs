//! Per-key token buckets, in memory: each process limits on its own, which
//! is enough to keep one runaway producer from starving the others.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<i64, Bucket>>,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// `per_sec` of 0 (or less) turns limiting off.
    pub fn new(per_sec: f64, burst: u32) -> Self {
        Self { per_sec, burst: f64::from(burst.max(1)), buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn take(&self, key: i64) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: i64, now: Instant) -> Result<(), Duration> {
        if self.per_sec <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: self.burst, refilled: now });
        let earned = now.saturating_duration_since(bucket.refilled).as_secs_f64() * self.per_sec;
        bucket.tokens = (bucket.tokens + earned).min(self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.per_sec))
        }
    }

    /// Drops a revoked key's bucket.
    pub fn forget(&self, key: i64) {
        self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_tokens_come_back_at_the_rate() {
        let limiter = RateLimiter::new(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take_at(1, start), Ok(()));
        }
        let wait = limiter.take_at(1, start).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        assert_eq!(limiter.take_at(2, start), Ok(()), "keys have their own buckets");
        assert_eq!(limiter.take_at(1, start + Duration::from_millis(500)), Ok(()));
    }

    #[test]
    fn a_zero_rate_never_limits() {
        let limiter = RateLimiter::new(0.0, 1);
        assert!((0..100).all(|_| limiter.take(1).is_ok()));
    }
}
