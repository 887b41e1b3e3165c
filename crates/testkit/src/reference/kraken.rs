//! The reference's reading of Kraken WebSocket v2 (protocols.md section 4): `book` snapshots
//! and updates with `{"price", "qty"}` JSON numbers and an unsigned CRC32 of the best 10 asks
//! and bids spelled at the instrument's precisions; the `instrument` channel announces those
//! precisions, the `book` subscribe ack the depth the book is cut to after every message.

use serde_json::Value;

use super::messages::{Frame, Msg, quoted_numbers};

/// What the feed announced about a pair: the depth its book is cut to, and its precisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairMeta {
    /// The subscribed depth (the ack's `depth`).
    pub depth: Option<usize>,
    /// Price and size decimals (the `instrument` channel's `price_precision`, `qty_precision`).
    pub precision: Option<(u8, u8)>,
}

/// Kraken's depth when the feed does not say (the engine's default too).
pub(super) const DEFAULT_DEPTH: usize = 10;

/// One payload: its book messages, and the pair metadata it announces.
pub(super) fn read(body: &str) -> Option<(Frame, Vec<(String, PairMeta)>)> {
    // Validate the JSON as sent, then read every number as its text.
    serde_json::from_str::<Value>(body).ok()?;
    let v: Value = serde_json::from_str(&quoted_numbers(body)).ok()?;
    let mut frame = Frame::default();
    let mut meta = Vec::new();
    if v.get("method").is_some() {
        let result = &v["result"];
        if v["success"] == Value::Bool(true) && result["channel"] == "book" {
            let (Some(symbol), Some(depth)) = (result["symbol"].as_str(), result.get("depth"))
            else {
                return Some((frame, meta));
            };
            let depth = u32::try_from(int(depth)?).ok()?;
            meta.push((
                symbol.to_owned(),
                PairMeta { depth: Some(depth as usize), precision: None },
            ));
        }
        return Some((frame, meta));
    }
    match v["channel"].as_str()? {
        "instrument" => {
            for pair in v["data"]["pairs"].as_array().into_iter().flatten() {
                let symbol = pair["symbol"].as_str()?;
                // A price or size carries at most 18 decimals: a wider precision is refused.
                let decimals = |key: &str| u8::try_from(int(&pair[key])?).ok().filter(|&d| d <= 18);
                let (price, qty) = (decimals("price_precision")?, decimals("qty_precision")?);
                meta.push((
                    symbol.to_owned(),
                    PairMeta { depth: None, precision: Some((price, qty)) },
                ));
            }
        }
        "book" => {
            let snapshot = match v["type"].as_str()? {
                "snapshot" => true,
                "update" => false,
                _ => return None,
            };
            for entry in v["data"].as_array()? {
                let checksum = match &entry["checksum"] {
                    Value::Null => None,
                    c => Some(int(c)?),
                };
                frame.msgs.push(Msg {
                    symbol: entry["symbol"].as_str()?.to_owned(),
                    snapshot,
                    bids: levels(&entry["bids"])?,
                    asks: levels(&entry["asks"])?,
                    checksum,
                    // An unsigned 32-bit CRC.
                    malformed: checksum.is_some_and(|c| u32::try_from(c).is_err()),
                    ..Msg::default()
                });
            }
        }
        _ => {}
    }
    Some((frame, meta))
}

/// `[{"price": p, "qty": q}, ...]` (numbers quoted by [`quoted_numbers`]).
fn levels(v: &Value) -> Option<Vec<(String, String)>> {
    v.as_array()?
        .iter()
        .map(|l| Some((l["price"].as_str()?.to_owned(), l["qty"].as_str()?.to_owned())))
        .collect()
}

/// An integer sent as a JSON number (quoted) or a string.
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

/// `text` (a non-negative JSON number, plain or with an exponent) written with exactly
/// `decimals` digits after the point, further digits cut, as Kraken v2 checksums spell numbers
/// at the instrument's precision. Without a precision a plain text stays as sent and an
/// exponent's value is written in its shortest plain form.
pub fn spelled(text: &str, decimals: Option<u8>) -> String {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None if decimals.is_none() => return text.to_owned(),
        None => (text, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    // Where the point falls in `digits`.
    let point = int.len() as i64 + exp;
    let (mut whole, mut fraction) = if point <= 0 {
        ("0".to_owned(), "0".repeat(point.unsigned_abs() as usize) + &digits)
    } else if point as usize >= digits.len() {
        (digits.clone() + &"0".repeat(point as usize - digits.len()), String::new())
    } else {
        (digits[..point as usize].to_owned(), digits[point as usize..].to_owned())
    };
    whole = whole.trim_start_matches('0').to_owned();
    if whole.is_empty() {
        whole.push('0');
    }
    match decimals {
        Some(d) => {
            let d = usize::from(d);
            fraction = format!("{fraction:0<d$}");
            fraction.truncate(d);
        }
        None => fraction = fraction.trim_end_matches('0').to_owned(),
    }
    if fraction.is_empty() { whole } else { format!("{whole}.{fraction}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_spelled_at_the_precision_or_as_sent() {
        assert_eq!(spelled("152.72", Some(5)), "152.72000");
        assert_eq!(spelled("5e-05", Some(8)), "0.00005000");
        assert_eq!(spelled("5.1E-5", None), "0.000051");
        assert_eq!(spelled("1.5e3", Some(1)), "1500.0");
        assert_eq!(spelled("0.123456", Some(2)), "0.12", "extra digits are cut");
        assert_eq!(spelled("7", Some(0)), "7");
        assert_eq!(spelled("0", Some(3)), "0.000");
        assert_eq!(spelled("1.50", None), "1.50");
    }

    #[test]
    fn instrument_precisions_past_18_decimals_reject_the_frame() {
        let instrument = |price: u32| {
            format!(
                r#"{{"channel":"instrument","type":"snapshot","data":{{"pairs":[{{"symbol":"XBT/USD","price_precision":{price},"qty_precision":8}}]}}}}"#
            )
        };
        let (_, meta) = read(&instrument(18)).unwrap();
        assert_eq!(meta[0].1.precision, Some((18, 8)));
        assert!(read(&instrument(19)).is_none());
        assert!(read(&instrument(256)).is_none());
    }
}
