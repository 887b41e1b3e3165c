//! `depthbook live --config FILE`: many venues and books in one process, in shards.
//!
//! Each feed of the file (a venue, its symbols, channel and depth) is split into connections
//! within the venue's per-connection limit; connections are dealt to the shards (ingest
//! threads, each optionally pinned), every connection of a venue sharing its connection rate.
//! Each shard drives its connections' loops on its own thread; the main thread waits for the
//! end (duration, frames, Ctrl-C), then prints the final books and the counters of all of them.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use depthbook_engine::{BookState, Counters, SlowConsumer, Update};
use depthbook_net::{
    LiveConfig, NetSnapshot, Protocol, Shard, deal, fetch_all_instruments, split_connections,
};
use depthbook_venues::Venue;
use serde::Deserialize;

use crate::args::{Emit, LiveArgs, parse_channel, parse_market, parse_precision, parse_venue};
use crate::json;
use crate::live::{Run, init_logging};
use depthbook_bus::{Publisher, PublisherConfig};
use depthbook_engine::JournalReader;

/// Each connection's journal ring between its loop and the publisher (a live loop drops and
/// announces what does not fit; it never waits).
const JOURNAL_BYTES: usize = 16 << 20;

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    /// Ingest threads (default 1).
    shards: Option<usize>,
    /// A CPU core per shard, in order (optional).
    pin: Option<Vec<usize>>,
    /// Publish every book to NATS JetStream at this server (as `--nats`).
    nats: Option<String>,
    /// The feeds.
    feed: Vec<FeedEntry>,
}

/// A feed's symbols: a list, or `"all"` the venue lists (optionally of one `quote`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Symbols {
    List(Vec<String>),
    All(String),
}

/// One venue's feed of the config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedEntry {
    venue: String,
    symbols: Symbols,
    /// With `symbols = "all"`: only instruments quoted in this currency (`USDT`).
    quote: Option<String>,
    /// Where the venue's instruments endpoint is (its production host otherwise; `rest_url`
    /// if that is set).
    instruments_url: Option<String>,
    market: Option<String>,
    channel: Option<String>,
    depth: Option<u32>,
    precision: Option<String>,
    url: Option<String>,
    rest_url: Option<String>,
    /// At most this many symbols a connection (the venue's own limit otherwise).
    per_connection: Option<usize>,
    /// Seconds of book silence that make a Live book Stale (0 disables).
    watchdog: Option<u64>,
}

impl FeedEntry {
    /// The feed as one loop's configuration (before it is split into connections); `"all"`
    /// symbols are fetched from the venue's instruments list.
    fn config(&self, index: usize) -> anyhow::Result<LiveConfig> {
        let at = || format!("feed {} ({})", index + 1, self.venue);
        let venue: Venue = parse_venue(&self.venue).map_err(anyhow::Error::msg).with_context(at)?;
        let mut config = LiveConfig::new(venue, Vec::new());
        if let Some(market) = &self.market {
            config.market = parse_market(market).map_err(anyhow::Error::msg).with_context(at)?;
        }
        config.symbols = match &self.symbols {
            Symbols::List(symbols) => symbols.clone(),
            Symbols::All(all) if all == "all" => {
                let protocol = Protocol::of_market(venue, config.market)?;
                let base = self.instruments_url.as_deref().or(self.rest_url.as_deref());
                let listed = fetch_all_instruments(
                    &protocol,
                    self.quote.as_deref(),
                    base,
                    Duration::from_secs(30),
                )
                .with_context(at)?;
                listed.into_iter().map(|info| info.symbol).collect()
            }
            Symbols::All(other) => bail!("{}: symbols = {other:?}: a list, or \"all\"", at()),
        };
        if self.quote.is_some() && matches!(self.symbols, Symbols::List(_)) {
            bail!("{}: quote filters symbols = \"all\"", at());
        }
        if config.symbols.is_empty() {
            bail!("{}: no symbols", at());
        }
        if let Some(channel) = &self.channel {
            config.channel = parse_channel(channel).map_err(anyhow::Error::msg).with_context(at)?;
        }
        if let Some(precision) = &self.precision {
            config.precision =
                Some(parse_precision(precision).map_err(anyhow::Error::msg).with_context(at)?);
        }
        config.depth = self.depth;
        config.ws_url.clone_from(&self.url);
        config.rest_url.clone_from(&self.rest_url);
        config.book_watchdog = self.watchdog.map(Duration::from_secs);
        Ok(config)
    }
}

/// What a shard thread hands back at the end.
#[derive(Default)]
struct ShardEnd {
    counters: Vec<Counters>,
    net: Vec<NetSnapshot>,
    finals: Vec<String>,
    books: usize,
    live: usize,
}

/// Runs `depthbook live --config FILE`.
pub(crate) fn run(args: &LiveArgs, path: &Path) -> anyhow::Result<()> {
    init_logging();
    if args.record.is_some() {
        bail!("--record records one connection: record each feed with `depthbook record`");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the config {}", path.display()))?;
    let file: FleetFile = toml::from_str(&text).map_err(|e| {
        // One line: where, and what (the error's own rendering quotes the file over lines).
        let line =
            e.span().map_or(0, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
        anyhow::anyhow!("bad config {}: line {line}: {}", path.display(), e.message())
    })?;
    let mut connections = Vec::new();
    for (i, entry) in file.feed.iter().enumerate() {
        let config = entry.config(i)?;
        connections.extend(split_connections(&config, entry.per_connection)?);
    }
    if connections.is_empty() {
        bail!("{}: no feeds", path.display());
    }
    let shards = deal(connections, file.shards.unwrap_or(1));
    let nats = args.nats.clone().or(file.nats.clone());
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let pins: Vec<Option<core_affinity::CoreId>> = (0..shards.len())
        .map(|i| {
            let id = file.pin.as_ref()?.get(i).copied()?;
            Some(cores.iter().copied().find(|c| c.id == id))
        })
        .map(|found| found.flatten())
        .collect();
    if let Some(pin) = &file.pin
        && let Some(missing) = pin.iter().find(|id| !cores.iter().any(|c| c.id == **id))
    {
        bail!("pin: no such core {missing} here");
    }
    if args.emit == Emit::None && !args.final_books {
        // A ladder of thousands of books is no display: the counters at the end say it all.
        eprintln!("depthbook: running {} (no --emit: counters at the end)", path.display());
    }
    let total: usize = shards.iter().flatten().map(|c| c.symbols.len()).sum();
    let n_connections: usize = shards.iter().map(Vec::len).sum();
    eprintln!("depthbook: {total} books on {n_connections} connections in {} shards", shards.len());

    let stop = Arc::new(AtomicBool::new(false));
    let frames = Arc::new(AtomicU64::new(0));
    let inputs = Arc::new(AtomicU64::new(0));
    let out = Arc::new(Mutex::new(io::stdout()));
    // With a bus: every connection's journal, sent by its shard once started, for the one
    // publisher of the process.
    let (journals_tx, journals_rx) = std::sync::mpsc::channel::<Vec<(String, JournalReader)>>();
    let n_shards = shards.len();
    let mut threads = Vec::new();
    for (i, configs) in shards.into_iter().enumerate() {
        let (stop, frames, out) = (stop.clone(), frames.clone(), out.clone());
        let (inputs, journals_tx) = (inputs.clone(), journals_tx.clone());
        let (emit, final_books, bus, pin) = (args.emit, args.final_books, nats.is_some(), pins[i]);
        let thread = std::thread::Builder::new()
            .name(format!("depthbook-shard-{i}"))
            .spawn(move || -> anyhow::Result<ShardEnd> {
                if let Some(core) = pin
                    && !core_affinity::set_for_current(core)
                {
                    eprintln!("depthbook: warning: shard {i} could not be pinned to {}", core.id);
                }
                let mut shard = match Shard::start(configs, None) {
                    Ok(shard) => shard,
                    Err(error) => {
                        // The main thread waits for every shard's journals: none here.
                        let _ = journals_tx.send(Vec::new());
                        return Err(error).context("cannot start a shard");
                    }
                };
                let mut journals = Vec::new();
                if bus {
                    for live in shard.lives_mut() {
                        let engine = live.engine_mut();
                        let venue = engine.venue().name().to_owned();
                        journals.push((venue, engine.journal(JOURNAL_BYTES)));
                    }
                }
                let _ = journals_tx.send(journals);
                let counts = Counts { frames: &frames, inputs: &inputs };
                drive(&mut shard, emit, &stop, counts, &out)?;
                for live in shard.lives_mut() {
                    live.engine_mut().close_journal();
                }
                let end = finish(&shard, final_books);
                shard.shutdown().context("a shard did not stop cleanly")?;
                Ok(end)
            })
            .context("cannot start a shard thread")?;
        threads.push(thread);
    }
    drop(journals_tx);
    let publisher = match &nats {
        Some(url) => {
            let journals: Vec<_> = journals_rx.iter().take(n_shards).flatten().collect();
            let config = PublisherConfig {
                stream_max_bytes: args.stream_max_bytes,
                ..PublisherConfig::new(url.clone(), "")
            };
            match Publisher::spawn_many(config, journals) {
                Ok(publisher) => Some(publisher),
                Err(error) => {
                    stop.store(true, Ordering::Relaxed);
                    for thread in threads {
                        let _ = thread.join();
                    }
                    return Err(error).context("cannot publish to NATS");
                }
            }
        }
        None => None,
    };

    let mut run = Run::new(&args.feed)?;
    while !run.done() && !threads.iter().all(|t| t.is_finished()) {
        std::thread::sleep(Duration::from_millis(20));
        run.saw(frames.load(Ordering::Relaxed), inputs.load(Ordering::Relaxed));
    }
    stop.store(true, Ordering::Relaxed);
    let mut all = ShardEnd::default();
    let mut failed = None;
    for thread in threads {
        let end = match thread.join().map_err(|_| anyhow::anyhow!("a shard panicked")) {
            Ok(Ok(end)) => end,
            Ok(Err(error)) | Err(error) => {
                failed.get_or_insert(error);
                continue;
            }
        };
        all.counters.extend(end.counters);
        all.net.extend(end.net);
        all.finals.extend(end.finals);
        all.books += end.books;
        all.live += end.live;
    }
    // Every journal is closed: the publisher ends once everything is acknowledged.
    let bus = publisher.map(Publisher::join).transpose().context("the publisher failed")?;
    if let Some(error) = failed {
        return Err(error);
    }
    let mut stdout = io::stdout().lock();
    for line in &all.finals {
        stdout.write_all(line.as_bytes())?;
    }
    stdout.flush()?;
    eprintln!("depthbook: {} of {} books Live at the end", all.live, all.books);
    let mut line = counters_line(frames.load(Ordering::Relaxed), &all);
    if let Some(stats) = bus {
        line.pop();
        for (name, value) in stats.fields() {
            line.push_str(&format!(",\"{name}\":{value}"));
        }
        line.push('}');
    }
    eprintln!("{line}");
    Ok(())
}

/// What the shards count for the main thread's end conditions.
#[derive(Clone, Copy)]
struct Counts<'a> {
    /// Frames received.
    frames: &'a AtomicU64,
    /// Inputs of any kind but timer ticks (frames, REST bodies, connections opened or closed).
    inputs: &'a AtomicU64,
}

/// Drives a shard until `stop`: views to stdout as the replay contract's lines (`recv_ns` in
/// place of `line`), counting frames and inputs.
fn drive(
    shard: &mut Shard,
    emit: Emit,
    stop: &AtomicBool,
    counts: Counts<'_>,
    out: &Mutex<io::Stdout>,
) -> anyhow::Result<()> {
    let mut views = Vec::new();
    for live in shard.lives_mut() {
        let engine = live.engine_mut();
        views.push(
            (emit != Emit::None).then(|| engine.subscribe(1 << 16, SlowConsumer::DropNewest)),
        );
    }
    let mut text = String::with_capacity(1 << 16);
    while !stop.load(Ordering::Relaxed) {
        let (mut frames, mut inputs) = (0u64, 0u64);
        let running = shard.step(|_, _, step| match step {
            depthbook_net::Step::Frame { .. } => {
                frames += 1;
                inputs += 1;
            }
            depthbook_net::Step::Tick { .. } => {}
            _ => inputs += 1,
        });
        counts.frames.fetch_add(frames, Ordering::Relaxed);
        counts.inputs.fetch_add(inputs, Ordering::Relaxed);
        if emit != Emit::None {
            text.clear();
            for (live, views) in shard.lives().iter().zip(&views) {
                let venue = live.engine().venue().name();
                for update in views.iter().flat_map(|v| v.try_iter()) {
                    let Update::Book(view) = update else { continue };
                    let at = json::Position::RecvNs(view.recv_ns);
                    json::view_line(&mut text, live.engine(), venue, &view, at, emit);
                }
            }
            if !text.is_empty()
                && let Ok(mut out) = out.lock()
            {
                out.write_all(text.as_bytes())?;
            }
        }
        if !running {
            break;
        }
    }
    Ok(())
}

/// Each loop's counters, and the final lines of its books.
fn finish(shard: &Shard, final_books: bool) -> ShardEnd {
    let mut end = ShardEnd::default();
    for live in shard.lives() {
        let engine = live.engine();
        end.counters.push(*engine.counters());
        end.net.push(live.net_counters());
        for id in 0..engine.n_instruments() as u32 {
            end.books += 1;
            let live_now = engine.state(id) == Some(BookState::Live);
            end.live += usize::from(live_now);
            if final_books && let Some(book) = engine.book(id) {
                end.finals.push(json::final_line(engine, id, book, live_now));
            }
        }
    }
    end
}

/// The counters line: `lines` (frames received), every engine counter summed over the
/// connections, then the network's, summed, then `connections` and `books_live`.
fn counters_line(frames: u64, all: &ShardEnd) -> String {
    let mut engine = Counters::default().fields().map(|(name, _)| (name, 0u64));
    for counters in &all.counters {
        for (sum, (_, value)) in engine.iter_mut().zip(counters.fields()) {
            sum.1 += value;
        }
    }
    let mut net: Vec<(&'static str, u64)> = Vec::new();
    for snapshot in &all.net {
        for (name, value) in snapshot.fields() {
            match net.iter_mut().find(|(n, _)| *n == name) {
                Some(sum) => sum.1 += value,
                None => net.push((name, value)),
            }
        }
    }
    let mut line = format!("{{\"lines\":{frames}");
    for (name, value) in engine.into_iter().chain(net) {
        line.push_str(&format!(",\"{name}\":{value}"));
    }
    line.push_str(&format!(
        ",\"connections\":{},\"books\":{},\"books_live\":{}}}",
        all.counters.len(),
        all.books,
        all.live
    ));
    line
}
