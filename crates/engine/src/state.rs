//! Book states and why a book is not trusted.

/// Why a book is stale. Each reason leads to the same action: stop publishing, request a resync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaleReason {
    /// A message was lost: the sequence rule expected `expected` and found `got`.
    Gap {
        /// The id the rule expected.
        expected: i64,
        /// The id the message carried.
        got: i64,
    },
    /// The venue's checksum did not match the book after a message.
    ChecksumMismatch,
    /// A book message for this instrument could not be decoded or applied.
    BadMessage,
    /// The connection (or the capture) was interrupted.
    Disconnect,
    /// No book data arrived for longer than the venue's cadence allows (decided by the live
    /// driver's clock, recorded in captures so a replay repeats it).
    Watchdog,
    /// The engine went over its memory budget ([`crate::EngineConfig::max_heap_bytes`]) with
    /// a message for this book: its memory was given back, and it must be rebuilt.
    MemoryBudget,
    /// A side that had evicted levels past the per-side cap lost every level it kept: what the
    /// venue holds there is unknown ([`depthbook_core::Book::exhausted`]).
    DepthExhausted,
    /// A replicated book's source (a bus publisher) lost changes of it, or the chain of its
    /// changes broke on the way (see [`crate::Engine::replicate_delta`]).
    Upstream,
}

impl StaleReason {
    /// A short machine-readable name.
    pub const fn name(self) -> &'static str {
        match self {
            StaleReason::Gap { .. } => "gap",
            StaleReason::ChecksumMismatch => "checksum",
            StaleReason::BadMessage => "bad_message",
            StaleReason::Disconnect => "disconnect",
            StaleReason::Watchdog => "watchdog",
            StaleReason::MemoryBudget => "memory_budget",
            StaleReason::DepthExhausted => "depth_exhausted",
            StaleReason::Upstream => "upstream",
        }
    }
}

/// The state of one book (design.md, "Book states").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookState {
    /// No trusted book yet; deltas of REST-snapshot venues are buffered.
    AwaitingSnapshot,
    /// The book is the venue's book as of its last applied message. Only Live books publish.
    Live,
    /// The book was Live and is no longer trusted; a resync is needed.
    Stale(StaleReason),
}

impl BookState {
    /// Whether the book may be published.
    pub const fn is_live(self) -> bool {
        matches!(self, BookState::Live)
    }
}

/// A book needs a fresh snapshot: what the live driver acts on (REST re-fetch with bridging, or
/// unsubscribe + subscribe), by the venue's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRequest {
    /// The instrument.
    pub instrument: depthbook_venues::InstrumentId,
    /// Why: `None` for a book awaiting its first snapshot with no fault to report (a REST
    /// venue's stream has started and needs a snapshot to bridge); else the fault that made the
    /// book want one: the reason it went Stale, or, on a stream venue, a fault met before its
    /// first snapshot (a bad message).
    pub reason: Option<StaleReason>,
}
