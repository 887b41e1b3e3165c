//! Rust values as Python values: exact decimals, venues, states and counters, one spelling for
//! `replay` and `Feed` alike (the CLI's JSON lines are the model).

use depthbook_core::{Price, Qty};
use depthbook_engine::{BookState, Counters, Status, StatusEvent};
use depthbook_venues::Venue;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// Python's `decimal.Decimal`, looked up once. Prices and sizes cross into Python as
/// `Decimal(str)` of their exact text: never through a float.
pub(crate) struct Decimals(Py<PyAny>);

impl Decimals {
    pub(crate) fn new(py: Python<'_>) -> PyResult<Self> {
        Ok(Self(py.import("decimal")?.getattr("Decimal")?.unbind()))
    }

    /// A `(price, size)` pair of `Decimal`s.
    pub(crate) fn pair<'py>(
        &self,
        py: Python<'py>,
        price: Price,
        qty: Qty,
    ) -> PyResult<Bound<'py, PyAny>> {
        let decimal = self.0.bind(py);
        let pair = [decimal.call1((price.to_string(),))?, decimal.call1((qty.to_string(),))?];
        Ok(PyTuple::new(py, pair)?.into_any())
    }

    /// A level or `None`.
    pub(crate) fn level<'py>(
        &self,
        py: Python<'py>,
        level: Option<(Price, Qty)>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        level.map(|(price, qty)| self.pair(py, price, qty)).transpose()
    }

    /// A list of `(price, size)` pairs, in the order given (best first).
    pub(crate) fn levels<'py>(
        &self,
        py: Python<'py>,
        levels: impl IntoIterator<Item = (Price, Qty)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let list = PyList::empty(py);
        for (price, qty) in levels {
            list.append(self.pair(py, price, qty)?)?;
        }
        Ok(list.into_any())
    }
}

/// A venue by its command-line name; ValueError otherwise.
pub(crate) fn parse_venue(name: &str) -> PyResult<Venue> {
    Venue::from_name(name).ok_or_else(|| PyValueError::new_err(format!("unknown venue `{name}`")))
}

/// A book state as the CLI spells it: `live`, `stale` with its reason, or
/// `awaiting_snapshot`.
pub(crate) fn state_names(state: BookState) -> (&'static str, Option<&'static str>) {
    match state {
        BookState::Live => ("live", None),
        BookState::Stale(reason) => ("stale", Some(reason.name())),
        BookState::AwaitingSnapshot => ("awaiting_snapshot", None),
    }
}

/// A state change's `state`, `reason` and `generation`, spelled as [`state_names`] does.
pub(crate) fn put_status(dict: &Bound<'_, PyDict>, status: &StatusEvent) -> PyResult<()> {
    let (state, reason) = match status.status {
        Status::Live => state_names(BookState::Live),
        Status::Stale(reason) => state_names(BookState::Stale(reason)),
    };
    dict.set_item("state", state)?;
    dict.set_item("reason", reason)?;
    dict.set_item("generation", status.generation)
}

/// The engine's counters as a dict (the CLI's counters line), after `first` (e.g. `lines`).
pub(crate) fn counters_dict(
    py: Python<'_>,
    first: &[(&str, u64)],
    counters: &Counters,
) -> PyResult<Py<PyAny>> {
    let dict = PyDict::new(py);
    for (name, value) in first.iter().copied().chain(counters.fields()) {
        dict.set_item(name, value)?;
    }
    Ok(dict.into_any().unbind())
}
