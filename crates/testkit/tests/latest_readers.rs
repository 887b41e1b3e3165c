//! Latest-value readers (`Engine::top_reader`) over real captures: after every line a reader
//! shows the book's state and the last view published while it was Live (kept, marked Stale,
//! while the book is not trusted); and, with the ingest loop on its own thread, readers on other
//! threads only ever see whole values that the loop really published, never a Live state without
//! a top, never an older generation after a newer one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{
    BookState, DEPTH_LEVELS, DepthReader, EngineConfig, LatestTop, SlowConsumer, TopOfBook,
    TopReader, Update,
};
use depthbook_testkit::feeds::REFERENCE_FEEDS;
use depthbook_testkit::mutate::{Mutation, mutate};
use depthbook_venues::{InstrumentId, Venue};

/// OKX's real capture with two lines lost (checksum failures: Stale) and healing snapshots
/// (Live again, next generation).
fn okx_with_faults() -> Vec<Vec<u8>> {
    let clean = (REFERENCE_FEEDS[2].load)();
    let faults = [
        Mutation::Drop(120),
        Mutation::Drop(200),
        Mutation::InjectSnapshot { line: 260, instrument: 0 },
        Mutation::InjectSnapshot { line: 261, instrument: 1 },
        Mutation::InjectSnapshot { line: 262, instrument: 2 },
    ];
    mutate(Venue::Okx, &clean, &faults, &[])
}

type Levels = (Vec<(Price, Qty)>, Vec<(Price, Qty)>);

fn best_levels(book: &depthbook_core::Book) -> Levels {
    let side = |s| book.side(s).iter().take(DEPTH_LEVELS).map(|l| (l.price, l.qty)).collect();
    (side(Side::Bid), side(Side::Ask))
}

#[test]
fn after_every_line_readers_show_the_state_and_the_last_good_top() {
    let lines = okx_with_faults();
    let mut engine = depthbook_engine::Engine::new(EngineConfig::new(Venue::Okx));
    let rx = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
    let mut readers: Vec<TopReader> = Vec::new();
    let mut depths: Vec<DepthReader> = Vec::new();
    let mut last_view: HashMap<InstrumentId, TopOfBook> = HashMap::new();
    // Each book's best levels as of its last view.
    let mut last_levels: HashMap<InstrumentId, Levels> = HashMap::new();
    let (mut stale_seen, mut rebuilt) = (0, 0);
    let mut reader = depthbook_testkit::capture_reader(&[&lines], 16 << 20).unwrap();
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(&mut engine, &record);
        for update in rx.try_iter() {
            if let Update::Book(view) = update {
                last_view.insert(view.instrument, view);
                let book = engine.book(view.instrument).unwrap();
                last_levels.insert(view.instrument, best_levels(book));
            }
        }
        while readers.len() < engine.n_instruments() {
            readers.push(engine.top_reader(readers.len() as InstrumentId).unwrap());
            depths.push(engine.depth_reader(depths.len() as InstrumentId).unwrap());
        }
        for d in &depths {
            let view = d.read();
            let id = d.instrument();
            assert_eq!(Some(view.state), engine.state(id), "{}: depth state", engine.symbol(id));
            let levels = (view.bids().to_vec(), view.asks().to_vec());
            assert_eq!(Some(&levels).filter(|_| view.generation > 0), last_levels.get(&id));
            if view.is_live() {
                assert_eq!(levels, best_levels(engine.book(id).unwrap()), "Live: the book itself");
            }
        }
        for r in &readers {
            let id = r.instrument();
            let LatestTop { state, resync_in_flight, top } = r.read();
            assert_eq!(Some(state), engine.state(id), "{}: state", engine.symbol(id));
            assert_eq!(
                top,
                last_view.get(&id).copied(),
                "{}: the last good top",
                engine.symbol(id)
            );
            if let BookState::Stale(_) = state {
                // OKX resubscribes a Stale book at once.
                assert!(resync_in_flight, "{}: a resync is asked for", engine.symbol(id));
                stale_seen += 1;
            }
            if top.is_some_and(|t| t.generation > 1) {
                rebuilt += 1;
            }
        }
    }
    assert!(stale_seen > 0, "the faults made books Stale");
    assert!(rebuilt > 0, "healed books came back in a new generation");
}

#[test]
fn readers_on_other_threads_see_only_whole_published_values() {
    // Kraken v1: 10 books, 4325 lines, 4279 views.
    let lines = (REFERENCE_FEEDS[4].load)();
    let first = depthbook_testkit::replay(EngineConfig::new(Venue::KrakenV1), &lines, 0);
    let symbols: Vec<String> = (0..first.engine.n_instruments() as InstrumentId)
        .map(|id| first.engine.symbol(id).to_owned())
        .collect();
    let published: Arc<HashSet<TopOfBook>> =
        Arc::new(first.outcomes.iter().flat_map(|o| &o.views).copied().collect::<HashSet<_>>());

    let mut config = EngineConfig::new(Venue::KrakenV1);
    config.symbols = Some(symbols.clone());
    let mut engine = depthbook_engine::Engine::new(config);
    let readers: Vec<TopReader> =
        (0..symbols.len() as InstrumentId).map(|id| engine.top_reader(id).unwrap()).collect();
    let depths: Vec<DepthReader> =
        (0..symbols.len() as InstrumentId).map(|id| engine.depth_reader(id).unwrap()).collect();
    let done = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let (readers, depths) = (readers.clone(), depths.clone());
            let (done, published) = (Arc::clone(&done), Arc::clone(&published));
            std::thread::spawn(move || {
                let mut generation = vec![0u64; readers.len()];
                let mut reads = 0u64;
                while !done.load(Ordering::Relaxed) {
                    for (i, r) in readers.iter().enumerate().skip(t) {
                        let latest = r.read();
                        if latest.is_live() {
                            assert!(latest.top.is_some(), "Live without a top");
                        }
                        if let Some(top) = latest.top {
                            assert!(published.contains(&top), "never published: {top:?}");
                            assert!(top.generation >= generation[i], "generation went back");
                            generation[i] = top.generation;
                        }
                        reads += 1;
                    }
                    for d in &depths {
                        let view = d.read();
                        if view.generation == 0 {
                            continue;
                        }
                        // Whole: each side strictly ordered best first, its best level that of
                        // a view published in the same generation.
                        assert!(view.bids().windows(2).all(|w| w[0].0 > w[1].0), "{view:?}");
                        assert!(view.asks().windows(2).all(|w| w[0].0 < w[1].0), "{view:?}");
                        let best = (view.bids().first().copied(), view.asks().first().copied());
                        assert!(
                            published.iter().any(|t| t.instrument == view.instrument
                                && t.generation == view.generation
                                && t.recv_ns == view.recv_ns
                                && (t.bid, t.ask) == best),
                            "depth never published: {view:?}"
                        );
                    }
                }
                reads
            })
        })
        .collect();
    let ingest = std::thread::spawn(move || {
        let _ = depthbook_testkit::replay_into(&mut engine, &lines);
        engine
    });
    let engine = ingest.join().unwrap();
    done.store(true, Ordering::Relaxed);
    for t in threads {
        assert!(t.join().unwrap() > 0);
    }
    for r in &readers {
        let latest = r.read();
        assert_eq!(Some(latest.state), engine.state(r.instrument()));
        assert!(latest.is_live(), "every Kraken book ends Live");
    }
}
