//! `Engine::fork`: a fork goes on from its parent's state exactly as the parent does, and the
//! two are independent from then on (consumers, latest-value readers, books).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_engine::{Engine, EngineConfig, SlowConsumer, Update};
use depthbook_testkit::feeds::REFERENCE_FEEDS;
use depthbook_testkit::{capture_reader, levels};
use depthbook_venues::InstrumentId;

/// Feeds `lines` to `engine` line by line, collecting what `rx` received after each.
fn feed(
    engine: &mut Engine,
    rx: &crossbeam_channel::Receiver<Update>,
    lines: &[Vec<u8>],
) -> Vec<Vec<Update>> {
    let max_line = EngineConfig::new(engine.venue()).limits.max_frame_bytes + 1;
    let mut reader = capture_reader(&[lines], max_line).unwrap();
    let mut out = Vec::new();
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(engine, &record);
        out.push(rx.try_iter().collect());
    }
    out
}

/// Every book's state, sequence, buffered deltas and levels, and the counters.
fn state_of(engine: &Engine) -> String {
    let mut out = format!("{:?}\n", engine.counters());
    for id in 0..engine.n_instruments() as InstrumentId {
        let book = engine.book(id).map(|b| levels(b, usize::MAX));
        out += &format!(
            "{} {:?} {:?} {} {:?}\n",
            engine.symbol(id),
            engine.state(id),
            engine.last_seq(id),
            engine.buffered_deltas(id),
            book
        );
    }
    out
}

#[test]
fn a_fork_continues_every_feed_as_its_parent_does() {
    for feed_def in &REFERENCE_FEEDS {
        let lines = (feed_def.load)();
        let lines = &lines[..lines.len().min(600)];
        for split in [lines.len() / 4, lines.len() / 2] {
            let mut parent = Engine::new(EngineConfig::new(feed_def.venue));
            let parent_rx = parent.subscribe(1 << 16, SlowConsumer::DropNewest);
            let before = feed(&mut parent, &parent_rx, &lines[..split]);
            assert!(
                before.iter().any(|u| !u.is_empty()),
                "{}: the prefix publishes",
                feed_def.name
            );

            let mut fork = parent.fork();
            assert_eq!(state_of(&fork), state_of(&parent), "{}: forked at {split}", feed_def.name);
            let fork_rx = fork.subscribe(1 << 16, SlowConsumer::DropNewest);
            let from_fork = feed(&mut fork, &fork_rx, &lines[split..]);
            assert!(parent_rx.is_empty(), "{}: the fork published to its parent", feed_def.name);
            let from_parent = feed(&mut parent, &parent_rx, &lines[split..]);
            assert_eq!(from_fork, from_parent, "{}: after {split} lines", feed_def.name);
            assert!(
                from_fork.iter().any(|u| !u.is_empty()),
                "{}: the rest publishes",
                feed_def.name
            );
            assert_eq!(state_of(&fork), state_of(&parent), "{}: at the end", feed_def.name);
            assert_eq!(fork.heap_bytes() > 0, parent.heap_bytes() > 0, "{}", feed_def.name);
        }
    }
}

#[test]
fn a_fork_leaves_its_parents_readers_and_books_alone() {
    let feed_def = &REFERENCE_FEEDS[2]; // OKX: books Live from their first line
    let lines = (feed_def.load)();
    let mut parent = Engine::new(EngineConfig::new(feed_def.venue));
    let parent_rx = parent.subscribe(1 << 16, SlowConsumer::DropNewest);
    feed(&mut parent, &parent_rx, &lines[..100]);
    let id = (0..parent.n_instruments() as InstrumentId)
        .find(|&id| parent.state(id).is_some_and(|s| s.is_live()))
        .expect("a Live book");
    let reader = parent.top_reader(id).unwrap();
    let seen = reader.read();
    let parent_state = state_of(&parent);

    let mut fork = parent.fork();
    let fork_rx = fork.subscribe(1 << 16, SlowConsumer::DropNewest);
    let published = feed(&mut fork, &fork_rx, &lines[100..]);
    assert!(published.iter().flatten().any(|u| matches!(u, Update::Book(v) if v.instrument == id)));
    fork.disconnect();
    assert_eq!(reader.read(), seen, "the fork wrote its parent's latest-value cell");
    assert_eq!(state_of(&parent), parent_state, "the fork changed its parent");
    assert!(parent_rx.is_empty());
    // The fork's own readers start from its state.
    let fork_reader = fork.top_reader(id).unwrap();
    assert!(!fork_reader.read().state.is_live());
}
