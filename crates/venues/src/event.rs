//! Normalized book events: what every venue decoder produces.

use std::num::NonZeroU64;
use std::ops::Range;

use depthbook_core::{LevelText, Price, Qty, Side};

use crate::symbols::InstrumentId;

/// One raw frame handed to a decoder.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// The bytes exactly as received.
    pub bytes: &'a [u8],
    /// Where they came from.
    pub origin: Origin<'a>,
}

impl<'a> Frame<'a> {
    /// A frame from a venue's stream (WebSocket, or a capture line without a URL).
    pub const fn stream(bytes: &'a [u8]) -> Self {
        Self { bytes, origin: Origin::Stream }
    }

    /// The body of a REST response, with the request URL when it is known.
    pub const fn rest(bytes: &'a [u8], url: Option<&'a str>) -> Self {
        Self { bytes, origin: Origin::Rest { url } }
    }
}

/// Where a frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A venue stream.
    Stream,
    /// A REST response body.
    Rest {
        /// The request URL, which names the instrument for venues whose body does not.
        url: Option<&'a str>,
    },
}

/// A snapshot replaces the book; a delta changes levels of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookKind {
    /// The whole book (up to the venue's depth) as of `seq.last`.
    Snapshot,
    /// Changed levels; sizes are absolute, zero deletes.
    Delta,
}

/// Sequence numbers as the venue sent them (`None` where the venue has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seq {
    /// First update id covered (Binance `U`).
    pub first: Option<i64>,
    /// Last update id covered (Binance `u`, OKX `seqId`, REST `lastUpdateId`).
    pub last: Option<i64>,
    /// The previous message's last id (Binance USD-M `pu`, OKX `prevSeqId`).
    pub prev: Option<i64>,
}

/// A checksum the venue sent with a message, to compare after applying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// Compared as a signed 32-bit integer (OKX, Bitget).
    Signed(i32),
    /// Compared as an unsigned 32-bit integer (Kraken).
    Unsigned(u32),
}

/// One changed level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelUpdate {
    /// The side.
    pub side: Side,
    /// The price.
    pub price: Price,
    /// The new absolute size; zero deletes.
    pub qty: Qty,
    /// How the venue spelled price and size.
    pub text: LevelText,
    /// For a book published order by order (Bitfinex raw books): the order this update
    /// places, changes or (with a zero size) removes; the level's size is then the sum of its
    /// orders. `None` for a price-level update.
    pub order: Option<NonZeroU64>,
}

/// One book message for one instrument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEvent {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Snapshot or delta.
    pub kind: BookKind,
    /// The venue's sequence numbers.
    pub seq: Seq,
    /// The checksum to verify after applying, if the venue sent a meaningful one.
    pub checksum: Option<Checksum>,
    /// The event's levels: a range of [`Decoded::levels`], in the order the venue sent them.
    pub levels: Range<usize>,
    /// The venue's event time in milliseconds since the epoch, if sent.
    pub exchange_ms: Option<i64>,
    /// The subscribed depth named by the message itself (Kraken v1's `book-1000` channel).
    pub depth: Option<u32>,
    /// The sequence rule of this message's stream where the venue has several (Bybit's
    /// `orderbook.full` is REST-bridged and strict, its other depths are not); `None`: the
    /// venue's own ([`crate::Venue::seq_rule`]).
    pub rule: Option<crate::SeqRule>,
}

/// What a frame turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrameKind {
    /// Book data: see [`Decoded::events`].
    #[default]
    Book,
    /// Not book data (trades, tickers, heartbeats, acks, status); the reason names the kind.
    NotBook(&'static str),
}

/// The reusable output of one decode call. Its vectors keep their capacity from frame to frame,
/// so decoding allocates nothing in steady state.
#[derive(Debug, Default)]
pub struct Decoded {
    /// What the frame was.
    pub kind: FrameKind,
    /// The book messages in the frame, in order.
    pub events: Vec<BookEvent>,
    /// The levels of all events.
    pub levels: Vec<LevelUpdate>,
    /// On error: the instrument whose book message could not be decoded, if it was identified
    /// (the events before it in `events`, also lost with the frame: see
    /// [`Decoded::named_instruments`]).
    pub failed_instrument: Option<InstrumentId>,
    /// The connection-wide sequence number the frame carried, on venues that number every
    /// message of a connection ([`crate::SeqRule::Connection`]: Coinbase `sequence_num`,
    /// Bitfinex SEQ_ALL), book data or not.
    pub conn_seq: Option<i64>,
}

impl Decoded {
    /// Every instrument the frame's book messages named, as far as decoding got: the events
    /// decoded, then (after an error) the one being decoded. Repeats possible. A frame is
    /// rejected whole, so on an error each of these books lost a message.
    pub fn named_instruments(&self) -> impl Iterator<Item = InstrumentId> + '_ {
        self.events.iter().map(|event| event.instrument).chain(self.failed_instrument)
    }

    /// Clears the output for the next frame, keeping capacity.
    pub fn clear(&mut self) {
        self.kind = FrameKind::Book;
        self.events.clear();
        self.levels.clear();
        self.failed_instrument = None;
        self.conn_seq = None;
    }

    /// Gives back what an outlier frame made the output keep: levels beyond `retain_levels`
    /// (and events beyond as many). Never allocates while within them.
    pub fn trim(&mut self, retain_levels: usize) {
        if self.levels.capacity() > retain_levels {
            self.levels.clear();
            self.levels.shrink_to(retain_levels);
        }
        if self.events.capacity() > retain_levels {
            self.events.clear();
            self.events.shrink_to(retain_levels);
        }
    }

    /// The levels of `event`.
    pub fn levels_of(&self, event: &BookEvent) -> &[LevelUpdate] {
        &self.levels[event.levels.clone()]
    }
}
