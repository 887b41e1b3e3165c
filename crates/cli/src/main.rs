//! The `depthbook` command: exact order books from live or recorded exchange feeds.

#![forbid(unsafe_code)]

mod args;
mod bus;
mod export;
mod fleet;
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
        Some(Command::Instruments(args)) => print_instruments(&args),
        Some(Command::Subscribe(args)) => bus::subscribe(&args),
        Some(Command::Export(args)) => export::run(&args),
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

/// `depthbook instruments`: one JSON line per symbol the venue describes, decimals as strings.
fn print_instruments(args: &args::InstrumentsArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let protocol = depthbook_net::Protocol::of_market(args.target.venue, args.target.market)?;
    let infos = depthbook_net::fetch_instruments(
        &protocol,
        &args.target.symbols,
        args.rest_url.as_deref(),
        std::time::Duration::from_secs(10),
    )
    .context("cannot fetch instrument metadata")?;
    let mut out = io::stdout().lock();
    for info in infos {
        writeln!(out, "{}", json::instrument_line(args.target.venue, &info))?;
    }
    Ok(())
}

/// `depthbook venues`: the capability table, generated from the code (Markdown; the README's
/// copy is checked against it by a test).
fn print_venues() -> anyhow::Result<()> {
    io::stdout().lock().write_all(depthbook_venues::capability_table().as_bytes())?;
    Ok(())
}
