//! The replay contract's JSON lines, written by hand: a few fixed shapes, exact decimal strings.

use std::fmt::Write as _;

use depthbook_core::{Book, Level, Price, Qty, Side};
use depthbook_engine::{Counters, Engine, TopOfBook};
use depthbook_venues::InstrumentInfo;

use crate::args::Emit;

/// Where a view came from: a capture line (replay) or a receive time (live).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Position {
    /// `"line":N` and, with several files, `"file":K`.
    Line { line: u64, file: Option<usize> },
    /// `"recv_ns":N`.
    RecvNs(i64),
}

/// Appends the `--emit` line of `view`: `tob` or `depth:N` (`none` is never asked for), the
/// contract's fields first, then what was checked on its message (`integrity`) and `crossed`.
pub(crate) fn view_line(
    out: &mut String,
    engine: &Engine,
    venue: &str,
    view: &TopOfBook,
    at: Position,
    emit: Emit,
) {
    match at {
        Position::Line { line, file } => {
            let _ = write!(out, "{{\"line\":{line},");
            if let Some(file) = file {
                let _ = write!(out, "\"file\":{file},");
            }
        }
        Position::RecvNs(ns) => {
            let _ = write!(out, "{{\"recv_ns\":{ns},");
        }
    }
    out.push_str("\"venue\":");
    push_str(out, venue);
    out.push_str(",\"symbol\":");
    push_str(out, engine.symbol(view.instrument));
    out.push_str(",\"seq\":");
    push_opt_int(out, view.seq);
    match (emit, engine.book(view.instrument)) {
        (Emit::Depth(n), Some(book)) => {
            out.push_str(",\"bids\":");
            push_levels(out, book, Side::Bid, n);
            out.push_str(",\"asks\":");
            push_levels(out, book, Side::Ask, n);
        }
        _ => {
            out.push_str(",\"bid\":");
            push_level(out, view.bid);
            out.push_str(",\"ask\":");
            push_level(out, view.ask);
        }
    }
    let _ = writeln!(
        out,
        ",\"integrity\":\"{}\",\"crossed\":{}}}",
        view.integrity.name(),
        view.crossed
    );
}

/// Appends `s` as a JSON string (symbols come from the feed, so escape everything needed).
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `["price","size"]` or `null`.
pub(crate) fn push_level(out: &mut String, level: Option<(Price, Qty)>) {
    match level {
        Some((price, qty)) => {
            let _ = write!(out, "[\"{price}\",\"{qty}\"]");
        }
        None => out.push_str("null"),
    }
}

/// Appends `[["p","s"],...]` with at most `n` levels of `side`, best first.
pub(crate) fn push_levels(out: &mut String, book: &Book, side: Side, n: usize) {
    push_level_list(out, book.side(side).iter().take(n).map(|l: Level| (l.price, l.qty)));
}

/// Appends `[["p","s"],...]`: every level `levels` yields, in order.
pub(crate) fn push_level_list(out: &mut String, levels: impl Iterator<Item = (Price, Qty)>) {
    out.push('[');
    for (i, (price, qty)) in levels.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "[\"{price}\",\"{qty}\"]");
    }
    out.push(']');
}

/// Replay's `--final` line of `id`'s book: `{"venue":..,"symbol":..,"state":"live"|"stale",
/// "bids":[...],"asks":[...]}` and a line break.
pub(crate) fn final_line(engine: &Engine, id: u32, book: &Book, live: bool) -> String {
    let mut text = String::from("{\"venue\":");
    push_str(&mut text, engine.venue().name());
    text.push_str(",\"symbol\":");
    push_str(&mut text, engine.symbol(id));
    text.push_str(if live { ",\"state\":\"live\"" } else { ",\"state\":\"stale\"" });
    text.push_str(",\"bids\":");
    push_levels(&mut text, book, Side::Bid, usize::MAX);
    text.push_str(",\"asks\":");
    push_levels(&mut text, book, Side::Ask, usize::MAX);
    text.push_str("}\n");
    text
}

/// Appends an optional integer.
pub(crate) fn push_opt_int(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

/// One instrument's metadata as a JSON line: decimals as exact strings, absent values null.
pub(crate) fn instrument_line(venue: depthbook_venues::Venue, info: &InstrumentInfo) -> String {
    let text = |d: Option<String>| d.map_or_else(|| "null".to_owned(), |d| format!("\"{d}\""));
    let int = |i: Option<u32>| i.map_or_else(|| "null".to_owned(), |i| i.to_string());
    // Symbols were checked to be plain ASCII names (letters, digits, `/-_.:`): no escaping.
    format!(
        "{{\"venue\":\"{venue}\",\"symbol\":\"{}\",\"tick_size\":{},\"lot_size\":{},\"min_size\":{},\"contract_size\":{},\"price_precision\":{},\"qty_precision\":{}}}",
        info.symbol,
        text(info.tick_size.map(|d| d.normalize().to_string())),
        text(info.lot_size.map(|d| d.normalize().to_string())),
        text(info.min_size.map(|d| d.normalize().to_string())),
        text(info.contract_size.map(|d| d.normalize().to_string())),
        int(info.price_precision),
        int(info.qty_precision)
    )
}

/// The counters line printed on stderr at the end of a run: `lines`, then every engine counter
/// by its contract name ([`Counters::fields`]), then `more` (a live run's network counters).
pub(crate) fn counters_line(
    lines: u64,
    c: &Counters,
    more: impl IntoIterator<Item = (&'static str, u64)>,
) -> String {
    let mut line = format!("{{\"lines\":{lines}");
    for (name, value) in c.fields().into_iter().chain(more) {
        line.push_str(&format!(",\"{name}\":{value}"));
    }
    line.push('}');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_str(&mut out, "a\"b\\c\u{1}");
        assert_eq!(out, r#""a\"b\\c\u0001""#);
    }
}
