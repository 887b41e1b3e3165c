//! One side of a book: price levels kept sorted so that the best level is last.
//!
//! Updates from every venue concentrate near the touch, so the layout puts the touch at the end of
//! contiguous arrays: an insert or delete near the top moves a handful of elements, and a read of
//! the top N levels walks the last N entries backwards. Prices, sizes and text forms live in
//! separate arrays so that the search touches only prices.

use crate::decimal::{NumText, Price, Qty};

/// Which side of the book a level is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy orders; best is the highest price.
    Bid,
    /// Sell orders; best is the lowest price.
    Ask,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }
}

/// How a level's price and size were spelled by the venue (for checksums over original text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LevelText {
    /// The price's spelling.
    pub price: NumText,
    /// The size's spelling.
    pub qty: NumText,
}

impl LevelText {
    /// Pairs a price's and a size's spelling.
    pub const fn new(price: NumText, qty: NumText) -> Self {
        Self { price, qty }
    }
}

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level {
    /// The level's price.
    pub price: Price,
    /// The total size resting at that price; never zero inside a ladder.
    pub qty: Qty,
    /// The venue's spelling of price and size.
    pub text: LevelText,
}

/// What [`Ladder::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// A new level was added.
    Inserted,
    /// An existing level got a new size.
    Updated,
    /// An existing level was removed (size zero).
    Deleted,
    /// Size zero for a price the ladder did not hold: normal on every venue, nothing changed.
    DeletedAbsent,
}

/// The levels of one side.
#[derive(Debug, Clone)]
pub struct Ladder {
    side: Side,
    // Invariant: strictly ascending. The key is the raw price for bids and its bitwise complement
    // for asks (an order-reversing bijection on i128 with no overflow), so the best level is last.
    keys: Vec<i128>,
    // Invariant: same length as `keys`; no zero sizes.
    qtys: Vec<Qty>,
    // Invariant: same length as `keys`.
    texts: Vec<LevelText>,
}

impl Ladder {
    /// An empty ladder for `side`.
    pub fn new(side: Side) -> Self {
        Self { side, keys: Vec::new(), qtys: Vec::new(), texts: Vec::new() }
    }

    /// An empty ladder with room for `capacity` levels before it allocates.
    pub fn with_capacity(side: Side, capacity: usize) -> Self {
        Self {
            side,
            keys: Vec::with_capacity(capacity),
            qtys: Vec::with_capacity(capacity),
            texts: Vec::with_capacity(capacity),
        }
    }

    /// The side this ladder holds.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Number of levels.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the ladder has no levels.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    #[inline]
    fn key(&self, price: Price) -> i128 {
        match self.side {
            Side::Bid => price.raw(),
            Side::Ask => !price.raw(),
        }
    }

    #[inline]
    fn price_of(&self, key: i128) -> Price {
        match self.side {
            Side::Bid => Price::from_raw(key),
            Side::Ask => Price::from_raw(!key),
        }
    }

    /// Finds `key`, searching the touch first: most updates land within a few levels of it.
    #[inline]
    fn locate(&self, key: i128) -> Result<usize, usize> {
        const NEAR_TOUCH: usize = 8;
        let n = self.keys.len();
        let tail = n.saturating_sub(NEAR_TOUCH);
        match self.keys.get(tail) {
            Some(&first_near) if key >= first_near => {
                let mut i = n;
                while i > tail && self.keys[i - 1] > key {
                    i -= 1;
                }
                if i > tail && self.keys[i - 1] == key { Ok(i - 1) } else { Err(i) }
            }
            _ => self.keys[..tail].binary_search(&key),
        }
    }

    /// Sets the size at `price`; size zero deletes the level (deleting an absent level is fine).
    #[inline]
    pub fn set(&mut self, price: Price, qty: Qty, text: LevelText) -> SetOutcome {
        let key = self.key(price);
        match self.locate(key) {
            Ok(i) if qty.is_zero() => {
                self.keys.remove(i);
                self.qtys.remove(i);
                self.texts.remove(i);
                SetOutcome::Deleted
            }
            Ok(i) => {
                self.qtys[i] = qty;
                self.texts[i] = text;
                SetOutcome::Updated
            }
            Err(_) if qty.is_zero() => SetOutcome::DeletedAbsent,
            Err(i) => {
                self.keys.insert(i, key);
                self.qtys.insert(i, qty);
                self.texts.insert(i, text);
                SetOutcome::Inserted
            }
        }
    }

    /// The best level, if any.
    #[inline]
    pub fn best(&self) -> Option<Level> {
        self.nth_best(0)
    }

    /// The `n`-th best level (0 is the best).
    #[inline]
    pub fn nth_best(&self, n: usize) -> Option<Level> {
        let i = self.keys.len().checked_sub(n + 1)?;
        Some(Level { price: self.price_of(self.keys[i]), qty: self.qtys[i], text: self.texts[i] })
    }

    /// The levels, best first.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Level> + '_ {
        (0..self.keys.len()).rev().map(move |i| Level {
            price: self.price_of(self.keys[i]),
            qty: self.qtys[i],
            text: self.texts[i],
        })
    }

    /// The size at `price`, if the ladder holds it.
    pub fn qty_at(&self, price: Price) -> Option<Qty> {
        self.locate(self.key(price)).ok().map(|i| self.qtys[i])
    }

    /// Keeps the best `depth` levels and drops the rest; returns how many were dropped.
    pub fn truncate(&mut self, depth: usize) -> usize {
        let excess = self.keys.len().saturating_sub(depth);
        if excess > 0 {
            self.keys.drain(..excess);
            self.qtys.drain(..excess);
            self.texts.drain(..excess);
        }
        excess
    }

    /// Removes every level, keeping the allocation.
    pub fn clear(&mut self) {
        self.keys.clear();
        self.qtys.clear();
        self.texts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap().0
    }
    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap().0
    }

    #[test]
    fn bids_best_is_highest_asks_best_is_lowest() {
        let mut bids = Ladder::new(Side::Bid);
        let mut asks = Ladder::new(Side::Ask);
        for px in ["10", "12", "11"] {
            bids.set(p(px), q("1"), LevelText::default());
            asks.set(p(px), q("1"), LevelText::default());
        }
        assert_eq!(bids.best().unwrap().price, p("12"));
        assert_eq!(asks.best().unwrap().price, p("10"));
        let bid_prices: Vec<_> = bids.iter().map(|l| l.price).collect();
        assert_eq!(bid_prices, vec![p("12"), p("11"), p("10")]);
        let ask_prices: Vec<_> = asks.iter().map(|l| l.price).collect();
        assert_eq!(ask_prices, vec![p("10"), p("11"), p("12")]);
    }

    #[test]
    fn zero_deletes_and_absent_delete_is_harmless() {
        let mut bids = Ladder::new(Side::Bid);
        assert_eq!(bids.set(p("1"), q("2"), LevelText::default()), SetOutcome::Inserted);
        assert_eq!(bids.set(p("1"), q("3"), LevelText::default()), SetOutcome::Updated);
        assert_eq!(bids.qty_at(p("1")), Some(q("3")));
        assert_eq!(bids.set(p("1"), Qty::ZERO, LevelText::default()), SetOutcome::Deleted);
        assert_eq!(bids.set(p("1"), Qty::ZERO, LevelText::default()), SetOutcome::DeletedAbsent);
        assert!(bids.is_empty());
    }

    #[test]
    fn truncate_keeps_the_best() {
        let mut asks = Ladder::new(Side::Ask);
        for i in 1..=20 {
            asks.set(Price::from_raw(i), q("1"), LevelText::default());
        }
        assert_eq!(asks.truncate(5), 15);
        let kept: Vec<_> = asks.iter().map(|l| l.price.raw()).collect();
        assert_eq!(kept, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn extreme_prices_keep_their_order() {
        let mut asks = Ladder::new(Side::Ask);
        for raw in [i128::MAX, i128::MIN, 0, -1, 1] {
            asks.set(Price::from_raw(raw), q("1"), LevelText::default());
        }
        let got: Vec<_> = asks.iter().map(|l| l.price.raw()).collect();
        assert_eq!(got, vec![i128::MIN, -1, 0, 1, i128::MAX]);
    }
}
