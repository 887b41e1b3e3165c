//! Coinbase: Advanced Trade (`level2`, received as `l2_data`) and the legacy Exchange ws-feed
//! (`level2`, `level2_batch`). Both send absolute sizes as strings, zero deleting, with the
//! side as a word.

pub(crate) mod advanced;
pub(crate) mod exchange;

use depthbook_core::Side;

use crate::error::DecodeError;

/// The side a Coinbase side word names (`bid`/`buy`, `offer`/`ask`/`sell`).
fn side(word: &str, field: &'static str) -> Result<Side, DecodeError> {
    match word {
        "bid" | "buy" => Ok(Side::Bid),
        "offer" | "ask" | "sell" => Ok(Side::Ask),
        _ => Err(DecodeError::WrongType(field)),
    }
}
