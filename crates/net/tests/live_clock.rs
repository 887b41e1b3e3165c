//! `Live`'s timers run on the monotonic clock: driven over recorded inputs with a virtual
//! clock, a step of the wall clock (the receive times and tick times the network side stamps)
//! of an hour forwards or backwards changes no decision: no watchdog storm, no watchdog
//! silence. No socket, no sleep.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use bytes::Bytes;
use depthbook_net::input::Input;
use depthbook_net::policy::MonoClock;
use depthbook_net::{Live, LiveConfig};
use depthbook_testkit::fixtures_frames;
use depthbook_venues::Venue;

const MS: i64 = 1_000_000;
const HOUR: i64 = 3_600_000 * MS;

/// Replays the real Bybit capture (681 frames) through `Live` with the virtual clock advancing
/// 10 ms per frame and a tick every 100 ms, then 100 ticks of 100 ms without data; the wall
/// clock steps by `step` at input `step_at` (frames, then silent ticks, counted on). Returns,
/// per input, the watchdogs fired so far.
fn run(step_at: usize, step: i64) -> Vec<u64> {
    let frames = fixtures_frames(&["bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt"]);
    let mut config =
        LiveConfig::new(Venue::Bybit, vec!["BTCUSDT".to_owned(), "ETHUSDT".to_owned()]);
    config.book_watchdog = Some(Duration::from_secs(2));
    let (clock, hand) = MonoClock::virtual_clock();
    let (mut live, mut tx) = Live::offline_with_clock(&config, 1 << 16, clock).unwrap();
    let base = 1_786_310_819_000 * MS;
    let wall = |k: usize, mono: i64| base + mono + if k >= step_at { step } else { 0 };
    let mut fired = Vec::new();
    let mut feed = |input: Input, live: &mut Live, fired: &mut Vec<u64>| {
        tx.try_send(input).unwrap();
        live.step().unwrap();
        fired.push(live.net_counters().watchdog_fired);
    };
    feed(
        Input::Opened { conn: 1, url: "ws://test/".into(), recv_ns: wall(0, 0) },
        &mut live,
        &mut fired,
    );
    let mut mono = 0;
    for (k, (bytes, _)) in frames.iter().enumerate() {
        hand.advance(10 * MS);
        mono += 10 * MS;
        let frame = Input::Frame {
            conn: 1,
            bytes: Bytes::from(bytes.clone()),
            binary: false,
            recv_ns: wall(k, mono),
        };
        feed(frame, &mut live, &mut fired);
        if k % 10 == 0 {
            feed(Input::Tick { now_ns: wall(k, mono) }, &mut live, &mut fired);
        }
    }
    // The feed falls silent: both books' watchdogs are due 2 s later, once each.
    for i in 0..100 {
        hand.advance(100 * MS);
        mono += 100 * MS;
        feed(Input::Tick { now_ns: wall(frames.len() + i, mono) }, &mut live, &mut fired);
    }
    fired
}

#[test]
fn a_step_of_the_wall_clock_changes_no_decision_of_the_live_loop() {
    let plain = run(usize::MAX, 0);
    // Data flowed: no watchdog then; silence: one per book, 2 s (20 ticks) after the last data.
    let frames = plain.len() - 100;
    assert_eq!(plain[frames - 1], 0, "no watchdog while data flows");
    assert_eq!(*plain.last().unwrap(), 2, "one watchdog per silent book");
    let first = plain.iter().position(|&n| n > 0).unwrap();
    assert!((frames + 19..=frames + 21).contains(&first), "due 2 s after the silence: {first}");
    // The wall clock jumps an hour forward or back mid-stream, or during the silence (half a
    // second into it).
    for (step_at, step) in [(300, HOUR), (300, -HOUR), (686, HOUR), (686, -HOUR)] {
        assert_eq!(run(step_at, step), plain, "a step of {step} ns at frame {step_at}");
    }
}
