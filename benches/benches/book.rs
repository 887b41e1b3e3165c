//! Book apply: ns per level update on the synthetic Binance-like stream, and top-N reads.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::Workload;
use depthbook_core::{Book, Side};

fn apply(c: &mut Criterion) {
    let mut group = c.benchmark_group("book_apply");
    for (name, workload) in [
        ("near_top", Workload { events: 100_000, ..Workload::BINANCE_LIKE }),
        ("deep", Workload { events: 100_000, max_distance: 20_000, ..Workload::BINANCE_LIKE }),
        ("wide", Workload { events: 100_000, max_distance: 200_000, ..Workload::BINANCE_LIKE }),
        (
            "delete_heavy",
            Workload { events: 100_000, delete_percent: 50, ..Workload::BINANCE_LIKE },
        ),
    ] {
        let changes = workload.generate(42);
        // Warm book: the stream applied once, so the measured pass sees a steady-state book.
        let mut warm = Book::new(1 << 20);
        for ch in &changes {
            let _ = warm.set(ch.side, ch.price, ch.qty, ch.text);
        }
        group.throughput(Throughput::Elements(changes.len() as u64));
        // A pass over the deep and wide streams takes long enough that ten samples give a
        // stable median without making the suite run for ten minutes.
        group.sample_size(if name == "near_top" || name == "delete_heavy" { 100 } else { 10 });
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || warm.clone(),
                |book| {
                    for ch in &changes {
                        let _ = black_box(book.set(ch.side, ch.price, ch.qty, ch.text));
                    }
                },
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn top_n(c: &mut Criterion) {
    let changes = Workload { events: 100_000, ..Workload::BINANCE_LIKE }.generate(7);
    let mut book = Book::new(1 << 20);
    for ch in &changes {
        let _ = book.set(ch.side, ch.price, ch.qty, ch.text);
    }
    let mut group = c.benchmark_group("book_read");
    group.bench_function("best_bid_ask", |b| {
        b.iter(|| black_box((book.best(Side::Bid), book.best(Side::Ask))))
    });
    group.bench_function("top_10_both_sides", |b| {
        b.iter(|| {
            let bids =
                book.side(Side::Bid).iter().take(10).fold(0i64, |acc, l| acc ^ l.price.mantissa());
            let asks =
                book.side(Side::Ask).iter().take(10).fold(0i64, |acc, l| acc ^ l.price.mantissa());
            black_box((bids, asks))
        })
    });
    group.finish();
}

criterion_group!(benches, apply, top_n);
criterion_main!(benches);
