//! Venue decoders, sequence rules and checksum rules.
//!
//! The principal type is [`VenueDecoder`]: it turns one raw frame of a venue into normalized
//! [`BookEvent`]s (with their levels in a shared buffer, see [`Decoded`]), resolving instrument
//! names through a [`SymbolTable`]. Every venue has the same shape: a `decode` module mapping the
//! parsed frame to events, and its rules expressed as values of [`SeqRule`] and
//! [`ChecksumRule`], which the engine applies. Frames are parsed with simd-json into a reused tape;
//! prices and sizes go straight from the frame's text to fixed point.
//!
//! ```
//! use depthbook_venues::{Decoded, Frame, SymbolTable, Venue, VenueDecoder};
//!
//! let mut decoder = VenueDecoder::new(Venue::BinanceUsdm);
//! let mut symbols = SymbolTable::new(16);
//! let mut out = Decoded::default();
//! let frame = br#"{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["0.0024","10"]],"a":[]}"#;
//! decoder.decode(&Frame::stream(frame), &mut symbols, &mut out)?;
//! assert_eq!(out.events.len(), 1);
//! assert_eq!(out.events[0].seq.last, Some(160));
//! # Ok::<(), depthbook_venues::DecodeError>(())
//! ```
//!
//! # Untrusted input
//! Frames longer than [`Limits::max_frame_bytes`] are refused before parsing, JSON nesting is
//! limited to [`Limits::max_json_depth`], and every malformed field is a typed [`DecodeError`];
//! nothing here panics on input.

#![forbid(unsafe_code)]

mod binance;
mod bitfinex;
mod bitget;
mod book_channels;
mod bybit;
mod capabilities;
mod channels;
mod coinbase;
mod decoder;
mod deribit;
mod error;
mod event;
mod gateio;
mod gzip;
mod htx;
mod instruments;
mod integrity;
mod json;
mod kraken;
mod okx;
mod rules;
mod scan;
mod symbols;
mod time;
mod venue;

pub use capabilities::capability_table;
pub use decoder::{Limits, VenueDecoder};
pub use error::DecodeError;
pub use event::{
    BookEvent, BookKind, Checksum, Decoded, Frame, FrameKind, LevelUpdate, Origin, Seq,
};
pub use instruments::{InstrumentInfo, parse_instruments};
pub use integrity::Integrity;
pub use rules::{ChecksumRule, Cursor, SeqRule, Verdict};
pub use symbols::{InstrumentId, SymbolMeta, SymbolTable};
pub use time::{parse_epoch_seconds, parse_iso8601};
pub use venue::{SnapshotSource, Venue};
