//! Coinbase Advanced Trade `level2` (messages on the `l2_data` channel).
//!
//! Wire reference: Coinbase Advanced Trade WebSocket docs, "Level2 channel". Every message of
//! a connection, whatever its channel, carries `sequence_num`, one more than the previous
//! message's: it is reported as the frame's connection sequence ([`crate::SeqRule::Connection`]).
//! Book events are `{"type": "snapshot"|"update", "product_id", "updates": [{"side",
//! "price_level", "new_quantity"}]}`.

use depthbook_core::Side;

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, array_field, as_int, level, str_field};
use crate::scan::{Scan, level_of};

pub(crate) fn decode(root: Json<'_, '_>, ctx: &mut Ctx<'_>) -> Result<(), DecodeError> {
    let Some(sequence) = root.get("sequence_num") else {
        // Errors and anything else outside the numbered stream.
        return ctx.not_book("unnumbered message");
    };
    let sequence = as_int(sequence, "sequence_num")?;
    ctx.out.conn_seq = Some(sequence);
    if str_field(root, "channel")? != "l2_data" {
        return ctx.not_book("non-book channel");
    }
    let exchange_ms = super::time_ms(root, "timestamp");
    for event in array_field(root, "events")?.iter() {
        let kind = match str_field(event, "type")? {
            "snapshot" => BookKind::Snapshot,
            "update" => BookKind::Delta,
            // "New message types can be added at any time. Clients are expected to ignore
            // messages they do not support" (Coinbase's WebSocket docs).
            _ => continue,
        };
        let Some(instrument) = ctx.resolve(str_field(event, "product_id")?)? else {
            continue;
        };
        let start = ctx.begin(instrument);
        for update in array_field(event, "updates")?.iter() {
            let side = super::side(str_field(update, "side")?, "side")?;
            let price = str_field(update, "price_level")?;
            let qty = str_field(update, "new_quantity")?;
            ctx.out.levels.push(level(side, price, qty, "updates")?);
        }
        let seq = Seq { first: None, last: Some(sequence), prev: None };
        ctx.finish(EventHead { exchange_ms, ..EventHead::new(instrument, kind, seq) }, start);
    }
    if ctx.out.events.is_empty() {
        return ctx.not_book("untracked instrument");
    }
    Ok(())
}

/// The fast path: an `l2_data` message exactly as Coinbase writes it (`channel`, `client_id`,
/// `timestamp`, `sequence_num`, then one event of `type`, `product_id`, `updates`, each update
/// `side` (`bid` or `offer`), `event_time`, `price_level`, `new_quantity`). A message of several
/// events, or any other shape, is `None`: for the general path to decode (nothing resolved).
pub(crate) fn fast(scan: &mut Scan<'_>, ctx: &mut Ctx<'_>) -> Option<()> {
    scan.lit(br#"{"channel":"l2_data","client_id":"#)?;
    scan.string()?;
    scan.lit(br#","timestamp":"#)?;
    let timestamp = scan.string()?;
    scan.lit(br#","sequence_num":"#)?;
    let sequence = scan.int()?;
    scan.lit(br#","events":[{"type":"#)?;
    let kind = scan.snapshot_or(br#""update""#)?;
    scan.lit(br#","product_id":"#)?;
    let symbol = scan.string()?;
    scan.lit(br#","updates":["#)?;
    let start = ctx.out.levels.len();
    if !scan.opt_lit(b"]") {
        loop {
            scan.lit(br#"{"side":""#)?;
            let side = if scan.opt_lit(br#"bid""#) {
                Side::Bid
            } else {
                scan.lit(br#"offer""#)?;
                Side::Ask
            };
            scan.lit(br#","event_time":"#)?;
            scan.string()?;
            scan.lit(br#","price_level":"#)?;
            let price = scan.quoted_number()?;
            scan.lit(br#","new_quantity":"#)?;
            let qty = scan.quoted_number()?;
            scan.lit(b"}")?;
            ctx.out.levels.push(level_of(side, price, qty)?);
            if !scan.opt_lit(b",") {
                scan.lit(b"]")?;
                break;
            }
        }
    }
    scan.lit(b"}]}")?;
    scan.end()?;
    // The whole frame is read: now what has effects, as `decode` does it.
    ctx.out.conn_seq = Some(sequence);
    let exchange_ms = crate::time::parse_iso8601(timestamp).map(|ns| ns.div_euclid(1_000_000));
    let seq = Seq { first: None, last: Some(sequence), prev: None };
    ctx.finish_read(symbol, start, |id| EventHead { exchange_ms, ..EventHead::new(id, kind, seq) })
}
