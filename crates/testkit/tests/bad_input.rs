//! Malformed input: every kind is a typed, counted decode error; nothing panics; an unparseable
//! frame changes no state; a bad book message for a known instrument makes that book Stale.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_engine::{BookState, Engine, EngineConfig, StaleReason};
use depthbook_testkit::{fixture_lines, levels};
use depthbook_venues::{Frame, Venue};

/// A Binance USD-M engine with BTCUSDT Live, from the real sync extract.
fn live_usdm() -> Engine {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceUsdm));
    for line in fixture_lines("binance_usdm/binance_usdm_BTCUSDT_sync_extract.jsonl") {
        engine.ingest(&Frame::stream(&line), 0);
    }
    assert_eq!(engine.state(0), Some(BookState::Live));
    engine
}

fn delta(body: &str) -> String {
    format!(r#"{{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"pu":1,{body}}}"#)
}

#[test]
fn unparseable_frames_are_counted_and_change_nothing() {
    let huge_depth = "[".repeat(100_000);
    let mut invalid_utf8 = delta(r#""b":[],"a":[]"#).into_bytes();
    invalid_utf8[10] = 0xff;
    let cases: Vec<Vec<u8>> = vec![
        b"not json at all".to_vec(),
        br#"{"e":"depthUpdate","s":"BTCUSDT","U":1"#.to_vec(),
        b"".to_vec(),
        huge_depth.into_bytes(),
        invalid_utf8,
        br#"{"x":1}"#.to_vec(),
        b"[1,2,3]".to_vec(),
        // simd-json rejects an integer beyond 64 bits while parsing: the frame is not JSON to us.
        br#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":99999999999999999999999,"pu":1,"b":[],"a":[]}"#.to_vec(),
    ];
    for case in cases {
        let mut engine = live_usdm();
        let before = (*engine.counters(), levels(engine.book(0).unwrap(), usize::MAX));
        engine.ingest(&Frame::stream(&case), 0);
        let c = engine.counters();
        assert_eq!(
            c.decode_errors,
            before.0.decode_errors + 1,
            "{:?}",
            String::from_utf8_lossy(&case[..case.len().min(40)])
        );
        assert_eq!(engine.state(0), Some(BookState::Live));
        assert_eq!(levels(engine.book(0).unwrap(), usize::MAX), before.1);
        assert_eq!(c.published, before.0.published);
    }
}

#[test]
fn bad_book_messages_for_a_known_instrument_make_it_stale() {
    let cases = [
        delta(r#""b":[["61000.1","-1"]],"a":[]"#),
        delta(r#""b":[["61000.1","NaN"]],"a":[]"#),
        delta(r#""b":[["1e400","1"]],"a":[]"#),
        delta(r#""b":[["0","1"]],"a":[]"#),
        delta(r#""b":[["-5","1"]],"a":[]"#),
        delta(r#""b":[["61000.1","0.0000000000000000001"]],"a":[]"#),
        delta(r#""b":[["61000.1"]],"a":[]"#),
        delta(r#""b":[[61000.1,"1"]],"a":[]"#),
        delta(r#""b":{},"a":[]"#),
        delta(r#""a":[]"#),
        r#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":"x","u":2,"pu":1,"b":[],"a":[]}"#
            .to_string(),
        r#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#.to_string(),
    ];
    for case in cases {
        let mut engine = live_usdm();
        let before = *engine.counters();
        engine.ingest(&Frame::stream(case.as_bytes()), 0);
        let c = engine.counters();
        assert_eq!(c.decode_errors, before.decode_errors + 1, "{case}");
        assert_eq!(engine.state(0), Some(BookState::Stale(StaleReason::BadMessage)), "{case}");
        assert_eq!(c.published, before.published, "{case}");
    }
}

#[test]
fn a_bad_message_for_one_instrument_leaves_the_others_alone() {
    let mut engine = live_usdm();
    let bad = r#"{"e":"depthUpdate","E":1,"T":1,"s":"ETHUSDT","U":1,"u":2,"pu":1,"b":[["x","1"]],"a":[]}"#;
    engine.ingest(&Frame::stream(bad.as_bytes()), 0);
    assert_eq!(engine.counters().decode_errors, 1);
    assert_eq!(engine.state(0), Some(BookState::Live));
    let eth = engine.instrument("ETHUSDT").unwrap();
    assert_eq!(engine.state(eth), Some(BookState::AwaitingSnapshot));
}

#[test]
fn a_50_mb_line_is_cut_while_reading_and_rejected() {
    let mut lines = fixture_lines("binance_usdm/binance_usdm_BTCUSDT_sync_extract.jsonl");
    let mut huge = b"1723161255330000000 {\"e\":\"depthUpdate\",\"s\":\"BTCUSDT\",\"b\":[".to_vec();
    while huge.len() < 50 << 20 {
        huge.extend_from_slice(b"[\"1.0\",\"1.0\"],");
    }
    huge.extend_from_slice(b"[\"1.0\",\"1.0\"]],\"a\":[]}");
    lines.push(huge);
    let run = depthbook_testkit::replay(EngineConfig::new(Venue::BinanceUsdm), &lines, 0);
    let c = run.engine.counters();
    assert_eq!(c.decode_errors, 1);
    assert_eq!(run.engine.state(0), Some(BookState::Live), "an unparseable frame changes no state");
}

#[test]
fn levels_beyond_the_cap_are_evicted_farthest_first_and_counted() {
    let mut config = EngineConfig::new(Venue::BinanceUsdm);
    config.max_levels_per_side = 100;
    let mut engine = Engine::new(config);
    let bids: Vec<String> = (1..=500).map(|i| format!("[\"{i}.5\",\"1\"]")).collect();
    let asks: Vec<String> = (501..=1000).map(|i| format!("[\"{i}.5\",\"1\"]")).collect();
    let snapshot =
        format!(r#"{{"lastUpdateId":10,"bids":[{}],"asks":[{}]}}"#, bids.join(","), asks.join(","));
    engine.ingest(
        &Frame::stream(
            br#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":5,"u":10,"pu":4,"b":[],"a":[]}"#,
        ),
        0,
    );
    engine.ingest(&Frame::rest(snapshot.as_bytes(), None), 0);
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(engine.counters().evicted, 800);
    let book = engine.book(0).unwrap();
    let (bids, asks) = levels(book, usize::MAX);
    assert_eq!(bids.len(), 100);
    assert_eq!(asks.len(), 100);
    assert_eq!(bids[0].0, "500.5", "the touch is kept");
    assert_eq!(bids[99].0, "401.5");
    assert_eq!(asks[0].0, "501.5");
    assert_eq!(asks[99].0, "600.5");
}

#[test]
fn the_instrument_cap_is_a_decode_error_not_growth() {
    let mut config = EngineConfig::new(Venue::Okx);
    config.max_instruments = 2;
    let mut engine = Engine::new(config);
    for inst in ["A-USDT", "B-USDT", "C-USDT"] {
        let frame = format!(
            r#"{{"arg":{{"channel":"books","instId":"{inst}"}},"action":"snapshot","data":[{{"asks":[["2","1","0","1"]],"bids":[["1","1","0","1"]],"ts":"1","checksum":0}}]}}"#
        );
        engine.ingest(&Frame::stream(frame.as_bytes()), 0);
    }
    assert_eq!(engine.n_instruments(), 2);
    assert_eq!(engine.counters().decode_errors, 1);
    assert_eq!(engine.counters().published, 2);
}

/// A Coinbase Advanced Trade message of `events` (each `(type, product, updates)`), numbered
/// `sequence` on its connection.
fn coinbase(sequence: i64, events: &[(&str, &str, &str)]) -> String {
    let events: Vec<String> = events
        .iter()
        .map(|(kind, product, updates)| {
            format!(r#"{{"type":"{kind}","product_id":"{product}","updates":[{updates}]}}"#)
        })
        .collect();
    format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T20:32:50.714964855Z","sequence_num":{sequence},"events":[{}]}}"#,
        events.join(",")
    )
}

fn update(side: &str, price: &str, qty: &str) -> String {
    format!(
        r#"{{"side":"{side}","event_time":"2026-08-09T20:32:50Z","price_level":"{price}","new_quantity":"{qty}"}}"#
    )
}

/// A Coinbase Advanced Trade engine with BTC-USD and ETH-USD Live.
fn live_coinbase() -> Engine {
    let mut engine = Engine::new(EngineConfig::new(Venue::Coinbase));
    let book = [update("bid", "100.00", "1.5"), update("offer", "100.01", "2")].join(",");
    for (sequence, product) in [(0, "BTC-USD"), (1, "ETH-USD")] {
        let frame = coinbase(sequence, &[("snapshot", product, &book)]);
        engine.ingest(&Frame::stream(frame.as_bytes()), 0);
    }
    for product in ["BTC-USD", "ETH-USD"] {
        let id = engine.instrument(product).unwrap();
        assert_eq!(engine.state(id), Some(BookState::Live), "{product}");
    }
    engine
}

#[test]
fn a_frame_rejected_for_one_event_makes_every_book_it_named_stale() {
    // BTC-USD's update decodes, ETH-USD's does not: the frame goes whole, BTC-USD's update
    // with it, so BTC-USD is not Live either (the connection's numbering is unbroken and
    // would not tell).
    let mut engine = live_coinbase();
    let good = update("bid", "99.99", "3");
    let bad = update("bid", "x", "1");
    let frame = coinbase(2, &[("update", "BTC-USD", &good), ("update", "ETH-USD", &bad)]);
    engine.ingest(&Frame::stream(frame.as_bytes()), 0);
    assert_eq!(engine.counters().decode_errors, 1);
    for product in ["BTC-USD", "ETH-USD"] {
        let id = engine.instrument(product).unwrap();
        assert_eq!(
            engine.state(id),
            Some(BookState::Stale(StaleReason::BadMessage)),
            "{product} lost a message with the frame"
        );
    }
}

#[test]
fn an_event_of_a_type_coinbase_has_not_documented_is_skipped() {
    let mut engine = live_coinbase();
    let good = update("bid", "99.99", "3");
    let frame = coinbase(2, &[("novelty", "BTC-USD", &good), ("update", "ETH-USD", &good)]);
    engine.ingest(&Frame::stream(frame.as_bytes()), 0);
    let c = engine.counters();
    assert_eq!(c.decode_errors, 0);
    assert_eq!(c.applied, 3, "two snapshots and ETH-USD's update");
    let (btc, eth) = (engine.instrument("BTC-USD").unwrap(), engine.instrument("ETH-USD").unwrap());
    assert_eq!(engine.state(btc), Some(BookState::Live));
    assert_eq!(engine.state(eth), Some(BookState::Live));
    let bids = |id| levels(engine.book(id).unwrap(), usize::MAX).0.len();
    assert_eq!((bids(btc), bids(eth)), (1, 2), "only ETH-USD's book changed");
}
