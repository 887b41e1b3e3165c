//! `depthbook.replay` and `depthbook.replay_table`: captures replayed on the caller's thread,
//! one dict (or table row) per line `depthbook replay --emit` prints.

use std::path::PathBuf;

use crossbeam_channel::Receiver;
use depthbook_capture::CaptureReader;
use depthbook_core::{Level, Price, Qty, Side};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer, StatusEvent, TopOfBook, Update};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{Decimals, counters_dict, parse_venue, put_status};

/// What each view carries: top of book, or the best `n` levels a side.
#[derive(Debug, Clone, Copy)]
enum Emit {
    Tob,
    Depth(usize),
}

fn parse_emit(emit: &str) -> PyResult<Emit> {
    match emit {
        "tob" => Ok(Emit::Tob),
        _ => match emit.strip_prefix("depth:").map(str::parse::<usize>) {
            Some(Ok(n)) if n > 0 => Ok(Emit::Depth(n)),
            _ => Err(PyValueError::new_err(format!("emit `{emit}` is not tob or depth:N (N > 0)"))),
        },
    }
}

/// What a replay yields: a view, or a state change (with `statuses=True`).
#[derive(Debug, Clone, Copy)]
enum Item {
    View(TopOfBook),
    Status(StatusEvent),
}

/// An iterator over a replay's views (see [`replay`]).
#[pyclass(unsendable, module = "depthbook")]
pub(crate) struct Replay {
    engine: Engine,
    reader: CaptureReader,
    views: Receiver<Update>,
    emit: Emit,
    several_files: bool,
    lines: u64,
    /// What the last record read published, not yet handed out, with its line, file and
    /// receive time.
    queued: std::collections::VecDeque<(Item, u64, usize, i64)>,
    /// Yield state changes too.
    statuses: bool,
    /// Add `recv_ns` and `exchange_ms` to views.
    timestamps: bool,
    finished: bool,
    decimals: Decimals,
}

#[pymethods]
impl Replay {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match self.next_item()? {
            Some((Item::View(view), line, file, _)) => self.view_dict(py, &view, line, file),
            Some((Item::Status(status), line, file, recv_ns)) => {
                self.status_dict(py, &status, line, file, recv_ns)
            }
            None => Err(PyStopIteration::new_err(())),
        }
    }

    /// The replay's counters (the CLI's counters line) so far: complete once the iterator is
    /// exhausted.
    #[getter]
    fn counters(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        counters_dict(py, &[("lines", self.lines)], self.engine.counters())
    }
}

impl Replay {
    /// The next view with its line and file; `None` at the end of the captures.
    fn next_view(&mut self) -> PyResult<Option<(TopOfBook, u64, usize)>> {
        while let Some((item, line, file, _)) = self.next_item()? {
            if let Item::View(view) = item {
                return Ok(Some((view, line, file)));
            }
        }
        Ok(None)
    }

    /// The next view or state change with its line, file and receive time; `None` at the end
    /// of the captures.
    fn next_item(&mut self) -> PyResult<Option<(Item, u64, usize, i64)>> {
        loop {
            if let Some(next) = self.queued.pop_front() {
                return Ok(Some(next));
            }
            if self.finished {
                return Ok(None);
            }
            match self.reader.next() {
                Ok(Some(record)) => {
                    self.lines += 1;
                    depthbook_capture::feed(&mut self.engine, &record);
                    let at = (record.line, record.file, record.recv_ns);
                    for update in self.views.try_iter() {
                        let item = match update {
                            Update::Book(view) => Item::View(view),
                            Update::Status(status) if self.statuses => Item::Status(status),
                            Update::Status(_) => continue,
                        };
                        self.queued.push_back((item, at.0, at.1, at.2));
                    }
                }
                Ok(None) => self.finished = true,
                Err(error) => {
                    self.finished = true;
                    return Err(PyValueError::new_err(format!("cannot read the capture: {error}")));
                }
            }
        }
    }

    fn levels<'py>(
        &self,
        py: Python<'py>,
        side: Side,
        n: usize,
        id: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let book = self.engine.book(id);
        let levels = book.into_iter().flat_map(|b| b.side(side).iter().take(n));
        self.decimals.levels(py, levels.map(|Level { price, qty, .. }| (price, qty)))
    }

    /// A dict with what every item starts with: `line` (and `file`), `venue`, `symbol`.
    fn head<'py>(
        &self,
        py: Python<'py>,
        line: u64,
        file: usize,
        instrument: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("line", line)?;
        if self.several_files {
            dict.set_item("file", file)?;
        }
        dict.set_item("venue", self.engine.venue().name())?;
        dict.set_item("symbol", self.engine.symbol(instrument))?;
        Ok(dict)
    }

    /// The view as the CLI's `--emit` line, as a dict.
    fn view_dict(
        &self,
        py: Python<'_>,
        view: &TopOfBook,
        line: u64,
        file: usize,
    ) -> PyResult<Py<PyAny>> {
        let dict = self.head(py, line, file, view.instrument)?;
        dict.set_item("seq", view.seq)?;
        match self.emit {
            Emit::Tob => {
                dict.set_item("bid", self.decimals.level(py, view.bid)?)?;
                dict.set_item("ask", self.decimals.level(py, view.ask)?)?;
            }
            Emit::Depth(n) => {
                dict.set_item("bids", self.levels(py, Side::Bid, n, view.instrument)?)?;
                dict.set_item("asks", self.levels(py, Side::Ask, n, view.instrument)?)?;
            }
        }
        dict.set_item("integrity", view.integrity.name())?;
        dict.set_item("crossed", view.crossed)?;
        if self.timestamps {
            dict.set_item("recv_ns", view.recv_ns)?;
            dict.set_item("exchange_ms", view.exchange_ms)?;
        }
        Ok(dict.into_any().unbind())
    }

    /// A state change: `line` (and `file`), `venue`, `symbol`, `state` (`live` or `stale`),
    /// `reason` (a Stale book's), `generation`, and `recv_ns` with `timestamps=True`.
    fn status_dict(
        &self,
        py: Python<'_>,
        status: &StatusEvent,
        line: u64,
        file: usize,
        recv_ns: i64,
    ) -> PyResult<Py<PyAny>> {
        let dict = self.head(py, line, file, status.instrument)?;
        put_status(&dict, status)?;
        if self.timestamps {
            dict.set_item("recv_ns", recv_ns)?;
        }
        Ok(dict.into_any().unbind())
    }
}

/// Replays recorded captures (any format `depthbook replay` reads, merged by receive time)
/// through depthbook's engine and yields one dict per view the CLI's `--emit` would print:
/// `line` (and `file` with several paths), `venue`, `symbol`, `seq`, `bid`/`ask` (a pair of
/// `decimal.Decimal`, or None) or, with `emit="depth:N"`, `bids`/`asks` (best first),
/// `integrity` and `crossed`. Only Live books yield views. After the last, `.counters` holds
/// the CLI's counters.
///
/// With `statuses=True` it also yields each state change as a dict with `state` (`live` or
/// `stale`), `reason` and `generation` in place of the levels; with `timestamps=True` views
/// carry `recv_ns` and `exchange_ms` (and state changes `recv_ns`).
///
/// Raises ValueError for an unknown venue, a bad `emit` or a capture that cannot be read.
#[pyfunction]
#[pyo3(signature = (venue, paths, symbols=None, depth=None, emit="tob", statuses=false, timestamps=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn replay(
    py: Python<'_>,
    venue: &str,
    paths: Vec<PathBuf>,
    symbols: Option<Vec<String>>,
    depth: Option<u32>,
    emit: &str,
    statuses: bool,
    timestamps: bool,
) -> PyResult<Replay> {
    let venue = parse_venue(venue)?;
    let emit = parse_emit(emit)?;
    if paths.is_empty() {
        return Err(PyValueError::new_err("no capture paths"));
    }
    let mut config = EngineConfig::new(venue);
    config.symbols = symbols.filter(|s| !s.is_empty());
    config.default_depth = depth;
    let max_line = config.limits.max_frame_bytes.saturating_mul(2).saturating_add(64 << 10);
    let mut engine = Engine::new(config);
    let views = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let reader = CaptureReader::open(&paths, max_line)
        .map_err(|e| PyValueError::new_err(format!("cannot read the capture: {e}")))?;
    let decimals = Decimals::new(py)?;
    Ok(Replay {
        engine,
        reader,
        views,
        emit,
        several_files: paths.len() > 1,
        lines: 0,
        queued: std::collections::VecDeque::new(),
        statuses,
        timestamps,
        finished: false,
        decimals,
    })
}

/// [`replay`]'s views as a `pyarrow.Table`, one row a view: `line`, `file` (with several
/// paths), `venue`, `symbol`, `seq`, then `bid_price`, `bid_size`, `ask_price`, `ask_size`
/// (tob) or `bids`, `asks` (lists of `[price, size]`, best first; `depth:N`), `integrity`,
/// `crossed`. Prices and sizes are exact decimal strings, never floats, so
/// `.to_pandas()` and `polars.from_arrow()` keep them exact.
///
/// Raises ImportError without pyarrow, ValueError as [`replay`] does.
#[pyfunction]
#[pyo3(signature = (venue, paths, symbols=None, depth=None, emit="tob"))]
pub(crate) fn replay_table(
    py: Python<'_>,
    venue: &str,
    paths: Vec<PathBuf>,
    symbols: Option<Vec<String>>,
    depth: Option<u32>,
    emit: &str,
) -> PyResult<Py<PyAny>> {
    let pyarrow = py.import("pyarrow").map_err(|_| {
        pyo3::exceptions::PyImportError::new_err("replay_table needs pyarrow: pip install pyarrow")
    })?;
    let several = paths.len() > 1;
    let mut replay = replay(py, venue, paths, symbols, depth, emit, false, false)?;
    let text = |level: Option<(Price, Qty)>| level.map(|(p, q)| (p.to_string(), q.to_string()));
    let mut columns: Vec<(&str, Vec<Py<PyAny>>)> = Vec::new();
    let mut push =
        |name: &'static str, value: Py<PyAny>| match columns.iter_mut().find(|(n, _)| *n == name) {
            Some((_, column)) => column.push(value),
            None => columns.push((name, vec![value])),
        };
    loop {
        let (view, line, file) = match replay.next_view()? {
            Some(next) => next,
            None => break,
        };
        push("line", obj(py, line)?);
        if several {
            push("file", obj(py, file as u64)?);
        }
        push("venue", obj(py, replay.engine.venue().name().to_owned())?);
        push("symbol", obj(py, replay.engine.symbol(view.instrument).to_owned())?);
        push("seq", obj(py, view.seq)?);
        match replay.emit {
            Emit::Tob => {
                let (bid, ask) = (text(view.bid), text(view.ask));
                push("bid_price", obj(py, bid.as_ref().map(|b| b.0.clone()))?);
                push("bid_size", obj(py, bid.map(|b| b.1))?);
                push("ask_price", obj(py, ask.as_ref().map(|a| a.0.clone()))?);
                push("ask_size", obj(py, ask.map(|a| a.1))?);
            }
            Emit::Depth(n) => {
                for (name, side) in [("bids", Side::Bid), ("asks", Side::Ask)] {
                    let levels: Vec<Vec<String>> = replay
                        .engine
                        .book(view.instrument)
                        .map(|book| {
                            book.side(side)
                                .iter()
                                .take(n)
                                .map(|l| vec![l.price.to_string(), l.qty.to_string()])
                                .collect()
                        })
                        .unwrap_or_default();
                    push(name, levels.into_pyobject(py)?.into_any().unbind());
                }
            }
        }
        push("integrity", obj(py, view.integrity.name().to_owned())?);
        push("crossed", obj(py, view.crossed)?);
    }
    let dict = PyDict::new(py);
    for (name, column) in columns {
        dict.set_item(name, PyList::new(py, column)?)?;
    }
    Ok(pyarrow.call_method1("table", (dict,))?.unbind())
}

/// A value as a Python object (the columns of [`replay_table`]).
fn obj<T: for<'py> IntoPyObject<'py>>(py: Python<'_>, value: T) -> PyResult<Py<PyAny>> {
    value.into_py_any(py)
}
