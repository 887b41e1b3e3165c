//! The REST request-weight budget: a token bucket over the venue's weight per minute.

use std::time::Duration;

/// A token bucket of request weight, refilled continuously at `per_minute` and holding at most
/// that much. Time is passed in (ns on any monotonic scale), so the bucket is a pure value that
/// tests drive with a virtual clock.
#[derive(Debug, Clone)]
pub struct WeightBudget {
    per_minute: u64,
    // Available weight, in weight-nanominutes (weight * 60e9) to refill without rounding loss.
    tokens: u128,
    last_ns: i64,
    // Nothing may be sent before this (a venue's Retry-After).
    paused_until_ns: i64,
}

const NS_PER_MINUTE: u128 = 60_000_000_000;

impl WeightBudget {
    /// A full bucket of `per_minute` weight at time `now_ns`.
    pub fn new(per_minute: u32, now_ns: i64) -> Self {
        let per_minute = u64::from(per_minute.max(1));
        Self {
            per_minute,
            tokens: u128::from(per_minute) * NS_PER_MINUTE,
            last_ns: now_ns,
            paused_until_ns: i64::MIN,
        }
    }

    fn refill(&mut self, now_ns: i64) {
        let elapsed = u128::try_from(now_ns.saturating_sub(self.last_ns)).unwrap_or(0);
        let full = u128::from(self.per_minute) * NS_PER_MINUTE;
        self.tokens = (self.tokens + elapsed * u128::from(self.per_minute)).min(full);
        self.last_ns = self.last_ns.max(now_ns);
    }

    /// Takes `weight` if the budget allows a request at `now_ns`; otherwise returns how long
    /// to wait before it will.
    pub fn try_take(&mut self, weight: u32, now_ns: i64) -> Result<(), Duration> {
        if now_ns < self.paused_until_ns {
            return Err(ns(self.paused_until_ns - now_ns));
        }
        self.refill(now_ns);
        // A request heavier than the whole budget waits for a full bucket.
        let need = u128::from(u64::from(weight).min(self.per_minute)) * NS_PER_MINUTE;
        if self.tokens >= need {
            self.tokens -= need;
            return Ok(());
        }
        let missing_ns = (need - self.tokens).div_ceil(u128::from(self.per_minute));
        Err(ns(i64::try_from(missing_ns).unwrap_or(i64::MAX)))
    }

    /// The venue said to back off (HTTP 429/418 `Retry-After`): nothing is sent before
    /// `now_ns + wait`, and the bucket is emptied now, so requests resume at the refill rate
    /// rather than in a burst.
    pub fn pause(&mut self, wait: Duration, now_ns: i64) {
        let wait = i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX);
        self.paused_until_ns = self.paused_until_ns.max(now_ns.saturating_add(wait));
        self.refill(now_ns);
        self.tokens = 0;
    }
}

fn ns(n: i64) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn spends_then_refills_at_the_rate() {
        let mut b = WeightBudget::new(600, 0); // 10 weight per second
        for _ in 0..12 {
            assert!(b.try_take(50, 0).is_ok());
        }
        let wait = b.try_take(50, 0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(5));
        assert!(b.try_take(50, 4 * SEC).is_err());
        assert!(b.try_take(50, 5 * SEC).is_ok());
    }

    #[test]
    fn weight_over_a_window_never_exceeds_the_budget() {
        // Greedy requests for 10 virtual minutes: the weight sent in any minute stays within
        // one bucket plus one minute of refill.
        let mut b = WeightBudget::new(1200, 0);
        let mut sent = Vec::new();
        let mut now = 0;
        while now < 600 * SEC {
            match b.try_take(250, now) {
                Ok(()) => sent.push(now),
                Err(wait) => now += i64::try_from(wait.as_nanos()).unwrap(),
            }
        }
        for (i, &t) in sent.iter().enumerate() {
            let in_minute = sent[i..].iter().take_while(|&&u| u < t + 60 * SEC).count();
            assert!(in_minute as u64 * 250 <= 2 * 1200, "{in_minute} requests in a minute");
        }
        // Steady state: 1200 weight a minute is 4.8 requests of 250.
        assert!(sent.len() >= 48 && sent.len() <= 54, "{}", sent.len());
    }

    #[test]
    fn retry_after_pauses_everything() {
        let mut b = WeightBudget::new(6000, 0); // 100 weight per second
        b.pause(Duration::from_secs(3), SEC);
        assert_eq!(b.try_take(1, 2 * SEC).unwrap_err(), Duration::from_secs(2));
        // Three seconds of refill since the pause, not a full bucket.
        assert!(b.try_take(300, 4 * SEC).is_ok());
        assert!(b.try_take(50, 4 * SEC).is_err());
    }
}
