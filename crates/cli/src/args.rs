//! Command-line arguments.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};
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
    /// Print the venue capability table.
    Venues,
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
    /// Capture files (merged by receive time); `-` reads standard input.
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

fn parse_venue(s: &str) -> Result<Venue, String> {
    Venue::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Venue::ALL.iter().map(|v| v.name()).collect();
        format!("unknown venue `{s}` (known: {})", names.join(", "))
    })
}

fn parse_precision(s: &str) -> Result<(u8, u8), String> {
    let err = || format!("`{s}` is not P:Q (price and size decimals, each 0-18)");
    let (p, q) = s.split_once(':').ok_or_else(err)?;
    let p: u8 = p.parse().map_err(|_| err())?;
    let q: u8 = q.parse().map_err(|_| err())?;
    if p > 18 || q > 18 {
        return Err(err());
    }
    Ok((p, q))
}
