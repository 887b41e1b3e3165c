//! The peers and depthbook end on the same levels for the bench workload (a shorter stream, so
//! the check stays fast in a debug build): the benches compare the same work.

use depthbook_benches::{Workload, binance_frames};
use depthbook_core::Book;
use depthbook_peer_benches::{
    BTreeBook, LOT_SIZE, Levels, NautilusBook, TICK_SIZE, float_changes, hft_apply,
    hft_parse_apply, nautilus_changes, nautilus_parse_apply, tick_changes,
};
use hftbacktest::depth::{BTreeMarketDepth, HashMapMarketDepth};

const WORKLOAD: Workload = Workload { events: 10_000, ..Workload::BINANCE_LIKE };

fn depthbook_levels() -> Levels {
    let mut book = Book::new(1 << 20);
    for ch in &WORKLOAD.generate(42) {
        book.set(ch.side, ch.price, ch.qty, ch.text).expect("cent prices fit one ladder");
    }
    Levels::of_depthbook(&book)
}

#[test]
fn native_inputs_build_the_same_levels() {
    let changes = WORKLOAD.generate(42);
    let reference = depthbook_levels();
    assert!(reference.bids.len() > 500 && reference.asks.len() > 500);

    let mut hashmap = HashMapMarketDepth::new(TICK_SIZE, LOT_SIZE);
    let mut btree = BTreeMarketDepth::new(TICK_SIZE, LOT_SIZE);
    for (i, ch) in float_changes(&changes).iter().enumerate() {
        hft_apply(&mut hashmap, ch, i as i64);
        hft_apply(&mut btree, ch, i as i64);
    }
    let mut nautilus = NautilusBook::new();
    for ch in nautilus_changes(&changes) {
        nautilus.apply(ch.order, ch.delete);
    }
    let mut btreemap = BTreeBook::default();
    for ch in &tick_changes(&changes) {
        btreemap.set(ch);
    }
    assert_eq!(Levels::of_hashmap_depth(&hashmap), reference);
    assert_eq!(Levels::of_btree_depth(&btree), reference);
    assert_eq!(Levels::of_nautilus(&nautilus), reference);
    assert_eq!(Levels::of_btree_book(&btreemap), reference);
}

#[test]
fn parsed_frames_build_the_same_levels() {
    let changes = WORKLOAD.generate(42);
    let (frames, _) = binance_frames(&changes, WORKLOAD.levels_per_event, 1_000);
    let mut hashmap = HashMapMarketDepth::new(TICK_SIZE, LOT_SIZE);
    let mut nautilus = NautilusBook::new();
    let (mut hft_applied, mut nautilus_applied) = (0, 0);
    for frame in &frames {
        hft_applied += hft_parse_apply(&mut hashmap, frame);
        nautilus_applied += nautilus_parse_apply(&mut nautilus, frame);
    }
    assert_eq!(hft_applied, changes.len());
    assert_eq!(nautilus_applied, changes.len());
    let reference = depthbook_levels();
    assert_eq!(Levels::of_hashmap_depth(&hashmap), reference);
    assert_eq!(Levels::of_nautilus(&nautilus), reference);
}

/// The synthetic stream deletes the levels its drifting mid crosses, as a venue does, so every
/// book agrees on the touch too.
#[test]
fn the_workload_book_is_never_crossed() {
    assert!(!depthbook_levels().is_crossed());
}
