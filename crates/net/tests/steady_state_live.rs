//! The live loop allocates nothing in steady state either: `Live::step` over recorded inputs
//! (frames and REST bodies of a real capture, handed over as the network tasks hand them),
//! on a second pass after a disconnect, touches the heap no more than the engine alone does:
//! not at all. One test in this file: the counting allocator is global to the test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;

use bytes::Bytes;
use depthbook_engine::{SlowConsumer, Update};
use depthbook_net::input::Input;
use depthbook_net::{Live, LiveConfig};
use depthbook_testkit::fixtures_frames;
use depthbook_venues::Venue;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// One pass over a capture as the network side hands it over: the connection opens, every
/// frame and REST body arrives (with the timer's tick after every 50), the connection closes.
fn pass(frames: &[(Vec<u8>, Option<String>)]) -> Vec<Input> {
    let mut inputs = vec![Input::Opened { conn: 1, url: "ws://127.0.0.1/".into(), recv_ns: 1 }];
    for (i, (bytes, url)) in frames.iter().enumerate() {
        let recv_ns = 2 + i as i64;
        let bytes = Bytes::from(bytes.clone());
        inputs.push(match url {
            Some(url) => Input::Rest { url: url.clone(), body: bytes, recv_ns },
            None => Input::Frame { conn: 1, bytes, binary: false, recv_ns },
        });
        if i % 50 == 49 {
            inputs.push(Input::Tick { now_ns: recv_ns });
        }
    }
    let end = 2 + frames.len() as i64;
    inputs.push(Input::Closed { conn: 1, reason: "end of pass".into(), recv_ns: end });
    inputs
}

#[test]
fn live_step_over_recorded_inputs_allocates_nothing_on_a_second_pass() {
    for (venue, files, symbols, min_views) in [
        (
            Venue::BinanceSpot,
            &["binance_spot/hftbacktest_spot_btcusdt_20240808.gz"][..],
            &["BTCUSDT"][..],
            100,
        ),
        (Venue::Okx, &["okx/cryptofeed_OKX.ws.1.0.txt"], &["BTC-USD-220527", "UNI-USD-SWAP"], 50),
        (
            Venue::Bybit,
            &["bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt"],
            &["BTCUSDT", "ETHUSDT"],
            500,
        ),
        (Venue::KrakenV1, &["kraken/cryptofeed_KRAKEN.ws.50.0.txt"], &["XMR/USD"], 100),
        (
            Venue::Coinbase,
            &["coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"],
            &["SKL-USD", "DASH-BTC"],
            1000,
        ),
        (
            Venue::GateIo,
            &["gateio/cryptofeed_GATEIO.ws.1.0.txt", "gateio/cryptofeed_GATEIO.http.0.0.txt"],
            &["OMG_USDT"],
            20,
        ),
    ] {
        let frames = fixtures_frames(files);
        let config = LiveConfig::new(venue, symbols.iter().map(|s| (*s).to_owned()).collect());
        let (first, second) = (pass(&frames), pass(&frames));
        let (mut live, mut tx) = Live::offline(&config, first.len() + second.len()).unwrap();
        let views = live.engine_mut().subscribe(1 << 12, SlowConsumer::KeepLatest);
        let steps = first.len() + second.len();
        for input in first.into_iter().chain(second) {
            tx.try_send(input).unwrap();
        }
        let first_steps = steps / 2;
        for _ in 0..first_steps {
            live.step().unwrap();
            views.try_iter().for_each(drop);
        }
        let published_before = live.engine().counters().published;

        let region = Region::new(GLOBAL);
        let mut seen = 0;
        for _ in first_steps..steps {
            live.step().unwrap();
            for update in views.try_iter() {
                if let Update::Book(view) = update {
                    seen += view.generation;
                }
            }
        }
        let stats = region.change();

        let published = live.engine().counters().published - published_before;
        assert!(published > min_views && seen > 0, "{venue}: {published} views on the second pass");
        assert_eq!(live.engine().counters().gaps, 0, "{venue}");
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{venue}: {} allocations and {} reallocations over {} steps",
            stats.allocations,
            stats.reallocations,
            steps - first_steps
        );
    }
}
