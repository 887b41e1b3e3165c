//! The bus against a real nats-server (Debian's `nats-server`, JetStream on): engines replaying
//! real captures publish, subscribers on other threads (other connections) hold the books.
//!
//! The judge: every update a subscriber shows is one the engine published, with the same
//! sequence, generation, best levels and whole book (a hash of every level), in the engine's
//! order; and when the feed ends, every book the engine holds Live the subscriber holds Live
//! with the same levels, and no other. Faults: a subscriber stopped and started again mid-stream,
//! the server stopped and restarted mid-stream, a subscriber that does not read, a publisher
//! restarted.
//!
//! Ignored by default (the README's `cargo test` needs no server): `.ci/run` installs
//! nats-server and runs them with `cargo test -p depthbook-bus --test nats -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::ControlFlow;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;
use depthbook_bus::{
    BookView, BusNames, Publisher, PublisherConfig, PublisherStats, Subscriber, SubscriberConfig,
    SubscriberEvent, SubscriberStats,
};
use depthbook_capture::CaptureReader;
use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer, Update};
use depthbook_testkit::capture_reader;
use depthbook_testkit::feeds::{Feed, REFERENCE_FEEDS};
use depthbook_testkit::nats_server::NatsServer;

/// One view as both sides can describe it: the whole book hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    generation: u64,
    seq: Option<i64>,
    bid: Option<(Price, Qty)>,
    ask: Option<(Price, Qty)>,
    book: u64,
}

/// A book's final state: Live or not, and its levels.
type Final = (bool, Vec<(Price, Qty)>, Vec<(Price, Qty)>);

fn hash_levels(
    bids: impl Iterator<Item = (Price, Qty)>,
    asks: impl Iterator<Item = (Price, Qty)>,
) -> u64 {
    let mut h = DefaultHasher::new();
    for (i, side) in [bids.collect::<Vec<_>>(), asks.collect()].into_iter().enumerate() {
        i.hash(&mut h);
        for (p, q) in side {
            (p.mantissa(), p.scale(), q.mantissa(), q.scale()).hash(&mut h);
        }
    }
    h.finish()
}

/// What the engine published, by symbol, and its books at the end.
#[derive(Debug, Default)]
struct Published {
    views: BTreeMap<String, Vec<Seen>>,
    finals: BTreeMap<String, Final>,
    bus: PublisherStats,
}

/// An engine replaying one feed into a publisher.
struct Feeder {
    engine: Engine,
    views: Receiver<Update>,
    reader: CaptureReader,
    publisher: Option<Publisher>,
    published: Published,
    /// Wait for journal room before each line (a replay), or never (a live loop).
    lossless: bool,
}

impl Feeder {
    fn new(url: &str, names: &BusNames, feed: &Feed, lossless: bool) -> Feeder {
        Self::with_journal(url, names, feed, lossless, if lossless { 32 << 20 } else { 1 << 20 })
    }

    fn with_journal(
        url: &str,
        names: &BusNames,
        feed: &Feed,
        lossless: bool,
        journal_bytes: usize,
    ) -> Feeder {
        Self::with_config(url, names, feed, lossless, journal_bytes, |_| {})
    }

    /// [`Feeder::with_journal`] with the publisher's configuration adjusted by `adjust`.
    fn with_config(
        url: &str,
        names: &BusNames,
        feed: &Feed,
        lossless: bool,
        journal_bytes: usize,
        adjust: impl FnOnce(&mut PublisherConfig),
    ) -> Feeder {
        let lines = (feed.load)();
        let config = EngineConfig::new(feed.venue);
        let max_line = config.limits.max_frame_bytes + 1;
        let mut engine = Engine::new(config);
        let views = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
        let journal = engine.journal(journal_bytes);
        let mut bus = PublisherConfig::new(url, feed.venue.name());
        // What a test publishes is kilobytes: a stream of the default 1 GiB would be reserved
        // from the test server's storage, which a machine short of disk refuses.
        bus.stream_max_bytes = 64 << 20;
        bus.names = names.clone();
        bus.timeout = Duration::from_secs(2);
        if !lossless {
            // A small outbox: a server away for a moment fills it.
            bus.max_in_flight = 64;
        }
        adjust(&mut bus);
        let publisher = Publisher::spawn(bus, journal).expect("the publisher connects");
        let reader = capture_reader(&[&lines], max_line).unwrap();
        Feeder {
            engine,
            views,
            reader,
            publisher: Some(publisher),
            published: Published::default(),
            lossless,
        }
    }

    /// Feeds the next line; false at the end of the feed.
    fn step(&mut self) -> bool {
        if self.lossless {
            while self.engine.journal_room().is_some_and(|room| room < 16 << 20) {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        let Some(record) = self.reader.next().unwrap() else { return false };
        depthbook_capture::feed(&mut self.engine, &record);
        for update in self.views.try_iter() {
            let Update::Book(view) = update else { continue };
            let book = self.engine.book(view.instrument).unwrap();
            let levels = |side| book.side(side).iter().map(|l| (l.price, l.qty));
            let seen = Seen {
                generation: view.generation,
                seq: view.seq,
                bid: view.bid,
                ask: view.ask,
                book: hash_levels(levels(Side::Bid), levels(Side::Ask)),
            };
            let symbol = self.engine.symbol(view.instrument).to_owned();
            self.published.views.entry(symbol).or_default().push(seen);
        }
        true
    }

    /// Feeds `n` lines (or to the end), `pause` after each.
    fn feed(&mut self, n: usize, pause: Duration) -> bool {
        for _ in 0..n {
            if !self.step() {
                return false;
            }
            if !pause.is_zero() {
                std::thread::sleep(pause);
            }
        }
        true
    }

    /// Ends the journal, waits for every acknowledgement, and returns what was published.
    fn finish(mut self) -> Published {
        self.engine.close_journal();
        if let Some(publisher) = self.publisher.take() {
            self.published.bus = publisher.join().expect("the publisher ends cleanly");
        }
        for id in 0..self.engine.n_instruments() as u32 {
            let (Some(book), Some(state)) = (self.engine.book(id), self.engine.state(id)) else {
                continue;
            };
            let levels = |side| book.side(side).iter().map(|l| (l.price, l.qty)).collect();
            self.published.finals.insert(
                self.engine.symbol(id).to_owned(),
                (state.is_live(), levels(Side::Bid), levels(Side::Ask)),
            );
        }
        self.published
    }
}

/// What a subscriber showed.
#[derive(Debug, Default)]
struct Shown {
    updates: BTreeMap<String, Vec<Seen>>,
    stale_events: u64,
    finals: BTreeMap<String, Final>,
    /// Why each book the subscriber holds is not Live (`None`: it is).
    stale_reasons: BTreeMap<String, Option<String>>,
    stats: SubscriberStats,
}

fn seen(view: &BookView<'_>) -> Seen {
    let replica = &view.book.replica;
    Seen {
        generation: view.book.generation,
        seq: view.book.venue_seq,
        bid: replica.best(Side::Bid),
        ask: replica.best(Side::Ask),
        book: hash_levels(replica.levels(Side::Bid), replica.levels(Side::Ask)),
    }
}

/// Starts a subscriber on its own thread; returns once it is connected (so every message
/// published from then on reaches it through the stream). It runs until `idle` passes
/// without a message, or `duration`.
fn subscriber(
    url: &str,
    names: &BusNames,
    venue: &str,
    idle: Duration,
    duration: Option<Duration>,
) -> JoinHandle<Shown> {
    let mut config = SubscriberConfig::new(url, venue);
    config.names = names.clone();
    let (connected_tx, connected_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let mut subscriber =
                Subscriber::connect(config).await.expect("the subscriber connects");
            connected_tx.send(()).unwrap();
            let mut shown = Shown::default();
            let until = duration.map(|d| tokio::time::Instant::now() + d);
            subscriber
                .run(Some(idle), until, |event| {
                    match event {
                        SubscriberEvent::Update(view) => {
                            shown
                                .updates
                                .entry(view.symbol.to_owned())
                                .or_default()
                                .push(seen(&view));
                        }
                        SubscriberEvent::Stale(_) => shown.stale_events += 1,
                        SubscriberEvent::Live(_) | SubscriberEvent::Tick => {}
                    }
                    ControlFlow::Continue(())
                })
                .await;
            for view in subscriber.books() {
                shown.stale_reasons.insert(view.symbol.to_owned(), view.book.stale_reason.clone());
                let replica = &view.book.replica;
                shown.finals.insert(
                    view.symbol.to_owned(),
                    (
                        view.book.is_live(),
                        replica.levels(Side::Bid).collect(),
                        replica.levels(Side::Ask).collect(),
                    ),
                );
            }
            shown.stats = subscriber.stats();
            shown
        })
    });
    connected_rx.recv_timeout(Duration::from_secs(20)).expect("the subscriber connected");
    thread
}

/// Every update shown is one the engine published, in the engine's order (a subsequence);
/// with `all`, exactly the engine's updates.
fn judge_updates(published: &Published, shown: &Shown, all: bool, what: &str) {
    for (symbol, updates) in &shown.updates {
        let views = published
            .views
            .get(symbol)
            .unwrap_or_else(|| panic!("{what}: {symbol} was never published"));
        if all {
            assert_eq!(updates.len(), views.len(), "{what}: {symbol}: updates shown");
            for (i, (a, b)) in updates.iter().zip(views).enumerate() {
                assert_eq!(a, b, "{what}: {symbol}: update {i}");
            }
        } else {
            let mut rest = views.iter();
            for (i, update) in updates.iter().enumerate() {
                assert!(
                    rest.any(|v| v == update),
                    "{what}: {symbol}: update {i} ({update:?}) is not one the engine published, in order"
                );
            }
        }
    }
    if all {
        for (symbol, views) in &published.views {
            assert!(
                shown.updates.contains_key(symbol) || views.is_empty(),
                "{what}: {symbol} not shown"
            );
        }
    }
}

/// At the end: the engine's Live books Live with the same levels, no other book Live.
fn judge_finals(published: &Published, shown: &Shown, what: &str) {
    let mut live = 0;
    for (symbol, (engine_live, bids, asks)) in &published.finals {
        let held = shown.finals.get(symbol);
        if *engine_live {
            live += 1;
            let (sub_live, sub_bids, sub_asks) =
                held.unwrap_or_else(|| panic!("{what}: {symbol} not held"));
            assert!(sub_live, "{what}: {symbol} is Live in the engine, not in the subscriber");
            for (side, mine, theirs) in [("bids", sub_bids, bids), ("asks", sub_asks, asks)] {
                if mine != theirs {
                    let only_sub: Vec<_> = mine.iter().filter(|l| !theirs.contains(l)).collect();
                    let only_engine: Vec<_> = theirs.iter().filter(|l| !mine.contains(l)).collect();
                    panic!(
                        "{what}: {symbol} {side} differ: only the subscriber's {only_sub:?}, only \
                         the engine's {only_engine:?}"
                    );
                }
            }
        } else {
            assert!(
                !held.is_some_and(|h| h.0),
                "{what}: {symbol} is Stale in the engine, Live in the subscriber"
            );
        }
    }
    assert!(live > 0, "{what}: no book Live at the end");
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn subscribers_hold_every_view_of_every_capture_exactly() {
    let server = NatsServer::start();
    let url = server.url();
    for feed in REFERENCE_FEEDS {
        let names = BusNames::tagged(feed.name);
        let mut feeder = Feeder::new(&url, &names, &feed, true);
        let before = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(3), None);
        while feeder.feed(10_000, Duration::ZERO) {}
        let published = feeder.finish();
        let after = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(2), None);
        let (before, after) = (before.join().unwrap(), after.join().unwrap());
        let what = format!("{} (started before)", feed.name);
        judge_updates(&published, &before, true, &what);
        judge_finals(&published, &before, &what);
        assert_eq!(before.stats.gaps, 0, "{what}");
        let what = format!("{} (started after)", feed.name);
        judge_updates(&published, &after, false, &what);
        judge_finals(&published, &after, &what);
        assert_eq!(published.bus.failed, 0, "{}", feed.name);
        assert_eq!(published.bus.acked, published.bus.messages, "{}", feed.name);
        assert_eq!(stream_max_bytes(&url, &names), 64 << 20, "the stream has the size asked for");
        eprintln!(
            "{}: {} messages, {} bytes ({} a message), {} refreshes; late subscriber: {} kept, {} messages",
            feed.name,
            published.bus.messages,
            published.bus.bytes,
            published.bus.bytes / published.bus.messages.max(1),
            published.bus.refreshes,
            after.stats.kept,
            after.stats.messages
        );
    }
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_book_larger_than_the_server_takes_is_stale_on_the_bus_and_not_retried() {
    // A server taking at most 4 KiB a message: the USD-M capture's snapshot (1,000 levels a
    // side) is far larger, its deltas are smaller.
    let server = NatsServer::with_max_payload(4096);
    let url = server.url();
    let feed = feed_named("binance_usdm");
    let names = BusNames::tagged("too-large");
    let sub = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(3), None);
    let mut feeder = Feeder::new(&url, &names, &feed, true);
    // Paced over a few seconds: the publisher's 100 ms retries have many chances to spam.
    while feeder.feed(200, Duration::from_millis(1)) {}
    let resyncs = feeder.engine.counters().resyncs;
    let published = feeder.finish();
    let sub = sub.join().unwrap();
    eprintln!("publisher {:?}; subscriber {:?}", published.bus, sub.stats);
    let bus = published.bus;
    assert!(bus.too_large > 0, "the snapshot was refused for its size, counted");
    assert_eq!(bus.failed, 0, "nothing else failed");
    // Refused once per snapshot or refresh of a book that has not shrunk to fit, never at
    // every 100 ms tick: at most one per snapshot the engine took, and one per retry.
    let snapshots = (resyncs + published.finals.len() as u64).max(1);
    assert!(
        bus.too_large <= snapshots + bus.refreshes,
        "{} refusals for {snapshots} snapshots and {} refreshes",
        bus.too_large,
        bus.refreshes
    );
    assert_eq!(bus.acked, bus.messages - bus.too_large, "every message sent was taken");
    // The subscriber never showed a book the engine did not publish, holds none of the
    // refused books Live, and says why.
    judge_updates(&published, &sub, false, "a book too large for the server");
    for (symbol, (engine_live, _, _)) in &published.finals {
        if !engine_live {
            continue;
        }
        assert!(
            !sub.finals.get(symbol).is_some_and(|f| f.0),
            "{symbol} is Live on the bus though its snapshot was refused"
        );
        assert_eq!(
            sub.stale_reasons.get(symbol).cloned().flatten().as_deref(),
            Some("too_large_for_bus"),
            "{symbol}: the subscriber says why it is Stale"
        );
    }
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn books_sent_in_full_by_time_let_a_late_subscriber_start_from_a_stream_that_keeps_little() {
    let server = NatsServer::start();
    let url = server.url();
    let feed = feed_named("binance_usdm");
    let names = BusNames::tagged("refresh-after");
    // No refresh by count, and a stream that keeps 64 KiB, a fraction of what the feed
    // publishes: the snapshot kept first is soon followed by messages the stream dropped. Only
    // the books sent in full every 200 ms keep the bucket's snapshot within what it holds.
    let mut feeder = Feeder::with_config(&url, &names, &feed, true, 32 << 20, |bus| {
        bus.refresh_every = u64::MAX;
        bus.refresh_after = Duration::from_millis(200);
        bus.stream_max_bytes = 64 << 10;
    });
    // Paced over a few seconds.
    while feeder.feed(100, Duration::from_millis(2)) {}
    let published = feeder.finish();
    eprintln!("publisher {:?}", published.bus);
    assert!(
        published.bus.bytes > 64 << 10,
        "the stream dropped some of what was published ({} bytes)",
        published.bus.bytes
    );
    assert!(published.bus.refreshes > 0, "books were sent in full by time");
    let after = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(2), None);
    let after = after.join().unwrap();
    eprintln!("late subscriber {:?}", after.stats);
    judge_updates(&published, &after, false, "a late subscriber, a small stream");
    judge_finals(&published, &after, "a late subscriber, a small stream");
}

/// The size limit of `names`' stream, as the server holds it.
fn stream_max_bytes(url: &str, names: &BusNames) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let mut stream =
            async_nats::jetstream::new(client).get_stream(&names.stream).await.unwrap();
        stream.info().await.unwrap().config.max_bytes
    })
}

fn feed_named(name: &str) -> Feed {
    *REFERENCE_FEEDS.iter().find(|f| f.name == name).unwrap()
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_subscriber_stopped_mid_stream_and_started_again_catches_up() {
    let server = NatsServer::start();
    let url = server.url();
    let feed = feed_named("okx");
    let names = BusNames::tagged("restart-subscriber");
    let mut feeder = Feeder::new(&url, &names, &feed, true);
    // The first subscriber reads for a second of a paced feed, then is gone.
    let first =
        subscriber(&url, &names, "okx", Duration::from_secs(10), Some(Duration::from_secs(1)));
    feeder.feed(400, Duration::from_millis(4));
    let first = first.join().unwrap();
    feeder.feed(300, Duration::from_millis(2));
    // The second starts mid-stream, from the kept snapshots.
    let second = subscriber(&url, &names, "okx", Duration::from_secs(3), None);
    while feeder.feed(10_000, Duration::ZERO) {}
    let published = feeder.finish();
    let second = second.join().unwrap();
    assert!(first.updates.values().map(Vec::len).sum::<usize>() > 0, "the first saw updates");
    judge_updates(&published, &first, false, "first");
    judge_updates(&published, &second, false, "second");
    judge_finals(&published, &second, "second");
    assert!(second.stats.kept > 0, "the second started from kept snapshots");
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn the_server_stopped_and_restarted_mid_stream_never_shows_a_wrong_book() {
    let mut server = NatsServer::start();
    let url = server.url();
    let feed = feed_named("binance_usdm");
    let names = BusNames::tagged("restart-server");
    // A live loop: never waits for the journal, the smallest one (64 KiB); what it cannot
    // write would be dropped, counted and announced.
    let journal = depthbook_engine::MIN_JOURNAL_BYTES;
    let mut feeder = Feeder::with_journal(&url, &names, &feed, false, journal);
    // Idle long enough to ride out the outage and a loaded machine's slow restart.
    let sub = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(15), None);
    feeder.feed(300, Duration::from_millis(2));
    server.stop();
    // The feed goes on while the server is away (800 of its 1,541 lines): the publisher's
    // messages fail (at most 64 await an acknowledgement), the engine does not wait.
    feeder.feed(800, Duration::from_millis(2));
    std::thread::sleep(Duration::from_millis(500));
    server.restart();
    // The messages in flight when the server went never get their acknowledgements: the
    // publisher gives up on them after its timeout (2 s here) and sends their books again.
    // Then the feed goes on, and every book lost on the way is sent again with its next view.
    std::thread::sleep(Duration::from_secs(3));
    while feeder.feed(10_000, Duration::from_millis(1)) {}
    let dropped = feeder.engine.journal_dropped();
    let published = feeder.finish();
    let sub = sub.join().unwrap();
    // Nothing queued without bound: what could not be published was dropped and counted, and
    // the books sent again once the server was back.
    assert!(published.bus.failed > 0, "publishing failed while the server was away, counted");
    assert!(published.bus.refreshes > 0, "the books were sent again");
    eprintln!("journal records dropped: {dropped}");
    eprintln!("publisher {:?}; subscriber {:?}", published.bus, sub.stats);
    judge_updates(&published, &sub, false, "across a server restart");
    judge_finals(&published, &sub, "across a server restart");
    assert!(sub.stats.disconnects > 0, "the subscriber saw the server go");
    assert!(sub.stale_events > 0, "its books went Stale while the server was away");
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_subscriber_that_does_not_read_slows_nothing() {
    let server = NatsServer::start();
    let url = server.url();
    let feed = feed_named("binance_spot");
    let names = BusNames::tagged("slow-subscriber");
    let mut feeder = Feeder::new(&url, &names, &feed, false);
    // A subscriber connected and then not reading at all: its thread is parked until the
    // publisher is done.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let mut config = SubscriberConfig::new(&url, feed.venue.name());
    config.names = names.clone();
    let (connected_tx, connected_rx) = mpsc::channel();
    let slow = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let mut subscriber = Subscriber::connect(config).await.unwrap();
            connected_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            let mut updates = 0u64;
            subscriber
                .run(Some(Duration::from_secs(2)), None, |event| {
                    if let SubscriberEvent::Update(_) = event {
                        updates += 1;
                    }
                    ControlFlow::Continue(())
                })
                .await;
            (
                updates,
                subscriber
                    .books()
                    .map(|v| (v.symbol.to_owned(), v.book.replica.clone(), v.book.is_live()))
                    .collect::<Vec<_>>(),
            )
        })
    });
    connected_rx.recv().unwrap();
    // A live loop (never waiting for the journal) publishes the whole feed, acknowledged,
    // while the subscriber reads nothing.
    while feeder.feed(10_000, Duration::ZERO) {}
    let dropped = feeder.engine.journal_dropped();
    let published = feeder.finish();
    assert_eq!(published.bus.acked, published.bus.messages);
    assert_eq!(published.bus.failed, 0);
    eprintln!("journal records dropped by the live loop: {dropped}; publisher {:?}", published.bus);
    go_tx.send(()).unwrap();
    let (updates, books) = slow.join().unwrap();
    assert!(updates > 0);
    for (symbol, replica, live) in books {
        let (engine_live, bids, asks) = &published.finals[&symbol];
        assert_eq!(live, *engine_live, "{symbol}");
        if live {
            assert_eq!(&replica.levels(Side::Bid).collect::<Vec<_>>(), bids);
            assert_eq!(&replica.levels(Side::Ask).collect::<Vec<_>>(), asks);
        }
    }
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_restarted_publisher_is_followed_by_its_new_run() {
    let server = NatsServer::start();
    let url = server.url();
    let feed = feed_named("kraken_v1");
    let names = BusNames::tagged("restart-publisher");
    let sub = subscriber(&url, &names, feed.venue.name(), Duration::from_secs(3), None);
    // The first publisher (and its engine) stops mid-stream...
    let mut first = Feeder::new(&url, &names, &feed, true);
    first.feed(1_500, Duration::ZERO);
    let first = first.finish();
    // ...and a new one replays the feed from its start: a new run, generations from 1 again.
    let mut second = Feeder::new(&url, &names, &feed, true);
    while second.feed(10_000, Duration::ZERO) {}
    let second = second.finish();
    let sub = sub.join().unwrap();
    // What it showed is the first run's views, then the second's.
    let mut both = Published::default();
    for run in [&first, &second] {
        for (symbol, views) in &run.views {
            both.views.entry(symbol.clone()).or_default().extend(views.iter().cloned());
        }
    }
    judge_updates(&both, &sub, true, "two runs");
    judge_finals(&second, &sub, "the second run");
}
