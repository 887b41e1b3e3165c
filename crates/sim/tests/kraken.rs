//! Kraken v1 (real capture) and v2 (the recorded BTC/USD messages) through the loopback server:
//! acks, snapshots in the venue's format, checksums verified by depthbook's engine, pings and
//! heartbeats.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use depthbook_engine::{Engine, EngineConfig};
use depthbook_sim::Faults;
use depthbook_venues::{Frame, Venue};

#[tokio::test]
async fn kraken_v1_snapshot_and_updates_verify_every_checksum() {
    bounded(async {
        let updates = capture_frames(KRAKEN_V1, |t| t.ends_with(r#""book-1000","XMR/USD"]"#))
            .into_iter()
            .filter(|t| !t.contains(r#""as":"#))
            .collect::<Vec<_>>();
        assert_eq!(updates.len(), 846);
        let mut config = config(Venue::KrakenV1, fixture(KRAKEN_V1), Faults::default());
        config.heartbeat_interval = Duration::from_millis(200);
        let server = start(config);
        let mut ws = connect(server.local_addr(), "/").await;
        assert_eq!(json(&next_text(&mut ws).await)["event"], "systemStatus");
        send(
            &mut ws,
            r#"{"event":"subscribe","pair":["XMR/USD"],"subscription":{"name":"book","depth":1000}}"#,
        )
        .await;
        // The channel id is the capture's (its subscription status precedes the first delta).
        assert_eq!(
            json(&next_text(&mut ws).await),
            json(
                r#"{"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD","status":"subscribed","subscription":{"depth":1000,"name":"book"}}"#
            )
        );
        let snapshot = next_text(&mut ws).await;
        assert!(snapshot.starts_with(r#"[992,{"as":[["354.80000000","1.40000000","#), "{snapshot:.80}");
        assert!(snapshot.ends_with(r#""book-1000","XMR/USD"]"#));
        let mut client = Engine::new(EngineConfig::new(Venue::KrakenV1));
        client.ingest(&Frame::stream(snapshot.as_bytes()), 0);
        let mut got = Vec::new();
        while got.len() < updates.len() {
            let frame = next_text(&mut ws).await;
            if frame.contains("heartbeat") {
                continue;
            }
            client.ingest(&Frame::stream(frame.as_bytes()), 0);
            got.push(frame);
        }
        assert_eq!(got, updates);
        let counters = client.counters();
        assert_eq!((counters.checksums_verified, counters.checksum_failures), (846, 0));

        send(&mut ws, r#"{"event":"ping","reqid":42}"#).await;
        let mut pong = next_text(&mut ws).await;
        while pong.contains("heartbeat") {
            pong = next_text(&mut ws).await;
        }
        assert_eq!(json(&pong), json(r#"{"event":"pong","reqid":42}"#));
        // The replay is over; the connection stays up and gets heartbeats.
        assert_eq!(next_text(&mut ws).await, r#"{"event":"heartbeat"}"#);
        send(&mut ws, r#"{"event":"subscribe","pair":"XMR/USD"}"#).await;
        assert_eq!(json(&next_text(&mut ws).await)["status"], "error");
        server.shutdown();
    })
    .await;
}

/// The recorded Kraken v2 BTC/USD snapshot and updates, one wire message a line.
fn kraken_v2_capture() -> std::path::PathBuf {
    fixture("kraken/kraken_v2_btcusd_depth10.ndjson")
}

#[tokio::test]
async fn kraken_v2_snapshot_carries_the_recorded_checksum() {
    bounded(async {
        let capture = kraken_v2_capture();
        let mut config = config(Venue::Kraken, capture.clone(), Faults::default());
        config.default_precision = Some((1, 8));
        let server = start(config);
        let mut ws = connect(server.local_addr(), "/v2").await;
        assert_eq!(json(&next_text(&mut ws).await)["channel"], "status");
        send(
            &mut ws,
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":7}"#,
        )
        .await;
        let ack = json(&next_text(&mut ws).await);
        assert_eq!(
            ack["result"],
            json(r#"{"channel":"book","symbol":"BTC/USD","depth":10,"snapshot":true}"#)
        );
        assert_eq!((ack["success"].as_bool(), ack["req_id"].as_i64()), (Some(true), Some(7)));
        assert!(ack["time_in"].as_str().unwrap().ends_with('Z'));

        let snapshot = next_text(&mut ws).await;
        let parsed = json(&snapshot);
        assert_eq!(parsed["type"], "snapshot");
        assert_eq!(parsed["data"][0]["checksum"], 817_831_036, "the recorded snapshot's checksum");
        assert_eq!(parsed["data"][0]["bids"].as_array().unwrap().len(), 10);
        // Numbers spelled with the instrument's precision, as Kraken does.
        assert!(snapshot.contains(r#"{"price":85597.8,"qty":0.00005000}"#), "{snapshot}");
        let mut client_config = EngineConfig::new(Venue::Kraken);
        client_config.default_precision = Some((1, 8));
        let mut client = Engine::new(client_config);
        client.ingest(&Frame::stream(snapshot.as_bytes()), 0);
        for _ in 0..3 {
            let update = next_text(&mut ws).await;
            assert!(update.contains(r#""type":"update""#), "{update}");
            client.ingest(&Frame::stream(update.as_bytes()), 0);
        }
        let counters = client.counters();
        assert_eq!((counters.checksums_verified, counters.checksum_failures), (4, 0));

        send(&mut ws, r#"{"method":"ping","req_id":3}"#).await;
        let mut pong = json(&next_text(&mut ws).await);
        while pong["channel"] == "heartbeat" {
            pong = json(&next_text(&mut ws).await);
        }
        assert_eq!((pong["method"].as_str(), pong["req_id"].as_i64()), (Some("pong"), Some(3)));
        send(&mut ws, r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":5000}}"#).await;
        let mut error = json(&next_text(&mut ws).await);
        while error["channel"] == "heartbeat" {
            error = json(&next_text(&mut ws).await);
        }
        assert_eq!(error["success"], false);
        server.shutdown();
    })
    .await;
}
