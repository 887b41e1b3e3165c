//! Command-line arguments.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};
use depthbook_bus::DEFAULT_STREAM_MAX_BYTES;
use depthbook_venues::Venue;

/// Exact order books from recorded exchange feeds.
///
/// With no command, replays the bundled Binance spot capture and prints the final book.
#[derive(Debug, Parser)]
#[command(name = "depthbook", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Replay capture files through the engine and print what it publishes.
    Replay(ReplayArgs),
    /// Connect to a venue and show its books live (or print views for scripts with --emit).
    Live(LiveArgs),
    /// Connect to a venue and record everything to a capture file, without a display.
    Record(RecordArgs),
    /// Run a loopback exchange that replays a capture to WebSocket clients (and serves REST
    /// snapshots for Binance-style venues), with fault injection.
    Serve(ServeArgs),
    /// Print the venue capability table.
    Venues,
    /// Fetch instrument metadata (tick, lot, minimum and contract sizes, decimals) from the
    /// venue's REST endpoint and print one JSON line per symbol.
    Instruments(InstrumentsArgs),
    /// Hold a venue's books from NATS JetStream, as a publisher (`replay`/`live --nats`) sends
    /// them, and print a line per update.
    Subscribe(SubscribeArgs),
    /// Write a replay's books as rows for research tools: tardis's `book_snapshot_N` CSV
    /// layout, one row per update or per interval.
    Export(ExportArgs),
}

/// The `export` file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ExportFormat {
    /// Comma-separated, tardis's `book_snapshot_N` columns then `seq,generation,state,integrity`.
    Csv,
    /// Parquet with the same columns (prices and sizes as exact decimal strings).
    Parquet,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Venue of the capture.
    #[arg(long, value_parser = parse_venue)]
    pub(crate) venue: Venue,
    /// Track only this symbol (repeatable).
    #[arg(long = "symbol")]
    pub(crate) symbols: Vec<String>,
    /// The file format.
    #[arg(long)]
    pub(crate) format: ExportFormat,
    /// Levels a side in each row (tardis's `book_snapshot_N`).
    #[arg(long = "depth", value_name = "N")]
    pub(crate) levels: usize,
    /// A row per update (the default), or ...
    #[arg(long = "every-update", conflicts_with = "interval")]
    pub(crate) every_update: bool,
    /// ... a row per book every MS milliseconds of receive time.
    #[arg(long, value_name = "MS")]
    pub(crate) interval: Option<u64>,
    /// Subscribed depth, where the capture does not say (Kraken truncates to it): replay's
    /// `--depth`.
    #[arg(long = "subscribed-depth", value_name = "N")]
    pub(crate) depth: Option<u32>,
    /// Price and size decimals as P:Q, where the capture does not say (Kraken v2 checksums).
    #[arg(long, value_parser = parse_precision)]
    pub(crate) precision: Option<(u8, u8)>,
    /// The file to write.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Capture files (merged by receive time).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SubscribeArgs {
    /// The NATS server, e.g. nats://127.0.0.1:4222.
    #[arg(long)]
    pub(crate) nats: String,
    /// The venue whose books to hold.
    #[arg(long, value_parser = parse_venue)]
    pub(crate) venue: Venue,
    /// Only this symbol, as the venue spells it (repeatable; default: every book of the venue).
    #[arg(long = "symbol")]
    pub(crate) symbols: Vec<String>,
    /// What to print on stdout for each update applied to a Live book.
    #[arg(long, default_value = "tob")]
    pub(crate) emit: Emit,
    /// Print every book's final levels as a JSON line at the end.
    #[arg(long = "final")]
    pub(crate) final_books: bool,
    /// Exit after this many seconds without a message.
    #[arg(long = "idle-exit", value_name = "SECS")]
    pub(crate) idle_exit: Option<f64>,
    /// Exit after this many seconds.
    #[arg(long, value_name = "SECS")]
    pub(crate) duration: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct InstrumentsArgs {
    /// Which venue, instruments and market.
    #[command(flatten)]
    pub(crate) target: Target,
    /// REST base URL in place of the venue's (a testnet, `depthbook serve`).
    #[arg(long = "rest-url")]
    pub(crate) rest_url: Option<String>,
}

/// A venue, instruments on it and the market they trade in (`live`, `record`, `instruments`).
#[derive(Debug, Args)]
pub(crate) struct Target {
    /// Venue to connect to.
    #[arg(long, value_parser = parse_venue)]
    pub(crate) venue: Venue,
    /// Instrument, as the venue spells it (repeatable).
    #[arg(long = "symbol", required = true)]
    pub(crate) symbols: Vec<String>,
    /// Which of the venue's markets: `spot`, or `usdt-futures` (Gate.io).
    #[arg(long, default_value = "spot", value_parser = parse_market)]
    pub(crate) market: depthbook_net::Market,
}

#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// Venue of the capture.
    #[arg(long, value_parser = parse_venue)]
    pub(crate) venue: Venue,
    /// Track only this symbol, as the venue spells it (repeatable); also names the instrument
    /// of REST snapshot bodies that carry no symbol.
    #[arg(long = "symbol")]
    pub(crate) symbols: Vec<String>,
    /// What to print on stdout for each input line that changed a Live book.
    #[arg(long, default_value = "none")]
    pub(crate) emit: Emit,
    /// Print every instrument's final book as a JSON line at the end.
    #[arg(long = "final")]
    pub(crate) final_books: bool,
    /// Subscribed depth, where the capture does not say (Kraken truncates to it).
    #[arg(long)]
    pub(crate) depth: Option<u32>,
    /// Price and size decimals as P:Q, where the capture does not say (Kraken v2 checksums).
    #[arg(long, value_parser = parse_precision)]
    pub(crate) precision: Option<(u8, u8)>,
    /// Publish the books to NATS JetStream at this server (nats://HOST:PORT), then exit once
    /// every message is acknowledged.
    #[arg(long, value_name = "URL")]
    pub(crate) nats: Option<String>,
    /// The most bytes the JetStream stream keeps, with `--nats` (the oldest go first).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_STREAM_MAX_BYTES, requires = "nats")]
    pub(crate) stream_max_bytes: i64,
    /// Capture files (merged by receive time); `-` reads standard input.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

/// What `live` and `record` share: how to connect and for how long.
#[derive(Debug, Args)]
pub(crate) struct FeedArgs {
    /// Which of the venue's book channels: `default`, `mbp` (HTX incremental, snapshots by
    /// `req`) or `full` (Bybit `orderbook.full`, snapshots from REST).
    #[arg(long, default_value = "default", value_parser = parse_channel)]
    pub(crate) channel: depthbook_net::BookChannel,
    /// WebSocket URL in place of the venue's (a testnet, `depthbook serve`).
    #[arg(long)]
    pub(crate) url: Option<String>,
    /// REST base URL in place of the venue's (Binance-style snapshots).
    #[arg(long = "rest-url")]
    pub(crate) rest_url: Option<String>,
    /// Subscribed depth (Kraken: default 10; Bitfinex 25; Bybit 50; HTX `mbp` 150).
    #[arg(long)]
    pub(crate) depth: Option<u32>,
    /// Price and size decimals as P:Q where the feed does not announce them (Kraken v2).
    #[arg(long, value_parser = parse_precision)]
    pub(crate) precision: Option<(u8, u8)>,
    /// Seconds of book silence that make a Live book Stale (0 disables; default: the venue's).
    #[arg(long)]
    pub(crate) watchdog: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub(crate) duration: Option<f64>,
    /// Stop after this many frames received.
    #[arg(long = "max-frames")]
    pub(crate) max_frames: Option<u64>,
    /// Stop after this many seconds without a frame, once one came.
    #[arg(long = "idle-exit", value_name = "SECS")]
    pub(crate) idle_exit: Option<f64>,
    /// Start a new capture segment (FILE.1, FILE.2, ...) after this many MiB.
    #[arg(long = "rotate-mb")]
    pub(crate) rotate_mb: Option<u64>,
    /// Start a new capture segment after this many minutes.
    #[arg(long = "rotate-minutes")]
    pub(crate) rotate_minutes: Option<u64>,
    /// Serve Prometheus metrics (counters, apply and frame-to-publish latency histograms) at
    /// http://ADDR/metrics, e.g. 127.0.0.1:9000.
    #[arg(long)]
    pub(crate) metrics: Option<std::net::SocketAddr>,
    /// Busy-poll the network's input rings instead of parking when idle: no futex between a
    /// frame's arrival and its ingest, at the cost of a core (give it one: `--pin-loop`).
    #[arg(long = "busy-poll")]
    pub(crate) busy_poll: bool,
    /// Pin the ingest loop (this process's main thread) to this CPU core.
    #[arg(long = "pin-loop", value_name = "CORE")]
    pub(crate) pin_loop: Option<usize>,
    /// Pin the network thread to this CPU core.
    #[arg(long = "pin-net", value_name = "CORE")]
    pub(crate) pin_net: Option<usize>,
}

/// `live`'s venue, instruments and market: on the command line, or many in a config file.
#[derive(Debug, Args)]
pub(crate) struct LiveTarget {
    /// Many venues and books in one process, in shards: a TOML file (see the README).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["venue", "symbols"])]
    pub(crate) config: Option<PathBuf>,
    /// Venue to connect to.
    #[arg(long, value_parser = parse_venue, required_unless_present = "config")]
    pub(crate) venue: Option<Venue>,
    /// Instrument, as the venue spells it (repeatable).
    #[arg(long = "symbol", required_unless_present = "config")]
    pub(crate) symbols: Vec<String>,
    /// Which of the venue's markets: `spot`, or `usdt-futures` (Gate.io).
    #[arg(long, default_value = "spot", value_parser = parse_market)]
    pub(crate) market: depthbook_net::Market,
}

#[derive(Debug, Args)]
pub(crate) struct LiveArgs {
    #[command(flatten)]
    pub(crate) target: LiveTarget,
    #[command(flatten)]
    pub(crate) feed: FeedArgs,
    /// For scripts: print the replay contract's JSON lines (with `recv_ns` in place of
    /// `line`) instead of the ladder.
    #[arg(long, default_value = "none")]
    pub(crate) emit: Emit,
    /// Also record everything to this capture file.
    #[arg(long)]
    pub(crate) record: Option<PathBuf>,
    /// Levels a side in the ladder.
    #[arg(long, default_value_t = 10)]
    pub(crate) levels: usize,
    /// Publish the books to NATS JetStream at this server (nats://HOST:PORT).
    #[arg(long, value_name = "URL")]
    pub(crate) nats: Option<String>,
    /// The most bytes the JetStream stream keeps, with `--nats` (the oldest go first).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_STREAM_MAX_BYTES)]
    pub(crate) stream_max_bytes: i64,
    /// Print every book's final levels as replay's JSON lines at the end.
    #[arg(long = "final")]
    pub(crate) final_books: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// Which venue, instruments (subscribed) and market.
    #[command(flatten)]
    pub(crate) target: Target,
    #[command(flatten)]
    pub(crate) feed: FeedArgs,
    /// The capture file (appended to if it exists).
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one, printed on stderr).
    #[arg(long)]
    pub(crate) port: u16,
    /// Venue whose protocol to speak.
    #[arg(long, value_parser = parse_venue)]
    pub(crate) venue: Venue,
    /// Replay at the recorded pace divided by this (default: as fast as clients read).
    #[arg(long)]
    pub(crate) speedup: Option<u32>,
    /// Never send the Nth forwarded book frame (repeatable).
    #[arg(long = "drop")]
    pub(crate) drop: Vec<u64>,
    /// Send the Nth forwarded book frame twice (repeatable).
    #[arg(long = "duplicate")]
    pub(crate) duplicate: Vec<u64>,
    /// Swap the Nth and N+1th forwarded book frames (repeatable).
    #[arg(long = "reorder")]
    pub(crate) reorder: Vec<u64>,
    /// Change one level's size in the Nth forwarded book frame (repeatable).
    #[arg(long = "corrupt")]
    pub(crate) corrupt: Vec<u64>,
    /// Drop the first connection that has received N frames, without a close frame.
    #[arg(long = "disconnect-after")]
    pub(crate) disconnect_after: Option<u64>,
    /// Make the first connection that has received N frames go silent, socket left open.
    #[arg(long = "stall-after")]
    pub(crate) stall_after: Option<u64>,
    /// Hold the book data of the first connection that has received N frames back for
    /// --pause-ms, then go on (pings still answered: only a book watchdog notices).
    #[arg(long = "pause-after", requires = "pause_ms")]
    pub(crate) pause_after: Option<u64>,
    /// How long --pause-after holds the data back, in milliseconds.
    #[arg(long = "pause-ms", requires = "pause_after")]
    pub(crate) pause_ms: Option<u64>,
    /// Answer the first N REST snapshot requests with 429 and Retry-After: 1.
    #[arg(long = "refuse-rest", default_value_t = 0)]
    pub(crate) refuse_rest: u32,
    /// Delay every REST answer by this many milliseconds.
    #[arg(long = "delay-rest-ms", default_value_t = 0)]
    pub(crate) delay_rest_ms: u64,
    /// Capture files to replay (merged by receive time).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
}

/// The `--emit` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Emit {
    None,
    Tob,
    Depth(usize),
}

impl FromStr for Emit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(Emit::None),
            "tob" => Ok(Emit::Tob),
            _ => match s.strip_prefix("depth:").map(str::parse::<usize>) {
                Some(Ok(n)) if n > 0 => Ok(Emit::Depth(n)),
                _ => Err(format!("`{s}` is not none, tob or depth:N (N > 0)")),
            },
        }
    }
}

pub(crate) fn parse_venue(s: &str) -> Result<Venue, String> {
    Venue::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Venue::ALL.iter().map(|v| v.name()).collect();
        format!("unknown venue `{s}` (known: {})", names.join(", "))
    })
}

pub(crate) fn parse_market(s: &str) -> Result<depthbook_net::Market, String> {
    use depthbook_net::Market;
    [Market::Spot, Market::UsdtFutures]
        .into_iter()
        .find(|m| m.name() == s)
        .ok_or_else(|| format!("unknown market `{s}` (known: spot, usdt-futures)"))
}

pub(crate) fn parse_channel(s: &str) -> Result<depthbook_net::BookChannel, String> {
    depthbook_net::BookChannel::from_name(s)
        .ok_or_else(|| format!("unknown book channel `{s}` (known: default, mbp, full)"))
}

pub(crate) fn parse_precision(s: &str) -> Result<(u8, u8), String> {
    let err = || format!("`{s}` is not P:Q (price and size decimals, each 0-18)");
    let (p, q) = s.split_once(':').ok_or_else(err)?;
    let p: u8 = p.parse().map_err(|_| err())?;
    let q: u8 = q.parse().map_err(|_| err())?;
    if p > 18 || q > 18 {
        return Err(err());
    }
    Ok((p, q))
}

/// A `--NAME SECS` option as a duration: a finite number of seconds, at least 0.
pub(crate) fn seconds(
    name: &str,
    secs: Option<f64>,
) -> anyhow::Result<Option<std::time::Duration>> {
    match secs {
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
        Some(s) => anyhow::bail!("--{name} {s} is not a number of seconds"),
        None => Ok(None),
    }
}
