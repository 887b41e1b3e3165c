//! `depthbook.Feed` and `depthbook.Books`: the facade's feeds from Python.
//!
//! `Feed.live(...)` / `Feed.replay(...)` configure a feed; `.start()` runs its ingest loop on a
//! thread of its own and returns [`Books`]. `books.top(symbol)` and `books.depth(symbol)` read
//! the lock-free latest-value cells with the GIL released (the read never blocks the loop, nor
//! waits for it); `books.updates()` iterates the loop's stream of views and state changes,
//! waiting for each with the GIL released. Every value is exact: `decimal.Decimal`, never float.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use depthbook_facade::{
    BookChannel, BookState, Books as RustBooks, Counters, DepthReader, Feed as RustFeed, Market,
    SlowConsumer, StatusEvent, TopOfBook, TopReader, Update,
};
use depthbook_venues::{InstrumentId, Venue};
use pyo3::exceptions::{PyKeyError, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::Error;
use crate::convert::{Decimals, counters_dict, parse_venue, put_status, state_names};

/// How long a waiting `updates()` iteration holds the GIL-free wait before it checks for
/// Ctrl-C (and its own timeout).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// How long `wait()` sleeps, the GIL released, between looks at the loop and for Ctrl-C.
const WAIT_SLICE: Duration = Duration::from_millis(10);

/// A feed not started yet: a venue, its symbols, and live or recorded.
#[pyclass(module = "depthbook", frozen)]
pub(crate) struct Feed {
    venue: Venue,
    inner: RustFeed,
}

#[pymethods]
impl Feed {
    /// The venue's live feed of `symbols` (as the venue spells them). `url` and `rest_url`
    /// connect elsewhere than the venue (a testnet, or `depthbook serve`); `depth` is the
    /// subscribed depth where the venue asks for one; `market` `spot` or `usdt-futures`
    /// (Gate.io); `channel` `default`, `mbp` (HTX) or `full` (Bybit). Nothing connects until
    /// `start()`.
    #[staticmethod]
    #[pyo3(signature = (venue, symbols, *, url=None, rest_url=None, depth=None, market="spot", channel="default"))]
    fn live(
        venue: &str,
        symbols: Vec<String>,
        url: Option<String>,
        rest_url: Option<String>,
        depth: Option<u32>,
        market: &str,
        channel: &str,
    ) -> PyResult<Self> {
        let venue = parse_venue(venue)?;
        let mut inner = RustFeed::live(venue, symbols);
        match (url, rest_url) {
            (Some(url), rest_url) => inner = inner.endpoints(url, rest_url),
            (None, Some(_)) => return Err(PyValueError::new_err("rest_url needs url")),
            (None, None) => {}
        }
        if let Some(depth) = depth {
            inner = inner.depth(depth);
        }
        let market = [Market::Spot, Market::UsdtFutures]
            .into_iter()
            .find(|m| m.name() == market)
            .ok_or_else(|| {
            PyValueError::new_err(format!("unknown market `{market}` (spot, usdt-futures)"))
        })?;
        let channel = BookChannel::from_name(channel).ok_or_else(|| {
            PyValueError::new_err(format!("unknown book channel `{channel}` (default, mbp, full)"))
        })?;
        Ok(Self { venue, inner: inner.market(market).channel(channel) })
    }

    /// A replay of recorded captures (any format `depthbook replay` reads, merged by receive
    /// time), tracking `symbols`: the same engine and readers as a live feed, as fast as the
    /// loop goes. `depth` as `replay`'s, where the captures do not say.
    #[staticmethod]
    #[pyo3(signature = (venue, symbols, paths, *, depth=None))]
    fn replay(
        venue: &str,
        symbols: Vec<String>,
        paths: Vec<std::path::PathBuf>,
        depth: Option<u32>,
    ) -> PyResult<Self> {
        if paths.is_empty() {
            return Err(PyValueError::new_err("no capture paths"));
        }
        let venue = parse_venue(venue)?;
        let mut inner = RustFeed::replay(venue, symbols, paths);
        if let Some(depth) = depth {
            inner = inner.depth(depth);
        }
        Ok(Self { venue, inner })
    }

    /// The same feed, also keeping each symbol's best 20 levels a side for
    /// `books.depth(symbol)`.
    fn with_depth(&self) -> Self {
        Self { venue: self.venue, inner: self.inner.clone().with_depth() }
    }

    /// The same feed with `books.updates()`'s capacity (views; state changes are never dropped)
    /// and what happens when the consumer falls behind: `drop_newest` (count and drop new
    /// views) or `keep_latest` (every book's newest view is queued once there is room).
    #[pyo3(signature = (capacity=4096, policy="drop_newest"))]
    fn updates(&self, capacity: usize, policy: &str) -> PyResult<Self> {
        let policy = match policy {
            "drop_newest" => SlowConsumer::DropNewest,
            "keep_latest" => SlowConsumer::KeepLatest,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "unknown policy `{policy}` (drop_newest, keep_latest)"
                )));
            }
        };
        Ok(Self { venue: self.venue, inner: self.inner.clone().updates(capacity, policy) })
    }

    /// Starts the ingest loop on a thread of its own and returns its `Books`. A replay ends
    /// at the end of its captures; a live feed runs until `books.stop()`.
    ///
    /// Raises depthbook.Error with the Rust error's message (a capture that cannot be read, no
    /// symbols, a live feed that cannot start).
    fn start(&self, py: Python<'_>) -> PyResult<Books> {
        let feed = self.inner.clone();
        let books = py.detach(move || feed.start()).map_err(Error::from_rust)?;
        Books::new(py, self.venue, books)
    }

    fn __repr__(&self) -> String {
        format!("<depthbook.Feed {:?}>", self.inner)
    }
}

/// One tracked symbol's readers.
struct Tracked {
    symbol: String,
    top: TopReader,
    depth: Option<DepthReader>,
}

/// A started feed's books: readers per symbol and the stream of updates.
#[pyclass(module = "depthbook", frozen)]
pub(crate) struct Books {
    venue: Venue,
    tracked: Vec<Tracked>,
    updates: Receiver<Update>,
    /// The loop; taken by `wait()` or `stop()`. Behind a lock only so that those may take it
    /// from any thread: readers never touch it.
    feed: Mutex<Option<RustBooks>>,
    decimals: Decimals,
}

impl Books {
    fn new(py: Python<'_>, venue: Venue, books: RustBooks) -> PyResult<Self> {
        let tracked = books
            .readers()
            .map(|(symbol, top)| Tracked {
                symbol: symbol.to_owned(),
                top: top.clone(),
                depth: books.depth(symbol).cloned(),
            })
            .collect();
        Ok(Self {
            venue,
            tracked,
            updates: books.updates().clone(),
            feed: Mutex::new(Some(books)),
            decimals: Decimals::new(py)?,
        })
    }

    fn tracked(&self, symbol: &str) -> PyResult<&Tracked> {
        self.tracked
            .iter()
            .find(|t| t.symbol == symbol)
            .ok_or_else(|| PyKeyError::new_err(format!("`{symbol}` is not a symbol of this feed")))
    }

    /// Ends the loop (`stop`: asks it to; else waits for a replay's end) and returns its
    /// counters; the GIL is released meanwhile. A wait checks for Ctrl-C every
    /// [`WAIT_SLICE`], so that waiting on a live feed (which runs until stopped) can be
    /// interrupted.
    fn finish(&self, py: Python<'_>, stop: bool) -> PyResult<Py<PyAny>> {
        while !stop && !self.is_finished() {
            py.detach(|| std::thread::sleep(WAIT_SLICE));
            py.check_signals()?;
        }
        let books = self
            .feed
            .lock()
            .map_err(|_| Error::new_err("the feed's lock was poisoned"))?
            .take()
            .ok_or_else(|| Error::new_err("the feed already ended: wait() or stop() was called"))?;
        let counters: Counters = py
            .detach(move || if stop { books.stop() } else { books.wait() })
            .map_err(Error::from_rust)?;
        counters_dict(py, &[], &counters)
    }

    /// A dict with what every reading starts with: `venue`, `symbol`, `state`, `reason`,
    /// `resync_in_flight`.
    fn reading<'py>(
        &self,
        py: Python<'py>,
        symbol: &str,
        state: BookState,
        resync_in_flight: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("venue", self.venue.name())?;
        dict.set_item("symbol", symbol)?;
        let (state, reason) = state_names(state);
        dict.set_item("state", state)?;
        dict.set_item("reason", reason)?;
        dict.set_item("resync_in_flight", resync_in_flight)?;
        Ok(dict)
    }

    fn symbol_of(&self, id: InstrumentId) -> &str {
        self.tracked.iter().find(|t| t.top.instrument() == id).map_or("", |t| t.symbol.as_str())
    }
}

#[pymethods]
impl Books {
    /// The feed's venue, as `VENUES` names it.
    #[getter]
    fn venue(&self) -> &'static str {
        self.venue.name()
    }

    /// The tracked symbols, in the order given.
    #[getter]
    fn symbols(&self) -> Vec<String> {
        self.tracked.iter().map(|t| t.symbol.clone()).collect()
    }

    /// `symbol`'s latest top of book, read whole from its lock-free cell with the GIL
    /// released: `state` (`live`, `stale` or `awaiting_snapshot`), `reason` (a Stale book's),
    /// `resync_in_flight`, `tradeable` (Live and not crossed), then the last view published
    /// while Live: `generation`, `seq`, `bid`/`ask` (`(Decimal, Decimal)` or None),
    /// `integrity`, `crossed`, `recv_ns`, `exchange_ms` (None before the book was ever Live).
    /// A Stale book keeps its last view, marked: trade only on `tradeable`.
    ///
    /// Raises KeyError for a symbol the feed does not track.
    fn top(&self, py: Python<'_>, symbol: &str) -> PyResult<Py<PyAny>> {
        let tracked = self.tracked(symbol)?;
        let reader = &tracked.top;
        let latest = py.detach(|| reader.read());
        let dict = self.reading(py, symbol, latest.state, latest.resync_in_flight)?;
        dict.set_item("tradeable", latest.is_tradeable())?;
        let top = latest.top;
        dict.set_item("generation", top.map(|t| t.generation))?;
        dict.set_item("seq", top.and_then(|t| t.seq))?;
        dict.set_item("bid", self.decimals.level(py, top.and_then(|t| t.bid))?)?;
        dict.set_item("ask", self.decimals.level(py, top.and_then(|t| t.ask))?)?;
        dict.set_item("integrity", top.map(|t| t.integrity.name()))?;
        dict.set_item("crossed", top.map(|t| t.crossed))?;
        dict.set_item("recv_ns", top.map(|t| t.recv_ns))?;
        dict.set_item("exchange_ms", top.and_then(|t| t.exchange_ms))?;
        Ok(dict.into_any().unbind())
    }

    /// `symbol`'s best levels, read whole with the GIL released (the feed needs
    /// `with_depth()`): `state`, `reason`, `resync_in_flight`, `generation`, `seq`,
    /// `recv_ns`, `integrity`, `crossed`, and `bids`/`asks` as lists of `(Decimal, Decimal)`,
    /// best first, at most `n` a side (at most 20).
    ///
    /// Raises KeyError for a symbol the feed does not track, ValueError without
    /// `with_depth()`.
    #[pyo3(signature = (symbol, n=20))]
    fn depth(&self, py: Python<'_>, symbol: &str, n: usize) -> PyResult<Py<PyAny>> {
        let tracked = self.tracked(symbol)?;
        let reader = tracked.depth.as_ref().ok_or_else(|| {
            PyValueError::new_err("depth readers are off: start the feed with .with_depth()")
        })?;
        let view = py.detach(|| reader.read());
        let dict = self.reading(py, symbol, view.state, view.resync_in_flight)?;
        dict.set_item("generation", view.generation)?;
        dict.set_item("seq", view.seq)?;
        dict.set_item("recv_ns", view.recv_ns)?;
        dict.set_item("integrity", view.integrity.name())?;
        dict.set_item("crossed", view.crossed)?;
        dict.set_item("bids", self.decimals.levels(py, view.bids().iter().take(n).copied())?)?;
        dict.set_item("asks", self.decimals.levels(py, view.asks().iter().take(n).copied())?)?;
        Ok(dict.into_any().unbind())
    }

    /// An iterator over the loop's views and state changes, in the order they happened: a
    /// view as `live --emit tob` prints it (`venue`, `symbol`, `seq`, `bid`, `ask`,
    /// `integrity`, `crossed`, `recv_ns`, `exchange_ms`, `generation`), a state change with
    /// `state`, `reason` and `generation` in place of the levels. Each wait releases the GIL;
    /// it ends when the loop has ended and everything was read, or after `timeout` seconds
    /// without an update.
    #[pyo3(signature = (timeout=None))]
    fn updates(slf: Bound<'_, Self>, timeout: Option<f64>) -> PyResult<Updates> {
        let timeout = match timeout {
            Some(t) if t.is_finite() && t >= 0.0 => Some(Duration::from_secs_f64(t)),
            Some(t) => return Err(PyValueError::new_err(format!("timeout {t} is not >= 0"))),
            None => None,
        };
        let updates = slf.get().updates.clone();
        Ok(Updates { books: slf.unbind(), updates, timeout })
    }

    /// Whether the loop has ended (a replay at the end of its captures).
    fn is_finished(&self) -> bool {
        match self.feed.lock() {
            Ok(feed) => feed.as_ref().is_none_or(RustBooks::is_finished),
            Err(_) => true,
        }
    }

    /// Waits for the loop to end by itself (a replay), with the GIL released, and returns its
    /// counters (the CLI's counters line). Raises depthbook.Error with what ended it, if it
    /// failed.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.finish(py, false)
    }

    /// Stops the loop (a live feed disconnects) and returns its counters.
    fn stop(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.finish(py, true)
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// Leaving a `with` block stops the loop if it still runs.
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<Bound<'_, PyAny>>,
        exc_value: Option<Bound<'_, PyAny>>,
        traceback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        // An exception leaving the block propagates (false); the loop is stopped either way.
        let _ = (exc_type, exc_value, traceback);
        let running = self.feed.lock().is_ok_and(|feed| feed.is_some());
        if running {
            self.finish(py, true)?;
        }
        Ok(false)
    }
}

/// `books.updates()`: views and state changes as dicts.
#[pyclass(module = "depthbook")]
pub(crate) struct Updates {
    books: Py<Books>,
    updates: Receiver<Update>,
    timeout: Option<Duration>,
}

#[pymethods]
impl Updates {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        loop {
            let wait = deadline.map_or(SIGNAL_CHECK, |d| {
                d.saturating_duration_since(Instant::now()).min(SIGNAL_CHECK)
            });
            let updates = &self.updates;
            match py.detach(|| updates.recv_timeout(wait)) {
                Ok(update) => return self.update_dict(py, &update),
                Err(RecvTimeoutError::Disconnected) => return Err(PyStopIteration::new_err(())),
                Err(RecvTimeoutError::Timeout) => {
                    py.check_signals()?;
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(PyStopIteration::new_err(()));
                    }
                }
            }
        }
    }
}

impl Updates {
    fn update_dict(&self, py: Python<'_>, update: &Update) -> PyResult<Py<PyAny>> {
        let books = self.books.get();
        match update {
            Update::Book(view) => view_dict(py, books, view),
            Update::Status(status) => status_dict(py, books, status),
        }
    }
}

/// A dict with what every update starts with: `venue`, `symbol`.
fn head<'py>(
    py: Python<'py>,
    books: &Books,
    instrument: InstrumentId,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("venue", books.venue.name())?;
    dict.set_item("symbol", books.symbol_of(instrument))?;
    Ok(dict)
}

fn view_dict(py: Python<'_>, books: &Books, view: &TopOfBook) -> PyResult<Py<PyAny>> {
    let dict = head(py, books, view.instrument)?;
    dict.set_item("seq", view.seq)?;
    dict.set_item("bid", books.decimals.level(py, view.bid)?)?;
    dict.set_item("ask", books.decimals.level(py, view.ask)?)?;
    dict.set_item("integrity", view.integrity.name())?;
    dict.set_item("crossed", view.crossed)?;
    dict.set_item("recv_ns", view.recv_ns)?;
    dict.set_item("exchange_ms", view.exchange_ms)?;
    dict.set_item("generation", view.generation)?;
    Ok(dict.into_any().unbind())
}

fn status_dict(py: Python<'_>, books: &Books, status: &StatusEvent) -> PyResult<Py<PyAny>> {
    let dict = head(py, books, status.instrument)?;
    put_status(&dict, status)?;
    Ok(dict.into_any().unbind())
}
