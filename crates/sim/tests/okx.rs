//! OKX through the loopback server: ack, a snapshot whose checksum depthbook's engine verifies,
//! deltas that keep verifying, late joiners, and a corrupted frame the client detects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use depthbook_core::checksum::{FragmentCache, interleaved_crc32};
use depthbook_engine::{Engine, EngineConfig};
use depthbook_sim::{Faults, Pace};
use depthbook_venues::{Frame, Venue};

const SUBSCRIBE: &str =
    r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#;

/// The capture's update frames, all instruments, in replay order.
fn updates() -> Vec<String> {
    capture_frames(OKX, |t| t.contains(r#""action":"update""#))
}

fn is_btc_usdt(frame: &str) -> bool {
    frame.contains(r#""instId":"BTC-USDT"}"#)
}

/// Reads the ack and the snapshot; returns a client engine fed the snapshot.
async fn subscribe(ws: &mut Ws) -> Engine {
    send(ws, SUBSCRIBE).await;
    let ack = json(&next_text(ws).await);
    assert_eq!(ack["id"], "1");
    assert_eq!(ack["event"], "subscribe");
    assert_eq!(ack["arg"], json(r#"{"channel":"books","instId":"BTC-USDT"}"#));
    assert!(ack["connId"].is_string());

    let snapshot = next_text(ws).await;
    let parsed = json(&snapshot);
    assert_eq!(parsed["action"], "snapshot");
    assert_eq!(parsed["arg"]["instId"], "BTC-USDT");
    assert!(parsed["data"][0].get("seqId").is_none(), "the 2022 capture has no seqId");
    let mut client = Engine::new(EngineConfig::new(Venue::Okx));
    client.ingest(&Frame::stream(snapshot.as_bytes()), 0);
    let id = client.instrument("BTC-USDT").unwrap();
    // The checksum field is the one depthbook computes on the book the snapshot builds, and
    // the engine verified it on ingest.
    let field = parsed["data"][0]["checksum"].as_i64().unwrap();
    assert_eq!(
        field,
        i64::from(interleaved_crc32(client.book(id).unwrap(), 25, &mut FragmentCache::new()))
    );
    assert_eq!(client.counters().checksums_verified, 1);
    assert!(client.state(id).unwrap().is_live());
    client
}

#[tokio::test]
async fn snapshot_then_deltas_verify_every_checksum() {
    bounded(async {
        let want: Vec<String> = updates().into_iter().filter(|f| is_btc_usdt(f)).collect();
        assert_eq!(want.len(), 97);
        let server = start(config(Venue::Okx, fixture(OKX), Faults::default()));
        let mut ws = connect(server.local_addr(), "/ws/v5/public").await;
        let mut client = subscribe(&mut ws).await;
        let mut got = Vec::new();
        for _ in 0..want.len() {
            let frame = next_text(&mut ws).await;
            client.ingest(&Frame::stream(frame.as_bytes()), 0);
            got.push(frame);
        }
        assert_eq!(got, want, "BTC-USDT's updates as recorded, nothing else");
        let counters = client.counters();
        assert_eq!((counters.checksums_verified, counters.checksum_failures), (98, 0));

        // Text ping, text pong; malformed requests get OKX's error.
        send(&mut ws, "ping").await;
        assert_eq!(next_text(&mut ws).await, "pong");
        send(&mut ws, r#"{"op":"subscribe","args":"books"}"#).await;
        let error = json(&next_text(&mut ws).await);
        assert_eq!(
            (error["event"].as_str(), error["code"].as_str()),
            (Some("error"), Some("60012"))
        );
        send(&mut ws, "{not json").await;
        assert_eq!(json(&next_text(&mut ws).await)["event"], "error");
        // A message over the size cap (64 KiB) is a protocol violation: a close frame says so.
        send(&mut ws, &format!(r#"{{"op":"subscribe","args":["{}"]}}"#, "x".repeat(100_000))).await;
        assert_eq!(next_within(&mut ws, MESSAGE_LIMIT).await, Next::Closed);

        // Unsubscribe is acked the same way.
        let mut ws = connect(server.local_addr(), "/ws/v5/public").await;
        send(&mut ws, &SUBSCRIBE.replace("\"subscribe\"", "\"unsubscribe\"")).await;
        let ack = json(&next_text(&mut ws).await);
        assert_eq!(
            (ack["event"].as_str(), ack["arg"]["instId"].as_str()),
            (Some("unsubscribe"), Some("BTC-USDT"))
        );
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn a_late_joiner_gets_a_snapshot_at_the_current_position() {
    bounded(async {
        let want: Vec<String> = updates().into_iter().filter(|f| is_btc_usdt(f)).collect();
        let mut config = config(Venue::Okx, fixture(OKX), Faults::default());
        config.pace = Pace::Recorded { speedup: 4 };
        let server = start(config);
        let mut first = connect(server.local_addr(), "/ws/v5/public").await;
        subscribe(&mut first).await;
        for _ in 0..20 {
            next_text(&mut first).await;
        }
        // Wherever the replay is now, a snapshot plus the deltas after it verify every checksum
        // and continue exactly where the snapshot stands.
        let mut late = connect(server.local_addr(), "/ws/v5/public").await;
        let mut client = subscribe(&mut late).await;
        let mut got = Vec::new();
        while got.last() != want.last() {
            match next_within(&mut late, Duration::from_secs(3)).await {
                Next::Text(frame) => {
                    client.ingest(&Frame::stream(frame.as_bytes()), 0);
                    got.push(frame);
                }
                Next::Silent if server.stats().replay_done => break,
                Next::Silent => {}
                other => panic!("the late joiner's stream ended: {other:?}"),
            }
        }
        assert!(want.ends_with(&got), "the late joiner gets a suffix of the updates");
        let counters = client.counters();
        assert_eq!(counters.checksum_failures, 0);
        assert_eq!(counters.checksums_verified, 1 + got.len() as u64);
        server.shutdown();
    })
    .await;
}

#[tokio::test]
async fn a_corrupted_frame_fails_the_clients_checksum_there() {
    bounded(async {
        // The 10th BTC-USDT update, numbered in the global stream of updates.
        let all = updates();
        let n = all.iter().enumerate().filter(|(_, f)| is_btc_usdt(f)).nth(9).unwrap().0 + 1;
        let faults = Faults { corrupt: vec![n as u64], ..Faults::default() };
        let server = start(config(Venue::Okx, fixture(OKX), faults));
        let mut ws = connect(server.local_addr(), "/ws/v5/public").await;
        let mut client = subscribe(&mut ws).await;
        let mut failed_at = None;
        for i in 1..=20 {
            let frame = next_text(&mut ws).await;
            assert_eq!(
                frame.len(),
                all.iter().filter(|f| is_btc_usdt(f)).nth(i - 1).unwrap().len()
            );
            client.ingest(&Frame::stream(frame.as_bytes()), 0);
            if failed_at.is_none() && client.counters().checksum_failures > 0 {
                failed_at = Some(i);
            }
        }
        assert_eq!(failed_at, Some(10), "the client detects the corrupted frame itself");
        assert_eq!(server.stats().faults.corrupted, 1);
        server.shutdown();
    })
    .await;
}
