//! Checksum verification on real books: OKX's 25 interleaved levels (original spelling, signed
//! CRC32) and Kraken's top 10 (digits only, unsigned), streamed into crc32fast. Each with the
//! book's fragment cache warm (`okx_25_levels`, `kraken_10_levels`: what a verification costs
//! when the message changed nothing in the top levels), after one level near the touch changed
//! (`okx_25_levels_one_changed`: one fragment rendered), and with a cold cache
//! (`okx_25_levels_cold`: every fragment rendered).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use depthbook_benches::capture_frames;
use depthbook_core::checksum::{FragmentCache, KrakenSpelling, interleaved_crc32, kraken_crc32};
use depthbook_core::{Qty, Side};
use depthbook_engine::{Engine, EngineConfig};
use depthbook_venues::{Frame, Venue};

/// The first instrument's book after replaying a capture.
fn book_after(venue: Venue, relative: &str) -> depthbook_core::Book {
    let (frames, _) = capture_frames(relative);
    let mut engine = Engine::new(EngineConfig::new(venue));
    for f in &frames {
        engine.ingest(&Frame::stream(&f.bytes), 0);
    }
    engine.book(0).cloned().unwrap_or_else(|| depthbook_core::Book::new(1))
}

fn checksum(c: &mut Criterion) {
    let mut group = c.benchmark_group("checksum");
    let okx = book_after(Venue::Okx, "okx/cryptofeed_OKX.ws.1.0.txt");
    let mut cache = FragmentCache::new();
    group.bench_function("okx_25_levels", |b| {
        b.iter(|| black_box(interleaved_crc32(black_box(&okx), 25, &mut cache)))
    });
    // The third best bid's size alternates between two values: one level to render each time.
    let mut changing = okx.clone();
    let third = changing.side(Side::Bid).nth_best(2);
    let sizes = third.map(|l| [l.qty, Qty::from_scaled(12_345, 4).unwrap_or(l.qty)]);
    let mut turn = 0;
    group.bench_function("okx_25_levels_one_changed", |b| {
        b.iter(|| {
            if let (Some(level), Some(sizes)) = (third, sizes) {
                turn ^= 1;
                let _ = changing.set(Side::Bid, level.price, sizes[turn], level.text);
            }
            black_box(interleaved_crc32(black_box(&changing), 25, &mut cache))
        })
    });
    group.bench_function("okx_25_levels_cold", |b| {
        b.iter(|| black_box(interleaved_crc32(black_box(&okx), 25, &mut FragmentCache::new())))
    });
    let kraken = book_after(Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt");
    let mut cache = FragmentCache::new();
    group.bench_function("kraken_10_levels", |b| {
        b.iter(|| black_box(kraken_crc32(black_box(&kraken), KrakenSpelling::AsSent, &mut cache)))
    });
    group.finish();
}

criterion_group!(benches, checksum);
criterion_main!(benches);
