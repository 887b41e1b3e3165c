//! Coinbase Exchange (legacy ws-feed) `level2` / `level2_batch`: a `snapshot` of
//! `[price, size]` levels, then `l2update`s of `[side, price, size]` changes.
//!
//! Wire reference: Coinbase Exchange WebSocket docs, "Level2 channel". There is no sequence
//! number on this channel ([`crate::SeqRule::Unsequenced`]): a lost message cannot be
//! detected, only bounded by the watchdog and a resubscribe.

use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, array_field, level, pair, push_sides, str_field};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let kind = match root.get("type").and_then(|t| t.into_string()) {
        Some("snapshot") => BookKind::Snapshot,
        Some("l2update") => BookKind::Delta,
        Some(_) => return ctx.not_book("non-book message"),
        None => return Err(DecodeError::UnknownMessage),
    };
    let Some(instrument) = ctx.resolve(str_field(root, "product_id")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    if kind == BookKind::Snapshot {
        push_sides(root, ("bids", "asks"), &mut ctx.out.levels, pair)?;
    } else {
        for change in array_field(root, "changes")?.iter() {
            let change = change.as_array().ok_or(DecodeError::WrongType("changes"))?;
            let text = |i: usize| change.get(i).and_then(|v| v.into_string());
            let (Some(side), Some(price), Some(size)) = (text(0), text(1), text(2)) else {
                return Err(DecodeError::WrongType("changes"));
            };
            let side = super::side(side, "changes")?;
            ctx.out.levels.push(level(side, price, size, "changes")?);
        }
    }
    let exchange_ms = super::time_ms(root, "time");
    ctx.finish(
        EventHead { exchange_ms, ..EventHead::new(instrument, kind, Seq::default()) },
        start,
    );
    Ok(())
}
