//! What a server replays and how.

use std::path::PathBuf;
use std::time::Duration;

use depthbook_venues::Venue;

use crate::error::SimError;
use crate::faults::Faults;

/// How fast the one global replay plays the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Every record as soon as the previous one was delivered. Backpressure still applies: the
    /// replay waits for each subscriber's bounded queue, so a slow client slows the replay.
    AsFastAsPossible,
    /// The capture's receive-time gaps divided by `speedup` (0 is taken as 1), each gap capped
    /// at [`ServeConfig::max_gap`] so that a long pause in the capture cannot stall a test.
    Recorded {
        /// The integer speed-up factor.
        speedup: u32,
    },
}

/// Everything [`Server::start`](crate::Server::start) needs.
///
/// Build it with [`ServeConfig::new`] and change the fields you care about; the defaults are
/// those of the real venues where they have one.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The venue whose protocol is spoken and whose frames the capture holds.
    pub venue: Venue,
    /// The capture files, merged by receive time (as `depthbook replay` reads them).
    pub files: Vec<PathBuf>,
    /// Replay speed.
    pub pace: Pace,
    /// The replay starts once this many subscriptions were made (each book symbol, and each
    /// request for a channel without data, counts one); 1, like a real exchange, by default.
    /// More lets several clients join before the first frame (tests, demos).
    pub start_after: u64,
    /// Injected faults; all off by default.
    pub faults: Faults,
    /// Binance only: a WebSocket Ping is sent this often (Binance: 20 s). Zero disables it.
    pub ping_interval: Duration,
    /// Kraken only: an idle connection gets the venue's heartbeat this often (Kraken: 1 s).
    pub heartbeat_interval: Duration,
    /// [`Pace::Recorded`] waits at most this long for any one gap.
    pub max_gap: Duration,
    /// A REST depth request waits this long for its book to be Live before answering 503.
    pub snapshot_wait: Duration,
    /// Messages queued per connection before the replay waits for it (the backpressure bound).
    pub subscriber_buffer: usize,
    /// Most symbols one connection may subscribe; more are refused with the venue's error.
    pub max_subscriptions: usize,
    /// Largest client message (and WebSocket frame) accepted, in bytes.
    pub max_client_message: usize,
    /// Longest capture line read; longer lines are cut and rejected by the decoder.
    pub max_line: usize,
    /// Kraken: the subscribed depth where the capture does not name it (as `replay --depth`).
    pub default_depth: Option<u32>,
    /// Kraken v2: price and size decimals where the capture has no instrument message (as
    /// `replay --precision`). Snapshots spell their JSON numbers with them.
    pub default_precision: Option<(u8, u8)>,
}

impl ServeConfig {
    /// Defaults for replaying `files` of `venue`: as fast as possible from the first
    /// subscription, no faults, Binance's 20 s
    /// pings, Kraken's 1 s heartbeats, gaps capped at 1 s, a 5 s wait for REST snapshots, 1024
    /// queued messages per connection, 256 subscriptions per connection, 64 KiB client
    /// messages, 16 MiB capture lines.
    pub fn new(venue: Venue, files: Vec<PathBuf>) -> Self {
        Self {
            venue,
            files,
            pace: Pace::AsFastAsPossible,
            start_after: 1,
            faults: Faults::default(),
            ping_interval: Duration::from_secs(20),
            heartbeat_interval: Duration::from_secs(1),
            max_gap: Duration::from_secs(1),
            snapshot_wait: Duration::from_secs(5),
            subscriber_buffer: 1_024,
            max_subscriptions: 256,
            max_client_message: 64 << 10,
            max_line: 16 << 20,
            default_depth: None,
            default_precision: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        if self.files.is_empty() {
            return Err(SimError::Config("no capture file"));
        }
        if self.subscriber_buffer == 0 {
            return Err(SimError::Config("subscriber_buffer must be at least 1"));
        }
        if self.max_client_message < 1_024 {
            return Err(SimError::Config("max_client_message must be at least 1024 bytes"));
        }
        if self.max_line == 0 {
            return Err(SimError::Config("max_line must be at least 1"));
        }
        Ok(())
    }
}
