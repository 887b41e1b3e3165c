//! `Feed::nats` against a real nats-server: the books an engine publishes, read through the
//! facade's readers and update stream on another connection, equal the engine's.
//!
//! Ignored by default (the README's `cargo test` needs no server): `.ci/run` installs
//! nats-server and runs it with `cargo test -p depthbook --test nats -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use depthbook::{Feed, Update, Venue};
use depthbook_bus::{Publisher, PublisherConfig};
use depthbook_core::Side;
use depthbook_engine::{Engine, EngineConfig};
use depthbook_testkit::nats_server::NatsServer;
use depthbook_testkit::{fixture_lines, replay_into};

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_bus_feed_reads_the_publisher_s_books_through_the_same_readers() {
    let server = NatsServer::start();
    let url = server.url();
    let symbols = ["BTC-USDT", "UNI-USD-SWAP"];
    // The reader first: it reads everything published from now on.
    let books = Feed::nats(&url, Venue::Okx, symbols).with_depth().start().expect("connects");
    let updates = books.updates().clone();

    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let journal = engine.journal(32 << 20);
    // Kilobytes are published: no need to reserve the default 1 GiB of the server's storage.
    let config =
        PublisherConfig { stream_max_bytes: 64 << 20, ..PublisherConfig::new(&url, "okx") };
    let publisher = Publisher::spawn(config, journal).unwrap();
    replay_into(&mut engine, &fixture_lines("okx/cryptofeed_OKX.ws.1.0.txt"));
    engine.close_journal();
    let stats = publisher.join().unwrap();
    assert_eq!(stats.failed, 0);

    // Every tracked book ends as the engine's: its top, its best 20 levels a side, Live.
    for symbol in symbols {
        let id = engine.instrument(symbol).expect("in the capture");
        let book = engine.book(id).unwrap();
        let best =
            |side| book.side(side).iter().map(|l| (l.price, l.qty)).take(20).collect::<Vec<_>>();
        let top = books.top(symbol).unwrap();
        let depth = books.depth(symbol).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let latest = top.read();
            let view = depth.read();
            let done = latest.is_live()
                && latest.top.is_some_and(|t| t.seq == engine.last_seq(id))
                && view.bids() == best(Side::Bid).as_slice()
                && view.asks() == best(Side::Ask).as_slice();
            if done {
                break;
            }
            assert!(Instant::now() < deadline, "{symbol} never caught up: {latest:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let latest = top.read().top.unwrap();
        assert_eq!(latest.bid, book.best(Side::Bid).map(|l| (l.price, l.qty)));
        assert_eq!(latest.ask, book.best(Side::Ask).map(|l| (l.price, l.qty)));
        let engine_view = engine.top_reader(id).unwrap().read().top.unwrap();
        assert_eq!(latest.generation, engine_view.generation);
        assert_eq!(latest.integrity, engine_view.integrity);
    }
    // The update stream carried the views, as a live feed's does.
    let views = updates.try_iter().filter(|u| matches!(u, Update::Book(_))).count();
    assert!(views > 10, "{views} views on the update stream");
    let counters = books.stop().unwrap();
    assert!(counters.published > 10);
}
