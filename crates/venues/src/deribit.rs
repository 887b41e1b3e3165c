//! Deribit `book.{instrument}.{interval}` (JSON-RPC notifications): a `snapshot`, then
//! `change`s chained by `prev_change_id`, levels `[action, price, amount]`; and the grouped
//! variant `book.{instrument}.{group}.{depth}.{interval}`, whose every notification is a whole
//! book of `[price, amount]` levels.
//!
//! Wire reference: Deribit API v2, "Subscriptions / book.{instrument_name}.{interval}". Prices
//! and amounts are JSON numbers (quoted by the JSON layer before parsing).

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, field, opt_int_field, pair, push_sides, str_field, topic_part};
use crate::scan::{Number, Scan};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    match root.get("method").and_then(|m| m.into_string()) {
        Some("subscription") => {}
        Some("heartbeat") => return ctx.not_book("heartbeat"),
        Some(_) => return ctx.not_book("notification"),
        // Replies to our requests (subscribe, set_heartbeat, test).
        None if root.get("id").is_some() => return ctx.not_book("reply"),
        None => return Err(DecodeError::UnknownMessage),
    }
    let params = field(root, "params")?;
    let channel = str_field(params, "channel")?;
    if !channel.starts_with("book.") {
        return ctx.not_book("non-book channel");
    }
    // Grouped books have four parts after `book.` (instrument, group, depth, interval).
    let grouped = topic_part(channel, "book.", 3).is_some();
    let data = field(params, "data")?;
    let Some(instrument) = ctx.resolve(str_field(data, "instrument_name")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    let kind = if grouped {
        push_sides(data, ("bids", "asks"), &mut ctx.out.levels, pair)?;
        BookKind::Snapshot
    } else {
        push_sides(data, ("bids", "asks"), &mut ctx.out.levels, action_level)?;
        match str_field(data, "type")? {
            "snapshot" => BookKind::Snapshot,
            "change" => BookKind::Delta,
            _ => return Err(DecodeError::WrongType("type")),
        }
    };
    let seq = Seq {
        first: None,
        last: opt_int_field(data, "change_id")?,
        prev: opt_int_field(data, "prev_change_id")?,
    };
    let exchange_ms = opt_int_field(data, "timestamp")?;
    ctx.finish(EventHead { exchange_ms, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}

/// A level `[action, price, amount]`: `new` and `change` set the amount, `delete` removes the
/// level whatever amount it carries.
fn action_level<'i>(entry: Json<'_, 'i>) -> Option<(&'i str, &'i str)> {
    let entry = entry.as_array()?;
    let (price, amount) = (entry.get(1)?.into_string()?, entry.get(2)?.into_string()?);
    match entry.get(0)?.into_string()? {
        "new" | "change" => Some((price, amount)),
        // A delete's amount is meaningless (Deribit sends 0.0) but must still be a valid size:
        // a corrupted one is a bad message, not a silent removal.
        "delete" => depthbook_core::Qty::parse(amount).ok().map(|_| (price, "0")),
        _ => None,
    }
}

/// The fast path: a `book.{instrument}.{interval}` notification exactly as Deribit writes it
/// (`jsonrpc`, `method`, `params` of `channel` and `data`: `type`, `timestamp`,
/// `prev_change_id` on changes, `instrument_name`, `change_id`, `bids`, `asks` of
/// `[action, price, amount]` with JSON numbers). Grouped books and anything else decline to the
/// general path (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"#)?;
    let channel = scan.str()?;
    if !channel.starts_with("book.") || topic_part(channel, "book.", 3).is_some() {
        return None;
    }
    scan.lit(br#","data":{"type":"#)?;
    let kind = scan.snapshot_or(br#""change""#)?;
    scan.lit(br#","timestamp":"#)?;
    let exchange_ms = scan.int()?;
    let prev = match scan.opt_lit(br#","prev_change_id":"#) {
        true => Some(scan.int()?),
        false => None,
    };
    scan.lit(br#","instrument_name":"#)?;
    let symbol = scan.string()?;
    scan.lit(br#","change_id":"#)?;
    let last = scan.int()?;
    let start = ctx.out.levels.len();
    scan.lit(br#","bids":"#)?;
    scan.levels(Side::Bid, &mut ctx.out.levels, action_numbers)?;
    scan.lit(br#","asks":"#)?;
    scan.levels(Side::Ask, &mut ctx.out.levels, action_numbers)?;
    scan.lit(b"}}}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    let seq = Seq { first: None, last: Some(last), prev };
    ctx.finish_read(symbol, start, |id| EventHead {
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, kind, seq)
    })
}

/// A level `["new"|"change"|"delete", price, amount]` with JSON numbers, read as
/// [`action_level`] reads it: a delete's amount must be a valid size, and reads as `0`.
fn action_numbers<'a>(scan: &mut Scan<'a>) -> Option<(Number<'a>, Number<'a>)> {
    scan.lit(b"[")?;
    let delete = if scan.opt_lit(br#""delete","#) {
        true
    } else if scan.opt_lit(br#""new","#) || scan.opt_lit(br#""change","#) {
        false
    } else {
        return None;
    };
    let price = scan.bare_number()?;
    scan.lit(b",")?;
    let amount = scan.bare_number()?;
    scan.lit(b"]")?;
    if delete {
        return amount.is_qty().then_some((price, Number::ZERO));
    }
    Some((price, amount))
}
