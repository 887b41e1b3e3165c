//! The replication journal judged against the engine: on every real capture, a reader that
//! applies the journal's records to [`Replica`]s holds, after every input line, exactly the
//! levels of every Live book, and holds Live exactly the books the engine holds Live; with a
//! ring too small for the reader, it is told which books it lost and gets them back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, JournalReader, Record, Replica};
use depthbook_testkit::capture_reader;
use depthbook_testkit::feeds::REFERENCE_FEEDS;
use depthbook_venues::InstrumentId;

/// The reader's side: a replica and whether it is to be trusted, per book.
#[derive(Default)]
struct Mirror {
    books: HashMap<InstrumentId, (Replica, bool)>,
    symbols: HashMap<InstrumentId, String>,
    snapshots: u64,
    deltas: u64,
    stale: u64,
    lost: u64,
}

impl Mirror {
    fn drain(&mut self, reader: &mut JournalReader, buf: &mut Vec<u8>) {
        while let Some(record) = reader.try_next(buf) {
            match record {
                Record::Snapshot(r) => {
                    self.snapshots += 1;
                    self.symbols.insert(r.instrument, r.symbol.to_owned());
                    let (replica, live) = self
                        .books
                        .entry(r.instrument)
                        .or_insert_with(|| (Replica::new(usize::MAX), false));
                    replica.apply(&r, true).unwrap();
                    *live = true;
                }
                Record::Delta(r) => {
                    self.deltas += 1;
                    let (replica, live) =
                        self.books.get_mut(&r.instrument).expect("a delta after its snapshot");
                    assert!(*live, "a delta for a book the reader holds Stale");
                    replica.apply(&r, false).unwrap();
                }
                Record::Stale { instrument, .. } => {
                    self.stale += 1;
                    if let Some((_, live)) = self.books.get_mut(&instrument) {
                        *live = false;
                    }
                }
                Record::Lost { instrument } => {
                    self.lost += 1;
                    if let Some((_, live)) = self.books.get_mut(&instrument) {
                        *live = false;
                    }
                }
                Record::Malformed => panic!("a malformed journal record"),
            }
        }
    }

    fn is_live(&self, id: InstrumentId) -> bool {
        self.books.get(&id).is_some_and(|(_, live)| *live)
    }
}

fn engine_levels(engine: &Engine, id: InstrumentId, side: Side) -> Vec<(Price, Qty)> {
    engine.book(id).unwrap().side(side).iter().map(|l| (l.price, l.qty)).collect()
}

fn replica_levels(mirror: &Mirror, id: InstrumentId, side: Side) -> Vec<(Price, Qty)> {
    mirror.books[&id].0.levels(side).collect()
}

/// Checks the mirror against the engine for `ids`: the same books Live, the same levels.
fn judge(engine: &Engine, mirror: &Mirror, ids: &[InstrumentId], at: &str) {
    for &id in ids {
        let live = engine.state(id).is_some_and(|s| s.is_live());
        assert_eq!(mirror.is_live(id), live, "{at}: book {id} Live in the engine: {live}");
        if live {
            assert_eq!(mirror.symbols[&id], engine.symbol(id), "{at}");
            for side in [Side::Bid, Side::Ask] {
                assert_eq!(
                    replica_levels(mirror, id, side),
                    engine_levels(engine, id, side),
                    "{at}: {side:?} of {}",
                    engine.symbol(id)
                );
            }
        }
    }
}

#[test]
fn the_journal_rebuilds_every_live_book_of_every_capture_exactly() {
    for feed in REFERENCE_FEEDS {
        let lines = (feed.load)();
        let config = EngineConfig::new(feed.venue);
        let max_line = config.limits.max_frame_bytes + 1;
        let mut engine = Engine::new(config);
        let mut journal = engine.journal(8 << 20);
        let mut reader = capture_reader(&[&lines], max_line).unwrap();
        let (mut mirror, mut buf) = (Mirror::default(), Vec::new());
        let mut line = 0;
        while let Some(record) = reader.next().unwrap() {
            line += 1;
            depthbook_capture::feed(&mut engine, &record);
            mirror.drain(&mut journal, &mut buf);
            let touched: Vec<InstrumentId> = engine.last_instruments().to_vec();
            judge(&engine, &mirror, &touched, &format!("{} line {line}", feed.name));
        }
        let all: Vec<InstrumentId> = (0..engine.n_instruments() as InstrumentId).collect();
        judge(&engine, &mirror, &all, &format!("{} at the end", feed.name));
        assert_eq!(engine.journal_dropped(), 0, "{}", feed.name);
        assert!(mirror.snapshots > 0, "{}: no snapshot journaled", feed.name);
        assert!(mirror.deltas > 0, "{}: no delta journaled", feed.name);
        // Every view published is one snapshot or delta record.
        assert_eq!(mirror.snapshots + mirror.deltas, engine.counters().published, "{}", feed.name);
        eprintln!(
            "{}: {} snapshots, {} deltas, {} stale records, judged equal",
            feed.name, mirror.snapshots, mirror.deltas, mirror.stale
        );
    }
}

#[test]
fn a_reader_left_behind_is_told_what_it_lost_and_gets_it_back() {
    // Binance spot: books of thousands of levels, so a stalled reader overflows the smallest
    // ring within a few hundred lines.
    let feed = REFERENCE_FEEDS.iter().find(|f| f.name == "binance_spot").unwrap();
    let lines = (feed.load)();
    let config = EngineConfig::new(feed.venue);
    let max_line = config.limits.max_frame_bytes + 1;
    let mut engine = Engine::new(config);
    let mut journal = engine.journal(depthbook_engine::MIN_JOURNAL_BYTES);
    let mut reader = capture_reader(&[&lines], max_line).unwrap();
    let (mut mirror, mut buf) = (Mirror::default(), Vec::new());
    let mut line = 0;
    let mut stalled_until = None;
    while let Some(record) = reader.next().unwrap() {
        line += 1;
        depthbook_capture::feed(&mut engine, &record);
        // The reader stops reading once the books are Live, until 5 lines after the first
        // record is dropped.
        if mirror.snapshots > 0 && stalled_until.is_none_or(|end| line < end) {
            if stalled_until.is_none() && engine.journal_dropped() > 0 {
                stalled_until = Some(line + 5);
            }
            continue;
        }
        mirror.drain(&mut journal, &mut buf);
        let touched: Vec<InstrumentId> = engine.last_instruments().to_vec();
        if stalled_until.is_none() || mirror.lost > 0 {
            // Before the stall, and once the loss was read, the mirror is exact; a book lost
            // and not yet sent again is held Stale (checked below), never wrong.
            for &id in &touched {
                if mirror.is_live(id) {
                    for side in [Side::Bid, Side::Ask] {
                        assert_eq!(
                            replica_levels(&mirror, id, side),
                            engine_levels(&engine, id, side),
                            "line {line}"
                        );
                    }
                }
            }
        }
    }
    assert!(engine.journal_dropped() > 0, "the reader never fell behind");
    assert!(mirror.lost > 0, "the reader was not told what it lost");
    let all: Vec<InstrumentId> = (0..engine.n_instruments() as InstrumentId).collect();
    judge(&engine, &mirror, &all, "at the end");
}

#[test]
fn a_reader_behind_when_the_engine_closes_the_journal_is_told_what_it_lost() {
    let feed = REFERENCE_FEEDS.iter().find(|f| f.name == "binance_spot").unwrap();
    let lines = (feed.load)();
    let config = EngineConfig::new(feed.venue);
    let max_line = config.limits.max_frame_bytes + 1;
    let mut engine = Engine::new(config);
    let mut journal = engine.journal(depthbook_engine::MIN_JOURNAL_BYTES);
    let mut reader = capture_reader(&[&lines], max_line).unwrap();
    let (mut mirror, mut buf) = (Mirror::default(), Vec::new());
    // Read until the book is Live, then never again until the engine is done.
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(&mut engine, &record);
        if mirror.snapshots == 0 {
            mirror.drain(&mut journal, &mut buf);
        }
    }
    assert!(engine.journal_dropped() > 0, "the reader fell behind");
    engine.close_journal();
    mirror.drain(&mut journal, &mut buf);
    assert!(journal.is_finished());
    assert!(mirror.lost > 0, "the loss was owed at the close and handed out after the last record");
    for id in 0..engine.n_instruments() as InstrumentId {
        assert!(!mirror.is_live(id), "book {id} is held Live with records missing");
    }
}
