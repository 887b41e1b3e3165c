//! Binance spot and USD-M through the loopback server: forwarding byte for byte, the REST
//! snapshot bridging the stream, and the stream and REST faults.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::*;
use depthbook_capture::{CaptureReader, RecordKind};
use depthbook_core::Side;
use depthbook_engine::{BookState, Engine, EngineConfig};
use depthbook_sim::Faults;
use depthbook_venues::{Frame, Venue};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::{Bytes, Message};

fn depth_updates() -> Vec<String> {
    let frames = capture_frames(BINANCE_SPOT, |t| t.contains(r#""e":"depthUpdate""#));
    assert_eq!(frames.len(), 3_451, "the capture's depthUpdate frames");
    frames
}

/// The book a plain replay of the whole capture ends with.
fn truth_engine() -> Engine {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    let mut reader = CaptureReader::open(&[fixture(BINANCE_SPOT)], 16 << 20).unwrap();
    while let Some(record) = reader.next().unwrap() {
        match record.kind {
            RecordKind::Frame(bytes) => engine.ingest(&Frame::stream(bytes), record.recv_ns),
            RecordKind::Rest { body, url } => {
                engine.ingest(&Frame::rest(body, url), record.recv_ns)
            }
            _ => {}
        }
    }
    engine
}

fn top(engine: &Engine, side: Side, n: usize) -> Vec<(String, String)> {
    let id = engine.instrument("BTCUSDT").unwrap();
    let book = engine.book(id).unwrap();
    book.side(side).iter().take(n).map(|l| (l.price.to_string(), l.qty.to_string())).collect()
}

#[tokio::test]
async fn forwards_the_captures_depth_updates_and_serves_a_bridging_rest_snapshot() {
    bounded(async {
        let expected = depth_updates();
        let server = start(config(Venue::BinanceSpot, fixture(BINANCE_SPOT), Faults::default()));
        let addr = server.local_addr();
        let mut ws = connect(addr, "/ws").await;
        send(&mut ws, r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#).await;
        assert_eq!(json(&next_text(&mut ws).await), json(r#"{"result":null,"id":1}"#));

        let mut received = Vec::new();
        for _ in 0..10 {
            received.push(next_text(&mut ws).await);
        }
        let url = format!("http://{addr}/api/v3/depth?symbol=BTCUSDT&limit=5000");
        let response = http_client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body = response.text().await.unwrap();
        let before_snapshot = received.len();
        while received.len() < expected.len() {
            received.push(next_text(&mut ws).await);
        }
        // Every depthUpdate of the capture, in order, byte for byte (combined-stream wrapper
        // kept), and nothing else.
        if let Some(i) = (0..expected.len()).find(|&i| received[i] != expected[i]) {
            panic!("frame {} differs:\n got {}\nwant {}", i + 1, received[i], expected[i]);
        }

        // The snapshot bridges the stream: the first frame it does not cover has
        // U <= lastUpdateId + 1 <= u.
        let last = json(&body)["lastUpdateId"].as_i64().unwrap();
        let bridging = received
            .iter()
            .map(|f| json(f)["data"].clone())
            .find(|d| d["u"].as_i64().unwrap() > last);
        if let Some(d) = bridging {
            let (first, u) = (d["U"].as_i64().unwrap(), d["u"].as_i64().unwrap());
            assert!(first <= last + 1 && last < u, "U {first} u {u} lastUpdateId {last}");
        }

        // A client engine fed the same bytes bridges without a gap, stays Live, and ends with
        // the book of a plain replay of the capture.
        let mut client = Engine::new(EngineConfig::new(Venue::BinanceSpot));
        for frame in &received[..before_snapshot] {
            client.ingest(&Frame::stream(frame.as_bytes()), 0);
        }
        client.ingest(&Frame::rest(body.as_bytes(), None), 0);
        for frame in &received[before_snapshot..] {
            client.ingest(&Frame::stream(frame.as_bytes()), 0);
        }
        let id = client.instrument("BTCUSDT").unwrap();
        assert_eq!(client.state(id), Some(BookState::Live));
        assert_eq!(client.counters().gaps, 0);
        let truth = truth_engine();
        assert_eq!(client.last_seq(id), truth.last_seq(truth.instrument("BTCUSDT").unwrap()));
        for side in [Side::Bid, Side::Ask] {
            assert_eq!(top(&client, side, 200), top(&truth, side, 200));
        }

        let stats = server.stats();
        assert_eq!((stats.rest_served, stats.frames_sent), (1, 3_451));
        assert_eq!((stats.connections, stats.subscriptions, stats.faults_applied), (1, 1, 0));
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn drop_duplicate_and_reorder_hit_the_numbered_frames() {
    bounded(async {
        let e = depth_updates();
        let faults =
            Faults { drop: vec![3], duplicate: vec![5], reorder: vec![7], ..Faults::default() };
        let server = start(config(Venue::BinanceSpot, fixture(BINANCE_SPOT), faults));
        // Streams named in the URL are subscribed at once, without an ack.
        let mut ws = connect(server.local_addr(), "/stream?streams=btcusdt@depth@100ms").await;
        let mut received = Vec::new();
        for _ in 0..12 {
            received.push(next_text(&mut ws).await);
        }
        // 1-based: 3 is gone, 5 comes twice, 7 and 8 are swapped.
        let want: Vec<&String> =
            [1, 2, 4, 5, 5, 6, 8, 7, 9, 10, 11, 12].iter().map(|n| &e[n - 1]).collect();
        assert_eq!(received.iter().collect::<Vec<_>>(), want);
        let faults = server.stats().faults;
        assert_eq!((faults.dropped, faults.duplicated, faults.reordered), (1, 1, 1));
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn rest_faults_and_errors() {
    bounded(async {
        let faults =
            Faults { refuse_rest: 2, delay_rest: Duration::from_millis(5), ..Faults::default() };
        let mut config = config(Venue::BinanceSpot, fixture(BINANCE_SPOT), faults);
        config.snapshot_wait = Duration::from_millis(200);
        let server = start(config);
        let addr = server.local_addr();
        let mut ws = connect(addr, "/ws/btcusdt@depth@100ms").await;
        next_text(&mut ws).await;
        let http = http_client();
        let get = |query: &str| http.get(format!("http://{addr}/api/v3/depth?{query}")).send();

        for _ in 0..2 {
            let refused = get("symbol=BTCUSDT").await.unwrap();
            assert_eq!(refused.status(), 429);
            assert_eq!(refused.headers()["retry-after"], "1");
            assert_eq!(json(&refused.text().await.unwrap())["code"], -1003);
        }
        let served = get("symbol=BTCUSDT&limit=5").await.unwrap();
        assert_eq!(served.status(), 200);
        let book = json(&served.text().await.unwrap());
        assert_eq!(book["bids"].as_array().unwrap().len(), 5);
        assert_eq!(book["asks"].as_array().unwrap().len(), 5);
        assert!(book["bids"][0][0].as_str().unwrap().ends_with(char::is_numeric));

        let unknown = get("symbol=NOPEUSDT").await.unwrap();
        assert_eq!(unknown.status(), 400);
        assert_eq!(
            json(&unknown.text().await.unwrap()),
            json(r#"{"code":-1121,"msg":"Invalid symbol."}"#)
        );
        assert_eq!(json(&get("").await.unwrap().text().await.unwrap())["code"], -1102);
        let bad_limit = get("symbol=BTCUSDT&limit=ten").await.unwrap();
        assert_eq!(bad_limit.status(), 400);

        let stats = server.stats();
        assert_eq!((stats.rest_refused, stats.rest_served), (2, 1));
        assert_eq!((stats.faults.rest_refused, stats.faults.rest_delayed), (2, 6));
        server.shutdown();
    })
    .await;
}

/// How a client's read of the stream ended.
#[derive(Debug)]
struct Drained {
    frames: Vec<String>,
    end: Next,
}

/// Reads frames until `last` (then sets `completed`), an end of the connection, or silence once
/// another reader has `completed`.
async fn drain(ws: &mut Ws, last: &str, completed: &AtomicBool) -> Drained {
    let mut frames = Vec::new();
    let mut silent_for = Duration::ZERO;
    let step = Duration::from_millis(200);
    loop {
        match next_within(ws, step).await {
            Next::Text(text) => {
                silent_for = Duration::ZERO;
                let end = text == last;
                frames.push(text);
                if end {
                    completed.store(true, Ordering::SeqCst);
                    return Drained { frames, end: Next::Silent };
                }
            }
            Next::Silent => {
                silent_for += step;
                if completed.load(Ordering::SeqCst) || silent_for >= MESSAGE_LIMIT {
                    return Drained { frames, end: Next::Silent };
                }
            }
            end => return Drained { frames, end },
        }
    }
}

/// Two clients subscribed before the replay starts; returns both once one has all frames.
async fn two_clients(faults: Faults) -> (depthbook_sim::Server, Ws, Ws, Drained, Drained) {
    let e = depth_updates();
    let mut config = config(Venue::BinanceSpot, fixture(BINANCE_SPOT), faults);
    config.start_after = 2;
    let server = start(config);
    let mut a = connect(server.local_addr(), "/ws/btcusdt@depth@100ms").await;
    let mut b = connect(server.local_addr(), "/ws/btcusdt@depth").await;
    let last = e.last().unwrap().clone();
    let completed = AtomicBool::new(false);
    let (da, db) = tokio::join!(drain(&mut a, &last, &completed), drain(&mut b, &last, &completed));
    (server, a, b, da, db)
}

#[tokio::test]
async fn disconnect_after_cuts_one_connection_without_a_close_frame() {
    bounded(async {
        let e = depth_updates();
        let faults = Faults { disconnect_after: Some(10), ..Faults::default() };
        let (server, _a, _b, da, db) = two_clients(faults).await;
        let (cut, kept) = if da.frames.len() == 10 { (da, db) } else { (db, da) };
        assert_eq!(cut.frames, e[..10], "the cut connection got frames 1 to 10");
        assert_eq!(cut.end, Next::Abrupt, "TCP closed without a close frame");
        assert_eq!(kept.frames, e, "the other connection is not cut (once per run)");
        assert_eq!(server.stats().faults.disconnected, 1);
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn stall_after_silences_one_connection_and_its_pongs() {
    bounded(async {
        let e = depth_updates();
        let faults = Faults { stall_after: Some(5), ..Faults::default() };
        let (server, mut a, mut b, da, db) = two_clients(faults).await;
        let a_stalled = da.frames.len() == 5;
        let (stalled, kept) = if a_stalled { (&da, &db) } else { (&db, &da) };
        assert_eq!(stalled.frames, e[..5]);
        assert_eq!(kept.frames, e, "the replay went on for the other connection");
        assert_eq!(server.stats().faults.stalled, 1);
        let (stalled_ws, kept_ws) = if a_stalled { (&mut a, &mut b) } else { (&mut b, &mut a) };

        // The healthy connection answers a ping (the control) ...
        kept_ws.send(Message::Ping(Bytes::from_static(b"hi"))).await.unwrap();
        assert!(wait_for_pong(kept_ws, MESSAGE_LIMIT).await, "a pong from the healthy connection");
        // ... the stalled one does not, and keeps the connection open.
        stalled_ws.send(Message::Ping(Bytes::from_static(b"hi"))).await.unwrap();
        assert!(!wait_for_pong(stalled_ws, Duration::from_secs(1)).await);
        assert_eq!(next_within(stalled_ws, Duration::from_millis(100)).await, Next::Silent);
        server.shutdown();
    })
    .await;
}

/// Whether a Pong arrives within `wait` (anything else read is ignored; an end is `false`).
async fn wait_for_pong(ws: &mut Ws, wait: Duration) -> bool {
    use futures_util::StreamExt;
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Pong(_))) => return true,
                Some(Ok(_)) => {}
                _ => return false,
            }
        }
    };
    tokio::time::timeout(wait, read).await.unwrap_or(false)
}

#[tokio::test]
async fn usdm_serves_its_own_rest_path_with_event_times() {
    bounded(async {
        let file = "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz";
        let server = start(config(Venue::BinanceUsdm, fixture(file), Faults::default()));
        let addr = server.local_addr();
        let mut ws = connect(addr, "/ws").await;
        send(&mut ws, r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@0ms"],"id":"a"}"#).await;
        assert_eq!(json(&next_text(&mut ws).await), json(r#"{"result":null,"id":"a"}"#));
        let first = capture_frames(file, |t| t.contains(r#""e":"depthUpdate""#)).swap_remove(0);
        assert_eq!(next_text(&mut ws).await, first);
        let url = format!("http://{addr}/fapi/v1/depth?symbol=BTCUSDT&limit=5000");
        let body = json(&http_client().get(url).send().await.unwrap().text().await.unwrap());
        assert!(body["lastUpdateId"].as_i64().unwrap() > 0);
        assert!(body["E"].as_i64().unwrap() > 1_700_000_000_000 && body["T"] == body["E"]);
        assert_eq!(body["bids"].as_array().unwrap().len(), 1_000, "USD-M caps the limit at 1000");
        // The spot path is not served on USD-M: it is not a WebSocket upgrade either.
        let spot = format!("http://{addr}/api/v3/depth?symbol=BTCUSDT");
        assert!(!http_client().get(spot).send().await.unwrap().status().is_success());
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn pings_errors_and_the_subscription_cap() {
    use futures_util::StreamExt;
    bounded(async {
        let mut config = config(Venue::BinanceSpot, fixture(BINANCE_SPOT), Faults::default());
        config.ping_interval = Duration::from_millis(50);
        config.max_subscriptions = 2;
        let server = start(config);
        let mut ws = connect(server.local_addr(), "/ws").await;

        // The server pings; the client's WebSocket layer answers by itself.
        let ping = tokio::time::timeout(MESSAGE_LIMIT, async {
            loop {
                if let Some(Ok(Message::Ping(_))) = ws.next().await {
                    return;
                }
            }
        });
        ping.await.expect("a ping from the server");

        send(&mut ws, r#"{"method":"SUBSCRIBE","params":"btcusdt@depth","id":5}"#).await;
        let error = json(&next_text(&mut ws).await);
        assert_eq!((error["error"]["code"].as_i64(), error["id"].as_i64()), (Some(2), Some(5)));
        send(&mut ws, "[1]").await;
        assert_eq!(json(&next_text(&mut ws).await)["error"]["code"], 2);
        ws.send(Message::Binary(Bytes::from_static(b"\x00"))).await.unwrap();
        assert_eq!(json(&next_text(&mut ws).await)["error"]["code"], 2);

        // Two symbols at most on this connection: the third is refused, no ack.
        let three =
            r#"{"method":"SUBSCRIBE","params":["aaa@depth","bbb@depth","ccc@depth"],"id":6}"#;
        send(&mut ws, three).await;
        let refused = json(&next_text(&mut ws).await);
        assert_eq!((refused["error"]["code"].as_i64(), refused["id"].as_i64()), (Some(2), Some(6)));
        // The connection is still served.
        send(&mut ws, r#"{"method":"UNSUBSCRIBE","params":["aaa@depth"],"id":7}"#).await;
        assert_eq!(json(&next_text(&mut ws).await), json(r#"{"result":null,"id":7}"#));
        assert_eq!(server.stats().subscriptions, 2);
        server.shutdown();
    })
    .await;
}
