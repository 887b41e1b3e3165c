//! Raw bytes through a venue's decoder and the engine: the first byte picks the venue, the
//! rest is split at newlines into frames (odd ones as REST bodies, so bridging runs too).
//!
//! Invariants checked on every frame: no panic, no counter goes backwards, only Live books
//! publish, and a published view's best bid and ask are the book's.

#![no_main]

use depthbook_core::Side;
use depthbook_engine::{Counters, Engine, EngineConfig, SlowConsumer, Update};
use depthbook_venues::{Frame, Venue};
use libfuzzer_sys::fuzz_target;

fn counters(c: &Counters) -> [u64; 15] {
    [
        c.frames,
        c.skipped,
        c.events,
        c.applied,
        c.gaps,
        c.checksums_verified,
        c.checksum_failures,
        c.resyncs,
        c.decode_errors,
        c.crossed,
        c.evicted,
        c.published,
        c.buffer_overflows,
        c.views_dropped,
        c.unconfirmed_breaks,
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let venue = Venue::ALL[usize::from(pick) % Venue::ALL.len()];
    let mut config = EngineConfig::new(venue);
    // Small caps so that the limits themselves get exercised.
    config.max_instruments = 8;
    config.max_levels_per_side = 64;
    let mut engine = Engine::new(config);
    let views = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
    let mut before = counters(engine.counters());
    for (i, bytes) in rest.split(|&b| b == b'\n').enumerate() {
        let frame = if i % 2 == 1 && bytes.first() == Some(&b'!') {
            Frame::rest(&bytes[1..], Some("https://x/api?symbol=A&currency_pair=A&contract=A"))
        } else {
            Frame::stream(bytes)
        };
        engine.ingest(&frame, i as i64);
        let now = counters(engine.counters());
        assert!(now.iter().zip(&before).all(|(a, b)| a >= b), "a counter went backwards");
        before = now;
        for update in views.try_iter() {
            if let Update::Book(view) = update {
                let book = engine.book(view.instrument).expect("a published book exists");
                assert!(engine.state(view.instrument).is_some_and(|s| s.is_live()));
                let top = |side| book.best(side).map(|l| (l.price, l.qty));
                // The view was taken after the frame that published it; a later frame in the
                // same ingest call cannot have changed it.
                assert_eq!((view.bid, view.ask), (top(Side::Bid), top(Side::Ask)));
            }
        }
    }
    let _ = engine.drain_snapshot_requests().count();
});
