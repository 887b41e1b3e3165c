//! Books over NATS JetStream, measured: depthbook's bus (protobuf messages of the exact book,
//! `depthbook-bus`) against publishing each update as JSON on the same bus (what cryptostore's
//! and nautilus's backends do: a normalized delta, prices as strings), with the same engine,
//! the same journal, the same server, one after the other.
//!
//! ```text
//! bus [EVENTS] [--nats URL]    # defaults: 50000 events; a nats-server started here
//! ```
//!
//! For each format, two runs on the seeded Binance-like workload (9 level changes a frame):
//! - throughput: frames ingested as fast as the bus takes them (the replay waits for journal
//!   room, so nothing is dropped); updates per second from the first frame in to the last
//!   update applied by a subscriber on another connection;
//! - latency: 5,000 frames a second, each stamped with the wall clock as it enters the
//!   engine; the subscriber takes the clock again once it has applied the update: frame in →
//!   remote view, p50 / p99 / p99.9 (same host, same clock).
//!
//! Writes `target/depthbook-bench/bus.json` (read by bench-report) and prints a table.

// A bench program: a setup that fails (no server, a thread that dies) ends it with the reason.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_nats::jetstream;
use depthbook_benches::{Workload, binance_frames, report_dir};
use depthbook_bus::{
    BusNames, Publisher, PublisherConfig, Subscriber, SubscriberConfig, SubscriberEvent,
};
use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, JournalReader, Record, Replica};
use depthbook_testkit::nats_server::NatsServer;
use depthbook_venues::{Frame, Venue};
use futures_util::StreamExt as _;
use serde_json::{Value, json};

/// Level changes per frame.
const PER_EVENT: usize = 9;
/// Frames a second in the latency runs.
const PACED_RATE: u64 = 5_000;
/// Frames of the latency runs.
const PACED_FRAMES: usize = 25_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Depthbook,
    Json,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Depthbook => "depthbook",
            Format::Json => "json",
        }
    }
}

/// What one run measured.
#[derive(Debug, Default)]
struct Measured {
    views: u64,
    applied: u64,
    messages: u64,
    bytes: u64,
    seconds: f64,
    latencies_ns: Vec<i64>,
    /// Publisher's send → applied by the subscriber (the bus's own share).
    bus_ns: Vec<i64>,
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64)
}

fn main() {
    let mut events = 50_000usize;
    let mut url = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--nats" => url = args.next(),
            n => events = n.parse().expect("EVENTS is a number"),
        }
    }
    let server = url.is_none().then(NatsServer::start);
    let url = url.unwrap_or_else(|| server.as_ref().map(NatsServer::url).unwrap_or_default());
    let changes = Workload { events, ..Workload::BINANCE_LIKE }.generate(42);
    let (frames, snapshot) = binance_frames(&changes, PER_EVENT, 1_000);
    eprintln!("bus: {} frames of {PER_EVENT} level changes, server {url}", frames.len());

    let mut report = serde_json::Map::new();
    for format in [Format::Depthbook, Format::Json] {
        let flat = run(&url, format, &frames, &snapshot, None);
        let paced = run(
            &url,
            format,
            &frames[..PACED_FRAMES.min(frames.len())],
            &snapshot,
            Some(PACED_RATE),
        );
        let pct = percentiles(paced.latencies_ns.clone());
        let bus_pct = percentiles(paced.bus_ns.clone());
        let figures = json!({
            "updates_per_s": flat.applied as f64 / flat.seconds,
            "views": flat.views,
            "applied": flat.applied,
            "messages": flat.messages,
            "bytes_per_message": flat.bytes as f64 / flat.messages.max(1) as f64,
            "seconds": flat.seconds,
            "latency_rate_per_s": PACED_RATE,
            "latency_updates": paced.applied,
            "p50_ns": pct(0.50),
            "p99_ns": pct(0.99),
            "p999_ns": pct(0.999),
            "bus_p50_ns": bus_pct(0.50),
            "bus_p99_ns": bus_pct(0.99),
        });
        eprintln!("{}: {figures}", format.name());
        report.insert(format.name().to_owned(), figures);
    }
    let out = report_dir().join("bus.json");
    std::fs::write(
        &out,
        serde_json::to_vec_pretty(&Value::Object(report.clone())).unwrap_or_default(),
    )
    .expect("cannot write bus.json");
    println!(
        "| format | updates/s (end to end) | bytes a message | frame in → remote view p50 / p99 / p99.9 |"
    );
    println!("| --- | ---: | ---: | ---: |");
    for (name, f) in &report {
        let g = |k: &str| f[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} / {:.0} / {:.0} µs | {:.0} / {:.0} µs |",
            g("updates_per_s"),
            g("bytes_per_message"),
            g("p50_ns") / 1e3,
            g("p99_ns") / 1e3,
            g("p999_ns") / 1e3,
            g("bus_p50_ns") / 1e3,
            g("bus_p99_ns") / 1e3
        );
    }
    eprintln!("bus: written {}", out.display());
}

/// The `q`-quantile of `v`, nearest rank.
fn percentiles(mut v: Vec<i64>) -> impl Fn(f64) -> i64 {
    v.sort_unstable();
    move |q| v.get(((v.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0)
}

/// One run: an engine fed `frames` (at `rate` a second, or flat out) publishing in `format`,
/// a subscriber on another connection applying every update.
fn run(
    url: &str,
    format: Format,
    frames: &[Vec<u8>],
    snapshot: &[u8],
    rate: Option<u64>,
) -> Measured {
    let tag = format!("{}-{}-{}", format.name(), rate.unwrap_or(0), std::process::id());
    let names = BusNames::tagged(&tag);
    let mut config = EngineConfig::new(Venue::BinanceSpot);
    config.symbols = Some(vec!["BTCUSDT".to_owned()]);
    let mut engine = Engine::new(config);
    let journal = engine.journal(64 << 20);
    let publisher = match format {
        Format::Depthbook => {
            let mut config = PublisherConfig::new(url, "binance-spot");
            config.names = names.clone();
            Pub::Depthbook(Publisher::spawn(config, journal).expect("the publisher connects"))
        }
        Format::Json => Pub::Json(json_publisher(url.to_owned(), names.clone(), journal)),
    };
    let subscriber = match format {
        Format::Depthbook => depthbook_subscriber(url, &names),
        Format::Json => json_subscriber(url, &names),
    };
    let started = Instant::now();
    let rest = "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=5000";
    engine.ingest(&Frame::rest(snapshot, Some(rest)), now_ns());
    let interval = rate.map(|r| Duration::from_nanos(1_000_000_000 / r));
    let mut next = Instant::now();
    for frame in frames {
        if let Some(interval) = interval {
            // Slept, not spun: on two cores the engine's thread must leave the publisher, the
            // subscriber and the server a core.
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            next += interval;
        }
        while engine.journal_room().is_some_and(|room| room < 32 << 20) {
            std::thread::sleep(Duration::from_micros(50));
        }
        engine.ingest(&Frame::stream(frame), now_ns());
    }
    let views = engine.counters().published;
    engine.close_journal();
    let (messages, bytes) = match publisher {
        Pub::Depthbook(p) => {
            let stats = p.join().expect("the publisher ends");
            (stats.messages, stats.bytes)
        }
        Pub::Json(thread) => thread.join().expect("the JSON publisher ends"),
    };
    let (applied, last, latencies_ns, bus_ns) = subscriber.join().expect("the subscriber ends");
    Measured {
        views,
        applied,
        messages,
        bytes,
        seconds: last.duration_since(started).as_secs_f64(),
        latencies_ns,
        bus_ns,
    }
}

enum Pub {
    Depthbook(Publisher),
    Json(JoinHandle<(u64, u64)>),
}

/// What a subscriber thread returns: updates applied, when the last was, and each one's
/// frame-in → applied and publisher's send → applied latencies.
type Received = (u64, Instant, Vec<i64>, Vec<i64>);

fn depthbook_subscriber(url: &str, names: &BusNames) -> JoinHandle<Received> {
    let mut config = SubscriberConfig::new(url, "binance-spot");
    config.names = names.clone();
    let (connected_tx, connected_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let mut subscriber =
                Subscriber::connect(config).await.expect("the subscriber connects");
            let _ = connected_tx.send(());
            let (mut applied, mut last, mut latencies, mut bus) =
                (0u64, Instant::now(), Vec::new(), Vec::new());
            subscriber
                .run(Some(Duration::from_secs(2)), None, |event| {
                    if let SubscriberEvent::Update(view) = event {
                        let now = now_ns();
                        latencies.push(now - view.book.recv_ns);
                        bus.push(now - view.book.publish_ns);
                        applied += 1;
                        last = Instant::now();
                    }
                    ControlFlow::Continue(())
                })
                .await;
            (applied, last, latencies, bus)
        })
    });
    let _ = connected_rx.recv_timeout(Duration::from_secs(20));
    thread
}

/// The JSON baseline's publisher: each journal record as a JSON object (the normalized delta
/// the peers' backends publish), on `<prefix>.<venue>.<symbol>` of its own stream.
fn json_publisher(
    url: String,
    names: BusNames,
    mut journal: JournalReader,
) -> JoinHandle<(u64, u64)> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let client = async_nats::connect(url.as_str()).await.expect("connects");
            let js = jetstream::new(client);
            js.get_or_create_stream(jetstream::stream::Config {
                name: names.stream.clone(),
                subjects: vec![names.all_subjects()],
                storage: jetstream::stream::StorageType::File,
                ..Default::default()
            })
            .await
            .expect("the stream");
            let _ = ready_tx.send(());
            let mut in_flight = futures_util::stream::FuturesOrdered::new();
            let (mut messages, mut bytes) = (0u64, 0u64);
            let mut symbols: Vec<String> = Vec::new();
            let mut buf = Vec::new();
            loop {
                let ready = std::future::poll_fn(|cx| journal.poll_ready(cx)).await;
                if !ready && journal.is_finished() {
                    break;
                }
                while let Some(record) = journal.try_next(&mut buf) {
                    let (r, snapshot) = match record {
                        Record::Snapshot(r) => (r, true),
                        Record::Delta(r) => (r, false),
                        _ => continue,
                    };
                    let id = r.instrument as usize;
                    if snapshot {
                        symbols.resize(symbols.len().max(id + 1), String::new());
                        symbols[id] = r.symbol.to_owned();
                    }
                    let (mut bid, mut ask) = (serde_json::Map::new(), serde_json::Map::new());
                    for (side, price, qty) in r.levels() {
                        let side = if side == Side::Bid { &mut bid } else { &mut ask };
                        side.insert(price.to_string(), Value::String(qty.to_string()));
                    }
                    let symbol = symbols.get(id).cloned().unwrap_or_default();
                    let message = json!({
                        "exchange": "binance-spot",
                        "symbol": symbol,
                        "book": {"bid": bid, "ask": ask},
                        "delta": !snapshot,
                        "sequence_number": r.seq,
                        "timestamp": r.exchange_ms,
                        "receipt_timestamp": r.recv_ns,
                        "publish_timestamp": now_ns(),
                    });
                    let payload = serde_json::to_vec(&message).unwrap_or_default();
                    messages += 1;
                    bytes += payload.len() as u64;
                    let subject = names.subject("binance-spot", &symbol);
                    let ack = js.publish(subject, payload.into()).await.expect("publish");
                    in_flight.push_back(async move { ack.await });
                    while in_flight.len() >= 4_096 {
                        let _ = in_flight.next().await;
                    }
                }
            }
            while in_flight.next().await.is_some() {}
            (messages, bytes)
        })
    });
    let _ = ready_rx.recv_timeout(Duration::from_secs(20));
    thread
}

/// The JSON baseline's subscriber: every message of the stream, parsed (serde_json), its
/// levels parsed exactly and applied to a book.
fn json_subscriber(url: &str, names: &BusNames) -> JoinHandle<Received> {
    let url = url.to_owned();
    let names = names.clone();
    let (connected_tx, connected_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let client = async_nats::connect(url.as_str()).await.expect("connects");
            let js = jetstream::new(client);
            let _ = connected_tx.send(());
            let stream = loop {
                match js.get_stream(names.stream.as_str()).await {
                    Ok(stream) => break stream,
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            let consumer = stream
                .create_consumer(jetstream::consumer::pull::OrderedConfig {
                    filter_subject: names.all_subjects(),
                    ..Default::default()
                })
                .await
                .expect("the consumer");
            let mut messages = consumer.messages().await.expect("messages");
            let mut book = Replica::new(1_000_000);
            let (mut applied, mut last, mut latencies, mut bus) =
                (0u64, Instant::now(), Vec::new(), Vec::new());
            while let Ok(Some(Ok(message))) =
                tokio::time::timeout(Duration::from_secs(2), messages.next()).await
            {
                let Ok(value) = serde_json::from_slice::<Value>(&message.payload) else { continue };
                if value["delta"] == Value::Bool(false) {
                    book.clear();
                }
                for (side, key) in [(Side::Bid, "bid"), (Side::Ask, "ask")] {
                    let Some(levels) = value["book"][key].as_object() else { continue };
                    for (price, size) in levels {
                        let (Ok((price, _)), Some(Ok((size, _)))) =
                            (Price::parse(price), size.as_str().map(Qty::parse))
                        else {
                            continue;
                        };
                        let _ = book.set(side, price, size);
                    }
                }
                let now = now_ns();
                latencies.push(now - value["receipt_timestamp"].as_i64().unwrap_or(0));
                bus.push(now - value["publish_timestamp"].as_i64().unwrap_or(0));
                applied += 1;
                last = Instant::now();
            }
            (applied, last, latencies, bus)
        })
    });
    let _ = connected_rx.recv_timeout(Duration::from_secs(20));
    thread
}
