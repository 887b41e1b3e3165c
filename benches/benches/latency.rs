//! Frame in to consumer-visible view, over a real capture: the engine on one thread stamps each
//! frame as it enters `ingest`, a consumer thread busy-polling its channel stamps each view as it
//! arrives. One frame is in flight at a time, so the figure is the pipeline's own latency
//! (decode, sync, apply, publish, cross-core hand-over), not queueing. Results go to an HDR
//! histogram; percentiles are printed, written to `target/depthbook-bench/latency.json` (for
//! `bench-report`) and the distribution is drawn to `target/depthbook-bench/latency.svg`.
//!
//! Run: `cargo bench -p depthbook-benches --bench latency`.

// A bench whose setup fails has nothing to measure: it stops with the reason.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use depthbook_benches::{capture_frames, report_dir};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer, Update};
use depthbook_venues::{Frame, Venue};
use hdrhistogram::Histogram;
use plotters::prelude::*;

const CAPTURE: &str = "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz";
const PASSES: usize = 3;

fn main() {
    let (frames, _) = capture_frames(CAPTURE);
    let start = Instant::now();
    let now_ns = move || start.elapsed().as_nanos() as i64;

    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceUsdm));
    let views = engine.subscribe(1 << 10, SlowConsumer::KeepLatest);
    let seen = Arc::new(AtomicU64::new(0));
    let consumer_seen = Arc::clone(&seen);
    let consumer = std::thread::spawn(move || {
        let mut histogram =
            Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("histogram bounds");
        loop {
            match views.try_recv() {
                Ok(Update::Book(view)) => {
                    let latency = now_ns() - view.recv_ns;
                    let _ = histogram.record(latency.max(1) as u64);
                    consumer_seen.fetch_add(1, Ordering::Release);
                }
                Ok(Update::Status(_)) => {}
                Err(crossbeam_channel::TryRecvError::Empty) => std::hint::spin_loop(),
                Err(crossbeam_channel::TryRecvError::Disconnected) => return histogram,
            }
        }
    });

    let mut ingest =
        Histogram::<u64>::new_with_bounds(1, 10_000_000_000, 3).expect("histogram bounds");
    let mut published = 0u64;
    for pass in 0..PASSES {
        if pass > 0 {
            // Rebuild every book from the capture's own snapshot on each pass.
            engine.disconnect();
        }
        for recorded in &frames {
            let frame = match &recorded.url {
                Some(url) => Frame::rest(&recorded.bytes, Some(url)),
                None => Frame::stream(&recorded.bytes),
            };
            let t0 = now_ns();
            engine.ingest(&frame, t0);
            let t1 = now_ns();
            let now_published = engine.counters().published;
            if now_published > published {
                let _ = ingest.record((t1 - t0).max(1) as u64);
                published = now_published;
                // One frame in flight: wait until the consumer has seen this view.
                while seen.load(Ordering::Acquire) < published {
                    std::hint::spin_loop();
                }
            }
        }
    }
    drop(engine);
    let histogram = consumer.join().expect("consumer thread");

    println!("latency over {CAPTURE}, {PASSES} passes, {} views", histogram.len());
    println!("{:<28} {:>8} {:>8} {:>8} {:>8} {:>8}", "ns", "p50", "p90", "p99", "p99.9", "max");
    for (name, h) in [("ingest (decode..publish)", &ingest), ("frame in -> view out", &histogram)] {
        println!(
            "{name:<28} {:>8} {:>8} {:>8} {:>8} {:>8}",
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max()
        );
    }
    let percentiles = |h: &Histogram<u64>| {
        serde_json::json!({
            "p50": h.value_at_quantile(0.5),
            "p90": h.value_at_quantile(0.9),
            "p99": h.value_at_quantile(0.99),
            "p999": h.value_at_quantile(0.999),
            "max": h.max(),
        })
    };
    let figures = serde_json::json!({
        "capture": CAPTURE,
        "passes": PASSES,
        "views": histogram.len(),
        "ingest": percentiles(&ingest),
        "frame_to_view": percentiles(&histogram),
    });
    let json = report_dir().join("latency.json");
    if let Err(e) = std::fs::write(&json, figures.to_string()) {
        eprintln!("could not write {}: {e}", json.display());
    }
    let path = report_dir().join("latency.svg");
    if let Err(e) =
        plot(&path, &[("ingest (decode..publish)", &ingest), ("frame in -> view out", &histogram)])
    {
        eprintln!("could not draw {}: {e}", path.display());
    } else {
        println!("plot: {}", path.display());
    }
}

/// Latency against percentile (log scale of 1/(1-q)), one line per histogram.
fn plot(
    path: &std::path::Path,
    series: &[(&str, &Histogram<u64>)],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = series.iter().map(|(_, h)| h.value_at_quantile(0.9999)).max().unwrap_or(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption("depthbook latency, Binance USD-M capture (ns)", ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..4f64, 0f64..max * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("percentile (0 = p0, 1 = p90, 2 = p99, 3 = p99.9, 4 = p99.99)")
        .y_desc("ns")
        .draw()?;
    for (i, (name, h)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points: Vec<(f64, f64)> = (0..=400)
            .map(|k| {
                let x = f64::from(k) / 100.0;
                let q = 1.0 - 10f64.powf(-x);
                (x, h.value_at_quantile(q.min(0.9999)) as f64)
            })
            .collect();
        chart
            .draw_series(LineSeries::new(points, &color))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
