//! HTX (Huobi) market data: `market.{symbol}.mbp.{levels}` incremental books (`seqNum` /
//! `prevSeqNum`, the snapshot answering a `req` on the same connection) and
//! `market.{symbol}.depth.step{n}` pushes, each a whole book. Frames arrive gzip-compressed;
//! the decoder inflates them first (see [`crate::VenueDecoder`]).
//!
//! Wire reference: HTX API docs, "Market data / Market By Price (incremental update)" and
//! "Market Depth". Prices and sizes are JSON numbers, quoted by the JSON layer before
//! parsing. Pings (`{"ping": n}`) are answered by the connection, not here.

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, field, opt_array_field, opt_int_field, push_pair_levels, topic_part};
use crate::scan::{Number, Scan};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if root.get("ping").is_some() {
        return ctx.not_book("ping");
    }
    // The answer to a `req`: `{"id", "rep": topic, "status", "data": {seqNum, bids, asks}}`.
    if let Some(topic) = root.get("rep").and_then(|r| r.into_string()) {
        let data = field(root, "data")?;
        return book(topic, data, BookKind::Snapshot, opt_int_field(root, "ts")?, ctx);
    }
    let Some(topic) = root.get("ch").and_then(|c| c.into_string()) else {
        return if root.get("status").is_some() || root.get("subbed").is_some() {
            ctx.not_book("reply")
        } else {
            Err(DecodeError::UnknownMessage)
        };
    };
    let kind = match topic_part(topic, "market.", 1) {
        Some("mbp") => BookKind::Delta,
        Some("depth") => BookKind::Snapshot,
        _ => return ctx.not_book("non-book channel"),
    };
    let tick = field(root, "tick")?;
    book(topic, tick, kind, opt_int_field(root, "ts")?, ctx)
}

fn book(
    topic: &str,
    data: Json<'_, '_>,
    kind: BookKind,
    exchange_ms: Option<i64>,
    ctx: &mut Ctx<'_>,
) -> Result<(), DecodeError> {
    let symbol = topic_part(topic, "market.", 0).ok_or(DecodeError::WrongType("ch"))?;
    let Some(instrument) = ctx.resolve(symbol)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    // An incremental message leaves out a side that did not change.
    if let Some(bids) = opt_array_field(data, "bids")? {
        push_pair_levels(bids, Side::Bid, "bids", &mut ctx.out.levels)?;
    }
    if let Some(asks) = opt_array_field(data, "asks")? {
        push_pair_levels(asks, Side::Ask, "asks", &mut ctx.out.levels)?;
    }
    let seq = Seq {
        first: None,
        last: opt_int_field(data, "seqNum")?.or(opt_int_field(data, "version")?),
        prev: opt_int_field(data, "prevSeqNum")?,
    };
    ctx.finish(EventHead { exchange_ms, ..EventHead::new(instrument, kind, seq) }, start);
    Ok(())
}

/// The fast path, over the inflated text: a push exactly as HTX writes it, `ch`, `ts`, then
/// `tick` of `seqNum`, `prevSeqNum` and the sides that changed (`mbp`), or of `bids`, `asks`,
/// `version`, `ts` (`depth`), levels `[price, size]` as JSON numbers. Anything else (the answer
/// to a `req` included) is `None`: for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"ch":"#)?;
    let topic = scan.str()?;
    let kind = match topic_part(topic, "market.", 1)? {
        "mbp" => BookKind::Delta,
        "depth" => BookKind::Snapshot,
        _ => return None,
    };
    let symbol = topic_part(topic, "market.", 0)?;
    scan.lit(br#","ts":"#)?;
    let exchange_ms = scan.int()?;
    scan.lit(br#","tick":{"#)?;
    let start = ctx.out.levels.len();
    let seq = if kind == BookKind::Delta {
        scan.lit(br#""seqNum":"#)?;
        let last = scan.int()?;
        scan.lit(br#","prevSeqNum":"#)?;
        let prev = scan.int()?;
        // An incremental message leaves out a side that did not change.
        for (key, side) in [(&br#","bids":"#[..], Side::Bid), (br#","asks":"#, Side::Ask)] {
            if scan.opt_lit(key) {
                scan.levels(side, &mut ctx.out.levels, level)?;
            }
        }
        Seq { first: None, last: Some(last), prev: Some(prev) }
    } else {
        scan.lit(br#""bids":"#)?;
        scan.levels(Side::Bid, &mut ctx.out.levels, level)?;
        scan.lit(br#","asks":"#)?;
        scan.levels(Side::Ask, &mut ctx.out.levels, level)?;
        scan.lit(br#","version":"#)?;
        let version = scan.int()?;
        scan.lit(br#","ts":"#)?;
        scan.int()?;
        Seq { first: None, last: Some(version), prev: None }
    };
    scan.lit(b"}}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    ctx.finish_read(symbol.as_bytes(), start, |id| EventHead {
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, kind, seq)
    })
}

/// A level, `[price, size]` as JSON numbers (the general path reads them quoted).
fn level<'a>(scan: &mut Scan<'a>) -> Option<(Number<'a>, Number<'a>)> {
    scan.lit(b"[")?;
    let price = scan.bare_number()?;
    scan.lit(b",")?;
    let size = scan.bare_number()?;
    scan.lit(b"]")?;
    Some((price, size))
}
