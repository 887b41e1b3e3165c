//! depthbook: exact, verified L2 order books from exchange feeds, for strategies to link.
//!
//! A [`Feed`] names a venue and its symbols, live or from a recorded capture; starting it runs
//! the single-threaded ingest loop on a thread of its own and hands back [`Books`]: a
//! latest-value reader per symbol ([`TopReader`], lock-free, never torn) and the stream of
//! views and state changes. Every value says whether the book may be traded on: Live, or Stale
//! with its reason and whether a resync is in flight, with a generation that increments at each
//! rebuild. A book that is not known to be consistent is never shown Live.
//!
//! Nothing here panics on market data or in async code: [`Feed::start`] may be called from
//! inside a tokio runtime (a live feed's runtime lives on the loop's thread), dropping
//! [`Books`] ends the loop promptly, and [`analytics`] answers an arithmetic overflow with
//! [`Error::Arithmetic`].
//!
//! A backtest is the same feed over a capture; [`Feed::run_here`] runs it on the caller's
//! thread, every update in order:
//!
//! ```
//! use depthbook::{Feed, Update, Venue};
//!
//! let capture =
//!     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
//! let mut spreads = Vec::new();
//! let counters = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).run_here(|update| {
//!     if let Update::Book(top) = update
//!         && let (Some((bid, _)), Some((ask, _))) = (top.bid, top.ask)
//!     {
//!         spreads.push(ask.checked_sub(bid).expect("a spread"));
//!     }
//! })?;
//! assert_eq!(counters.checksum_failures, 0);
//! assert!(!spreads.is_empty());
//! # Ok::<(), depthbook::Error>(())
//! ```
//!
//! See the `examples/` of this crate: a cross-venue spread on live books, a backtest over a
//! capture, a consumer that reacts to Stale and Live.

#![forbid(unsafe_code)]

pub mod analytics;
mod books;
mod error;
mod feed;
mod replica;
pub mod symbols;

pub use books::Books;
pub use depthbook_core::{Price, Qty, Side};
pub use depthbook_engine::{
    BookState, Counters, DEPTH_LEVELS, DepthReader, DepthView, Integrity, LatestTop,
    STATUS_RESERVE, SlowConsumer, StaleReason, Status, StatusEvent, TopOfBook, TopReader, Update,
};
pub use depthbook_net::{BookChannel, Market};
pub use depthbook_venues::{InstrumentInfo, Venue};
pub use error::Error;
pub use feed::Feed;
pub use rust_decimal::Decimal;
