//! Parse + apply, depthbook against its peers in one run: raw Binance spot `depthUpdate` frames
//! (rendered from the seeded Binance-like stream, 100 000 events, seed 42) into a book, in bytes
//! per second.
//!
//! - depthbook's `Engine`: decode (simd-json), sequence sync, apply, publish, as in the main
//!   `ingest` bench.
//! - serde_json + hftbacktest's `HashMapMarketDepth`: typed decode into borrowed strings,
//!   `str::parse::<f64>`, `update_{bid,ask}_depth`.
//! - serde_json + nautilus-model from `&str`: the same decode, `Price::from_str` and
//!   `Quantity::from_str`, then an `L2_MBP` `OrderBook` update or delete per level.
//!
//! Every iteration starts from an empty book, as the engine bench does.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::{Workload, binance_frames};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_peer_benches::{
    LOT_SIZE, Levels, NautilusBook, TICK_SIZE, assert_same_levels, hft_parse_apply,
    nautilus_parse_apply,
};
use depthbook_venues::{Frame, Venue};
use hftbacktest::depth::HashMapMarketDepth;

/// The REST URL the engine sees with the snapshot body.
const SNAPSHOT_URL: &str = "https://api.binance.com/api/v3/depth?symbol=BTCUSDT";

/// One engine pass over the stream: the first frame buffers, the empty snapshot syncs, the rest
/// apply live.
fn run_engine(frames: &[Vec<u8>], snapshot: &[u8]) -> Engine {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    let views = engine.subscribe(1024, SlowConsumer::KeepLatest);
    engine.ingest(&Frame::stream(&frames[0]), 0);
    engine.ingest(&Frame::rest(snapshot, Some(SNAPSHOT_URL)), 0);
    for frame in &frames[1..] {
        engine.ingest(&Frame::stream(frame), 0);
    }
    drop(views);
    engine
}

fn run_hftbacktest(frames: &[Vec<u8>]) -> HashMapMarketDepth {
    let mut depth = HashMapMarketDepth::new(TICK_SIZE, LOT_SIZE);
    for frame in frames {
        hft_parse_apply(&mut depth, frame);
    }
    depth
}

fn run_nautilus(frames: &[Vec<u8>]) -> NautilusBook {
    let mut book = NautilusBook::new();
    for frame in frames {
        nautilus_parse_apply(&mut book, frame);
    }
    book
}

fn parse_apply(c: &mut Criterion) {
    let changes = Workload { events: 100_000, ..Workload::BINANCE_LIKE }.generate(42);
    let (frames, snapshot) =
        binance_frames(&changes, Workload::BINANCE_LIKE.levels_per_event, 1_000);
    let bytes: u64 = frames.iter().map(|f| f.len() as u64).sum();

    // Every path must end on the same book, or they are not doing the same work.
    let engine = run_engine(&frames, &snapshot);
    let book = engine
        .instrument("BTCUSDT")
        .and_then(|id| engine.book(id))
        .expect("the engine keeps a BTCUSDT book");
    assert_same_levels(
        &Levels::of_depthbook(book),
        &[
            (
                "serde_json + HashMapMarketDepth",
                Levels::of_hashmap_depth(&run_hftbacktest(&frames)),
            ),
            ("serde_json + nautilus OrderBook", Levels::of_nautilus(&run_nautilus(&frames))),
        ],
    );
    drop(engine);

    let mut group = c.benchmark_group("peers_parse_apply_binance");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));

    group.bench_function("depthbook_engine", |b| {
        b.iter(|| black_box(run_engine(&frames, &snapshot).counters().published))
    });

    group.bench_function("serde_json_hftbacktest_hashmap", |b| {
        b.iter(|| black_box(run_hftbacktest(&frames).best_bid_tick))
    });

    group.bench_function("serde_json_nautilus_from_str", |b| {
        b.iter(|| black_box(run_nautilus(&frames).sequence))
    });
    group.finish();
}

criterion_group!(benches, parse_apply);
criterion_main!(benches);
