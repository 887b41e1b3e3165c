//! The checksum fragments of a book's best levels, kept from one checksum to the next.
//!
//! A venue's checksum covers only the best few levels of each side (25 for OKX, Bitget and
//! Bitfinex, 10 for Kraken), and between two checksums a message changes a handful of them. So
//! a book's cache holds, per side, the levels it last rendered (best first) with their rendered
//! fragments; the next checksum walks the side's current best levels alongside that list, in
//! one merge pass, and renders only the levels that are new or changed. Its memory is a few
//! kilobytes per book whatever the book's depth, and nothing is rendered on the apply path.

use crate::book::Book;
use crate::checksum::{FragmentSlot, FragmentSource, Sink, Spelling, write_fragment};
use crate::decimal::NumBuf;
use crate::ladder::{Ladder, RankedLevel, Side};

/// One side's best levels as of its last refresh, best first: each level as its ladder stores
/// it (`keys`) and its rendered fragment (`slots`), in two vectors so that the merge reads only
/// the keys.
///
/// Invariant: `keys` and `slots` have the same length; ranks strictly descend; `slots[i]` is
/// `keys[i]`'s level on a ladder of `side` at `scale`, rendered in `spelling` (or marked too
/// long to cache).
#[derive(Debug, Clone)]
struct SideCache {
    side: Side,
    scale: u8,
    spelling: Option<Spelling>,
    keys: Vec<RankedLevel>,
    slots: Vec<FragmentSlot>,
}

impl SideCache {
    fn new(side: Side) -> Self {
        Self { side, scale: 0, spelling: None, keys: Vec::new(), slots: Vec::new() }
    }

    /// Makes the cache hold `ladder`'s best `n` levels, editing it in place: a level that is
    /// gone is removed, a new or changed one rendered, an unchanged one left as it is. Both
    /// lists are best first, so one pass finds every edit.
    fn refresh(&mut self, ladder: &Ladder, n: usize, spelling: Spelling) -> Fragments<'_> {
        let scale = ladder.scale();
        if self.spelling != Some(spelling) || self.scale != scale {
            self.keys.clear();
            self.slots.clear();
            (self.spelling, self.scale) = (Some(spelling), scale);
        }
        // Room for one insert past `n` before the excess is dropped: no reallocation after the
        // first refresh.
        self.keys.reserve((n + 1).saturating_sub(self.keys.len()));
        self.slots.reserve((n + 1).saturating_sub(self.slots.len()));
        let mut i = 0;
        let mut levels = ladder.ranked();
        while i < n
            && let Some(level) = levels.next()
        {
            // Cached levels better than this one are no longer in the book.
            let mut end = i;
            while self.keys.get(end).is_some_and(|k| k.rank > level.rank) {
                end += 1;
            }
            if end > i {
                self.keys.drain(i..end);
                self.slots.drain(i..end);
            }
            match self.keys.get(i) {
                Some(key) if *key == level => {}
                Some(key) if key.rank == level.rank => {
                    self.keys[i] = level;
                    self.slots[i] = self.render(level);
                }
                _ => {
                    let slot = self.render(level);
                    self.keys.insert(i, level);
                    self.slots.insert(i, slot);
                    if self.keys.len() > n {
                        self.keys.pop();
                        self.slots.pop();
                    }
                }
            }
            i += 1;
        }
        self.keys.truncate(i);
        self.slots.truncate(i);
        Fragments { cache: self, next: 0 }
    }

    #[inline]
    fn render(&self, level: RankedLevel) -> FragmentSlot {
        let mut slot = FragmentSlot::EMPTY;
        if let Some(spelling) = self.spelling {
            slot.render(&level.level(self.side, self.scale), spelling);
        }
        slot
    }

    fn heap_bytes(&self) -> usize {
        self.keys.capacity() * std::mem::size_of::<RankedLevel>()
            + self.slots.capacity() * std::mem::size_of::<FragmentSlot>()
    }
}

/// One side's cached fragments, best first.
pub(crate) struct Fragments<'a> {
    cache: &'a SideCache,
    next: usize,
}

impl FragmentSource for Fragments<'_> {
    #[inline(always)]
    fn put_next(
        &mut self,
        separate: bool,
        spelling: Spelling,
        buf: &mut NumBuf,
        sink: &mut impl Sink,
    ) -> bool {
        let cache = self.cache;
        let Some(slot) = cache.slots.get(self.next) else { return false };
        if separate {
            sink.put_byte(b':');
        }
        if slot.bytes().is_some() {
            sink.put_slot(slot);
        } else {
            let level = cache.keys[self.next].level(cache.side, cache.scale);
            write_fragment(&level, spelling, buf, sink);
        }
        self.next += 1;
        true
    }
}

/// The checksum fragments of one book's best levels, kept between checksums so that each
/// checksum renders only the levels that changed (see the module docs). Give every book its
/// own cache and pass it to the checksum functions of [`crate::checksum`]; any cache gives
/// the right checksum for any book (a level is reused only when price, size and spelling are
/// all equal), a book's own just makes it cheap.
#[derive(Debug, Clone)]
pub struct FragmentCache {
    bids: SideCache,
    asks: SideCache,
}

impl Default for FragmentCache {
    fn default() -> Self {
        Self { bids: SideCache::new(Side::Bid), asks: SideCache::new(Side::Ask) }
    }
}

impl FragmentCache {
    /// An empty cache (it allocates on its first checksum, then only if asked for more levels).
    pub fn new() -> Self {
        Self::default()
    }

    /// The best `n` levels' fragments of each side of `book` (bids, asks), each side spelled as
    /// `spelling` spells it ([`Spelling::for_side`]).
    pub(crate) fn refresh(
        &mut self,
        book: &Book,
        n: usize,
        spelling: Spelling,
    ) -> (Fragments<'_>, Fragments<'_>) {
        let bids = self.bids.refresh(book.side(Side::Bid), n, spelling.for_side(Side::Bid));
        let asks = self.asks.refresh(book.side(Side::Ask), n, spelling.for_side(Side::Ask));
        (bids, asks)
    }

    /// Bytes the cache holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.bids.heap_bytes() + self.asks.heap_bytes()
    }

    /// Forgets every level and frees the memory.
    pub fn release(&mut self) {
        *self = Self::default();
    }
}
