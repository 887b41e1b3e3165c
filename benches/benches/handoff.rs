//! Frame handed over by a network task to consumer-visible view, through the live loop's input
//! handoff, in both wait modes, with pinned threads.
//!
//! `Live::offline` runs the real loop (`Live::step`: handoff, engine, policy) on a thread pinned
//! to the last core. The first core's thread plays both the network task and the consumer: it
//! stamps a frame of a real capture, pushes it into the loop's ring, then spins on its view
//! channel until the view of that frame arrives (or the loop has taken the frame and published
//! nothing). One frame is in flight at a time, so each figure is the pipeline's own latency:
//! ring, wake-up (park mode), decode, sync, apply, publish, the cross-core trip back.
//!
//! - busy-poll: the loop spins on its rings; nobody makes a syscall.
//! - park: the loop spins briefly, then parks between frames (the producer waits for each view,
//!   so the loop is idle every time): each frame pays a futex wake.
//!
//! Writes `target/depthbook-bench/handoff.json` for `bench-report`.
//!
//! Run: `cargo bench -p depthbook-benches --bench handoff`.

// A bench whose setup fails has nothing to measure: it stops with the reason.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use depthbook_benches::{RecordedFrame, Workload, binance_frames_for, capture_frames, report_dir};
use depthbook_engine::{SlowConsumer, Update};
use depthbook_net::input::Input;
use depthbook_net::{Live, LiveConfig, WaitMode};
use depthbook_venues::Venue;
use hdrhistogram::Histogram;

const CAPTURE: &str = "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz";
const PASSES: usize = 3;

/// The idle gap before each frame in the idle runs: long enough for a parking loop to park.
const IDLE_GAP: std::time::Duration = std::time::Duration::from_micros(200);
/// Frames of each idle run (one pass: each frame waits `IDLE_GAP` first).
const IDLE_FRAMES: usize = 5_000;

fn main() {
    let (capture, _) = capture_frames(CAPTURE);
    // Small frames (9 level changes each): the ingest itself takes a few hundred ns, so the
    // figure is mostly the handoff's.
    let changes = Workload { events: 20_000, ..Workload::BINANCE_LIKE }.generate(7);
    let (small, snapshot) = binance_frames_for("BTCUSDT", &changes, 9, 1_000);
    let url = "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000".to_owned();
    let synthetic: Vec<RecordedFrame> =
        std::iter::once(RecordedFrame { bytes: snapshot, url: Some(url) })
            .chain(small.into_iter().map(|bytes| RecordedFrame { bytes, url: None }))
            .collect();
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let pins = match (cores.first(), cores.last()) {
        (Some(a), Some(b)) if a.id != b.id => Some((*a, *b)),
        _ => None,
    };
    let mut figures = serde_json::Map::new();
    figures.insert("capture".into(), CAPTURE.into());
    figures.insert("pinned".into(), pins.is_some().into());
    println!("handoff: frame pushed by the network side -> its view seen by a consumer");
    println!(
        "{:<34} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "ns", "views", "p50", "p90", "p99", "p99.9", "max"
    );
    let (usdm, spot) = (Venue::BinanceUsdm, Venue::BinanceSpot);
    let idle = &synthetic[..IDLE_FRAMES];
    let runs: [Run<'_>; 6] = [
        ("capture_busy_poll", usdm, &capture, WaitMode::BusyPoll, None),
        ("capture_park", usdm, &capture, WaitMode::Park, None),
        ("small_busy_poll", spot, &synthetic, WaitMode::BusyPoll, None),
        ("small_park", spot, &synthetic, WaitMode::Park, None),
        ("small_busy_poll_idle", spot, idle, WaitMode::BusyPoll, Some(IDLE_GAP)),
        ("small_park_idle", spot, idle, WaitMode::Park, Some(IDLE_GAP)),
    ];
    for (name, venue, frames, mode, gap) in runs {
        let passes = if gap.is_some() { 1 } else { PASSES };
        let h = measure(venue, frames, mode, gap, passes, pins);
        println!(
            "{name:<34} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
            h.len(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max()
        );
        figures.insert(
            name.into(),
            serde_json::json!({
                "views": h.len(),
                "p50": h.value_at_quantile(0.5),
                "p90": h.value_at_quantile(0.9),
                "p99": h.value_at_quantile(0.99),
                "p999": h.value_at_quantile(0.999),
                "max": h.max(),
            }),
        );
    }
    let json = report_dir().join("handoff.json");
    if let Err(e) = std::fs::write(&json, serde_json::Value::Object(figures).to_string()) {
        eprintln!("could not write {}: {e}", json.display());
    }
}

/// A run's name, venue, frames, wait mode and idle gap before each frame.
type Run<'a> = (&'static str, Venue, &'a [RecordedFrame], WaitMode, Option<std::time::Duration>);

/// One run: `passes` over `frames` through a fresh offline loop in `mode`, each frame after an
/// idle `gap` if one is given; the loop on the pair's second core, this thread on the first.
fn measure(
    venue: Venue,
    frames: &[RecordedFrame],
    mode: WaitMode,
    gap: Option<std::time::Duration>,
    passes: usize,
    pins: Option<(core_affinity::CoreId, core_affinity::CoreId)>,
) -> Histogram<u64> {
    let start = Instant::now();
    let now_ns = move || start.elapsed().as_nanos() as i64 + 1;
    let mut config = LiveConfig::new(venue, vec!["BTCUSDT".into()]);
    config.wait = mode;
    // No watchdog: between passes the book is idle for as long as the bench likes.
    config.book_watchdog = Some(std::time::Duration::ZERO);
    let (mut live, mut tx) = Live::offline(&config, 1024).expect("an offline loop");
    let views = live.engine_mut().subscribe(1 << 12, SlowConsumer::KeepLatest);
    let taken = Arc::new(AtomicU64::new(0));
    let loop_taken = Arc::clone(&taken);
    let ingest = std::thread::spawn(move || {
        if let Some((_, core)) = pins {
            core_affinity::set_for_current(core);
        }
        while live.step().is_some() {
            loop_taken.fetch_add(1, Ordering::Release);
        }
    });
    if let Some((core, _)) = pins {
        core_affinity::set_for_current(core);
    }
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("histogram bounds");
    let payloads: Vec<(Bytes, Option<String>)> =
        frames.iter().map(|f| (Bytes::from(f.bytes.clone()), f.url.clone())).collect();
    let mut sent = 0u64;
    for pass in 0..passes {
        for (i, (bytes, url)) in payloads.iter().enumerate() {
            if let Some(gap) = gap {
                // Spin through the gap: this thread's own sleep would add its wake-up.
                let until = Instant::now() + gap;
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            }
            let t0 = now_ns();
            let input = match url {
                Some(url) => Input::Rest { url: url.clone(), body: bytes.clone(), recv_ns: t0 },
                None => Input::Frame { conn: 0, bytes: bytes.clone(), binary: false, recv_ns: t0 },
            };
            if pass > 0 && i == 0 {
                // Each pass starts from the capture's snapshot: a reconnect first.
                let closed = Input::Closed { conn: 0, reason: "next pass".into(), recv_ns: t0 };
                push(&mut tx, closed);
                sent += 1;
            }
            push(&mut tx, input);
            sent += 1;
            // Wait for this frame's view, or for the loop to have taken it and published none.
            loop {
                match views.try_recv() {
                    Ok(Update::Book(view)) => {
                        if view.recv_ns == t0 {
                            let _ = histogram.record((now_ns() - t0).max(1) as u64);
                            break;
                        }
                    }
                    Ok(Update::Status(_)) => {}
                    Err(_) if taken.load(Ordering::Acquire) >= sent && views.is_empty() => break,
                    Err(_) => std::hint::spin_loop(),
                }
            }
        }
    }
    drop(tx);
    ingest.join().expect("the ingest thread");
    histogram
}

/// Pushes one input, spinning while the ring is full (it never is: one frame in flight).
fn push(tx: &mut depthbook_net::InputSender, input: Input) {
    let mut input = input;
    while let Err(back) = tx.try_send(input) {
        input = back;
        std::hint::spin_loop();
    }
}
