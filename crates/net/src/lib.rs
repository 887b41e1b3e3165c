//! Live exchange feeds for depthbook: WebSocket connections, REST snapshots, reconnect and
//! resync, and the recorder.
//!
//! The principal type is [`Live`]: it starts the network tasks on a small tokio runtime (one
//! worker thread) and runs the ingest loop on the caller's thread, so the books are owned by one
//! thread and network tasks only move bytes ([`input::Input`]) to it. Each venue's wire rules
//! (endpoints, subscribe messages, keepalive, limits, resync method) are one [`Protocol`] value.
//!
//! ```no_run
//! use depthbook_engine::{SlowConsumer, Update};
//! use depthbook_net::{Live, LiveConfig};
//! use depthbook_venues::Venue;
//!
//! let config = LiveConfig::new(Venue::BinanceSpot, vec!["BTCUSDT".into()]);
//! let mut live = Live::start(config)?;
//! let views = live.engine_mut().subscribe(1024, SlowConsumer::KeepLatest);
//! while live.step().is_some() {
//!     for update in views.try_iter() {
//!         if let Update::Book(top) = update {
//!             println!("{:?} {:?}", top.bid, top.ask);
//!         }
//!     }
//! }
//! # Ok::<(), depthbook_net::NetError>(())
//! ```
//!
//! # Untrusted input
//! Frames and messages over [`LiveConfig::max_message_bytes`] end the connection (counted) and
//! it reconnects with backoff; REST bodies are capped the same way while being read. Every
//! connection has an idle deadline besides the venue's own keepalive, and every book a watchdog.

#![forbid(unsafe_code)]

mod backoff;
mod budget;
mod connection;
mod counters;
mod error;
mod gate;
mod handoff;
pub mod input;
mod instruments;
mod live;
mod metrics;
pub mod policy;
mod protocol;
mod recorder;
mod rest;
mod shard;
mod tls;

pub use backoff::Backoff;
pub use budget::WeightBudget;
pub use counters::{NetCounters, NetSnapshot};
pub use error::NetError;
pub use gate::ConnectGate;
pub use handoff::{InputSender, Inputs, WaitMode, handoff};
pub use instruments::{fetch_all_instruments, fetch_instruments, instruments_base};
pub use live::{Live, LiveConfig, Step};
pub use protocol::{BookChannel, Market, PingStyle, Protocol, ResyncMethod};
pub use recorder::RecordConfig;
pub use shard::{Shard, deal, split_connections};
pub use tls::client_config;
