//! Writes the whole-process comparison's input: the seeded Binance-like workload as a depthbook
//! capture of Binance spot `depthUpdate` frames, one REST snapshot first.
//!
//! ```text
//! binance-stream [EVENTS] [OUT]     # defaults: 200000, target/depthbook-bench/binance_stream.capture
//! ```
//!
//! The same file is replayed by `depthbook replay --venue binance-spot --emit none` and by the
//! peers' `sonic-replay`, so both processes read, parse and apply exactly the same bytes.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use depthbook_benches::{Workload, binance_frames, report_dir};

/// Changes per `depthUpdate` frame: the workload's events, one frame each.
const PER_EVENT: usize = 9;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let events = match args.next() {
        Some(n) => n.parse().map_err(|e| std::io::Error::other(format!("EVENTS: {e}")))?,
        None => 200_000,
    };
    let out =
        args.next().map_or_else(|| report_dir().join("binance_stream.capture"), PathBuf::from);
    let changes = Workload { events, ..Workload::BINANCE_LIKE }.generate(42);
    let (frames, snapshot) = binance_frames(&changes, PER_EVENT, 1_000);
    let mut file = BufWriter::new(std::fs::File::create(&out)?);
    // Receive times 100 µs apart, from 2024-08-09 (the bundled capture's day).
    let mut recv_ns: u64 = 1_723_161_253_937_085_768;
    let url = "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=5000";
    file.write_all(format!("{recv_ns} @rest {url} ").as_bytes())?;
    file.write_all(&snapshot)?;
    file.write_all(b"\n")?;
    for frame in &frames {
        recv_ns += 100_000;
        file.write_all(format!("{recv_ns} ").as_bytes())?;
        file.write_all(frame)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    eprintln!("{}: {} frames, {} changes", out.display(), frames.len(), changes.len());
    Ok(())
}
