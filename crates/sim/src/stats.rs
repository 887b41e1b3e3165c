//! What the server counts, readable while it runs.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Faults applied so far, by kind (see [`Faults`](crate::Faults)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Delta frames never sent.
    pub dropped: u64,
    /// Delta frames sent twice.
    pub duplicated: u64,
    /// Delta frames held back and sent after the next one.
    pub reordered: u64,
    /// Delta frames whose size text was altered.
    pub corrupted: u64,
    /// Connections dropped without a close frame (at most one per run).
    pub disconnected: u64,
    /// Connections stalled (at most one per run).
    pub stalled: u64,
    /// Connections paused (at most one per run).
    pub paused: u64,
    /// REST requests answered 429.
    pub rest_refused: u64,
    /// REST answers delayed.
    pub rest_delayed: u64,
}

impl FaultCounts {
    /// Every fault applied.
    pub fn total(&self) -> u64 {
        self.dropped
            + self.duplicated
            + self.reordered
            + self.corrupted
            + self.disconnected
            + self.stalled
            + self.paused
            + self.rest_refused
            + self.rest_delayed
    }
}

/// A snapshot of the server's counters. Counters only increase; `open_connections` is a gauge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// WebSocket connections accepted.
    pub connections: u64,
    /// WebSocket connections open now.
    pub open_connections: u64,
    /// Book subscriptions accepted (one per symbol).
    pub subscriptions: u64,
    /// Delta frames written to clients (a frame sent to three clients counts three).
    pub frames_sent: u64,
    /// Stream snapshots written to clients.
    pub snapshots_sent: u64,
    /// REST depth requests answered 200.
    pub rest_served: u64,
    /// REST depth requests answered 429 by the `refuse_rest` fault.
    pub rest_refused: u64,
    /// Every fault applied, all kinds together (`faults.total()`).
    pub faults_applied: u64,
    /// Faults applied, by kind.
    pub faults: FaultCounts,
    /// Capture records the replay processed.
    pub replay_records: u64,
    /// Delta book frames of the global stream so far (the numbering faults use).
    pub replay_deltas: u64,
    /// Whether the replay has started (a client subscribed).
    pub replay_started: bool,
    /// Whether the replay reached the end of the capture.
    pub replay_done: bool,
}

/// The live counters behind [`SimStats`], shared by every task of one server.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connections: AtomicU64,
    pub(crate) open_connections: AtomicU64,
    pub(crate) subscriptions: AtomicU64,
    pub(crate) frames_sent: AtomicU64,
    pub(crate) snapshots_sent: AtomicU64,
    pub(crate) rest_served: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) duplicated: AtomicU64,
    pub(crate) reordered: AtomicU64,
    pub(crate) corrupted: AtomicU64,
    pub(crate) disconnected: AtomicU64,
    pub(crate) stalled: AtomicU64,
    pub(crate) paused: AtomicU64,
    pub(crate) rest_refused: AtomicU64,
    pub(crate) rest_delayed: AtomicU64,
    pub(crate) replay_records: AtomicU64,
    pub(crate) replay_deltas: AtomicU64,
    pub(crate) replay_started: AtomicBool,
    pub(crate) replay_done: AtomicBool,
}

/// Adds one to a counter.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> SimStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let faults = FaultCounts {
            dropped: get(&self.dropped),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            corrupted: get(&self.corrupted),
            disconnected: get(&self.disconnected),
            stalled: get(&self.stalled),
            paused: get(&self.paused),
            rest_refused: get(&self.rest_refused),
            rest_delayed: get(&self.rest_delayed),
        };
        SimStats {
            connections: get(&self.connections),
            open_connections: get(&self.open_connections),
            subscriptions: get(&self.subscriptions),
            frames_sent: get(&self.frames_sent),
            snapshots_sent: get(&self.snapshots_sent),
            rest_served: get(&self.rest_served),
            rest_refused: faults.rest_refused,
            faults_applied: faults.total(),
            faults,
            replay_records: get(&self.replay_records),
            replay_deltas: get(&self.replay_deltas),
            replay_started: self.replay_started.load(Ordering::Relaxed),
            replay_done: self.replay_done.load(Ordering::Relaxed),
        }
    }
}
