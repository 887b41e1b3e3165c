//! The checksum fragments of a book's best levels, kept from one checksum to the next.
//!
//! A venue's checksum covers only the best few levels of each side (25 for OKX, Bitget and
//! Bitfinex, 10 for Kraken), and between two checksums a message changes a handful of them. So
//! a book's cache holds, per side, the levels it last rendered (best first) with their rendered
//! fragments; the next checksum walks the side's current best levels alongside that list, in
//! one merge pass, and renders only the levels that are new or changed. Its memory is a few
//! kilobytes per book whatever the book's depth, and nothing is rendered on the apply path.
//! A cache told what its book changed ([`FragmentCache::sync`]) skips even that walk for a side
//! whose changes all lie below the levels it covers.

use crate::book::{Book, Changes};
use crate::checksum::{FragmentSlot, FragmentSource, Sink, Spelling, write_fragment};
use crate::decimal::NumBuf;
use crate::ladder::{Ladder, RankedLevel, Side, Taken};

/// One side's best levels as of its last refresh, best first: each level as its ladder stores
/// it (`keys`) and its rendered fragment (`slots`), in two vectors so that the merge reads only
/// the keys.
///
/// Invariant: `keys` and `slots` have the same length; ranks strictly descend; `slots[i]` is
/// `keys[i]`'s level on a ladder of `side` at `scale`, rendered in `spelling` (or marked too
/// long to cache); `last_rank` is the last key's rank.
#[derive(Debug, Clone)]
struct SideCache {
    side: Side,
    scale: u8,
    spelling: Option<Spelling>,
    keys: Vec<RankedLevel>,
    slots: Vec<FragmentSlot>,
    // The last key's rank (`None` with no keys): what `holds` compares changes with, kept here
    // so that a message that changes only deeper levels does not read the keys.
    last_rank: Option<i64>,
    // The ladder the entries were last read from, by lineage, and the number of the next take
    // of its changes the cache expects to be told of (`None`: not read yet, or the chain of
    // takes since was broken: a take the cache was not told of).
    read_from: Option<(u64, u64)>,
    // The best rank changed in the takes told since the entries were read.
    told: Option<i64>,
    // Refreshes that read the ladder (the others reused every entry).
    reads: u64,
}

impl SideCache {
    fn new(side: Side) -> Self {
        Self {
            side,
            scale: 0,
            spelling: None,
            keys: Vec::new(),
            slots: Vec::new(),
            last_rank: None,
            read_from: None,
            told: None,
            reads: 0,
        }
    }

    /// Notes a take of a ladder's changes (see [`FragmentCache::sync`]). The changes since
    /// the entries were read stay known only while every take of their ladder since is told,
    /// in order.
    fn sync(&mut self, taken: Taken) {
        match self.read_from {
            Some((lineage, take)) if lineage == taken.lineage && take == taken.take => {
                self.read_from = Some((lineage, take + 1));
                self.told = self.told.max(taken.changed);
            }
            _ => self.read_from = None,
        }
    }

    /// Whether the cache already holds `ladder`'s best `n` levels in `spelling`: it holds `n`
    /// of them in that spelling and scale, read from this ladder, every take of its changes
    /// since was told, and neither those nor the changes not yet taken reach the `n`-th.
    fn holds(&self, ladder: &Ladder, n: usize, spelling: Spelling) -> bool {
        self.changed_since_read(ladder, spelling).is_some_and(|changed| {
            n > 0
                && self.keys.len() == n
                && changed.is_none_or(|rank| self.last_rank.is_some_and(|last| rank < last))
        })
    }

    /// The best rank changed since the entries were read from `ladder` (`Some(None)`: none),
    /// if that is known: the entries were read from this ladder in `spelling` at its scale, and
    /// every take of its changes since was told. `None` when it is not.
    #[inline]
    fn changed_since_read(&self, ladder: &Ladder, spelling: Spelling) -> Option<Option<i64>> {
        let now = ladder.tracking();
        (self.read_from == Some((now.lineage, now.take))
            && self.spelling == Some(spelling)
            && self.scale == ladder.scale())
        .then(|| self.told.max(now.changed))
    }

    /// Makes the cache hold `ladder`'s best `n` levels, editing it in place: a level that is
    /// gone is removed, a new or changed one rendered, an unchanged one left as it is. Both
    /// lists are best first, so one pass finds every edit.
    fn refresh(&mut self, ladder: &Ladder, n: usize, spelling: Spelling) -> Fragments<'_> {
        if self.holds(ladder, n, spelling) {
            // Nothing among the best `n` changed: not even the ladder needs reading.
            return Fragments { cache: self, next: 0 };
        }
        let unchanged = self.unchanged_above(ladder, spelling);
        // Read now: what changes later is told by the takes from the next one on (those also
        // repeat changes from before this read, which only makes the cache more careful).
        let now = ladder.tracking();
        (self.read_from, self.told) = (Some((now.lineage, now.take)), None);
        self.reads += 1;
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
        // The entries above the best change are the ladder's levels above it: the merge starts
        // below them, in the cache and in the ladder.
        let (mut i, mut levels) = match unchanged {
            Some((entries, changed)) if entries <= n => (entries, ladder.ranked_from(changed)),
            _ => (0, ladder.ranked()),
        };
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
        self.last_rank = self.keys.last().map(|key| key.rank);
        Fragments { cache: self, next: 0 }
    }

    /// How many of the first entries are still `ladder`'s best levels, all of them ranked above
    /// every change since the entries were read, and the best changed rank; `None` when that
    /// is not known (no entry at or below the change, changes not told, another spelling or
    /// scale) or there is no change (the cache is refreshed for another count of levels), and
    /// the merge then starts at the top.
    ///
    /// When the entries were read they were the ladder's best levels, best first; levels ranked
    /// above every change since are as they were. So if an entry lies at or below the best
    /// change, every level above it was among the entries, and those entries are still exactly
    /// the ladder's levels above the change.
    fn unchanged_above(&self, ladder: &Ladder, spelling: Spelling) -> Option<(usize, i64)> {
        let changed = self.changed_since_read(ladder, spelling)??;
        // From the end: the merge reads the entries at or below the change anyway.
        let entries = self.keys.iter().rposition(|key| key.rank > changed).map_or(0, |i| i + 1);
        (entries < self.keys.len()).then_some((entries, changed))
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
    // The checksum walked over the fragments as they stand, with the levels a side and the
    // spelling it was walked for (which name the walk: each checksum function has its own).
    // Cleared by every refresh, set again once the refreshed fragments are walked.
    walked: Option<Walked>,
    // Checksums walked (the others reused `walked`).
    walks: u64,
}

/// A checksum and what it was computed over (see [`FragmentCache::unchanged_crc`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Walked {
    levels: usize,
    spelling: Spelling,
    crc: u32,
}

impl Default for FragmentCache {
    fn default() -> Self {
        Self {
            bids: SideCache::new(Side::Bid),
            asks: SideCache::new(Side::Ask),
            walked: None,
            walks: 0,
        }
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
        self.walked = None;
        let bids = self.bids.refresh(book.side(Side::Bid), n, spelling.for_side(Side::Bid));
        let asks = self.asks.refresh(book.side(Side::Ask), n, spelling.for_side(Side::Ask));
        (bids, asks)
    }

    /// The checksum [`FragmentCache::walked`] last recorded for `n` levels a side in
    /// `spelling`, if both sides' fragments still hold `book`'s best `n` levels: the same
    /// fragments walked the same way hash the same. `None` when anything among them may have
    /// changed (or the cache was told too little to know): the caller refreshes and walks.
    pub(crate) fn unchanged_crc(&self, book: &Book, n: usize, spelling: Spelling) -> Option<u32> {
        let walked = self.walked.filter(|w| w.levels == n && w.spelling == spelling)?;
        let holds =
            |cache: &SideCache, side| cache.holds(book.side(side), n, spelling.for_side(side));
        (holds(&self.bids, Side::Bid) && holds(&self.asks, Side::Ask)).then_some(walked.crc)
    }

    /// Records `crc` as the checksum of the fragments the last [`FragmentCache::refresh`] (for
    /// `n` levels in `spelling`) left.
    pub(crate) fn walked(&mut self, n: usize, spelling: Spelling, crc: u32) {
        self.walked = Some(Walked { levels: n, spelling, crc });
        self.walks += 1;
    }

    /// Bytes the cache holds on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.bids.heap_bytes() + self.asks.heap_bytes()
    }

    /// Tells the cache what `book` changed since the last sync (taking it from the book): the
    /// next checksum then reads neither the book nor the cache's keys when nothing among the
    /// best levels it covers changed. A cache never synced, or whose book changed in ways it was
    /// not told of, walks the book's best levels at every checksum instead: always right, only
    /// slower. Give each book one cache and sync it with that book alone.
    pub fn sync(&mut self, book: &mut Book) {
        let Changes([bids, asks]) = book.take_changes();
        self.bids.sync(bids);
        self.asks.sync(asks);
    }

    /// Forgets every level and frees the memory.
    pub fn release(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::{interleaved_crc32, interleaved_string};
    use crate::decimal::{Price, Qty};
    use crate::ladder::LevelText;

    fn set(book: &mut Book, side: Side, price: i64, qty: i64) {
        let text = LevelText::default();
        let price = Price::new(price, 0).unwrap();
        book.set(side, price, Qty::from_scaled(qty, 0).unwrap(), text).unwrap();
    }

    fn check(book: &Book, cache: &mut FragmentCache) {
        let want = crc32fast::hash(interleaved_string(book, 25).as_bytes()) as i32;
        assert_eq!(interleaved_crc32(book, 25, cache), want);
    }

    fn reads(cache: &FragmentCache) -> u64 {
        cache.bids.reads + cache.asks.reads
    }

    /// A book of 100 levels a side, and a cache told of it that has checked it once.
    fn hundred_levels_checked() -> (Book, FragmentCache) {
        let mut book = Book::new(1_000);
        for d in 1..=100 {
            set(&mut book, Side::Bid, 1_000 - d, d);
            set(&mut book, Side::Ask, 1_000 + d, d);
        }
        let mut cache = FragmentCache::new();
        cache.sync(&mut book);
        check(&book, &mut cache);
        (book, cache)
    }

    /// A checksum walks the fragments only when a level it covers may have changed, and never
    /// hands one walk's checksum to another (each venue's string is its own).
    #[test]
    fn a_checksum_is_walked_again_only_when_its_levels_may_have_changed() {
        use crate::checksum::{KrakenSpelling, bitfinex_crc32, bitfinex_string};
        use crate::checksum::{kraken_crc32, kraken_string};
        let (mut book, mut cache) = hundred_levels_checked();
        assert_eq!(cache.walks, 1);
        // Nothing changed, then only deep levels: the walked checksum stands.
        check(&book, &mut cache);
        set(&mut book, Side::Bid, 1_000 - 90, 7);
        set(&mut book, Side::Ask, 1_000 + 26, 0);
        cache.sync(&mut book);
        check(&book, &mut cache);
        assert_eq!(cache.walks, 1);
        // Another venue's walk over the same book: its own string, walked.
        let kraken = crc32fast::hash(kraken_string(&book, KrakenSpelling::AsSent).as_bytes());
        assert_eq!(kraken_crc32(&book, KrakenSpelling::AsSent, &mut cache), kraken);
        let bitfinex = crc32fast::hash(bitfinex_string(&book).as_bytes()) as i32;
        assert_eq!(bitfinex_crc32(&book, &mut cache), bitfinex);
        assert_eq!(cache.walks, 3);
        check(&book, &mut cache);
        assert_eq!(cache.walks, 4);
        // A change at the 25th ask, told or not: walked again.
        set(&mut book, Side::Ask, 1_000 + 25, 3);
        check(&book, &mut cache);
        cache.sync(&mut book);
        set(&mut book, Side::Bid, 1_000 - 25, 0);
        cache.sync(&mut book);
        check(&book, &mut cache);
        assert_eq!(cache.walks, 6);
        // Fewer levels than the walk covers: every change may matter.
        let mut thin = Book::new(1_000);
        set(&mut thin, Side::Bid, 990, 1);
        set(&mut thin, Side::Ask, 1_010, 1);
        let mut cache = FragmentCache::new();
        cache.sync(&mut thin);
        check(&thin, &mut cache);
        set(&mut thin, Side::Ask, 1_020, 2);
        cache.sync(&mut thin);
        check(&thin, &mut cache);
        assert_eq!(cache.walks, 2);
    }

    /// Every walk through one cache (OKX's interleaved strings at several depths, Kraken's,
    /// Bitfinex's), over a book whose levels reach deep below its window, with caps, truncations,
    /// clears and the odd take the cache is not told of: each checksum is its string's.
    #[test]
    fn every_walk_through_one_cache_hashes_as_rendered() {
        use crate::checksum::{KrakenSpelling, bitfinex_crc32, bitfinex_string};
        use crate::checksum::{kraken_crc32, kraken_string};
        let mut book = Book::with_window(300, 64);
        let mut cache = FragmentCache::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let (mut walks, mut reused) = (0, 0);
        for step in 0..20_000 {
            let side = if next(2) == 0 { Side::Bid } else { Side::Ask };
            // Mostly near the touch, now and then far below the window.
            let offset = if next(8) == 0 { next(2_000) } else { next(60) } as i64 + 1;
            let price = match side {
                Side::Bid => 1_000_000 - offset,
                Side::Ask => 1_000_000 + offset,
            };
            let qty = if next(5) == 0 { 0 } else { next(1_000) as i64 + 1 };
            set(&mut book, side, price, qty);
            match next(400) {
                0 => {
                    book.truncate(next(40) as usize);
                }
                1 => {
                    book.clear();
                }
                2 => {
                    let _ = book.take_changes();
                }
                3 => {
                    let floor = Price::new(1_000_000 - next(100) as i64, 0).unwrap();
                    book.drop_worse_than(Side::Bid, floor);
                }
                _ => {}
            }
            if next(5) != 0 {
                cache.sync(&mut book);
            }
            let before = cache.walks;
            match next(6) {
                0 => {
                    let want =
                        crc32fast::hash(kraken_string(&book, KrakenSpelling::AsSent).as_bytes());
                    assert_eq!(
                        kraken_crc32(&book, KrakenSpelling::AsSent, &mut cache),
                        want,
                        "{step}"
                    );
                }
                1 => {
                    let want = crc32fast::hash(bitfinex_string(&book).as_bytes()) as i32;
                    assert_eq!(bitfinex_crc32(&book, &mut cache), want, "{step}");
                }
                k => {
                    let n = [1, 5, 25, 25][k as usize - 2];
                    let want = crc32fast::hash(interleaved_string(&book, n).as_bytes()) as i32;
                    assert_eq!(interleaved_crc32(&book, n, &mut cache), want, "{step}");
                }
            }
            walks += cache.walks - before;
            reused += 1 - (cache.walks - before);
        }
        // Both paths taken, many times.
        assert!(walks > 1_000 && reused > 1_000, "{walks} walked, {reused} reused");
    }

    /// Fragments of every length, up to past a slot's size (those are rendered as walked),
    /// through inserts, size changes, deletions and truncations: the cached checksum is always
    /// the rendered string's.
    #[test]
    fn fragments_of_any_length_hash_as_rendered() {
        use crate::decimal::NumText;
        let mut book = Book::new(1_000);
        let mut cache = FragmentCache::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut widest = 0;
        for step in 0..3_000 {
            let side = if next(2) == 0 { Side::Bid } else { Side::Ask };
            let offset = next(40) as i64 + 1;
            let price = match side {
                Side::Bid => 100_000_000_000 - offset,
                Side::Ask => 100_000_000_000 + offset,
            };
            let qty = if next(4) == 0 { 0 } else { next(100_000_000_000_000_000) as i64 + 1 };
            // Long numbers, up to 30 decimals each (trailing zeros): fragments past a slot.
            let text =
                LevelText::new(NumText::plain(next(13) as u8), NumText::plain(next(13) as u8));
            let price = Price::new(price, 0).unwrap();
            book.set(side, price, Qty::from_scaled(qty, 8).unwrap(), text).unwrap();
            if next(50) == 0 {
                book.truncate(next(30) as usize);
            }
            if step % 3 == 0 {
                cache.sync(&mut book);
            }
            let string = interleaved_string(&book, 25);
            let parts: Vec<&str> = string.split(':').collect();
            for pair in parts.chunks(2) {
                widest = widest.max(pair.iter().map(|p| p.len()).sum::<usize>() + 1);
            }
            let want = crc32fast::hash(string.as_bytes()) as i32;
            assert_eq!(interleaved_crc32(&book, 25, &mut cache), want, "step {step}: {string}");
        }
        assert!(widest > FragmentSlot::SIZE, "no fragment past a slot: {widest}");
    }

    #[test]
    fn told_changes_below_the_best_levels_reuse_the_cache_and_nothing_else_does() {
        let (mut book, mut cache) = hundred_levels_checked();
        assert_eq!(reads(&cache), 2);
        // Deep changes, told: no side is read again.
        set(&mut book, Side::Bid, 1_000 - 90, 7);
        set(&mut book, Side::Ask, 1_000 + 80, 0);
        cache.sync(&mut book);
        check(&book, &mut cache);
        assert_eq!(reads(&cache), 2);
        // A change at the 25th bid: that side is read again.
        set(&mut book, Side::Bid, 1_000 - 25, 9);
        cache.sync(&mut book);
        check(&book, &mut cache);
        assert_eq!(reads(&cache), 3);
        // A top change not told yet is seen all the same (the ladder's untaken changes).
        cache.sync(&mut book);
        set(&mut book, Side::Ask, 1_000 + 1, 0);
        check(&book, &mut cache);
        assert_eq!(reads(&cache), 4);
        // A take the cache was not told of breaks the chain: read again.
        let _ = book.take_changes();
        set(&mut book, Side::Bid, 1_000 - 60, 3);
        cache.sync(&mut book);
        check(&book, &mut cache);
        assert_eq!(reads(&cache), 6);
        // A clone is another history: its first checksum reads it.
        let mut copy = book.clone();
        set(&mut copy, Side::Bid, 1_000 - 2, 5);
        cache.sync(&mut copy);
        check(&copy, &mut cache);
        // And a clear is a change of everything.
        book.clear();
        set(&mut book, Side::Bid, 10, 1);
        cache.sync(&mut book);
        check(&book, &mut cache);
    }
}
