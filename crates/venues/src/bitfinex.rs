//! Bitfinex WebSocket v2 `book`: `[chanId, levels]` snapshots, `[chanId, level]` updates,
//! `[chanId, "cs", checksum]` checksums and `[chanId, "hb"]` heartbeats. The channel id comes
//! from the connection's `subscribed` event, which also says whether the book is aggregated
//! (`prec` P0..P4: rows `[price, count, amount]`, a count of 0 deletes the level) or raw (`R0`:
//! rows `[order_id, price, amount]`, one per order, a price of 0 deletes the order). The side is
//! the amount's sign (negative: ask).
//!
//! Wire reference: Bitfinex API v2, "Public channels / Books" and "Configuration" (conf flags:
//! SEQ_ALL 65536 appends a connection-wide sequence number to every array frame, OB_CHECKSUM
//! 131072 adds the `cs` frames). Numbers are JSON numbers, quoted by the JSON layer so the
//! server's own digits reach the parser and the checksum. A raw book is its own instrument,
//! named `{symbol}@R0`, so that a connection can carry the aggregated and the raw book of one
//! pair side by side.

use std::num::NonZeroU64;

use depthbook_core::{LevelText, NumText, Price, Qty, Side};
use simd_json::prelude::*;

use crate::channels::Channel;
use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Checksum, LevelUpdate, Seq};
use crate::json::{Json, as_int, str_field};
use crate::scan::Scan;

/// The conf flag that appends a sequence number to every array frame.
const SEQ_ALL: i64 = 65_536;

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(frame) = root.as_array() else {
        return event(root, ctx);
    };
    let chan_id = as_int(frame.get(0).ok_or(DecodeError::WrongType("chanId"))?, "chanId")?;
    let payload = frame.get(1).ok_or(DecodeError::WrongType("message"))?;
    let word = payload.into_string();
    // Where SEQ_ALL puts the sequence: after the payload, or after `cs`'s value and `te`/`tu`'s
    // trade.
    let seq_at = match word {
        Some("hb") | None => 2,
        Some(_) => 3,
    };
    let numbered = ctx.session.flags.is_none_or(|flags| flags & SEQ_ALL != 0);
    let conn_seq = match frame.get(seq_at) {
        Some(v) if numbered => Some(as_int(v, "seq")?),
        _ => None,
    };
    ctx.out.conn_seq = conn_seq;
    let (instrument, raw) = match ctx.session.channels.get(chan_id) {
        Some(Channel::Book(id)) => (id, false),
        Some(Channel::RawBook(id)) => (id, true),
        Some(Channel::Other(what)) => return ctx.not_book(what),
        None => return ctx.not_book("unknown channel"),
    };
    let seq = Seq { first: None, last: conn_seq, prev: None };
    let start = ctx.begin(instrument);
    let (kind, checksum) = match word {
        Some("hb") => return ctx.not_book("heartbeat"),
        Some("cs") => {
            let value = frame.get(2).ok_or(DecodeError::MissingField("cs"))?;
            let cs =
                i32::try_from(as_int(value, "cs")?).map_err(|_| DecodeError::BadInteger("cs"))?;
            (BookKind::Delta, Some(Checksum::Signed(cs)))
        }
        Some(_) => return Err(DecodeError::WrongType("message")),
        None => {
            let levels = payload.as_array().ok_or(DecodeError::WrongType("levels"))?;
            // A snapshot is a list of levels (possibly empty); an update is one level.
            let snapshot =
                levels.is_empty() || levels.get(0).is_some_and(|l| l.as_array().is_some());
            if snapshot {
                for entry in levels.iter() {
                    ctx.out.levels.push(book_row(entry, raw)?);
                }
                (BookKind::Snapshot, None)
            } else {
                ctx.out.levels.push(book_row(payload, raw)?);
                (BookKind::Delta, None)
            }
        }
    };
    ctx.finish(EventHead { checksum, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}

/// One book row: a level of an aggregated book or an order of a raw one.
fn book_row(entry: Json<'_, '_>, raw: bool) -> Result<LevelUpdate, DecodeError> {
    let entry = entry.as_array().ok_or(DecodeError::WrongType("level"))?;
    let text = |i: usize| entry.get(i).and_then(|v| v.into_string());
    let (Some(first), Some(second), Some(amount)) = (text(0), text(1), text(2)) else {
        return Err(DecodeError::WrongType("level"));
    };
    row(first, second, amount, raw)
}

/// A book row from its three numbers' text.
fn row(first: &str, second: &str, amount: &str, raw: bool) -> Result<LevelUpdate, DecodeError> {
    let (qty, negative, qty_text) =
        Qty::parse_signed(amount).map_err(|e| DecodeError::number("amount", e))?;
    let side = if negative { Side::Ask } else { Side::Bid };
    if raw {
        order_row(first, second, side, qty, qty_text)
    } else {
        level_row(first, second, side, qty, qty_text)
    }
}

/// `[price, count, amount]`: a count of 0 deletes the level on the side the amount's sign
/// names (1: bid, -1: ask); otherwise the amount is the level's size, its sign the side.
fn level_row(
    price: &str,
    count: &str,
    side: Side,
    qty: Qty,
    qty_text: NumText,
) -> Result<LevelUpdate, DecodeError> {
    let (price, price_text) = Price::parse(price).map_err(|e| DecodeError::number("price", e))?;
    if !price.is_positive() {
        return Err(DecodeError::NonPositivePrice);
    }
    let count: i64 = count.parse().map_err(|_| DecodeError::BadInteger("count"))?;
    let qty = match count {
        0 => Qty::ZERO,
        n if n > 0 && !qty.is_zero() => qty,
        _ => return Err(DecodeError::BadInteger("count")),
    };
    Ok(LevelUpdate { side, price, qty, text: LevelText::new(price_text, qty_text), order: None })
}

/// `[order_id, price, amount]`: a price of 0 deletes the order (the amount's sign still names
/// its side); otherwise the order rests at `price` with size `|amount|`.
fn order_row(
    id: &str,
    price: &str,
    side: Side,
    qty: Qty,
    qty_text: NumText,
) -> Result<LevelUpdate, DecodeError> {
    let id = id
        .parse::<u64>()
        .ok()
        .and_then(NonZeroU64::new)
        .ok_or(DecodeError::BadInteger("order id"))?;
    let (price, price_text) = Price::parse(price).map_err(|e| DecodeError::number("price", e))?;
    let qty = match (price == Price::ZERO, price.is_positive()) {
        (true, _) => Qty::ZERO,
        (false, true) if !qty.is_zero() => qty,
        (false, true) => return Err(DecodeError::BadInteger("amount")),
        (false, false) => return Err(DecodeError::NonPositivePrice),
    };
    Ok(LevelUpdate {
        side,
        price,
        qty,
        text: LevelText::new(price_text, qty_text),
        order: Some(id),
    })
}

/// Object frames: `info`, `conf` (the flags the server took), `subscribed` (a channel id),
/// `unsubscribed`, `error`, `pong`.
fn event(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    match str_field(root, "event")? {
        "conf" => {
            if let Some(flags) = root.get("flags") {
                ctx.session.flags = Some(as_int(flags, "flags")?);
            }
        }
        "subscribed" => {
            let chan_id =
                as_int(root.get("chanId").ok_or(DecodeError::MissingField("chanId"))?, "chanId")?;
            let channel = if str_field(root, "channel")? != "book" {
                Channel::Other("non-book channel")
            } else if root.get("prec").and_then(|p| p.into_string()) == Some("R0") {
                let name = format!("{}@R0", str_field(root, "symbol")?);
                match ctx.resolve(&name)? {
                    Some(id) => Channel::RawBook(id),
                    None => Channel::Other("untracked instrument"),
                }
            } else {
                match ctx.resolve(str_field(root, "symbol")?)? {
                    Some(id) => Channel::Book(id),
                    None => Channel::Other("untracked instrument"),
                }
            };
            ctx.session.channels.insert(chan_id, channel);
        }
        "unsubscribed" => {
            if let Some(id) = root.get("chanId") {
                let id = as_int(id, "chanId")?;
                ctx.session.channels.remove(id);
            }
        }
        _ => {}
    }
    ctx.not_book("event")
}

/// The fast path: an aggregated book's update `[chanId, [price, count, amount]]` or snapshot
/// `[chanId, [[price, count, amount], ...]]`, with the connection's sequence number after it
/// where the server sends one, on a channel the connection's `subscribed` event named. Raw
/// books, checksums, heartbeats, other channels and any other shape are `None`: for the
/// general path to decode (nothing is changed before the whole frame is read).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(b"[")?;
    let chan_id = scan.int()?;
    let Some(Channel::Book(instrument)) = ctx.session.channels.get(chan_id) else { return None };
    scan.lit(b",[")?;
    let start = ctx.out.levels.len();
    let kind = if scan.opt_lit(b"]") {
        BookKind::Snapshot
    } else if scan.opt_lit(b"[") {
        loop {
            ctx.out.levels.push(fast_row(scan)?);
            if !scan.opt_lit(b",[") {
                break;
            }
        }
        scan.lit(b"]")?;
        BookKind::Snapshot
    } else {
        ctx.out.levels.push(fast_row(scan)?);
        BookKind::Delta
    };
    let sent = if scan.opt_lit(b",") { Some(scan.int()?) } else { None };
    scan.lit(b"]")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    let numbered = ctx.session.flags.is_none_or(|flags| flags & SEQ_ALL != 0);
    let conn_seq = sent.filter(|_| numbered);
    ctx.out.conn_seq = conn_seq;
    let seq = Seq { first: None, last: conn_seq, prev: None };
    ctx.finish(EventHead::new(instrument, kind, seq), start);
    Some(())
}

/// `price, count, amount]` of an aggregated book's row (its `[` already read), numbers as
/// their JSON tokens (the general path reads them quoted).
fn fast_row(scan: &mut Scan<'_>) -> Option<LevelUpdate> {
    let price = number_text(scan)?;
    scan.lit(b",")?;
    let count = number_text(scan)?;
    scan.lit(b",")?;
    let amount = number_text(scan)?;
    scan.lit(b"]")?;
    row(price, count, amount, false).ok()
}

/// A JSON number token as text (ASCII).
fn number_text<'a>(scan: &mut Scan<'a>) -> Option<&'a str> {
    std::str::from_utf8(scan.number()?).ok()
}
