//! The live loop's counters and latencies through the `metrics` facade: whichever recorder the
//! application installs (the CLI's `--metrics` installs a Prometheus exporter) gets them. Off
//! unless [`crate::LiveConfig::metrics`] is set; then each frame costs two monotonic clock reads,
//! one wall clock read and two histogram records (no syscall: the clocks are vDSO reads).
//!
//! Exported, each labelled with `venue`:
//! - `depthbook_<counter>_total`: every engine counter (frames, applied, gaps,
//!   checksum_failures, ...) and every network counter (reconnects, rest_requests, ...), updated
//!   on each timer tick;
//! - `depthbook_live_books`: books Live now;
//! - `depthbook_apply_seconds`: time to decode, check, apply and publish one frame (histogram);
//! - `depthbook_frame_to_publish_seconds`: from the frame's receipt by the network task to its
//!   view being published (histogram; frames that publish only).

use std::time::Duration;

use depthbook_engine::Counters;
use depthbook_venues::Venue;
use metrics::{Counter, Gauge, Histogram, Unit};

use crate::counters::NetSnapshot;

/// Registered handles: recording is an atomic operation, no name lookup.
pub(crate) struct LiveMetrics {
    venue: &'static str,
    engine: Vec<Counter>,
    net: Vec<(&'static str, Counter)>,
    live_books: Gauge,
    apply: Histogram,
    to_publish: Histogram,
}

impl std::fmt::Debug for LiveMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveMetrics").field("venue", &self.venue).finish_non_exhaustive()
    }
}

impl LiveMetrics {
    pub(crate) fn new(venue: Venue) -> Self {
        let venue = venue.name();
        let counter = |name: &str| {
            let name = format!("depthbook_{name}_total");
            metrics::describe_counter!(name.clone(), Unit::Count, "depthbook counter (README)");
            metrics::counter!(name, "venue" => venue)
        };
        metrics::describe_gauge!("depthbook_live_books", Unit::Count, "books Live now");
        metrics::describe_histogram!(
            "depthbook_apply_seconds",
            Unit::Seconds,
            "time to decode, check, apply and publish one frame"
        );
        metrics::describe_histogram!(
            "depthbook_frame_to_publish_seconds",
            Unit::Seconds,
            "from a frame's receipt to its view being published"
        );
        Self {
            venue,
            engine: Counters::default().fields().iter().map(|(name, _)| counter(name)).collect(),
            net: Vec::new(),
            live_books: metrics::gauge!("depthbook_live_books", "venue" => venue),
            apply: metrics::histogram!("depthbook_apply_seconds", "venue" => venue),
            to_publish: metrics::histogram!("depthbook_frame_to_publish_seconds", "venue" => venue),
        }
    }

    /// One frame went through the engine in `apply`; if it published, `to_publish_ns` after
    /// its receipt.
    pub(crate) fn frame(&self, apply: Duration, to_publish_ns: Option<i64>) {
        self.apply.record(apply.as_secs_f64());
        if let Some(ns) = to_publish_ns {
            // Clocks of two threads: never negative in the export.
            self.to_publish.record(ns.max(0) as f64 / 1e9);
        }
    }

    /// Timer tick: the counters as they are now.
    pub(crate) fn tick(&mut self, counters: &Counters, live_books: usize, net: &NetSnapshot) {
        for (handle, (_, value)) in self.engine.iter().zip(counters.fields()) {
            handle.absolute(value);
        }
        for (name, value) in net.fields() {
            let handle = match self.net.iter().find(|(n, _)| *n == name) {
                Some((_, handle)) => handle,
                None => {
                    let full = format!("depthbook_{name}_total");
                    let handle = metrics::counter!(full, "venue" => self.venue);
                    self.net.push((name, handle));
                    &self.net[self.net.len() - 1].1
                }
            };
            handle.absolute(value);
        }
        self.live_books.set(live_books as f64);
    }
}
