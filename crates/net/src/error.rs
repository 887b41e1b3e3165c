//! The net crate's one error type.

use thiserror::Error;

/// Why a live feed could not start or go on.
#[derive(Debug, Error)]
pub enum NetError {
    /// A market the venue does not offer here (see [`crate::Market`]).
    #[error("{venue} has no {market} market here")]
    NoSuchMarket {
        /// The venue.
        venue: &'static str,
        /// The market asked.
        market: &'static str,
    },
    /// A book channel the venue does not offer here (see [`crate::BookChannel`]).
    #[error("{venue} has no {channel} book channel here")]
    NoSuchChannel {
        /// The venue.
        venue: &'static str,
        /// The channel asked.
        channel: &'static str,
    },
    /// A symbol with characters no venue uses (it would be spliced into JSON and URLs).
    #[error("`{0}` is not a symbol any venue uses")]
    BadSymbol(String),
    /// More symbols than one connection of the venue may carry.
    #[error("{venue} allows at most {max} instruments per connection, {got} were asked")]
    TooManySymbols {
        /// The venue.
        venue: &'static str,
        /// Its limit.
        max: usize,
        /// How many were asked.
        got: usize,
    },
    /// A book depth the venue does not offer.
    #[error("{venue} offers book depths {allowed:?}, not {depth}")]
    BadDepth {
        /// The venue.
        venue: &'static str,
        /// The depth asked.
        depth: u32,
        /// The depths it offers.
        allowed: &'static [u32],
    },
    /// No symbol was given.
    #[error("name at least one symbol to subscribe")]
    NoSymbols,
    /// The ingest loop has stopped taking inputs (a network task's send after shutdown).
    #[error("the ingest loop has stopped")]
    LoopStopped,
    /// A URL that cannot be used.
    #[error("bad URL `{url}`: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Instrument metadata could not be fetched or read.
    #[error("instrument metadata: {0}")]
    Instruments(String),
    /// The TLS configuration could not be built.
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    /// The async runtime could not be started.
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// The capture file could not be written.
    #[error("cannot write the capture {path}: {source}")]
    Record {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
