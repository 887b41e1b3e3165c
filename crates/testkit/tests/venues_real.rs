//! The venues added after the spine, against their real captures and published vectors: each
//! figure is the one protocols.md records from an independent replay.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_core::checksum::{FragmentCache, bitfinex_crc32, bitfinex_string};
use depthbook_core::{Book, LevelText, Price, Qty, Side};
use depthbook_engine::{BookState, EngineConfig};
use depthbook_testkit::{Replay, fixture, fixture_frames, fixture_lines, replay, replay_files};
use depthbook_venues::{Decoded, Frame, SymbolTable, Venue, VenueDecoder};

fn replay_fixture(venue: Venue, relative: &str) -> Replay {
    replay(EngineConfig::new(venue), &fixture_lines(relative), 0)
}

/// Every instrument the replay saw is Live at the end.
fn assert_all_live(run: &Replay) {
    assert!(run.engine.n_instruments() > 0);
    for id in 0..run.engine.n_instruments() as u32 {
        assert_eq!(run.engine.state(id), Some(BookState::Live), "{}", run.engine.symbol(id));
    }
}

/// The connection sequence numbers a venue's frames carry, in order.
fn connection_numbers(venue: Venue, relative: &str) -> Vec<i64> {
    let mut decoder = VenueDecoder::new(venue);
    let mut symbols = SymbolTable::new(64);
    let mut out = Decoded::default();
    let mut numbers = Vec::new();
    for (bytes, _) in fixture_frames(relative) {
        let _ = decoder.decode(&Frame::stream(&bytes), &mut symbols, &mut out);
        numbers.extend(out.conn_seq);
    }
    numbers
}

#[test]
fn bitfinex_seq_all_numbers_are_1669_of_1669_contiguous_and_every_book_stays_live() {
    let relative = "bitfinex/cryptofeed_BITFINEX.ws.11.0.txt";
    let numbers = connection_numbers(Venue::Bitfinex, relative);
    assert_eq!(numbers.len(), 1670, "every array frame is numbered");
    let links = numbers.windows(2).filter(|w| w[1] == w[0] + 1).count();
    assert_eq!(links, 1669);
    let run = replay_fixture(Venue::Bitfinex, relative);
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.decode_errors, c.checksum_failures), (0, 0, 0));
    // Seven books subscribed (P0, len 100); views carry the SEQ_ALL number as their `seq`.
    assert_eq!(run.engine.n_instruments(), 7);
    assert_all_live(&run);
    let last_view = run.outcomes.iter().rev().find_map(|o| o.views.last()).unwrap();
    assert!(last_view.seq.is_some_and(|s| (1..=1670).contains(&s)));
}

#[test]
fn bitfinex_a_lost_frame_on_the_connection_makes_every_book_stale_as_one_gap() {
    let mut lines = fixture_lines("bitfinex/cryptofeed_BITFINEX.ws.11.0.txt");
    // Drop one numbered frame in the middle: whatever channel it was on, every book goes Stale.
    let middle = lines.len() / 2;
    let at = (middle..lines.len()).find(|&i| lines[i].contains(&b'[')).unwrap();
    lines.remove(at);
    let run = replay(EngineConfig::new(Venue::Bitfinex), &lines, 0);
    let c = run.engine.counters();
    assert_eq!(c.gaps, 1, "one break, counted once");
    let stale = run.outcomes.iter().flat_map(|o| &o.statuses).filter(|s| {
        matches!(
            s.status,
            depthbook_engine::Status::Stale(depthbook_engine::StaleReason::Gap { .. })
        )
    });
    assert_eq!(stale.count(), 7, "every Live book of the connection");
}

/// A Bitfinex P-book from `[price, count, amount]` rows spelled as the vectors spell them.
fn bitfinex_book(rows: &[(&str, &str)]) -> Book {
    let mut book = Book::new(100);
    for (price, amount) in rows {
        let (p, pt) = Price::parse(price).unwrap();
        let (q, negative, qt) = Qty::parse_signed(amount).unwrap();
        let side = if negative { Side::Ask } else { Side::Bid };
        book.set(side, p, q, LevelText::new(pt, qt)).unwrap();
    }
    book
}

/// A Bitfinex raw (R0) book from `[order_id, price, amount]` rows spelled as the vectors
/// spell them.
fn bitfinex_raw_book(rows: &[(String, String, String)]) -> Book {
    let mut book = Book::new(100);
    for (id, price, amount) in rows {
        let (p, _) = Price::parse(price).unwrap();
        let (q, negative, qt) = Qty::parse_signed(amount).unwrap();
        let side = if negative { Side::Ask } else { Side::Bid };
        book.set_order(side, id.parse().unwrap(), p, q, qt).unwrap();
    }
    book
}

#[test]
fn bitfinex_checksum_vectors_of_aggregated_and_raw_books() {
    let vectors: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("bitfinex/bitfinex_checksum_vectors.json")).unwrap(),
    )
    .unwrap();
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (mut aggregated, mut raw) = (0, 0);
    for case in vectors["cases"].as_array().unwrap() {
        let rows: Vec<&serde_json::Value> =
            ["bids", "asks"].iter().flat_map(|side| case[*side].as_array().unwrap()).collect();
        let book = if case.get("raw").is_some() {
            raw += 1;
            let rows: Vec<_> =
                rows.iter().map(|l| (text(&l[0]), text(&l[1]), text(&l[2]))).collect();
            bitfinex_raw_book(&rows)
        } else {
            aggregated += 1;
            // serde_json prints 1.7e-08 for the exponent case, as the server's JSON would.
            let rows: Vec<_> = rows.iter().map(|l| (text(&l[0]), text(&l[2]))).collect();
            let rows: Vec<(&str, &str)> =
                rows.iter().map(|(p, a)| (p.as_str(), a.as_str())).collect();
            bitfinex_book(&rows)
        };
        assert_eq!(bitfinex_string(&book), case["string"].as_str().unwrap(), "{}", case["desc"]);
        assert_eq!(
            i64::from(bitfinex_crc32(&book, &mut FragmentCache::new())),
            case["checksum_signed"].as_i64().unwrap(),
            "{}",
            case["desc"]
        );
    }
    assert_eq!((aggregated, raw), (4, 1), "the five vectors: four aggregated books, one raw");
}

#[test]
fn bitfinex_raw_books_aggregate_orders_into_levels_and_verify_their_checksum() {
    // The raw vector's book on an R0 channel, then an order moved and one deleted: the
    // levels are the orders' sums, the checksums are the server's (computed over the orders
    // as the vector's rule spells them), and the raw book is its own instrument beside the
    // aggregated one.
    let frames = [
        r#"{"event":"conf","status":"OK","flags":196608}"#,
        r#"{"event":"subscribed","channel":"book","chanId":5,"symbol":"tBTCUSD","prec":"R0","freq":"F0","len":"25"}"#,
        r#"{"event":"subscribed","channel":"book","chanId":6,"symbol":"tBTCUSD","prec":"P0","freq":"F0","len":"25"}"#,
        r#"[5,[[100,6000,1],[101,6000,2],[102,6100,-3],[103,6100,-4]],1]"#,
        r#"[5,"cs",1841538801,2]"#,
        r#"[5,[101,6050,2],3]"#,
        r#"[5,[103,0,-1],4]"#,
    ];
    let mut lines: Vec<Vec<u8>> = frames.iter().map(|f| f.as_bytes().to_vec()).collect();
    // The server's checksums of the two later books, from the orders' rule.
    let moved = bitfinex_raw_book(&[
        ("100".into(), "6000".into(), "1".into()),
        ("101".into(), "6050".into(), "2".into()),
        ("102".into(), "6100".into(), "-3".into()),
    ]);
    assert_eq!(bitfinex_string(&moved), "101:2:102:-3:100:1");
    lines.push(
        format!(r#"[5,"cs",{},5]"#, bitfinex_crc32(&moved, &mut FragmentCache::new())).into_bytes(),
    );
    let run = replay(EngineConfig::new(Venue::Bitfinex), &lines, 0);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.decode_errors), (2, 0, 0));
    let id = run.engine.instrument("tBTCUSD@R0").unwrap();
    assert_ne!(run.engine.instrument("tBTCUSD"), Some(id), "P0 and R0 books are apart");
    assert_eq!(run.engine.state(id), Some(BookState::Live));
    let book = run.engine.book(id).unwrap();
    let level = |side| book.best(side).map(|l| (l.price.to_string(), l.qty.to_string()));
    assert_eq!(level(Side::Bid), Some(("6050".into(), "2".into())));
    assert_eq!(level(Side::Ask), Some(("6100".into(), "3".into())));
    assert_eq!(
        book.side(Side::Bid).qty_at(Price::parse("6000").unwrap().0).map(|q| q.to_string()),
        Some("1".into())
    );
    // A wrong checksum on the raw book makes it Stale.
    lines.push(br#"[5,"cs",1841538801,6]"#.to_vec());
    let run = replay(EngineConfig::new(Venue::Bitfinex), &lines, 0);
    assert_eq!(run.engine.counters().checksum_failures, 1);
    assert!(matches!(run.engine.state(id), Some(BookState::Stale(_))));
}

#[test]
fn bitfinex_checksum_frames_are_verified_against_the_book() {
    // A book, then the checksum of the levels the server printed: it must match; a wrong one
    // makes the book Stale.
    let frames = [
        r#"{"event":"conf","status":"OK","flags":196608}"#,
        r#"{"event":"subscribed","channel":"book","chanId":17,"symbol":"tBTCUSD","prec":"P0","freq":"F0","len":"25"}"#,
        r#"[17,[[6000,1,1],[5900,1,2],[6100,1,-3],[6200,1,-4]],1]"#,
        r#"[17,"cs",1756193398,2]"#,
        r#"[17,[5900,0,1],3]"#,
        r#"[17,"cs",1756193398,4]"#,
    ];
    let lines: Vec<Vec<u8>> = frames.iter().map(|f| f.as_bytes().to_vec()).collect();
    let run = replay(EngineConfig::new(Venue::Bitfinex), &lines, 0);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures), (1, 1));
    assert_eq!(
        run.engine.state(0),
        Some(BookState::Stale(depthbook_engine::StaleReason::ChecksumMismatch))
    );
}

#[test]
fn deribit_chains_36_of_36_prev_change_ids() {
    let run = replay_fixture(Venue::Deribit, "deribit/cryptofeed_DERIBIT.ws.1.0.txt");
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.decode_errors), (0, 0));
    // Ten instruments: ten snapshots and 36 changes, every change applied on its chain.
    assert_eq!(run.engine.n_instruments(), 10);
    assert_eq!(c.applied, 10 + 36);
    assert_all_live(&run);
}

#[test]
fn gateio_spot_and_futures_bridge_rest_snapshots_with_0_gaps() {
    for (ws, http, bridged_and_contiguous) in [
        ("gateio/cryptofeed_GATEIO.ws.1.0.txt", "gateio/cryptofeed_GATEIO.http.0.0.txt", 8 + 151),
        (
            "gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt",
            "gateio/cryptofeed_GATEIO_FUTURES.http.0.0.txt",
            9 + 307,
        ),
    ] {
        let (ws_lines, http_lines) = (fixture_lines(ws), fixture_lines(http));
        let run = replay_files(EngineConfig::new(Venue::GateIo), &[&ws_lines, &http_lines], 0);
        let c = run.engine.counters();
        assert_eq!((c.gaps, c.decode_errors), (0, 0), "{ws}");
        assert_eq!(run.engine.n_instruments(), 10, "{ws}");
        assert_eq!(c.applied, 10 + bridged_and_contiguous, "{ws}: snapshots + deltas");
        assert_all_live(&run);
    }
}

#[test]
fn bitget_legacy_captures_verify_443_of_443_and_194_of_194_checksums() {
    for (relative, checksums) in [
        ("bitget/cryptofeed_BITGET.ws.1.0.txt.gz", 443),
        ("bitget/cryptofeed_BITGET.ws.2.0.txt.gz", 194),
    ] {
        let run = replay_fixture(Venue::Bitget, relative);
        let c = run.engine.counters();
        assert_eq!((c.checksums_verified, c.checksum_failures), (checksums, 0), "{relative}");
        assert_eq!((c.gaps, c.decode_errors), (0, 0), "{relative}");
        assert_all_live(&run);
    }
}

#[test]
fn coinbase_exchange_capture_replays_with_0_decode_errors() {
    let run =
        replay_fixture(Venue::CoinbaseExchange, "coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz");
    let c = run.engine.counters();
    assert_eq!(c.decode_errors, 0);
    // 10 snapshots and 9719 l2updates, every one applied (the feed has no sequence to check).
    assert_eq!((c.events, c.applied), (9729, 9729));
    assert_eq!(run.engine.n_instruments(), 10);
    assert_all_live(&run);
    // Views carry the venue's time, parsed from `time` ("2021-04-17T16:43:37.075687Z").
    let update = run.outcomes.iter().flat_map(|o| &o.views).find(|v| v.exchange_ms.is_some());
    assert_eq!(update.and_then(|v| v.exchange_ms).map(|ms| ms / 1_000), Some(1_618_677_817));
}

#[test]
fn htx_gzip_frames_inflate_and_every_depth_push_replaces_the_book() {
    let run = replay_fixture(Venue::Htx, "htx/cryptofeed_HUOBI.ws.44.0.txt.gz");
    let c = run.engine.counters();
    assert_eq!(c.decode_errors, 0, "every gzip frame inflates and decodes");
    assert!(c.events > 250, "{c:?}");
    assert_eq!(c.applied, c.events, "each push is a whole book");
    assert_all_live(&run);
}

/// The real 2026 Bybit spot `orderbook.200` recording: BTCUSDT and ETHUSDT, one snapshot each,
/// 548 deltas each one `u` past the last (judged by the reference reconstructor line by line).
#[test]
fn bybit_2026_spot_capture_applies_548_of_548_deltas_in_u_order() {
    let relative = "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt";
    let run = replay_fixture(Venue::Bybit, relative);
    let c = run.engine.counters();
    assert_eq!((c.events, c.applied), (550, 550), "2 snapshots + 548 deltas");
    assert_eq!((c.gaps, c.repeats, c.unconfirmed_breaks, c.decode_errors), (0, 0, 0, 0));
    assert_eq!(c.crossed, 0);
    assert_all_live(&run);
    assert_eq!(run.engine.n_instruments(), 2);
    let btc = run.engine.instrument("BTCUSDT").unwrap();
    assert_eq!(run.engine.last_seq(btc), Some(62_505_723));
    let eth = run.engine.instrument("ETHUSDT").unwrap();
    assert_eq!(run.engine.last_seq(eth), Some(56_726_742));
    let compared = depthbook_testkit::sync_check::check_against_reference(
        Venue::Bybit,
        &fixture_lines(relative),
    )
    .unwrap();
    assert_eq!(compared.views, c.published as usize);
}

/// One BTCUSDT delta removed from the real recording: the next one shows the loss, and nothing
/// of BTCUSDT is published from there to the end (no snapshot follows); ETHUSDT is untouched.
#[test]
fn bybit_2026_spot_capture_with_one_delta_lost_publishes_nothing_of_that_book_after_it() {
    let lines = fixture_lines("bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt");
    let is_btc_delta = |l: &Vec<u8>| {
        let text = String::from_utf8_lossy(l);
        text.contains("\"topic\":\"orderbook.200.BTCUSDT\"") && text.contains("\"type\":\"delta\"")
    };
    let deltas: Vec<usize> = (0..lines.len()).filter(|&i| is_btc_delta(&lines[i])).collect();
    assert_eq!(deltas.len(), 299);
    let lost = deltas[100];
    let mut faulty = lines.clone();
    faulty.remove(lost);
    let clean = replay(EngineConfig::new(Venue::Bybit), &lines, 0);
    let run = replay(EngineConfig::new(Venue::Bybit), &faulty, 0);
    let btc = run.engine.instrument("BTCUSDT").unwrap();
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.decode_errors), (1, 0));
    assert!(matches!(
        run.engine.state(btc),
        Some(BookState::Stale(depthbook_engine::StaleReason::Gap { .. }))
    ));
    // Up to the loss, the same views; from the line that reveals it, none of BTCUSDT.
    for (i, outcome) in run.outcomes.iter().enumerate() {
        let btc_views = outcome.views.iter().filter(|v| v.instrument == btc).count();
        if i < lost {
            assert_eq!(outcome, &clean.outcomes[i], "line {i}");
        } else {
            assert_eq!(btc_views, 0, "a BTCUSDT view at line {i}, after the loss");
        }
    }
    // ETHUSDT publishes exactly what the clean run did.
    let eth = run.engine.instrument("ETHUSDT").unwrap();
    let eth_views = |r: &Replay| -> Vec<_> {
        r.outcomes
            .iter()
            .flat_map(|o| o.views.iter().filter(|v| v.instrument == eth))
            .copied()
            .collect()
    };
    assert_eq!(eth_views(&run), eth_views(&clean));
    assert_eq!(run.engine.state(eth), Some(BookState::Live));
}

/// Coinbase Advanced Trade sends the whole book in one snapshot (5.08 MB of text for BTC-USD in
/// August 2026): a generated one of 6 MB and 60 000 levels a side is within the venue's frame
/// limit, makes its book Live with the top exact, and keeps the best levels under the per-side
/// cap. The frame after it continues the connection's numbering: no gap.
#[test]
fn a_6_mb_coinbase_snapshot_of_60_000_levels_a_side_makes_its_book_live() {
    let snapshot = depthbook_testkit::coinbase_advanced_snapshot("BTC-USD", 60_000, 1);
    assert!(snapshot.len() > 6_000_000, "{} bytes", snapshot.len());
    let update = r#"{"channel":"l2_data","client_id":"","timestamp":"2026-08-09T00:00:00.1Z","sequence_num":2,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"2026-08-09T00:00:00.1Z","price_level":"60000.00","new_quantity":"0"}]}]}"#;
    let lines = vec![snapshot.into_bytes(), update.as_bytes().to_vec()];
    let run = replay(EngineConfig::new(Venue::Coinbase), &lines, 0);
    let c = run.engine.counters();
    assert_eq!((c.decode_errors, c.gaps, c.applied, c.published), (0, 0, 2, 2), "{c:?}");
    let id = run.engine.instrument("BTC-USD").unwrap();
    assert_eq!(run.engine.state(id), Some(BookState::Live));
    let cap = EngineConfig::new(Venue::Coinbase).max_levels_per_side;
    assert_eq!(c.evicted, 2 * (60_000 - cap as u64));
    let view = &run.outcomes[0].views[0];
    assert_eq!(view.bid.unwrap().0.to_string(), "60000");
    assert_eq!(view.ask.unwrap().0.to_string(), "60000.01");
    assert!(view.is_tradeable());
    assert_eq!(view.integrity, depthbook_engine::Integrity::Sequenced);
    // The best bid removed: the next one is exact, the side short of one level.
    let book = run.engine.book(id).unwrap();
    assert_eq!(book.best(Side::Bid).unwrap().price.to_string(), "59999.99");
    assert_eq!(book.side(Side::Bid).len(), cap - 1);
    assert_eq!(run.outcomes[1].views[0].bid.unwrap().0.to_string(), "59999.99");
}
