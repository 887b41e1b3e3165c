//! Binance spot and USD-M diff depth (`<symbol>@depth`) plus REST depth snapshots.
//!
//! Wire reference: Binance spot `web-socket-streams.md` "Diff. Depth Stream" and "How to manage a
//! local order book correctly"; USD-M "Diff. Book Depth Streams". Both venues share the message
//! shape; USD-M adds `pu`, which its sequence rule requires.

use depthbook_core::Side;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Origin, Seq};
use crate::json::{Json, array_field, int_field, opt_int_field, push_pair_levels, str_field};
use crate::venue::Venue;
use simd_json::prelude::*;

pub(crate) fn decode(
    root: Json<'_, '_>,
    venue: Venue,
    ctx: &mut Ctx<'_>,
) -> Result<(), DecodeError> {
    // Combined streams wrap each event as {"stream": name, "data": event}.
    let (data, combined) = match (root.get("stream"), root.get("data")) {
        (Some(_), Some(data)) => (data, true),
        _ => (root, false),
    };
    // Extracts made from hftbacktest captures wrap the REST body as {"rest_snapshot": body}.
    if let Some(body) = data.get("rest_snapshot") {
        return snapshot(body, ctx);
    }
    if data.get("lastUpdateId").is_some() {
        // On a stream, `lastUpdateId` marks the partial book depth stream: whole top-N books
        // that need no sync and are not what this decoder maintains.
        return if combined { ctx.not_book("partial book depth") } else { snapshot(data, ctx) };
    }
    match data.get("e").and_then(|e| e.into_string()) {
        Some("depthUpdate") => delta(data, venue, ctx),
        Some(_) => ctx.not_book("non-book event"),
        None if data.get("result").is_some() || data.get("id").is_some() => {
            ctx.not_book("request ack")
        }
        None if data.get("B").is_some() && data.get("A").is_some() => ctx.not_book("bookTicker"),
        None => Err(DecodeError::UnknownMessage),
    }
}

/// A REST `/api/v3/depth` or `/fapi/v1/depth` body.
fn snapshot(data: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let named = match ctx.origin {
        Origin::Rest { url: Some(url) } => query_param(url, "symbol"),
        _ => None,
    };
    let instrument = match named {
        Some(name) => match ctx.resolve(name)? {
            Some(id) => id,
            None => return ctx.not_book("untracked instrument"),
        },
        None => ctx.symbols.resolve_unnamed()?,
    };
    let start = ctx.begin(instrument);
    push_pair_levels(array_field(data, "bids")?, Side::Bid, "bids", &mut ctx.out.levels)?;
    push_pair_levels(array_field(data, "asks")?, Side::Ask, "asks", &mut ctx.out.levels)?;
    let seq = Seq { first: None, last: Some(int_field(data, "lastUpdateId")?), prev: None };
    let exchange_ms = opt_int_field(data, "E")?;
    ctx.finish(
        EventHead {
            instrument,
            kind: BookKind::Snapshot,
            seq,
            checksum: None,
            exchange_ms,
            depth: None,
        },
        start,
    );
    Ok(())
}

fn delta(data: Json<'_, '_>, venue: Venue, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(instrument) = ctx.resolve(str_field(data, "s")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    let seq = Seq {
        first: Some(int_field(data, "U")?),
        last: Some(int_field(data, "u")?),
        prev: match venue {
            Venue::BinanceUsdm => Some(int_field(data, "pu")?),
            _ => opt_int_field(data, "pu")?,
        },
    };
    push_pair_levels(array_field(data, "b")?, Side::Bid, "b", &mut ctx.out.levels)?;
    push_pair_levels(array_field(data, "a")?, Side::Ask, "a", &mut ctx.out.levels)?;
    let exchange_ms = opt_int_field(data, "E")?;
    ctx.finish(
        EventHead {
            instrument,
            kind: BookKind::Delta,
            seq,
            checksum: None,
            exchange_ms,
            depth: None,
        },
        start,
    );
    Ok(())
}

/// The value of `key` in a URL's query string.
fn query_param<'u>(url: &'u str, key: &str) -> Option<&'u str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_finds_the_symbol() {
        let url = "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000";
        assert_eq!(query_param(url, "symbol"), Some("NKNUSDT"));
        assert_eq!(query_param(url, "nope"), None);
        assert_eq!(query_param("https://x/depth", "symbol"), None);
    }
}
