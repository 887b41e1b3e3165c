//! Thousands of books in one engine: OKX `books` streams generated over 1,000 instruments of
//! 400 levels a side and 5,000 of 50, every checksum computed independently of depthbook. Every
//! book must end Live with every checksum verified, and the memory must follow the levels:
//! 1,000 books of 400 levels a side within 100 MB of heap (about 125 bytes a level, checksum
//! caches and buffers included), measured by the allocator, not only by the engine's count;
//! 5,000 books of 50 levels a side within the default budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::sync::Mutex;

use cap::Cap;
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_testkit::synthetic::{OkxShape, OkxStream};
use depthbook_venues::{Frame, Venue};

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// One test at a time: the allocator's count is the whole process's.
static ALONE: Mutex<()> = Mutex::new(());

/// Feeds every snapshot, then every update; returns the engine and the heap it grew by.
fn run(stream: &OkxStream, config: EngineConfig) -> (Engine, usize) {
    let baseline = HEAP.allocated();
    let mut engine = Engine::new(config);
    let views = engine.subscribe(1 << 10, SlowConsumer::KeepLatest);
    for frame in &stream.snapshots {
        engine.ingest(&Frame::stream(frame), 0);
        while views.try_recv().is_ok() {}
    }
    for frame in &stream.updates {
        engine.ingest(&Frame::stream(frame), 0);
        while views.try_recv().is_ok() {}
    }
    let grown = HEAP.allocated().saturating_sub(baseline);
    (engine, grown)
}

fn assert_all_live(engine: &Engine, stream: &OkxStream) {
    let c = engine.counters();
    assert_eq!((c.gaps, c.checksum_failures, c.decode_errors, c.over_budget), (0, 0, 0, 0));
    assert_eq!(c.checksums_verified, (stream.snapshots.len() + stream.updates.len()) as u64);
    for symbol in &stream.symbols {
        let id = engine.instrument(symbol).unwrap();
        assert!(engine.state(id).unwrap().is_live(), "{symbol}: {:?}", engine.state(id));
    }
}

#[test]
fn a_thousand_books_of_400_levels_fit_in_100_mb() {
    let _alone = ALONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let shape = OkxShape { updates: 20_000, ..OkxShape::THOUSAND_BOOKS };
    let stream = shape.generate();
    let mut config = EngineConfig::new(Venue::Okx);
    config.max_heap_bytes = 100_000_000;
    let (engine, grown) = run(&stream, config);
    assert_all_live(&engine, &stream);
    let levels: usize = (0..1_000).map(|id| engine.book(id).unwrap().len()).sum();
    eprintln!(
        "1,000 books, {levels} levels: engine counts {} bytes, the allocator {grown} ({:.0} a level)",
        engine.heap_bytes(),
        grown as f64 / levels as f64
    );
    assert!(levels >= 1_000 * 2 * 390, "the books hold their depth: {levels}");
    assert!(grown <= 100_000_000, "{grown} bytes of heap");
    assert!(engine.heap_bytes() <= grown, "the engine's count is part of what it holds");
}

#[test]
fn five_thousand_books_of_50_levels_fit_the_default_budget() {
    let _alone = ALONE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let shape =
        OkxShape { instruments: 5_000, levels: 50, updates: 20_000, ..OkxShape::THOUSAND_BOOKS };
    let stream = shape.generate();
    let config = EngineConfig::new(Venue::Okx);
    let budget = config.max_heap_bytes;
    let (engine, grown) = run(&stream, config);
    assert_all_live(&engine, &stream);
    eprintln!("5,000 books of 50 levels: {} bytes counted, {grown} allocated", engine.heap_bytes());
    assert!(engine.heap_bytes() <= budget);
}
