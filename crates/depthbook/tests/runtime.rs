//! The facade from async code and on drop: [`Feed::start`] works inside a tokio runtime (both
//! flavours), live (with the instruments fetched at start) and replayed, and dropping
//! [`depthbook::Books`] stops the loop and returns, mid-replay or live, whatever the network is
//! doing. The only time limit is a hang detector (30 s), never a measurement.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use depthbook::{Books, Feed, Update, Venue};
use depthbook_sim::{ServeConfig, Server};

const SYMBOLS: [&str; 3] = ["BTC-USDT", "UNI-USD-SWAP", "BTC-USD-220527"];

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(path)
}

fn okx_capture() -> PathBuf {
    fixture("okx/cryptofeed_OKX.ws.1.0.txt")
}

/// The loopback exchange replaying the OKX capture once every symbol is subscribed.
fn loopback() -> Server {
    let mut config = ServeConfig::new(Venue::Okx, vec![okx_capture()]);
    config.start_after = SYMBOLS.len() as u64;
    Server::start(SocketAddr::from(([127, 0, 0, 1], 0)), config).unwrap()
}

fn live_feed(server: &Server) -> Feed {
    let addr = server.local_addr();
    Feed::live(Venue::Okx, SYMBOLS)
        .endpoints(format!("ws://{addr}/ws"), Some(format!("http://{addr}")))
        .with_depth()
}

fn all_live(books: &Books) -> bool {
    books.readers().all(|(_, reader)| reader.read().is_live())
}

/// Runs `f` on a thread of its own and returns what it returned; fails the test if it has not
/// returned within 30 s. A hang detector, not a measurement: the work takes far less.
fn returns<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(value) => value,
        Err(RecvTimeoutError::Timeout) => panic!("{what} did not return within 30 s"),
        Err(RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// A replay started and waited for from async code ends with every book Live.
async fn replay_in_async_code() {
    let books = Feed::replay(Venue::Okx, SYMBOLS, [okx_capture()]).with_depth().start().unwrap();
    let readers: Vec<_> = books.readers().map(|(_, reader)| reader.clone()).collect();
    let depth = books.depth("BTC-USD-220527").unwrap().clone();
    let counters = books.wait().unwrap();
    assert_eq!(counters.checksum_failures, 0);
    assert!(readers.iter().all(|reader| reader.read().is_live()));
    assert_eq!(depthbook::analytics::mid(&depth.read()).unwrap(), Some("30234.1".parse().unwrap()));
    // Dropped in async code too, before the end of its capture.
    drop(Feed::replay(Venue::Okx, SYMBOLS, [okx_capture()]).start().unwrap());
}

/// A live feed with its instruments fetched at start, started, stopped and dropped from async
/// code, against the loopback exchange.
async fn live_in_async_code() {
    let server = loopback();
    let books = live_feed(&server).instruments().start().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !all_live(&books) {
        assert!(Instant::now() < deadline, "the live books never went Live");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for symbol in SYMBOLS {
        assert!(books.instrument(symbol).is_some_and(|i| i.tick_size.is_some()), "{symbol}");
    }
    let counters = books.stop().unwrap();
    assert_eq!(counters.checksum_failures, 0);
    // Another one, without the fetch, dropped (not stopped) as soon as it started.
    drop(live_feed(&server).start().unwrap());
    server.shutdown();
}

#[tokio::test(flavor = "current_thread")]
async fn a_replay_starts_inside_a_current_thread_runtime() {
    replay_in_async_code().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_starts_inside_a_multi_thread_runtime() {
    replay_in_async_code().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_live_feed_starts_inside_a_current_thread_runtime() {
    live_in_async_code().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_feed_starts_inside_a_multi_thread_runtime() {
    live_in_async_code().await;
}

#[test]
fn dropping_a_replay_mid_run_returns() {
    // The largest bundled capture: far more records than the loop reads before the drop.
    let capture = fixture("binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz");
    let books = Feed::replay(Venue::BinanceUsdm, ["BTCUSDT"], [capture]).start().unwrap();
    // Under way: the first update (the book going Live) is out.
    let first = books.updates().recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(matches!(first, Update::Status(_) | Update::Book(_)));
    let top = books.top("BTCUSDT").unwrap().clone();
    returns("dropping a replay mid-run", move || drop(books));
    // The loop has ended: nothing writes the reader any more.
    let last = top.read();
    assert_eq!(top.read(), last);
}

#[test]
fn dropping_a_live_feeds_books_returns() {
    let server = loopback();
    let books = live_feed(&server).start().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !all_live(&books) {
        assert!(Instant::now() < deadline, "the live books never went Live");
        std::thread::sleep(Duration::from_millis(20));
    }
    returns("dropping a live feed's books", move || drop(books));
    server.shutdown();
}

#[test]
fn dropping_a_live_feed_that_cannot_connect_returns() {
    // Nothing listens on this port any more: every connection attempt is refused, and the
    // connection task waits out its reconnect backoff between attempts.
    let refused = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let books = Feed::live(Venue::Okx, SYMBOLS)
        .endpoints(format!("ws://{refused}/ws"), None)
        .start()
        .unwrap();
    // Not a pass/fail criterion: lets the first attempts fail before the drop.
    std::thread::sleep(Duration::from_millis(200));
    returns("dropping a feed in reconnect backoff", move || drop(books));
    // A peer that accepts the TCP connection and never answers the WebSocket handshake: the
    // connection task waits for its connect timeout.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let books =
        Feed::live(Venue::Okx, SYMBOLS).endpoints(format!("ws://{addr}/ws"), None).start().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    returns("dropping a feed mid-handshake", move || drop(books));
    drop(silent);
}
