//! The facade's one error type.

/// What can go wrong starting or running a feed, or answering a query on a book. Starting
/// fails early (no symbols, a missing capture, no such core, the instruments fetch); what ends
/// a running loop comes back from [`crate::Books::wait`] or [`crate::Books::stop`]; a query of
/// [`crate::analytics`] whose arithmetic does not fit a `Decimal` is [`Error::Arithmetic`].
///
/// ```
/// use depthbook::{Error, Feed, Venue};
///
/// let missing = Feed::replay(Venue::Okx, ["BTC-USDT"], ["no/such/capture.txt"]).start();
/// assert!(matches!(missing, Err(Error::Capture(_))));
/// let live = Feed::live(Venue::Okx, ["BTC-USDT"]).run_here(|_| {});
/// assert!(matches!(live, Err(Error::NotAReplay)));
/// let none = Feed::live(Venue::Okx, Vec::<String>::new()).start();
/// assert_eq!(none.unwrap_err().to_string(), "no symbols: name the instruments to track");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The live feed could not start (bad symbols or URLs, too many symbols, TLS setup), or its
    /// capture could not be finished.
    #[error(transparent)]
    Net(#[from] depthbook_net::NetError),
    /// A capture could not be opened or read.
    #[error(transparent)]
    Capture(#[from] depthbook_capture::CaptureError),
    /// The NATS server of a bus feed ([`crate::Feed::nats`]) could not be reached.
    #[error(transparent)]
    Bus(#[from] depthbook_bus::BusError),
    /// No symbol was given: the readers are per symbol.
    #[error("no symbols: name the instruments to track")]
    NoSymbols,
    /// [`crate::Feed::run_here`] replays captures; a live feed is started with
    /// [`crate::Feed::start`].
    #[error("run_here replays captures: start a live feed with start()")]
    NotAReplay,
    /// [`crate::Feed::pin_to_core`] named a core the OS does not report.
    #[error("no CPU core {0} to pin the ingest thread to")]
    NoSuchCore(usize),
    /// The ingest thread could not be started.
    #[error("cannot start the ingest thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// The ingest thread panicked (a bug: please report it with the capture).
    #[error("the ingest thread panicked")]
    Panicked,
    /// An operation of a [`crate::analytics`] query (named: query and operation) overflowed
    /// `rust_decimal`'s 96-bit mantissa, or would have divided by zero. Only values near the
    /// limits of [`crate::Price`] and [`crate::Qty`] get there; nothing is rounded away
    /// silently and nothing panics.
    #[error(
        "arithmetic overflow or division by zero in {0} (beyond rust_decimal's 96-bit mantissa)"
    )]
    Arithmetic(&'static str),
}
