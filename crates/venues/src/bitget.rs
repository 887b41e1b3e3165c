//! Bitget v2 `books` (snapshot, then updates; `books1`/`books5`/`books15` push whole books),
//! and the legacy v1 spot and mix streams, which share the shape.
//!
//! Wire reference: Bitget API v2 "Websocket / Public / Depth channel". Levels are
//! `[price, size]` strings with trailing zeros kept, which the checksum hashes as sent (OKX's
//! algorithm); a checksum of 0 means none. `seq`/`pseq` are chained where both are sent, but
//! the docs do not promise it: breaks are counted, not trusted (see [`SeqRule`]).
//!
//! [`SeqRule`]: crate::SeqRule::PrevEqualsLastObserved

use crate::decoder::Ctx;
use crate::error::DecodeError;
use crate::event::BookKind;
use crate::json::{Json, array_field, field, str_field};
use crate::okx::{SeqKeys, push_entries};

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
    let Some(instrument) = ctx.resolve(str_field(arg, "instId")?)? else {
        return ctx.not_book("untracked instrument");
    };
    let keys = SeqKeys { last: "seq", prev: "pseq" };
    push_entries(array_field(root, "data")?, instrument, kind, keys, ctx)
}
