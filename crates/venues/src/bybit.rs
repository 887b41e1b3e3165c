//! Bybit v5 `orderbook.{depth}.{symbol}` (spot, linear, inverse, option): a `snapshot`, then
//! `delta`s; a new `snapshot`, or any message with `u == 1` (a service restart), replaces the
//! book. Levels are `[price, size]` strings; size `"0"` deletes.
//!
//! Wire reference: Bybit v5 docs, "WebSocket Stream / Public / Orderbook". `u` is the
//! message's update id; its +1 step is observed on recorded data but documented only for
//! `orderbook.full`, so breaks are counted, not trusted ([`crate::SeqRule::NextObserved`]).
//! `orderbook.full` (delta-only, REST-bridged) is not decoded yet: its frames are refused as
//! not book data rather than applied without their snapshot.

use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, as_int, field, opt_int_field, pair, push_sides, str_field};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(topic) = root.get("topic").and_then(|t| t.into_string()) else {
        // Acks and pongs: `{"success":true,"ret_msg":"pong","op":"ping",...}`, `{"op":"pong"}`.
        return if root.get("op").is_some() || root.get("success").is_some() {
            ctx.not_book("reply")
        } else {
            Err(DecodeError::UnknownMessage)
        };
    };
    if !topic.starts_with("orderbook.") {
        return ctx.not_book("non-book topic");
    }
    if topic.starts_with("orderbook.full.") {
        return ctx.not_book("orderbook.full is not supported yet");
    }
    let data = field(root, "data")?;
    let Some(instrument) = ctx.resolve(str_field(data, "s")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    push_sides(data, ("b", "a"), &mut ctx.out.levels, pair)?;
    let u = as_int(field(data, "u")?, "u")?;
    let kind = match str_field(root, "type")? {
        "snapshot" => BookKind::Snapshot,
        // A restarted service numbers from 1 again and sends the whole book.
        "delta" if u == 1 => BookKind::Snapshot,
        "delta" => BookKind::Delta,
        _ => return Err(DecodeError::WrongType("type")),
    };
    let seq = Seq { first: None, last: Some(u), prev: None };
    let exchange_ms = opt_int_field(root, "ts")?;
    ctx.finish(EventHead { exchange_ms, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}
