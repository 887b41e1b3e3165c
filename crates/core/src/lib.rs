//! Exact fixed-point numbers, price ladders and venue checksum builders.
//!
//! The principal types are [`Price`] and [`Qty`] (exact decimals parsed from exchange text, see
//! [`decimal`]), [`Book`] (a bid and an ask [`Ladder`]) and the checksum builders in
//! [`checksum`]. Nothing here does IO or knows a venue's wire format.
//!
//! ```
//! use depthbook_core::{Book, LevelText, Price, Qty, Side};
//!
//! let mut book = Book::new(1_000);
//! let (px, px_text) = Price::parse("61837.63000000")?;
//! let (sz, sz_text) = Qty::parse("3.78826000")?;
//! book.set(Side::Bid, px, sz, LevelText::new(px_text, sz_text))?;
//! assert_eq!(book.best(Side::Bid).map(|l| l.price.to_string()), Some("61837.63".to_string()));
//! # Ok::<(), depthbook_core::NumberError>(())
//! ```
//!
//! # Untrusted input
//! Every parser here takes bytes that came from the network or a file: it returns a typed
//! [`NumberError`] for anything it cannot represent exactly and never panics or allocates.

#![forbid(unsafe_code)]

pub mod book;
pub mod checksum;
pub mod decimal;
mod deep;
mod fragments;
pub mod ladder;
pub mod orders;

pub use book::{Applied, Book, Changes};
pub use checksum::FragmentCache;
pub use decimal::{NumText, NumberError, PRICE_DECIMALS, Price, QTY_DECIMALS, Qty};
pub use ladder::{DEFAULT_WINDOW, Ladder, Level, LevelText, Levels, MIN_WINDOW, SetOutcome, Side};
pub use orders::{Order, OrderChange, Orders};
