//! Turns one run of the bench suite into the performance table: every target of the
//! performance issue with its measured figure and its ratio to each peer measured in the same
//! run, as Markdown on stdout.
//!
//! Reads criterion's medians from `target/criterion` (this workspace's benches) and
//! `target/peers/criterion` (the peers workspace under `benches/peers`), and the figures the
//! `latency` and `scaling` programs wrote to `target/depthbook-bench/`. `benches/run` runs the
//! whole suite and then this.

// A report with a missing input has nothing to say: it stops with the reason.
#![allow(clippy::expect_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// One criterion benchmark: its median and what one iteration processes.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    median_ns: f64,
    bytes: Option<f64>,
    elements: Option<f64>,
}

impl Estimate {
    fn mb_per_s(&self) -> Option<f64> {
        self.bytes.map(|b| b / self.median_ns * 1e3)
    }
    fn ns_per_element(&self) -> Option<f64> {
        self.elements.map(|e| self.median_ns / e)
    }
    fn per_s(&self) -> Option<f64> {
        self.elements.map(|e| e / self.median_ns * 1e9)
    }
}

/// Every `new/benchmark.json` under `root`, by criterion's full id (`group/function`).
fn load(root: &Path) -> BTreeMap<String, Estimate> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let is_new = path.parent().and_then(Path::file_name).is_some_and(|n| n == "new");
            if !is_new || path.file_name().is_none_or(|n| n != "benchmark.json") {
                continue;
            }
            let Some(benchmark) = read_json(&path) else { continue };
            let Some(estimates) = read_json(&path.with_file_name("estimates.json")) else {
                continue;
            };
            let Some(id) = benchmark["full_id"].as_str() else { continue };
            let Some(median_ns) = estimates["median"]["point_estimate"].as_f64() else {
                continue;
            };
            let throughput = &benchmark["throughput"];
            out.insert(
                id.to_owned(),
                Estimate {
                    median_ns,
                    bytes: throughput["Bytes"].as_f64(),
                    elements: throughput["Elements"].as_f64(),
                },
            );
        }
    }
    out
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

struct Report {
    main: BTreeMap<String, Estimate>,
    peers: BTreeMap<String, Estimate>,
    out: String,
}

impl Report {
    fn get(&self, peers: bool, id: &str) -> Estimate {
        let set = if peers { &self.peers } else { &self.main };
        *set.get(id).unwrap_or_else(|| {
            let run = if peers { "benches/peers" } else { "the main suite" };
            panic!("no median for `{id}`: run {run} first (benches/run does both)")
        })
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn main() {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    let mut r = Report {
        main: load(&target.join("criterion")),
        peers: load(&target.join("peers/criterion")),
        out: String::new(),
    };
    let figures = target.join("depthbook-bench");
    let latency = read_json(&figures.join("latency.json"))
        .expect("target/depthbook-bench/latency.json: run `cargo bench --bench latency`");
    let scaling = read_json(&figures.join("scaling.json"))
        .expect("target/depthbook-bench/scaling.json: run `cargo bench --bench scaling`");
    let huge_pages = read_json(&figures.join("scaling_huge_pages.json")).expect(
        "target/depthbook-bench/scaling_huge_pages.json: run the scaling bench with \
         DEPTHBOOK_SCALING_HUGE_PAGES=1 (benches/run)",
    );
    let handoff = read_json(&figures.join("handoff.json"))
        .expect("target/depthbook-bench/handoff.json: run `cargo bench --bench handoff`");
    let whole = read_json(&figures.join("whole_process.json"))
        .expect("target/depthbook-bench/whole_process.json: run `whole-process` (benches/run)");
    let bus = read_json(&figures.join("bus.json"))
        .expect("target/depthbook-bench/bus.json: run `bus` (benches/run)");

    // Book apply, side by side (peers run).
    let ours = r.get(true, "peers_book_apply/depthbook_book");
    let ours_ns = ours.ns_per_element().expect("elements");
    let hft = r.get(true, "peers_book_apply/hftbacktest_hashmap_depth");
    let hft_ratio = hft.median_ns / ours.median_ns;
    // End to end (main run: against simd-json's tape alone and the serde baselines).
    let engine = r.get(false, "ingest_binance_stream/depthbook_engine");
    let tape = r.get(false, "ingest_binance_stream/simd_json_tape_parse_only");
    let tape_ratio = tape.median_ns / engine.median_ns;
    // End to end against the peers (peers run).
    let peer_engine = r.get(true, "peers_parse_apply_binance/depthbook_engine");
    let fastest_peer = ["serde_json_hftbacktest_hashmap", "serde_json_nautilus_from_str"]
        .iter()
        .map(|id| r.get(true, &format!("peers_parse_apply_binance/{id}")))
        .fold(f64::MAX, |best, e| best.min(e.median_ns));
    let peer_ratio = fastest_peer / peer_engine.median_ns;
    let okx = r.get(false, "checksum/okx_25_levels").median_ns;
    let kraken = r.get(false, "checksum/kraken_10_levels").median_ns;
    let f2v = &latency["frame_to_view"];
    let p = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let spread_of = |figures: &Value, key: &str| {
        let points: Vec<f64> = figures[key]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p[1].as_f64()).collect())
            .unwrap_or_default();
        let base = points.first().copied().unwrap_or(f64::NAN);
        let worst = points.iter().map(|v| (v / base - 1.0).abs()).fold(0.0, f64::max);
        // No figures is no verdict.
        let spread = if points.is_empty() { f64::NAN } else { worst * 100.0 };
        (points, spread)
    };
    let spread = |key: &str| spread_of(&scaling, key);
    let (huge_points, huge_spread) = spread_of(&huge_pages, "instruments");
    let tunables = huge_pages["glibc_tunables"].as_str().unwrap_or("").to_owned();
    let huge_mb = huge_pages["huge_page_bytes"].as_f64().unwrap_or(0.0) / 1e6;
    let (inst_points, inst_spread) = spread("instruments");
    let (inst50_points, inst50_spread) = spread("instruments_50");
    // The largest point of the 400-level sweep: [instruments, ns, heap per level, Live, heap].
    let largest = scaling["instruments"].as_array().and_then(|a| a.last()).cloned();
    let at = |i: usize| largest.as_ref().and_then(|p| p[i].as_f64()).unwrap_or(f64::NAN);
    let (books, per_level, live, heap_mb) = (at(0), at(2), at(3), at(4) / 1e6);
    let (level_points, level_spread) = spread("levels");
    let top_read_ns = r.get(false, "readers/top_read").median_ns;
    let join = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(" / ");

    let seconds = |name: &str| whole["seconds"][name].as_f64().unwrap_or(f64::NAN);
    let whole_ratio = whole["ratio_to_fastest_peer"].as_f64().unwrap_or(f64::NAN);

    r.line("| target | goal | measured (same run) | verdict |");
    r.line("| --- | --- | --- | --- |");
    let rows = [
        (
            "book apply, ns per level update (unbounded prices)",
            "≤ 15 ns".to_owned(),
            format!("{ours_ns:.1} ns"),
            ours_ns <= 15.0,
        ),
        (
            "book apply vs hftbacktest `HashMapMarketDepth`",
            "≥ 3.5×".to_owned(),
            format!("{hft_ratio:.2}× ({:.1} ns)", hft.ns_per_element().unwrap_or(f64::NAN)),
            hft_ratio >= 3.5,
        ),
        (
            "ingest (decode+sync+apply+publish) vs simd-json tape parse only",
            "≥ 1.0×".to_owned(),
            format!(
                "{tape_ratio:.2}× ({:.0} vs {:.0} MB/s)",
                engine.mb_per_s().unwrap_or(f64::NAN),
                tape.mb_per_s().unwrap_or(f64::NAN)
            ),
            tape_ratio >= 1.0,
        ),
        (
            "ingest vs the fastest peer's parse + apply",
            "≥ 2×".to_owned(),
            format!("{peer_ratio:.2}×"),
            peer_ratio >= 2.0,
        ),
        (
            "whole process: `depthbook replay --emit none` of a 200k-event Binance stream vs sonic-rs + `BTreeMap`",
            "≥ 2×".to_owned(),
            format!(
                "{whole_ratio:.2}× ({:.0} ms vs {:.0} ms `f64`, {:.0} ms decimal; medians of {})",
                seconds("depthbook") * 1e3,
                seconds("sonic_btreemap_f64") * 1e3,
                seconds("sonic_btreemap_decimal") * 1e3,
                whole["runs"],
            ),
            whole_ratio >= 2.0,
        ),
        (
            "books on NATS JetStream vs each update as JSON, same engine and server: updates/s end to end",
            "≥ 1× JSON's".to_owned(),
            format!(
                "{:.0} vs {:.0} updates/s ({:.2}×)",
                p(&bus["depthbook"], "updates_per_s"),
                p(&bus["json"], "updates_per_s"),
                p(&bus["depthbook"], "updates_per_s") / p(&bus["json"], "updates_per_s")
            ),
            p(&bus["depthbook"], "updates_per_s") >= p(&bus["json"], "updates_per_s"),
        ),
        (
            "bus: bytes a message, depthbook vs JSON",
            "smaller".to_owned(),
            format!(
                "{:.0} vs {:.0} bytes",
                p(&bus["depthbook"], "bytes_per_message"),
                p(&bus["json"], "bytes_per_message")
            ),
            p(&bus["depthbook"], "bytes_per_message") < p(&bus["json"], "bytes_per_message"),
        ),
        (
            "bus: frame in → remote view at 5,000 updates/s, p50 / p99 (depthbook; JSON)",
            "p99 ≤ JSON's".to_owned(),
            format!(
                "{:.0} / {:.0} µs; {:.0} / {:.0} µs",
                p(&bus["depthbook"], "p50_ns") / 1e3,
                p(&bus["depthbook"], "p99_ns") / 1e3,
                p(&bus["json"], "p50_ns") / 1e3,
                p(&bus["json"], "p99_ns") / 1e3
            ),
            p(&bus["depthbook"], "p99_ns") <= p(&bus["json"], "p99_ns"),
        ),
        (
            "OKX checksum, 25 levels a side",
            "≤ 300 ns".to_owned(),
            format!("{okx:.0} ns"),
            okx <= 300.0,
        ),
        (
            "Kraken checksum, 10 levels a side",
            "≤ 300 ns".to_owned(),
            format!("{kraken:.0} ns"),
            kraken <= 300.0,
        ),
        (
            "frame in → consumer-visible view, p50 / p99 / p99.9",
            "p99 ≤ 2 µs".to_owned(),
            format!("{:.0} / {:.0} / {:.0} ns", p(f2v, "p50"), p(f2v, "p99"), p(f2v, "p999")),
            p(f2v, "p99") <= 2_000.0,
        ),
        (
            "frame handed to the live loop → view, busy-poll, pinned, small frames back to back, p50 / p99 / p99.9",
            "p99 ≤ 2 µs".to_owned(),
            format!(
                "{:.0} / {:.0} / {:.0} ns",
                p(&handoff["small_busy_poll"], "p50"),
                p(&handoff["small_busy_poll"], "p99"),
                p(&handoff["small_busy_poll"], "p999")
            ),
            p(&handoff["small_busy_poll"], "p99") <= 2_000.0,
        ),
        (
            "ns per OKX message, 1 / 10 / 100 / 1000 books of 400 levels a side",
            "flat ±20%".to_owned(),
            format!("{} ns (±{inst_spread:.0}%)", join(&inst_points)),
            inst_spread <= 20.0,
        ),
        (
            "the same, the heap on transparent huge pages (a deployment option, not the goal's run)",
            "flat ±20%".to_owned(),
            format!(
                "{} ns (±{huge_spread:.0}%), `GLIBC_TUNABLES={tunables}`, {huge_mb:.1} MB on huge \
                 pages at 1,000 books",
                join(&huge_points)
            ),
            huge_spread <= 20.0 && huge_mb > 0.0,
        ),
        (
            "ns per OKX message, 1 / 10 / 100 / 1000 / 5000 books of 50 levels a side",
            "flat ±20%".to_owned(),
            format!("{} ns (±{inst50_spread:.0}%)", join(&inst50_points)),
            inst50_spread <= 20.0,
        ),
        (
            "heap, 1,000 OKX books of 400 levels a side (engine's count)",
            "≤ 100 MB, all Live".to_owned(),
            format!("{heap_mb:.1} MB ({per_level:.0} bytes a level), {live:.0} of {books:.0} Live"),
            heap_mb <= 100.0 && live == books,
        ),
        (
            "ns per update, 100 / 1k / 10k / 100k levels a side",
            "flat ±20%".to_owned(),
            format!("{} ns (±{level_spread:.0}%)", join(&level_points)),
            level_spread <= 20.0,
        ),
        (
            "latest-value reader (top of book, no write overlapping)",
            "≤ 20 ns".to_owned(),
            format!("{top_read_ns:.0} ns"),
            top_read_ns <= 20.0,
        ),
    ];
    for (what, goal, measured, met) in rows {
        r.line(&format!("| {what} | {goal} | {measured} | {} |", verdict(met)));
    }
    r.line(
        "| heap allocations per frame, second pass over real captures | 0 | 0 (pass/fail tests: `steady_state_alloc`, every venue; `steady_state_live`, through `Live::step`) | met |",
    );
    r.line("");

    r.line("Book apply, side by side (`benches/peers`, `peers_book_apply`):");
    r.line("");
    r.line("| book | ns per level update | ratio to depthbook |");
    r.line("| --- | ---: | ---: |");
    for (name, id) in [
        ("depthbook `Book`", "depthbook_book"),
        ("hftbacktest `HashMapMarketDepth`", "hftbacktest_hashmap_depth"),
        ("plain `BTreeMap<i64, i64>`", "btreemap_i64"),
        ("hftbacktest `BTreeMarketDepth`", "hftbacktest_btree_depth"),
        ("nautilus-model `OrderBook` (L2_MBP)", "nautilus_orderbook_l2"),
    ] {
        let e = r.get(true, &format!("peers_book_apply/{id}"));
        let ns = e.ns_per_element().unwrap_or(f64::NAN);
        r.line(&format!("| {name} | {ns:.1} | {:.2}× |", e.median_ns / ours.median_ns));
    }
    r.line("");

    r.line("Parse + apply of Binance frames (`benches/peers`, `peers_parse_apply_binance`, and the main suite's `ingest_binance_stream`):");
    r.line("");
    r.line("| path | MB/s | ratio to depthbook |");
    r.line("| --- | ---: | ---: |");
    for (name, peers, id, base) in [
        (
            "depthbook engine (peers run)",
            true,
            "peers_parse_apply_binance/depthbook_engine",
            peer_engine,
        ),
        (
            "serde_json + hftbacktest `HashMapMarketDepth`",
            true,
            "peers_parse_apply_binance/serde_json_hftbacktest_hashmap",
            peer_engine,
        ),
        (
            "serde_json + nautilus-model from `&str`",
            true,
            "peers_parse_apply_binance/serde_json_nautilus_from_str",
            peer_engine,
        ),
        ("depthbook engine (main run)", false, "ingest_binance_stream/depthbook_engine", engine),
        (
            "simd-json tape parse only",
            false,
            "ingest_binance_stream/simd_json_tape_parse_only",
            engine,
        ),
        ("serde_json + `BTreeMap`", false, "ingest_binance_stream/serde_json_btreemap", engine),
        (
            "simd-json serde + `BTreeMap`",
            false,
            "ingest_binance_stream/simd_json_serde_btreemap",
            engine,
        ),
    ] {
        let e = r.get(peers, id);
        let speed = base.median_ns / e.median_ns;
        r.line(&format!(
            "| {name} | {:.0} | {} |",
            e.mb_per_s().unwrap_or(f64::NAN),
            if (speed - 1.0).abs() < 1e-9 {
                "1.00×".to_owned()
            } else {
                format!("{:.2}× slower", 1.0 / speed)
            }
        ));
    }
    r.line("");

    r.line("Book variants, reads, decode and replay (main suite):");
    r.line("");
    r.line("| bench | median | rate |");
    r.line("| --- | ---: | ---: |");
    let ids: Vec<String> = r
        .main
        .keys()
        .filter(|k| {
            ["book_apply/", "book_read/", "decode/", "replay/"].iter().any(|p| k.starts_with(p))
        })
        .cloned()
        .collect();
    for id in ids {
        let e = r.get(false, &id);
        let rate = match (e.mb_per_s(), e.ns_per_element(), id.starts_with("replay/")) {
            (Some(mb), _, _) => format!("{mb:.0} MB/s"),
            (None, Some(_), true) => format!("{:.0} frames/s", e.per_s().unwrap_or(f64::NAN)),
            (None, Some(ns), false) => format!("{ns:.1} ns per update"),
            (None, None, _) => String::new(),
        };
        let mut median = String::new();
        let _ = if e.median_ns >= 1e6 {
            write!(median, "{:.2} ms", e.median_ns / 1e6)
        } else if e.median_ns >= 1e3 {
            write!(median, "{:.2} µs", e.median_ns / 1e3)
        } else {
            write!(median, "{:.1} ns", e.median_ns)
        };
        r.line(&format!("| `{id}` | {median} | {rate} |"));
    }
    r.line("");
    let ingest = &latency["ingest"];
    r.line(&format!(
        "Latency over `{}` ({} views): ingest alone p50 {:.0} / p99 {:.0} / p99.9 {:.0} ns; frame in → view out p50 {:.0} / p90 {:.0} / p99 {:.0} / p99.9 {:.0} / max {:.0} ns.",
        latency["capture"].as_str().unwrap_or("?"),
        latency["views"],
        p(ingest, "p50"),
        p(ingest, "p99"),
        p(ingest, "p999"),
        p(f2v, "p50"),
        p(f2v, "p90"),
        p(f2v, "p99"),
        p(f2v, "p999"),
        p(f2v, "max"),
    ));
    r.line("");
    r.line(&format!(
        "The live loop's handoff (`cargo bench --bench handoff`; loop and producer/consumer pinned to two cores: {}): a frame pushed into the loop's ring → its view seen by a consumer, one frame in flight. Small frames are the seeded Binance workload (9 changes a frame); idle runs wait 200 µs before each frame, so a parking loop has parked.",
        if handoff["pinned"].as_bool() == Some(true) { "yes" } else { "no" }
    ));
    r.line("");
    r.line("| run | views | p50 | p90 | p99 | p99.9 | max |");
    r.line("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (name, key) in [
        ("USD-M capture, busy-poll", "capture_busy_poll"),
        ("USD-M capture, park", "capture_park"),
        ("small frames, busy-poll", "small_busy_poll"),
        ("small frames, park", "small_park"),
        ("small frames after 200 µs idle, busy-poll", "small_busy_poll_idle"),
        ("small frames after 200 µs idle, park", "small_park_idle"),
    ] {
        let v = &handoff[key];
        r.line(&format!(
            "| {name} | {} | {:.0} ns | {:.0} ns | {:.0} ns | {:.0} ns | {:.0} ns |",
            v["views"],
            p(v, "p50"),
            p(v, "p90"),
            p(v, "p99"),
            p(v, "p999"),
            p(v, "max")
        ));
    }
    print!("{}", r.out);
}
