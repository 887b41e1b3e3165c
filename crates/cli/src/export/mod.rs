//! `depthbook export`: book data out for research tools, one row per book update or per
//! interval, as CSV in tardis's `book_snapshot_N` layout or as Parquet with the same columns.
//!
//! Columns: `exchange,symbol,timestamp,local_timestamp`, then `asks[i].price,asks[i].amount`
//! for i < N, then `bids[i].price,bids[i].amount`, then `seq,generation,state,integrity`.
//! Times are microseconds since the Unix epoch, as tardis writes them: `timestamp` the venue's
//! event time (the receive time where the venue sends none), `local_timestamp` the receive
//! time. Prices and sizes are the exact decimal strings of `depthbook replay`. A Stale book is a
//! row too, `state` `stale` and its levels empty: a gap in the data is never silently missing.
//!
//! One driver replays the capture and builds each [`Row`]; a [`RowSink`] per format writes it.

mod csv;
mod parquet;

use anyhow::{Context, bail};
use depthbook_capture::CaptureReader;
use depthbook_core::{Level, Side};
use depthbook_engine::{BookState, Engine, SlowConsumer, Status, Update};
use depthbook_venues::InstrumentId;

use crate::args::{ExportArgs, ExportFormat};

/// One book at one moment, as every format writes it.
pub(crate) struct Row<'a> {
    /// The venue's name on the command line (`binance-spot`).
    pub(crate) exchange: &'static str,
    pub(crate) symbol: &'a str,
    /// The venue's event time in µs since the epoch, else the receive time.
    pub(crate) timestamp_us: i64,
    /// The receive time in µs since the epoch.
    pub(crate) local_timestamp_us: i64,
    /// Best first, at most the export's depth; empty for a Stale book.
    pub(crate) asks: &'a [Level],
    /// Best first, at most the export's depth; empty for a Stale book.
    pub(crate) bids: &'a [Level],
    /// The venue's sequence number of the book's last message, where it numbers them.
    pub(crate) seq: Option<i64>,
    /// Counts the book's snapshots: a new generation is a new, unrelated book.
    pub(crate) generation: u64,
    /// Live (trusted) or Stale.
    pub(crate) live: bool,
    /// How the book is known to be right (`verified`, `sequenced`, ...), while Live.
    pub(crate) integrity: Option<&'static str>,
}

impl Row<'_> {
    /// `live` or `stale`.
    pub(crate) fn state(&self) -> &'static str {
        if self.live { "live" } else { "stale" }
    }
}

/// Where rows go: one implementation per file format.
pub(crate) trait RowSink {
    /// Writes one row.
    fn write(&mut self, row: &Row<'_>) -> anyhow::Result<()>;

    /// Writes what is buffered and closes the file.
    fn finish(self: Box<Self>) -> anyhow::Result<()>;
}

/// The column names, in order, for `levels` levels a side.
pub(crate) fn column_names(levels: usize) -> Vec<String> {
    let mut names: Vec<String> =
        ["exchange", "symbol", "timestamp", "local_timestamp"].map(String::from).into();
    for side in ["asks", "bids"] {
        for i in 0..levels {
            names.push(format!("{side}[{i}].price"));
            names.push(format!("{side}[{i}].amount"));
        }
    }
    names.extend(["seq", "generation", "state", "integrity"].map(String::from));
    names
}

/// Runs `depthbook export`.
pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<()> {
    if args.levels == 0 {
        bail!("--depth must be at least 1");
    }
    let interval_ns = match args.interval {
        Some(0) => bail!("--interval must be at least 1 ms"),
        Some(ms) => Some(i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1_000_000)),
        None => None,
    };
    let (mut engine, max_line) =
        crate::replay::replay_engine(args.venue, &args.symbols, args.depth, args.precision);
    let updates = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let mut reader =
        CaptureReader::open(&args.files, max_line).context("cannot read the capture")?;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let sink: Box<dyn RowSink> = match args.format {
        ExportFormat::Csv => Box::new(csv::CsvRows::new(file, args.levels)?),
        ExportFormat::Parquet => Box::new(parquet::ParquetRows::new(file, args.levels)?),
    };
    let mut rows =
        Rows { sink, levels: args.levels, asks: Vec::new(), bids: Vec::new(), written: 0 };
    let mut next_boundary: Option<i64> = None;
    while let Some(record) = reader.next()? {
        let recv_ns = record.recv_ns;
        // Interval rows are the books as they stood at each boundary the capture passed.
        if let Some(interval) = interval_ns.filter(|_| recv_ns > 0) {
            let boundary =
                next_boundary.get_or_insert(recv_ns - recv_ns.rem_euclid(interval) + interval);
            while *boundary <= recv_ns {
                for id in 0..engine.n_instruments() as InstrumentId {
                    rows.book(&engine, id, *boundary, None)?;
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
                    rows.book(&engine, view.instrument, view.recv_ns, view.exchange_ms)?
                }
                Update::Status(status) if matches!(status.status, Status::Stale(_)) => {
                    rows.book(&engine, status.instrument, recv_ns, None)?
                }
                Update::Status(_) => {}
            }
        }
    }
    let written = rows.written;
    rows.sink.finish().with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!(
        "depthbook: wrote {written} rows to {} ({} books)",
        args.out.display(),
        engine.n_instruments()
    );
    Ok(())
}

/// Builds rows from the engine's books and hands them to the sink.
struct Rows {
    sink: Box<dyn RowSink>,
    levels: usize,
    asks: Vec<Level>,
    bids: Vec<Level>,
    written: u64,
}

impl Rows {
    /// One row of `id`'s book at `recv_ns`: its levels and integrity while Live, empty and
    /// `stale` otherwise. A book never trusted yet has no row.
    fn book(
        &mut self,
        engine: &Engine,
        id: InstrumentId,
        recv_ns: i64,
        exchange_ms: Option<i64>,
    ) -> anyhow::Result<()> {
        let (Some(book), Some(state)) = (engine.book(id), engine.state(id)) else { return Ok(()) };
        if state == BookState::AwaitingSnapshot {
            return Ok(());
        }
        let live = state.is_live();
        let top = engine.last_view(id);
        let local_us = recv_ns.div_euclid(1_000);
        let exchange_us = exchange_ms.or(top.and_then(|t| t.exchange_ms)).map(|ms| ms * 1_000);
        for (side, out) in [(Side::Ask, &mut self.asks), (Side::Bid, &mut self.bids)] {
            out.clear();
            if live {
                out.extend(book.side(side).iter().take(self.levels));
            }
        }
        let row = Row {
            exchange: engine.venue().name(),
            symbol: engine.symbol(id),
            timestamp_us: exchange_us.unwrap_or(local_us),
            local_timestamp_us: local_us,
            asks: &self.asks,
            bids: &self.bids,
            seq: engine.last_seq(id),
            generation: top.map_or(0, |t| t.generation),
            live: live && top.is_some(),
            integrity: top.filter(|_| live).map(|t| t.integrity.name()),
        };
        self.sink.write(&row)?;
        self.written += 1;
        Ok(())
    }
}
