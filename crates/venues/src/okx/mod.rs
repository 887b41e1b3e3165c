//! OKX v5 order book channels (`books`, `books-l2-tbt`, `books50-l2-tbt`, `books-elp`; `books5`
//! and `bbo-tbt` push whole books).
//!
//! Wire reference: OKX v5 docs, "WebSocket / Order book channel"; levels are
//! `[price, size, "0", orders]` strings. A checksum of 0 means "absent" (deprecated 2026-06-23).

use depthbook_core::Side;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Checksum, Seq};
use crate::json::{Json, array_field, field, opt_int_field, push_pair_levels, str_field};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("event").is_some() {
        return ctx.not_book("event");
    }
    let arg = field(root, "arg")?;
    let kind = match str_field(arg, "channel")? {
        "books" | "books-l2-tbt" | "books50-l2-tbt" | "books-elp" => {
            match str_field(root, "action")? {
                "snapshot" => BookKind::Snapshot,
                "update" => BookKind::Delta,
                _ => return Err(DecodeError::WrongType("action")),
            }
        }
        "books5" | "bbo-tbt" => BookKind::Snapshot,
        _ => return ctx.not_book("non-book channel"),
    };
    let Some(instrument) = ctx.resolve(str_field(arg, "instId")?)? else {
        return ctx.not_book("untracked instrument");
    };
    for entry in array_field(root, "data")?.iter() {
        let start = ctx.begin(instrument);
        push_pair_levels(array_field(entry, "bids")?, Side::Bid, "bids", &mut ctx.out.levels)?;
        push_pair_levels(array_field(entry, "asks")?, Side::Ask, "asks", &mut ctx.out.levels)?;
        let seq = Seq {
            first: None,
            last: opt_int_field(entry, "seqId")?,
            prev: opt_int_field(entry, "prevSeqId")?,
        };
        let checksum = match opt_int_field(entry, "checksum")? {
            None | Some(0) => None,
            Some(cs) => Some(Checksum::Signed(
                i32::try_from(cs).map_err(|_| DecodeError::BadInteger("checksum"))?,
            )),
        };
        let exchange_ms = opt_int_field(entry, "ts")?;
        ctx.finish(EventHead { instrument, kind, seq, checksum, exchange_ms, depth: None }, start);
    }
    Ok(())
}
