//! The reference's reading of Bitfinex WS v2 `book` frames (protocols.md section 8), which
//! needs the connection's state: channel ids from `subscribed` events, and whether SEQ_ALL
//! numbers the frames (the `conf` answer).
//!
//! Not read: `cs` checksum frames (no capture has them; such a frame is unreadable here) and raw
//! `R0` books (no capture has them either).

use std::collections::HashMap;

use serde_json::Value;

use super::messages::{Frame, Msg, key, quoted_numbers};

/// The conf flag that appends a connection-wide sequence number to every array frame.
const SEQ_ALL: i64 = 65_536;

/// What the reference remembers of a Bitfinex connection.
#[derive(Debug, Clone, Default)]
pub(super) struct Session {
    /// Book channel id → symbol.
    books: HashMap<i64, String>,
    /// The conf flags the server acknowledged.
    flags: Option<i64>,
}

impl Session {
    /// Reads one payload; `None` if it is not JSON or not in Bitfinex's shape.
    pub(super) fn read(&mut self, body: &str) -> Option<Frame> {
        // Validate the JSON as sent (serde refuses `012`), then read every number as its text.
        serde_json::from_str::<Value>(body).ok()?;
        let v: Value = serde_json::from_str(&quoted_numbers(body)).ok()?;
        match &v {
            Value::Object(_) => {
                self.event(&v);
                Some(Frame::default())
            }
            Value::Array(frame) => self.array(frame),
            _ => None,
        }
    }

    fn event(&mut self, v: &Value) {
        let int = |v: &Value| v.as_str().and_then(|s| s.parse::<i64>().ok());
        match v["event"].as_str() {
            Some("subscribed") if v["channel"] == "book" && v["prec"] != "R0" => {
                if let (Some(id), Some(symbol)) = (int(&v["chanId"]), v["symbol"].as_str()) {
                    self.books.insert(id, symbol.to_owned());
                }
            }
            Some("conf") if v["status"] == "OK" => self.flags = int(&v["flags"]),
            _ => {}
        }
    }

    fn array(&self, frame: &[Value]) -> Option<Frame> {
        let int = |v: &Value| v.as_str()?.parse::<i64>().ok();
        let chan_id = int(frame.first()?)?;
        let payload = frame.get(1)?;
        let word = payload.as_str();
        // SEQ_ALL puts the number after the payload, or after `cs`'s value.
        let seq_at = if matches!(word, None | Some("hb")) { 2 } else { 3 };
        let numbered = self.flags.is_none_or(|f| f & SEQ_ALL != 0);
        let conn_seq = match frame.get(seq_at) {
            Some(v) if numbered => Some(int(v)?),
            _ => None,
        };
        let mut out = Frame { conn_seq, ..Frame::default() };
        let Some(symbol) = self.books.get(&chan_id) else { return Some(out) };
        match word {
            Some("hb") => return Some(out),
            Some(_) => return None,
            None => {}
        }
        let rows = payload.as_array()?;
        let snapshot = rows.is_empty() || rows[0].is_array();
        let mut msg = Msg { symbol: symbol.clone(), snapshot, ..Msg::default() };
        let rows: Vec<&Value> = if snapshot { rows.iter().collect() } else { vec![payload] };
        for row in rows {
            match level(row) {
                Some((bid, price, size)) => {
                    if bid { &mut msg.bids } else { &mut msg.asks }.push((price, size));
                }
                None => msg.malformed = true,
            }
        }
        out.msgs.push(msg);
        Some(out)
    }
}

/// `[price, count, amount]`: (is a bid, price text, size text); count 0 deletes (size "0") on
/// the side the amount's sign names. `None` for a row that breaks the rules: not three numbers,
/// a price that is not positive, a negative count, a zero amount on a live level.
fn level(row: &Value) -> Option<(bool, String, String)> {
    let row = row.as_array()?;
    let (price, count, amount) =
        (row.first()?.as_str()?, row.get(1)?.as_str()?, row.get(2)?.as_str()?);
    let count: i64 = count.parse().ok()?;
    let (bid, size) = match amount.strip_prefix('-') {
        Some(size) => (false, size),
        None => (true, amount),
    };
    let (price_key, size_key) = (key(price)?, key(size)?);
    if price_key == 0 || count < 0 || (count > 0 && size_key == 0) {
        return None;
    }
    let size = if count == 0 { "0".to_owned() } else { size.to_owned() };
    Some((bid, price.to_owned(), size))
}
