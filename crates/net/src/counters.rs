//! What the network side counts. Shared between tasks as relaxed atomics: readable at any time
//! without stopping anything; counters only ever increase.

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! net_counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// Network counters, updated by the connection and REST tasks and the ingest loop.
        #[derive(Debug, Default)]
        pub struct NetCounters {
            $($(#[doc = $doc])* pub $name: AtomicU64,)*
        }

        /// A copy of [`NetCounters`] at one moment.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct NetSnapshot {
            $($(#[doc = $doc])* pub $name: u64,)*
        }

        impl NetCounters {
            /// The counters now.
            pub fn snapshot(&self) -> NetSnapshot {
                NetSnapshot { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }

        impl NetSnapshot {
            /// `(name, value)` pairs in declaration order, for printing.
            pub fn fields(&self) -> impl Iterator<Item = (&'static str, u64)> {
                [$((stringify!($name), self.$name),)*].into_iter()
            }
        }
    };
}

net_counters! {
    /// Connections opened.
    connects,
    /// Connection attempts that failed (DNS, TCP, TLS, handshake, timeout).
    connect_failures,
    /// Connections that ended after opening (close, error, idle timeout).
    disconnects,
    /// Connections ended because nothing arrived for the venue's dead interval.
    idle_timeouts,
    /// Frames received (text and binary).
    frames_in,
    /// Bytes of those frames.
    bytes_in,
    /// Binary frames received; from a venue that sends text only, each is rejected before the
    /// engine.
    binary_frames,
    /// Frames or messages over the size cap (the connection is dropped).
    oversized,
    /// Keepalive pings sent.
    pings_sent,
    /// Answers to the venue's own pings (HTX `{"ping":n}`) sent.
    pongs_sent,
    /// Control messages sent: subscribe, unsubscribe and keepalive pings.
    control_sent,
    /// REST snapshot requests sent.
    rest_requests,
    /// REST responses handed to the ingest loop.
    rest_ok,
    /// REST requests that failed (network error, timeout, non-2xx other than rate limits).
    rest_errors,
    /// REST responses 429/418: the venue asked us to slow down (all REST pauses).
    rest_rate_limited,
    /// Resyncs started (REST re-fetch or resubscribe).
    resyncs_started,
    /// Book watchdog firings (a Live book silent for longer than the venue's cadence).
    watchdog_fired,
    /// Commands to a connection task dropped because its queue was full.
    commands_dropped,
    /// Capture records dropped because the recorder fell behind.
    record_dropped,
}

/// Adds one.
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n`.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}
