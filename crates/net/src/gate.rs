//! One venue's connection-rate limit, shared by every connection a process opens to it (the
//! venues limit connection attempts per IP: Binance 300 per 5 minutes, OKX 3 a second, ...).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Spaces connection attempts to one venue by at least an interval, whichever connection (and
/// whichever runtime) makes them. Clones share the limit.
#[derive(Debug, Clone)]
pub struct ConnectGate {
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
}

impl ConnectGate {
    /// Attempts at least `interval` apart (the venue's [`crate::Protocol::min_connect_interval`]).
    pub fn new(interval: Duration) -> Self {
        ConnectGate { interval, next: Arc::new(Mutex::new(None)) }
    }

    /// Waits for this connection's turn, and takes it.
    pub(crate) async fn wait_turn(&self) {
        let mut next = self.next.lock().await;
        let now = Instant::now();
        let at = next.map_or(now, |at| at.max(now));
        *next = Some(at + self.interval);
        drop(next);
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn attempts_are_spaced_whoever_makes_them() {
        let gate = ConnectGate::new(Duration::from_millis(500));
        let start = Instant::now();
        let turns: Vec<_> = (0..4)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.wait_turn().await;
                    Instant::now()
                })
            })
            .collect();
        let mut at = Vec::new();
        for turn in turns {
            at.push(turn.await.map_or(Duration::ZERO, |t| t - start));
        }
        at.sort();
        assert_eq!(at, [0, 500, 1000, 1500].map(Duration::from_millis));
    }
}
