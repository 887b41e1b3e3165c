//! `depthbook export`: book data out for research tools, one row per book update or per
//! interval, in tardis's `book_snapshot_N` CSV layout.
//!
//! Columns: `exchange,symbol,timestamp,local_timestamp`, then `asks[i].price,asks[i].amount`
//! for i < N, then `bids[i].price,bids[i].amount`, then `seq,generation,state,integrity`.
//! Times are microseconds since the Unix epoch, as tardis writes them: `timestamp` the venue's
//! event time (the receive time where the venue sends none), `local_timestamp` the receive
//! time. Prices and sizes are the exact decimal strings of `depthbook replay`. A Stale book is a
//! row too, `state` `stale` and its levels empty: a gap in the data is never silently missing.

use std::io::{BufWriter, Write};

use anyhow::{Context, bail};
use depthbook_capture::CaptureReader;
use depthbook_core::Side;
use depthbook_engine::{BookState, Engine, EngineConfig, SlowConsumer, Status, Update};
use depthbook_venues::InstrumentId;

use crate::args::{ExportArgs, ExportFormat};

/// Runs `depthbook export`.
pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<()> {
    if args.format == ExportFormat::Parquet {
        bail!("--format parquet is not built yet: use --format csv (issue 21)");
    }
    if args.levels == 0 {
        bail!("--depth must be at least 1");
    }
    let interval_ns = match args.interval {
        Some(0) => bail!("--interval must be at least 1 ms"),
        Some(ms) => Some(i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1_000_000)),
        None => None,
    };
    let mut config = EngineConfig::new(args.venue);
    if !args.symbols.is_empty() {
        config.symbols = Some(args.symbols.clone());
    }
    config.default_depth = args.depth;
    config.default_precision = args.precision;
    let max_line = config.limits.max_frame_bytes.saturating_mul(2).saturating_add(64 << 10);
    let mut engine = Engine::new(config);
    let updates = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let mut reader =
        CaptureReader::open(&args.files, max_line).context("cannot read the capture")?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut rows = Rows { levels: args.levels, text: String::with_capacity(4096), written: 0 };
    rows.header(&mut out)?;
    let mut next_boundary: Option<i64> = None;
    while let Some(record) = reader.next()? {
        let recv_ns = record.recv_ns;
        // Interval rows are the books as they stood at each boundary the capture passed.
        if let Some(interval) = interval_ns.filter(|_| recv_ns > 0) {
            let boundary =
                next_boundary.get_or_insert(recv_ns - recv_ns.rem_euclid(interval) + interval);
            while *boundary <= recv_ns {
                for id in 0..engine.n_instruments() as InstrumentId {
                    rows.book(&mut out, &engine, id, *boundary, None)?;
                }
                *boundary += interval;
            }
        }
        depthbook_capture::feed(&mut engine, &record);
        for update in updates.try_iter() {
            if interval_ns.is_some() {
                continue;
            }
            match update {
                Update::Book(view) => {
                    rows.book(&mut out, &engine, view.instrument, view.recv_ns, view.exchange_ms)?
                }
                Update::Status(status) if matches!(status.status, Status::Stale(_)) => {
                    rows.book(&mut out, &engine, status.instrument, recv_ns, None)?
                }
                Update::Status(_) => {}
            }
        }
    }
    out.flush()?;
    eprintln!(
        "depthbook: wrote {} rows to {} ({} books)",
        rows.written,
        args.out.display(),
        engine.n_instruments()
    );
    Ok(())
}

/// The CSV writer's state.
struct Rows {
    levels: usize,
    text: String,
    written: u64,
}

impl Rows {
    fn header(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        let mut line = String::from("exchange,symbol,timestamp,local_timestamp");
        for side in ["asks", "bids"] {
            for i in 0..self.levels {
                line.push_str(&format!(",{side}[{i}].price,{side}[{i}].amount"));
            }
        }
        line.push_str(",seq,generation,state,integrity\n");
        out.write_all(line.as_bytes())
    }

    /// One row of `id`'s book at `recv_ns`: its levels and integrity while Live, empty and
    /// `stale` otherwise.
    fn book(
        &mut self,
        out: &mut impl Write,
        engine: &Engine,
        id: InstrumentId,
        recv_ns: i64,
        exchange_ms: Option<i64>,
    ) -> std::io::Result<()> {
        let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) else { return Ok(()) };
        if state == BookState::AwaitingSnapshot {
            // Never trusted yet: nothing to say about it.
            return Ok(());
        }
        let live = state.is_live();
        let top = engine.last_view(id);
        let local_us = recv_ns.div_euclid(1_000);
        let exchange_us = exchange_ms.or(top.and_then(|t| t.exchange_ms)).map(|ms| ms * 1_000);
        let text = &mut self.text;
        text.clear();
        text.push_str(engine.venue().name());
        text.push(',');
        push_csv(text, engine.symbol(id));
        text.push_str(&format!(",{},{local_us}", exchange_us.unwrap_or(local_us)));
        for side in [Side::Ask, Side::Bid] {
            let mut levels = book.side(side).iter().filter(|_| live);
            for _ in 0..self.levels {
                match levels.next() {
                    Some(level) => text.push_str(&format!(",{},{}", level.price, level.qty)),
                    None => text.push_str(",,"),
                }
            }
        }
        let seq = engine.last_seq(id).map(|s| s.to_string()).unwrap_or_default();
        let generation = top.map_or(0, |t| t.generation);
        let (state, integrity) = match (live, top) {
            (true, Some(top)) => ("live", top.integrity.name()),
            _ => ("stale", ""),
        };
        text.push_str(&format!(",{seq},{generation},{state},{integrity}\n"));
        self.written += 1;
        out.write_all(text.as_bytes())
    }
}

/// A CSV field: quoted if it holds a comma, a quote or a line break.
fn push_csv(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}
