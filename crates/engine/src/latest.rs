//! Latest-value readers: each instrument's last good top of book and its state, readable from
//! any thread at any time without blocking the ingest loop or being blocked by it.
//!
//! The ingest loop writes a book's cell when it publishes a view and when the book's state
//! changes; a reader gets the cell whole (see `depthbook-latest`). A book that goes Stale keeps
//! its last good top visible, marked Stale (with the reason, and whether a resync is in flight)
//! and never Live; the next snapshot's top replaces it with the next generation.

use depthbook_core::{Price, Qty};
use depthbook_latest::{Reader, Writer};
use depthbook_venues::{InstrumentId, Integrity};

use crate::publish::TopOfBook;
use crate::state::{BookState, StaleReason};

/// Words of one cell.
const WORDS: usize = 11;

/// What a latest-value reader sees of one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestTop {
    /// The book's state now.
    pub state: BookState,
    /// A snapshot has been asked for and not yet received (meaningful while not Live).
    pub resync_in_flight: bool,
    /// The last view published while the book was Live (kept, and no longer to be traded on,
    /// while it is Stale); `None` before the book was ever Live.
    pub top: Option<TopOfBook>,
}

impl LatestTop {
    /// Whether the book is Live: the top is the venue's as of its last message.
    pub const fn is_live(&self) -> bool {
        self.state.is_live()
    }

    /// Whether the top may be traded on: the book is Live and its last view is not crossed.
    pub const fn is_tradeable(&self) -> bool {
        match self.top {
            Some(top) => self.state.is_live() && top.is_tradeable(),
            None => false,
        }
    }
}

/// A reader of one instrument's [`LatestTop`]. `Clone`, `Send`, `Sync`; reading never blocks
/// the ingest loop.
#[derive(Debug, Clone)]
pub struct TopReader {
    instrument: InstrumentId,
    cell: Reader<WORDS>,
}

impl TopReader {
    /// The instrument read.
    pub fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// The latest state and top, whole.
    pub fn read(&self) -> LatestTop {
        decode(self.instrument, &self.cell.read())
    }
}

/// The ingest loop's side of one instrument's cell.
#[derive(Debug)]
pub(crate) struct TopWriter {
    cell: Writer<WORDS>,
    last: LatestTop,
}

impl TopWriter {
    pub(crate) fn new(instrument: InstrumentId, initial: LatestTop) -> (Self, TopReader) {
        let (cell, reader) = depthbook_latest::cell(encode(&initial));
        (Self { cell, last: initial }, TopReader { instrument, cell: reader })
    }

    pub(crate) fn reader(&self, instrument: InstrumentId) -> TopReader {
        TopReader { instrument, cell: self.cell.reader() }
    }

    /// A view was published of the Live book.
    pub(crate) fn published(&mut self, top: TopOfBook) {
        self.set(LatestTop { state: BookState::Live, resync_in_flight: false, top: Some(top) });
    }

    /// The book's state or resync flag changed; its last good top stays.
    pub(crate) fn state(&mut self, state: BookState, resync_in_flight: bool) {
        let next = LatestTop { state, resync_in_flight, ..self.last };
        if next != self.last {
            self.set(next);
        }
    }

    fn set(&mut self, next: LatestTop) {
        self.last = next;
        self.cell.write(&encode(&next));
    }
}

// Word 0 holds flags and small fields.
const HAS_TOP: u64 = 1;
const HAS_BID: u64 = 1 << 1;
const HAS_ASK: u64 = 1 << 2;
const CROSSED: u64 = 1 << 3;
const HAS_SEQ: u64 = 1 << 4;
const HAS_EXCHANGE_MS: u64 = 1 << 5;
const RESYNC: u64 = 1 << 6;
const STATE_SHIFT: u32 = 8;
const REASON_SHIFT: u32 = 16;
const BID_SCALE_SHIFT: u32 = 24;
const ASK_SCALE_SHIFT: u32 = 32;
const INTEGRITY_SHIFT: u32 = 40;

/// A state and resync flag as word-0 bits, the gap's ids going in `gap`.
pub(crate) fn state_bits(state: BookState, resync_in_flight: bool, gap: &mut [u64; 2]) -> u64 {
    let (code, reason) = match state {
        BookState::AwaitingSnapshot => (0, 0),
        BookState::Live => (1, 0),
        BookState::Stale(reason) => (2, reason_code(reason, gap)),
    };
    let resync = if resync_in_flight { RESYNC } else { 0 };
    code << STATE_SHIFT | reason << REASON_SHIFT | resync
}

/// The state and resync flag of [`state_bits`]' word and gap ids.
pub(crate) fn state_of(bits: u64, gap: [u64; 2]) -> (BookState, bool) {
    let reason = match (bits >> REASON_SHIFT) as u8 {
        0 => StaleReason::Gap { expected: gap[0] as i64, got: gap[1] as i64 },
        1 => StaleReason::ChecksumMismatch,
        2 => StaleReason::BadMessage,
        3 => StaleReason::Disconnect,
        4 => StaleReason::Watchdog,
        5 => StaleReason::MemoryBudget,
        6 => StaleReason::DepthExhausted,
        _ => StaleReason::Upstream,
    };
    let state = match (bits >> STATE_SHIFT) as u8 {
        1 => BookState::Live,
        2 => BookState::Stale(reason),
        _ => BookState::AwaitingSnapshot,
    };
    (state, bits & RESYNC != 0)
}

fn encode(latest: &LatestTop) -> [u64; WORDS] {
    let mut w = [0u64; WORDS];
    let mut gap = [0u64; 2];
    w[0] = state_bits(latest.state, latest.resync_in_flight, &mut gap);
    (w[9], w[10]) = (gap[0], gap[1]);
    if let Some(top) = latest.top {
        w[0] |= HAS_TOP;
        w[0] |= if top.crossed { CROSSED } else { 0 };
        w[0] |= u64::from(top.integrity.code()) << INTEGRITY_SHIFT;
        w[1] = top.generation;
        if let Some(seq) = top.seq {
            w[0] |= HAS_SEQ;
            w[2] = seq as u64;
        }
        if let Some(ms) = top.exchange_ms {
            w[0] |= HAS_EXCHANGE_MS;
            w[3] = ms as u64;
        }
        w[4] = top.recv_ns as u64;
        if let Some((price, qty)) = top.bid {
            w[0] |= HAS_BID | u64::from(price.scale()) << BID_SCALE_SHIFT;
            (w[5], w[6]) = (price.mantissa() as u64, qty.raw() as u64);
        }
        if let Some((price, qty)) = top.ask {
            w[0] |= HAS_ASK | u64::from(price.scale()) << ASK_SCALE_SHIFT;
            (w[7], w[8]) = (price.mantissa() as u64, qty.raw() as u64);
        }
    }
    w
}

/// The reason's code; a gap's ids go in `gap`.
fn reason_code(reason: StaleReason, gap: &mut [u64; 2]) -> u64 {
    match reason {
        StaleReason::Gap { expected, got } => {
            *gap = [expected as u64, got as u64];
            0
        }
        StaleReason::ChecksumMismatch => 1,
        StaleReason::BadMessage => 2,
        StaleReason::Disconnect => 3,
        StaleReason::Watchdog => 4,
        StaleReason::MemoryBudget => 5,
        StaleReason::DepthExhausted => 6,
        StaleReason::Upstream => 7,
    }
}

fn decode(instrument: InstrumentId, w: &[u64; WORDS]) -> LatestTop {
    let flag = |f: u64| w[0] & f != 0;
    let byte = |shift: u32| (w[0] >> shift) as u8;
    let (state, resync_in_flight) = state_of(w[0], [w[9], w[10]]);
    // Only values this module encoded are ever decoded: the conversions cannot fail.
    let level = |has: u64, scale_shift: u32, price: u64, qty: u64| {
        if !flag(has) {
            return None;
        }
        let price = Price::new(price as i64, byte(scale_shift)).ok()?;
        Some((price, Qty::from_raw(qty as i64).ok()?))
    };
    let top = flag(HAS_TOP).then(|| TopOfBook {
        instrument,
        seq: flag(HAS_SEQ).then_some(w[2] as i64),
        exchange_ms: flag(HAS_EXCHANGE_MS).then_some(w[3] as i64),
        recv_ns: w[4] as i64,
        bid: level(HAS_BID, BID_SCALE_SHIFT, w[5], w[6]),
        ask: level(HAS_ASK, ASK_SCALE_SHIFT, w[7], w[8]),
        generation: w[1],
        crossed: flag(CROSSED),
        integrity: Integrity::from_code(byte(INTEGRITY_SHIFT)),
    });
    LatestTop { state, resync_in_flight, top }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(bid: Option<(&str, &str)>, ask: Option<(&str, &str)>) -> TopOfBook {
        let level = |l: Option<(&str, &str)>| {
            l.map(|(p, q)| (Price::parse(p).unwrap().0, Qty::parse(q).unwrap().0))
        };
        TopOfBook {
            instrument: 7,
            seq: Some(-3),
            exchange_ms: None,
            recv_ns: i64::MAX,
            bid: level(bid),
            ask: level(ask),
            generation: 42,
            crossed: true,
            integrity: Integrity::Checksummed,
        }
    }

    #[test]
    fn every_state_and_top_round_trips_through_the_words() {
        let tops = [
            None,
            Some(top(Some(("0.000000000000000001", "123456789.12345678")), None)),
            Some(top(None, Some(("-12.5", "0")))),
            Some(top(Some(("9999999997.00000", "1e-18")), Some(("9999999999", "1")))),
        ];
        let states = [
            BookState::AwaitingSnapshot,
            BookState::Live,
            BookState::Stale(StaleReason::Gap { expected: i64::MIN, got: i64::MAX }),
            BookState::Stale(StaleReason::ChecksumMismatch),
            BookState::Stale(StaleReason::BadMessage),
            BookState::Stale(StaleReason::Disconnect),
            BookState::Stale(StaleReason::Watchdog),
            BookState::Stale(StaleReason::MemoryBudget),
            BookState::Stale(StaleReason::DepthExhausted),
        ];
        for (i, mut top) in tops.into_iter().enumerate() {
            if let Some(top) = &mut top {
                top.integrity = Integrity::ALL[i % Integrity::ALL.len()];
            }
            for state in states {
                for resync_in_flight in [false, true] {
                    let latest = LatestTop { state, resync_in_flight, top };
                    assert_eq!(decode(7, &encode(&latest)), latest);
                }
            }
        }
    }
}
