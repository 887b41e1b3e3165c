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
}

impl StaleReason {
    /// A short machine-readable name.
    pub const fn name(self) -> &'static str {
        match self {
            StaleReason::Gap { .. } => "gap",
            StaleReason::ChecksumMismatch => "checksum",
            StaleReason::BadMessage => "bad_message",
            StaleReason::Disconnect => "disconnect",
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
