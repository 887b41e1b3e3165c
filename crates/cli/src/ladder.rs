//! The human view of a book: a ladder of the best levels and the counters.

use std::io::{self, Write};

use depthbook_core::{Book, Side};
use depthbook_engine::{BookState, Counters};

/// Writes the best `depth` levels of both sides as a ladder, asks above bids.
pub(crate) fn write_ladder(
    out: &mut impl Write,
    symbol: &str,
    state: BookState,
    seq: Option<i64>,
    book: &Book,
    depth: usize,
) -> io::Result<()> {
    let state = match state {
        BookState::Live => "live".to_string(),
        BookState::AwaitingSnapshot => "awaiting snapshot".to_string(),
        BookState::Stale(reason) => format!("stale ({})", reason.name()),
    };
    let seq = seq.map_or_else(|| "-".to_string(), |s| s.to_string());
    let (n_bids, n_asks) = (book.side(Side::Bid).len(), book.side(Side::Ask).len());
    writeln!(out, "{symbol}  {state}  seq {seq}  levels {n_bids} bids / {n_asks} asks")?;
    writeln!(out, "  {:>20}  {:>20}", "price", "size")?;
    let asks: Vec<_> = book.side(Side::Ask).iter().take(depth).collect();
    for level in asks.iter().rev() {
        writeln!(out, "  {:>20}  {:>20}  ask", level.price.to_string(), level.qty.to_string())?;
    }
    match (book.best(Side::Bid), book.best(Side::Ask)) {
        (Some(bid), Some(ask)) => {
            let spread =
                ask.price.raw().checked_sub(bid.price.raw()).map(depthbook_core::Price::from_raw);
            let spread = spread.map_or_else(|| "-".to_string(), |s| s.to_string());
            writeln!(out, "  {spread:>20}  spread")?;
        }
        _ => writeln!(out, "  {:>20}", "-")?,
    }
    for level in book.side(Side::Bid).iter().take(depth) {
        writeln!(out, "  {:>20}  {:>20}  bid", level.price.to_string(), level.qty.to_string())?;
    }
    Ok(())
}

/// Writes the counters as aligned `name value` pairs.
pub(crate) fn write_counters(out: &mut impl Write, lines: u64, c: &Counters) -> io::Result<()> {
    let rows = [
        ("lines", lines),
        ("frames", c.frames),
        ("skipped", c.skipped),
        ("events", c.events),
        ("applied", c.applied),
        ("gaps", c.gaps),
        ("checksums_verified", c.checksums_verified),
        ("checksum_failures", c.checksum_failures),
        ("resyncs", c.resyncs),
        ("decode_errors", c.decode_errors),
        ("crossed", c.crossed),
        ("evicted", c.evicted),
        ("published", c.published),
    ];
    for (name, value) in rows {
        writeln!(out, "  {name:<20} {value}")?;
    }
    Ok(())
}
