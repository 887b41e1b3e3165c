//! The JSON layer every decoder shares: simd-json into a reused tape, plus typed accessors.
//!
//! simd-json parses in place, so each frame is first copied into a scratch buffer (the raw frame
//! stays untouched for recording). For venues that send prices as JSON numbers, that copy also
//! wraps every number token in quotes: simd-json's numbers are `f64`, which is not exact, while
//! a string keeps the venue's own digits for the fixed-point parser.

use depthbook_core::{LevelText, Price, Qty, Side};
use simd_json::prelude::*;
use simd_json::tape::{Array, Value};
use simd_json::{Buffers, INPUT_PADDING, Tape};

use crate::error::DecodeError;
use crate::event::LevelUpdate;

/// A parsed JSON value borrowed from the tape.
pub(crate) type Json<'t, 'i> = Value<'t, 'i>;

/// Reusable parsing state: scratch copy of the frame, simd-json buffers and the tape.
pub(crate) struct JsonParser {
    scratch: Vec<u8>,
    buffers: Buffers,
    // Holds no borrowed data between calls (it is reset before being stored), only capacity.
    tape: Option<Tape<'static>>,
    quote_numbers: bool,
    max_depth: usize,
}

impl std::fmt::Debug for JsonParser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonParser")
            .field("quote_numbers", &self.quote_numbers)
            .finish_non_exhaustive()
    }
}

impl JsonParser {
    pub(crate) fn new(quote_numbers: bool, max_depth: usize) -> Self {
        Self {
            scratch: Vec::with_capacity(4096),
            buffers: Buffers::with_max_depth(4096, max_depth),
            tape: Some(Tape(Vec::with_capacity(1024))),
            quote_numbers,
            max_depth,
        }
    }

    /// Gives back what an outlier frame made the parser keep: once its copy of a frame has
    /// grown past `retain` bytes, every buffer (whose sizes follow the frame's) starts afresh.
    /// Frames within `retain` never allocate here, so steady state is untouched.
    pub(crate) fn trim(&mut self, retain: usize) {
        if self.scratch.capacity() > retain {
            *self = JsonParser::new(self.quote_numbers, self.max_depth);
        }
    }

    /// Parses `frame` and hands the root value to `f`.
    pub(crate) fn parse<R>(
        &mut self,
        frame: &[u8],
        f: impl FnOnce(Json<'_, '_>) -> Result<R, DecodeError>,
    ) -> Result<R, DecodeError> {
        let len = if self.quote_numbers {
            self.scratch.clear();
            if let Err(offset) = copy_quoting_numbers(frame, &mut self.scratch) {
                return Err(DecodeError::Json { offset });
            }
            self.scratch.len()
        } else {
            // The padding may hold anything (simd-json reads past the end, never interprets
            // it), so a scratch buffer that is already long enough is reused without zeroing.
            if self.scratch.len() < frame.len() + INPUT_PADDING {
                self.scratch.resize(frame.len() + INPUT_PADDING, 0);
            }
            self.scratch[..frame.len()].copy_from_slice(frame);
            frame.len()
        };
        if self.scratch.len() < len + INPUT_PADDING {
            self.scratch.resize(len + INPUT_PADDING, 0);
        }
        let mut tape: Tape<'_> = self.tape.take().unwrap_or_else(|| Tape(Vec::new())).reset();
        if let Err(e) =
            simd_json::fill_tape_padded(&mut self.scratch, len, &mut self.buffers, &mut tape)
        {
            self.tape = Some(tape.reset());
            return Err(DecodeError::Json { offset: e.index() });
        }
        let result = f(tape.as_value());
        self.tape = Some(tape.reset());
        result
    }
}

/// Copies `src` to `dst`, wrapping every JSON number token outside strings in quotes. Fails
/// with the token's offset if a token is not a JSON number (`01`, `1.`, `-`, `1e`, `+1`...):
/// once quoted, simd-json would take it for a string and never check it.
fn copy_quoting_numbers(src: &[u8], dst: &mut Vec<u8>) -> Result<(), usize> {
    dst.reserve(src.len() + src.len() / 4);
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        match b {
            b'"' => {
                // Copy the whole string, honouring escapes.
                let start = i;
                i += 1;
                while i < src.len() {
                    match src[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let end = i.min(src.len());
                dst.extend_from_slice(&src[start..end]);
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < src.len()
                    && matches!(src[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                if !is_json_number(&src[start..i]) {
                    return Err(start);
                }
                dst.push(b'"');
                dst.extend_from_slice(&src[start..i]);
                dst.push(b'"');
            }
            _ => {
                dst.push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

/// Whether `token` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub(crate) fn is_json_number(token: &[u8]) -> bool {
    let digits = |t: &[u8]| t.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut t = token.strip_prefix(b"-").unwrap_or(token);
    match digits(t) {
        0 => return false,
        n if n > 1 && t[0] == b'0' => return false,
        n => t = &t[n..],
    }
    if let Some(rest) = t.strip_prefix(b".") {
        match digits(rest) {
            0 => return false,
            n => t = &rest[n..],
        }
    }
    if let Some(rest) = t.strip_prefix(b"e").or_else(|| t.strip_prefix(b"E")) {
        let rest = rest.strip_prefix(b"+").or_else(|| rest.strip_prefix(b"-")).unwrap_or(rest);
        match digits(rest) {
            0 => return false,
            n => t = &rest[n..],
        }
    }
    t.is_empty()
}

/// A required field.
#[inline]
pub(crate) fn field<'t, 'i>(
    obj: Json<'t, 'i>,
    key: &'static str,
) -> Result<Json<'t, 'i>, DecodeError> {
    obj.get(key).ok_or(DecodeError::MissingField(key))
}

/// A required string field.
#[inline]
pub(crate) fn str_field<'i>(obj: Json<'_, 'i>, key: &'static str) -> Result<&'i str, DecodeError> {
    field(obj, key)?.into_string().ok_or(DecodeError::WrongType(key))
}

/// A required array field.
#[inline]
pub(crate) fn array_field<'t, 'i>(
    obj: Json<'t, 'i>,
    key: &'static str,
) -> Result<Array<'t, 'i>, DecodeError> {
    field(obj, key)?.as_array().ok_or(DecodeError::WrongType(key))
}

/// An optional array field: absent or null is `None`.
#[inline]
pub(crate) fn opt_array_field<'t, 'i>(
    obj: Json<'t, 'i>,
    key: &'static str,
) -> Result<Option<Array<'t, 'i>>, DecodeError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => v.as_array().map(Some).ok_or(DecodeError::WrongType(key)),
    }
}

/// The symbol named in a dotted topic after `prefix` (`orderbook.50.BTCUSDT` with prefix
/// `orderbook.` and `skip` 1 is `BTCUSDT`): the `skip`-th dot-separated part after the prefix.
#[inline]
pub(crate) fn topic_part<'a>(topic: &'a str, prefix: &str, skip: usize) -> Option<&'a str> {
    topic.strip_prefix(prefix)?.split('.').nth(skip).filter(|s| !s.is_empty())
}

/// An integer given as a JSON number or as a string of digits.
#[inline]
pub(crate) fn as_int(value: Json<'_, '_>, key: &'static str) -> Result<i64, DecodeError> {
    if let Some(i) = value.as_i64() {
        return Ok(i);
    }
    if let Some(s) = value.into_string() {
        return s.parse::<i64>().map_err(|_| DecodeError::BadInteger(key));
    }
    Err(DecodeError::BadInteger(key))
}

/// An optional integer field (absent or null is `None`).
#[inline]
pub(crate) fn opt_int_field(
    obj: Json<'_, '_>,
    key: &'static str,
) -> Result<Option<i64>, DecodeError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => as_int(v, key).map(Some),
    }
}

/// Parses one level from its price and size text; the price must be positive.
#[inline]
pub(crate) fn level(
    side: Side,
    price: &str,
    qty: &str,
    field: &'static str,
) -> Result<LevelUpdate, DecodeError> {
    level_bytes(side, price.as_bytes(), qty.as_bytes(), field)
}

/// [`level`] from the text as bytes (the fast path reads them straight from the frame).
#[inline]
pub(crate) fn level_bytes(
    side: Side,
    price: &[u8],
    qty: &[u8],
    field: &'static str,
) -> Result<LevelUpdate, DecodeError> {
    let (price, price_text) =
        Price::parse_bytes(price).map_err(|e| DecodeError::number(field, e))?;
    if !price.is_positive() {
        return Err(DecodeError::NonPositivePrice);
    }
    let (qty, qty_text) = Qty::parse_bytes(qty).map_err(|e| DecodeError::number(field, e))?;
    Ok(LevelUpdate { side, price, qty, text: LevelText::new(price_text, qty_text), order: None })
}

/// Parses an array of `[price, size, ...]` string arrays into `out`.
#[inline]
pub(crate) fn push_pair_levels(
    levels: Array<'_, '_>,
    side: Side,
    field: &'static str,
    out: &mut Vec<LevelUpdate>,
) -> Result<(), DecodeError> {
    push_levels_with(levels, side, field, out, pair)
}

/// A book object's two sides: the arrays under `bids` and `asks` (their field names), each
/// element read by `read` as in [`push_levels_with`].
#[inline]
pub(crate) fn push_sides<'t, 'i>(
    obj: Json<'t, 'i>,
    (bids, asks): (&'static str, &'static str),
    out: &mut Vec<LevelUpdate>,
    read: impl Fn(Json<'t, 'i>) -> Option<(&'i str, &'i str)>,
) -> Result<(), DecodeError> {
    push_levels_with(array_field(obj, bids)?, Side::Bid, bids, out, &read)?;
    push_levels_with(array_field(obj, asks)?, Side::Ask, asks, out, &read)
}

/// A level as `[price, size, ...]` strings (the shape most venues use).
#[inline]
pub(crate) fn pair<'i>(entry: Json<'_, 'i>) -> Option<(&'i str, &'i str)> {
    let pair = entry.as_array()?;
    Some((pair.get(0)?.into_string()?, pair.get(1)?.into_string()?))
}

/// Parses each element of `levels` into `out`: `read` finds its price and size text (`None`:
/// the element has the wrong shape, a [`DecodeError::WrongType`] of `field`).
#[inline]
pub(crate) fn push_levels_with<'t, 'i>(
    levels: Array<'t, 'i>,
    side: Side,
    field: &'static str,
    out: &mut Vec<LevelUpdate>,
    read: impl Fn(Json<'t, 'i>) -> Option<(&'i str, &'i str)>,
) -> Result<(), DecodeError> {
    for entry in levels.iter() {
        let (price, qty) = read(entry).ok_or(DecodeError::WrongType(field))?;
        out.push(level(side, price, qty, field)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &str) -> String {
        let mut out = Vec::new();
        copy_quoting_numbers(s.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn number_tokens_outside_json_grammar_are_rejected_before_quoting() {
        for good in ["0", "-0", "10", "1.5", "0.001", "5.1e-05", "1E+3", "-12.0e7"] {
            assert!(is_json_number(good.as_bytes()), "{good}");
        }
        for bad in ["01", "-", "1.", ".5", "1e", "1e+", "--1", "1.2.3", "1-2", "+1", "0x1", "1e5e5"]
        {
            assert!(!is_json_number(bad.as_bytes()), "{bad}");
        }
        let mut out = Vec::new();
        assert_eq!(copy_quoting_numbers(br#"{"time":0619093539}"#, &mut out), Err(8));
        let mut parser = JsonParser::new(true, 16);
        assert!(matches!(
            parser.parse(br#"{"a":[1,01]}"#, |_| Ok(())),
            Err(DecodeError::Json { offset: 8 })
        ));
    }

    #[test]
    fn numbers_outside_strings_are_quoted() {
        assert_eq!(
            quoted(r#"{"a":1.50,"b":[-2,5.1e-05],"c":"x1 \"2\" 3","d":true}"#),
            r#"{"a":"1.50","b":["-2","5.1e-05"],"c":"x1 \"2\" 3","d":true}"#
        );
    }

    #[test]
    fn parser_reuses_its_tape_and_reports_bad_json() {
        let mut parser = JsonParser::new(false, 16);
        let got = parser.parse(br#"{"k":"v"}"#, |v| str_field(v, "k").map(str::to_owned)).unwrap();
        assert_eq!(got, "v");
        assert!(matches!(parser.parse(b"{\"k\":", |_| Ok(())), Err(DecodeError::Json { .. })));
        let deep = "[".repeat(10_000);
        assert!(parser.parse(deep.as_bytes(), |_| Ok(())).is_err());
        let got = parser.parse(br#"{"k":"w"}"#, |v| str_field(v, "k").map(str::to_owned)).unwrap();
        assert_eq!(got, "w");
    }
}
