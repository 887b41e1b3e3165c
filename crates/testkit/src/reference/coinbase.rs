//! The reference's reading of Coinbase Advanced Trade `level2` (protocols.md section 7): every
//! message of a connection, whatever its channel, carries `sequence_num`, one more than the
//! last; book events come on `l2_data` as `{"type": "snapshot"|"update", "product_id",
//! "updates": [{"side", "price_level", "new_quantity"}]}`.

use serde_json::Value;

use super::messages::{Frame, Msg};

/// Reads one payload; `None` if it is not JSON or its number is not an integer.
pub(super) fn read(body: &str) -> Option<Frame> {
    let v: Value = serde_json::from_str(body).ok()?;
    let Some(seq) = v.get("sequence_num") else { return Some(Frame::default()) };
    let mut frame = Frame { conn_seq: Some(seq.as_i64()?), ..Frame::default() };
    match v["channel"].as_str() {
        Some("l2_data") => {}
        Some(_) => return Some(frame),
        None => {
            frame.broken = true;
            return Some(frame);
        }
    }
    match events(&v) {
        Some(msgs) => frame.msgs = msgs,
        None => frame.broken = true,
    }
    Some(frame)
}

fn events(v: &Value) -> Option<Vec<Msg>> {
    v["events"]
        .as_array()?
        .iter()
        .map(|event| {
            let snapshot = match event["type"].as_str()? {
                "snapshot" => true,
                "update" => false,
                _ => return None,
            };
            let mut msg = Msg {
                symbol: event["product_id"].as_str()?.to_owned(),
                snapshot,
                ..Msg::default()
            };
            for update in event["updates"].as_array()? {
                let level = (
                    update["price_level"].as_str()?.to_owned(),
                    update["new_quantity"].as_str()?.to_owned(),
                );
                match update["side"].as_str()? {
                    "bid" | "buy" => msg.bids.push(level),
                    "offer" | "ask" | "sell" => msg.asks.push(level),
                    _ => return None,
                }
            }
            Some(msg)
        })
        .collect()
}
