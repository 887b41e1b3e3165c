//! Kraken WebSocket v2: `{"channel":"book","type":"snapshot"|"update","data":[...]}`.
//!
//! Prices and sizes are JSON numbers; the shared JSON layer quotes them before parsing so their
//! exact text reaches the fixed-point parser.

use depthbook_core::{PRICE_DECIMALS, QTY_DECIMALS, Side};
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Checksum, Seq};
use crate::json::{Json, array_field, as_int, field, opt_int_field, push_sides, str_field};
use crate::scan::{Number, Scan};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("method").is_some() {
        return method_response(root, ctx);
    }
    match str_field(root, "channel")? {
        "book" => book(root, ctx),
        "instrument" => instrument(root, ctx),
        _ => ctx.not_book("non-book channel"),
    }
}

fn book(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let kind = match str_field(root, "type")? {
        "snapshot" => BookKind::Snapshot,
        "update" => BookKind::Delta,
        _ => return Err(DecodeError::WrongType("type")),
    };
    for entry in array_field(root, "data")?.iter() {
        let Some(instrument) = ctx.resolve(str_field(entry, "symbol")?)? else {
            continue;
        };
        let start = ctx.begin(instrument);
        push_sides(entry, ("bids", "asks"), &mut ctx.out.levels, price_qty)?;
        let checksum = match opt_int_field(entry, "checksum")? {
            Some(cs) => Some(Checksum::Unsigned(
                u32::try_from(cs).map_err(|_| DecodeError::BadInteger("checksum"))?,
            )),
            None => None,
        };
        ctx.finish(
            EventHead { checksum, ..EventHead::new(instrument, kind, Seq::default()) },
            start,
        );
    }
    if ctx.out.events.is_empty() {
        return ctx.not_book("untracked instrument");
    }
    Ok(())
}

/// A level as `{"price": n, "qty": n}`.
fn price_qty<'i>(entry: Json<'_, 'i>) -> Option<(&'i str, &'i str)> {
    Some((entry.get("price")?.into_string()?, entry.get("qty")?.into_string()?))
}

/// The instrument channel announces each pair's precisions, which checksums need. A precision
/// wider than a price or size can carry (18 decimals) is refused.
fn instrument(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let data = field(root, "data")?;
    if let Some(pairs) = data.get("pairs").and_then(|p| p.as_array()) {
        for pair in pairs.iter() {
            let symbol = str_field(pair, "symbol")?;
            let price = precision(pair, "price_precision", PRICE_DECIMALS)?;
            let qty = precision(pair, "qty_precision", QTY_DECIMALS)?;
            ctx.symbols.note_meta(symbol, |m| {
                m.price_precision = Some(price);
                m.qty_precision = Some(qty);
            });
        }
    }
    ctx.not_book("instrument")
}

/// A pair's `key` precision, at most `max` decimals.
fn precision(pair: Json<'_, '_>, key: &'static str, max: u32) -> Result<u8, DecodeError> {
    u8::try_from(as_int(field(pair, key)?, key)?)
        .ok()
        .filter(|&decimals| u32::from(decimals) <= max)
        .ok_or(DecodeError::BadInteger(key))
}

/// Acks of our requests; a `book` subscribe ack carries the depth.
fn method_response(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let ok = root.get("success").and_then(|s| s.as_bool()) == Some(true);
    let book_ack = root
        .get("result")
        .filter(|r| ok && r.get("channel").and_then(|c| c.into_string()) == Some("book"));
    if let Some(result) = book_ack
        && let (Some(symbol), Some(depth)) =
            (result.get("symbol").and_then(|s| s.into_string()), result.get("depth"))
    {
        let depth =
            u32::try_from(as_int(depth, "depth")?).map_err(|_| DecodeError::BadInteger("depth"))?;
        ctx.symbols.note_meta(symbol, |m| m.depth = Some(depth));
    }
    ctx.not_book("method response")
}

/// The fast path: a `book` push exactly as Kraken writes it (`channel`, `type`, one `data`
/// entry of `symbol`, `bids` and `asks` as `{"price","qty"}` JSON numbers, `checksum` where
/// sent, `timestamp`). `None`: not that shape, for the general path to decode (nothing was
/// resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"channel":"book","type":"#)?;
    let kind = scan.snapshot_or(br#""update""#)?;
    scan.lit(br#","data":[{"symbol":"#)?;
    let symbol = scan.string()?;
    let start = ctx.out.levels.len();
    scan.lit(br#","bids":"#)?;
    scan.levels(Side::Bid, &mut ctx.out.levels, price_qty_numbers)?;
    scan.lit(br#","asks":"#)?;
    scan.levels(Side::Ask, &mut ctx.out.levels, price_qty_numbers)?;
    let checksum = match scan.opt_lit(br#","checksum":"#) {
        true => Some(Checksum::Unsigned(u32::try_from(scan.int()?).ok()?)),
        false => None,
    };
    scan.lit(br#","timestamp":"#)?;
    scan.string()?;
    scan.lit(b"}]}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `book` does it.
    ctx.finish_read(symbol, start, |id| EventHead {
        checksum,
        ..EventHead::new(id, kind, Seq::default())
    })
}

/// A level as `{"price": n, "qty": n}` JSON numbers: their text.
fn price_qty_numbers<'a>(scan: &mut Scan<'a>) -> Option<(Number<'a>, Number<'a>)> {
    scan.lit(br#"{"price":"#)?;
    let price = scan.bare_number()?;
    scan.lit(br#","qty":"#)?;
    let qty = scan.bare_number()?;
    scan.lit(b"}")?;
    Some((price, qty))
}
