//! A two-sided price-level book with a cap on levels per side.

use crate::decimal::NumText;
use crate::decimal::{NumberError, Price, Qty};
use crate::ladder::{DEFAULT_WINDOW, Ladder, Level, LevelText, SetOutcome, Side};
use crate::orders::Orders;

/// A bid and an ask [`Ladder`].
///
/// Invariant: neither side holds more than `max_levels` levels; when an insert would exceed it,
/// the level farthest from the touch is evicted (a Binance book grows past its 5000-level
/// snapshot without bound otherwise, a Coinbase snapshot holds the whole book).
///
/// Invariant: every level a side holds is exact. Once a side has evicted a level, the best
/// price it evicted since the last [`Book::clear`] is its *horizon*: the side then holds exactly
/// the venue's levels better than the horizon, and a level at or beyond it is refused (counted
/// as evicted), since the levels the side dropped there are unknown. So while a side is not
/// empty its best level is the venue's best; a side emptied down to its horizon
/// ([`Book::exhausted`]) knows nothing, and its book must be rebuilt from a snapshot.
///
/// A book fed order by order ([`Book::set_order`]) also keeps its [`Orders`]; each level's size
/// is then the sum of the orders at its price, and the order cap (`max_levels` per side, at
/// least one order per level) keeps the level cap.
#[derive(Debug, Clone)]
pub struct Book {
    bids: Ladder,
    asks: Ladder,
    max_levels: usize,
    orders: Option<Orders>,
    // The best price each side (bids, asks) evicted since the last clear.
    horizon: [Option<Price>; 2],
}

/// Which levels of each side (bids, asks) changed since the last take. Opaque: taken from a
/// book by [`Book::take_changes`], handed to its [`FragmentCache`](crate::FragmentCache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changes(pub(crate) [crate::ladder::Taken; 2]);

/// What one [`Book::set`] call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// What happened at the level's price.
    pub outcome: SetOutcome,
    /// Levels evicted to keep the side within the cap (0 or 1).
    pub evicted: usize,
}

impl Book {
    /// An empty book holding at most `max_levels` levels per side (at least 1).
    pub fn new(max_levels: usize) -> Self {
        Self::with_window(max_levels, DEFAULT_WINDOW)
    }

    /// An empty book whose ladders keep up to `window` price slots around the touch in a dense
    /// array (see [`Ladder`]).
    pub fn with_window(max_levels: usize, window: usize) -> Self {
        let max_levels = max_levels.max(1);
        Self {
            bids: Ladder::with_window(Side::Bid, window),
            asks: Ladder::with_window(Side::Ask, window),
            max_levels,
            orders: None,
            horizon: [None, None],
        }
    }

    /// A book of `(price, size)` levels written as the venue writes them (`"3366.1"`, `"7"`),
    /// keeping their spelling; levels apply in order, so a later zero size deletes. For
    /// examples, tests and tools: the ingest path sets levels one by one with [`Book::set`].
    ///
    /// # Errors
    /// The first price or size that is not an exact decimal the book can hold.
    pub fn from_text(
        max_levels: usize,
        bids: &[(&str, &str)],
        asks: &[(&str, &str)],
    ) -> Result<Book, NumberError> {
        let mut book = Book::new(max_levels);
        for (side, levels) in [(Side::Bid, bids), (Side::Ask, asks)] {
            for (price, size) in levels {
                let (price, price_text) = Price::parse(price)?;
                let (size, size_text) = Qty::parse(size)?;
                book.set(side, price, size, LevelText::new(price_text, size_text))?;
            }
        }
        Ok(book)
    }

    /// The cap on levels per side.
    pub fn max_levels(&self) -> usize {
        self.max_levels
    }

    /// One side.
    #[inline]
    pub fn side(&self, side: Side) -> &Ladder {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    /// Sets the size at `price` on `side` (zero deletes), evicting the farthest level if the
    /// side would exceed the cap. A level at or beyond the side's horizon is refused (see
    /// [`Book`]): a non-zero size there counts as one evicted level.
    ///
    /// # Errors
    /// [`NumberError::OutOfRange`] if the price cannot share its ladder with the prices already
    /// in it; the book is unchanged.
    #[inline]
    pub fn set(
        &mut self,
        side: Side,
        price: Price,
        qty: Qty,
        text: LevelText,
    ) -> Result<Applied, NumberError> {
        let max = self.max_levels;
        let s = side_index(side);
        if let Some(horizon) = self.horizon[s]
            && !better(side, price, horizon)
        {
            let evicted = usize::from(!qty.is_zero());
            return Ok(Applied { outcome: SetOutcome::DeletedAbsent, evicted });
        }
        let ladder = self.side_mut(side);
        let outcome = ladder.set(price, qty, text)?;
        let mut evicted = 0;
        if outcome == SetOutcome::Inserted
            && ladder.len() > max
            && let Some(farthest) = ladder.evict_farthest()
        {
            evicted = 1;
            // Evictions only come nearer: every level kept is better than the last horizon.
            self.horizon[s] = Some(farthest);
        }
        Ok(Applied { outcome, evicted })
    }

    /// Places, changes or (with a zero size) removes order `id` and sets the totals of the
    /// levels it left and joined; returns how many orders were evicted by the cap (0 or 1).
    /// The first order makes this a book kept order by order (see [`Book::orders`]).
    ///
    /// # Errors
    /// [`NumberError::OutOfRange`] if a level's total does not fit, or a price cannot share its
    /// ladder with the others. The book must then be rebuilt from a snapshot: its levels may
    /// no longer match its orders.
    pub fn set_order(
        &mut self,
        side: Side,
        id: u64,
        price: Price,
        qty: Qty,
        qty_text: NumText,
    ) -> Result<usize, NumberError> {
        let max = self.max_levels;
        let change = self
            .orders
            .get_or_insert_with(|| Orders::new(max))
            .set(side, id, price, qty, qty_text)?;
        for total in change.totals.iter().flatten() {
            // A level's total has no spelling of its own: written plainly at its own scale.
            let text = LevelText::new(
                NumText::plain(total.price.scale()),
                NumText::plain(total.qty.scale()),
            );
            self.side_mut(total.side).set(total.price, total.qty, text)?;
        }
        Ok(change.evicted)
    }

    /// The orders behind the levels, for a book fed order by order ([`Book::set_order`]).
    pub fn orders(&self) -> Option<&Orders> {
        self.orders.as_ref()
    }

    /// What changed on each side since the last call, and forgets it (see
    /// [`FragmentCache::sync`](crate::FragmentCache::sync)).
    pub fn take_changes(&mut self) -> Changes {
        Changes([self.bids.take_changed(), self.asks.take_changed()])
    }

    /// The best level of `side`.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        self.side(side).best()
    }

    /// Whether the best bid is at or above the best ask. Compares the ladders' keys, without
    /// building either level.
    #[inline]
    pub fn is_crossed(&self) -> bool {
        match (self.bids.best_price_key(), self.asks.best_price_key()) {
            (Some((bid, bid_scale)), Some((ask, ask_scale))) if bid_scale == ask_scale => {
                bid >= ask
            }
            (Some(_), Some(_)) => {
                self.bids.best().map(|l| l.price) >= self.asks.best().map(|l| l.price)
            }
            _ => false,
        }
    }

    /// Keeps the best `depth` levels of each side; returns how many were dropped.
    pub fn truncate(&mut self, depth: usize) -> usize {
        let dropped = self.bids.truncate(depth) + self.asks.truncate(depth);
        if dropped > 0
            && let Some(orders) = &mut self.orders
        {
            for (side, ladder) in [(Side::Bid, &self.bids), (Side::Ask, &self.asks)] {
                let worst = depth.checked_sub(1).and_then(|n| ladder.nth_best(n)).map(|l| l.price);
                orders.keep_within(side, worst);
            }
        }
        dropped
    }

    /// Removes every level of `side` worse than `floor` (below it for bids, above it for
    /// asks); returns how many. What a replica does with a replicated delta's floor (levels
    /// its source dropped by a cap). O(levels kept).
    pub fn drop_worse_than(&mut self, side: Side, floor: Price) -> usize {
        let ladder = self.side_mut(side);
        let keep = ladder.iter().take_while(|l| !better(side, floor, l.price)).count();
        ladder.truncate(keep)
    }

    /// Whether a side that evicted levels has lost every level it kept: what the venue holds
    /// there is unknown, so the book is not to be trusted until a snapshot rebuilds it.
    pub fn exhausted(&self) -> bool {
        (self.horizon[0].is_some() && self.bids.is_empty())
            || (self.horizon[1].is_some() && self.asks.is_empty())
    }

    /// The best price `side` evicted since the last [`Book::clear`]: it holds exactly the
    /// venue's levels better than it. `None` while it evicted nothing.
    pub fn horizon(&self, side: Side) -> Option<Price> {
        self.horizon[side_index(side)]
    }

    /// Removes every level, keeping the allocations.
    pub fn clear(&mut self) {
        self.horizon = [None, None];
        self.bids.clear();
        self.asks.clear();
        if let Some(orders) = &mut self.orders {
            orders.clear();
        }
    }

    /// Total levels on both sides.
    pub fn len(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Bytes the book holds on the heap (both ladders, and the orders of a book kept order by
    /// order), in O(1). What an engine-wide memory budget counts.
    pub fn heap_bytes(&self) -> usize {
        self.bids.heap_bytes()
            + self.asks.heap_bytes()
            + self.orders.as_ref().map_or(0, Orders::heap_bytes)
    }

    /// Removes every level (and order) and frees the memory [`Book::clear`] would keep for
    /// reuse: for a book that must give its memory back (an engine over its budget).
    pub fn release(&mut self) {
        self.horizon = [None, None];
        self.bids.release();
        self.asks.release();
        self.orders = None;
    }
}

const fn side_index(side: Side) -> usize {
    match side {
        Side::Bid => 0,
        Side::Ask => 1,
    }
}

/// Whether `price` is nearer the touch than `than` on `side`.
fn better(side: Side, price: Price, than: Price) -> bool {
    match side {
        Side::Bid => price > than,
        Side::Ask => price < than,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(i: i64) -> Price {
        Price::new(i, 0).unwrap()
    }

    #[test]
    fn cap_evicts_farthest_from_touch() {
        let mut book = Book::new(3);
        let one = Qty::from_scaled(1, 8).unwrap();
        let mut evicted = 0;
        for raw in [10, 11, 12, 13, 9] {
            evicted += book.set(Side::Bid, px(raw), one, LevelText::default()).unwrap().evicted;
        }
        let kept: Vec<_> = book.side(Side::Bid).iter().map(|l| l.price).collect();
        assert_eq!(kept, vec![px(13), px(12), px(11)]);
        assert_eq!(evicted, 2);
    }

    #[test]
    fn a_side_past_its_cap_holds_exactly_the_levels_before_its_horizon() {
        let mut book = Book::new(3);
        let one = Qty::from_scaled(1, 8).unwrap();
        let set = |book: &mut Book, raw: i64, qty: Qty| {
            book.set(Side::Bid, px(raw), qty, LevelText::default()).unwrap()
        };
        for raw in [10, 11, 12, 13] {
            set(&mut book, raw, one);
        }
        assert_eq!(book.horizon(Side::Bid), Some(px(10)));
        assert_eq!(book.horizon(Side::Ask), None);
        // The top is consumed; the evicted level and anything beyond it stay unknown.
        set(&mut book, 13, Qty::ZERO);
        let refused = set(&mut book, 10, one);
        assert_eq!((refused.outcome, refused.evicted), (SetOutcome::DeletedAbsent, 1));
        assert_eq!(set(&mut book, 9, Qty::ZERO).evicted, 0, "a delete beyond it counts nothing");
        let kept: Vec<_> = book.side(Side::Bid).iter().map(|l| l.price).collect();
        assert_eq!(kept, vec![px(12), px(11)]);
        // A better price is exact: kept. Inserting one past the cap moves the horizon nearer.
        set(&mut book, 14, one);
        set(&mut book, 15, one);
        assert_eq!(book.horizon(Side::Bid), Some(px(11)));
        assert!(!book.exhausted());
        for raw in [15, 14, 12] {
            set(&mut book, raw, Qty::ZERO);
        }
        assert!(book.exhausted(), "nothing known is left on the bid side");
        book.clear();
        assert_eq!((book.horizon(Side::Bid), book.exhausted()), (None, false));
    }

    #[test]
    fn heap_bytes_are_kept_by_clear_and_given_back_by_release() {
        let mut book = Book::new(100_000);
        assert_eq!(book.heap_bytes(), 0, "nothing allocated before the first level");
        let one = Qty::from_scaled(1, 8).unwrap();
        // Spread far beyond the dense window, so deep chunks are made too.
        for i in 0..20_000 {
            book.set(Side::Bid, px(1_000_000 - 7 * i), one, LevelText::default()).unwrap();
        }
        let full = book.heap_bytes();
        // 20 000 deep levels need at least 20 000 / 64 chunks of 64 levels.
        assert!(full > 20_000 * std::mem::size_of::<Qty>(), "{full}");
        book.clear();
        assert_eq!(book.heap_bytes(), full, "clear keeps every allocation for reuse");
        book.release();
        assert_eq!((book.heap_bytes(), book.len()), (0, 0));
        book.set(Side::Ask, px(5), one, LevelText::default()).unwrap();
        assert!(book.heap_bytes() > 0 && book.heap_bytes() < full);
    }

    #[test]
    fn memory_follows_the_levels() {
        let one = Qty::from_scaled(1, 8).unwrap();
        let fill = |levels: i64, step: i64| {
            let mut book = Book::new(100_000);
            for i in 0..levels {
                book.set(Side::Bid, px(1_000_000 - step * i), one, LevelText::default()).unwrap();
                book.set(Side::Ask, px(1_000_001 + step * i), one, LevelText::default()).unwrap();
            }
            book.heap_bytes() as f64 / (2 * levels) as f64
        };
        // Contiguous levels: the window grows to hold them, about 10 bytes a slot.
        // (A 64-slot window is the floor: 648 bytes a side however few levels it holds.)
        for levels in [50, 400, 2_000] {
            let per_level = fill(levels, 1);
            assert!(per_level <= 32.0, "{levels} contiguous levels: {per_level} bytes a level");
        }
        // Sparse levels stay in the deep chunks (24 bytes a level, chunks filled in order) instead
        // of a mostly empty window.
        for step in [3, 10, 1_000] {
            let per_level = fill(400, step);
            assert!(per_level <= 64.0, "400 levels {step} ticks apart: {per_level} bytes a level");
        }
    }

    #[test]
    fn crossed_is_detected() {
        let mut book = Book::new(10);
        let one = Qty::from_scaled(1, 8).unwrap();
        book.set(Side::Bid, px(10), one, LevelText::default()).unwrap();
        book.set(Side::Ask, px(11), one, LevelText::default()).unwrap();
        assert!(!book.is_crossed());
        book.set(Side::Bid, px(11), one, LevelText::default()).unwrap();
        assert!(book.is_crossed());
        // Sides at different scales: the bids count tenths once 10.5 arrives, the asks units.
        let mut book = Book::new(10);
        let tenths = |t| Price::new(t, 1).unwrap();
        book.set(Side::Bid, tenths(105), one, LevelText::default()).unwrap();
        book.set(Side::Ask, px(12), one, LevelText::default()).unwrap();
        assert!(!book.is_crossed());
        book.set(Side::Bid, px(11), one, LevelText::default()).unwrap();
        assert!(!book.is_crossed());
        book.set(Side::Ask, px(11), one, LevelText::default()).unwrap();
        assert!(book.is_crossed(), "11 (tenths) against 11 (units)");
        book.set(Side::Ask, px(11), Qty::ZERO, LevelText::default()).unwrap();
        book.set(Side::Bid, tenths(125), one, LevelText::default()).unwrap();
        assert!(book.is_crossed(), "12.5 against 12");
    }
}
