//! Individual orders behind a book's levels, for venues that publish a book order by order
//! (Bitfinex raw `R0` books): each level's size is the sum of the orders resting at its price.
//!
//! Each side keeps its orders in one vector in the venue's own order (best price first, equal
//! prices by ascending order id), which is also the order of its checksum string. The vector
//! never holds more than the book's level cap, so a lookup by id is a scan of at most that many
//! entries, and the book's memory stays bounded whatever ids a feed sends.

use crate::decimal::{NumText, NumberError, Price, Qty};
use crate::ladder::Side;

/// One resting order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// The venue's order id.
    pub id: u64,
    /// The order's price.
    pub price: Price,
    /// The order's remaining size (never zero while it rests).
    pub qty: Qty,
    /// How the venue spelled the size.
    pub qty_text: NumText,
}

/// A price whose level total changed, with its new total (zero: the level is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelTotal {
    /// The side.
    pub side: Side,
    /// The price.
    pub price: Price,
    /// The sum of the orders now resting at `price`.
    pub qty: Qty,
}

/// What one [`Orders::set`] changed: the totals of at most two prices (an order that moves
/// changes the level it left and the level it joined), and an order evicted to respect the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderChange {
    /// The changed level totals, in order; unused entries are `None`.
    pub totals: [Option<LevelTotal>; 3],
    /// Orders evicted to keep the side within its cap (0 or 1).
    pub evicted: usize,
}

/// The orders of both sides of one book.
///
/// Invariants: each side's vector is sorted best price first, equal prices by ascending id; an
/// id appears at most once in the whole book; no order has a zero size; neither side holds more
/// than `max_orders` orders (the farthest from the touch is evicted).
#[derive(Debug, Clone, Default)]
pub struct Orders {
    bids: Vec<Order>,
    asks: Vec<Order>,
    max_orders: usize,
}

impl Orders {
    /// Bytes the orders hold on the heap.
    pub fn heap_bytes(&self) -> usize {
        (self.bids.capacity() + self.asks.capacity()) * std::mem::size_of::<Order>()
    }

    /// No orders; at most `max_orders` per side (at least 1).
    pub fn new(max_orders: usize) -> Self {
        Self { bids: Vec::new(), asks: Vec::new(), max_orders: max_orders.max(1) }
    }

    /// One side's orders, best first.
    pub fn side(&self, side: Side) -> &[Order] {
        match side {
            Side::Bid => &self.bids,
            Side::Ask => &self.asks,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut Vec<Order> {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    /// Total orders on both sides.
    pub fn len(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Whether both sides are empty.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Removes every order, keeping the allocations.
    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    /// Places order `id` on `side` at `price` with size `qty`; a zero size removes the order
    /// (from whichever side holds it; `price` is then ignored). Returns the level totals that
    /// changed. Removing an id the book does not hold changes nothing.
    ///
    /// # Errors
    /// [`NumberError::OutOfRange`] if a level's total does not fit a [`Qty`]; the orders are
    /// unchanged.
    pub fn set(
        &mut self,
        side: Side,
        id: u64,
        price: Price,
        qty: Qty,
        qty_text: NumText,
    ) -> Result<OrderChange, NumberError> {
        let mut change = OrderChange::default();
        let old = self.find(id);
        if qty.is_zero() {
            if let Some((old_side, at)) = old {
                let removed = self.side_mut(old_side).remove(at);
                change.totals[0] = Some(self.total(old_side, removed.price)?);
            }
            return Ok(change);
        }
        let order = Order { id, price, qty, qty_text };
        // Check the new level's total before touching anything, so a failure changes nothing.
        let unchanged = old.map(|(s, at)| (s, self.side(s)[at]));
        self.side(side)
            .iter()
            .filter(|o| o.price == price && o.id != id)
            .try_fold(qty, |sum, o| sum.checked_add(o.qty))
            .ok_or(NumberError::OutOfRange)?;
        if let Some((old_side, at)) = old {
            self.side_mut(old_side).remove(at);
        }
        let orders = self.side_mut(side);
        let at = orders.partition_point(|o| ranks_before(side, o, &order));
        orders.insert(at, order);
        let mut slot = 0;
        if let Some((old_side, previous)) = unchanged
            && (old_side != side || previous.price != price)
        {
            change.totals[slot] = Some(self.total(old_side, previous.price)?);
            slot += 1;
        }
        change.totals[slot] = Some(self.total(side, price)?);
        slot += 1;
        if self.side(side).len() > self.max_orders
            && let Some(farthest) = self.side_mut(side).pop()
        {
            change.evicted = 1;
            let total = self.total(side, farthest.price)?;
            // The evicted order may sit at the level just set: report its total once, final.
            match change.totals[..slot].iter_mut().flatten().find(|t| t.price == farthest.price) {
                Some(existing) if existing.side == side => *existing = total,
                _ => change.totals[slot] = Some(total),
            }
        }
        Ok(change)
    }

    /// Drops `side`'s orders priced worse than `worst` (all of them for `None`): what a book
    /// truncated to its depth keeps.
    pub fn keep_within(&mut self, side: Side, worst: Option<Price>) {
        let orders = self.side_mut(side);
        match worst {
            Some(worst) => orders.retain(|o| !better(side, worst, o.price)),
            None => orders.clear(),
        }
    }

    /// Where order `id` rests.
    fn find(&self, id: u64) -> Option<(Side, usize)> {
        [Side::Bid, Side::Ask]
            .into_iter()
            .find_map(|side| self.side(side).iter().position(|o| o.id == id).map(|at| (side, at)))
    }

    /// The sum of `side`'s orders at `price`.
    fn total(&self, side: Side, price: Price) -> Result<LevelTotal, NumberError> {
        let orders = self.side(side);
        let start = orders.partition_point(|o| better(side, o.price, price));
        let qty = orders[start..]
            .iter()
            .take_while(|o| o.price == price)
            .try_fold(Qty::ZERO, |sum, o| sum.checked_add(o.qty))
            .ok_or(NumberError::OutOfRange)?;
        Ok(LevelTotal { side, price, qty })
    }
}

/// Whether `a` is a better price than `b` on `side`.
fn better(side: Side, a: Price, b: Price) -> bool {
    match side {
        Side::Bid => a > b,
        Side::Ask => a < b,
    }
}

/// Whether `resting` comes before `order` on `side`: a better price, or the same price and a
/// lower id.
fn ranks_before(side: Side, resting: &Order, order: &Order) -> bool {
    better(side, resting.price, order.price)
        || (resting.price == order.price && resting.id < order.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(text: &str) -> Price {
        Price::parse(text).map(|(p, _)| p).unwrap_or(Price::ZERO)
    }

    fn qty(text: &str) -> (Qty, NumText) {
        Qty::parse(text).unwrap_or((Qty::ZERO, NumText::plain(0)))
    }

    fn set(orders: &mut Orders, side: Side, id: u64, price: &str, size: &str) -> OrderChange {
        let (q, t) = qty(size);
        orders.set(side, id, px(price), q, t).unwrap_or_default()
    }

    fn ids(orders: &Orders, side: Side) -> Vec<u64> {
        orders.side(side).iter().map(|o| o.id).collect()
    }

    #[test]
    fn orders_sort_by_price_then_id_and_levels_sum_them() {
        let mut orders = Orders::new(10);
        set(&mut orders, Side::Bid, 101, "6000", "2");
        let change = set(&mut orders, Side::Bid, 100, "6000", "1");
        set(&mut orders, Side::Bid, 99, "5999", "1");
        set(&mut orders, Side::Ask, 103, "6100", "4");
        set(&mut orders, Side::Ask, 102, "6100", "3");
        assert_eq!(ids(&orders, Side::Bid), [100, 101, 99]);
        assert_eq!(ids(&orders, Side::Ask), [102, 103]);
        assert_eq!(
            change.totals[0],
            Some(LevelTotal { side: Side::Bid, price: px("6000"), qty: qty("3").0 })
        );
    }

    #[test]
    fn a_moved_order_changes_both_levels_and_a_zero_size_removes_it() {
        let mut orders = Orders::new(10);
        set(&mut orders, Side::Bid, 1, "10", "1");
        set(&mut orders, Side::Bid, 2, "10", "2");
        let change = set(&mut orders, Side::Bid, 1, "11", "5");
        assert_eq!(change.totals[0].map(|t| t.qty), Some(qty("2").0), "left 10");
        assert_eq!(change.totals[1].map(|t| (t.price, t.qty)), Some((px("11"), qty("5").0)));
        let change = set(&mut orders, Side::Ask, 2, "0", "0");
        assert_eq!(change.totals[0].map(|t| (t.side, t.qty)), Some((Side::Bid, Qty::ZERO)));
        assert_eq!(set(&mut orders, Side::Bid, 77, "0", "0"), OrderChange::default());
        assert_eq!(orders.len(), 1);
    }

    #[test]
    fn the_farthest_order_is_evicted_at_the_cap() {
        let mut orders = Orders::new(2);
        set(&mut orders, Side::Ask, 1, "10", "1");
        set(&mut orders, Side::Ask, 2, "11", "1");
        let change = set(&mut orders, Side::Ask, 3, "9", "1");
        assert_eq!(change.evicted, 1);
        assert_eq!(ids(&orders, Side::Ask), [3, 1]);
        assert!(change.totals.iter().flatten().any(|t| t.price == px("11") && t.qty.is_zero()));
        // An order past the worst is evicted at once, its level reported empty.
        let change = set(&mut orders, Side::Ask, 4, "12", "1");
        assert_eq!(change.totals.iter().flatten().count(), 1);
        assert_eq!(change.totals[0].map(|t| t.qty), Some(Qty::ZERO));
        assert_eq!(ids(&orders, Side::Ask), [3, 1]);
    }
}
