//! Coinbase Advanced Trade `level2` (messages on the `l2_data` channel).
//!
//! Wire reference: Coinbase Advanced Trade WebSocket docs, "Level2 channel". Every message of
//! a connection, whatever its channel, carries `sequence_num`, one more than the previous
//! message's: it is reported as the frame's connection sequence ([`crate::SeqRule::Connection`]).
//! Book events are `{"type": "snapshot"|"update", "product_id", "updates": [{"side",
//! "price_level", "new_quantity"}]}`.

use crate::decoder::{Ctx, EventHead};
use crate::error::DecodeError;
use crate::event::{BookKind, Seq};
use crate::json::{Json, array_field, as_int, level, str_field};

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
            _ => return Err(DecodeError::WrongType("type")),
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
