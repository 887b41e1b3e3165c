//! Binance spot and USD-M diff depth (`<symbol>@depth`) plus REST depth snapshots.
//!
//! Wire reference: Binance spot `web-socket-streams.md` "Diff. Depth Stream" and "How to manage a
//! local order book correctly"; USD-M "Diff. Book Depth Streams". Both venues share the message
//! shape; USD-M adds `pu`, which its sequence rule requires.

use depthbook_core::Side;
use simd_json::prelude::*;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, as_int, push_pair_levels};
use crate::scan::Scan;
use crate::venue::Venue;

/// The fields of one Binance object, found in a single pass over its keys (every message kind
/// is told apart by which of them are present).
#[derive(Default)]
struct Fields<'t, 'i> {
    event: Option<Json<'t, 'i>>,
    symbol: Option<Json<'t, 'i>>,
    first: Option<Json<'t, 'i>>,
    last: Option<Json<'t, 'i>>,
    prev: Option<Json<'t, 'i>>,
    bids: Option<Json<'t, 'i>>,
    asks: Option<Json<'t, 'i>>,
    event_ms: Option<Json<'t, 'i>>,
    last_update_id: Option<Json<'t, 'i>>,
    rest_snapshot: Option<Json<'t, 'i>>,
    stream: Option<Json<'t, 'i>>,
    data: Option<Json<'t, 'i>>,
    ack: bool,
    ticker: bool,
}

impl<'t, 'i> Fields<'t, 'i> {
    #[inline]
    fn scan(value: Json<'t, 'i>) -> Result<Self, DecodeError> {
        let object = value.as_object().ok_or(DecodeError::WrongType("message"))?;
        let mut f = Fields::default();
        for (key, value) in object.iter() {
            match key {
                "e" => f.event = Some(value),
                "s" => f.symbol = Some(value),
                "U" => f.first = Some(value),
                "u" => f.last = Some(value),
                "pu" => f.prev = Some(value),
                "b" | "bids" => f.bids = Some(value),
                "a" | "asks" => f.asks = Some(value),
                "E" => f.event_ms = Some(value),
                "lastUpdateId" => f.last_update_id = Some(value),
                "rest_snapshot" => f.rest_snapshot = Some(value),
                "stream" => f.stream = Some(value),
                "data" => f.data = Some(value),
                "result" | "id" => f.ack = true,
                "B" | "A" => f.ticker = true,
                _ => {}
            }
        }
        Ok(f)
    }
}

pub(crate) fn decode(
    root: Json<'_, '_>,
    venue: Venue,
    ctx: &mut Ctx<'_>,
) -> Result<(), DecodeError> {
    let mut fields = Fields::scan(root)?;
    // Combined streams wrap each event as {"stream": name, "data": event}.
    let combined = matches!((fields.stream, fields.data), (Some(_), Some(_)));
    if let (true, Some(data)) = (combined, fields.data) {
        fields = Fields::scan(data)?;
    }
    // Extracts made from hftbacktest captures wrap the REST body as {"rest_snapshot": body}.
    if let Some(body) = fields.rest_snapshot {
        return snapshot(&Fields::scan(body)?, ctx);
    }
    if fields.last_update_id.is_some() {
        // On a stream, `lastUpdateId` marks the partial book depth stream: whole top-N books
        // that need no sync and are not what this decoder maintains.
        return if combined { ctx.not_book("partial book depth") } else { snapshot(&fields, ctx) };
    }
    match fields.event.and_then(|e| e.into_string()) {
        Some("depthUpdate") => delta(&fields, venue, ctx),
        Some(_) => ctx.not_book("non-book event"),
        None if fields.ack => ctx.not_book("request ack"),
        None if fields.ticker => ctx.not_book("bookTicker"),
        None => Err(DecodeError::UnknownMessage),
    }
}

fn required<'t, 'i>(
    value: Option<Json<'t, 'i>>,
    name: &'static str,
) -> Result<Json<'t, 'i>, DecodeError> {
    value.ok_or(DecodeError::MissingField(name))
}

fn levels<'t, 'i>(
    value: Option<Json<'t, 'i>>,
    name: &'static str,
) -> Result<simd_json::tape::Array<'t, 'i>, DecodeError> {
    required(value, name)?.as_array().ok_or(DecodeError::WrongType(name))
}

fn opt_int(value: Option<Json<'_, '_>>, name: &'static str) -> Result<Option<i64>, DecodeError> {
    match value {
        Some(v) if !v.is_null() => as_int(v, name).map(Some),
        _ => Ok(None),
    }
}

/// A REST `/api/v3/depth` or `/fapi/v1/depth` body.
fn snapshot(data: &Fields<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(instrument) = ctx.rest_instrument("symbol")? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    push_pair_levels(levels(data.bids, "bids")?, Side::Bid, "bids", &mut ctx.out.levels)?;
    push_pair_levels(levels(data.asks, "asks")?, Side::Ask, "asks", &mut ctx.out.levels)?;
    let last = as_int(required(data.last_update_id, "lastUpdateId")?, "lastUpdateId")?;
    let seq = Seq { first: None, last: Some(last), prev: None };
    let exchange_ms = opt_int(data.event_ms, "E")?;
    ctx.finish(
        EventHead { exchange_ms, ..EventHead::new(instrument, BookKind::Snapshot, seq) },
        start,
    );
    Ok(())
}

fn delta(data: &Fields<'_, '_>, venue: Venue, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let symbol = required(data.symbol, "s")?.into_string().ok_or(DecodeError::WrongType("s"))?;
    let Some(instrument) = ctx.resolve(symbol)? else {
        return ctx.not_book("untracked instrument");
    };
    let start = ctx.begin(instrument);
    let seq = Seq {
        first: Some(as_int(required(data.first, "U")?, "U")?),
        last: Some(as_int(required(data.last, "u")?, "u")?),
        prev: match venue {
            Venue::BinanceUsdm => Some(as_int(required(data.prev, "pu")?, "pu")?),
            _ => opt_int(data.prev, "pu")?,
        },
    };
    push_pair_levels(levels(data.bids, "b")?, Side::Bid, "b", &mut ctx.out.levels)?;
    push_pair_levels(levels(data.asks, "a")?, Side::Ask, "a", &mut ctx.out.levels)?;
    let exchange_ms = opt_int(data.event_ms, "E")?;
    ctx.finish(
        EventHead { exchange_ms, ..EventHead::new(instrument, BookKind::Delta, seq) },
        start,
    );
    Ok(())
}

/// The fast path: a `depthUpdate` exactly as Binance writes it (`e`, `E`, USD-M's `T`, `s`, `U`,
/// `u`, USD-M's `pu`, `b`, `a`), bare or in a combined stream's `{"stream", "data"}` wrapper.
/// `None`: not that shape, for the general path to decode (nothing was resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, venue: Venue, ctx: &mut Ctx<'_>) -> Option<()> {
    let combined = scan.opt_lit(br#"{"stream":"#);
    if combined {
        scan.string()?;
        scan.lit(br#","data":"#)?;
    }
    scan.lit(br#"{"e":"depthUpdate","E":"#)?;
    let exchange_ms = scan.int()?;
    if venue == Venue::BinanceUsdm {
        scan.lit(br#","T":"#)?;
        scan.int()?;
    }
    scan.lit(br#","s":"#)?;
    let symbol = scan.string()?;
    scan.lit(br#","U":"#)?;
    let first = scan.int()?;
    scan.lit(br#","u":"#)?;
    let last = scan.int()?;
    let prev = match venue {
        Venue::BinanceUsdm => {
            scan.lit(br#","pu":"#)?;
            Some(scan.int()?)
        }
        _ => None,
    };
    let start = ctx.out.levels.len();
    scan.lit(br#","b":"#)?;
    scan.levels(Side::Bid, &mut ctx.out.levels, |s| s.string_array(2))?;
    scan.lit(br#","a":"#)?;
    scan.levels(Side::Ask, &mut ctx.out.levels, |s| s.string_array(2))?;
    scan.lit(b"}")?;
    if combined {
        scan.lit(b"}")?;
    }
    scan.end()?;
    // The whole frame is read: now what has effects, as `delta` does it.
    let seq = Seq { first: Some(first), last: Some(last), prev };
    ctx.finish_read(symbol, start, |id| EventHead {
        exchange_ms: Some(exchange_ms),
        ..EventHead::new(id, BookKind::Delta, seq)
    })
}

#[cfg(test)]
mod tests {
    use crate::decoder::query_param;

    #[test]
    fn query_param_finds_the_symbol() {
        let url = "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000";
        assert_eq!(query_param(url, "symbol"), Some("NKNUSDT"));
        assert_eq!(query_param(url, "nope"), None);
        assert_eq!(query_param("https://x/depth", "symbol"), None);
    }
}
