//! Property test: a book kept order by order ([`Book::set_order`]) against a reference that
//! keeps every order in a map and sums levels from scratch.

// A broken invariant fails the property loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use depthbook_core::checksum::bitfinex_string;
use depthbook_core::{Book, NumText, Price, Qty, Side};
use proptest::prelude::*;

/// The reference: order id to (side, price, size in units); no cap, nothing clever.
#[derive(Default)]
struct Model {
    orders: BTreeMap<u64, (Side, i64, i64)>,
}

impl Model {
    fn set(&mut self, side: Side, id: u64, price: i64, qty: i64) {
        if qty == 0 {
            self.orders.remove(&id);
        } else {
            self.orders.insert(id, (side, price, qty));
        }
    }

    /// One side's orders, best first, equal prices by id: (id, price, size).
    fn sorted(&self, side: Side) -> Vec<(u64, i64, i64)> {
        let mut orders: Vec<_> = self
            .orders
            .iter()
            .filter(|(_, o)| o.0 == side)
            .map(|(&id, &(_, price, qty))| (id, price, qty))
            .collect();
        orders.sort_by_key(|&(id, price, _)| (if side == Side::Bid { -price } else { price }, id));
        orders
    }

    /// Keeps the best `cap` orders per side (what the book's cap does).
    fn cap(&mut self, cap: usize) {
        for side in [Side::Bid, Side::Ask] {
            for (id, _, _) in self.sorted(side).into_iter().skip(cap) {
                self.orders.remove(&id);
            }
        }
    }

    /// Levels best first: price and the sum of its orders.
    fn levels(&self, side: Side) -> Vec<(i64, i64)> {
        let mut levels: Vec<(i64, i64)> = Vec::new();
        for (_, price, qty) in self.sorted(side) {
            match levels.last_mut() {
                Some(last) if last.0 == price => last.1 += qty,
                _ => levels.push((price, qty)),
            }
        }
        levels
    }

    /// The Bitfinex raw-book checksum string.
    fn checksum_string(&self) -> String {
        let (bids, asks) = (self.sorted(Side::Bid), self.sorted(Side::Ask));
        let mut parts = Vec::new();
        for i in 0..25 {
            if let Some((id, _, qty)) = bids.get(i) {
                parts.push(format!("{id}:{qty}"));
            }
            if let Some((id, _, qty)) = asks.get(i) {
                parts.push(format!("{id}:-{qty}"));
            }
        }
        parts.join(":")
    }
}

fn book_levels(book: &Book, side: Side) -> Vec<(i64, i64)> {
    book.side(side)
        .iter()
        .map(|l| (l.price.scaled_to(0).unwrap(), l.qty.to_scaled(0).unwrap()))
        .collect()
}

proptest! {
    #[test]
    fn orders_sum_into_levels_like_the_reference(
        ops in prop::collection::vec(
            (any::<bool>(), 1u64..40, 95i64..106, prop_oneof![1 => Just(0i64), 3 => 1i64..50]),
            1..300,
        ),
        cap in 3usize..30,
    ) {
        let mut book = Book::new(cap);
        let mut model = Model::default();
        for (bid, id, price, qty) in ops {
            // Bids below 100, asks from 100 up, so the book never crosses.
            let side = if bid { Side::Bid } else { Side::Ask };
            let price = if bid { price - 10 } else { price };
            book.set_order(
                side,
                id,
                Price::from_scaled(price, 0),
                Qty::from_scaled(qty, 0).unwrap(),
                NumText::plain(0),
            )
            .unwrap();
            model.set(side, id, price, qty);
            model.cap(cap);
            for side in [Side::Bid, Side::Ask] {
                prop_assert_eq!(book_levels(&book, side), model.levels(side));
            }
            prop_assert_eq!(bitfinex_string(&book), model.checksum_string());
        }
    }
}
