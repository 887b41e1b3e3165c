//! Gate.io v4 `spot.order_book_update` and `futures.order_book_update` (`U`/`u` ids), plus the
//! REST `order_book?with_id=true` snapshots (`id`) they are bridged onto, by Binance spot's
//! rule.
//!
//! Wire reference: Gate.io API v4 "Spot WebSocket v4 / Changed order book levels" and
//! "Futures WebSocket v4 / Order book update". A push with `full: true` carries the whole book
//! and replaces it (a snapshot from the stream). Spot levels are `[price, size]` strings;
//! futures levels are `{"p": price, "s": size}` with integer sizes (contracts), so the JSON
//! layer quotes numbers for this venue.

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, as_int, field, opt_int_field, push_sides, str_field};
use crate::scan::{Number, Scan};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("id").is_some() && root.get("asks").is_some() {
        return snapshot(root, ctx);
    }
    let Some(channel) = root.get("channel").and_then(|c| c.into_string()) else {
        return Err(DecodeError::UnknownMessage);
    };
    if !matches!(channel, "spot.order_book_update" | "futures.order_book_update") {
        return ctx.not_book("non-book channel");
    }
    if str_field(root, "event")? != "update" {
        return ctx.not_book("event");
    }
    let result = field(root, "result")?;
    let Some(instrument) = ctx.resolve(str_field(result, "s")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    // "The system will push full order book data at irregular intervals": `full: true` marks
    // a push of the whole book (to the subscribed depth) that replaces the local one, its
    // `u` the book's new id (Gate's announcement 44678, spot.order_book_update).
    let full = match result.get("full") {
        None => false,
        Some(flag) => flag.as_bool().ok_or(DecodeError::WrongType("full"))?,
    };
    push_sides(result, ("b", "a"), &mut ctx.out.levels, gate_level)?;
    let last = Some(as_int(field(result, "u")?, "u")?);
    let (kind, first) = if full {
        (BookKind::Snapshot, opt_int_field(result, "U")?)
    } else {
        (BookKind::Delta, Some(as_int(field(result, "U")?, "U")?))
    };
    let seq = Seq { first, last, prev: None };
    let exchange_ms = opt_int_field(result, "t")?;
    ctx.finish(EventHead { exchange_ms, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}

/// A REST snapshot: the URL names the instrument (`currency_pair` on spot, `contract` on
/// futures).
fn snapshot(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let key = match ctx.origin {
        crate::event::Origin::Rest { url: Some(url) } if url.contains("contract=") => "contract",
        _ => "currency_pair",
    };
    let Some(instrument) = ctx.rest_instrument(key)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    push_sides(root, ("bids", "asks"), &mut ctx.out.levels, gate_level)?;
    let seq = Seq { first: None, last: Some(as_int(field(root, "id")?, "id")?), prev: None };
    ctx.finish(EventHead::new(instrument, BookKind::Snapshot, seq), start);
    Ok(())
}

/// A level as `[price, size]` (spot) or `{"p": price, "s": size}` (futures).
fn gate_level<'i>(entry: Json<'_, 'i>) -> Option<(&'i str, &'i str)> {
    match entry.as_array() {
        Some(pair) => Some((pair.get(0)?.into_string()?, pair.get(1)?.into_string()?)),
        None => Some((entry.get("p")?.into_string()?, entry.get("s")?.into_string()?)),
    }
}

/// The fast path: an `order_book_update` push exactly as Gate.io writes it. `time` (and
/// `time_ms`, which newer pushes carry), `channel`, `event`, then `result`:
/// - spot: `t`, `e`, `E`, `s`, `U`, `u`, `b`, `a`, levels `[price, size]` strings;
/// - futures: `U`, `a`, `b`, `s`, `t`, `u` (keys sorted), levels `{"p": price, "s": size}`
///   with the price a string and the size a JSON integer (contracts).
///
/// `None`: not that shape, for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"time":"#)?;
    scan.int()?;
    if scan.opt_lit(br#","time_ms":"#) {
        scan.int()?;
    }
    scan.lit(br#","channel":""#)?;
    let futures = !scan.opt_lit(br#"spot."#);
    if futures {
        scan.lit(br#"futures."#)?;
    }
    scan.lit(br#"order_book_update","event":"update","result":{"#)?;
    let start = ctx.out.levels.len();
    let (symbol, first, last, exchange_ms) = if futures {
        scan.lit(br#""U":"#)?;
        let first = scan.int()?;
        scan.lit(br#","a":"#)?;
        scan.levels(Side::Ask, &mut ctx.out.levels, futures_level)?;
        let asks = ctx.out.levels.len() - start;
        scan.lit(br#","b":"#)?;
        scan.levels(Side::Bid, &mut ctx.out.levels, futures_level)?;
        // The general path pushes bids before asks.
        ctx.out.levels[start..].rotate_left(asks);
        scan.lit(br#","s":"#)?;
        let symbol = scan.string()?;
        scan.lit(br#","t":"#)?;
        let t = scan.int()?;
        scan.lit(br#","u":"#)?;
        (symbol, first, scan.int()?, t)
    } else {
        scan.lit(br#""t":"#)?;
        let t = scan.int()?;
        scan.lit(br#","e":"depthUpdate","E":"#)?;
        scan.int()?;
        scan.lit(br#","s":"#)?;
        let symbol = scan.string()?;
        scan.lit(br#","U":"#)?;
        let first = scan.int()?;
        scan.lit(br#","u":"#)?;
        let last = scan.int()?;
        scan.lit(br#","b":"#)?;
        scan.levels(Side::Bid, &mut ctx.out.levels, |s| s.string_array(2))?;
        scan.lit(br#","a":"#)?;
        scan.levels(Side::Ask, &mut ctx.out.levels, |s| s.string_array(2))?;
        (symbol, first, last, t)
    };
    scan.lit(b"}}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    let seq = Seq { first: Some(first), last: Some(last), prev: None };
    ctx.finish_read(symbol, start, |id| EventHead {
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, BookKind::Delta, seq)
    })
}

/// A futures level, `{"p":"price","s":size}`: the price string's contents and the size's
/// number token (the general path reads it quoted).
fn futures_level<'a>(scan: &mut Scan<'a>) -> Option<(Number<'a>, Number<'a>)> {
    scan.lit(br#"{"p":"#)?;
    let price = scan.quoted_number()?;
    scan.lit(br#","s":"#)?;
    let size = scan.bare_number()?;
    scan.lit(b"}")?;
    Some((price, size))
}
