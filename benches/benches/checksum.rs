//! Checksum verification on real books: OKX's 25 interleaved levels (original spelling, signed
//! CRC32) and Kraken's top 10 (digits only, unsigned), streamed into crc32fast.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use depthbook_benches::capture_frames;
use depthbook_core::checksum::{KrakenSpelling, interleaved_crc32, kraken_crc32};
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
    group.bench_function("okx_25_levels", |b| {
        b.iter(|| black_box(interleaved_crc32(black_box(&okx), 25)))
    });
    let kraken = book_after(Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt");
    group.bench_function("kraken_10_levels", |b| {
        b.iter(|| black_box(kraken_crc32(black_box(&kraken), KrakenSpelling::AsSent)))
    });
    group.finish();
}

criterion_group!(benches, checksum);
criterion_main!(benches);
