//! Peer order books driven by the same seeded workload as depthbook's own benches.
//!
//! Each peer gets the workload in its native input form, converted here before anything is
//! timed: integer ticks for a plain `BTreeMap` book, `f64` prices and sizes for hftbacktest's
//! market depths, and `Price`/`Quantity` [`BookOrder`]s for nautilus-model's `OrderBook`. The
//! parse + apply path has one decoder per peer as its users would write it: serde_json into
//! borrowed strings, then `str::parse::<f64>` (hftbacktest) or `Price`/`Quantity::from_str`
//! (nautilus-model).
//!
//! [`Levels`] reads every book back in one shape, so a bench can check before it measures that
//! all the books it compares hold the same levels.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use depthbook_benches::LevelChange;
use depthbook_core::{Book, Side};
use hftbacktest::depth::{BTreeMarketDepth, HashMapMarketDepth, L2MarketDepth};
use nautilus_core::UnixNanos;
use nautilus_model::data::BookOrder;
use nautilus_model::enums::{BookType, OrderSide};
use nautilus_model::identifiers::InstrumentId;
use nautilus_model::orderbook::{BookLevel, OrderBook};
use nautilus_model::types::fixed::FIXED_PRECISION;
use nautilus_model::types::{Price, Quantity};
use serde::Deserialize;

/// Decimals of the workload's prices (BTCUSDT's 0.01 tick).
pub const PRICE_SCALE: u8 = 2;
/// Decimals of the workload's sizes (Binance spot's 8).
pub const QTY_SCALE: u8 = 8;
/// hftbacktest's tick size for the workload.
pub const TICK_SIZE: f64 = 0.01;
/// hftbacktest's lot size for the workload.
pub const LOT_SIZE: f64 = 0.000_000_01;
/// The instrument every nautilus book is keyed by.
pub const NAUTILUS_INSTRUMENT: &str = "BTCUSDT.BINANCE";

/// A level change as integer counts: price in ticks of 0.01, size in units of 10^-8.
#[derive(Debug, Clone, Copy)]
pub struct TickChange {
    /// The side.
    pub side: Side,
    /// The price in ticks.
    pub ticks: i64,
    /// The size in units of 10^-8; zero deletes.
    pub qty: i64,
}

/// A level change as hftbacktest takes it: `f64` price and size.
#[derive(Debug, Clone, Copy)]
pub struct FloatChange {
    /// The side.
    pub side: Side,
    /// The price (`mantissa / 10^scale`).
    pub price: f64,
    /// The size; zero deletes.
    pub qty: f64,
}

/// A level change as nautilus-model takes it: a [`BookOrder`], applied as an update or a delete.
#[derive(Debug, Clone, Copy)]
pub struct NautilusChange {
    /// The order (its id is replaced by a price hash in an `L2_MBP` book).
    pub order: BookOrder,
    /// Whether the size is zero, so the level is deleted.
    pub delete: bool,
}

/// The workload as integer ticks.
///
/// # Panics
/// If a price is finer than 0.01: the generator only makes cent prices.
pub fn tick_changes(changes: &[LevelChange]) -> Vec<TickChange> {
    changes
        .iter()
        .map(|ch| TickChange {
            side: ch.side,
            ticks: ch.price.scaled_to(PRICE_SCALE).expect("the workload's prices are in cents"),
            qty: ch.qty.to_scaled(QTY_SCALE).expect("the workload's sizes have 8 decimals"),
        })
        .collect()
}

/// The workload as `f64` prices and sizes.
pub fn float_changes(changes: &[LevelChange]) -> Vec<FloatChange> {
    changes
        .iter()
        .map(|ch| FloatChange {
            side: ch.side,
            price: ch.price.mantissa() as f64 / 10f64.powi(i32::from(ch.price.scale())),
            qty: ch.qty.mantissa() as f64 / 10f64.powi(i32::from(ch.qty.scale())),
        })
        .collect()
}

/// The workload as nautilus [`BookOrder`]s, with `Price`/`Quantity` built from the exact
/// mantissas (no float or decimal round trip).
///
/// # Panics
/// If a size is negative: [`depthbook_core::Qty`] never is.
pub fn nautilus_changes(changes: &[LevelChange]) -> Vec<NautilusChange> {
    changes
        .iter()
        .map(|ch| {
            let units = ch.qty.to_scaled(QTY_SCALE).expect("the workload's sizes have 8 decimals");
            let raw_qty = u64::try_from(units).expect("sizes are never negative");
            let order = BookOrder::new(
                nautilus_side(ch.side),
                Price::from_mantissa_exponent(
                    ch.price.mantissa(),
                    -(ch.price.scale() as i8),
                    PRICE_SCALE,
                ),
                Quantity::from_mantissa_exponent(raw_qty, -(QTY_SCALE as i8), QTY_SCALE),
                0,
            );
            NautilusChange { order, delete: raw_qty == 0 }
        })
        .collect()
}

fn nautilus_side(side: Side) -> OrderSide {
    match side {
        Side::Bid => OrderSide::Buy,
        Side::Ask => OrderSide::Sell,
    }
}

/// The baseline peer design: one `BTreeMap<ticks, size>` per side.
#[derive(Debug, Clone, Default)]
pub struct BTreeBook {
    /// Bids by price in ticks.
    pub bids: BTreeMap<i64, i64>,
    /// Asks by price in ticks.
    pub asks: BTreeMap<i64, i64>,
}

impl BTreeBook {
    /// Sets the size at a price; zero deletes. Returns the side's level count.
    #[inline]
    pub fn set(&mut self, ch: &TickChange) -> usize {
        let side = match ch.side {
            Side::Bid => &mut self.bids,
            Side::Ask => &mut self.asks,
        };
        if ch.qty == 0 {
            side.remove(&ch.ticks);
        } else {
            side.insert(ch.ticks, ch.qty);
        }
        side.len()
    }
}

/// Applies one change to an hftbacktest L2 depth; returns the side's best tick afterwards.
#[inline]
pub fn hft_apply<D: L2MarketDepth>(depth: &mut D, ch: &FloatChange, timestamp: i64) -> i64 {
    match ch.side {
        Side::Bid => depth.update_bid_depth(ch.price, ch.qty, timestamp).2,
        Side::Ask => depth.update_ask_depth(ch.price, ch.qty, timestamp).2,
    }
}

/// A copy of an L2 [`HashMapMarketDepth`] (the type has no `Clone`; an L2 feed never fills its
/// L3 order map, so the copy leaves that empty).
///
/// # Panics
/// If the depth holds L3 orders.
pub fn clone_hashmap_depth(depth: &HashMapMarketDepth) -> HashMapMarketDepth {
    assert!(depth.orders.is_empty(), "an L2 depth holds no L3 orders");
    HashMapMarketDepth {
        tick_size: depth.tick_size,
        lot_size: depth.lot_size,
        timestamp: depth.timestamp,
        ask_depth: depth.ask_depth.clone(),
        bid_depth: depth.bid_depth.clone(),
        best_bid_tick: depth.best_bid_tick,
        best_ask_tick: depth.best_ask_tick,
        low_bid_tick: depth.low_bid_tick,
        high_ask_tick: depth.high_ask_tick,
        orders: HashMap::new(),
    }
}

/// A copy of an L2 [`BTreeMarketDepth`] (the type has no `Clone`; see [`clone_hashmap_depth`]).
///
/// # Panics
/// If the depth holds L3 orders.
pub fn clone_btree_depth(depth: &BTreeMarketDepth) -> BTreeMarketDepth {
    assert!(depth.orders.is_empty(), "an L2 depth holds no L3 orders");
    BTreeMarketDepth {
        tick_size: depth.tick_size,
        lot_size: depth.lot_size,
        timestamp: depth.timestamp,
        bid_depth: depth.bid_depth.clone(),
        ask_depth: depth.ask_depth.clone(),
        best_bid_tick: depth.best_bid_tick,
        best_ask_tick: depth.best_ask_tick,
        orders: HashMap::new(),
    }
}

/// A nautilus `L2_MBP` [`OrderBook`] and the sequence number of its next update.
#[derive(Debug, Clone)]
pub struct NautilusBook {
    /// The book.
    pub book: OrderBook,
    /// The last sequence number applied; each [`NautilusBook::apply`] increments it, so a
    /// clone that replays the stream never looks out of order.
    pub sequence: u64,
}

impl Default for NautilusBook {
    fn default() -> Self {
        Self::new()
    }
}

impl NautilusBook {
    /// An empty `L2_MBP` book for [`NAUTILUS_INSTRUMENT`].
    ///
    /// # Panics
    /// Never for the constant instrument id.
    pub fn new() -> Self {
        let instrument = InstrumentId::from_str(NAUTILUS_INSTRUMENT)
            .expect("the bench's instrument id is well formed");
        Self { book: OrderBook::new(instrument, BookType::L2_MBP), sequence: 0 }
    }

    /// Applies one change the way nautilus applies an `OrderBookDelta` whose action is
    /// `Update` (a positive size: insert or replace the level) or `Delete` (a zero size).
    #[inline]
    pub fn apply(&mut self, order: BookOrder, delete: bool) {
        self.apply_at(order, delete, self.sequence + 1);
    }

    /// [`NautilusBook::apply`] with the exchange's sequence number (which may repeat within a
    /// message, as every level of a Binance diff shares its final update id).
    #[inline]
    pub fn apply_at(&mut self, order: BookOrder, delete: bool, sequence: u64) {
        self.sequence = sequence;
        let ts_event = UnixNanos::from(sequence);
        if delete {
            self.book.delete(order, 0, sequence, ts_event);
        } else {
            self.book.update(order, 0, sequence, ts_event);
        }
    }
}

/// A Binance spot `depthUpdate` as a serde peer decodes it, with borrowed strings.
#[derive(Debug, Deserialize)]
pub struct DepthUpdate<'a> {
    /// Event time, milliseconds.
    #[serde(rename = "E")]
    pub event_time: i64,
    /// First update id in the event.
    #[serde(rename = "U")]
    pub first_update_id: u64,
    /// Final update id in the event.
    #[serde(rename = "u")]
    pub last_update_id: u64,
    /// Bid `[price, size]` pairs.
    #[serde(borrow, rename = "b")]
    pub bids: Vec<[&'a str; 2]>,
    /// Ask `[price, size]` pairs.
    #[serde(borrow, rename = "a")]
    pub asks: Vec<[&'a str; 2]>,
}

/// serde_json + hftbacktest: decodes a frame and applies its levels as `f64`. Returns the number
/// of levels applied (0 for a frame that does not decode; a pair that is not a number is skipped,
/// as a feed handler would).
#[inline]
pub fn hft_parse_apply<D: L2MarketDepth>(depth: &mut D, frame: &[u8]) -> usize {
    let Ok(update) = serde_json::from_slice::<DepthUpdate<'_>>(frame) else {
        return 0;
    };
    let mut applied = 0;
    for (levels, side) in [(&update.bids, Side::Bid), (&update.asks, Side::Ask)] {
        for [price, qty] in levels {
            let (Ok(price), Ok(qty)) = (price.parse::<f64>(), qty.parse::<f64>()) else {
                continue;
            };
            hft_apply(depth, &FloatChange { side, price, qty }, update.event_time);
            applied += 1;
        }
    }
    applied
}

/// serde_json + nautilus-model from `&str`: decodes a frame, builds `Price` and `Quantity` with
/// their `FromStr` and applies each level as an update or a delete. Returns the number of levels
/// applied (as [`hft_parse_apply`]).
#[inline]
pub fn nautilus_parse_apply(book: &mut NautilusBook, frame: &[u8]) -> usize {
    let Ok(update) = serde_json::from_slice::<DepthUpdate<'_>>(frame) else {
        return 0;
    };
    let mut applied = 0;
    for (levels, side) in [(&update.bids, OrderSide::Buy), (&update.asks, OrderSide::Sell)] {
        for [price, qty] in levels {
            let (Ok(price), Ok(size)) = (Price::from_str(price), Quantity::from_str(qty)) else {
                continue;
            };
            let delete = size.is_zero();
            book.apply_at(BookOrder::new(side, price, size, 0), delete, update.last_update_id);
            applied += 1;
        }
    }
    applied
}

/// Every level of a book in one shape for every implementation: `(price in ticks of 0.01, size
/// in units of 10^-8)`, best first. Benches and tests compare these before measuring, so every
/// book compared is known to hold the same levels.
///
/// Levels are compared rather than each book's idea of its best price: on a crossed book
/// hftbacktest's `HashMapMarketDepth` reports a tracked best that skips the crossing levels (by
/// design). The synthetic stream deletes the levels its mid crosses, so this does not arise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels {
    /// Bids, highest first.
    pub bids: Vec<(i64, i64)>,
    /// Asks, lowest first.
    pub asks: Vec<(i64, i64)>,
}

impl Levels {
    fn sorted(mut bids: Vec<(i64, i64)>, mut asks: Vec<(i64, i64)>) -> Self {
        bids.sort_unstable_by(|a, b| b.cmp(a));
        asks.sort_unstable();
        Self { bids, asks }
    }

    /// Whether the highest bid is at or above the lowest ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.bids.first(), self.asks.first()), (Some(b), Some(a)) if b.0 >= a.0)
    }

    /// depthbook's [`Book`].
    ///
    /// # Panics
    /// If a price is finer than 0.01.
    pub fn of_depthbook(book: &Book) -> Self {
        let side = |side| {
            book.side(side)
                .iter()
                .map(|l| {
                    let ticks = l.price.scaled_to(PRICE_SCALE).expect("cent prices");
                    (ticks, l.qty.to_scaled(QTY_SCALE).expect("8-decimal sizes"))
                })
                .collect()
        };
        Self::sorted(side(Side::Bid), side(Side::Ask))
    }

    /// The `BTreeMap` baseline.
    pub fn of_btree_book(book: &BTreeBook) -> Self {
        let side = |map: &BTreeMap<i64, i64>| map.iter().map(|(&p, &q)| (p, q)).collect();
        Self::sorted(side(&book.bids), side(&book.asks))
    }

    /// hftbacktest's [`HashMapMarketDepth`] (its map keys are ticks, its sizes `f64`).
    pub fn of_hashmap_depth(depth: &HashMapMarketDepth) -> Self {
        let side = |map: &HashMap<i64, f64>| {
            map.iter().map(|(&p, &q)| (p, (q / LOT_SIZE).round() as i64)).collect()
        };
        Self::sorted(side(&depth.bid_depth), side(&depth.ask_depth))
    }

    /// hftbacktest's [`BTreeMarketDepth`].
    pub fn of_btree_depth(depth: &BTreeMarketDepth) -> Self {
        let side = |map: &BTreeMap<i64, f64>| {
            map.iter().map(|(&p, &q)| (p, (q / LOT_SIZE).round() as i64)).collect()
        };
        Self::sorted(side(&depth.bid_depth), side(&depth.ask_depth))
    }

    /// nautilus-model's [`OrderBook`] (raw values have [`FIXED_PRECISION`] decimals).
    pub fn of_nautilus(book: &NautilusBook) -> Self {
        Self::sorted(nautilus_levels(book.book.bids(None)), nautilus_levels(book.book.asks(None)))
    }
}

/// One side of a nautilus book as `(ticks, units of 10^-8)`.
fn nautilus_levels<'a>(levels: impl Iterator<Item = &'a BookLevel>) -> Vec<(i64, i64)> {
    let price_unit = 10i64.pow(u32::from(FIXED_PRECISION - PRICE_SCALE));
    let qty_unit = 10u64.pow(u32::from(FIXED_PRECISION - QTY_SCALE));
    levels
        .map(|l| {
            let qty = i64::try_from(l.size_raw() / qty_unit).unwrap_or(i64::MAX);
            (l.price.value.raw / price_unit, qty)
        })
        .collect()
}

/// Checks that every peer holds exactly depthbook's levels.
///
/// # Panics
/// On any difference: the books would not be doing the same work.
pub fn assert_same_levels(reference: &Levels, peers: &[(&str, Levels)]) {
    for (name, levels) in peers {
        assert!(
            levels == reference,
            "{name} disagrees with depthbook: {} bids / {} asks against {} / {}",
            levels.bids.len(),
            levels.asks.len(),
            reference.bids.len(),
            reference.asks.len(),
        );
    }
}
