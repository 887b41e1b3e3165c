//! Cost per message as the engine grows: 1 to 1,000 OKX books of 400 levels a side and 1 to
//! 5,000 of 50 (`books` updates near the touch, round-robin across the instruments, every
//! checksum verified), and 100 to 100 000 levels per side (near-touch updates on a deep book).
//! Each point is the best of several timed passes; the sweep is printed with each point's heap
//! per level and count of Live books, written to `target/depthbook-bench/scaling.json` (for
//! `bench-report`) and drawn to `target/depthbook-bench/scaling.svg`.
//!
//! Run: `cargo bench -p depthbook-benches --bench scaling`.
//!
//! With `DEPTHBOOK_SCALING_HUGE_PAGES=1` it runs the 400-level sweep alone and writes
//! `scaling_huge_pages.json`: `benches/run` runs it so with glibc's heap on transparent huge
//! pages (`GLIBC_TUNABLES=glibc.malloc.hugetlb=1`), the deployment a process holding thousands
//! of books should use, and the report shows both.

use std::time::Instant;

use depthbook_benches::{Workload, report_dir};
use depthbook_core::{Book, LevelText, NumText, Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer};
use depthbook_testkit::synthetic::OkxShape;
use depthbook_venues::{Frame, Venue};
use plotters::prelude::*;

const PASSES: usize = 3;

/// Update messages per point, whatever the number of instruments.
const UPDATES: usize = 100_000;

/// One point of the instruments sweep.
struct BooksPoint {
    instruments: usize,
    ns_per_message: f64,
    heap_bytes: usize,
    heap_per_level: f64,
    live: usize,
    // Bytes of the process's anonymous memory on huge pages with the books in memory (Linux's
    // `AnonHugePages`; 0 where it cannot be read).
    huge_page_bytes: u64,
}

/// ns per update message with `n` OKX books of `levels` a side, messages round-robin across
/// them; also the engine's heap per level held and how many books ended Live.
fn okx_books(n: usize, levels: usize) -> BooksPoint {
    let stream =
        OkxShape { instruments: n, levels, updates: UPDATES, changes_per_update: 4, seed: 7 }
            .generate();
    let mut best = f64::MAX;
    let (mut heap_bytes, mut heap_per_level, mut live, mut huge_page_bytes) = (0, f64::NAN, 0, 0);
    for _ in 0..PASSES {
        let mut config = EngineConfig::new(Venue::Okx);
        config.max_instruments = n + 1;
        let mut engine = Engine::new(config);
        let views = engine.subscribe(1 << 12, SlowConsumer::KeepLatest);
        for snapshot in &stream.snapshots {
            engine.ingest(&Frame::stream(snapshot), 0);
            views.try_iter().for_each(drop);
        }
        let t = Instant::now();
        for (k, frame) in stream.updates.iter().enumerate() {
            engine.ingest(&Frame::stream(frame), 0);
            // A consumer keeping up, as a strategy would (drained every 64 messages).
            if k % 64 == 0 {
                views.try_iter().for_each(drop);
            }
        }
        best = best.min(t.elapsed().as_nanos() as f64 / stream.updates.len() as f64);
        let held: usize = (0..n).filter_map(|id| engine.book(id as u32)).map(Book::len).sum();
        heap_bytes = engine.heap_bytes();
        heap_per_level = heap_bytes as f64 / held.max(1) as f64;
        live = (0..n).filter(|&id| engine.state(id as u32).is_some_and(|s| s.is_live())).count();
        huge_page_bytes = anon_huge_page_bytes();
    }
    BooksPoint {
        instruments: n,
        ns_per_message: best,
        heap_bytes,
        heap_per_level,
        live,
        huge_page_bytes,
    }
}

/// The process's anonymous memory on transparent huge pages (`AnonHugePages` of
/// `/proc/self/smaps_rollup`), 0 where that cannot be read: whether a huge-page setting took.
fn anon_huge_page_bytes() -> u64 {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("AnonHugePages:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The 400-level sweep alone, printed and written to `scaling_huge_pages.json` (see the module
/// docs): the environment, not this program, puts the heap on huge pages.
fn huge_pages_only(points: &[BooksPoint]) {
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    println!("OKX books, 400 levels a side, GLIBC_TUNABLES={tunables}");
    for p in points {
        println!("{:<12} {:>14.1} ns per message", p.instruments, p.ns_per_message);
    }
    let figures = serde_json::json!({
        "glibc_tunables": tunables,
        "huge_page_bytes": points.last().map_or(0, |p| p.huge_page_bytes),
        "instruments": points.iter().map(|p| [p.instruments as f64, p.ns_per_message]).collect::<Vec<_>>(),
    });
    let json = report_dir().join("scaling_huge_pages.json");
    if let Err(e) = std::fs::write(&json, figures.to_string()) {
        eprintln!("could not write {}: {e}", json.display());
    }
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
    // Updates reach 100 ticks from the mid, within the smallest book swept, so every point
    // applies the same mix (mostly new sizes for held levels) and only the depth differs.
    // Reaching past a book's edge (200 ticks on the 100-level book, as this sweep did) applies
    // another mix, levels made and removed beyond it on branches that do not predict: 14.7 ns
    // an update there against 11.2 within, for about as many instructions (callgrind).
    let changes =
        Workload { events: 50_000, max_distance: 100, ..Workload::BINANCE_LIKE }.generate(9);
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
    let sweep = |levels: usize, counts: &[usize]| -> Vec<BooksPoint> {
        counts.iter().map(|&n| okx_books(n, levels)).collect()
    };
    let books_400 = sweep(400, &[1, 10, 100, 1_000]);
    if std::env::var_os("DEPTHBOOK_SCALING_HUGE_PAGES").is_some() {
        huge_pages_only(&books_400);
        return;
    }
    let books_50 = sweep(50, &[1, 10, 100, 1_000, 5_000]);
    let levels: Vec<(f64, f64)> = [100i64, 1_000, 10_000, 100_000]
        .iter()
        .map(|&l| (l as f64, per_update_with_levels(l)))
        .collect();
    for (title, points) in [("400 levels a side", &books_400), ("50 levels a side", &books_50)] {
        println!("OKX books, {title}");
        println!(
            "{:<12} {:>14} {:>16} {:>8}",
            "instruments", "ns per message", "heap per level", "live"
        );
        for p in points {
            println!(
                "{:<12} {:>14.1} {:>16.1} {:>8}",
                p.instruments, p.ns_per_message, p.heap_per_level, p.live
            );
        }
    }
    println!("{:<12} {:>18}", "levels/side", "ns per level update");
    for (l, ns) in &levels {
        println!("{l:<12} {ns:>18.1}");
    }
    // Each point: [instruments, ns per message, heap bytes per level, books Live, heap bytes].
    let json_points = |points: &[BooksPoint]| -> Vec<[f64; 5]> {
        points
            .iter()
            .map(|p| {
                [
                    p.instruments as f64,
                    p.ns_per_message,
                    p.heap_per_level,
                    p.live as f64,
                    p.heap_bytes as f64,
                ]
            })
            .collect()
    };
    let figures = serde_json::json!({
        "instruments": json_points(&books_400),
        "instruments_50": json_points(&books_50),
        "levels": levels,
    });
    let json = report_dir().join("scaling.json");
    if let Err(e) = std::fs::write(&json, figures.to_string()) {
        eprintln!("could not write {}: {e}", json.display());
    }
    let xy = |points: &[BooksPoint]| -> Vec<(f64, f64)> {
        points.iter().map(|p| (p.instruments as f64, p.ns_per_message)).collect()
    };
    let path = report_dir().join("scaling.svg");
    match plot(
        &path,
        &[("400 levels a side", xy(&books_400)), ("50 levels a side", xy(&books_50))],
        &levels,
    ) {
        Ok(()) => println!("plot: {}", path.display()),
        Err(e) => eprintln!("could not draw {}: {e}", path.display()),
    }
}

/// Draws the instruments sweeps (one line each, labelled) beside the depth sweep.
fn plot(
    path: &std::path::Path,
    sweeps: &[(&str, Vec<(f64, f64)>)],
    levels: &[(f64, f64)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (1000, 420)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(500);
    let depth = [("near-touch updates", levels.to_vec())];
    for (area, title, x_desc, y_desc, series) in [
        (
            &left,
            "OKX books: cost per message vs instruments",
            "instruments (log10)",
            "ns per message",
            sweeps,
        ),
        (
            &right,
            "cost per level update vs book depth",
            "levels per side (log10)",
            "ns per level update",
            &depth[..],
        ),
    ] {
        let max = series.iter().flat_map(|s| &s.1).map(|p| p.1).fold(0.0, f64::max) * 1.3;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.2f64..5.2f64, 0f64..max.max(1.0))?;
        chart.configure_mesh().x_desc(x_desc).y_desc(y_desc).draw()?;
        for (k, (label, points)) in series.iter().enumerate() {
            let color = Palette99::pick(k).to_rgba();
            let log_points: Vec<(f64, f64)> = points.iter().map(|(x, y)| (x.log10(), *y)).collect();
            chart
                .draw_series(LineSeries::new(log_points.clone(), color))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            chart.draw_series(log_points.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
        }
        chart.configure_series_labels().background_style(WHITE).border_style(BLACK).draw()?;
    }
    root.present()?;
    Ok(())
}
