//! Hostile and broken peers on 127.0.0.1: oversized frames, binary frames, invalid UTF-8, a server
//! that never answers the subscribe, a flood of resync-triggering messages, a server that refuses
//! every connection. Each must be counted and handled (the connection dropped and retried with
//! backoff, or the book kept Stale and resynced at a bounded rate), never a panic, never a book
//! published from bad data, never a retry loop without backoff.
//!
//! Each test runs the client for a fixed wall-clock window and then checks counts. The bounds
//! are loose on purpose (the machine is shared): they separate "backs off" from "loops", not
//! fast from slow.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use depthbook_engine::{Counters, SlowConsumer, Update};
use depthbook_net::{Live, LiveConfig, NetSnapshot};
use depthbook_venues::Venue;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

type Ws = WebSocketStream<TcpStream>;

/// A WebSocket server on its own thread; every accepted connection runs `handler`. Counts
/// connections. The thread ends with the test process.
fn spawn_server<F, Fut>(handler: F) -> (SocketAddr, Arc<AtomicU64>)
where
    F: Fn(Ws) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let connections = Arc::new(AtomicU64::new(0));
    let count = connections.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let handler = Arc::new(handler);
            loop {
                let Ok((tcp, _)) = listener.accept().await else { continue };
                count.fetch_add(1, Ordering::Relaxed);
                let handler = handler.clone();
                tokio::spawn(async move {
                    if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                        handler(ws).await;
                    }
                });
            }
        });
    });
    (addr_rx.recv().unwrap(), connections)
}

struct Ran {
    counters: Counters,
    net: NetSnapshot,
    published: u64,
}

/// Runs a client of `venue` for `window` against `addr`.
fn run_for(
    venue: Venue,
    symbol: &str,
    addr: SocketAddr,
    window: Duration,
    tweak: impl FnOnce(&mut LiveConfig),
) -> Ran {
    let mut config = LiveConfig::new(venue, vec![symbol.to_owned()]);
    config.ws_url = Some(format!("ws://{addr}/ws"));
    config.rest_url = Some(format!("http://{addr}"));
    config.reconnect_backoff = (Duration::from_millis(50), Duration::from_millis(400));
    config.min_connect_interval = Some(Duration::from_millis(50));
    config.resync_backoff = (Duration::from_millis(100), Duration::from_millis(800));
    config.resync_timeout = Duration::from_millis(300);
    config.tick = Duration::from_millis(20);
    config.max_message_bytes = 64 << 10;
    tweak(&mut config);
    let mut live = Live::start(config).unwrap();
    let views = live.engine_mut().subscribe(1 << 16, SlowConsumer::DropNewest);
    let started = Instant::now();
    let mut published = 0;
    while started.elapsed() < window {
        if live.step().is_none() {
            break;
        }
        published += views.try_iter().filter(|u| matches!(u, Update::Book(_))).count() as u64;
    }
    let ran = Ran { counters: *live.engine().counters(), net: live.net_counters(), published };
    live.shutdown().unwrap();
    ran
}

const OKX_SNAPSHOT: &str = r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":100}]}"#;

fn okx_update(prev: i64, seq: i64) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"update","data":[{{"asks":[["8477","1","0","1"]],"bids":[],"ts":"1597026383086","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
}

/// Answers OKX's text ping; ignores anything else.
async fn answer_pings(ws: &mut Ws, message: &Message) -> bool {
    if let Message::Text(text) = message
        && text.as_str() == "ping"
    {
        return ws.send(Message::text("pong")).await.is_ok();
    }
    true
}

#[test]
fn an_oversized_frame_drops_the_connection_which_is_retried_with_backoff() {
    let (addr, connections) = spawn_server(|mut ws| async move {
        let _ = ws.next().await;
        let _ = ws.send(Message::text(OKX_SNAPSHOT)).await;
        let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(200 << 10));
        let _ = ws.send(Message::text(huge)).await;
        while ws.next().await.is_some() {}
    });
    let ran = run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(2), |_| {});
    assert!(ran.net.oversized >= 1, "{:?}", ran.net);
    assert!(ran.net.disconnects >= 1 && ran.net.connects >= 2, "{:?}", ran.net);
    // 2 s of 50 ms..400 ms full-jitter backoff: a handful of attempts, not hundreds.
    let n = connections.load(Ordering::Relaxed);
    assert!((2..=60).contains(&n), "{n} connections");
    assert_eq!(ran.counters.decode_errors, 0, "the oversized frame never reached the decoder");
}

#[test]
fn binary_frames_and_invalid_utf8_are_counted_and_never_applied() {
    let (addr, _) = spawn_server(|mut ws| async move {
        let _ = ws.next().await;
        let _ = ws.send(Message::text(OKX_SNAPSHOT)).await;
        let _ = ws.send(Message::binary(okx_update(100, 101).into_bytes())).await;
        // A text frame whose payload is not UTF-8: the client must refuse it.
        let mut bad = okx_update(101, 102).into_bytes();
        bad[10] = 0xff;
        let frame = Frame::message(bad, OpCode::Data(Data::Text), true);
        let _ = ws.send(Message::Frame(frame)).await;
        while let Some(Ok(message)) = ws.next().await {
            if !answer_pings(&mut ws, &message).await {
                return;
            }
        }
    });
    let ran = run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(2), |_| {});
    assert!(ran.net.binary_frames >= 1, "{:?}", ran.net);
    // The invalid text frame ends the connection; the client comes back.
    assert!(ran.net.disconnects >= 1 && ran.net.connects >= 2, "{:?}", ran.net);
    // Only each connection's snapshot (the last may not have arrived when the window closed).
    assert!(ran.counters.applied <= ran.net.connects, "{:?} {:?}", ran.counters, ran.net);
    assert!(ran.counters.applied + 1 >= ran.net.connects, "{:?} {:?}", ran.counters, ran.net);
}

#[test]
fn a_server_that_never_answers_the_subscribe_gets_bounded_resubscribes() {
    let sent = Arc::new(AtomicU64::new(0));
    let seen = sent.clone();
    let (addr, connections) = spawn_server(move |mut ws| {
        let seen = seen.clone();
        async move {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = &message
                    && text.contains("subscribe")
                {
                    seen.fetch_add(1, Ordering::Relaxed);
                }
                if !answer_pings(&mut ws, &message).await {
                    return;
                }
            }
        }
    });
    let ran = run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(3), |config| {
        // Ping after 200 ms of silence, give up 1 s after: the window sees many pings.
        config.keepalive = Some((Duration::from_millis(200), Duration::from_secs(1)));
    });
    assert_eq!(ran.published, 0);
    assert!(ran.net.pings_sent >= 5, "{:?}", ran.net);
    assert_eq!(ran.net.idle_timeouts, 0, "every ping was answered: {:?}", ran.net);
    assert_eq!(connections.load(Ordering::Relaxed), 1, "pings keep the socket: no reconnects");
    // Resynced on the 300 ms timeout, spaced by 100..800 ms backoff: a few, not a loop.
    assert!((1..=20).contains(&ran.net.resyncs_started), "{:?}", ran.net);
    assert!(sent.load(Ordering::Relaxed) <= 1 + 2 * ran.net.resyncs_started);
}

#[test]
fn a_flood_of_gaps_is_resynced_at_a_bounded_rate() {
    let snapshots = Arc::new(AtomicU64::new(0));
    let sent = snapshots.clone();
    let (addr, _) = spawn_server(move |mut ws| {
        let sent = sent.clone();
        async move {
            // Every subscribe gets a snapshot followed by a storm of updates that break the chain.
            loop {
                let Some(Ok(message)) = ws.next().await else { return };
                if !answer_pings(&mut ws, &message).await {
                    return;
                }
                let Message::Text(text) = &message else { continue };
                if !text.contains(r#""op":"subscribe""#) {
                    continue;
                }
                if ws.send(Message::text(OKX_SNAPSHOT)).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::Relaxed);
                for i in 0..2_000 {
                    if ws.send(Message::text(okx_update(500 + 2 * i, 501 + 2 * i))).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let ran = run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(3), |_| {});
    assert!(ran.counters.frames >= 2_000, "{:?}", ran.counters);
    assert!(ran.counters.gaps >= 1);
    // One gap per snapshot (a Stale book ignores the rest), and resyncs spaced by backoff.
    assert!(ran.counters.gaps <= ran.net.resyncs_started + 1, "{:?} {:?}", ran.counters, ran.net);
    assert!(ran.net.resyncs_started <= 20, "{:?}", ran.net);
    assert_eq!(ran.published, ran.counters.applied, "only snapshots were applied");
    let snapshots = snapshots.load(Ordering::Relaxed);
    assert!(ran.counters.applied <= snapshots, "{:?}, {snapshots} snapshots", ran.counters);
}

#[test]
fn a_server_refusing_every_connection_is_retried_with_backoff() {
    let (addr, connections) = spawn_server(|ws| async move {
        drop(ws);
    });
    let ran = run_for(Venue::BinanceSpot, "BTCUSDT", addr, Duration::from_secs(2), |_| {});
    let n = connections.load(Ordering::Relaxed);
    assert!(n >= 2, "{n} attempts");
    assert!(n <= 60, "backoff holds the rate down: {n} attempts in 2 s: {:?}", ran.net);
    assert_eq!(ran.published, 0);
    // A REST snapshot is only worth fetching while a stream flows to bridge it with.
    assert_eq!(ran.net.rest_requests, 0, "no snapshot without a stream: {:?}", ran.net);
}

#[test]
fn the_venues_connection_rate_limit_holds_whatever_the_backoff() {
    let (addr, connections) = spawn_server(|ws| async move {
        drop(ws);
    });
    run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(2), |config| {
        config.reconnect_backoff = (Duration::from_millis(1), Duration::from_millis(1));
        config.min_connect_interval = None;
    });
    // OKX allows 3 connections a second: at most one every 400 ms, so 5 (+1) in 2 s.
    let n = connections.load(Ordering::Relaxed);
    assert!((2..=6).contains(&n), "{n} connections in 2 s");
}

#[test]
fn a_tls_handshake_with_a_server_that_is_not_tls_fails_closed() {
    // A plain TCP server answering garbage: the rustls client must fail the connect (counted),
    // never panic for want of a crypto provider, and retry with backoff.
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        addr_tx.send(listener.local_addr().unwrap()).unwrap();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            use std::io::Write as _;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\nnot tls at all");
        }
    });
    let addr: SocketAddr = addr_rx.recv().unwrap();
    let ran = run_for(Venue::Okx, "BTC-USDT", addr, Duration::from_secs(1), |config| {
        config.ws_url = Some(format!("wss://localhost:{}/ws/v5/public", addr.port()));
    });
    assert_eq!(ran.net.connects, 0);
    assert!(ran.net.connect_failures >= 1, "{:?}", ran.net);
    assert_eq!(ran.published, 0);
}
