//! The `depthbook` command: exact order books from live or recorded exchange feeds.

#![forbid(unsafe_code)]

mod args;
mod json;
mod ladder;
mod live;
mod replay;
mod serve;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One clear line: clap's first line names the problem; its usage hints follow.
            let rendered = e.render().to_string();
            let first: Vec<&str> =
                rendered.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("depthbook: {}", first.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => replay::default_replay(),
        Some(Command::Replay(args)) => replay::run(&args),
        Some(Command::Live(args)) => live::live(&args),
        Some(Command::Record(args)) => live::record(&args),
        Some(Command::Serve(args)) => serve::run(&args),
        Some(Command::Venues) => print_venues(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depthbook: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// `depthbook venues`: the capability table, generated from the code.
fn print_venues() -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{:<14} {:<9} {:<42} {:<36} depth",
        "venue", "snapshot", "sequence rule", "checksum"
    )?;
    for venue in depthbook_venues::Venue::ALL {
        let snapshot = match venue.snapshot_source() {
            depthbook_venues::SnapshotSource::Rest => "REST",
            depthbook_venues::SnapshotSource::Stream => "stream",
        };
        let seq = match venue.seq_rule() {
            depthbook_venues::SeqRule::BinanceSpot => "U <= id+1 <= u bridge; then U == prev u + 1",
            depthbook_venues::SeqRule::BinanceUsdm => "U <= id <= u bridge; then pu == prev u",
            depthbook_venues::SeqRule::PrevEqualsLast => "prevSeqId == prev seqId",
            depthbook_venues::SeqRule::Unsequenced => "none",
        };
        let checksum = match venue.checksum_rule() {
            depthbook_venues::ChecksumRule::None => "none",
            depthbook_venues::ChecksumRule::Interleaved25 => {
                "CRC32 signed, 25 interleaved (0 = absent)"
            }
            depthbook_venues::ChecksumRule::KrakenAsSent => "CRC32 unsigned, top 10, text as sent",
            depthbook_venues::ChecksumRule::KrakenPrecision => {
                "CRC32 unsigned, top 10, at precision"
            }
        };
        let depth =
            if venue.truncates_to_depth() { "truncated to subscription" } else { "as sent" };
        writeln!(out, "{:<14} {:<9} {:<42} {:<36} {depth}", venue.name(), snapshot, seq, checksum)?;
    }
    Ok(())
}
