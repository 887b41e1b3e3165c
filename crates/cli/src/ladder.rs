//! The human view of a book: a ladder of the best levels and the counters.

use std::io::{self, Write};

use depthbook_core::decimal::NumBuf;
use depthbook_core::{Book, Level, Side};
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
        write_level(out, level, "ask")?;
    }
    match (book.best(Side::Bid), book.best(Side::Ask)) {
        (Some(bid), Some(ask)) => {
            let spread = ask.price.checked_sub(bid.price);
            let spread = spread.map_or_else(|| "-".to_string(), |s| s.to_string());
            writeln!(out, "  {spread:>20}  spread")?;
        }
        _ => writeln!(out, "  {:>20}", "-")?,
    }
    for level in book.side(Side::Bid).iter().take(depth) {
        write_level(out, &level, "bid")?;
    }
    Ok(())
}

/// One ladder row, in the venue's own spelling (so decimals line up as on the exchange).
fn write_level(out: &mut impl Write, level: &Level, side: &str) -> io::Result<()> {
    let (mut price_buf, mut qty_buf) = (NumBuf::new(), NumBuf::new());
    let price = String::from_utf8_lossy(level.price.write_text(level.text.price, &mut price_buf))
        .into_owned();
    let qty =
        String::from_utf8_lossy(level.qty.write_text(level.text.qty, &mut qty_buf)).into_owned();
    writeln!(out, "  {price:>20}  {qty:>20}  {side}")
}

/// Writes the counters as aligned `name value` pairs: `lines`, then every engine counter.
pub(crate) fn write_counters(out: &mut impl Write, lines: u64, c: &Counters) -> io::Result<()> {
    let rows = std::iter::once(("lines", lines)).chain(c.fields());
    for (name, value) in rows {
        writeln!(out, "  {name:<20} {value}")?;
    }
    Ok(())
}
