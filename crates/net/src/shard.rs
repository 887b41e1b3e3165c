//! Many books in one process: each venue's symbols split into connections within the venue's
//! limits, connections dealt to shards, and each shard's loops driven on one thread.
//!
//! A connection is a [`Live`] loop with its own engine (so a connection-wide numbering, a
//! disconnect or a resync concerns only its own books). A [`Shard`] drives several of them on
//! the thread that owns their books: it takes what each has, in turn, and parks only when none
//! has anything (every loop's next input unparks it). Their network tasks share one runtime
//! of one worker thread per shard, and a venue's connection attempts share one
//! [`ConnectGate`] across the process.

use std::collections::HashMap;
use std::time::Duration;

use depthbook_venues::Venue;
use tokio::runtime::Runtime;

use crate::error::NetError;
use crate::gate::ConnectGate;
use crate::live::{Live, LiveConfig, Step, network_runtime};
use crate::protocol::Protocol;

/// Inputs taken from one loop before the next one's turn.
const BATCH: usize = 64;
/// Empty rounds over every loop before the shard parks.
const SPINS_BEFORE_PARK: u32 = 64;
/// Longest park: every loop's timer ticks more often anyway.
const PARK_AT_MOST: Duration = Duration::from_millis(100);

/// Splits `config`'s symbols into connections of at most `per_connection` symbols (the venue's
/// [`Protocol::max_instruments`] at most), in order: one [`LiveConfig`] each, the rest of the
/// configuration copied.
///
/// # Errors
/// The venue's market or book channel does not exist.
pub fn split_connections(
    config: &LiveConfig,
    per_connection: Option<usize>,
) -> Result<Vec<LiveConfig>, NetError> {
    let protocol =
        Protocol::of_market(config.venue, config.market)?.with_channel(config.channel)?;
    let per = per_connection.unwrap_or(usize::MAX).min(protocol.max_instruments).max(1);
    Ok(config
        .symbols
        .chunks(per)
        .map(|symbols| LiveConfig { symbols: symbols.to_vec(), ..config.clone() })
        .collect())
}

/// Deals `connections` to `shards` shards (at least one), each to the one with the fewest
/// symbols so far, the largest connections first; every connection of a venue shares one
/// [`ConnectGate`] at the venue's connection rate.
pub fn deal(mut connections: Vec<LiveConfig>, shards: usize) -> Vec<Vec<LiveConfig>> {
    let mut gates: HashMap<Venue, ConnectGate> = HashMap::new();
    for config in &mut connections {
        let interval = Protocol::of_market(config.venue, config.market)
            .map_or(Duration::from_secs(1), |p| p.min_connect_interval);
        let gate = gates.entry(config.venue).or_insert_with(|| ConnectGate::new(interval));
        config.connect_gate = Some(gate.clone());
    }
    connections.sort_by_key(|c| std::cmp::Reverse(c.symbols.len()));
    let mut dealt: Vec<Vec<LiveConfig>> = (0..shards.max(1)).map(|_| Vec::new()).collect();
    let mut load = vec![0usize; dealt.len()];
    for config in connections {
        let (least, _) = load.iter().enumerate().min_by_key(|&(_, n)| *n).unwrap_or((0, &0));
        load[least] += config.symbols.len();
        dealt[least].push(config);
    }
    dealt.retain(|shard| !shard.is_empty());
    dealt
}

/// Several live loops on one thread (see the module docs).
#[derive(Debug)]
pub struct Shard {
    lives: Vec<Live>,
    runtime: Option<Runtime>,
    idle_rounds: u32,
}

impl Shard {
    /// Starts one loop per configuration, their network tasks on one runtime whose thread is
    /// pinned to `net_core` as far as the OS allows. Each configuration's own `runtime` and
    /// `net_core` are replaced.
    ///
    /// # Errors
    /// What [`Live::start`] refuses, for any of them (those already started are stopped).
    pub fn start(configs: Vec<LiveConfig>, net_core: Option<usize>) -> Result<Shard, NetError> {
        let runtime = network_runtime(net_core)?;
        let mut lives = Vec::with_capacity(configs.len());
        for mut config in configs {
            config.runtime = Some(runtime.handle().clone());
            config.net_core = None;
            lives.push(Live::start(config)?);
        }
        Ok(Shard { lives, runtime: Some(runtime), idle_rounds: 0 })
    }

    /// The loops, one per connection.
    pub fn lives(&self) -> &[Live] {
        &self.lives
    }

    /// The loops, to subscribe consumers to their engines.
    pub fn lives_mut(&mut self) -> &mut [Live] {
        &mut self.lives
    }

    /// Takes what every loop has (a batch each, in turn), calling `on_step` with the loop's
    /// index for each input processed; when none had anything, spins a moment and then parks
    /// until one has (at most 100 ms). Returns false once every loop has finished.
    pub fn step(&mut self, mut on_step: impl FnMut(usize, &mut Live, Step)) -> bool {
        let mut any = false;
        for (i, live) in self.lives.iter_mut().enumerate() {
            for _ in 0..BATCH {
                let Some(step) = live.try_step() else { break };
                any = true;
                on_step(i, live, step);
            }
        }
        if any {
            self.idle_rounds = 0;
            return true;
        }
        if self.lives.iter().all(Live::is_finished) {
            return false;
        }
        if self.idle_rounds < SPINS_BEFORE_PARK {
            self.idle_rounds += 1;
            std::hint::spin_loop();
            return true;
        }
        self.idle_rounds = 0;
        let mut park = true;
        for live in self.lives.iter_mut().filter(|l| !l.is_finished()) {
            if !live.arm() {
                park = false;
                break;
            }
        }
        if park {
            std::thread::park_timeout(PARK_AT_MOST);
        }
        for live in &self.lives {
            live.disarm();
        }
        true
    }

    /// Stops every loop's network tasks and finishes their captures, then the runtime.
    ///
    /// # Errors
    /// The first capture that could not be completely written (every loop is stopped anyway).
    pub fn shutdown(mut self) -> Result<(), NetError> {
        let mut result = Ok(());
        for live in self.lives.drain(..) {
            let stopped = live.shutdown();
            if result.is_ok() {
                result = stopped;
            }
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        result
    }
}

impl Drop for Shard {
    fn drop(&mut self) {
        self.lives.clear();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbols(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("S{i}-USDT")).collect()
    }

    #[test]
    fn symbols_split_within_the_venue_s_limit_and_deal_evenly() {
        let config = LiveConfig::new(Venue::Okx, symbols(10));
        let connections = split_connections(&config, Some(3)).unwrap_or_default();
        let sizes: Vec<usize> = connections.iter().map(|c| c.symbols.len()).collect();
        assert_eq!(sizes, [3, 3, 3, 1]);
        let all: Vec<String> = connections.iter().flat_map(|c| c.symbols.clone()).collect();
        assert_eq!(all, symbols(10));
        // Never above the venue's own limit, whatever is asked.
        let max = Protocol::of(Venue::Okx).max_instruments;
        let many = LiveConfig::new(Venue::Okx, symbols(max + 1));
        let split = split_connections(&many, Some(usize::MAX)).unwrap_or_default();
        assert_eq!(split.len(), 2);

        let shards = deal(connections, 2);
        let loads: Vec<usize> =
            shards.iter().map(|s| s.iter().map(|c| c.symbols.len()).sum()).collect();
        assert_eq!(loads, [6, 4]);
        assert!(shards.iter().flatten().all(|c| c.connect_gate.is_some()));
    }
}
