//! Cost per message as the engine grows: 1 to 1000 instruments (frames round-robin across
//! them), and 100 to 100 000 levels per side (near-touch updates on a deep book). Each point is
//! the best of several timed passes; the sweep is printed, written to
//! `target/depthbook-bench/scaling.json` (for `bench-report`) and drawn to
//! `target/depthbook-bench/scaling.svg`.
//!
//! Run: `cargo bench -p depthbook-benches --bench scaling`.

use std::time::Instant;

use depthbook_benches::{Workload, binance_frames_for, report_dir};
use depthbook_core::{Book, LevelText, NumText, Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_venues::{Frame, Venue};
use plotters::prelude::*;

const PASSES: usize = 5;

/// ns per frame with `n` instruments, frames interleaved across them.
fn per_frame_with_instruments(n: usize) -> f64 {
    let events_per_instrument = (20_000 / n).max(20);
    let workload = Workload { events: events_per_instrument, ..Workload::BINANCE_LIKE };
    let mut streams = Vec::with_capacity(n);
    let mut snapshots = Vec::with_capacity(n);
    for i in 0..n {
        let symbol = format!("SYM{i}USDT");
        let changes = workload.generate(i as u64 + 1);
        let (frames, snapshot) =
            binance_frames_for(&symbol, &changes, workload.levels_per_event, 1_000);
        let url = format!("https://api.binance.com/api/v3/depth?symbol={symbol}");
        streams.push(frames);
        snapshots.push((snapshot, url));
    }
    let mut interleaved = Vec::with_capacity(n * events_per_instrument);
    for k in 0..events_per_instrument {
        for stream in &streams {
            if let Some(frame) = stream.get(k) {
                interleaved.push(frame.as_slice());
            }
        }
    }
    let mut best = f64::MAX;
    for _ in 0..PASSES {
        let mut config = EngineConfig::new(Venue::BinanceSpot);
        config.max_instruments = n + 1;
        let mut engine = Engine::new(config);
        let _views = engine.subscribe(1 << 12, SlowConsumer::KeepLatest);
        for (stream, (snapshot, url)) in streams.iter().zip(&snapshots) {
            engine.ingest(&Frame::stream(&stream[0]), 0);
            engine.ingest(&Frame::rest(snapshot, Some(url)), 0);
        }
        let t = Instant::now();
        for frame in &interleaved {
            engine.ingest(&Frame::stream(frame), 0);
        }
        best = best.min(t.elapsed().as_nanos() as f64 / interleaved.len() as f64);
    }
    best
}

/// ns per level update near the touch of a book holding `levels` per side.
fn per_update_with_levels(levels: i64) -> f64 {
    let text = LevelText::new(NumText::plain(2), NumText::plain(8));
    let one = Qty::from_scaled(1, 0).unwrap_or(Qty::ZERO);
    let mut book = Book::new(levels as usize * 2 + 10);
    let mid = 6_000_000;
    for d in 1..=levels {
        let _ = book.set(Side::Bid, Price::from_scaled(mid - d, 2), one, text);
        let _ = book.set(Side::Ask, Price::from_scaled(mid + d, 2), one, text);
    }
    let changes =
        Workload { events: 50_000, max_distance: 200, ..Workload::BINANCE_LIKE }.generate(9);
    let mut best = f64::MAX;
    for _ in 0..PASSES {
        let mut b = book.clone();
        let t = Instant::now();
        for ch in &changes {
            let _ = std::hint::black_box(b.set(ch.side, ch.price, ch.qty, ch.text));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / changes.len() as f64);
    }
    best
}

fn main() {
    let instruments: Vec<(f64, f64)> = [1usize, 10, 100, 1_000]
        .iter()
        .map(|&n| (n as f64, per_frame_with_instruments(n)))
        .collect();
    let levels: Vec<(f64, f64)> = [100i64, 1_000, 10_000, 100_000]
        .iter()
        .map(|&l| (l as f64, per_update_with_levels(l)))
        .collect();
    println!("{:<12} {:>14}", "instruments", "ns per frame");
    for (n, ns) in &instruments {
        println!("{n:<12} {ns:>14.1}");
    }
    println!("{:<12} {:>18}", "levels/side", "ns per level update");
    for (l, ns) in &levels {
        println!("{l:<12} {ns:>18.1}");
    }
    let figures = serde_json::json!({ "instruments": instruments, "levels": levels });
    let json = report_dir().join("scaling.json");
    if let Err(e) = std::fs::write(&json, figures.to_string()) {
        eprintln!("could not write {}: {e}", json.display());
    }
    let path = report_dir().join("scaling.svg");
    match plot(&path, &instruments, &levels) {
        Ok(()) => println!("plot: {}", path.display()),
        Err(e) => eprintln!("could not draw {}: {e}", path.display()),
    }
}

fn plot(
    path: &std::path::Path,
    instruments: &[(f64, f64)],
    levels: &[(f64, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);
    for (area, title, x_desc, y_desc, points) in [
        (
            &left,
            "cost per frame vs instruments",
            "instruments (log10)",
            "ns per frame",
            instruments,
        ),
        (
            &right,
            "cost per level update vs book depth",
            "levels per side (log10)",
            "ns per level update",
            levels,
        ),
    ] {
        let max = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.3;
        let log_points: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.log10(), *y)).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.2f64..5.2f64, 0f64..max.max(1.0))?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
        chart.draw_series(LineSeries::new(log_points.clone(), &BLUE))?;
        chart.draw_series(log_points.iter().map(|p| Circle::new(*p, 4, BLUE.filled())))?;
    }
    root.present()?;
    Ok(())
}
