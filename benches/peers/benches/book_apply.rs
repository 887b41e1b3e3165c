//! Book apply, depthbook against its peers in one run: ns per level update on the seeded
//! Binance-like stream (`Workload::BINANCE_LIKE`, 100 000 events, seed 42), each book fed its
//! native input, converted before anything is timed.
//!
//! As in depthbook's own `book` bench, each book is warmed with one pass over the stream, and
//! each measured iteration is a full pass over a fresh copy of the warm book (the copy is made
//! outside the timed region).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::Workload;
use depthbook_core::Book;
use depthbook_peer_benches::{
    BTreeBook, LOT_SIZE, Levels, NautilusBook, TICK_SIZE, assert_same_levels, clone_btree_depth,
    clone_hashmap_depth, float_changes, hft_apply, nautilus_changes, tick_changes,
};
use hftbacktest::depth::{BTreeMarketDepth, HashMapMarketDepth};

fn book_apply(c: &mut Criterion) {
    let changes = Workload { events: 100_000, ..Workload::BINANCE_LIKE }.generate(42);
    let ticks = tick_changes(&changes);
    let floats = float_changes(&changes);
    let orders = nautilus_changes(&changes);

    // Warm books: the stream applied once, so the measured pass sees a steady-state book.
    let mut depthbook = Book::new(1 << 20);
    for ch in &changes {
        let _ = depthbook.set(ch.side, ch.price, ch.qty, ch.text);
    }
    let mut hft_hashmap = HashMapMarketDepth::new(TICK_SIZE, LOT_SIZE);
    let mut hft_btree = BTreeMarketDepth::new(TICK_SIZE, LOT_SIZE);
    for (i, ch) in floats.iter().enumerate() {
        hft_apply(&mut hft_hashmap, ch, i as i64);
        hft_apply(&mut hft_btree, ch, i as i64);
    }
    let mut nautilus = NautilusBook::new();
    for ch in &orders {
        nautilus.apply(ch.order, ch.delete);
    }
    let mut btreemap = BTreeBook::default();
    for ch in &ticks {
        btreemap.set(ch);
    }
    // Every book must hold the same levels, or they are not doing the same work.
    assert_same_levels(
        &Levels::of_depthbook(&depthbook),
        &[
            ("hftbacktest HashMapMarketDepth", Levels::of_hashmap_depth(&hft_hashmap)),
            ("hftbacktest BTreeMarketDepth", Levels::of_btree_depth(&hft_btree)),
            ("nautilus OrderBook", Levels::of_nautilus(&nautilus)),
            ("BTreeMap", Levels::of_btree_book(&btreemap)),
        ],
    );

    let mut group = c.benchmark_group("peers_book_apply");
    group.throughput(Throughput::Elements(changes.len() as u64));

    group.bench_function("depthbook_book", |b| {
        b.iter_batched_ref(
            || depthbook.clone(),
            |book| {
                for ch in &changes {
                    let _ = black_box(book.set(ch.side, ch.price, ch.qty, ch.text));
                }
            },
            BatchSize::LargeInput,
        );
    });

    group.bench_function("hftbacktest_hashmap_depth", |b| {
        b.iter_batched_ref(
            || clone_hashmap_depth(&hft_hashmap),
            |depth| {
                for (i, ch) in floats.iter().enumerate() {
                    black_box(hft_apply(depth, ch, i as i64));
                }
            },
            BatchSize::LargeInput,
        );
    });

    group.bench_function("hftbacktest_btree_depth", |b| {
        b.iter_batched_ref(
            || clone_btree_depth(&hft_btree),
            |depth| {
                for (i, ch) in floats.iter().enumerate() {
                    black_box(hft_apply(depth, ch, i as i64));
                }
            },
            BatchSize::LargeInput,
        );
    });

    group.bench_function("nautilus_orderbook_l2", |b| {
        b.iter_batched_ref(
            || nautilus.clone(),
            |book| {
                for ch in &orders {
                    book.apply(ch.order, ch.delete);
                }
                black_box(book.sequence)
            },
            BatchSize::LargeInput,
        );
    });

    group.bench_function("btreemap_i64", |b| {
        b.iter_batched_ref(
            || btreemap.clone(),
            |book| {
                for ch in &ticks {
                    black_box(book.set(ch));
                }
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, book_apply);
criterion_main!(benches);
