//! Deribit `book.{instrument}.{interval}` (JSON-RPC notifications): a `snapshot`, then
//! `change`s chained by `prev_change_id`, levels `[action, price, amount]`; and the grouped
//! variant `book.{instrument}.{group}.{depth}.{interval}`, whose every notification is a whole
//! book of `[price, amount]` levels.
//!
//! Wire reference: Deribit API v2, "Subscriptions / book.{instrument_name}.{interval}". Prices
//! and amounts are JSON numbers (quoted by the JSON layer before parsing).

use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, field, opt_int_field, pair, push_sides, str_field, topic_part};

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
