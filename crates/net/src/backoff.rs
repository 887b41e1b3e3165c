//! Reconnect and resync spacing: exponential backoff with full jitter and a cap.

use std::time::Duration;

/// Exponential backoff with full jitter: attempt `n` waits a uniformly random time in
/// `[0, min(cap, base * 2^n)]`, so that many clients (or many books) that failed together do not
/// retry together. [`Backoff::reset`] goes back to the first step; the caller resets only after
/// the connection or book has stayed healthy for a while, never on a mere TCP connect.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// Steps from `base` doubling up to `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self { base, cap: cap.max(base), attempt: 0, rng: fastrand::Rng::new() }
    }

    /// The same with a fixed jitter seed (tests).
    pub fn with_seed(base: Duration, cap: Duration, seed: u64) -> Self {
        Self { rng: fastrand::Rng::with_seed(seed), ..Self::new(base, cap) }
    }

    /// The upper bound of the next wait, before jitter.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next wait; each call doubles the ceiling until the cap. Never less than 1 ms, so a
    /// retry loop always yields.
    pub fn next_wait(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(self.rng.u64(0..=nanos)).max(Duration::from_millis(1))
    }

    /// Failures since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Back to the first step.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_under_a_doubling_ceiling_and_the_cap() {
        let mut b = Backoff::with_seed(Duration::from_millis(500), Duration::from_secs(30), 7);
        let mut ceilings = Vec::new();
        for _ in 0..12 {
            let ceiling = b.ceiling();
            let wait = b.next_wait();
            assert!(wait <= ceiling && wait >= Duration::from_millis(1));
            ceilings.push(ceiling.as_millis());
        }
        assert_eq!(&ceilings[..8], &[500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(b.attempts(), 12);
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(500));
    }

    #[test]
    fn jitter_spreads_waits() {
        let mut b = Backoff::with_seed(Duration::from_secs(10), Duration::from_secs(10), 1);
        let waits: Vec<_> = (0..50).map(|_| b.next_wait()).collect();
        let min = waits.iter().min().unwrap();
        let max = waits.iter().max().unwrap();
        assert!(*max - *min > Duration::from_secs(5), "full jitter spreads over the range");
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let mut b = Backoff::with_seed(Duration::from_secs(1), Duration::from_secs(60), 3);
        for _ in 0..100 {
            assert!(b.next_wait() <= Duration::from_secs(60));
        }
    }
}
