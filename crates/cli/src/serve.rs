//! `depthbook serve`: the loopback exchange.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use depthbook_sim::{Faults, Pace, ServeConfig, Server};

use crate::args::ServeArgs;

/// Runs the loopback exchange until Ctrl-C.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let mut config = ServeConfig::new(args.venue, args.files.clone());
    config.pace = match args.speedup {
        Some(speedup) => Pace::Recorded { speedup },
        None => Pace::AsFastAsPossible,
    };
    config.faults = Faults {
        drop: args.drop.clone(),
        duplicate: args.duplicate.clone(),
        reorder: args.reorder.clone(),
        corrupt: args.corrupt.clone(),
        disconnect_after: args.disconnect_after,
        stall_after: args.stall_after,
        pause_after: args.pause_after.zip(args.pause_ms.map(Duration::from_millis)),
        refuse_rest: args.refuse_rest,
        delay_rest: Duration::from_millis(args.delay_rest_ms),
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let server = Server::start(addr, config).context("cannot start the loopback exchange")?;
    let local = server.local_addr();
    eprintln!(
        "depthbook: serving {} on ws://{local} (REST on http://{local}); Ctrl-C to stop",
        args.venue
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed))
        .context("cannot install the Ctrl-C handler")?;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let stats = server.stats();
    server.shutdown();
    eprintln!("depthbook: {stats:?}");
    Ok(())
}
