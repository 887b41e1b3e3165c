//! Property tests: the book against a `BTreeMap` reference under random operations, and the
//! decimal parser against `rust_decimal`.

// A broken invariant fails the property loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::str::FromStr;

use depthbook_core::checksum::{
    FragmentCache, KrakenSpelling, interleaved_crc32, interleaved_string, kraken_crc32,
    kraken_string,
};
use depthbook_core::{Book, LevelText, Price, Qty, SetOutcome, Side};
use proptest::prelude::*;

/// The reference: a map per side, price to size; nothing clever.
#[derive(Default)]
struct Model {
    bids: BTreeMap<Price, i64>,
    asks: BTreeMap<Price, i64>,
    /// The best price each side evicted since the last clear: the side then holds exactly the
    /// levels better than it, and refuses the others.
    bid_horizon: Option<Price>,
    ask_horizon: Option<Price>,
}

impl Model {
    fn side(&mut self, side: Side) -> &mut BTreeMap<Price, i64> {
        match side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        }
    }

    /// Best first.
    fn levels(&self, side: Side) -> Vec<(Price, i64)> {
        match side {
            Side::Bid => self.bids.iter().rev().map(|(&p, &q)| (p, q)).collect(),
            Side::Ask => self.asks.iter().map(|(&p, &q)| (p, q)).collect(),
        }
    }

    fn horizon(&mut self, side: Side) -> &mut Option<Price> {
        match side {
            Side::Bid => &mut self.bid_horizon,
            Side::Ask => &mut self.ask_horizon,
        }
    }

    /// Whether the side refuses `price`: at or beyond its horizon.
    fn refuses(&mut self, side: Side, price: Price) -> bool {
        match (side, *self.horizon(side)) {
            (Side::Bid, Some(h)) => price <= h,
            (Side::Ask, Some(h)) => price >= h,
            (_, None) => false,
        }
    }

    fn truncate(&mut self, depth: usize) {
        for side in [Side::Bid, Side::Ask] {
            let keep: Vec<_> = self.levels(side).into_iter().take(depth).collect();
            *self.side(side) = keep.into_iter().collect();
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set { side: Side, price: Price, qty: i64 },
    Truncate(usize),
    DropWorse { side: Side, floor: Price },
    Clear,
}

/// Prices on a grid that walks: mostly near a moving touch (so the dense window slides both
/// ways), sometimes far away (the deep deque), sometimes with an extra decimal (a rescale).
fn op(spread: i64) -> impl Strategy<Value = Op> {
    let side = prop_oneof![Just(Side::Bid), Just(Side::Ask)];
    let price = prop_oneof![
        6 => (-spread..spread).prop_map(|m| Price::from_scaled(m, 0)),
        1 => (-spread * 10..spread * 10, 0u8..3).prop_map(|(m, s)| Price::from_scaled(m, s)),
    ];
    // A third of sizes delete.
    let set = (side, price, prop_oneof![Just(0i64), 1i64..1_000])
        .prop_map(|(side, price, qty)| Op::Set { side, price, qty });
    let drop_worse = (prop_oneof![Just(Side::Bid), Just(Side::Ask)], -spread..spread)
        .prop_map(|(side, m)| Op::DropWorse { side, floor: Price::from_scaled(m, 0) });
    prop_oneof![
        30 => set,
        1 => (0usize..40).prop_map(Op::Truncate),
        1 => drop_worse,
        1 => Just(Op::Clear)
    ]
}

fn book_levels(book: &Book, side: Side) -> Vec<(Price, i64)> {
    book.side(side).iter().map(|l| (l.price, l.qty.to_scaled(8).unwrap())).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn prop_book_matches_btreemap_model(
        (_spread, ops) in (1i64..5_000).prop_flat_map(|spread| (Just(spread), prop::collection::vec(op(spread), 1..400))),
        cap in 1usize..300,
        window in prop_oneof![Just(64usize), Just(128), Just(2_048)],
        cache_fragments in any::<bool>(),
    ) {
        let mut book = Book::with_window(cap, window);
        // One cache kept across every step (as a book's), or a fresh one at each checksum.
        let mut cache = FragmentCache::new();
        let mut model = Model::default();
        for (step, op) in ops.into_iter().enumerate() {
            match op {
                Op::Set { side, price, qty } => {
                    let applied = book.set(side, price, Qty::from_scaled(qty, 8).unwrap(), LevelText::default()).unwrap();
                    if model.refuses(side, price) {
                        // Beyond what the side knows: refused, a size counted as evicted.
                        prop_assert_eq!(applied.outcome, SetOutcome::DeletedAbsent);
                        prop_assert_eq!(applied.evicted, usize::from(qty != 0));
                    } else {
                        let had = model.side(side).contains_key(&price);
                        let expected = match (had, qty == 0) {
                            (true, true) => SetOutcome::Deleted,
                            (true, false) => SetOutcome::Updated,
                            (false, true) => SetOutcome::DeletedAbsent,
                            (false, false) => SetOutcome::Inserted,
                        };
                        prop_assert_eq!(applied.outcome, expected);
                        if qty == 0 {
                            model.side(side).remove(&price);
                        } else {
                            model.side(side).insert(price, qty);
                        }
                        // The cap evicts the level farthest from the touch, which becomes the
                        // side's horizon.
                        let over = model.side(side).len().saturating_sub(cap);
                        prop_assert_eq!(applied.evicted, over);
                        if over > 0 {
                            let farthest = *model.levels(side).last().map(|(p, _)| p).unwrap();
                            model.side(side).remove(&farthest);
                            *model.horizon(side) = Some(farthest);
                        }
                    }
                }
                Op::Truncate(depth) => {
                    book.truncate(depth);
                    model.truncate(depth);
                }
                Op::DropWorse { side, floor } => {
                    let before = model.side(side).len();
                    model.side(side).retain(|&p, _| match side {
                        Side::Bid => p >= floor,
                        Side::Ask => p <= floor,
                    });
                    let dropped = before - model.side(side).len();
                    prop_assert_eq!(book.drop_worse_than(side, floor), dropped);
                }
                Op::Clear => {
                    book.clear();
                    model = Model::default();
                }
            }
            for side in [Side::Bid, Side::Ask] {
                prop_assert_eq!(book_levels(&book, side), model.levels(side));
                prop_assert_eq!(book.best(side).map(|l| (l.price, l.qty.to_scaled(8).unwrap())), model.levels(side).first().copied());
                for (price, qty) in model.levels(side) {
                    prop_assert_eq!(book.side(side).qty_at(price).and_then(|q| q.to_scaled(8)), Some(qty));
                }
                prop_assert_eq!(book.side(side).worst().map(|l| (l.price, l.qty.to_scaled(8).unwrap())), model.levels(side).last().copied());
                prop_assert!(book.side(side).len() <= cap);
                prop_assert_eq!(book.horizon(side), *model.horizon(side));
            }
            let exhausted = (model.bid_horizon.is_some() && model.bids.is_empty())
                || (model.ask_horizon.is_some() && model.asks.is_empty());
            prop_assert_eq!(book.exhausted(), exhausted);
            // Cached checksum fragments always hash what rendering afresh would: the CRC streams
            // cached slots through its own buffer, the string renders every level.
            let string = interleaved_string(&book, 25);
            let expected = crc32fast::hash(string.as_bytes()) as i32;
            if cache_fragments {
                // Synced on most steps, as the engine does before each checksum; now and then
                // not, and then the cache must find out for itself.
                if step % 5 != 4 {
                    cache.sync(&mut book);
                }
                prop_assert_eq!(interleaved_crc32(&book, 25, &mut cache), expected);
                if step % 7 == 3 {
                    // Another depth and spelling through the same cache.
                    let kraken = kraken_string(&book, KrakenSpelling::AsSent);
                    prop_assert_eq!(
                        kraken_crc32(&book, KrakenSpelling::AsSent, &mut cache),
                        crc32fast::hash(kraken.as_bytes())
                    );
                }
            } else {
                prop_assert_eq!(interleaved_crc32(&book, 25, &mut FragmentCache::new()), expected);
            }
        }
    }

    #[test]
    fn prop_price_parse_agrees_with_rust_decimal(
        int in 0u64..10_000_000_000,
        frac in prop::collection::vec(0u8..10, 0..9),
        negative in any::<bool>(),
    ) {
        let mut text = format!("{}{int}", if negative { "-" } else { "" });
        if !frac.is_empty() {
            text.push('.');
            text.extend(frac.iter().map(|d| char::from(b'0' + d)));
        }
        let (price, spelling) = Price::parse(&text).unwrap();
        let reference = rust_decimal::Decimal::from_str(&text).unwrap();
        prop_assert_eq!(price.to_decimal(), reference.normalize());
        // Normalized (no trailing zeros in the mantissa) whichever parser path took the text.
        let normalized = Price::new(price.mantissa(), price.scale()).unwrap();
        prop_assert_eq!((price.mantissa(), price.scale()), (normalized.mantissa(), normalized.scale()));
        prop_assert_eq!(spelling.decimals(), Some(frac.len() as u8));
        // The original spelling is rebuilt exactly.
        let mut buf = depthbook_core::decimal::NumBuf::new();
        prop_assert_eq!(price.write_text(spelling, &mut buf), text.as_bytes());
    }

    #[test]
    fn prop_parse_never_panics(text in "\\PC{0,80}") {
        let _ = Price::parse(&text);
        let _ = Qty::parse(&text);
        let _ = Qty::parse_signed(&text);
    }
}
