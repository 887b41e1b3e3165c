//! Coinbase: Advanced Trade (`level2`, received as `l2_data`) and the legacy Exchange ws-feed
//! (`level2`, `level2_batch`). Both send absolute sizes as strings, zero deleting, with the
//! side as a word.

pub(crate) mod advanced;
pub(crate) mod exchange;

use depthbook_core::Side;

use crate::error::DecodeError;

/// A message's ISO-8601 time field in ms since the epoch (`None` when absent or malformed:
/// the time is informative, never a reason to reject book data).
fn time_ms(obj: crate::json::Json<'_, '_>, key: &str) -> Option<i64> {
    use simd_json::prelude::*;
    let text = obj.get(key)?.into_string()?;
    crate::time::parse_iso8601(text.as_bytes()).map(|ns| ns.div_euclid(1_000_000))
}

/// The side a Coinbase side word names (`bid`/`buy`, `offer`/`ask`/`sell`).
fn side(word: &str, field: &'static str) -> Result<Side, DecodeError> {
    match word {
        "bid" | "buy" => Ok(Side::Bid),
        "offer" | "ask" | "sell" => Ok(Side::Ask),
        _ => Err(DecodeError::WrongType(field)),
    }
}
