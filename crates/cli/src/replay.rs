//! `depthbook replay` and the default run.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use depthbook_capture::CaptureReader;
use depthbook_engine::{BookState, Engine, EngineConfig, SlowConsumer, Update};
use depthbook_venues::Venue;

use crate::args::{Emit, ReplayArgs};
use crate::bus::BusOut;
use crate::json;
use crate::ladder;

/// The capture `depthbook` replays when run without arguments.
const DEFAULT_CAPTURE: &str = "fixtures/binance_spot/hftbacktest_spot_btcusdt_20240808.gz";

/// Levels per side shown by the default run.
const LADDER_DEPTH: usize = 10;

/// What a replay ends with.
struct Outcome {
    engine: Engine,
    lines: u64,
    /// What the publisher did, with `--nats`.
    bus: Option<depthbook_bus::PublisherStats>,
}

/// Runs `depthbook replay`.
pub(crate) fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let outcome = replay(args, &mut out)?;
    if args.final_books {
        write_final(&mut out, &outcome.engine)?;
    }
    out.flush()?;
    let bus = outcome.bus.map(|stats| stats.fields()).into_iter().flatten();
    eprintln!("{}", json::counters_line(outcome.lines, outcome.engine.counters(), bus));
    Ok(())
}

/// Runs the default replay: the bundled capture, then the final ladder and counters.
pub(crate) fn default_replay() -> anyhow::Result<()> {
    let path = locate_default_capture()?;
    let args = ReplayArgs {
        venue: Venue::BinanceSpot,
        symbols: Vec::new(),
        emit: Emit::None,
        final_books: false,
        depth: None,
        precision: None,
        nats: None,
        stream_max_bytes: depthbook_bus::DEFAULT_STREAM_MAX_BYTES,
        files: vec![path.clone()],
    };
    let outcome = replay(&args, &mut io::sink())?;
    let mut out = io::stdout().lock();
    writeln!(out, "depthbook: replayed {} ({})\n", path.display(), args.venue)?;
    let engine = &outcome.engine;
    for id in 0..engine.n_instruments() as u32 {
        if let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) {
            ladder::write_ladder(
                &mut out,
                engine.symbol(id),
                state,
                engine.last_seq(id),
                book,
                LADDER_DEPTH,
            )?;
            writeln!(out)?;
        }
    }
    writeln!(out, "counters:")?;
    ladder::write_counters(&mut out, outcome.lines, engine.counters())?;
    Ok(())
}

/// Finds the bundled capture from the working directory or from the source tree.
fn locate_default_capture() -> anyhow::Result<PathBuf> {
    let candidates = [
        PathBuf::from(DEFAULT_CAPTURE),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFAULT_CAPTURE),
    ];
    match candidates.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => {
            bail!("the bundled capture {DEFAULT_CAPTURE} is missing; run from the repository root")
        }
    }
}

/// An engine replaying `venue`'s capture (every symbol where `symbols` is empty; `depth` and
/// `precision` where the capture does not say), and the longest capture line to accept: a
/// frame of the largest allowed size, doubled by hex (`@hex`, `@resthex`), after the receive
/// time, tag and REST URL. The engine still rejects a decoded frame over its own cap.
pub(crate) fn replay_engine(
    venue: Venue,
    symbols: &[String],
    depth: Option<u32>,
    precision: Option<(u8, u8)>,
) -> (Engine, usize) {
    let mut config = EngineConfig::new(venue);
    if !symbols.is_empty() {
        config.symbols = Some(symbols.to_vec());
    }
    config.default_depth = depth;
    config.default_precision = precision;
    let max_line = config.limits.max_frame_bytes.saturating_mul(2).saturating_add(64 << 10);
    (Engine::new(config), max_line)
}

fn replay(args: &ReplayArgs, out: &mut impl Write) -> anyhow::Result<Outcome> {
    let (mut engine, max_line) =
        replay_engine(args.venue, &args.symbols, args.depth, args.precision);
    // Drained after every input line, which publishes at most a few views: never full. With
    // `--emit none` nothing reads the views, so there is no channel to send them down (the
    // engine still builds and counts every view it publishes).
    let views =
        (args.emit != Emit::None).then(|| engine.subscribe(1 << 16, SlowConsumer::DropNewest));
    let mut reader =
        CaptureReader::open(&args.files, max_line).context("cannot read the capture")?;
    let bus = args
        .nats
        .as_deref()
        .map(|url| BusOut::start(&mut engine, url, args.stream_max_bytes))
        .transpose()?;
    let several_files = args.files.len() > 1;
    let venue_name = args.venue.name();
    let mut lines = 0u64;
    let mut text = String::with_capacity(4096);
    while let Some(record) = reader.next()? {
        lines += 1;
        if bus.is_some() {
            BusOut::wait_for_room(&mut engine);
        }
        depthbook_capture::feed(&mut engine, &record);
        for update in views.iter().flat_map(|views| views.try_iter()) {
            let Update::Book(view) = update else { continue };
            text.clear();
            let file = several_files.then_some(record.file);
            let at = json::Position::Line { line: record.line, file };
            json::view_line(&mut text, &engine, venue_name, &view, at, args.emit);
            out.write_all(text.as_bytes())?;
        }
    }
    for file in reader.truncated_files() {
        eprintln!(
            "depthbook: warning: {} ends in a truncated gzip stream",
            args.files[file].display()
        );
    }
    let bus = bus.map(|bus| bus.finish(&mut engine)).transpose()?;
    if engine.journal_dropped() > 0 {
        eprintln!(
            "depthbook: warning: {} journal records were dropped before the bus",
            engine.journal_dropped()
        );
    }
    Ok(Outcome { engine, lines, bus })
}

fn write_final(out: &mut impl Write, engine: &Engine) -> io::Result<()> {
    for id in 0..engine.n_instruments() as u32 {
        let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) else { continue };
        out.write_all(json::final_line(engine, id, book, state == BookState::Live).as_bytes())?;
    }
    Ok(())
}
