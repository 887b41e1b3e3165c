//! A book rebuilt from what the engine published about it: the journal reader's copy (the bus
//! publisher's mirror, a remote subscriber's book).
//!
//! Deliberately simple (a sorted map a side): it is the reference the journal is judged
//! against, and it runs off the ingest thread.

use std::collections::BTreeMap;

use depthbook_core::{Price, Qty, Side};

use crate::journal::BookRecord;

/// One book's levels as a journal reader holds them.
///
/// Invariant: no level has a zero size; each side holds at most `max_levels` levels (an
/// update past that is refused and reported, so the caller can stop trusting the copy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replica {
    bids: BTreeMap<Price, Qty>,
    asks: BTreeMap<Price, Qty>,
    max_levels: usize,
}

/// A replica refused an update: it would have held more levels a side than its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverCap;

impl Replica {
    /// An empty book holding at most `max_levels` levels a side.
    pub fn new(max_levels: usize) -> Self {
        Replica { bids: BTreeMap::new(), asks: BTreeMap::new(), max_levels }
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Price, Qty> {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    fn side(&self, side: Side) -> &BTreeMap<Price, Qty> {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    /// Removes every level.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Sets the size at `price` (zero deletes).
    ///
    /// # Errors
    /// [`OverCap`] if the side would hold more than its cap; nothing is changed.
    pub fn set(&mut self, side: Side, price: Price, qty: Qty) -> Result<(), OverCap> {
        let max = self.max_levels;
        let levels = self.side_mut(side);
        if qty.is_zero() {
            levels.remove(&price);
        } else if levels.len() < max || levels.contains_key(&price) {
            levels.insert(price, qty);
        } else {
            return Err(OverCap);
        }
        Ok(())
    }

    /// Drops every level of `side` worse than `floor`.
    pub fn drop_below(&mut self, side: Side, floor: Price) {
        match side {
            // Bids worse than the floor are below it.
            Side::Bid => {
                let kept = self.bids.split_off(&floor);
                self.bids = kept;
            }
            // Asks worse than the floor are above it.
            Side::Ask => {
                let mut worse = self.asks.split_off(&floor);
                if let Some(qty) = worse.remove(&floor) {
                    self.asks.insert(floor, qty);
                }
            }
        }
    }

    /// Applies a journal record's levels: a snapshot replaces the book, a delta sets each
    /// level and then drops what its floors say was removed.
    ///
    /// # Errors
    /// [`OverCap`] if a side would exceed the cap; the replica is then partly updated and must
    /// not be trusted until the next snapshot.
    pub fn apply(&mut self, record: &BookRecord<'_>, snapshot: bool) -> Result<(), OverCap> {
        if snapshot {
            self.clear();
        }
        for (side, price, qty) in record.levels() {
            self.set(side, price, qty)?;
        }
        for (side, floor) in [Side::Bid, Side::Ask].into_iter().zip(record.floors) {
            if let Some(floor) = floor {
                self.drop_below(side, floor);
            }
        }
        Ok(())
    }

    /// The best level of `side`.
    pub fn best(&self, side: Side) -> Option<(Price, Qty)> {
        let levels = self.side(side);
        let best = match side {
            Side::Bid => levels.last_key_value(),
            Side::Ask => levels.first_key_value(),
        };
        best.map(|(&p, &q)| (p, q))
    }

    /// The levels of `side`, best first.
    pub fn levels(&self, side: Side) -> Box<dyn Iterator<Item = (Price, Qty)> + '_> {
        let levels = self.side(side).iter().map(|(&p, &q)| (p, q));
        match side {
            Side::Bid => Box::new(levels.rev()),
            Side::Ask => Box::new(levels),
        }
    }

    /// Levels on `side`.
    pub fn len(&self, side: Side) -> usize {
        self.side(side).len()
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }
}
