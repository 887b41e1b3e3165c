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

/// `depthbook venues`: the capability table, generated from the code (Markdown; the README's
/// copy is checked against it by a test).
fn print_venues() -> anyhow::Result<()> {
    io::stdout().lock().write_all(depthbook_venues::capability_table().as_bytes())?;
    Ok(())
}
