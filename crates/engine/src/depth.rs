//! Latest-value depth readers: each instrument's best [`DEPTH_LEVELS`] levels a side as of the
//! last view published while Live, with the book's state, readable from any thread without
//! blocking the ingest loop (the same cell as [`crate::TopReader`]'s, wider).
//!
//! Like the top of book, a book that goes Stale keeps its last good levels visible, marked
//! Stale; a reader never sees levels of a book mid-rebuild, because the loop writes the cell
//! only after a message has been applied to a Live book.

use depthbook_core::{Book, Price, Qty, Side};
use depthbook_latest::{Reader, Writer};
use depthbook_venues::{InstrumentId, Integrity};

use crate::latest::{state_bits, state_of};
use crate::publish::TopOfBook;
use crate::state::BookState;

/// Levels a side a [`DepthView`] holds.
pub const DEPTH_LEVELS: usize = 20;

/// Header words: state bits, generation, sequence, receive time, level counts (with the
/// integrity and crossed flag), gap ids (2).
const HEADER: usize = 7;
/// Price scales, eight to a word.
const SCALE_WORDS: usize = (2 * DEPTH_LEVELS).div_ceil(8);
const WORDS: usize = HEADER + 4 * DEPTH_LEVELS + SCALE_WORDS;
const HAS_SEQ: u64 = 1 << 40;
// In word 4, above the two level counts.
const INTEGRITY_SHIFT: u32 = 16;
const CROSSED: u64 = 1 << 18;

/// The best levels of one book, as of its last view published while Live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthView {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The book's state now.
    pub state: BookState,
    /// A snapshot has been asked for and not yet received.
    pub resync_in_flight: bool,
    /// The generation of the book the levels are from (0: never Live yet, no levels).
    pub generation: u64,
    /// The venue's sequence of the last message applied then.
    pub seq: Option<i64>,
    /// When that message's frame was received, in ns.
    pub recv_ns: i64,
    /// What was checked on that message.
    pub integrity: Integrity,
    /// Whether the levels are crossed (best bid at or above best ask).
    pub crossed: bool,
    bids: [(Price, Qty); DEPTH_LEVELS],
    asks: [(Price, Qty); DEPTH_LEVELS],
    n_bids: usize,
    n_asks: usize,
}

impl DepthView {
    /// Whether the book is Live: its levels are the venue's book as of its last message.
    pub const fn is_live(&self) -> bool {
        self.state.is_live()
    }

    /// Whether the levels may be traded on: the book is Live and not crossed.
    pub const fn is_tradeable(&self) -> bool {
        self.state.is_live() && !self.crossed
    }

    /// Bids, best first (at most [`DEPTH_LEVELS`]).
    pub fn bids(&self) -> &[(Price, Qty)] {
        &self.bids[..self.n_bids]
    }

    /// Asks, best first.
    pub fn asks(&self) -> &[(Price, Qty)] {
        &self.asks[..self.n_asks]
    }

    /// One side, best first.
    pub fn side(&self, side: Side) -> &[(Price, Qty)] {
        match side {
            Side::Bid => self.bids(),
            Side::Ask => self.asks(),
        }
    }
}

/// A reader of one instrument's [`DepthView`]. `Clone`, `Send`, `Sync`.
#[derive(Debug, Clone)]
pub struct DepthReader {
    instrument: InstrumentId,
    cell: Reader<WORDS>,
}

impl DepthReader {
    /// The instrument read.
    pub fn instrument(&self) -> InstrumentId {
        self.instrument
    }

    /// The latest levels and state, whole.
    pub fn read(&self) -> DepthView {
        decode(self.instrument, &self.cell.read())
    }
}

/// The ingest loop's side of one instrument's depth cell.
#[derive(Debug)]
pub(crate) struct DepthWriter {
    cell: Writer<WORDS>,
    words: [u64; WORDS],
}

impl DepthWriter {
    /// A cell showing `book` as of `last` (its last view, while it is Live), else no levels.
    pub(crate) fn new(
        instrument: InstrumentId,
        book: &Book,
        state: BookState,
        resync: bool,
        last: Option<&TopOfBook>,
    ) -> (Self, DepthReader) {
        let mut words = [0u64; WORDS];
        if let Some(view) = last {
            levels(&mut words, book, view);
        }
        set_state(&mut words, state, resync);
        let (cell, reader) = depthbook_latest::cell(words);
        (Self { cell, words }, DepthReader { instrument, cell: reader })
    }

    pub(crate) fn reader(&self, instrument: InstrumentId) -> DepthReader {
        DepthReader { instrument, cell: self.cell.reader() }
    }

    /// `view` of the Live `book` was published.
    pub(crate) fn published(&mut self, book: &Book, view: &TopOfBook) {
        levels(&mut self.words, book, view);
        set_state(&mut self.words, BookState::Live, false);
        self.cell.write(&self.words);
    }

    /// The book's state or resync flag changed; its last good levels stay.
    pub(crate) fn state(&mut self, state: BookState, resync: bool) {
        let before = (self.words[0], self.words[5], self.words[6]);
        set_state(&mut self.words, state, resync);
        if before != (self.words[0], self.words[5], self.words[6]) {
            self.cell.write(&self.words);
        }
    }
}

fn set_state(w: &mut [u64; WORDS], state: BookState, resync: bool) {
    let mut gap = [0u64; 2];
    let bits = state_bits(state, resync, &mut gap);
    w[0] = (w[0] & HAS_SEQ) | bits;
    (w[5], w[6]) = (gap[0], gap[1]);
}

/// The book's best levels, as of its view `view`, into the words (state bits kept).
fn levels(w: &mut [u64; WORDS], book: &Book, view: &TopOfBook) {
    w[0] = if view.seq.is_some() { w[0] | HAS_SEQ } else { w[0] & !HAS_SEQ };
    (w[1], w[2], w[3]) = (view.generation, view.seq.unwrap_or(0) as u64, view.recv_ns as u64);
    let mut counts = [0u64; 2];
    for (s, side) in [Side::Bid, Side::Ask].into_iter().enumerate() {
        for (i, level) in book.side(side).iter().take(DEPTH_LEVELS).enumerate() {
            let slot = s * DEPTH_LEVELS + i;
            w[HEADER + 2 * slot] = level.price.mantissa() as u64;
            w[HEADER + 2 * slot + 1] = level.qty.raw() as u64;
            let (word, shift) = (HEADER + 4 * DEPTH_LEVELS + slot / 8, (slot % 8) * 8);
            w[word] = (w[word] & !(0xff << shift)) | u64::from(level.price.scale()) << shift;
            counts[s] += 1;
        }
    }
    w[4] = counts[0]
        | counts[1] << 8
        | u64::from(view.integrity.code()) << INTEGRITY_SHIFT
        | if view.crossed { CROSSED } else { 0 };
}

fn decode(instrument: InstrumentId, w: &[u64; WORDS]) -> DepthView {
    let (state, resync_in_flight) = state_of(w[0], [w[5], w[6]]);
    let mut view = DepthView {
        instrument,
        state,
        resync_in_flight,
        generation: w[1],
        seq: (w[0] & HAS_SEQ != 0).then_some(w[2] as i64),
        recv_ns: w[3] as i64,
        integrity: Integrity::from_code((w[4] >> INTEGRITY_SHIFT) as u8),
        crossed: w[4] & CROSSED != 0,
        bids: [(Price::ZERO, Qty::ZERO); DEPTH_LEVELS],
        asks: [(Price::ZERO, Qty::ZERO); DEPTH_LEVELS],
        n_bids: 0,
        n_asks: 0,
    };
    let counts = [(w[4] & 0xff) as usize, ((w[4] >> 8) & 0xff) as usize];
    for (s, &count) in counts.iter().enumerate() {
        let mut n = 0;
        for i in 0..count.min(DEPTH_LEVELS) {
            let slot = s * DEPTH_LEVELS + i;
            let scale = (w[HEADER + 4 * DEPTH_LEVELS + slot / 8] >> ((slot % 8) * 8)) as u8;
            // Only levels this module encoded from a book are decoded: these cannot fail.
            let (Ok(price), Ok(qty)) = (
                Price::new(w[HEADER + 2 * slot] as i64, scale),
                Qty::from_raw(w[HEADER + 2 * slot + 1] as i64),
            ) else {
                break;
            };
            if s == 0 {
                view.bids[n] = (price, qty)
            } else {
                view.asks[n] = (price, qty)
            }
            n += 1;
        }
        if s == 0 { view.n_bids = n } else { view.n_asks = n }
    }
    view
}
