//! OKX v5 order book channels (`books`, `books-l2-tbt`, `books50-l2-tbt`, `books-elp`; `books5`
//! and `bbo-tbt` push whole books).
//!
//! Wire reference: OKX v5 docs, "WebSocket / Order book channel"; levels are
//! `[price, size, "0", orders]` strings. A checksum of 0 means "absent" (deprecated 2026-06-23).

use depthbook_core::Side;
use simd_json::tape::Array;

use crate::book_channels::BookChannel;
use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Checksum, Seq};
use crate::json::{Json, array_field, field, opt_int_field, pair, push_sides, str_field};
use crate::scan::Scan;
use crate::symbols::InstrumentId;

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("event").is_some() {
        return ctx.not_book("event");
    }
    let arg = field(root, "arg")?;
    let channel = str_field(arg, "channel")?;
    // `books5` and `bbo-tbt` push the top levels whole: a book of their own beside `books`.
    let (kind, top) = match channel {
        "books" | "books-l2-tbt" | "books50-l2-tbt" | "books-elp" => {
            match str_field(root, "action")? {
                "snapshot" => (BookKind::Snapshot, false),
                "update" => (BookKind::Delta, false),
                _ => return Err(DecodeError::WrongType("action")),
            }
        }
        "books5" | "bbo-tbt" => (BookKind::Snapshot, true),
        _ => return ctx.not_book("non-book channel"),
    };
    let channel = BookChannel { name: channel.as_bytes(), top };
    let Some(instrument) = ctx.resolve_on(str_field(arg, "instId")?.as_bytes(), channel)? else {
        return ctx.not_book("untracked instrument");
    };
    push_entries(array_field(root, "data")?, instrument, kind, SeqKeys::OKX, ctx)
}

/// The names of the sequence fields in a `data` entry.
pub(crate) struct SeqKeys {
    pub(crate) last: &'static str,
    pub(crate) prev: &'static str,
}

impl SeqKeys {
    const OKX: SeqKeys = SeqKeys { last: "seqId", prev: "prevSeqId" };
}

/// The `data` entries of an OKX-shaped push (OKX, Bitget): each `{"bids", "asks", seq fields,
/// "checksum", "ts"}` is one event of `instrument`. A checksum of 0 means none.
pub(crate) fn push_entries(
    data: Array<'_, '_>,
    instrument: InstrumentId,
    kind: BookKind,
    keys: SeqKeys,
    ctx: &mut Ctx<'_>,
) -> Result<(), DecodeError> {
    for entry in data.iter() {
        let start = ctx.begin(instrument);
        push_sides(entry, ("bids", "asks"), &mut ctx.out.levels, pair)?;
        let seq = Seq {
            first: None,
            last: opt_int_field(entry, keys.last)?,
            prev: opt_int_field(entry, keys.prev)?,
        };
        let checksum = match opt_int_field(entry, "checksum")? {
            None | Some(0) => None,
            Some(cs) => Some(Checksum::Signed(
                i32::try_from(cs).map_err(|_| DecodeError::BadInteger("checksum"))?,
            )),
        };
        let exchange_ms = opt_int_field(entry, "ts")?;
        ctx.finish(
            EventHead { checksum, exchange_ms, ..EventHead::new(instrument, kind, seq) },
            start,
        );
    }
    Ok(())
}

/// The fast path: a `books` push exactly as OKX writes it (`arg` with `channel` then `instId`,
/// `action`, one `data` entry of `asks`, `bids`, `ts`, `checksum`, `prevSeqId`, `seqId`).
/// `None`: not that shape, for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"arg":{"channel":"books","instId":"#)?;
    let symbol = scan.string()?;
    scan.lit(br#"},"action":"#)?;
    let kind = scan.snapshot_or(br#""update""#)?;
    scan.lit(br#","data":[{"#)?;
    let start = asks_then_bids(scan, ctx, 4)?;
    scan.lit(br#","ts":"#)?;
    let exchange_ms = scan.int_string()?;
    scan.lit(br#","checksum":"#)?;
    let checksum = checksum(scan)?;
    scan.lit(br#","prevSeqId":"#)?;
    let prev = scan.int()?;
    scan.lit(br#","seqId":"#)?;
    let last = scan.int()?;
    scan.lit(b"}]}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it. The general path
    // pushes bids before asks whatever their order in the frame.
    let seq = Seq { first: None, last: Some(last), prev: Some(prev) };
    let channel = BookChannel { name: b"books", top: false };
    ctx.finish_read_on(symbol, channel, start, |id| EventHead {
        checksum,
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, kind, seq)
    })
}

/// `"asks":[...],"bids":[...]` of a data entry in the fast path's shape (OKX, Bitget), levels
/// arrays of `width` strings; pushed bids first, as the general path pushes them whatever
/// their order in the frame. Returns where they start.
pub(crate) fn asks_then_bids(
    scan: &mut Scan<'_>,
    ctx: &mut Ctx<'_>,
    width: usize,
) -> Option<usize> {
    scan.lit(br#""asks":"#)?;
    let start = ctx.out.levels.len();
    scan.levels(Side::Ask, &mut ctx.out.levels, |s| s.string_array(width))?;
    let asks = ctx.out.levels.len() - start;
    scan.lit(br#","bids":"#)?;
    scan.levels(Side::Bid, &mut ctx.out.levels, |s| s.string_array(width))?;
    ctx.out.levels[start..].rotate_left(asks);
    Some(start)
}

/// A data entry's `checksum` in the fast path (0 means none, as in `push_entries`).
pub(crate) fn checksum(scan: &mut Scan<'_>) -> Option<Option<Checksum>> {
    Some(match scan.int()? {
        0 => None,
        cs => Some(Checksum::Signed(i32::try_from(cs).ok()?)),
    })
}
