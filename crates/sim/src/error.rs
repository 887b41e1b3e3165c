//! The crate's one error type.

use std::io;
use std::net::SocketAddr;

use depthbook_capture::CaptureError;
use thiserror::Error;

/// Why the loopback server could not start.
///
/// Once started, the server never fails: client mistakes are answered in the venue's own error
/// shape, and a capture that stops reading mid-way ends the replay early (logged).
#[derive(Debug, Error)]
pub enum SimError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A capture file could not be opened or its first line read.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// The server's thread or its runtime could not be created.
    #[error("cannot start the server thread")]
    Runtime(#[source] io::Error),
    /// The configuration cannot be served (no capture file, a zero-sized buffer, ...).
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}
