//! Kraken WebSocket v1: `[channelID, {"as"|"bs"|"a"|"b"|"c"}..., channelName, pair]`.

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Checksum, Seq};
use crate::json::{Json, push_pair_levels, str_field};
use crate::scan::{Number, Scan};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(message) = root.as_array() else {
        return event(root, ctx);
    };
    let n = message.len();
    if n < 4 {
        return Err(DecodeError::WrongType("message"));
    }
    let channel = message
        .get(n - 2)
        .and_then(|v| v.into_string())
        .ok_or(DecodeError::WrongType("channelName"))?;
    if !channel.starts_with("book") {
        return ctx.not_book("non-book channel");
    }
    let pair =
        message.get(n - 1).and_then(|v| v.into_string()).ok_or(DecodeError::WrongType("pair"))?;
    let Some(instrument) = ctx.resolve(pair)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    let mut kind = BookKind::Delta;
    let mut checksum = None;
    for part in message.iter().skip(1).take(n - 3) {
        let part = part.as_object().ok_or(DecodeError::WrongType("book"))?;
        for (key, value) in &part {
            match key {
                // "as"/"bs" hold a snapshot's asks and bids, "a"/"b" an update's.
                "as" | "bs" | "a" | "b" => {
                    if key.len() == 2 {
                        kind = BookKind::Snapshot;
                    }
                    let side = if key.starts_with('a') { Side::Ask } else { Side::Bid };
                    let levels = value.as_array().ok_or(DecodeError::WrongType("levels"))?;
                    push_pair_levels(levels, side, key_name(key), &mut ctx.out.levels)?;
                }
                "c" => {
                    let text = value.into_string().ok_or(DecodeError::WrongType("c"))?;
                    checksum = Some(Checksum::Unsigned(
                        text.parse().map_err(|_| DecodeError::BadInteger("c"))?,
                    ));
                }
                _ => {}
            }
        }
    }
    let depth = channel.strip_prefix("book-").and_then(|d| d.parse().ok());
    ctx.finish(
        EventHead { checksum, depth, ..EventHead::new(instrument, kind, Seq::default()) },
        start,
    );
    Ok(())
}

fn key_name(key: &str) -> &'static str {
    match key {
        "as" => "as",
        "bs" => "bs",
        "a" => "a",
        _ => "b",
    }
}

/// Object frames: heartbeats, system status, subscription status (which carries the depth).
fn event(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    if str_field(root, "event")? == "subscriptionStatus"
        && root.get("status").and_then(|s| s.into_string()) == Some("subscribed")
    {
        let channel = root.get("channelName").and_then(|c| c.into_string()).unwrap_or("");
        let depth = channel.strip_prefix("book-").and_then(|d| d.parse::<u32>().ok());
        if let (Some(depth), Some(pair)) = (depth, root.get("pair").and_then(|p| p.into_string())) {
            ctx.symbols.note_meta(pair, |m| m.depth = Some(depth));
        }
    }
    ctx.not_book("event")
}

/// The fast path: a book message exactly as Kraken v1 writes it, `[channelID, {...}, ({...},)
/// "book-N", "pair"]`, each object of `as`/`bs` (a snapshot) or `a`/`b` levels
/// `["price","volume","timestamp"]` (an update's may add `"r"`), and `c`, the checksum, in the
/// last. Anything else is `None`: for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(b"[")?;
    scan.int()?;
    let start = ctx.out.levels.len();
    let (mut kind, mut checksum) = (BookKind::Delta, None);
    // At least one object: the general path refuses a message without one.
    scan.lit(b",{")?;
    loop {
        loop {
            let (side, snapshot) = if scan.opt_lit(br#""as":"#) {
                (Side::Ask, true)
            } else if scan.opt_lit(br#""bs":"#) {
                (Side::Bid, true)
            } else if scan.opt_lit(br#""a":"#) {
                (Side::Ask, false)
            } else if scan.opt_lit(br#""b":"#) {
                (Side::Bid, false)
            } else {
                scan.lit(br#""c":"#)?;
                let text = scan.string()?;
                checksum = Some(Checksum::Unsigned(std::str::from_utf8(text).ok()?.parse().ok()?));
                if !scan.opt_lit(b",") {
                    break;
                }
                continue;
            };
            if snapshot {
                kind = BookKind::Snapshot;
            }
            scan.levels(side, &mut ctx.out.levels, level)?;
            if !scan.opt_lit(b",") {
                break;
            }
        }
        scan.lit(b"}")?;
        if !scan.opt_lit(b",{") {
            break;
        }
    }
    scan.lit(br#","book"#)?;
    let channel_rest = scan.string_tail()?;
    scan.lit(b",")?;
    let pair = scan.string()?;
    scan.lit(b"]")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    let depth = channel_rest
        .strip_prefix(b"-")
        .and_then(|d| std::str::from_utf8(d).ok())
        .and_then(|d| d.parse().ok());
    ctx.finish_read(pair, start, |id| EventHead {
        checksum,
        depth,
        ..EventHead::new(id, kind, Seq::default())
    })
}

/// A level, `["price","volume","timestamp"]` or with a fourth string (`"r"`, republished).
fn level<'a>(scan: &mut Scan<'a>) -> Option<(Number<'a>, Number<'a>)> {
    scan.lit(b"[")?;
    let price = scan.quoted_number()?;
    scan.lit(b",")?;
    let volume = scan.quoted_number()?;
    scan.lit(b",")?;
    scan.string()?;
    if scan.opt_lit(b",") {
        scan.string()?;
    }
    scan.lit(b"]")?;
    Some((price, volume))
}
