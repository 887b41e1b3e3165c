//! The state machine, frame by frame, on small hand-written feeds.

// Helpers of a test file panic on broken input by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crossbeam_channel::Receiver;
use depthbook_engine::{
    BookState, Engine, EngineConfig, STATUS_RESERVE, SlowConsumer, StaleReason, Status, TopOfBook,
    Update,
};
use depthbook_venues::{Frame, Venue};

fn spot_delta(first: i64, last: i64, bid: &str) -> String {
    format!(
        r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{first},"u":{last},"b":[["{bid}","1.0"]],"a":[["200.0","1.0"]]}}"#
    )
}

fn spot_snapshot(last: i64) -> String {
    format!(r#"{{"lastUpdateId":{last},"bids":[["99.0","2.0"]],"asks":[["201.0","2.0"]]}}"#)
}

fn feed(engine: &mut Engine, frame: &str) {
    engine.ingest(&Frame::stream(frame.as_bytes()), 0);
}

fn drain(rx: &Receiver<Update>) -> (Vec<TopOfBook>, Vec<Status>) {
    let (mut views, mut statuses) = (Vec::new(), Vec::new());
    for update in rx.try_iter() {
        match update {
            Update::Book(v) => views.push(v),
            Update::Status(s) => statuses.push(s.status),
        }
    }
    (views, statuses)
}

#[test]
fn binance_spot_buffers_bridges_goes_stale_on_a_gap_and_heals() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    let rx = engine.subscribe(64, SlowConsumer::DropNewest);

    // Deltas before the snapshot are buffered, not published.
    feed(&mut engine, &spot_delta(1, 5, "100.0"));
    feed(&mut engine, &spot_delta(6, 12, "100.5"));
    assert_eq!(engine.state(0), Some(BookState::AwaitingSnapshot));
    assert_eq!(drain(&rx), (vec![], vec![]));

    // Snapshot at 8: the first delta is dropped (u <= 8), the second bridges (6 <= 9 <= 12).
    feed(&mut engine, &spot_snapshot(8));
    assert_eq!(engine.state(0), Some(BookState::Live));
    let (views, statuses) = drain(&rx);
    assert_eq!(statuses, vec![Status::Live]);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].seq, Some(12));
    assert_eq!(views[0].bid.unwrap().0.to_string(), "100.5");
    assert_eq!(views[0].generation, 1);

    // Continuity, then a lost message: 13..15 applies, 20.. is a gap (expected 16).
    feed(&mut engine, &spot_delta(13, 15, "101.0"));
    feed(&mut engine, &spot_delta(20, 22, "102.0"));
    let (views, statuses) = drain(&rx);
    assert_eq!(views.len(), 1);
    assert_eq!(statuses, vec![Status::Stale(StaleReason::Gap { expected: 16, got: 20 })]);
    assert_eq!(engine.counters().gaps, 1);

    // Nothing is published while stale; the next snapshot bridges the buffered delta.
    feed(&mut engine, &spot_delta(23, 25, "103.0"));
    assert_eq!(drain(&rx).0, vec![]);
    feed(&mut engine, &spot_snapshot(21));
    let (views, statuses) = drain(&rx);
    assert_eq!(statuses, vec![Status::Live]);
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].seq, Some(25));
    assert_eq!(views[0].generation, 2);
    assert_eq!(engine.counters().resyncs, 1);
}

#[test]
fn a_snapshot_older_than_the_first_buffered_delta_is_a_failed_bridge() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    feed(&mut engine, &spot_delta(10, 12, "100.0"));
    feed(&mut engine, &spot_snapshot(5));
    assert_eq!(engine.state(0), Some(BookState::AwaitingSnapshot));
    assert_eq!(engine.counters().gaps, 1);
    assert_eq!(engine.counters().published, 0);
}

#[test]
fn a_depth_reader_made_after_a_failed_rebuild_shows_no_half_built_levels() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    feed(&mut engine, &spot_delta(6, 6, "100.0"));
    feed(&mut engine, &spot_snapshot(5));
    assert_eq!(engine.state(0), Some(BookState::Live));
    // A gap, then a REST snapshot too old to bridge: the book holds that snapshot's levels.
    feed(&mut engine, &spot_delta(10, 12, "98.0"));
    feed(&mut engine, &spot_snapshot(7));
    assert_eq!(engine.counters().gaps, 2);
    assert!(matches!(engine.state(0), Some(BookState::Stale(_))));
    let depth = engine.depth_reader(0).unwrap().read();
    assert_eq!(Some(depth.state), engine.state(0));
    assert_eq!((depth.generation, depth.bids().len(), depth.asks().len()), (0, 0, 0));
    // The top reader keeps the last good view, marked Stale.
    let top = engine.top_reader(0).unwrap().read();
    assert!(!top.is_live());
    assert_eq!(top.top.and_then(|t| t.bid).map(|b| b.0.to_string()), Some("100".to_owned()));
}

fn okx(action: &str, prev: i64, seq: i64, bids: &str) -> String {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":[["200","1","0","1"]],"bids":{bids},"ts":"1","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
}

#[test]
fn okx_heartbeats_and_maintenance_resets_continue_the_chain() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let rx = engine.subscribe(64, SlowConsumer::DropNewest);
    feed(&mut engine, &okx("snapshot", -1, 10, r#"[["100","1","0","1"]]"#));
    feed(&mut engine, &okx("update", 10, 15, r#"[["101","1","0","1"]]"#));
    // Heartbeat: same id, no levels: applied, nothing published.
    feed(
        &mut engine,
        r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[],"bids":[],"ts":"2","checksum":0,"prevSeqId":15,"seqId":15}]}"#,
    );
    // Maintenance: the id goes down but the chain holds.
    feed(&mut engine, &okx("update", 15, 3, r#"[["102","1","0","1"]]"#));
    feed(&mut engine, &okx("update", 3, 5, r#"[["103","1","0","1"]]"#));
    let (views, statuses) = drain(&rx);
    assert_eq!(statuses, vec![Status::Live]);
    assert_eq!(views.iter().map(|v| v.seq.unwrap()).collect::<Vec<_>>(), vec![10, 15, 3, 5]);
    assert_eq!(
        engine.counters().checksums_verified + engine.counters().checksum_failures,
        0,
        "checksum 0 is absent"
    );
    // A break in the chain.
    feed(&mut engine, &okx("update", 6, 9, r#"[["104","1","0","1"]]"#));
    assert_eq!(engine.state(0), Some(BookState::Stale(StaleReason::Gap { expected: 5, got: 6 })));
    // A stale book ignores deltas until the resubscription's snapshot.
    feed(&mut engine, &okx("snapshot", -1, 40, r#"[["105","1","0","1"]]"#));
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(engine.counters().resyncs, 1);
}

#[test]
fn a_nonzero_okx_checksum_is_verified() {
    // Docs example: bids 3366.1:7, 3366:6; asks 3366.8:9, 3368:8 => -1881014294.
    let frame = |cs: i64| {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"ETH-USDT"}},"action":"snapshot","data":[{{"asks":[["3366.8","9","10","3"],["3368","8","3","4"]],"bids":[["3366.1","7","0","3"],["3366","6","3","4"]],"ts":"1","checksum":{cs}}}]}}"#
        )
    };
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    feed(&mut engine, &frame(-1_881_014_294));
    assert_eq!(engine.counters().checksums_verified, 1);
    assert_eq!(engine.state(0), Some(BookState::Live));
    feed(&mut engine, &frame(12_345));
    assert_eq!(engine.counters().checksum_failures, 1);
    assert_eq!(engine.state(0), Some(BookState::Stale(StaleReason::ChecksumMismatch)));
}

#[test]
fn a_gap_on_one_instrument_never_touches_another() {
    // REST bodies without a URL need a single known symbol; use URLs instead.
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceUsdm));
    for sym in ["AAA", "BBB"] {
        let url = format!("https://fapi.binance.com/fapi/v1/depth?symbol={sym}&limit=1000");
        let body = r#"{"lastUpdateId":10,"bids":[["1.0","1.0"]],"asks":[["2.0","1.0"]]}"#;
        engine.ingest(&Frame::rest(body.as_bytes(), Some(&url)), 0);
    }
    let usdm = |sym: &str, first: i64, last: i64, prev: i64| {
        format!(
            r#"{{"e":"depthUpdate","E":1,"T":1,"s":"{sym}","U":{first},"u":{last},"pu":{prev},"b":[["1.5","1.0"]],"a":[]}}"#
        )
    };
    feed(&mut engine, &usdm("AAA", 9, 12, 8));
    feed(&mut engine, &usdm("BBB", 9, 12, 8));
    feed(&mut engine, &usdm("AAA", 20, 25, 19));
    feed(&mut engine, &usdm("BBB", 13, 14, 12));
    let (a, b) = (engine.instrument("AAA").unwrap(), engine.instrument("BBB").unwrap());
    assert_eq!(engine.state(a), Some(BookState::Stale(StaleReason::Gap { expected: 12, got: 19 })));
    assert_eq!(engine.state(b), Some(BookState::Live));
    assert_eq!(engine.last_seq(b), Some(14));
}

#[test]
fn disconnect_makes_every_book_stale() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let rx = engine.subscribe(64, SlowConsumer::DropNewest);
    feed(&mut engine, &okx("snapshot", -1, 10, r#"[["100","1","0","1"]]"#));
    engine.disconnect();
    assert_eq!(engine.state(0), Some(BookState::Stale(StaleReason::Disconnect)));
    assert_eq!(drain(&rx).1, vec![Status::Live, Status::Stale(StaleReason::Disconnect)]);
}

#[test]
fn slow_consumers_never_block_the_loop() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let dropping = engine.subscribe(2, SlowConsumer::DropNewest);
    let latest = engine.subscribe(1, SlowConsumer::KeepLatest);
    feed(&mut engine, &okx("snapshot", -1, 10, r#"[["100","1","0","1"]]"#));
    for seq in 11..20 {
        feed(&mut engine, &okx("update", seq - 1, seq, &format!(r#"[["{seq}","1","0","1"]]"#)));
    }
    // The dropping consumer got the first two updates (the Live status and the first view).
    let got: Vec<_> = dropping.try_iter().collect();
    assert_eq!(got.len(), 2);
    assert!(matches!(got[0], Update::Status(_)));
    // The conflating consumer got the state change, and the book's newest view waits for
    // room: queued once it has read (here, at the next flush).
    let got: Vec<_> = latest.try_iter().collect();
    assert_eq!(got.len(), 1);
    assert!(matches!(got[0], Update::Status(_)));
    engine.flush_consumers();
    let got: Vec<_> = latest.try_iter().collect();
    assert_eq!(got.len(), 1);
    let Update::Book(view) = got[0] else { panic!("a view") };
    assert_eq!(view.seq, Some(19));
    assert!(engine.counters().views_dropped >= 9);
}

/// Regression: a USD-M delta that arrives late (after a newer one broke the chain) must be dropped
/// by the next REST snapshot's `u < lastUpdateId` rule, not fail the `pu` chain during bridging.
#[test]
fn usdm_bridging_drops_late_deltas_the_snapshot_covers() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceUsdm));
    let rest = |engine: &mut Engine, last: i64| {
        let body =
            format!(r#"{{"lastUpdateId":{last},"bids":[["1.0","1.0"]],"asks":[["2.0","1.0"]]}}"#);
        let url = "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000";
        engine.ingest(&Frame::rest(body.as_bytes(), Some(url)), 0);
    };
    let delta = |engine: &mut Engine, first: i64, last: i64, prev: i64| {
        feed(
            engine,
            &format!(
                r#"{{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[["1.5","1.0"]],"a":[]}}"#
            ),
        );
    };
    delta(&mut engine, 95, 100, 90);
    rest(&mut engine, 100);
    delta(&mut engine, 101, 110, 100);
    delta(&mut engine, 121, 130, 120);
    assert_eq!(
        engine.state(0),
        Some(BookState::Stale(StaleReason::Gap { expected: 110, got: 120 }))
    );
    delta(&mut engine, 111, 120, 110);
    rest(&mut engine, 130);
    assert_eq!(engine.state(0), Some(BookState::Live));
    delta(&mut engine, 131, 140, 130);
    assert_eq!(engine.last_seq(0), Some(140));
    assert_eq!((engine.counters().gaps, engine.counters().resyncs), (1, 1));
}

fn requests(engine: &mut Engine) -> Vec<(u32, Option<StaleReason>)> {
    engine.drain_snapshot_requests().map(|r| (r.instrument, r.reason)).collect()
}

#[test]
fn rest_venues_ask_for_a_snapshot_once_the_stream_has_buffered_a_delta() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    feed(&mut engine, &spot_delta(6, 8, "100.0"));
    feed(&mut engine, &spot_delta(9, 12, "100.5"));
    assert_eq!(requests(&mut engine), vec![(0, None)], "one request, not one per delta");
    assert_eq!(requests(&mut engine), vec![]);
    // A snapshot that does not bridge answers the request; the next buffered delta asks again.
    feed(&mut engine, &spot_snapshot(3));
    assert_eq!(engine.state(0), Some(BookState::AwaitingSnapshot));
    feed(&mut engine, &spot_delta(13, 14, "100.0"));
    assert_eq!(requests(&mut engine), vec![(0, None)]);
    feed(&mut engine, &spot_snapshot(13));
    assert_eq!(engine.state(0), Some(BookState::Live));
    // A gap asks with its reason; a disconnect waits for the stream to resume.
    feed(&mut engine, &spot_delta(20, 22, "101.0"));
    assert_eq!(requests(&mut engine), vec![(0, Some(StaleReason::Gap { expected: 15, got: 20 }))]);
    feed(&mut engine, &spot_snapshot(22));
    engine.disconnect();
    assert_eq!(requests(&mut engine), vec![]);
    feed(&mut engine, &spot_delta(30, 31, "101.0"));
    assert_eq!(requests(&mut engine), vec![(0, Some(StaleReason::Disconnect))]);
}

#[test]
fn a_watchdog_on_a_book_that_is_not_live_changes_nothing() {
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    feed(&mut engine, &spot_delta(6, 8, "100.0"));
    feed(&mut engine, &spot_delta(9, 12, "100.5"));
    assert_eq!(requests(&mut engine), vec![(0, None)]);
    // A recorded watchdog decision replayed onto a book still awaiting its snapshot: the
    // buffered deltas survive, so the snapshot the book asked for still bridges.
    engine.mark_stale(0, StaleReason::Watchdog);
    engine.mark_stale(7, StaleReason::Watchdog);
    assert_eq!(engine.state(0), Some(BookState::AwaitingSnapshot));
    assert_eq!(engine.buffered_deltas(0), 2);
    assert_eq!(requests(&mut engine), vec![]);
    feed(&mut engine, &spot_snapshot(8));
    assert_eq!(engine.state(0), Some(BookState::Live));
    assert_eq!(engine.last_seq(0), Some(12));
}

#[test]
fn stream_venues_ask_when_a_book_goes_stale_but_not_on_a_disconnect() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    feed(&mut engine, &okx("snapshot", -1, 10, r#"[["100","1","0","1"]]"#));
    assert_eq!(requests(&mut engine), vec![], "the subscription brings the first snapshot");
    feed(&mut engine, &okx("update", 11, 12, r#"[["101","1","0","1"]]"#));
    assert_eq!(requests(&mut engine), vec![(0, Some(StaleReason::Gap { expected: 10, got: 11 }))]);
    feed(&mut engine, &okx("update", 12, 13, r#"[["101","1","0","1"]]"#));
    assert_eq!(requests(&mut engine), vec![], "still outstanding");
    feed(&mut engine, &okx("snapshot", -1, 20, r#"[["100","1","0","1"]]"#));
    engine.mark_stale(0, StaleReason::Watchdog);
    assert_eq!(engine.state(0), Some(BookState::Stale(StaleReason::Watchdog)));
    assert_eq!(requests(&mut engine), vec![(0, Some(StaleReason::Watchdog))]);
    feed(&mut engine, &okx("snapshot", -1, 30, r#"[["100","1","0","1"]]"#));
    engine.disconnect();
    assert_eq!(requests(&mut engine), vec![]);
}

#[test]
fn undrained_requests_stay_bounded_by_the_instruments() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    for i in 0..1000 {
        feed(&mut engine, &okx("snapshot", -1, 10 * i, r#"[["100","1","0","1"]]"#));
        feed(&mut engine, &okx("update", 10 * i + 1, 10 * i + 2, r#"[["101","1","0","1"]]"#));
    }
    assert_eq!(requests(&mut engine).len(), 1);
}

#[test]
fn status_only_consumers_get_no_views() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
    let statuses = engine.subscribe_statuses(8);
    feed(&mut engine, &okx("snapshot", -1, 10, r#"[["100","1","0","1"]]"#));
    feed(&mut engine, &okx("update", 10, 11, r#"[["101","1","0","1"]]"#));
    engine.mark_stale(0, StaleReason::Watchdog);
    assert_eq!(
        drain(&statuses),
        (vec![], vec![Status::Live, Status::Stale(StaleReason::Watchdog)])
    );
    assert_eq!(engine.last_data_ns(0), Some(0));
}

/// The engine-wide budget: books that fit stay Live; the message that takes the engine over it
/// makes its own book Stale (`memory_budget`), frees that book, and asks for its snapshot; as
/// long as the other books hold the memory, its next snapshot is refused the same way.
#[test]
fn a_book_that_takes_the_engine_over_its_memory_budget_goes_stale_and_gives_its_memory_back() {
    let book = |inst: &str, bid: &str| {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"{inst}"}},"action":"snapshot","data":[{{"asks":[["200","1","0","1"]],"bids":[["{bid}","1","0","1"]],"ts":"1","checksum":0}}]}}"#
        )
    };
    let mut one = Engine::new(EngineConfig::new(Venue::Okx));
    feed(&mut one, &book("A-USDT", "100"));
    let per_book = one.heap_bytes();
    assert!(per_book > 0);

    let mut config = EngineConfig::new(Venue::Okx);
    config.max_heap_bytes = per_book * 2 + per_book / 2;
    let mut engine = Engine::new(config);
    let rx = engine.subscribe(64, SlowConsumer::DropNewest);
    for inst in ["A-USDT", "B-USDT", "C-USDT"] {
        feed(&mut engine, &book(inst, "100"));
    }
    let state = |e: &Engine, s: &str| e.state(e.instrument(s).unwrap());
    assert_eq!(state(&engine, "A-USDT"), Some(BookState::Live));
    assert_eq!(state(&engine, "B-USDT"), Some(BookState::Live));
    // C went Live with its snapshot, and over the budget with it.
    assert_eq!(state(&engine, "C-USDT"), Some(BookState::Stale(StaleReason::MemoryBudget)));
    assert_eq!(engine.counters().over_budget, 1);
    assert_eq!(engine.heap_bytes(), 2 * per_book);
    let c = engine.instrument("C-USDT").unwrap();
    assert_eq!(engine.book(c).unwrap().heap_bytes(), 0);
    assert_eq!(requests(&mut engine), vec![(c, Some(StaleReason::MemoryBudget))]);
    let (_, statuses) = drain(&rx);
    assert_eq!(statuses.last(), Some(&Status::Stale(StaleReason::MemoryBudget)));

    feed(&mut engine, &book("C-USDT", "101"));
    assert_eq!(state(&engine, "C-USDT"), Some(BookState::Stale(StaleReason::MemoryBudget)));
    assert_eq!((engine.counters().over_budget, engine.heap_bytes()), (2, 2 * per_book));
}

/// A Bybit book that goes Live, publishes `views` views, and is then cut by a disconnect:
/// two state changes and `views` views per round.
fn bybit_round(engine: &mut Engine, round: i64, views: i64) {
    let base = 1000 * (round + 1);
    feed(
        engine,
        &format!(
            r#"{{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1,"data":{{"s":"BTCUSDT","b":[["100","1"]],"a":[["101","1"]],"u":{base},"seq":1}}}}"#
        ),
    );
    for k in 1..views {
        feed(
            engine,
            &format!(
                r#"{{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{{"s":"BTCUSDT","b":[["100","{k}"]],"a":[],"u":{},"seq":1}}}}"#,
                base + k
            ),
        );
    }
    engine.disconnect();
}

fn statuses_of(rx: &Receiver<Update>) -> Vec<(Status, u64)> {
    statuses_in(&rx.try_iter().collect::<Vec<_>>())
}

/// The state changes among `updates`, in order, with their generations.
fn statuses_in(updates: &[Update]) -> Vec<(Status, u64)> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::Status(s) => Some((s.status, s.generation)),
            Update::Book(_) => None,
        })
        .collect()
}

#[test]
fn a_consumer_that_stops_reading_still_gets_every_state_change_in_order() {
    for policy in [SlowConsumer::KeepLatest, SlowConsumer::DropNewest] {
        let mut engine = Engine::new(EngineConfig::new(Venue::Bybit));
        let all = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
        // Room for the 12 state changes of 6 rounds, not for their 60 views.
        let slow = engine.subscribe(16, policy);
        for round in 0..6 {
            bybit_round(&mut engine, round, 10);
        }
        let want = statuses_of(&all);
        assert_eq!(want.len(), 12, "{want:?}");
        let got: Vec<Update> = slow.try_iter().collect();
        assert_eq!(statuses_in(&got), want, "{policy:?}: every transition, in order");
        let c = engine.counters();
        assert_eq!(c.consumers_cut, 0);
        // Every view was delivered or counted as dropped (a held view is dropped when a newer
        // one or its book's state change replaces it).
        assert_eq!(c.views_dropped, 60 - (got.len() as u64 - 12), "{policy:?}");
    }
}

#[test]
fn a_consumer_whose_channel_is_full_of_state_changes_is_cut_off_never_shown_a_gap() {
    let mut engine = Engine::new(EngineConfig::new(Venue::Bybit));
    let all = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
    let slow = engine.subscribe(4, SlowConsumer::KeepLatest);
    let statuses = engine.subscribe_statuses(3);
    // 400 state changes, more than a small channel's reserve.
    for round in 0..200 {
        bybit_round(&mut engine, round, 3);
    }
    let want = statuses_of(&all);
    assert_eq!(want.len(), 400);
    // Each got an unbroken prefix of the transitions, then its channel ended.
    let got = statuses_of(&slow);
    assert!(got.len() >= STATUS_RESERVE && want.starts_with(&got), "{}", got.len());
    assert!(slow.recv().is_err(), "the channel ended");
    let got = statuses_of(&statuses);
    assert_eq!(got, want[..3 + STATUS_RESERVE]);
    assert!(statuses.recv().is_err());
    assert_eq!(engine.counters().consumers_cut, 2);
    // The loop goes on publishing to the others.
    bybit_round(&mut engine, 900, 3);
    assert_eq!(statuses_of(&all).len(), 2);
}

/// A consumer reading on another thread while the loop publishes faster than it reads: every
/// state change arrives, in order, and a book's views never follow its Stale before its next
/// Live.
#[test]
fn a_concurrent_slow_consumer_sees_every_state_change_in_order() {
    for policy in [SlowConsumer::KeepLatest, SlowConsumer::DropNewest] {
        let mut engine = Engine::new(EngineConfig::new(Venue::Bybit));
        let all = engine.subscribe(1 << 14, SlowConsumer::DropNewest);
        let slow = engine.subscribe(8, policy);
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            while let Ok(update) = slow.recv() {
                got.push(update);
                if got.len() % 7 == 0 {
                    std::thread::yield_now();
                }
            }
            got
        });
        for round in 0..100 {
            bybit_round(&mut engine, round, 10);
        }
        let want = statuses_of(&all);
        assert_eq!(engine.counters().consumers_cut, 0, "{policy:?}");
        drop(engine);
        let got = reader.join().unwrap();
        assert_eq!(statuses_in(&got), want, "{policy:?}");
        // A view belongs to the generation of the last Live before it, and never follows a
        // Stale before the next Live.
        let mut live = None;
        for update in &got {
            match update {
                Update::Status(s) if s.status == Status::Live => live = Some(s.generation),
                Update::Status(_) => live = None,
                Update::Book(v) => assert_eq!(Some(v.generation), live, "{policy:?}"),
            }
        }
    }
}
