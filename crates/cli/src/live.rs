//! `depthbook live` and `depthbook record`.

use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::{cursor, queue, terminal};
use depthbook_engine::{SlowConsumer, Update};
use depthbook_net::{Live, LiveConfig, RecordConfig, Step, WaitMode};

use crate::args::{Emit, FeedArgs, LiveArgs, RecordArgs, seconds};
use crate::bus::BusOut;
use crate::json;
use crate::ladder;
use depthbook_bus::PublisherStats;

/// How often the ladder is redrawn.
const REDRAW: Duration = Duration::from_millis(200);

/// Runs `depthbook live`.
pub(crate) fn live(args: &LiveArgs) -> anyhow::Result<()> {
    if let Some(path) = &args.target.config {
        return crate::fleet::run(args, path);
    }
    // clap requires both without --config.
    let venue = args.target.venue.context("--venue is required")?;
    let target = (venue, args.target.symbols.as_slice(), args.target.market);
    let mut live = start(target, &args.feed, args.record.as_deref())?;
    let views = live.engine_mut().subscribe(1 << 16, SlowConsumer::DropNewest);
    let bus = args
        .nats
        .as_deref()
        .map(|url| BusOut::start(live.engine_mut(), url, args.stream_max_bytes))
        .transpose()?;
    let venue = venue.name();
    let mut run = Run::new(&args.feed)?;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut text = String::with_capacity(4096);
    let mut rate = Rate::default();
    let mut last_draw: Option<Instant> = None;
    while let Some(step) = live.step() {
        match step {
            Step::Frame { .. } => {
                run.saw(run.frames() + 1, run.inputs() + 1);
                rate.frame();
            }
            Step::Tick { .. } => {}
            _ => run.saw(run.frames(), run.inputs() + 1),
        }
        if args.emit == Emit::None {
            views.try_iter().for_each(drop);
            if !args.final_books && last_draw.is_none_or(|t| t.elapsed() >= REDRAW) {
                draw(&mut out, &live, args.levels, rate.per_second(), run.started)?;
                last_draw = Some(Instant::now());
            }
        } else {
            for update in views.try_iter() {
                let Update::Book(view) = update else { continue };
                text.clear();
                let at = json::Position::RecvNs(view.recv_ns);
                json::view_line(&mut text, live.engine(), venue, &view, at, args.emit);
                out.write_all(text.as_bytes())?;
            }
            if let Step::Tick { .. } = step {
                out.flush()?;
            }
        }
        if run.done() {
            break;
        }
    }
    if args.emit == Emit::None && !args.final_books {
        draw(&mut out, &live, args.levels, rate.per_second(), run.started)?;
    }
    if args.final_books {
        let engine = live.engine();
        for id in 0..engine.n_instruments() as u32 {
            let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) else { continue };
            let live_now = state == depthbook_engine::BookState::Live;
            out.write_all(json::final_line(engine, id, book, live_now).as_bytes())?;
        }
    }
    out.flush()?;
    let bus = bus.map(|bus| bus.finish(live.engine_mut())).transpose()?;
    finish(live, run.frames(), bus)
}

/// Runs `depthbook record`.
pub(crate) fn record(args: &RecordArgs) -> anyhow::Result<()> {
    let target = (args.target.venue, args.target.symbols.as_slice(), args.target.market);
    let mut live = start(target, &args.feed, Some(&args.file))?;
    let mut run = Run::new(&args.feed)?;
    eprintln!("depthbook: recording {} to {}", args.target.venue, args.file.display());
    while let Some(step) = live.step() {
        match step {
            Step::Frame { .. } => run.saw(run.frames() + 1, run.inputs() + 1),
            Step::Tick { .. } => {}
            _ => run.saw(run.frames(), run.inputs() + 1),
        }
        if run.done() {
            break;
        }
    }
    finish(live, run.frames(), None)
}

/// A venue, its instruments and market.
type Target<'a> = (depthbook_venues::Venue, &'a [String], depthbook_net::Market);

fn start(
    (venue, symbols, market): Target<'_>,
    feed: &FeedArgs,
    record: Option<&std::path::Path>,
) -> anyhow::Result<Live> {
    init_logging();
    let mut config = LiveConfig::new(venue, symbols.to_vec());
    config.market = market;
    config.channel = feed.channel;
    config.ws_url.clone_from(&feed.url);
    config.rest_url.clone_from(&feed.rest_url);
    config.depth = feed.depth;
    config.precision = feed.precision;
    config.book_watchdog = feed.watchdog.map(Duration::from_secs);
    if feed.busy_poll {
        config.wait = WaitMode::BusyPoll;
    }
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let core = |id: usize, what: &str| {
        cores
            .iter()
            .copied()
            .find(|c| c.id == id)
            .with_context(|| format!("--pin-{what} {id}: no such core here"))
    };
    config.net_core = feed.pin_net.map(|id| core(id, "net").map(|c| c.id)).transpose()?;
    if let Some(id) = feed.pin_loop {
        let loop_core = core(id, "loop")?;
        if !core_affinity::set_for_current(loop_core) {
            eprintln!("depthbook: warning: the ingest loop could not be pinned to core {id}");
        }
    }
    if let Some(addr) = feed.metrics {
        // Latency histograms (aggregatable across processes), 1 us to 100 ms.
        let buckets = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 1e-2, 1e-1];
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .set_buckets(&buckets)
            .context("metrics buckets")?
            .install()
            .with_context(|| format!("cannot serve metrics on {addr}"))?;
        config.metrics = true;
        eprintln!("depthbook: metrics at http://{addr}/metrics");
    }
    config.record = record.map(|path| RecordConfig {
        rotate_bytes: feed.rotate_mb.map(|mb| mb.saturating_mul(1 << 20)),
        rotate_every: feed.rotate_minutes.map(|m| Duration::from_secs(m.saturating_mul(60))),
        ..RecordConfig::new(path)
    });
    Live::start(config).context("cannot start the live feed")
}

/// Logs (tracing) go to stderr, filtered by `RUST_LOG` (default: warnings).
pub(crate) fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(io::stderr).try_init();
}

/// When a run ends: a duration, a frame count, or Ctrl-C.
pub(crate) struct Run {
    started: Instant,
    duration: Option<Duration>,
    max_frames: Option<u64>,
    /// End after this long without an input (a frame, a REST body, a connection opened),
    /// once one came.
    idle: Option<Duration>,
    frames: u64,
    inputs: u64,
    last_input: Instant,
    interrupted: Arc<AtomicBool>,
}

impl Run {
    pub(crate) fn new(feed: &FeedArgs) -> anyhow::Result<Run> {
        let duration = seconds("duration", feed.duration)?;
        let idle = seconds("idle-exit", feed.idle_exit)?;
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        // A second Ctrl-C while shutting down falls back to the default (the process ends).
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
        Ok(Run {
            started: Instant::now(),
            duration,
            max_frames: feed.max_frames,
            idle,
            frames: 0,
            inputs: 0,
            last_input: Instant::now(),
            interrupted,
        })
    }

    /// Frames received so far.
    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    /// Inputs received so far, timer ticks aside.
    pub(crate) fn inputs(&self) -> u64 {
        self.inputs
    }

    /// Notes that `frames` frames, and `inputs` inputs of any kind but timer ticks, have been
    /// received in all.
    pub(crate) fn saw(&mut self, frames: u64, inputs: u64) {
        self.frames = frames;
        if inputs != self.inputs {
            self.inputs = inputs;
            self.last_input = Instant::now();
        }
    }

    pub(crate) fn done(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
            || self.duration.is_some_and(|d| self.started.elapsed() >= d)
            || self.max_frames.is_some_and(|n| self.frames >= n)
            || self.idle.is_some_and(|d| self.inputs > 0 && self.last_input.elapsed() >= d)
    }
}

/// Stops the network side, finishes the capture, prints the counters on stderr.
fn finish(live: Live, frames: u64, bus: Option<PublisherStats>) -> anyhow::Result<()> {
    // The replay counters line (with `lines` = frames received), then the network's and the
    // bus's.
    let net = live.net_counters();
    let net = net.fields();
    let bus = bus.map(|stats| stats.fields()).into_iter().flatten();
    let line = json::counters_line(frames, live.engine().counters(), net.into_iter().chain(bus));
    live.shutdown().context("the capture was not completely written")?;
    eprintln!("{line}");
    Ok(())
}

/// Frames per second over the last whole second.
#[derive(Default)]
struct Rate {
    window_start: Option<Instant>,
    in_window: u64,
    last: u64,
}

impl Rate {
    fn frame(&mut self) {
        self.in_window += 1;
    }

    fn per_second(&mut self) -> u64 {
        let now = Instant::now();
        let start = *self.window_start.get_or_insert(now);
        if now.duration_since(start) >= Duration::from_secs(1) {
            self.last = self.in_window;
            self.in_window = 0;
            self.window_start = Some(now);
        }
        self.last
    }
}

/// Redraws the screen: every book's ladder, then the counters.
fn draw(
    out: &mut impl Write,
    live: &Live,
    levels: usize,
    rate: u64,
    started: Instant,
) -> anyhow::Result<()> {
    queue!(out, cursor::MoveTo(0, 0), terminal::Clear(terminal::ClearType::All))?;
    let engine = live.engine();
    let net = live.net_counters();
    writeln!(
        out,
        "depthbook live  {}  up {}s  {} msg/s  connects {}  disconnects {}  (Ctrl-C to stop)\n",
        engine.venue(),
        started.elapsed().as_secs(),
        rate,
        net.connects,
        net.disconnects,
    )?;
    for id in 0..engine.n_instruments() as u32 {
        if let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) {
            ladder::write_ladder(out, engine.symbol(id), state, engine.last_seq(id), book, levels)?;
            writeln!(out)?;
        }
    }
    let c = engine.counters();
    writeln!(
        out,
        "applied {}  published {}  gaps {}  checksums {}/{} failed  resyncs {}  decode errors {}  watchdog {}  REST {} ({} rate-limited)",
        c.applied,
        c.published,
        c.gaps,
        c.checksums_verified,
        c.checksum_failures,
        c.resyncs,
        c.decode_errors,
        net.watchdog_fired,
        net.rest_requests,
        net.rest_rate_limited,
    )?;
    out.flush()?;
    Ok(())
}
