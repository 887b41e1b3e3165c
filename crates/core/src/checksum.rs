//! Venue checksum builders: the exact strings each venue CRCs, fed straight into CRC32.
//!
//! The strings are never allocated on the hot path: each level's text is rendered into a stack
//! buffer that is handed to a `crc32fast::Hasher` in large chunks (its SIMD kernel wants long
//! inputs; one call per number would cost more than the CRC itself). The same walk can fill a
//! `Vec<u8>` instead, so tests compare the very bytes hashed against published check strings.
//!
//! The checksum functions take the book's [`FragmentCache`]: levels unchanged since the last
//! checksum are copied from it rather than rendered again. The `*_string` functions render
//! every level (diagnostics and tests).

use std::cell::RefCell;

use crate::book::Book;
use crate::decimal::{NumBuf, NumText};
pub use crate::fragments::FragmentCache;
use crate::fragments::Fragments;
use crate::ladder::{Level, Levels, Side};
use crate::orders::Orders;

/// Where a checksum walk writes its bytes.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);

    /// One byte (a separator): a store, where a slice copy of unknown length is a call.
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        self.put(&[byte]);
    }

    /// A cached fragment's bytes (a sink may copy the whole fixed-size slot at once).
    #[inline]
    fn put_slot(&mut self, slot: &FragmentSlot) {
        self.put(slot.cached());
    }
}

/// A CRC32 fed through a 2 KiB buffer (a 25-level OKX string is about 1 KiB), plus room for
/// one whole fragment slot past its end. The buffer is the thread's [`SCRATCH`]: bytes past
/// `len` are left over from earlier checksums and never read.
struct BufferedCrc<'b> {
    hasher: crc32fast::Hasher,
    buf: &'b mut Scratch,
    len: usize,
}

/// Bytes a [`BufferedCrc`] gathers before it hashes them.
const BUFFERED: usize = 2048;

type Scratch = [u8; BUFFERED + FragmentSlot::SIZE];

thread_local! {
    /// Each thread's checksum buffer, reused: zeroing a fresh 2 KiB for every checksum was a
    /// sixth of a 25-level OKX message's instructions.
    static SCRATCH: RefCell<Scratch> = const { RefCell::new([0; BUFFERED + FragmentSlot::SIZE]) };
}

/// Runs `walk` into a CRC32 buffered in the thread's scratch and returns the CRC. A buffer of
/// its own is zeroed only if the scratch is unavailable (a walk inside a walk, which no caller
/// does, or a thread being torn down).
fn buffered_crc(mut walk: impl FnMut(&mut BufferedCrc<'_>)) -> u32 {
    fn run(buf: &mut Scratch, walk: &mut impl FnMut(&mut BufferedCrc<'_>)) -> u32 {
        let mut crc = BufferedCrc { hasher: crc32fast::Hasher::new(), buf, len: 0 };
        walk(&mut crc);
        crc.hasher.update(&crc.buf[..crc.len]);
        crc.hasher.finalize()
    }
    SCRATCH
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut buf| run(&mut buf, &mut walk)))
        .ok()
        .flatten()
        .unwrap_or_else(|| run(&mut [0; BUFFERED + FragmentSlot::SIZE], &mut walk))
}

impl Sink for BufferedCrc<'_> {
    #[inline(always)]
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > BUFFERED {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > BUFFERED {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    #[inline(always)]
    fn put_byte(&mut self, byte: u8) {
        if self.len >= BUFFERED {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
        }
        self.buf[self.len] = byte;
        self.len += 1;
    }

    /// Copies the whole slot (a fixed-size copy: a few vector moves, where a copy of the
    /// fragment's own length would be a call to memmove) and keeps only its length.
    #[inline(always)]
    fn put_slot(&mut self, slot: &FragmentSlot) {
        if self.len > BUFFERED {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
        }
        self.buf[self.len..self.len + FragmentSlot::SIZE].copy_from_slice(&slot.bytes);
        self.len += slot.cached().len();
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// OKX and Bitget: the best `levels` bids and asks interleaved `bid1:ask1:bid2:ask2…`, each level
/// `price:size` in the venue's original spelling (trailing zeros kept), joined by `:`; a side that
/// runs out is skipped. The venue compares the CRC32 as a signed 32-bit integer.
pub fn interleaved_crc32(book: &Book, levels: usize, cache: &mut FragmentCache) -> i32 {
    let spelling = Spelling::Interleaved;
    cached_crc(book, cache, levels, spelling, |bids, asks, crc| {
        interleaved_walk(bids, asks, levels, spelling, crc);
    }) as i32
}

/// The CRC32 of `walk` over `cache`'s fragments of `book`'s best `levels` a side in `spelling`:
/// the one walked last time when none of those levels changed since (a message that changes
/// only deeper levels costs no walk, and no read of the fragments), else `walk` over the
/// refreshed fragments. Each checksum function passes its own spelling, so the spelling and
/// the count of levels name the walk.
fn cached_crc(
    book: &Book,
    cache: &mut FragmentCache,
    levels: usize,
    spelling: Spelling,
    mut walk: impl FnMut(Fragments<'_>, Fragments<'_>, &mut BufferedCrc<'_>),
) -> u32 {
    if let Some(crc) = cache.unchanged_crc(book, levels, spelling) {
        return crc;
    }
    let crc = buffered_crc(|sink| {
        let (bids, asks) = cache.refresh(book, levels, spelling);
        walk(bids, asks, sink);
    });
    cache.walked(levels, spelling, crc);
    crc
}

/// The string [`interleaved_crc32`] hashes, for tests and diagnostics.
pub fn interleaved_string(book: &Book, levels: usize) -> String {
    let mut out = Vec::new();
    let (bids, asks) = rendered(book);
    interleaved_walk(bids, asks, levels, Spelling::Interleaved, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Bitfinex: as [`interleaved_crc32`] over 25 levels, with every ask's amount negative (the
/// venue's sign convention) and numbers as the server prints them (plain decimals; an exponent
/// the feed used is written out in full, as Bitfinex's own client library does). A book kept
/// order by order (a raw `R0` book, [`Book::orders`]) interleaves its best 25 orders of each
/// side instead, each `order_id:amount`.
pub fn bitfinex_crc32(book: &Book, cache: &mut FragmentCache) -> i32 {
    let crc = match book.orders() {
        Some(orders) => buffered_crc(|crc| bitfinex_orders_walk(orders, crc)),
        None => cached_crc(book, cache, BITFINEX_LEVELS, Spelling::Bitfinex, |bids, asks, crc| {
            interleaved_walk(bids, asks, BITFINEX_LEVELS, Spelling::Bitfinex, crc);
        }),
    };
    crc as i32
}

/// The string [`bitfinex_crc32`] hashes, for tests and diagnostics.
pub fn bitfinex_string(book: &Book) -> String {
    let mut out = Vec::new();
    match book.orders() {
        Some(orders) => bitfinex_orders_walk(orders, &mut out),
        None => {
            let (bids, asks) = rendered(book);
            interleaved_walk(bids, asks, BITFINEX_LEVELS, Spelling::Bitfinex, &mut out);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

const BITFINEX_LEVELS: usize = 25;

/// Every level of both sides, best first, to be rendered as walked.
fn rendered(book: &Book) -> (Levels<'_>, Levels<'_>) {
    (book.side(Side::Bid).iter(), book.side(Side::Ask).iter())
}

/// Where a checksum walk takes one side's fragments from, best first: a [`FragmentCache`]'s
/// rendered bytes, or a ladder's levels rendered as they come. Each fragment is written
/// straight to the sink: returning it (an enum of a slot or a level) made the compiler pass it
/// through the stack, and the store-forwarding stalls were most of the walk's time.
pub(crate) trait FragmentSource {
    /// Writes the next fragment to `sink` in `spelling`, after a `:` if `separate`; false (and
    /// nothing written) when there are no more.
    fn put_next(
        &mut self,
        separate: bool,
        spelling: Spelling,
        buf: &mut NumBuf,
        sink: &mut impl Sink,
    ) -> bool;
}

impl FragmentSource for Levels<'_> {
    #[inline(always)]
    fn put_next(
        &mut self,
        separate: bool,
        spelling: Spelling,
        buf: &mut NumBuf,
        sink: &mut impl Sink,
    ) -> bool {
        let Some(level) = self.next() else { return false };
        if separate {
            sink.put_byte(b':');
        }
        write_fragment(&level, spelling, buf, sink);
        true
    }
}

/// Bitfinex raw books: `id:amount` of the best 25 orders of each side, interleaved bid first,
/// asks' amounts negative.
fn bitfinex_orders_walk(orders: &Orders, sink: &mut impl Sink) {
    let mut buf = NumBuf::new();
    let mut first = true;
    let (bids, asks) = (orders.side(Side::Bid), orders.side(Side::Ask));
    for i in 0..BITFINEX_LEVELS {
        for (order, sign) in [(bids.get(i), &b""[..]), (asks.get(i), &b"-"[..])] {
            let Some(order) = order else { continue };
            if !first {
                sink.put_byte(b':');
            }
            first = false;
            put_u64(order.id, sink);
            sink.put_byte(b':');
            sink.put(sign);
            sink.put(order.qty.write_text(order.qty_text, &mut buf));
        }
    }
}

/// Writes `value` in decimal digits.
fn put_u64(mut value: u64, sink: &mut impl Sink) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    sink.put(&digits[at..]);
}

/// Writes the best `levels` of `bids` and `asks` interleaved, joined by `:`.
fn interleaved_walk(
    mut bids: impl FragmentSource,
    mut asks: impl FragmentSource,
    levels: usize,
    spelling: Spelling,
    sink: &mut impl Sink,
) {
    let mut buf = NumBuf::new();
    let (bid_spelling, ask_spelling) = (spelling.for_side(Side::Bid), spelling.for_side(Side::Ask));
    let mut written = false;
    for _ in 0..levels {
        let bid = bids.put_next(written, bid_spelling, &mut buf, sink);
        written |= bid;
        let ask = asks.put_next(written, ask_spelling, &mut buf, sink);
        written |= ask;
        if !bid && !ask {
            break;
        }
    }
}

/// How a level is spelled inside a venue's checksum string. A [`FragmentCache`] keeps the best
/// levels' fragments in it, so a checksum is mostly a concatenation of cached bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `price:size` in the venue's original spelling (OKX, Bitget).
    Interleaved,
    /// Bitfinex: `price:amount` as the server prints numbers; resolved per side by
    /// [`Spelling::for_side`] (bids as [`Spelling::Interleaved`], asks as
    /// [`Spelling::BitfinexAsk`]).
    Bitfinex,
    /// A Bitfinex ask: `price:-amount`.
    BitfinexAsk,
    /// Kraken's digits-only price then size.
    Kraken(KrakenSpelling),
}

impl Spelling {
    /// The spelling of `side`'s levels (only Bitfinex spells its sides differently).
    pub const fn for_side(self, side: Side) -> Spelling {
        match (self, side) {
            (Spelling::Bitfinex, Side::Bid) => Spelling::Interleaved,
            (Spelling::Bitfinex, Side::Ask) => Spelling::BitfinexAsk,
            (spelling, _) => spelling,
        }
    }
}

/// Writes one level's checksum fragment in `spelling` to `sink`.
pub(crate) fn write_fragment(
    level: &Level,
    spelling: Spelling,
    buf: &mut NumBuf,
    sink: &mut impl Sink,
) {
    match spelling {
        Spelling::Interleaved | Spelling::Bitfinex => {
            sink.put(level.price.write_text(level.text.price, buf));
            sink.put(b":");
            sink.put(level.qty.write_text(level.text.qty, buf));
        }
        Spelling::BitfinexAsk => {
            sink.put(level.price.write_text(level.text.price, buf));
            sink.put(b":-");
            sink.put(level.qty.write_text(level.text.qty, buf));
        }
        Spelling::Kraken(kraken) => {
            let (price_text, qty_text) = match kraken {
                KrakenSpelling::AsSent => (level.text.price, level.text.qty),
                KrakenSpelling::Precision { price, qty } => {
                    (NumText::plain(price), NumText::plain(qty))
                }
            };
            put_kraken_digits(level.price.write_text(price_text, buf), sink);
            put_kraken_digits(level.qty.write_text(qty_text, buf), sink);
        }
    }
}

/// A fixed-size store for one cached fragment. Invariant: when the slot holds a fragment,
/// `len <= SIZE` and `bytes[..len]` is it; the rest of `bytes` is unspecified.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(8))]
pub struct FragmentSlot {
    len: u8,
    bytes: [u8; FragmentSlot::SIZE],
}

const _: () = assert!(std::mem::size_of::<FragmentSlot>() == FragmentSlot::SIZE + 1);

impl FragmentSlot {
    /// Bytes a slot can hold: 23, so a slot is 24 bytes (a fragment is `price:size`, rarely
    /// past 20 bytes: `43250.1:0.12345678` is 18; a longer one is rendered when walked). A cold
    /// book's checksum reads its 25 slots a side from memory: 48-byte slots made that 19 lines
    /// a side, 32-byte ones 13, these 10.
    pub const SIZE: usize = 23;

    /// Marks a fragment too long to cache: it is rendered on demand.
    const UNCACHED: u8 = u8::MAX;

    pub(crate) const EMPTY: FragmentSlot =
        FragmentSlot { len: Self::UNCACHED, bytes: [0; Self::SIZE] };

    /// The cached fragment (empty for a slot that holds none).
    pub fn cached(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// Renders `level`'s fragment in `spelling` into the slot.
    pub(crate) fn render(&mut self, level: &Level, spelling: Spelling) {
        struct Fill<'a> {
            slot: &'a mut FragmentSlot,
            overflow: bool,
        }
        impl Sink for Fill<'_> {
            fn put(&mut self, bytes: &[u8]) {
                let len = usize::from(self.slot.len);
                if self.overflow || len + bytes.len() > self.slot.bytes.len() {
                    self.overflow = true;
                    return;
                }
                self.slot.bytes[len..len + bytes.len()].copy_from_slice(bytes);
                self.slot.len += bytes.len() as u8;
            }
        }
        self.len = 0;
        let mut fill = Fill { slot: self, overflow: false };
        write_fragment(level, spelling, &mut NumBuf::new(), &mut fill);
        if fill.overflow {
            self.len = Self::UNCACHED;
        }
    }

    /// The cached bytes, if the fragment fitted.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        (self.len != Self::UNCACHED).then(|| &self.bytes[..usize::from(self.len)])
    }
}

/// How Kraken levels are spelled before the `.` and leading zeros are stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KrakenSpelling {
    /// As the venue wrote them (v1 sends strings with full precision).
    AsSent,
    /// With the instrument's precisions (v2 sends JSON numbers, whose text drops trailing zeros).
    Precision {
        /// Decimals of the price.
        price: u8,
        /// Decimals of the size.
        qty: u8,
    },
}

/// Kraken (WebSocket v1 and v2): the best 10 asks from the lowest, then the best 10 bids from the
/// highest; each level is its price then its size with the `.` removed and leading zeros
/// stripped, all concatenated. The venue compares the CRC32 unsigned.
pub fn kraken_crc32(book: &Book, spelling: KrakenSpelling, cache: &mut FragmentCache) -> u32 {
    let spelling = Spelling::Kraken(spelling);
    cached_crc(book, cache, KRAKEN_LEVELS, spelling, |bids, asks, crc| {
        kraken_walk(bids, asks, spelling, crc);
    })
}

/// The string [`kraken_crc32`] hashes, for tests and diagnostics.
pub fn kraken_string(book: &Book, spelling: KrakenSpelling) -> String {
    let mut out = Vec::new();
    let (bids, asks) = rendered(book);
    kraken_walk(bids, asks, Spelling::Kraken(spelling), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

const KRAKEN_LEVELS: usize = 10;

/// Writes the best [`KRAKEN_LEVELS`] asks, then bids.
fn kraken_walk(
    mut bids: impl FragmentSource,
    mut asks: impl FragmentSource,
    spelling: Spelling,
    sink: &mut impl Sink,
) {
    let mut buf = NumBuf::new();
    for _ in 0..KRAKEN_LEVELS {
        if !asks.put_next(false, spelling, &mut buf, sink) {
            break;
        }
    }
    for _ in 0..KRAKEN_LEVELS {
        if !bids.put_next(false, spelling, &mut buf, sink) {
            break;
        }
    }
}

/// Writes `text` without its `.` and without leading zeros.
fn put_kraken_digits(text: &[u8], sink: &mut impl Sink) {
    let start = text.iter().position(|&b| b != b'0' && b != b'.').unwrap_or(text.len());
    let rest = &text[start..];
    match rest.iter().position(|&b| b == b'.') {
        Some(dot) => {
            sink.put(&rest[..dot]);
            sink.put(&rest[dot + 1..]);
        }
        None => sink.put(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::{Price, Qty};
    use crate::ladder::LevelText;

    fn book_of(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Book {
        Book::from_text(1_000, bids, asks).unwrap()
    }

    #[test]
    fn a_walk_inside_a_walk_gets_a_buffer_of_its_own() {
        let text = b"3366.1:7:3366.8:9";
        let inner = std::cell::Cell::new(0);
        let outer = buffered_crc(|crc| {
            crc.put(text);
            // The thread's scratch is in use: this one zeroes its own buffer.
            inner.set(buffered_crc(|crc| crc.put(text)));
            crc.put(b"");
        });
        assert_eq!(outer, crc32fast::hash(text));
        assert_eq!(inner.get(), crc32fast::hash(text));
        // Left-over bytes in the scratch are never hashed.
        assert_eq!(buffered_crc(|crc| crc.put(b"3366")), crc32fast::hash(b"3366"));
    }

    #[test]
    fn okx_docs_examples() {
        let book = book_of(&[("3366.1", "7"), ("3366", "6")], &[("3366.8", "9"), ("3368", "8")]);
        assert_eq!(interleaved_string(&book, 25), "3366.1:7:3366.8:9:3366:6:3368:8");
        assert_eq!(interleaved_crc32(&book, 25, &mut FragmentCache::new()), -1_881_014_294);
        let book = book_of(&[("3366.1", "7")], &[("3366.8", "9"), ("3368", "8"), ("3372", "8")]);
        assert_eq!(interleaved_string(&book, 25), "3366.1:7:3366.8:9:3368:8:3372:8");
        assert_eq!(interleaved_crc32(&book, 25, &mut FragmentCache::new()), 831_078_360);
    }

    #[test]
    fn bitget_keeps_trailing_zeros() {
        let book = book_of(&[("6.40", "0.00003530")], &[("6.50", "12.000")]);
        assert_eq!(interleaved_string(&book, 25), "6.40:0.00003530:6.50:12.000");
    }

    #[test]
    fn strings_longer_than_the_stack_buffer_hash_the_same() {
        let long = format!("1.{}", "0".repeat(60));
        let levels: Vec<(String, String)> =
            (1..=30).map(|i| (format!("{i}.{}", "0".repeat(60)), long.clone())).collect();
        let refs: Vec<(&str, &str)> =
            levels.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
        let book = book_of(&refs, &refs);
        let text = interleaved_string(&book, 25);
        assert!(text.len() > 2048);
        let crc = interleaved_crc32(&book, 25, &mut FragmentCache::new());
        assert_eq!(crc, crc32fast::hash(text.as_bytes()) as i32);
    }

    #[test]
    fn cached_fragments_hash_like_rendered_ones() {
        let bids = [("3366.1", "7"), ("3366", "6"), ("3365.50", "0.00010")];
        let asks = [("3366.8", "9"), ("3368", "8")];
        let mut book = book_of(&bids, &asks);
        let mut cache = FragmentCache::new();
        let hash = |s: String| crc32fast::hash(s.as_bytes());
        let check = |book: &Book, cache: &mut FragmentCache| {
            assert_eq!(
                interleaved_crc32(book, 25, cache),
                hash(interleaved_string(book, 25)) as i32
            );
            assert_eq!(
                kraken_crc32(book, KrakenSpelling::AsSent, cache),
                hash(kraken_string(book, KrakenSpelling::AsSent))
            );
            assert_eq!(bitfinex_crc32(book, cache), hash(bitfinex_string(book)) as i32);
            // The same spelling twice in a row: everything comes from the cache.
            assert_eq!(
                interleaved_crc32(book, 25, cache),
                hash(interleaved_string(book, 25)) as i32
            );
        };
        check(&book, &mut cache);
        // An insert above, a change in the middle, a delete: the cache follows.
        let set = |book: &mut Book, side, price: &str, qty: &str| {
            let (p, pt) = Price::parse(price).unwrap();
            let (q, qt) = Qty::parse(qty).unwrap();
            book.set(side, p, q, LevelText::new(pt, qt)).unwrap();
        };
        set(&mut book, Side::Bid, "3366.05", "1.5");
        assert_eq!(interleaved_crc32(&book, 25, &mut cache), {
            let text = interleaved_string(&book, 25);
            assert!(text.starts_with("3366.1:7:3366.8:9:3366.05:1.5:3368:8"));
            hash(text) as i32
        });
        set(&mut book, Side::Bid, "3366", "6.0");
        set(&mut book, Side::Ask, "3366.8", "0");
        set(&mut book, Side::Ask, "3360", "2");
        check(&book, &mut cache);
        // A fragment too long for a slot is rendered on demand.
        set(&mut book, Side::Ask, "3361", &format!("1.{}", "0".repeat(50)));
        check(&book, &mut cache);
    }

    #[test]
    fn empty_book_hashes_the_empty_string() {
        let book = Book::new(10);
        let mut cache = FragmentCache::new();
        assert_eq!(interleaved_crc32(&book, 25, &mut cache), 0);
        assert_eq!(kraken_crc32(&book, KrakenSpelling::AsSent, &mut cache), 0);
    }

    #[test]
    fn kraken_strips_point_and_leading_zeros() {
        let book = book_of(&[], &[("0.05000", "0.00000304")]);
        assert_eq!(kraken_string(&book, KrakenSpelling::AsSent), "5000304");
        let book = book_of(&[], &[("45285.2", "0.001")]);
        let spelling = KrakenSpelling::Precision { price: 1, qty: 8 };
        assert_eq!(kraken_string(&book, spelling), "452852100000");
    }
}
