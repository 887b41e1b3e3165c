//! The `depthbook` Python module: depthbook's exact books from Python.
//!
//! - `depthbook.replay(venue, paths, ...)` replays captures on the caller's thread through the
//!   same engine as `depthbook replay`, one dict per line the CLI prints with `--emit`
//!   (`replay.rs`); `depthbook.replay_table(...)` the same as a `pyarrow.Table`.
//! - `depthbook.Feed.live(...)` / `Feed.replay(...)`, then `.start()`: the facade's feeds, the
//!   ingest loop on a thread of its own, `books.top(symbol)` / `books.depth(symbol)` reading
//!   the lock-free cells with the GIL released, `books.updates()` (`feed.rs`).
//!
//! Prices and sizes are `decimal.Decimal` (never float); errors are exceptions with the Rust
//! error's message: ValueError for bad arguments, `depthbook.Error` for what fails at run time.

#![forbid(unsafe_code)]

mod convert;
mod feed;
mod replay;

use depthbook_venues::Venue;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    depthbook,
    Error,
    PyException,
    "A feed that cannot start or that failed: the Rust error's message, with its causes."
);

impl Error {
    /// The Python exception for a Rust error: its message, then each cause's after `: `.
    pub(crate) fn from_rust(error: impl std::error::Error) -> PyErr {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let cause = cause.to_string();
            if !message.contains(&cause) {
                message.push_str(": ");
                message.push_str(&cause);
            }
            source = cause_of(source);
        }
        Error::new_err(message)
    }
}

fn cause_of<'a>(
    error: Option<&'a (dyn std::error::Error + 'static)>,
) -> Option<&'a (dyn std::error::Error + 'static)> {
    error.and_then(std::error::Error::source)
}

/// depthbook's exact order books, from recorded captures or live feeds.
#[pymodule]
fn depthbook(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(replay::replay, module)?)?;
    module.add_function(wrap_pyfunction!(replay::replay_table, module)?)?;
    module.add_class::<replay::Replay>()?;
    module.add_class::<feed::Feed>()?;
    module.add_class::<feed::Books>()?;
    module.add_class::<feed::Updates>()?;
    module.add("Error", module.py().get_type::<Error>())?;
    module.add("VENUES", Venue::ALL.iter().map(|v| v.name()).collect::<Vec<_>>())?;
    Ok(())
}
