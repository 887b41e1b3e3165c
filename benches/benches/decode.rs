//! Decode only: real fixture frames through each venue's decoder (simd-json tape, fixed-point
//! levels), bytes per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::capture_frames;
use depthbook_venues::{Decoded, Frame, SymbolTable, Venue, VenueDecoder};

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for (name, venue, relative) in [
        ("binance_usdm", Venue::BinanceUsdm, "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz"),
        ("binance_spot", Venue::BinanceSpot, "binance_spot/hftbacktest_spot_btcusdt_20240808.gz"),
        ("okx", Venue::Okx, "okx/cryptofeed_OKX.ws.1.0.txt"),
        ("kraken_v1", Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt"),
    ] {
        // Book frames only: what the decoder spends its time on in production.
        let (frames, _) = capture_frames(relative);
        let mut decoder = VenueDecoder::new(venue);
        let mut symbols = SymbolTable::new(64);
        let mut out = Decoded::default();
        let book: Vec<_> = frames
            .into_iter()
            .filter(|f| {
                let frame = Frame::stream(&f.bytes);
                decoder.decode(&frame, &mut symbols, &mut out).is_ok() && !out.events.is_empty()
            })
            .collect();
        let bytes: u64 = book.iter().map(|f| f.bytes.len() as u64).sum();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut levels = 0;
                for f in &book {
                    if decoder.decode(&Frame::stream(&f.bytes), &mut symbols, &mut out).is_ok() {
                        levels += out.levels.len();
                    }
                }
                black_box(levels)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
