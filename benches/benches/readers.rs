//! Latest-value readers: what publishing to them costs the ingest loop (a second pass over the
//! OKX capture with no reader, a top-of-book reader, and a depth reader on every book), and
//! what one read costs a strategy thread when no write overlaps it.

// A bench over a bundled capture: a missing book is a broken fixture, loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use depthbook_benches::capture_frames;
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_venues::{Frame, InstrumentId, Venue};

#[derive(Clone, Copy)]
enum Readers {
    None,
    Top,
    TopAndDepth,
}

fn warm_engine(
    frames: &[Vec<u8>],
    readers: Readers,
) -> (Engine, crossbeam_channel::Receiver<depthbook_engine::Update>) {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let rx = engine.subscribe(1 << 12, SlowConsumer::KeepLatest);
    for f in frames {
        engine.ingest(&Frame::stream(f), 0);
    }
    for id in 0..engine.n_instruments() as InstrumentId {
        if !matches!(readers, Readers::None) {
            let _ = engine.top_reader(id);
        }
        if matches!(readers, Readers::TopAndDepth) {
            let _ = engine.depth_reader(id);
        }
    }
    (engine, rx)
}

fn readers(c: &mut Criterion) {
    let (captured, _) = capture_frames("okx/cryptofeed_OKX.ws.1.0.txt");
    let frames: Vec<Vec<u8>> = captured.into_iter().map(|f| f.bytes).collect();
    let mut group = c.benchmark_group("readers");
    group.throughput(Throughput::Elements(frames.len() as u64));
    for (name, which) in [
        ("okx_pass_no_readers", Readers::None),
        ("okx_pass_top_readers", Readers::Top),
        ("okx_pass_top_and_depth_readers", Readers::TopAndDepth),
    ] {
        let (mut engine, rx) = warm_engine(&frames, which);
        group.bench_function(name, |b| {
            b.iter(|| {
                engine.disconnect();
                for f in &frames {
                    engine.ingest(&Frame::stream(black_box(f)), 0);
                }
                rx.try_iter().for_each(drop);
            })
        });
    }
    group.throughput(Throughput::Elements(1));
    let (mut engine, _rx) = warm_engine(&frames, Readers::TopAndDepth);
    let top = engine.top_reader(0).expect("a book");
    let depth = engine.depth_reader(0).expect("a book");
    group.bench_function("top_read", |b| b.iter(|| black_box(top.read())));
    group.bench_function("depth_read", |b| b.iter(|| black_box(depth.read())));
    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
