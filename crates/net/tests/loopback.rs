//! End to end on 127.0.0.1: the real client (`Live`) against the loopback exchange
//! (`depthbook_sim::Server`) replaying real captures, with faults injected by the server.
//!
//! The judge is a replay of the same capture through a fresh engine ("truth"): every view the
//! live client publishes must be one truth published for that symbol (same sequence, same best
//! bid and ask, price and size), checksums must verify, and once the server's replay is over
//! every book must be Live and equal to truth's final book. Every test stops by itself: it ends
//! when that final state is reached or fails after a wall-clock limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use depthbook_capture::CaptureReader;
use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{
    BookState, Counters, Engine, EngineConfig, SlowConsumer, Status, TopOfBook, Update,
};
use depthbook_net::{BookChannel, Live, LiveConfig, Market, NetSnapshot, RecordConfig};
use depthbook_sim::{Faults, Pace, ServeConfig, Server, SimStats};
use depthbook_venues::Venue;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(rel)
}

type Top = Option<(Price, Qty)>;
type Levels = Vec<(Price, Qty)>;

/// What a view says, without when it was received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Seen {
    symbol: String,
    seq: Option<i64>,
    bid: Top,
    ask: Top,
}

fn seen(engine: &Engine, v: &TopOfBook) -> Seen {
    // A connection-wide number (Bitfinex SEQ_ALL) belongs to the connection it came on, not to
    // the book: the loopback's numbering is not the capture's.
    let seq = match engine.venue().seq_rule() {
        depthbook_venues::SeqRule::Connection => None,
        _ => v.seq,
    };
    Seen { symbol: engine.symbol(v.instrument).to_owned(), seq, bid: v.bid, ask: v.ask }
}

const TOP: usize = 25;

fn top_levels(engine: &Engine, symbol: &str) -> (Levels, Levels) {
    let id = engine.instrument(symbol).unwrap();
    let book = engine.book(id).unwrap();
    let side = |s| book.side(s).iter().take(TOP).map(|l| (l.price, l.qty)).collect();
    (side(Side::Bid), side(Side::Ask))
}

/// A replay of the capture: every view it published, and its final books.
struct Truth {
    views: HashSet<Seen>,
    finals: HashMap<String, (Levels, Levels)>,
}

fn truth(venue: Venue, files: &[PathBuf]) -> Truth {
    truth_with(EngineConfig::new(venue), files)
}

fn truth_with(config: EngineConfig, files: &[PathBuf]) -> Truth {
    let mut engine = Engine::new(config);
    let rx = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let mut reader = CaptureReader::open(files, 16 << 20).unwrap();
    let mut views = HashSet::new();
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(&mut engine, &record);
        for update in rx.try_iter() {
            if let Update::Book(v) = update {
                views.insert(seen(&engine, &v));
            }
        }
    }
    let finals = (0..engine.n_instruments() as u32)
        .filter(|&id| engine.state(id) == Some(BookState::Live))
        .map(|id| {
            let symbol = engine.symbol(id).to_owned();
            let levels = top_levels(&engine, &symbol);
            (symbol, levels)
        })
        .collect();
    Truth { views, finals }
}

/// What a live run saw.
#[derive(Debug)]
struct Outcome {
    views: Vec<(TopOfBook, Seen)>,
    statuses: Vec<(String, Status)>,
    counters: Counters,
    net: NetSnapshot,
    sim: SimStats,
    reached_truth: bool,
}

/// The replay starts once every symbol of truth is subscribed, so runs are repeatable.
fn start_server(venue: Venue, files: &[PathBuf], faults: Faults, truth: &Truth) -> Server {
    start_with(venue, files, faults, truth, |_| {})
}

fn start_with(
    venue: Venue,
    files: &[PathBuf],
    faults: Faults,
    truth: &Truth,
    tweak: impl FnOnce(&mut ServeConfig),
) -> Server {
    let mut config = ServeConfig::new(venue, files.to_vec());
    config.faults = faults;
    config.start_after = truth.finals.len().max(1) as u64;
    tweak(&mut config);
    Server::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).unwrap()
}

fn live_config(venue: Venue, symbols: &[&str], server: &Server) -> LiveConfig {
    let addr = server.local_addr();
    let mut config = LiveConfig::new(venue, symbols.iter().map(|s| s.to_string()).collect());
    config.ws_url = Some(format!("ws://{addr}/ws"));
    config.rest_url = Some(format!("http://{addr}"));
    // Loopback timings: reconnect and resync quickly.
    config.reconnect_backoff = (Duration::from_millis(50), Duration::from_millis(500));
    config.min_connect_interval = Some(Duration::from_millis(50));
    config.resync_backoff = (Duration::from_millis(50), Duration::from_millis(500));
    config.resync_timeout = Duration::from_secs(3);
    config.tick = Duration::from_millis(20);
    config
}

/// Runs the client until the server's replay is over and every book equals truth's final book,
/// or until `limit`.
fn run(config: LiveConfig, server: &Server, truth: &Truth, limit: Duration) -> Outcome {
    run_until(config, server, truth, limit, true)
}

/// As [`run`]; with `together` false, truth is reached once every book has been Live and equal
/// to truth's final book at some tick after the replay ended, not necessarily at the same one
/// (books that a short test watchdog resubscribes one by one after the capture's end).
fn run_until(
    config: LiveConfig,
    server: &Server,
    truth: &Truth,
    limit: Duration,
    together: bool,
) -> Outcome {
    let mut live = Live::start(config).unwrap();
    let rx = live.engine_mut().subscribe(1 << 16, SlowConsumer::DropNewest);
    let started = Instant::now();
    let (mut views, mut statuses) = (Vec::new(), Vec::new());
    let mut reached_truth = false;
    let mut at_truth_seen: HashSet<String> = HashSet::new();
    while started.elapsed() < limit {
        let Some(step) = live.step() else { break };
        for update in rx.try_iter() {
            match update {
                Update::Book(v) => views.push((v, seen(live.engine(), &v))),
                Update::Status(s) => {
                    statuses.push((live.engine().symbol(s.instrument).to_owned(), s.status));
                }
            }
        }
        if matches!(step, depthbook_net::Step::Tick { .. }) && server.stats().replay_done {
            if !together {
                for symbol in truth.finals.keys() {
                    if !at_truth_seen.contains(symbol)
                        && book_at_truth(live.engine(), truth, symbol)
                    {
                        at_truth_seen.insert(symbol.clone());
                    }
                }
            }
            if at_truth(live.engine(), truth) || at_truth_seen.len() == truth.finals.len() {
                reached_truth = true;
                break;
            }
        }
    }
    let outcome = Outcome {
        views,
        statuses,
        counters: *live.engine().counters(),
        net: live.net_counters(),
        sim: server.stats(),
        reached_truth,
    };
    live.shutdown().unwrap();
    outcome
}

fn at_truth(engine: &Engine, truth: &Truth) -> bool {
    truth.finals.keys().all(|symbol| book_at_truth(engine, truth, symbol))
}

fn book_at_truth(engine: &Engine, truth: &Truth, symbol: &str) -> bool {
    engine.instrument(symbol).is_some_and(|id| {
        engine.state(id) == Some(BookState::Live)
            && truth.finals.get(symbol).is_some_and(|levels| top_levels(engine, symbol) == *levels)
    })
}

/// The checks every run must pass, whatever the faults.
fn assert_consistent(outcome: &Outcome, truth: &Truth) {
    assert!(outcome.reached_truth, "books never reached truth's final state: {outcome:#?}");
    for (view, seen) in &outcome.views {
        assert!(truth.views.contains(seen), "published a view truth never had: {view:?}");
    }
    assert_eq!(outcome.counters.checksum_failures, 0, "{:?}", outcome.counters);
}

/// As [`assert_consistent`], for streams the loopback derives and numbers itself (HTX `mbp`,
/// Bybit `orderbook.full`): views are compared without their sequence numbers.
fn assert_consistent_renumbered(outcome: &Outcome, truth: &Truth) {
    assert!(outcome.reached_truth, "books never reached truth's final state: {outcome:#?}");
    let unnumbered = |s: &Seen| Seen { seq: None, ..s.clone() };
    let truth_views: HashSet<Seen> = truth.views.iter().map(unnumbered).collect();
    for (view, seen) in &outcome.views {
        assert!(truth_views.contains(&unnumbered(seen)), "a view truth never had: {view:?}");
    }
    assert_eq!(outcome.counters.checksum_failures, 0, "{:?}", outcome.counters);
}

#[test]
fn binance_spot_bridges_rest_snapshots_and_equals_the_replay() {
    let files = vec![fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz")];
    let truth = truth(Venue::BinanceSpot, &files);
    let server = start_server(Venue::BinanceSpot, &files, Faults::default(), &truth);
    let dir = tempdir("spot");
    let capture = dir.join("live.txt");
    let mut config = live_config(Venue::BinanceSpot, &["BTCUSDT"], &server);
    config.record = Some(RecordConfig::new(&capture));
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert!(outcome.views.len() > 1000, "{} views", outcome.views.len());
    assert_eq!(outcome.counters.gaps, 0);
    assert!(outcome.net.rest_ok >= 1);
    // The recording replays to exactly the views the live run published, receive times included.
    let replayed = replay_views(Venue::BinanceSpot, &capture);
    let live: Vec<_> = outcome.views.iter().map(|(v, s)| (v.recv_ns, s.clone())).collect();
    assert_eq!(replayed, live);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn okx_stream_snapshots_verify_every_checksum_and_equal_the_replay() {
    let files = vec![fixture("okx/cryptofeed_OKX.ws.1.0.txt")];
    let truth = truth(Venue::Okx, &files);
    let server = start_server(Venue::Okx, &files, Faults::default(), &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let dir = tempdir("okx");
    let capture = dir.join("live.txt");
    let mut config = live_config(Venue::Okx, &symbols, &server);
    config.record = Some(RecordConfig::new(&capture));
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert!(outcome.counters.checksums_verified > 100, "{:?}", outcome.counters);
    let replayed = replay_views(Venue::Okx, &capture);
    let live: Vec<_> = outcome.views.iter().map(|(v, s)| (v.recv_ns, s.clone())).collect();
    assert_eq!(replayed, live);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn kraken_v1_books_verify_every_checksum() {
    let files = vec![fixture("kraken/cryptofeed_KRAKEN.ws.50.0.txt")];
    let truth = truth(Venue::KrakenV1, &files);
    let server = start_server(Venue::KrakenV1, &files, Faults::default(), &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let mut config = live_config(Venue::KrakenV1, &symbols, &server);
    config.depth = Some(1000);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert!(outcome.counters.checksums_verified > 1000, "{:?}", outcome.counters);
}

#[test]
fn kraken_v2_subscribes_with_depth_and_verifies_checksums_at_the_instrument_precision() {
    let files = vec![fixture("kraken/kraken_v2_btcusd_depth10.ndjson")];
    let mut truth_config = EngineConfig::new(Venue::Kraken);
    truth_config.default_precision = Some((1, 8));
    let truth = truth_with(truth_config, &files);
    let server = start_with(Venue::Kraken, &files, Faults::default(), &truth, |c| {
        c.default_precision = Some((1, 8));
    });
    let mut config = live_config(Venue::Kraken, &["BTC/USD"], &server);
    config.precision = Some((1, 8));
    let outcome = run(config, &server, &truth, Duration::from_secs(30));
    assert_consistent(&outcome, &truth);
    assert!(outcome.counters.checksums_verified >= 1, "{:?}", outcome.counters);
}

#[test]
fn a_disconnect_mid_stream_reconnects_and_every_book_returns_to_live() {
    let files = vec![fixture("okx/cryptofeed_OKX.ws.1.0.txt")];
    let truth = truth(Venue::Okx, &files);
    let faults = Faults { disconnect_after: Some(100), ..Faults::default() };
    let server = start_server(Venue::Okx, &files, faults, &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let outcome =
        run(live_config(Venue::Okx, &symbols, &server), &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.sim.faults.disconnected, 1);
    assert!(outcome.net.connects >= 2 && outcome.net.disconnects >= 1, "{:?}", outcome.net);
    // Every book went Stale at once on the disconnect, and came back.
    let stale: HashSet<_> = outcome
        .statuses
        .iter()
        .filter(|(_, s)| matches!(s, Status::Stale(depthbook_engine::StaleReason::Disconnect)))
        .map(|(sym, _)| sym.clone())
        .collect();
    assert_eq!(stale.len(), symbols.len());
    assert!(outcome.counters.resyncs >= symbols.len() as u64);
}

#[test]
fn binance_reconnects_and_bridges_again_after_a_disconnect() {
    let files = vec![fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz")];
    let truth = truth(Venue::BinanceSpot, &files);
    let faults = Faults { disconnect_after: Some(500), ..Faults::default() };
    let server = start_server(Venue::BinanceSpot, &files, faults, &truth);
    let config = live_config(Venue::BinanceSpot, &["BTCUSDT"], &server);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert!(outcome.net.disconnects >= 1 && outcome.counters.resyncs >= 1, "{:?}", outcome);
    assert!(outcome.net.rest_ok >= 2, "a fresh snapshot after the reconnect: {:?}", outcome.net);
}

#[test]
fn a_stalled_connection_trips_the_watchdogs_and_recovers() {
    let files = vec![fixture("okx/cryptofeed_OKX.ws.1.0.txt")];
    let truth = truth(Venue::Okx, &files);
    let faults = Faults { stall_after: Some(100), ..Faults::default() };
    let server = start_server(Venue::Okx, &files, faults, &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let mut config = live_config(Venue::Okx, &symbols, &server);
    config.book_watchdog = Some(Duration::from_millis(300));
    config.keepalive = Some((Duration::from_millis(500), Duration::from_secs(1)));
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.sim.faults.stalled, 1);
    assert!(outcome.net.watchdog_fired >= 1, "{:?}", outcome.net);
    assert!(outcome.net.idle_timeouts >= 1, "the dead socket is given up: {:?}", outcome.net);
}

#[test]
fn binance_recovers_by_rest_after_the_watchdog_finds_a_silent_stream() {
    // The stream pauses while the socket stays up (pongs keep coming): the book watchdog
    // marks the book Stale and resubscribes; when deltas flow again the book must bridge a
    // fresh REST snapshot, not wait forever for a stream snapshot Binance never sends.
    let files = vec![fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz")];
    let truth = truth(Venue::BinanceSpot, &files);
    let outcome = paused_live(Venue::BinanceSpot, &files, &truth, 300);
    assert_eq!(outcome.net.disconnects, 0, "the socket stayed up: {:?}", outcome.net);
    assert!(outcome.net.rest_ok >= 2, "a fresh snapshot after the watchdog: {:?}", outcome.net);
    let watchdog_stale = outcome
        .statuses
        .iter()
        .any(|(_, s)| matches!(s, Status::Stale(depthbook_engine::StaleReason::Watchdog)));
    assert!(watchdog_stale, "{:?}", outcome.statuses);
}

#[test]
fn a_dropped_frame_resyncs_only_its_symbol() {
    let files = vec![
        fixture("binance_spot/cryptofeed_BINANCE.ws.1.0.txt"),
        fixture("binance_spot/cryptofeed_BINANCE.http.0.0.txt"),
    ];
    let truth = truth(Venue::BinanceSpot, &files);
    // At a tenth of the recorded pace (3 s), so every book is Live when delta 120 is dropped.
    let faults = Faults { drop: vec![120], ..Faults::default() };
    let server = start_with(Venue::BinanceSpot, &files, faults, &truth, |c| {
        c.pace = Pace::Recorded { speedup: 10 };
    });
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    assert!(symbols.len() >= 3);
    let outcome = run(
        live_config(Venue::BinanceSpot, &symbols, &server),
        &server,
        &truth,
        Duration::from_secs(60),
    );
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.sim.faults.dropped, 1);
    let (symbol, status) = only_one_stale(&outcome);
    assert!(matches!(status, Status::Stale(depthbook_engine::StaleReason::Gap { .. })));
    assert_eq!(outcome.counters.gaps, 1);
    assert_eq!(outcome.counters.resyncs, 1, "{symbol} came back");
}

#[test]
fn a_refused_rest_snapshot_is_retried_within_budget() {
    let files = vec![fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz")];
    let truth = truth(Venue::BinanceSpot, &files);
    let faults = Faults { refuse_rest: 2, ..Faults::default() };
    let server = start_server(Venue::BinanceSpot, &files, faults, &truth);
    let config = live_config(Venue::BinanceSpot, &["BTCUSDT"], &server);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.net.rest_rate_limited, 2, "{:?}", outcome.net);
    assert!(outcome.net.rest_requests <= 4, "no storm: {:?}", outcome.net);
}

#[test]
fn a_corrupted_level_fails_the_checksum_and_only_that_book_resyncs() {
    let files = vec![fixture("okx/cryptofeed_OKX.ws.1.0.txt")];
    let truth = truth(Venue::Okx, &files);
    let faults = Faults { corrupt: vec![150], ..Faults::default() };
    let server = start_server(Venue::Okx, &files, faults, &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let config = live_config(Venue::Okx, &symbols, &server);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert!(outcome.reached_truth, "{outcome:#?}");
    for (view, seen) in &outcome.views {
        assert!(truth.views.contains(seen), "published a view truth never had: {view:?}");
    }
    assert_eq!(outcome.sim.faults.corrupted, 1);
    assert_eq!(outcome.counters.checksum_failures, 1, "{:?}", outcome.counters);
    let stale: Vec<_> =
        outcome.statuses.iter().filter(|(_, s)| matches!(s, Status::Stale(_))).collect();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(outcome.counters.resyncs, 1);
}

/// The one book that went Stale in a run (a fault must hit only its own book).
fn only_one_stale(outcome: &Outcome) -> (&String, &Status) {
    let stale: Vec<_> =
        outcome.statuses.iter().filter(|(_, s)| matches!(s, Status::Stale(_))).collect();
    assert_eq!(stale.len(), 1, "only the faulty frame's book: {stale:?}");
    (&stale[0].0, &stale[0].1)
}

/// Every book of the capture live, with the stream paused for 1.5 s after `after` frames while
/// the socket stays up (pongs keep coming): only the 300 ms book watchdog can notice. Checks
/// that the books still reach truth, the pause happened and the watchdog fired.
fn paused_live(venue: Venue, files: &[PathBuf], truth: &Truth, after: u64) -> Outcome {
    paused_live_until(venue, files, truth, after, true)
}

/// [`paused_live`], with [`run_until`]'s `together`.
fn paused_live_until(
    venue: Venue,
    files: &[PathBuf],
    truth: &Truth,
    after: u64,
    together: bool,
) -> Outcome {
    let faults =
        Faults { pause_after: Some((after, Duration::from_millis(1500))), ..Faults::default() };
    let server = start_server(venue, files, faults, truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let mut config = live_config(venue, &symbols, &server);
    config.book_watchdog = Some(Duration::from_millis(300));
    config.keepalive = Some((Duration::from_millis(200), Duration::from_secs(5)));
    let outcome = run_until(config, &server, truth, Duration::from_secs(60), together);
    assert_consistent(&outcome, truth);
    assert_eq!(outcome.sim.faults.paused, 1);
    assert!(outcome.net.watchdog_fired >= 1, "{:?}", outcome.net);
    outcome
}

/// Every book of a stream-snapshot venue's capture, served and subscribed live.
fn served_live(venue: Venue, fixture_rel: &str, faults: Faults) -> (Outcome, Truth) {
    let files = vec![fixture(fixture_rel)];
    let truth = truth(venue, &files);
    let server = start_server(venue, &files, faults, &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let outcome =
        run(live_config(venue, &symbols, &server), &server, &truth, Duration::from_secs(60));
    (outcome, truth)
}

/// Gate.io (either market): every book bridged from a REST snapshot with 0 gaps; then, at a
/// tenth of the recorded pace so the books are Live when delta 100 is dropped, that drop is one
/// gap and one refetch of its book only.
fn gateio_bridges_rest_snapshots_and_refetches_one_book(files: &[PathBuf], market: Market) {
    let truth = truth(Venue::GateIo, files);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let config =
        |server: &Server| LiveConfig { market, ..live_config(Venue::GateIo, &symbols, server) };
    let server = start_server(Venue::GateIo, files, Faults::default(), &truth);
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.counters.gaps, 0, "{:?}", outcome.counters);
    assert!(outcome.net.rest_ok >= symbols.len() as u64, "{:?}", outcome.net);
    let faults = Faults { drop: vec![100], ..Faults::default() };
    let server = start_with(Venue::GateIo, files, faults, &truth, |c| {
        c.pace = Pace::Recorded { speedup: 10 };
    });
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.sim.faults.dropped, 1);
    let (_, status) = only_one_stale(&outcome);
    assert!(matches!(status, Status::Stale(depthbook_engine::StaleReason::Gap { .. })));
    assert_eq!((outcome.counters.gaps, outcome.counters.resyncs), (1, 1));
}

#[test]
fn gateio_spot_bridges_rest_snapshots_live_and_a_dropped_delta_refetches_only_its_pair() {
    let files = [
        fixture("gateio/cryptofeed_GATEIO.ws.1.0.txt"),
        fixture("gateio/cryptofeed_GATEIO.http.0.0.txt"),
    ];
    gateio_bridges_rest_snapshots_and_refetches_one_book(&files, Market::Spot);
}

/// USDT futures: their own endpoint, channel, ping and `contract=` REST path (the loopback
/// serves `{"p","s"}` levels, sizes in contracts).
#[test]
fn gateio_usdt_futures_bridge_contract_snapshots_live_and_a_dropped_delta_refetches_it() {
    let files = [
        fixture("gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt"),
        fixture("gateio/cryptofeed_GATEIO_FUTURES.http.0.0.txt"),
    ];
    gateio_bridges_rest_snapshots_and_refetches_one_book(&files, Market::UsdtFutures);
}

#[test]
fn htx_gzip_frames_reach_truth_live_and_the_servers_pings_are_answered() {
    let files = vec![fixture("htx/cryptofeed_HUOBI.ws.44.0.txt.gz")];
    let truth = truth(Venue::Htx, &files);
    // Pings every 20 ms, even while the books flow, as HTX does every 5 s.
    let server = start_with(Venue::Htx, &files, Faults::default(), &truth, |c| {
        c.heartbeat_interval = Duration::from_millis(20);
        c.pace = Pace::Recorded { speedup: 20 };
    });
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let outcome =
        run(live_config(Venue::Htx, &symbols, &server), &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.counters.decode_errors, 0, "{:?}", outcome.counters);
    assert!(outcome.net.binary_frames > 0, "{:?}", outcome.net);
    assert!(outcome.net.pongs_sent >= 1, "{:?}", outcome.net);
}

#[test]
fn bitfinex_books_reach_truth_on_numbered_frames_and_a_silent_book_is_resubscribed() {
    let fixture_rel = "bitfinex/cryptofeed_BITFINEX.ws.11.0.txt";
    // The loopback numbers every frame it sends per connection (SEQ_ALL, as the client's conf
    // asks), and acks each subscription with the capture's channel id.
    let (outcome, truth) = served_live(Venue::Bitfinex, fixture_rel, Faults::default());
    assert_consistent(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.decode_errors), (0, 0));
    assert!(outcome.views.iter().all(|(v, _)| v.seq.is_some()), "views carry the SEQ_ALL number");
    // The loopback follows every book update with the book's checksum (OB_CHECKSUM).
    assert!(outcome.counters.checksums_verified > 30, "{:?}", outcome.counters);
    assert_eq!(outcome.counters.checksum_failures, 0);
    // A stream that pauses with the socket up: the connection's numbering goes on, so the
    // watchdog resubscribes each silent book (by its channel id) on the same connection. With
    // the test's 300 ms watchdog, every book falls silent again once the capture has ended and
    // is resubscribed in turn (on the venue's 300 s watchdog, not): each book is checked to
    // reach truth, not all at one instant.
    let outcome = paused_live_until(Venue::Bitfinex, &[fixture(fixture_rel)], &truth, 200, false);
    assert_eq!(outcome.net.connects, 1, "resubscribed, not reconnected: {:?}", outcome.net);
    assert_eq!(outcome.counters.gaps, 0);
}

/// One book's checksum fails on a connection that numbers every frame: that book alone is
/// unsubscribed (by its channel id) and subscribed again; the connection stays up and no other
/// book goes Stale (ccxt #24461 tore down every book of the connection).
#[test]
fn bitfinex_one_books_checksum_failure_resubscribes_that_book_only() {
    let fixture_rel = "bitfinex/cryptofeed_BITFINEX.ws.11.0.txt";
    // A book update never sent: the connection renumbers what it sends, so SEQ_ALL shows no
    // gap, but the truth book's checksum that follows does not match the client's book.
    let faults = Faults { drop: vec![40], ..Faults::default() };
    let (outcome, truth) = served_live(Venue::Bitfinex, fixture_rel, faults);
    assert!(outcome.reached_truth, "{outcome:#?}");
    for (view, seen) in &outcome.views {
        assert!(truth.views.contains(seen), "published a view truth never had: {view:?}");
    }
    assert_eq!(outcome.sim.faults.dropped, 1);
    let c = outcome.counters;
    assert_eq!((c.checksum_failures, c.gaps), (1, 0), "{c:?}");
    // The failing book went Stale and came back Live with no other book going Stale in
    // between: resubscribed alone, over the same connection. (Books of this capture that stay
    // silent past the resync timeout reconnect later: that is what their own wait concerns.)
    let statuses = &outcome.statuses;
    let failed = statuses
        .iter()
        .position(|(_, s)| *s == Status::Stale(depthbook_engine::StaleReason::ChecksumMismatch))
        .expect("a checksum failure");
    let symbol = &statuses[failed].0;
    let back = failed
        + 1
        + statuses[failed + 1..]
            .iter()
            .position(|(sym, s)| sym == symbol && *s == Status::Live)
            .expect("Live again");
    assert!(
        statuses[failed + 1..back].iter().all(|(_, s)| *s == Status::Live),
        "nothing else went Stale meanwhile: {statuses:?}"
    );
}

#[test]
fn bybit_books_reach_truth_live_and_a_dropped_delta_is_a_gap_healed_by_resubscribing() {
    // A long live run needs a long stream: this capture is the Binance spot one reshaped into
    // Bybit's messages (fixtures/README.md); the real 2026 recording is shorter.
    let files = vec![fixture("bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz")];
    let truth = truth(Venue::Bybit, &files);
    let server = start_server(Venue::Bybit, &files, Faults::default(), &truth);
    let mut config = live_config(Venue::Bybit, &["BTCUSDT"], &server);
    config.depth = Some(1000);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.unconfirmed_breaks), (0, 0));
    assert!(outcome.views.len() > 1000, "{}", outcome.views.len());
    // Bybit's `u + 1` holds on every delta of real recordings: a lost delta is a gap, and the
    // resubscription's snapshot brings the book back to truth.
    let faults = Faults { drop: vec![700], ..Faults::default() };
    let server = start_server(Venue::Bybit, &files, faults, &truth);
    let mut config = live_config(Venue::Bybit, &["BTCUSDT"], &server);
    config.depth = Some(1000);
    let outcome = run(config, &server, &truth, Duration::from_secs(60));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.sim.faults.dropped, 1);
    let (_, status) = only_one_stale(&outcome);
    assert!(matches!(status, Status::Stale(depthbook_engine::StaleReason::Gap { .. })));
    assert_eq!((outcome.counters.gaps, outcome.counters.resyncs), (1, 1));
}

#[test]
fn coinbase_advanced_trade_books_reach_truth_on_the_connections_sequence_numbers() {
    // No Advanced Trade `l2_data` recording exists in the samples: this capture is the Coinbase
    // Exchange one reshaped into Advanced Trade messages (fixtures/README.md). The loopback
    // numbers every message of a connection, acks included, as Coinbase does.
    let fixture_rel = "coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz";
    let (outcome, truth) = served_live(Venue::Coinbase, fixture_rel, Faults::default());
    assert_consistent(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.decode_errors), (0, 0));
    assert!(outcome.views.len() > 1000, "{}", outcome.views.len());
    // A paused stream trips the watchdog; the connection's numbering goes on (nothing was
    // lost on it), so each silent product is resubscribed on the same connection.
    let outcome = paused_live(Venue::Coinbase, &[fixture(fixture_rel)], &truth, 3_000);
    assert_eq!(outcome.net.connects, 1, "resubscribed, not reconnected: {:?}", outcome.net);
    assert_eq!(outcome.counters.gaps, 0);
}

/// Coinbase Advanced Trade sends the whole book in one snapshot (5.08 MB for BTC-USD in
/// August 2026): a book of 60 000 levels a side, whose snapshot the loopback sends as one frame
/// of over 6 MB (it renders the whole book), goes Live and follows the updates after it.
#[test]
fn a_coinbase_advanced_trade_snapshot_over_6_mb_makes_its_book_live() {
    let level = |side: &str, cents: i64| {
        format!(
            r#"{{"side":"{side}","event_time":"2026-08-09T00:00:00.000000Z","price_level":"{}.{:02}","new_quantity":"0.{:08}"}}"#,
            cents / 100,
            cents % 100,
            cents % 99_999_999
        )
    };
    let updates: Vec<String> = (0..60_000)
        .map(|i| level("bid", 6_000_000 - i))
        .chain((0..60_000).map(|i| level("offer", 6_000_001 + i)))
        .collect();
    let mut lines = vec![format!(
        r#"1786310819.0: {{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T00:00:00Z","sequence_num":0,"events":[{{"type":"snapshot","product_id":"BTC-USD","updates":[{}]}}]}}"#,
        updates.join(",")
    )];
    for k in 1..=200u64 {
        lines.push(format!(
            r#"{}.5: {{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T00:00:01Z","sequence_num":{k},"events":[{{"type":"update","product_id":"BTC-USD","updates":[{{"side":"bid","event_time":"2026-08-09T00:00:01Z","price_level":"60000.{:02}","new_quantity":"0.{k:03}"}}]}}]}}"#,
            1_786_310_819 + k,
            k % 100
        ));
    }
    assert!(lines[0].len() > 6_000_000);
    let dir = std::env::temp_dir().join(format!("depthbook-loopback-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("coinbase-6mb.txt");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let files = vec![path];
    let truth = truth(Venue::Coinbase, &files);
    let server = start_with(Venue::Coinbase, &files, Faults::default(), &truth, |c| {
        c.pace = Pace::Recorded { speedup: 100 };
    });
    let outcome = run(
        live_config(Venue::Coinbase, &["BTC-USD"], &server),
        &server,
        &truth,
        Duration::from_secs(60),
    );
    assert_consistent(&outcome, &truth);
    let c = outcome.counters;
    assert_eq!((c.gaps, c.decode_errors), (0, 0), "{c:?}");
    assert!(outcome.views.len() > 100, "{}", outcome.views.len());
}

#[test]
fn bitget_books_verify_every_checksum_live() {
    let (outcome, truth) =
        served_live(Venue::Bitget, "bitget/cryptofeed_BITGET.ws.1.0.txt.gz", Faults::default());
    assert_consistent(&outcome, &truth);
    assert!(outcome.counters.checksums_verified > 300, "{:?}", outcome.counters);
}

#[test]
fn bitget_a_corrupted_level_fails_the_checksum_and_the_book_is_resubscribed() {
    let faults = Faults { corrupt: vec![200], ..Faults::default() };
    let (outcome, truth) =
        served_live(Venue::Bitget, "bitget/cryptofeed_BITGET.ws.1.0.txt.gz", faults);
    assert!(outcome.reached_truth, "{outcome:#?}");
    for (view, seen) in &outcome.views {
        assert!(truth.views.contains(seen), "published a view truth never had: {view:?}");
    }
    assert_eq!(outcome.sim.faults.corrupted, 1);
    assert_eq!(outcome.counters.checksum_failures, 1, "{:?}", outcome.counters);
    assert_eq!(outcome.counters.resyncs, 1);
}

#[test]
fn deribit_books_chain_their_change_ids_live_and_a_dropped_change_resubscribes() {
    let (outcome, truth) =
        served_live(Venue::Deribit, "deribit/cryptofeed_DERIBIT.ws.1.0.txt", Faults::default());
    assert_consistent(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.decode_errors), (0, 0));
    // The capture's 36 changes are the global delta numbering; drop one in the middle.
    let faults = Faults { drop: vec![20], ..Faults::default() };
    let (outcome, truth) =
        served_live(Venue::Deribit, "deribit/cryptofeed_DERIBIT.ws.1.0.txt", faults);
    assert!(outcome.reached_truth, "{outcome:#?}");
    for (view, seen) in &outcome.views {
        assert!(truth.views.contains(seen), "published a view truth never had: {view:?}");
    }
    assert_eq!(outcome.sim.faults.dropped, 1);
    assert_eq!(outcome.counters.gaps, 1, "{:?}", outcome.counters);
    assert_eq!(outcome.counters.resyncs, 1);
}

#[test]
fn coinbase_exchange_books_replay_live_and_return_after_a_disconnect() {
    let (outcome, truth) = served_live(
        Venue::CoinbaseExchange,
        "coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz",
        Faults::default(),
    );
    assert_consistent(&outcome, &truth);
    assert!(outcome.views.len() > 1000, "{}", outcome.views.len());
    let faults = Faults { disconnect_after: Some(500), ..Faults::default() };
    let (outcome, truth) =
        served_live(Venue::CoinbaseExchange, "coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz", faults);
    assert_consistent(&outcome, &truth);
    assert!(outcome.net.connects >= 2, "{:?}", outcome.net);
}

/// The views a replay of a recorded capture publishes, with their receive times.
fn replay_views(venue: Venue, capture: &Path) -> Vec<(i64, Seen)> {
    let mut config = EngineConfig::new(venue);
    config.symbols = None;
    let mut engine = Engine::new(config);
    let rx = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let mut reader = CaptureReader::open(&[capture], 16 << 20).unwrap();
    let mut out = Vec::new();
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(&mut engine, &record);
        for update in rx.try_iter() {
            if let Update::Book(v) = update {
                out.push((v.recv_ns, seen(&engine, &v)));
            }
        }
    }
    out
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("depthbook-net-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// HTX `mbp` diffs, which no capture holds: the loopback derives them from the `depth.step0`
/// capture's books (numbered `seqNum` / `prevSeqNum`) and answers `req` on the stream with the
/// book at its current number. Every book bridges its snapshot with the buffered diffs; at a
/// twentieth of the recorded pace (so the books are Live), a dropped diff is one gap, healed
/// by one `req` of that book only.
#[test]
fn htx_mbp_diffs_bridge_req_snapshots_live_and_a_dropped_diff_asks_again() {
    let files = vec![fixture("htx/cryptofeed_HUOBI.ws.44.0.txt.gz")];
    let truth = truth(Venue::Htx, &files);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let config = |server: &Server| LiveConfig {
        channel: BookChannel::Mbp,
        ..live_config(Venue::Htx, &symbols, server)
    };
    let pace = |c: &mut ServeConfig| c.pace = Pace::Recorded { speedup: 20 };
    let server = start_with(Venue::Htx, &files, Faults::default(), &truth, pace);
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent_renumbered(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.decode_errors), (0, 0));
    assert!(outcome.counters.applied > 100, "{:?}", outcome.counters);

    let faults = Faults { drop: vec![200], ..Faults::default() };
    let server = start_with(Venue::Htx, &files, faults, &truth, pace);
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent_renumbered(&outcome, &truth);
    assert_eq!(outcome.sim.faults.dropped, 1);
    let (_, status) = only_one_stale(&outcome);
    assert!(matches!(status, Status::Stale(depthbook_engine::StaleReason::Gap { .. })));
    assert_eq!((outcome.counters.gaps, outcome.counters.resyncs), (1, 1));
}

/// Bybit `orderbook.full`: deltas only, strictly numbered by `u`, bridged onto REST
/// `/v5/market/full_orderbook`; the loopback derives both from the (reshaped) capture's book.
/// A dropped delta is a gap (the rule is documented for this stream), healed by one refetch.
#[test]
fn bybit_full_bridges_rest_snapshots_live_and_a_dropped_delta_refetches() {
    let files = vec![fixture("bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz")];
    let truth = truth(Venue::Bybit, &files);
    let config = |server: &Server| LiveConfig {
        channel: BookChannel::Full,
        ..live_config(Venue::Bybit, &["BTCUSDT"], server)
    };
    let server = start_server(Venue::Bybit, &files, Faults::default(), &truth);
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent_renumbered(&outcome, &truth);
    assert_eq!((outcome.counters.gaps, outcome.counters.unconfirmed_breaks), (0, 0));
    assert!(outcome.net.rest_ok >= 1, "{:?}", outcome.net);
    assert!(outcome.views.len() > 1000, "{}", outcome.views.len());

    let faults = Faults { drop: vec![700], ..Faults::default() };
    let server = start_server(Venue::Bybit, &files, faults, &truth);
    let outcome = run(config(&server), &server, &truth, Duration::from_secs(60));
    assert_consistent_renumbered(&outcome, &truth);
    assert_eq!(
        outcome.sim.faults.dropped, 2,
        "the capture's 700th delta (no subscriber) and the stream's"
    );
    assert_eq!((outcome.counters.gaps, outcome.counters.resyncs), (1, 1));
    assert!(outcome.net.rest_ok >= 2, "{:?}", outcome.net);
}

/// Instrument metadata over REST, fetched from the loopback (which answers with the decimals
/// its capture's books are written with): every level of every final book is a whole number of
/// ticks and lots.
#[test]
fn instrument_metadata_is_fetched_and_every_level_sits_on_its_tick_and_lot() {
    let cases: [(Venue, Market, Vec<PathBuf>); 3] = [
        (
            Venue::BinanceSpot,
            Market::Spot,
            vec![fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz")],
        ),
        (Venue::Okx, Market::Spot, vec![fixture("okx/cryptofeed_OKX.ws.1.0.txt")]),
        (
            Venue::GateIo,
            Market::UsdtFutures,
            vec![
                fixture("gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt"),
                fixture("gateio/cryptofeed_GATEIO_FUTURES.http.0.0.txt"),
            ],
        ),
    ];
    for (venue, market, files) in cases {
        let truth = truth(venue, &files);
        let server = start_server(venue, &files, Faults::default(), &truth);
        let symbols: Vec<String> = truth.finals.keys().cloned().collect();
        let protocol = depthbook_net::Protocol::of_market(venue, market).unwrap();
        let base = format!("http://{}", server.local_addr());
        let infos = depthbook_net::fetch_instruments(
            &protocol,
            &symbols,
            Some(&base),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(infos.len(), symbols.len(), "{venue}: {infos:?}");
        for info in &infos {
            let (tick, lot) = (info.tick_size.unwrap(), info.lot_size.unwrap());
            assert!(tick > rust_decimal::Decimal::ZERO && lot > rust_decimal::Decimal::ZERO);
            let (bids, asks) = &truth.finals[&info.symbol];
            for (price, qty) in bids.iter().chain(asks) {
                assert!((price.to_decimal() % tick).is_zero(), "{venue} {info:?} {price}");
                assert!((qty.to_decimal() % lot).is_zero(), "{venue} {info:?} {qty}");
            }
        }
    }
}

/// A book whose stream stays quiet still gets its first snapshot: INK_USDT's deltas are cut
/// from the Gate.io capture, so it never buffers the delta that would ask for one; with the
/// resync timeout at 30 s, only the first-snapshot rule (200 ms here) brings it Live before
/// the 20 s deadline, from the REST snapshot alone.
#[test]
fn an_illiquid_rest_book_asks_for_its_first_snapshot_without_waiting_for_a_delta() {
    let ws = std::fs::read_to_string(fixture("gateio/cryptofeed_GATEIO.ws.1.0.txt")).unwrap();
    let quiet: String =
        ws.lines().filter(|l| !l.contains("INK_USDT")).map(|l| format!("{l}\n")).collect();
    let dir = tempdir("illiquid");
    let stream = dir.join("gateio.ws.txt");
    std::fs::write(&stream, quiet).unwrap();
    let files = [stream, fixture("gateio/cryptofeed_GATEIO.http.0.0.txt")];
    let truth = truth(Venue::GateIo, &files);
    assert!(truth.finals.contains_key("INK_USDT"), "Live in truth from its REST body alone");
    let server = start_server(Venue::GateIo, &files, Faults::default(), &truth);
    let symbols: Vec<&str> = truth.finals.keys().map(String::as_str).collect();
    let mut config = live_config(Venue::GateIo, &symbols, &server);
    config.resync_timeout = Duration::from_secs(30);
    config.first_snapshot_after = Duration::from_millis(200);
    let outcome = run(config, &server, &truth, Duration::from_secs(20));
    assert_consistent(&outcome, &truth);
    assert_eq!(outcome.counters.gaps, 0, "{:?}", outcome.counters);
    let _ = std::fs::remove_dir_all(dir);
}
