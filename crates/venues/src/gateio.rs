//! Gate.io v4 `spot.order_book_update` and `futures.order_book_update` (`U`/`u` ids), plus the
//! REST `order_book?with_id=true` snapshots (`id`) they are bridged onto, by Binance spot's
//! rule.
//!
//! Wire reference: Gate.io API v4 "Spot WebSocket v4 / Changed order book levels" and
//! "Futures WebSocket v4 / Order book update". Spot levels are `[price, size]` strings;
//! futures levels are `{"p": price, "s": size}` with integer sizes (contracts), so the JSON
//! layer quotes numbers for this venue.

use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, as_int, field, opt_int_field, push_sides, str_field};

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
    push_sides(result, ("b", "a"), &mut ctx.out.levels, gate_level)?;
    let seq = Seq {
        first: Some(as_int(field(result, "U")?, "U")?),
        last: Some(as_int(field(result, "u")?, "u")?),
        prev: None,
    };
    let exchange_ms = opt_int_field(result, "t")?;
    ctx.finish(
        EventHead { exchange_ms, ..EventHead::new(instrument, BookKind::Delta, seq) },
        start,
    );
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
