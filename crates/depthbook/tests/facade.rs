//! The facade end to end: a replay on the loop's own thread, the same replay on the caller's
//! thread, and a live feed against depthbook's loopback exchange replaying the same capture;
//! all three must end with the same books.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use depthbook::{Feed, TopOfBook, Update, Venue};
use depthbook_sim::{ServeConfig, Server};

const SYMBOLS: [&str; 3] = ["BTC-USDT", "UNI-USD-SWAP", "BTC-USD-220527"];

fn capture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt")
}

/// The last view of each symbol, replayed on the caller's thread.
fn replayed() -> HashMap<u32, TopOfBook> {
    let mut last = HashMap::new();
    let counters = Feed::replay(Venue::Okx, SYMBOLS, [capture()])
        .run_here(|update| {
            if let Update::Book(top) = update {
                last.insert(top.instrument, *top);
            }
        })
        .unwrap();
    assert_eq!(counters.checksum_failures, 0);
    assert!(counters.checksums_verified > 200, "{counters:?}");
    last
}

#[test]
fn a_replay_on_its_own_thread_ends_with_the_books_of_a_replay_on_the_callers() {
    let want = replayed();
    let books =
        Feed::replay(Venue::Okx, SYMBOLS, [capture()]).with_depth().pin_to_core(0).start().unwrap();
    let readers: Vec<_> = books.readers().map(|(s, r)| (s.to_owned(), r.clone())).collect();
    let depths: Vec<_> = SYMBOLS.iter().map(|s| books.depth(s).unwrap().clone()).collect();
    let counters = books.wait().unwrap();
    for (symbol, depth) in SYMBOLS.iter().zip(depths) {
        let view = depth.read();
        let top = want.get(&depth.instrument()).unwrap();
        assert!(view.is_live(), "{symbol}");
        assert_eq!(
            (view.bids().first().copied(), view.asks().first().copied()),
            (top.bid, top.ask)
        );
        assert!(view.bids().len() > 1 && view.asks().len() > 1, "{symbol}: levels below the top");
        assert!(depthbook::analytics::imbalance(&view, 5).unwrap().is_some());
    }
    assert_eq!(counters.checksum_failures, 0);
    for (symbol, reader) in readers {
        let latest = reader.read();
        assert!(latest.is_live(), "{symbol}");
        assert_eq!(latest.top, want.get(&reader.instrument()).copied(), "{symbol}");
    }
}

#[test]
fn a_live_feed_from_the_loopback_exchange_ends_with_the_replays_books() {
    live_feed_ends_with_the_replays_books(|feed| feed);
}

/// The same with the loop busy-polling its input rings on a core of its own, the network
/// thread on another.
#[test]
fn a_busy_polling_live_feed_ends_with_the_replays_books() {
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    live_feed_ends_with_the_replays_books(|feed| match (cores.first(), cores.last()) {
        (Some(a), Some(b)) if a.id != b.id => {
            feed.busy_poll().pin_to_core(b.id).pin_network_to_core(a.id)
        }
        _ => feed.busy_poll(),
    });
}

fn live_feed_ends_with_the_replays_books(setup: impl FnOnce(Feed) -> Feed) {
    let want = replayed();
    let mut config = ServeConfig::new(Venue::Okx, vec![capture()]);
    // Start once every symbol is subscribed, so that no book misses its snapshot.
    config.start_after = SYMBOLS.len() as u64;
    let server = Server::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).unwrap();
    let addr = server.local_addr();
    let feed = Feed::live(Venue::Okx, SYMBOLS)
        .endpoints(format!("ws://{addr}/ws"), Some(format!("http://{addr}")))
        .instruments();
    let books = setup(feed).start().unwrap();
    // A deadline, not a measurement: the loopback replays the capture in well under a second.
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = || {
        books.readers().all(|(_, r)| {
            let latest = r.read();
            latest.is_live()
                && latest.top.map(|t| (t.bid, t.ask, t.seq))
                    == want.get(&r.instrument()).map(|t| (t.bid, t.ask, t.seq))
        })
    };
    while !done() {
        assert!(Instant::now() < deadline, "the live books never reached the replay's");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The metadata fetched at start (the loopback answers with the capture's decimals): every
    // final best price and size sits on its tick and lot.
    for (symbol, reader) in books.readers() {
        let info = books.instrument(symbol).expect("metadata for every symbol");
        let (tick, lot) = (info.tick_size.unwrap(), info.lot_size.unwrap());
        let top = reader.read().top.unwrap();
        for (price, qty) in top.bid.into_iter().chain(top.ask) {
            assert!((price.to_decimal() % tick).is_zero(), "{symbol}: {price} on {tick}");
            assert!((qty.to_decimal() % lot).is_zero(), "{symbol}: {qty} on {lot}");
        }
    }
    let counters = books.stop().unwrap();
    assert_eq!(counters.checksum_failures, 0);
    assert!(counters.checksums_verified > 200, "{counters:?}");
    server.shutdown();
}

#[test]
fn no_symbols_and_missing_captures_are_errors_at_start() {
    assert!(matches!(
        Feed::replay(Venue::Okx, Vec::<String>::new(), [capture()]).start(),
        Err(depthbook::Error::NoSymbols)
    ));
    assert!(matches!(
        Feed::replay(Venue::Okx, ["BTC-USDT"], ["/nonexistent/capture.txt"]).start(),
        Err(depthbook::Error::Capture(_))
    ));
    assert!(matches!(
        Feed::live(Venue::Okx, ["BTC-USDT"]).run_here(|_| {}),
        Err(depthbook::Error::NotAReplay)
    ));
    assert!(matches!(
        Feed::replay(Venue::Okx, ["BTC-USDT"], [capture()]).pin_to_core(100_000).start(),
        Err(depthbook::Error::NoSuchCore(100_000))
    ));
}

#[test]
fn readers_never_see_a_half_built_book_while_the_loopback_forces_resyncs() {
    use depthbook::{LatestTop, SlowConsumer};
    use std::collections::HashSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let want = replayed();
    // Two lost frames: each a checksum failure, a resubscribe and a rebuild from a snapshot.
    let mut config = ServeConfig::new(Venue::Okx, vec![capture()]);
    config.start_after = SYMBOLS.len() as u64;
    config.faults = depthbook_sim::Faults { drop: vec![60, 150], ..Default::default() };
    let server = Server::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).unwrap();
    let addr = server.local_addr();
    let books = Feed::live(Venue::Okx, SYMBOLS)
        .endpoints(format!("ws://{addr}/ws"), Some(format!("http://{addr}")))
        .with_depth()
        .updates(1 << 16, SlowConsumer::DropNewest)
        .start()
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = SYMBOLS
        .iter()
        .map(|s| (books.top(s).unwrap().clone(), books.depth(s).unwrap().clone()))
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (readers, done) = (readers.clone(), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut seen: Vec<LatestTop> = Vec::new();
                let mut generation = vec![0u64; readers.len()];
                while !done.load(Ordering::Relaxed) {
                    for (i, (top, depth)) in readers.iter().enumerate() {
                        let latest = top.read();
                        assert!(!latest.is_live() || latest.top.is_some(), "Live without a top");
                        let g = latest.top.map_or(0, |t| t.generation);
                        assert!(g >= generation[i], "generation went back");
                        generation[i] = g;
                        seen.push(latest);
                        let view = depth.read();
                        assert!(view.bids().windows(2).all(|w| w[0].0 > w[1].0), "{view:?}");
                        assert!(view.asks().windows(2).all(|w| w[0].0 < w[1].0), "{view:?}");
                    }
                    std::thread::yield_now();
                }
                seen
            })
        })
        .collect();
    // Every view the loop published, from the update stream.
    let mut published: HashSet<TopOfBook> = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Until both faults were sent and every book is back to the capture's final state.
    let finished = || {
        server.stats().faults_applied >= 2
            && readers.iter().all(|(r, _)| {
                let latest = r.read();
                latest.is_live()
                    && latest.top.map(|t| (t.bid, t.ask))
                        == want.get(&r.instrument()).map(|t| (t.bid, t.ask))
            })
    };
    while !finished() {
        assert!(Instant::now() < deadline, "the books never resynced");
        while let Ok(update) = books.updates().recv_timeout(Duration::from_millis(20)) {
            if let Update::Book(view) = update {
                published.insert(view);
            }
        }
    }
    for update in books.updates().try_iter() {
        if let Update::Book(view) = update {
            published.insert(view);
        }
    }
    done.store(true, Ordering::Relaxed);
    let reads: Vec<LatestTop> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let counters = books.stop().unwrap();
    server.shutdown();
    assert_eq!(counters.views_dropped, 0, "every view reached the stream");
    assert!(counters.checksum_failures >= 1 && counters.resyncs >= 1, "{counters:?}");
    // Every top a reader saw was a view the loop published: never a book mid-rebuild.
    for latest in &reads {
        if let Some(top) = latest.top {
            assert!(published.contains(&top), "never published: {latest:?}");
        }
    }
    let stale = reads.iter().filter(|l| !l.is_live() && l.top.is_some()).count();
    eprintln!("{} reads, {stale} of a Stale book showing its last good top", reads.len());
}

/// Every reader says how far its view can be trusted: the real 2026 Bybit capture's books end
/// Live, not crossed, their last views checked by Bybit's `u` chain.
#[test]
fn readers_say_how_far_each_view_can_be_trusted() {
    let bybit = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt");
    let books =
        Feed::replay(Venue::Bybit, ["BTCUSDT", "ETHUSDT"], [bybit]).with_depth().start().unwrap();
    let readers: Vec<_> = ["BTCUSDT", "ETHUSDT"]
        .iter()
        .map(|s| (books.top(s).unwrap().clone(), books.depth(s).unwrap().clone()))
        .collect();
    books.wait().unwrap();
    for (top, depth) in readers {
        let latest = top.read();
        assert!(latest.is_tradeable());
        let view = latest.top.unwrap();
        assert_eq!((view.integrity, view.crossed), (depthbook::Integrity::Sequenced, false));
        let depth = depth.read();
        assert!(depth.is_tradeable());
        assert_eq!(depth.integrity, depthbook::Integrity::Sequenced);
        assert_eq!(depth.seq, view.seq);
    }
}
