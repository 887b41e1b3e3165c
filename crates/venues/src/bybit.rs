//! Bybit v5 `orderbook.{depth}.{symbol}` (spot, linear, inverse, option): a `snapshot`, then
//! `delta`s; a new `snapshot`, or any message with `u == 1` (a service restart), replaces the
//! book. Levels are `[price, size]` strings; size `"0"` deletes.
//!
//! Wire reference: Bybit v5 docs, "WebSocket Stream / Public / Orderbook" and "Full
//! Orderbook". `u` is the message's update id, one more on every delta (documented for
//! `orderbook.full`, kept by every delta of the real 2026 recordings of the other depths), so a
//! break is a lost message ([`crate::SeqRule::NextStrict`]). `orderbook.full.{symbol}` sends deltas only, bridged
//! onto a REST `/v5/market/full_orderbook` snapshot and strict after it
//! ([`crate::SeqRule::NextStrictBridged`], named on each of its events).

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::book_channels::BookChannel;
use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Origin, Seq};
use crate::json::{Json, as_int, field, opt_int_field, pair, push_sides, str_field};
use crate::rules::SeqRule;
use crate::scan::Scan;

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if let Origin::Rest { .. } = ctx.origin {
        return rest_snapshot(root, ctx);
    }
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
    let full = topic.starts_with("orderbook.full.");
    let data = field(root, "data")?;
    let channel = topic_channel(topic.as_bytes());
    let Some(instrument) = ctx.resolve_on(str_field(data, "s")?.as_bytes(), channel)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    push_sides(data, ("b", "a"), &mut ctx.out.levels, pair)?;
    let u = as_int(field(data, "u")?, "u")?;
    let kind = match (str_field(root, "type")?, full) {
        ("snapshot", _) => BookKind::Snapshot,
        // A restarted service numbers from 1 again and sends the whole book; on
        // `orderbook.full` that is a break like any other, which the REST snapshot heals.
        ("delta", false) if u == 1 => BookKind::Snapshot,
        ("delta", _) => BookKind::Delta,
        _ => return Err(DecodeError::WrongType("type")),
    };
    let seq = Seq { first: opt_int_field(data, "seq")?, last: Some(u), prev: None };
    let exchange_ms = opt_int_field(root, "ts")?;
    let rule = full.then_some(SeqRule::NextStrictBridged);
    ctx.finish(EventHead { exchange_ms, rule, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}

/// The channel of `orderbook.full.{symbol}`.
const FULL_CHANNEL: &[u8] = b"orderbook.full";

/// The book channel of a topic `orderbook.{depth}.{symbol}`: the topic without its symbol;
/// depth 1 is Bybit's best bid and offer, pushed whole (a book of its own beside the deeper
/// ones).
fn topic_channel(topic: &[u8]) -> BookChannel<'_> {
    let name = match topic.iter().rposition(|&b| b == b'.') {
        Some(dot) => &topic[..dot],
        None => topic,
    };
    BookChannel { name, top: name == b"orderbook.1" }
}

/// `GET /v5/market/full_orderbook` (or `/v5/market/orderbook`): `{"retCode":0,"result":{"s",
/// "b","a","u","seq","ts"}}`, the snapshot `orderbook.full` deltas are bridged onto.
fn rest_snapshot(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if opt_int_field(root, "retCode")? != Some(0) {
        return ctx.not_book("REST error");
    }
    let result = field(root, "result")?;
    // The snapshot `orderbook.full` deltas are bridged onto: that channel's book.
    let channel = BookChannel { name: FULL_CHANNEL, top: false };
    let Some(instrument) = ctx.resolve_on(str_field(result, "s")?.as_bytes(), channel)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    push_sides(result, ("b", "a"), &mut ctx.out.levels, pair)?;
    let seq = Seq {
        first: opt_int_field(result, "seq")?,
        last: Some(as_int(field(result, "u")?, "u")?),
        prev: None,
    };
    let exchange_ms = opt_int_field(result, "ts")?;
    let head = EventHead {
        exchange_ms,
        rule: Some(SeqRule::NextStrictBridged),
        ..EventHead::new(instrument, BookKind::Snapshot, seq)
    };
    ctx.finish(head, start);
    Ok(())
}

/// The fast path: an `orderbook.{depth}.{symbol}` push exactly as Bybit writes it (`topic`,
/// `ts` and `type` in either order, `data` of `s`, `b`, `a`, `u`, `seq`, then `cts` where
/// sent). `None`: not that
/// shape, for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"topic":"#)?;
    let topic = scan.string()?;
    if !topic.starts_with(b"orderbook.") {
        return None;
    }
    let full = topic.starts_with(b"orderbook.full.");
    // The real 2026 recordings send `ts` then `type`; the docs' examples the other way round.
    let (exchange_ms, kind) = if scan.opt_lit(br#","ts":"#) {
        let ts = scan.int()?;
        scan.lit(br#","type":"#)?;
        (ts, scan.snapshot_or(br#""delta""#)?)
    } else {
        scan.lit(br#","type":"#)?;
        let kind = scan.snapshot_or(br#""delta""#)?;
        scan.lit(br#","ts":"#)?;
        (scan.int()?, kind)
    };
    scan.lit(br#","data":{"s":"#)?;
    let symbol = scan.string()?;
    let start = ctx.out.levels.len();
    scan.lit(br#","b":"#)?;
    scan.levels(Side::Bid, &mut ctx.out.levels, |s| s.string_array(2))?;
    scan.lit(br#","a":"#)?;
    scan.levels(Side::Ask, &mut ctx.out.levels, |s| s.string_array(2))?;
    scan.lit(br#","u":"#)?;
    let u = scan.int()?;
    scan.lit(br#","seq":"#)?;
    let seq = scan.int()?;
    scan.lit(b"}")?;
    if scan.opt_lit(br#","cts":"#) {
        scan.int()?;
    }
    scan.lit(b"}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    // As `decode`: a restarted service's `u == 1` is a snapshot, but not on `orderbook.full`.
    let kind = if !full && u == 1 { BookKind::Snapshot } else { kind };
    let seq = Seq { first: Some(seq), last: Some(u), prev: None };
    let rule = full.then_some(SeqRule::NextStrictBridged);
    ctx.finish_read_on(symbol, topic_channel(topic), start, |id| EventHead {
        exchange_ms: Some(exchange_ms),
        rule,
        ..EventHead::new(id, kind, seq)
    })
}
