//! The engine against real captures, judged by the venues' own checksums and BBO streams.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use depthbook_core::{Price, Qty};
use depthbook_engine::{BookState, EngineConfig};
use depthbook_testkit::{Replay, fixture_lines, replay, replay_files};
use depthbook_venues::Venue;

fn replay_fixture(venue: Venue, relative: &str) -> Replay {
    replay(EngineConfig::new(venue), &fixture_lines(relative), 0)
}

#[test]
fn okx_capture_verifies_all_290_checksums() {
    let run = replay_fixture(Venue::Okx, "okx/cryptofeed_OKX.ws.1.0.txt");
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures), (290, 0));
    assert_eq!((c.gaps, c.decode_errors), (0, 0));
    assert_eq!(run.engine.n_instruments(), 3);
    for id in 0..3 {
        assert_eq!(run.engine.state(id), Some(BookState::Live));
    }
}

#[test]
fn okx_extract_verifies_its_41_checksums() {
    let run = replay_fixture(Venue::Okx, "okx/okx_books_BTC-USD-220527_extract.jsonl");
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures), (41, 0));
}

#[test]
fn kraken_v1_capture_verifies_all_4269_checksums() {
    let run = replay_fixture(Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt");
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures), (4269, 0));
    assert_eq!(c.decode_errors, 0);
    assert_eq!(run.engine.n_instruments(), 10);
    for id in 0..10 {
        assert_eq!(run.engine.state(id), Some(BookState::Live), "{}", run.engine.symbol(id));
        let book = run.engine.book(id).unwrap();
        assert!(
            book.side(depthbook_core::Side::Bid).len() <= 1000,
            "truncated to the subscribed depth"
        );
    }
}

/// The same books as Kraken v2 messages (numbers in shortest form, precisions announced by an
/// `instrument` message, depth by the subscribe ack): every checksum verifies only if each
/// number is spelled at its pair's precision, and the books end equal to v1's.
#[test]
fn kraken_v2_reshaped_capture_verifies_all_4269_checksums_at_the_precision() {
    let v2 = replay_fixture(Venue::Kraken, "kraken/kraken_v2_derived_from_v1_20210417.txt.gz");
    let v1 = replay_fixture(Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt");
    let c = v2.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.decode_errors), (4269, 0, 0));
    assert_eq!(v2.engine.n_instruments(), 10);
    for id in 0..10 {
        let symbol = v2.engine.symbol(id);
        assert_eq!(v2.engine.state(id), Some(BookState::Live), "{symbol}");
        let twin = v1.engine.instrument(symbol).unwrap();
        let levels =
            |e: &depthbook_engine::Engine, id| depthbook_testkit::levels(e.book(id).unwrap(), 1000);
        assert_eq!(levels(&v2.engine, id), levels(&v1.engine, twin), "{symbol}");
    }
}

/// Turns `[[p,q],...]` (JSON text) into Kraken v2 levels `[{"price":p,"qty":q},...]`, keeping
/// every number token exactly as written.
fn v2_levels(pairs: &str) -> String {
    let inner = pairs.trim().trim_start_matches('[').trim_end_matches(']');
    let items: Vec<String> = inner
        .split("],[")
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let pair = pair.trim_matches(|c| c == '[' || c == ']');
            let (p, q) = pair.split_once(',').expect("a pair");
            format!("{{\"price\":{},\"qty\":{}}}", p.trim(), q.trim())
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// The text of the JSON array value following `"key":` in `text`.
fn array_after<'a>(text: &'a str, key: &str) -> &'a str {
    let start = text.find(&format!("\"{key}\":")).expect("key") + key.len() + 3;
    let bytes = text.as_bytes();
    let mut depth = 0;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match b {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..=i];
                }
            }
            _ => {}
        }
    }
    panic!("unterminated array")
}

fn kraken_v2_frames() -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(depthbook_testkit::fixture(
        "kraken/kraken_v2_recorded_btcusd_depth10.json",
    ))
    .unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let snapshot_text =
        &text[text.find("\"snapshot\"").unwrap()..text.find("\"updates\"").unwrap()];
    let mut frames = vec![format!(
        "{{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{{\"symbol\":\"BTC/USD\",\"bids\":{},\"asks\":{},\"checksum\":{},\"timestamp\":\"2026-10-06T08:04:56.000569Z\"}}]}}",
        v2_levels(array_after(snapshot_text, "bids")),
        v2_levels(array_after(snapshot_text, "asks")),
        value["snapshot"]["checksum"]
    )];
    let mut rest = &text[text.find("\"updates\"").unwrap()..];
    for update in value["updates"].as_array().unwrap() {
        let bids = array_after(rest, "bids");
        let asks = array_after(rest, "asks");
        frames.push(format!(
            "{{\"channel\":\"book\",\"type\":\"update\",\"data\":[{{\"symbol\":\"BTC/USD\",\"bids\":{},\"asks\":{},\"checksum\":{},\"timestamp\":\"2026-10-06T08:04:56.153890Z\"}}]}}",
            v2_levels(bids),
            v2_levels(asks),
            update["checksum"]
        ));
        rest = &rest[rest.find("checksum").unwrap() + 8..];
    }
    frames.into_iter().map(String::into_bytes).collect()
}

#[test]
fn kraken_v2_recorded_vectors_verify_with_the_instrument_precision() {
    let frames = kraken_v2_frames();
    assert_eq!(frames.len(), 4);
    // Precision from the command line (--precision 1:8).
    let mut config = EngineConfig::new(Venue::Kraken);
    config.default_precision = Some((1, 8));
    let run = replay(config, &frames, 0);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.decode_errors), (4, 0, 0));
    // Real v2 snapshots carry their checksum too: every view was checked by one.
    let views = run.outcomes.iter().flat_map(|o| &o.views);
    assert!(views.clone().count() == 4);
    assert!(views.into_iter().all(|v| v.integrity == depthbook_engine::Integrity::Checksummed));
    // Precision announced by the feed's instrument channel wins over the default.
    let instrument = br#"{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","price_precision":1,"qty_precision":8,"price_increment":0.1}]}}"#;
    let mut with_instrument = vec![instrument.to_vec()];
    with_instrument.extend(frames.iter().cloned());
    let mut config = EngineConfig::new(Venue::Kraken);
    config.default_precision = Some((2, 2));
    let run = replay(config, &with_instrument, 0);
    assert_eq!(run.engine.counters().checksums_verified, 4);
    // Without any precision the recorder's re-serialised numbers (5.1e-05, 85592) cannot be
    // spelled as Kraken did: the checksum fails and the book is not trusted.
    let run = replay(EngineConfig::new(Venue::Kraken), &frames, 0);
    assert_eq!(run.engine.counters().checksum_failures, 1);
    assert_eq!(run.engine.counters().published, 0);
}

#[test]
fn kraken_v2_precisions_wider_than_a_price_are_refused_not_rendered() {
    let frames = kraken_v2_frames();
    // A feed announcing 200 decimals: the instrument frame is a typed decode error and the
    // configured precision still spells the checksums.
    for (price, qty) in [(200, 8), (1, 19), (255, 255)] {
        let instrument = format!(
            r#"{{"channel":"instrument","type":"snapshot","data":{{"assets":[],"pairs":[{{"symbol":"BTC/USD","price_precision":{price},"qty_precision":{qty}}}]}}}}"#
        );
        let mut with_instrument = vec![instrument.into_bytes()];
        with_instrument.extend(frames.iter().cloned());
        let mut config = EngineConfig::new(Venue::Kraken);
        config.default_precision = Some((1, 8));
        let run = replay(config, &with_instrument, 0);
        let c = run.engine.counters();
        assert_eq!((c.decode_errors, c.checksums_verified, c.checksum_failures), (1, 4, 0));
    }
    // A library user configuring such a precision gets checksums that fail, never a panic: the
    // spelling is clamped to what a number's text can hold, and the book is not trusted.
    let mut config = EngineConfig::new(Venue::Kraken);
    config.default_precision = Some((255, 200));
    let run = replay(config, &frames, 0);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.published), (0, 1, 0));
}

#[test]
fn kraken_v2_docs_vector_3310070434() {
    let text = std::fs::read_to_string(depthbook_testkit::fixture(
        "kraken/kraken_v2_docs_book_checksum.json",
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let side = |key: &str| -> String {
        let levels: Vec<String> = doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                format!(
                    "{{\"price\":{},\"qty\":{}}}",
                    l["price"].as_str().unwrap(),
                    l["qty"].as_str().unwrap()
                )
            })
            .collect();
        format!("[{}]", levels.join(","))
    };
    let frame = format!(
        "{{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{{\"symbol\":\"BTC/USD\",\"bids\":{},\"asks\":{},\"checksum\":{}}}]}}",
        side("bids"),
        side("asks"),
        doc["checksum"]
    );
    assert_eq!(doc["checksum"], 3_310_070_434u64);
    for precision in [None, Some((1, 8))] {
        let mut config = EngineConfig::new(Venue::Kraken);
        config.default_precision = precision;
        let run = replay(config, &[frame.clone().into_bytes()], 0);
        let c = run.engine.counters();
        assert_eq!((c.checksums_verified, c.checksum_failures), (1, 0), "precision {precision:?}");
    }
}

/// Every bookTicker whose `u` equals the `u` of an applied depth event must show the rebuilt
/// book's best bid and ask, price and size. Returns (compared, equal).
fn bbo_oracle(venue: Venue, relative: &str) -> (usize, usize, Replay) {
    let lines = fixture_lines(relative);
    let run = replay(EngineConfig::new(venue), &lines, 0);
    // The top of book right after each applied depth event, by its `u`.
    let mut top_by_u = HashMap::new();
    for outcome in &run.outcomes {
        for view in &outcome.views {
            top_by_u.insert(view.seq.unwrap(), (view.bid, view.ask));
        }
    }
    let parse = |p: &serde_json::Value, q: &serde_json::Value| {
        Some((
            Price::parse(p.as_str().unwrap()).unwrap().0,
            Qty::parse(q.as_str().unwrap()).unwrap().0,
        ))
    };
    let (mut compared, mut equal) = (0, 0);
    for line in &lines {
        let text = std::str::from_utf8(line).unwrap();
        let Some((_, json)) = text.split_once(' ') else { continue };
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        if !v["stream"].as_str().is_some_and(|s| s.ends_with("@bookTicker")) {
            continue;
        }
        let d = &v["data"];
        let Some(&(bid, ask)) = top_by_u.get(&d["u"].as_i64().unwrap()) else { continue };
        compared += 1;
        if bid == parse(&d["b"], &d["B"]) && ask == parse(&d["a"], &d["A"]) {
            equal += 1;
        }
    }
    (compared, equal, run)
}

#[test]
fn binance_spot_capture_matches_564_of_564_book_tickers() {
    let (compared, equal, run) =
        bbo_oracle(Venue::BinanceSpot, "binance_spot/hftbacktest_spot_btcusdt_20240808.gz");
    assert_eq!((compared, equal), (564, 564));
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.decode_errors), (0, 0));
}

#[test]
fn binance_usdm_capture_matches_629_of_629_book_tickers() {
    let (compared, equal, run) =
        bbo_oracle(Venue::BinanceUsdm, "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz");
    assert_eq!((compared, equal), (629, 629));
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.decode_errors), (0, 0));
}

#[test]
fn binance_cryptofeed_captures_bridge_rest_snapshots_from_a_second_file() {
    for (venue, ws, http) in [
        (
            Venue::BinanceSpot,
            "binance_spot/cryptofeed_BINANCE.ws.1.0.txt",
            "binance_spot/cryptofeed_BINANCE.http.0.0.txt",
        ),
        (
            Venue::BinanceUsdm,
            "binance_usdm/cryptofeed_BINANCE_FUTURES.ws.1.0.txt",
            "binance_usdm/cryptofeed_BINANCE_FUTURES.http.0.0.txt",
        ),
    ] {
        let (ws, http) = (fixture_lines(ws), fixture_lines(http));
        let run = replay_files(EngineConfig::new(venue), &[&ws, &http], 0);
        let c = run.engine.counters();
        assert_eq!((c.gaps, c.decode_errors), (0, 0), "{venue}");
        assert_eq!(run.engine.n_instruments(), 4, "{venue}");
        for id in 0..4 {
            assert_eq!(
                run.engine.state(id),
                Some(BookState::Live),
                "{venue} {}",
                run.engine.symbol(id)
            );
        }
    }
}
