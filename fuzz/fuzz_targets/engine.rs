//! Raw bytes through a venue's decoder and the engine: the first byte picks the venue, the
//! rest is split at newlines into frames (odd ones as REST bodies, so bridging runs too).
//!
//! Invariants checked on every frame: no panic, no counter goes backwards, the books and their
//! buffers stay within the engine's heap budget, a view is only published of a book Live at
//! that moment (by the status events before it), and the last view a frame publishes of a book
//! still Live has the book's best bid and ask.

#![no_main]

use depthbook_core::Side;
use std::collections::HashSet;

use depthbook_engine::{Engine, EngineConfig, SlowConsumer, Status, TopOfBook, Update};
use depthbook_venues::{Frame, Venue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let venue = Venue::ALL[usize::from(pick) % Venue::ALL.len()];
    let mut config = EngineConfig::new(venue);
    // Small caps so that the limits themselves get exercised.
    config.max_instruments = 8;
    config.max_levels_per_side = 64;
    // A few books fit (a 64-slot window a side, a deep chunk, a checksum cache and a delta
    // buffer each: several KB), not all eight: both the budget and the books it keeps are
    // exercised.
    config.max_heap_bytes = 24 << 10;
    let budget = config.max_heap_bytes;
    let mut engine = Engine::new(config);
    let views = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
    let mut before = *engine.counters();
    let mut live = HashSet::new();
    for (i, bytes) in rest.split(|&b| b == b'\n').enumerate() {
        let frame = if i % 2 == 1 && bytes.first() == Some(&b'!') {
            Frame::rest(&bytes[1..], Some("https://x/api?symbol=A&currency_pair=A&contract=A"))
        } else {
            Frame::stream(bytes)
        };
        engine.ingest(&frame, i as i64);
        let now = *engine.counters();
        assert_eq!(now.went_backwards_from(&before), None, "a counter went backwards");
        assert!(engine.heap_bytes() <= budget, "over the heap budget: {}", engine.heap_bytes());
        before = now;
        // Views and status events arrive in the order they happened: a view is only ever of
        // a book that is Live at that moment. A frame can publish several views of one book;
        // the last, unless a later event made the book Stale, is the book as the frame left it.
        if engine.counters().views_dropped > 0 {
            // More updates than the channel holds: what it kept no longer tells the whole
            // story, so the checks below stop (the counters' check goes on).
            views.try_iter().for_each(drop);
            continue;
        }
        let mut last: Vec<TopOfBook> = Vec::new();
        for update in views.try_iter() {
            match update {
                Update::Status(status) => match status.status {
                    Status::Live => {
                        live.insert(status.instrument);
                    }
                    Status::Stale(_) => {
                        live.remove(&status.instrument);
                        last.retain(|v| v.instrument != status.instrument);
                    }
                },
                Update::Book(view) => {
                    assert!(live.contains(&view.instrument), "a view of a book not Live: {view:?}");
                    last.retain(|v| v.instrument != view.instrument);
                    last.push(view);
                }
            }
        }
        for view in last {
            let book = engine.book(view.instrument).expect("a published book exists");
            let top = |side| book.best(side).map(|l| (l.price, l.qty));
            assert_eq!((view.bid, view.ask), (top(Side::Bid), top(Side::Ask)));
        }
    }
    let _ = engine.drain_snapshot_requests().count();
});
