//! Steady state allocates nothing: on a second pass over a real capture of every venue (the
//! reshaped one where the reference feed uses one), from a frame entering
//! the engine to its view being published (to a channel, to latest-value top and depth readers,
//! and to the replication journal a bus publisher reads), the heap is not touched. Allocation counts are
//! deterministic, so this is a pass/fail test (timing never is). One test in this file: the
//! counting allocator is global to the test binary.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;

use crossbeam_channel::Receiver;
use depthbook_engine::{Engine, EngineConfig, JournalReader, SlowConsumer, Update};
use depthbook_testkit::fixtures_frames;
use depthbook_venues::{Frame, Venue};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A capture's frames, split from their line prefixes once, outside the measured region.
struct Capture {
    frames: Vec<(Vec<u8>, Option<String>)>,
}

fn capture(relative: &[&str]) -> Capture {
    Capture { frames: fixtures_frames(relative) }
}

/// The journal's reader and the buffer it copies records into.
struct Journal {
    reader: JournalReader,
    buf: Vec<u8>,
}

/// Feeds every frame and drains the consumer and the journal after each, as a strategy thread
/// and a bus publisher would.
fn pass(
    engine: &mut Engine,
    capture: &Capture,
    views: &Receiver<Update>,
    journal: &mut Journal,
) -> u64 {
    let mut seen = 0;
    for (i, (bytes, url)) in capture.frames.iter().enumerate() {
        let frame = match url {
            Some(url) => Frame::rest(bytes, Some(url)),
            None => Frame::stream(bytes),
        };
        engine.ingest(&frame, i as i64);
        for update in views.try_iter() {
            if let Update::Book(view) = update {
                seen += view.generation;
            }
        }
        while journal.reader.try_next(&mut journal.buf).is_some() {
            seen += 1;
        }
    }
    seen
}

#[test]
fn second_pass_over_real_captures_allocates_nothing() {
    let spot_gate: &[&str] =
        &["gateio/cryptofeed_GATEIO.ws.1.0.txt", "gateio/cryptofeed_GATEIO.http.0.0.txt"];
    // Every venue name: the real capture where one exists, else the reshaped one its reference
    // feed uses (Coinbase Advanced Trade, Kraken v2).
    let mut tested = Vec::new();
    for (venue, relative, min_views) in [
        (Venue::BinanceSpot, &["binance_spot/hftbacktest_spot_btcusdt_20240808.gz"][..], 100),
        (Venue::BinanceUsdm, &["binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz"], 100),
        (Venue::Okx, &["okx/cryptofeed_OKX.ws.1.0.txt"], 100),
        (Venue::Kraken, &["kraken/kraken_v2_derived_from_v1_20210417.txt.gz"], 100),
        (Venue::KrakenV1, &["kraken/cryptofeed_KRAKEN.ws.50.0.txt"], 100),
        (Venue::Bybit, &["bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt"], 500),
        (
            Venue::Coinbase,
            &["coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"],
            9000,
        ),
        (Venue::CoinbaseExchange, &["coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz"], 9000),
        (Venue::Bitfinex, &["bitfinex/cryptofeed_BITFINEX.ws.11.0.txt"], 1000),
        (Venue::Deribit, &["deribit/cryptofeed_DERIBIT.ws.1.0.txt"], 40),
        // REST snapshots from a second file, bridged with buffered deltas.
        (Venue::GateIo, spot_gate, 100),
        (Venue::Bitget, &["bitget/cryptofeed_BITGET.ws.1.0.txt.gz"], 400),
        // gzip frames: inflated into the decoder's reused buffer.
        (Venue::Htx, &["htx/cryptofeed_HUOBI.ws.44.0.txt.gz"], 250),
    ] {
        tested.push(venue);
        let capture = capture(relative);
        let mut engine = Engine::new(EngineConfig::new(venue));
        let views = engine.subscribe(1 << 12, SlowConsumer::KeepLatest);
        let mut journal = Journal { reader: engine.journal(8 << 20), buf: Vec::new() };
        pass(&mut engine, &capture, &views, &mut journal);
        // A latest-value reader on every book: publishing writes their cells too.
        let readers: Vec<_> =
            (0..engine.n_instruments() as u32).filter_map(|id| engine.top_reader(id)).collect();
        let depths: Vec<_> =
            (0..engine.n_instruments() as u32).filter_map(|id| engine.depth_reader(id)).collect();
        // A disconnect between passes: every book goes Stale and the second pass rebuilds them
        // from the capture's own snapshots, exercising buffering and bridging too.
        engine.disconnect();
        views.try_iter().for_each(drop);
        let published_before = engine.counters().published;

        let region = Region::new(GLOBAL);
        let seen = pass(&mut engine, &capture, &views, &mut journal);
        let stats = region.change();

        let published = engine.counters().published - published_before;
        assert!(readers.iter().any(|r| r.read().is_live()), "{venue}: readers see Live books");
        assert!(depths.iter().any(|d| !d.read().bids().is_empty()), "{venue}: depth readers too");
        assert!(
            published > min_views && seen > 0,
            "{venue}: the second pass published {published} views"
        );
        assert_eq!(engine.counters().checksum_failures, 0, "{venue}");
        assert_eq!(engine.journal_dropped(), 0, "{venue}");
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{venue}: {} allocations and {} reallocations over {} frames",
            stats.allocations,
            stats.reallocations,
            capture.frames.len()
        );
    }
    assert_eq!(tested, Venue::ALL, "every venue, in the capability table's order");
}
