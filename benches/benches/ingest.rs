//! Parse + apply of a Binance-style diff stream, side by side in one run: simd-json's tape parse
//! alone (the ceiling for any simd-json design), depthbook's engine (decode, sync, apply,
//! publish), and the common peer designs, typed serde decoding (serde_json, simd-json) into a
//! `BTreeMap` book.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::{Workload, binance_frames};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_venues::{Frame, Venue};
use serde::Deserialize;

/// The typed message a serde-based peer decodes (borrowed strings, as the fastest peers do).
#[derive(Deserialize)]
struct DepthUpdate<'a> {
    #[serde(rename = "U")]
    first_update_id: u64,
    #[serde(rename = "u")]
    last_update_id: u64,
    #[serde(borrow, rename = "b")]
    bids: Vec<[&'a str; 2]>,
    #[serde(borrow, rename = "a")]
    asks: Vec<[&'a str; 2]>,
}

/// A peer-style book: price and size as integer ticks through `f64`, in two `BTreeMap`s.
#[derive(Default)]
struct BTreeBook {
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    last: u64,
}

impl BTreeBook {
    fn apply(&mut self, update: &DepthUpdate<'_>) {
        for (levels, side) in [(&update.bids, &mut self.bids), (&update.asks, &mut self.asks)] {
            for [price, qty] in levels.iter() {
                let price = (price.parse::<f64>().unwrap_or(0.0) * 100.0).round() as i64;
                let qty = (qty.parse::<f64>().unwrap_or(0.0) * 1e8).round() as i64;
                if qty == 0 {
                    side.remove(&price);
                } else {
                    side.insert(price, qty);
                }
            }
        }
        self.last = update.last_update_id.max(update.first_update_id);
    }
}

fn ingest(c: &mut Criterion) {
    let changes = Workload { events: 100_000, ..Workload::BINANCE_LIKE }.generate(42);
    let (frames, snapshot) =
        binance_frames(&changes, Workload::BINANCE_LIKE.levels_per_event, 1_000);
    let bytes: u64 = frames.iter().map(|f| f.len() as u64).sum();
    let mut group = c.benchmark_group("ingest_binance_stream");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));

    group.bench_function("simd_json_tape_parse_only", |b| {
        let mut scratch = Vec::new();
        let mut buffers = simd_json::Buffers::default();
        let mut tape = simd_json::Tape(Vec::new());
        b.iter(|| {
            let mut nodes = 0;
            for frame in &frames {
                scratch.clear();
                scratch.extend_from_slice(frame);
                let len = scratch.len();
                scratch.resize(len + simd_json::INPUT_PADDING, 0);
                let mut t = std::mem::replace(&mut tape, simd_json::Tape(Vec::new())).reset();
                if simd_json::fill_tape_padded(&mut scratch, len, &mut buffers, &mut t).is_ok() {
                    nodes += t.0.len();
                }
                tape = t.reset();
            }
            black_box(nodes)
        })
    });

    group.bench_function("depthbook_engine", |b| {
        b.iter(|| {
            let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
            let views = engine.subscribe(1024, SlowConsumer::KeepLatest);
            engine.ingest(&Frame::stream(&frames[0]), 0);
            engine.ingest(
                &Frame::rest(
                    &snapshot,
                    Some("https://api.binance.com/api/v3/depth?symbol=BTCUSDT"),
                ),
                0,
            );
            for frame in &frames[1..] {
                engine.ingest(&Frame::stream(frame), 0);
            }
            drop(views);
            black_box(engine.counters().published)
        })
    });

    group.bench_function("serde_json_btreemap", |b| {
        b.iter(|| {
            let mut book = BTreeBook::default();
            for frame in &frames {
                if let Ok(update) = serde_json::from_slice::<DepthUpdate<'_>>(frame) {
                    book.apply(&update);
                }
            }
            black_box(book.last)
        })
    });

    group.bench_function("simd_json_serde_btreemap", |b| {
        let mut scratch = Vec::new();
        let mut buffers = simd_json::Buffers::default();
        b.iter(|| {
            let mut book = BTreeBook::default();
            for frame in &frames {
                scratch.clear();
                scratch.extend_from_slice(frame);
                if let Ok(mut de) =
                    simd_json::Deserializer::from_slice_with_buffers(&mut scratch, &mut buffers)
                    && let Ok(update) = DepthUpdate::deserialize(&mut de)
                {
                    book.apply(&update);
                }
            }
            black_box(book.last)
        })
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
