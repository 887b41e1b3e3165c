//! The one error type of this crate: why a frame was rejected.

use depthbook_core::NumberError;
use thiserror::Error;

/// Why a frame could not be decoded. Every variant means the same to the caller: count the frame
/// as a decode error and change no state, except that a rejected book message for a known
/// instrument ([`crate::Decoded::failed_instrument`]) makes that book stale.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The frame is longer than the configured limit; it was not parsed.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge {
        /// The frame's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The frame holds more JSON tokens than the limit allows (what parsing it would take
    /// grows with them); it was not parsed.
    #[error("frame holds up to {tokens} JSON tokens, over the limit of {max}")]
    TooManyTokens {
        /// Tokens counted (an upper bound of what simd-json indexes).
        tokens: usize,
        /// The limit.
        max: usize,
    },
    /// The frame is not valid JSON (or nests deeper than allowed).
    #[error("invalid JSON near byte {offset}")]
    Json {
        /// Where the parser gave up.
        offset: usize,
    },
    /// A compressed frame could not be inflated (corrupt, truncated, or its trailer does not
    /// match).
    #[error("cannot inflate the frame: {0}")]
    Inflate(&'static str),
    /// The frame is text that is not JSON and not a known control word.
    #[error("not JSON")]
    NotJson,
    /// A field the message needs is missing.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field has the wrong JSON type or shape.
    #[error("field `{0}` has the wrong type")]
    WrongType(&'static str),
    /// A price or size is not an exact decimal in range.
    #[error("bad number in `{field}`: {source}")]
    BadNumber {
        /// The field.
        field: &'static str,
        /// Why the number was rejected.
        #[source]
        source: NumberError,
    },
    /// A price is zero or negative.
    #[error("non-positive price")]
    NonPositivePrice,
    /// An integer field (sequence, checksum) is not an integer in range.
    #[error("bad integer in `{0}`")]
    BadInteger(&'static str),
    /// The message is JSON but matches no message kind of the venue.
    #[error("unrecognised message")]
    UnknownMessage,
    /// A REST snapshot names no instrument and the capture has several.
    #[error("snapshot names no instrument and none can be inferred")]
    AmbiguousSnapshot,
    /// Registering this instrument would exceed the engine's instrument cap.
    #[error("more than {0} instruments")]
    TooManyInstruments(usize),
}

impl DecodeError {
    #[cold]
    pub(crate) fn number(field: &'static str, source: NumberError) -> Self {
        Self::BadNumber { field, source }
    }
}
