//! End to end: capture lines through decode, sync, apply, verify and publish, per real capture.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::capture_frames;
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_venues::{Frame, Venue};

fn replay(c: &mut Criterion) {
    let mut group = c.benchmark_group("replay");
    group.sample_size(20);
    for (name, venue, relative) in [
        (
            "binance_usdm_hftbacktest",
            Venue::BinanceUsdm,
            "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz",
        ),
        (
            "binance_spot_hftbacktest",
            Venue::BinanceSpot,
            "binance_spot/hftbacktest_spot_btcusdt_20240808.gz",
        ),
        ("okx_cryptofeed", Venue::Okx, "okx/cryptofeed_OKX.ws.1.0.txt"),
        ("kraken_v1_cryptofeed", Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt"),
    ] {
        let (frames, bytes) = capture_frames(relative);
        for (unit, throughput) in [
            ("bytes", Throughput::Bytes(bytes)),
            ("frames", Throughput::Elements(frames.len() as u64)),
        ] {
            group.throughput(throughput);
            group.bench_function(format!("{name}/{unit}"), |b| {
                b.iter(|| {
                    let mut engine = Engine::new(EngineConfig::new(venue));
                    let views = engine.subscribe(1 << 10, SlowConsumer::KeepLatest);
                    for (i, recorded) in frames.iter().enumerate() {
                        let frame = match &recorded.url {
                            Some(url) => Frame::rest(&recorded.bytes, Some(url)),
                            None => Frame::stream(&recorded.bytes),
                        };
                        engine.ingest(&frame, i as i64);
                    }
                    drop(views);
                    engine.counters().published
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
