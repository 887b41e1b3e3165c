//! What network tasks hand to the ingest loop. They move bytes and events; they never parse a
//! book.

use bytes::Bytes;

/// Identifies one connection attempt's socket (increments on every reconnect).
pub type ConnId = u32;

/// One input to the ingest loop, in the order the loop must process it.
#[derive(Debug)]
pub enum Input {
    /// A WebSocket data frame, exactly as received.
    Frame {
        /// The connection it came on.
        conn: ConnId,
        /// Its payload (tungstenite's buffer, handed over without a copy).
        bytes: Bytes,
        /// A binary frame (text otherwise).
        binary: bool,
        /// Receive time, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// A REST snapshot response body.
    Rest {
        /// The request URL (it names the instrument).
        url: String,
        /// The body, exactly as received.
        body: Bytes,
        /// Receive time, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// A connection opened and its subscriptions were sent.
    Opened {
        /// The connection.
        conn: ConnId,
        /// Its URL.
        url: String,
        /// When, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// A message we sent (subscribe, unsubscribe), for the record.
    Sent {
        /// The connection.
        conn: ConnId,
        /// The text.
        text: String,
        /// When, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// A connection ended; every book on it is no longer trusted.
    Closed {
        /// The connection.
        conn: ConnId,
        /// Why, for people (close code and reason, error, idle timeout).
        reason: String,
        /// When, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// The clock advanced (sent periodically so timers run while the feed is quiet).
    Tick {
        /// Now, ns since the Unix epoch.
        now_ns: i64,
    },
}

/// Now, as ns since the Unix epoch (0 if the clock is before it).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
