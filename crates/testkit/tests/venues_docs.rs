//! Rules no real capture here confirms, tested on the venues' documented message shapes.
//! **Docs-only**: these prove depthbook implements what the documentation says, not that the
//! venue behaves so; protocols.md section 15 lists them as open. Where the venue documents a
//! rule, or real recordings keep it without exception (Bybit's `u + 1`), it is enforced (a break
//! is a gap); where it is only observed on too little data (Bitget's `pseq`), a break is counted
//! in `unconfirmed_breaks` and the book stays Live.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;

use depthbook_engine::{BookState, Engine, EngineConfig, SlowConsumer, StaleReason, Update};
use depthbook_testkit::{fixture, replay};
use depthbook_venues::{Frame, Venue};

fn lines(frames: &[String]) -> Vec<Vec<u8>> {
    frames.iter().map(|f| f.as_bytes().to_vec()).collect()
}

fn bybit(kind: &str, u: i64, bids: &str) -> String {
    format!(
        r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":1687940967466,"data":{{"s":"BTCUSDT","b":{bids},"a":[["30248.70","1.5"]],"u":{u},"seq":66544703342}},"cts":1687940967464}}"#
    )
}

#[test]
fn bybit_u_continuity_is_enforced_repeats_are_dropped_and_u_1_resets() {
    let frames = [
        bybit("snapshot", 10, r#"[["30247.20","30.028"],["30245.40","0.224"]]"#),
        bybit("delta", 11, r#"[["30247.20","31"]]"#),
        // A stale repeat (u <= last) is dropped, counted, and the book stays Live.
        bybit("delta", 11, r#"[["30240.00","9"]]"#),
        // u jumps: message 12 was lost, the book goes Stale.
        bybit("delta", 13, r#"[["30245.40","0"]]"#),
        // Nothing is published until the book is rebuilt.
        bybit("delta", 14, r#"[["30245.40","1"]]"#),
        // A service restart numbers from 1 and carries the whole book: Live again.
        bybit("delta", 1, r#"[["30100.00","2"]]"#),
    ];
    let run = replay(EngineConfig::new(Venue::Bybit), &lines(&frames), 5);
    let c = run.engine.counters();
    assert_eq!((c.gaps, c.repeats, c.unconfirmed_breaks), (1, 1, 0));
    assert_eq!(run.engine.state(0), Some(BookState::Live));
    assert!(run.outcomes[2].views.is_empty(), "a repeat publishes nothing");
    let (bids, _) = &run.books[2][0];
    assert_eq!(
        bids,
        &[("30247.2".to_owned(), "31".to_owned()), ("30245.4".to_owned(), "0.224".to_owned())]
    );
    assert_eq!(
        run.outcomes[3].statuses[0].status,
        depthbook_engine::Status::Stale(StaleReason::Gap { expected: 12, got: 13 })
    );
    assert!(run.outcomes[3].views.is_empty() && run.outcomes[4].views.is_empty());
    // After the reset only the restart's levels are left.
    let (bids, asks) = &run.books[5][0];
    assert_eq!(bids, &[("30100".to_owned(), "2".to_owned())]);
    assert_eq!(asks.len(), 1);
    assert_eq!(run.outcomes[5].views.len(), 1);
}

#[test]
fn docs_only_bybit_documented_and_recorded_examples_decode() {
    let docs: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("bybit/bybit_docs_orderbook_examples.json")).unwrap(),
    )
    .unwrap();
    let recorded: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("bybit/bybit_v5_spot_orderbook1_recorded.json")).unwrap(),
    )
    .unwrap();
    // The recorded orderbook.1 stream: an ack and two snapshots, u 72212457 then 72212458.
    let recorded: Vec<String> =
        recorded["messages"].as_array().unwrap().iter().map(|m| m.to_string()).collect();
    let run = replay(EngineConfig::new(Venue::Bybit), &lines(&recorded), 1);
    let c = run.engine.counters();
    assert_eq!((c.skipped, c.applied, c.decode_errors), (1, 2, 0));
    assert_eq!(run.outcomes[2].views[0].seq, Some(72_212_458));
    assert_eq!(run.books[2][0].0, [("63705.3".to_owned(), "2.014151".to_owned())]);
    // The documented orderbook.50 delta, after a snapshot of its own symbol.
    let delta = docs["orderbook50_delta_example"].to_string();
    let frames = [bybit("snapshot", 177_400_506, r#"[["30240.00","4"]]"#), delta];
    let run = replay(EngineConfig::new(Venue::Bybit), &lines(&frames), 10);
    let c = run.engine.counters();
    assert_eq!((c.applied, c.unconfirmed_breaks, c.decode_errors), (2, 0, 0));
    let (bids, asks) = &run.books[1][0];
    assert_eq!(bids.len(), 4, "30240.00 deleted, four set: {bids:?}");
    assert_eq!(asks.len(), 5, "two of seven asks are deletes (one the snapshot's): {asks:?}");
}

#[test]
fn docs_only_bybit_orderbook_full_bridges_a_rest_snapshot_and_is_strict_after_it() {
    let docs: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("bybit/bybit_docs_orderbook_examples.json")).unwrap(),
    )
    .unwrap();
    let example = docs["orderbook_full_delta_example"].clone();
    let full = |u: i64, bids: serde_json::Value| {
        let mut m = example.clone();
        m["data"]["u"] = u.into();
        m["data"]["b"] = bids;
        m.to_string()
    };
    let mut engine = Engine::new(EngineConfig::new(Venue::Bybit));
    let views = engine.subscribe(64, SlowConsumer::DropNewest);
    // Deltas come first and wait for the snapshot; the book asks for it.
    engine
        .ingest(&Frame::stream(full(278_545, serde_json::json!([["0.4750", "1"]])).as_bytes()), 0);
    engine.ingest(&Frame::stream(example.to_string().as_bytes()), 0); // u 278547
    assert_eq!(engine.drain_snapshot_requests().count(), 1);
    assert_eq!(engine.counters().applied, 0, "never applied without the snapshot");
    let rest = r#"{"retCode":0,"retMsg":"OK","result":{"s":"MNTUSDT","b":[["0.4758","1"],["0.4740","9"]],"a":[["0.4760","50"]],"ts":1784103477700,"u":278546,"seq":1501100500,"cts":1784103477699},"retExtInfo":{},"time":1784103477701}"#;
    let url = "https://api.bybit.com/v5/market/full_orderbook?category=spot&symbol=MNTUSDT";
    engine.ingest(&Frame::rest(rest.as_bytes(), Some(url)), 0);
    // 278545 is covered by the snapshot, 278547 continues it.
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(engine.last_seq(0), Some(278_547));
    let book = engine.book(0).unwrap();
    let best = book.best(depthbook_core::Side::Bid).unwrap();
    assert_eq!((best.price.to_string(), best.qty.to_string()), ("0.4758".into(), "2342.47".into()));
    // Documented continuity: a skipped u is a gap, not a counted observation.
    engine.ingest(&Frame::stream(full(278_549, serde_json::json!([])).as_bytes()), 0);
    assert_eq!(
        engine.state(0),
        Some(BookState::Stale(StaleReason::Gap { expected: 278_548, got: 278_549 }))
    );
    let c = engine.counters();
    assert_eq!((c.gaps, c.unconfirmed_breaks, c.decode_errors), (1, 0, 0));
    assert!(views.try_iter().any(|u| matches!(u, Update::Book(_))));
    // A REST error body is not book data.
    engine.ingest(
        &Frame::rest(br#"{"retCode":10001,"retMsg":"params error","result":{}}"#, Some(url)),
        0,
    );
    assert_eq!(engine.counters().decode_errors, 0);
}

fn coinbase(sequence: i64, kind: &str, updates: &str) -> String {
    format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":{sequence},"events":[{{"type":"{kind}","product_id":"BTC-USD","updates":{updates}}}]}}"#
    )
}

#[test]
fn docs_only_coinbase_advanced_trade_sequence_num_covers_every_channel() {
    let level = |side: &str, price: &str, qty: &str| {
        format!(
            r#"[{{"side":"{side}","event_time":"2023-02-09T20:32:50.714964855Z","price_level":"{price}","new_quantity":"{qty}"}}]"#
        )
    };
    let snapshot = r#"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.74","new_quantity":"1.5"}]}]}"#.to_owned();
    let frames = [
        snapshot,
        // The subscriptions ack and heartbeats consume numbers too.
        r#"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:32:50.8Z","sequence_num":1,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}"#.to_owned(),
        coinbase(2, "update", &level("bid", "21921.73", "0")),
        r#"{"channel":"heartbeats","client_id":"","timestamp":"2023-02-09T20:32:51Z","sequence_num":3,"events":[{"current_time":"2023-02-09 20:32:51","heartbeat_counter":1}]}"#.to_owned(),
        coinbase(4, "update", &level("offer", "21921.74", "2")),
        // 5 is lost: whatever it carried, the book cannot be trusted.
        coinbase(6, "update", &level("bid", "21921.00", "1")),
    ];
    let run = replay(EngineConfig::new(Venue::Coinbase), &lines(&frames), 2);
    let c = run.engine.counters();
    assert_eq!((c.applied, c.gaps, c.decode_errors), (3, 1, 0));
    assert_eq!(run.outcomes[4].views[0].seq, Some(4), "views carry sequence_num");
    assert_eq!(
        run.engine.state(0),
        Some(BookState::Stale(StaleReason::Gap { expected: 5, got: 6 }))
    );
}

fn gzip(text: &str) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn htx_update(prev: i64, seq: i64, bids: &str) -> String {
    format!(
        r#"{{"ch":"market.btcusdt.mbp.400","ts":1630000000000,"tick":{{"seqNum":{seq},"prevSeqNum":{prev},"bids":{bids}}}}}"#
    )
}

#[test]
fn docs_only_htx_mbp_buffers_updates_and_bridges_the_req_snapshot() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Htx));
    let views = engine.subscribe(64, SlowConsumer::DropNewest);
    let feed = |engine: &mut Engine, text: &str| engine.ingest(&Frame::stream(&gzip(text)), 0);
    // Updates arrive first and are buffered; the book asks for its snapshot.
    feed(&mut engine, &htx_update(100, 101, "[[50000.1,1.5]]"));
    feed(&mut engine, &htx_update(101, 102, "[[50000.2,2]]"));
    assert_eq!(engine.drain_snapshot_requests().count(), 1);
    feed(&mut engine, &htx_update(102, 103, "[[50000.1,0]]"));
    // The `req` answer at seqNum 101: 101 is covered, 102 and 103 continue it.
    feed(
        &mut engine,
        r#"{"id":"id2","rep":"market.btcusdt.mbp.400","status":"ok","data":{"seqNum":101,"bids":[[50000.1,1.5],[49999,3]],"asks":[[50001,1]]}}"#,
    );
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(engine.last_seq(0), Some(103));
    let book = engine.book(0).unwrap();
    let bids: Vec<String> =
        book.side(depthbook_core::Side::Bid).iter().map(|l| l.price.to_string()).collect();
    assert_eq!(bids, ["50000.2", "49999"]);
    // Then a lost update: documented chain, so a gap.
    feed(&mut engine, &htx_update(104, 105, "[[49998,1]]"));
    assert_eq!(
        engine.state(0),
        Some(BookState::Stale(StaleReason::Gap { expected: 103, got: 104 }))
    );
    let c = engine.counters();
    assert_eq!((c.gaps, c.decode_errors), (1, 0));
    assert!(views.try_iter().any(|u| matches!(u, Update::Book(_))));
    // A frame that does not inflate is a decode error, never a panic.
    let mut broken = gzip(&htx_update(105, 106, "[]"));
    let n = broken.len();
    broken[n - 6] ^= 0xff;
    engine.ingest(&Frame::stream(&broken), 0);
    assert_eq!(engine.counters().decode_errors, 1);
}

fn gate_push(full: bool, first: i64, last: i64, bids: &str) -> String {
    let full = if full { r#""full":true,"# } else { "" };
    format!(
        r#"{{"time":1748572394,"time_ms":1748572394325,"channel":"spot.order_book_update","event":"update","result":{{"t":1748572394325,{full}"e":"depthUpdate","E":1748572394,"s":"BTC_USDT","U":{first},"u":{last},"b":{bids},"a":[["105960.1","0.5"]]}}}}"#
    )
}

#[test]
fn docs_only_gate_full_pushes_replace_the_book() {
    let rest = br#"{"id":100,"current":1748572393000,"update":1748572393000,"asks":[["105970","1"]],"bids":[["105950","2"],["105940","3"]]}"#;
    let mut engine = Engine::new(EngineConfig::new(Venue::GateIo));
    let url = "https://api.gateio.ws/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true";
    let stream =
        |engine: &mut Engine, frame: String| engine.ingest(&Frame::stream(frame.as_bytes()), 0);
    stream(&mut engine, gate_push(false, 101, 102, r#"[["105955","1"]]"#));
    engine.ingest(&Frame::rest(rest, Some(url)), 0);
    assert_eq!(engine.state(0), Some(BookState::Live));
    let bids = |engine: &Engine| -> Vec<String> {
        engine
            .book(0)
            .unwrap()
            .side(depthbook_core::Side::Bid)
            .iter()
            .map(|l| l.price.to_string())
            .collect()
    };
    assert_eq!(bids(&engine), ["105955", "105950", "105940"]);
    // A full push: the whole book, whatever was there (105950 and 105940 are gone), its `u`
    // the book's id from now on.
    stream(&mut engine, gate_push(true, 103, 150, r#"[["105958.9","0.00908"]]"#));
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(bids(&engine), ["105958.9"]);
    assert_eq!(engine.book(0).unwrap().side(depthbook_core::Side::Ask).len(), 1);
    // The next incremental push follows the full one's `u`; one that does not is a gap.
    stream(&mut engine, gate_push(false, 151, 152, r#"[["105957","1"]]"#));
    assert_eq!(bids(&engine), ["105958.9", "105957"]);
    assert_eq!(engine.counters().gaps, 0);
    stream(&mut engine, gate_push(false, 160, 161, r#"[["105956","1"]]"#));
    assert_eq!(engine.counters().gaps, 1);
    assert!(!engine.state(0).is_some_and(|s| s.is_live()));
    // A full push makes it Live again without a REST snapshot.
    stream(&mut engine, gate_push(true, 162, 170, r#"[["105959","4"]]"#));
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(bids(&engine), ["105959"]);
    assert_eq!(engine.counters().decode_errors, 0);
}

fn bitget(action: &str, seq: i64, pseq: i64, bids: &str) -> String {
    format!(
        r#"{{"action":"{action}","arg":{{"instType":"SPOT","channel":"books","instId":"BTCUSDT"}},"data":[{{"asks":[["27000.5","8.760"]],"bids":{bids},"checksum":0,"seq":{seq},"pseq":{pseq},"ts":"1695716059516"}}],"ts":1695716059516}}"#
    )
}

#[test]
fn docs_only_bitget_v2_seq_pseq_breaks_are_counted_and_checksum_0_is_absent() {
    let frames = [
        bitget("snapshot", 100, 99, r#"[["26999.5","1.000"]]"#),
        bitget("update", 101, 100, r#"[["26999.5","2.000"]]"#),
        bitget("update", 110, 105, r#"[["26999.0","3.000"]]"#),
    ];
    let run = replay(EngineConfig::new(Venue::Bitget), &lines(&frames), 0);
    let c = run.engine.counters();
    assert_eq!((c.applied, c.unconfirmed_breaks, c.gaps), (3, 1, 0));
    assert_eq!((c.checksums_verified, c.checksum_failures), (0, 0), "checksum 0 means none");
    assert_eq!(run.engine.state(0), Some(BookState::Live));
}

#[test]
fn docs_only_deribit_grouped_snapshots_replace_the_book() {
    let grouped = |change_id: i64, bid: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"book.BTC-PERPETUAL.none.10.100ms","data":{{"instrument_name":"BTC-PERPETUAL","timestamp":1769246173071,"change_id":{change_id},"bids":[[{bid},254900.0],[89532.0,1000.0]],"asks":[[89533.0,5000.0]]}}}}}}"#
        )
    };
    let frames = [grouped(136_725_664_747, "89532.5"), grouped(136_725_664_800, "89532.25")];
    let run = replay(EngineConfig::new(Venue::Deribit), &lines(&frames), 5);
    let c = run.engine.counters();
    assert_eq!((c.applied, c.gaps, c.decode_errors), (2, 0, 0));
    let (bids, _) = &run.books[1][0];
    assert_eq!(bids[0].0, "89532.25", "the second snapshot replaced the first");
    assert_eq!(bids.len(), 2);
}

#[test]
fn deribit_a_delete_with_a_corrupt_amount_is_a_bad_message_not_a_removal() {
    let change = |prev: i64, id: i64, kind: &str, asks: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","method":"subscription","params":{{"channel":"book.BTC-PERPETUAL.raw","data":{{"type":"{kind}","timestamp":1,"prev_change_id":{prev},"change_id":{id},"instrument_name":"BTC-PERPETUAL","bids":[],"asks":{asks}}}}}}}"#
        )
    };
    let frames = [
        change(0, 10, "snapshot", r#"[["new",50000.5,10.0],["new",50001.0,2.0]]"#),
        change(10, 11, "change", r#"[["delete",50001.0,0.0]]"#),
        change(11, 12, "change", r#"[["delete",50000.5,-5.0]]"#),
    ];
    let run = replay(EngineConfig::new(Venue::Deribit), &lines(&frames), 2);
    let c = run.engine.counters();
    assert_eq!((c.applied, c.decode_errors), (2, 1));
    assert_eq!(run.engine.state(0), Some(BookState::Stale(StaleReason::BadMessage)));
}
