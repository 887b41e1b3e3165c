//! Bitget v2 `books` (snapshot, then updates; `books1`/`books5`/`books15` push whole books),
//! and the legacy v1 spot and mix streams, which share the shape.
//!
//! Wire reference: Bitget API v2 "Websocket / Public / Depth channel". Levels are
//! `[price, size]` strings with trailing zeros kept, which the checksum hashes as sent (OKX's
//! algorithm); a checksum of 0 means none. `seq`/`pseq` are chained where both are sent, but
//! the docs do not promise it: breaks are counted, not trusted (see [`SeqRule`]).
//!
//! [`SeqRule`]: crate::SeqRule::PrevEqualsLastObserved

use crate::book_channels::BookChannel;
use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, array_field, field, str_field};
use crate::okx::{SeqKeys, asks_then_bids, checksum, push_entries};
use crate::scan::Scan;

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("event").is_some() {
        return ctx.not_book("event");
    }
    let arg = field(root, "arg")?;
    let whole_books = match str_field(arg, "channel")? {
        "books" => false,
        "books1" | "books5" | "books15" => true,
        _ => return ctx.not_book("non-book channel"),
    };
    let kind = match (whole_books, str_field(root, "action")?) {
        (true, _) | (false, "snapshot") => BookKind::Snapshot,
        (false, "update") => BookKind::Delta,
        _ => return Err(DecodeError::WrongType("action")),
    };
    // `books1`, `books5` and `books15` push the top levels whole: a book of their own.
    let channel = BookChannel { name: str_field(arg, "channel")?.as_bytes(), top: whole_books };
    let Some(instrument) = ctx.resolve_on(str_field(arg, "instId")?.as_bytes(), channel)? else {
        return ctx.not_book("untracked instrument");
    };
    let keys = SeqKeys { last: "seq", prev: "pseq" };
    push_entries(array_field(root, "data")?, instrument, kind, keys, ctx)
}

/// The fast path: a `books` push as Bitget writes it, `action`, `arg` (`instType`, `channel`,
/// `instId`), one `data` entry of `asks`, `bids`, `checksum`, then `seq` and `pseq` where sent
/// (v2, either order) and `ts` (a string), and v2's `ts` after `data`. The v1 captures confirm
/// that order; v2's follows its docs' examples. Anything else is `None`: for the general path
/// to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"action":"#)?;
    let kind = scan.snapshot_or(br#""update""#)?;
    scan.lit(br#","arg":{"instType":"#)?;
    scan.string()?;
    scan.lit(br#","channel":"books","instId":"#)?;
    let symbol = scan.string()?;
    scan.lit(br#"},"data":[{"#)?;
    let start = asks_then_bids(scan, ctx, 2)?;
    scan.lit(br#","checksum":"#)?;
    let checksum = checksum(scan)?;
    let (mut last, mut prev) = (None, None);
    loop {
        if last.is_none() && scan.opt_lit(br#","seq":"#) {
            last = Some(scan.int()?);
        } else if prev.is_none() && scan.opt_lit(br#","pseq":"#) {
            prev = Some(scan.int()?);
        } else {
            break;
        }
    }
    scan.lit(br#","ts":"#)?;
    let exchange_ms = scan.int_string()?;
    scan.lit(b"}]")?;
    if scan.opt_lit(br#","ts":"#) {
        scan.int()?;
    }
    scan.lit(b"}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    let seq = Seq { first: None, last, prev };
    let channel = BookChannel { name: b"books", top: false };
    ctx.finish_read_on(symbol, channel, start, |id| EventHead {
        checksum,
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, kind, seq)
    })
}
