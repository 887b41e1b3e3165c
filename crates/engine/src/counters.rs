//! What the engine counts. Counters only ever increase.

/// Engine counters (the replay contract's names, see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    /// Frames handed to the engine.
    pub frames: u64,
    /// Frames recognised as not book data (trades, tickers, heartbeats, acks, status).
    pub skipped: u64,
    /// Book events decoded.
    pub events: u64,
    /// Book messages applied to a Live book: deltas, snapshots, and the buffered deltas a REST
    /// snapshot is bridged with as it makes its book Live.
    pub applied: u64,
    /// Sequence breaks detected, failed bridges included.
    pub gaps: u64,
    /// Checksums that matched.
    pub checksums_verified: u64,
    /// Checksums that did not match.
    pub checksum_failures: u64,
    /// Books that returned to Live after being Stale.
    pub resyncs: u64,
    /// Frames rejected by the decoder.
    pub decode_errors: u64,
    /// Messages after which a book was crossed (best bid >= best ask).
    pub crossed: u64,
    /// Levels evicted by the per-side cap.
    pub evicted: u64,
    /// Views published.
    pub published: u64,
    /// Buffered deltas dropped because the buffer was full (the newest are kept).
    pub buffer_overflows: u64,
    /// Views a full consumer channel did not take.
    pub views_dropped: u64,
    /// Breaks of a continuity the venue is only observed to keep (Bitget `pseq`): applied,
    /// the book kept Live, and counted so the assumption is checked.
    pub unconfirmed_breaks: u64,
    /// Books made Stale, their memory given back, because a message for them took the engine
    /// over its memory budget.
    pub over_budget: u64,
    /// Deltas a Live book already held (a repeated or older message by the venue's sequence):
    /// dropped, the book kept Live.
    pub repeats: u64,
    /// Consumers cut off because their channel was full of state changes when another came
    /// (state changes are never dropped; the consumer's channel ends instead).
    pub consumers_cut: u64,
}

impl Counters {
    /// Every counter with its name (the replay contract's), in declaration order.
    pub fn fields(&self) -> [(&'static str, u64); 18] {
        [
            ("frames", self.frames),
            ("skipped", self.skipped),
            ("events", self.events),
            ("applied", self.applied),
            ("gaps", self.gaps),
            ("checksums_verified", self.checksums_verified),
            ("checksum_failures", self.checksum_failures),
            ("resyncs", self.resyncs),
            ("decode_errors", self.decode_errors),
            ("crossed", self.crossed),
            ("evicted", self.evicted),
            ("published", self.published),
            ("buffer_overflows", self.buffer_overflows),
            ("views_dropped", self.views_dropped),
            ("unconfirmed_breaks", self.unconfirmed_breaks),
            ("over_budget", self.over_budget),
            ("repeats", self.repeats),
            ("consumers_cut", self.consumers_cut),
        ]
    }

    /// The first counter that is lower here than in `earlier`, if any: counters only increase,
    /// so `Some` is a bug.
    pub fn went_backwards_from(&self, earlier: &Counters) -> Option<&'static str> {
        self.fields()
            .iter()
            .zip(earlier.fields())
            .find(|(now, then)| now.1 < then.1)
            .map(|(f, _)| f.0)
    }
}
