//! The loopback exchange behind `depthbook serve`.
//!
//! A [`Server`] replays a recorded capture to WebSocket subscribers as the venue would send it,
//! on one port, in the venue's own protocol (Binance spot and USD-M, OKX, Kraken v2, Kraken v1):
//!
//! - **One global replay**, like a real exchange: it starts when the first client subscribes,
//!   plays the capture once (as fast as backpressure allows, or at the recorded pace, see
//!   [`Pace`]), and clients that connect later join at the current position. At the end the
//!   server stays up: connections stay open and keep answering pings and getting heartbeats.
//! - **Deltas** are forwarded as recorded, byte for byte, to the subscribers of their symbol.
//!   Capture snapshots and non-book frames are never forwarded.
//! - **Snapshots** come from a "truth" [`Engine`](depthbook_engine::Engine) fed every capture
//!   record: a REST depth answer (Binance) or a stream snapshot after the subscribe ack (OKX,
//!   Kraken), rendered in the venue's format with the numbers spelled as the venue spelled
//!   them, so the capture's later checksums verify on a client's book.
//! - **Faults** ([`Faults`]) drop, duplicate, reorder or corrupt chosen frames, cut or stall a
//!   connection, refuse or delay REST requests; [`SimStats`] counts what was done.
//!
//! ```no_run
//! use depthbook_sim::{ServeConfig, Server};
//! use depthbook_venues::Venue;
//!
//! let config = ServeConfig::new(
//!     Venue::Okx,
//!     vec!["fixtures/okx/cryptofeed_OKX.ws.1.0.txt".into()],
//! );
//! let server = Server::start("127.0.0.1:0".parse()?, config)?;
//! println!("ws://{}/ws/v5/public", server.local_addr());
//! server.shutdown();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Untrusted input
//! Clients are untrusted: messages and frames are capped
//! ([`ServeConfig::max_client_message`]), subscriptions per connection are capped, each
//! connection's queue is bounded (the replay waits for it rather than growing memory), and a
//! malformed request is answered with the venue's error, never a panic or a silent close.

#![forbid(unsafe_code)]

mod classify;
mod config;
mod connection;
mod derived;
mod error;
mod faults;
mod instruments;
mod replay;
mod rest;
mod server;
mod snapshot;
mod source;
mod stats;
mod subscribe;
mod timefmt;

pub use config::{Pace, ServeConfig};
pub use error::SimError;
pub use faults::Faults;
pub use server::{Server, serve_blocking};
pub use stats::{FaultCounts, SimStats};
