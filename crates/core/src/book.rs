//! A two-sided price-level book with a cap on levels per side.

use crate::decimal::{Price, Qty};
use crate::ladder::{Ladder, Level, LevelText, SetOutcome, Side};

/// A bid and an ask [`Ladder`].
///
/// Invariant: neither side holds more than `max_levels` levels; when an insert would exceed it,
/// the level farthest from the touch is evicted (a Binance book grows past its 5000-level
/// snapshot without bound otherwise).
#[derive(Debug, Clone)]
pub struct Book {
    bids: Ladder,
    asks: Ladder,
    max_levels: usize,
}

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
        let max_levels = max_levels.max(1);
        Self { bids: Ladder::new(Side::Bid), asks: Ladder::new(Side::Ask), max_levels }
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
    /// side would exceed the cap.
    #[inline]
    pub fn set(&mut self, side: Side, price: Price, qty: Qty, text: LevelText) -> Applied {
        let max = self.max_levels;
        let ladder = self.side_mut(side);
        let outcome = ladder.set(price, qty, text);
        let evicted = if outcome == SetOutcome::Inserted { ladder.truncate(max) } else { 0 };
        Applied { outcome, evicted }
    }

    /// The best level of `side`.
    #[inline]
    pub fn best(&self, side: Side) -> Option<Level> {
        self.side(side).best()
    }

    /// Whether the best bid is at or above the best ask.
    pub fn is_crossed(&self) -> bool {
        match (self.bids.best(), self.asks.best()) {
            (Some(b), Some(a)) => b.price >= a.price,
            _ => false,
        }
    }

    /// Keeps the best `depth` levels of each side; returns how many were dropped.
    pub fn truncate(&mut self, depth: usize) -> usize {
        self.bids.truncate(depth) + self.asks.truncate(depth)
    }

    /// Removes every level, keeping the allocations.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Total levels on both sides.
    pub fn len(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_evicts_farthest_from_touch() {
        let mut book = Book::new(3);
        let one = Qty::from_raw(1).unwrap();
        let mut evicted = 0;
        for raw in [10, 11, 12, 13, 9] {
            evicted += book.set(Side::Bid, Price::from_raw(raw), one, LevelText::default()).evicted;
        }
        let kept: Vec<_> = book.side(Side::Bid).iter().map(|l| l.price.raw()).collect();
        assert_eq!(kept, vec![13, 12, 11]);
        assert_eq!(evicted, 2);
    }

    #[test]
    fn crossed_is_detected() {
        let mut book = Book::new(10);
        let one = Qty::from_raw(1).unwrap();
        book.set(Side::Bid, Price::from_raw(10), one, LevelText::default());
        book.set(Side::Ask, Price::from_raw(11), one, LevelText::default());
        assert!(!book.is_crossed());
        book.set(Side::Bid, Price::from_raw(11), one, LevelText::default());
        assert!(book.is_crossed());
    }
}
