//! Incremental streams the server derives from the truth book, for the book channels no
//! capture holds: HTX `market.{symbol}.mbp.{levels}` (diffs numbered by `seqNum` /
//! `prevSeqNum`, the snapshot answering a `req` on the stream) and Bybit
//! `orderbook.full.{symbol}` (deltas numbered by `u`, the snapshot from REST
//! `/v5/market/full_orderbook`).
//!
//! A [`DerivedStream`] keeps the book as its subscribers know it (the truth book's best
//! `levels` a side when it last changed) and a sequence number. After every capture record that
//! names the symbol, [`DerivedStream::advance`] compares the truth book's best levels with it,
//! and if anything changed sends one message with every changed level (size 0 for a level that
//! left) and the next number. Invariant: the stream's book is what its snapshot at its current
//! number states, and applying message `n + 1` to the book at `n` gives the book at `n + 1`; so
//! a client that bridges a snapshot with the deltas holds exactly the stream's book.

use std::fmt::Write as _;

use depthbook_core::decimal::NumBuf;
use depthbook_core::{Book, Level, Side};

use crate::snapshot::{json_str, push_number};

/// The first number a derived stream gives its book (Bybit's `u == 1` means a restart, and
/// numbers from 1000 make the loopback's streams easy to tell apart from real ones).
const FIRST_SEQ: i64 = 1_000;

/// Which venue's incremental channel a stream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DerivedKind {
    /// HTX `mbp.{levels}`: JSON-number levels, `seqNum` / `prevSeqNum`.
    HtxMbp {
        /// Levels a side (5, 20, 150 or 400).
        levels: u32,
    },
    /// Bybit `orderbook.full`: string levels, `u` (and `seq`), the whole book.
    BybitFull,
}

impl DerivedKind {
    /// Levels a side the stream covers.
    fn levels(self) -> usize {
        match self {
            DerivedKind::HtxMbp { levels } => usize::try_from(levels).unwrap_or(usize::MAX),
            DerivedKind::BybitFull => usize::MAX,
        }
    }
}

/// One level that changed: its new state, or a delete (`qty` zero) with the price it left.
#[derive(Debug, Clone, Copy)]
struct Change {
    side: Side,
    level: Level,
}

/// A numbered incremental stream of one symbol's book.
#[derive(Debug)]
pub(crate) struct DerivedStream {
    kind: DerivedKind,
    symbol: String,
    seq: i64,
    book: Book,
    changes: Vec<Change>,
}

impl DerivedStream {
    /// A stream of `symbol` starting from `truth` (empty if the truth book is not Live yet: its
    /// first message then inserts every level).
    pub(crate) fn new(kind: DerivedKind, symbol: &str, truth: Option<&Book>) -> Self {
        let mut stream = DerivedStream {
            kind,
            symbol: symbol.to_owned(),
            seq: FIRST_SEQ,
            book: Book::new(usize::MAX),
            changes: Vec::new(),
        };
        if let Some(truth) = truth {
            stream.diff(truth);
            stream.apply_changes();
        }
        stream
    }

    /// What kind of stream it is.
    pub(crate) fn kind(&self) -> DerivedKind {
        self.kind
    }

    /// Brings the stream to `truth`: the message that does so, numbered, if anything changed.
    pub(crate) fn advance(&mut self, truth: &Book, time_ms: i64) -> Option<String> {
        self.diff(truth);
        if self.changes.is_empty() {
            return None;
        }
        self.apply_changes();
        self.seq += 1;
        Some(self.render_delta(time_ms))
    }

    /// Collects in `changes` what differs between the stream's book and `truth`'s best levels.
    fn diff(&mut self, truth: &Book) {
        self.changes.clear();
        let limit = self.kind.levels();
        for side in [Side::Bid, Side::Ask] {
            let mine = self.book.side(side);
            for level in truth.side(side).iter().take(limit) {
                if mine.qty_at(level.price) != Some(level.qty) {
                    self.changes.push(Change { side, level });
                }
            }
            let theirs = truth.side(side);
            let cut = theirs.iter().take(limit).last().map(|l| l.price);
            for level in mine.iter() {
                let inside = match cut {
                    Some(cut) => match side {
                        Side::Bid => level.price >= cut,
                        Side::Ask => level.price <= cut,
                    },
                    None => false,
                };
                if !inside || theirs.qty_at(level.price).is_none() {
                    let gone = Level { qty: depthbook_core::Qty::ZERO, ..level };
                    self.changes.push(Change { side, level: gone });
                }
            }
        }
    }

    /// Applies `changes` to the stream's book.
    fn apply_changes(&mut self) {
        for change in &self.changes {
            let Change { side, level } = *change;
            // Prices come from a book that held them together: they fit one ladder.
            let _ = self.book.set(side, level.price, level.qty, level.text);
        }
    }

    /// The stream's message for the changes just applied.
    fn render_delta(&self, time_ms: i64) -> String {
        let mut out = String::with_capacity(128 + 40 * self.changes.len());
        match self.kind {
            DerivedKind::HtxMbp { levels } => {
                let topic = json_str(&format!("market.{}.mbp.{levels}", self.symbol));
                let _ = write!(
                    out,
                    "{{\"ch\":{topic},\"ts\":{time_ms},\"tick\":{{\"seqNum\":{},\"prevSeqNum\":{}",
                    self.seq,
                    self.seq - 1
                );
                self.push_changes(&mut out, ("bids", "asks"), false);
                out.push_str("}}");
            }
            DerivedKind::BybitFull => {
                let topic = json_str(&format!("orderbook.full.{}", self.symbol));
                let _ = write!(
                    out,
                    "{{\"topic\":{topic},\"type\":\"delta\",\"ts\":{time_ms},\"data\":{{\"s\":{}",
                    json_str(&self.symbol)
                );
                self.push_changes(&mut out, ("b", "a"), true);
                let _ =
                    write!(out, ",\"u\":{},\"seq\":{}}},\"cts\":{time_ms}}}", self.seq, self.seq);
            }
        }
        out
    }

    /// `,"<bids>":[..],"<asks>":[..]` of the changes, each level `[p,s]` (quoted if `quoted`).
    fn push_changes(&self, out: &mut String, names: (&str, &str), quoted: bool) {
        let mut buf = NumBuf::new();
        for (side, name) in [(Side::Bid, names.0), (Side::Ask, names.1)] {
            let _ = write!(out, ",\"{name}\":[");
            let levels = self.changes.iter().filter(|c| c.side == side).map(|c| c.level);
            push_levels(out, levels, quoted, &mut buf);
            out.push(']');
        }
    }

    /// HTX's answer to `{"req": topic, "id": id}`: the stream's book at its current number.
    pub(crate) fn htx_reply(&self, id: Option<&serde_json::Value>, time_ms: i64) -> String {
        let levels = self.kind.levels();
        let topic = json_str(&format!("market.{}.mbp.{levels}", self.symbol));
        let mut out = String::with_capacity(128 + 2 * 32 * self.book.len());
        out.push('{');
        if let Some(id) = id {
            let _ = write!(out, "\"id\":{id},");
        }
        let _ = write!(
            out,
            "\"rep\":{topic},\"status\":\"ok\",\"ts\":{time_ms},\"data\":{{\"seqNum\":{}",
            self.seq
        );
        self.push_book(&mut out, ("bids", "asks"), false);
        out.push_str("}}");
        out
    }

    /// Bybit's `GET /v5/market/full_orderbook` body: the stream's book at its current `u`.
    pub(crate) fn bybit_rest(&self, time_ms: i64) -> String {
        let mut out = String::with_capacity(160 + 2 * 40 * self.book.len());
        let _ = write!(
            out,
            "{{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{{\"s\":{}",
            json_str(&self.symbol)
        );
        self.push_book(&mut out, ("b", "a"), true);
        let _ = write!(
            out,
            ",\"ts\":{time_ms},\"u\":{},\"seq\":{},\"cts\":{time_ms}}},\"retExtInfo\":{{}},\"time\":{time_ms}}}",
            self.seq, self.seq
        );
        out
    }

    fn push_book(&self, out: &mut String, names: (&str, &str), quoted: bool) {
        let mut buf = NumBuf::new();
        for (side, name) in [(Side::Bid, names.0), (Side::Ask, names.1)] {
            let _ = write!(out, ",\"{name}\":[");
            push_levels(out, self.book.side(side).iter(), quoted, &mut buf);
            out.push(']');
        }
    }
}

/// Levels as `[p,s]` pairs, numbers spelled as the capture wrote them (a delete's size is `0`).
fn push_levels(
    out: &mut String,
    levels: impl Iterator<Item = Level>,
    quoted: bool,
    buf: &mut NumBuf,
) {
    let quote = if quoted { "\"" } else { "" };
    for (i, level) in levels.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        out.push_str(quote);
        push_number(out, &level, true, buf);
        out.push_str(quote);
        out.push(',');
        out.push_str(quote);
        if level.qty.is_zero() {
            out.push('0');
        } else {
            push_number(out, &level, false, buf);
        }
        out.push_str(quote);
        out.push(']');
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use depthbook_core::{LevelText, Price, Qty};

    use super::*;

    fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Book {
        let mut book = Book::new(1_000);
        for (side, levels) in [(Side::Bid, bids), (Side::Ask, asks)] {
            for (p, q) in levels {
                let (price, pt) = Price::parse(p).unwrap();
                let (qty, qt) = Qty::parse(q).unwrap();
                book.set(side, price, qty, LevelText::new(pt, qt)).unwrap();
            }
        }
        book
    }

    #[test]
    fn htx_diffs_number_each_change_and_delete_levels_that_leave_the_top() {
        let start = book(&[("100.5", "1"), ("100", "2")], &[("101", "3")]);
        let mut stream =
            DerivedStream::new(DerivedKind::HtxMbp { levels: 2 }, "btcusdt", Some(&start));
        assert_eq!(stream.advance(&start, 7), None, "nothing changed");
        // 100.7 enters at the top: 100 leaves the best two and is deleted.
        let next = book(&[("100.7", "4"), ("100.5", "1"), ("100", "2")], &[("101", "2.5")]);
        assert_eq!(
            stream.advance(&next, 8).unwrap(),
            r#"{"ch":"market.btcusdt.mbp.2","ts":8,"tick":{"seqNum":1001,"prevSeqNum":1000,"bids":[[100.7,4],[100,0]],"asks":[[101,2.5]]}}"#
        );
        assert_eq!(
            stream.htx_reply(Some(&serde_json::json!("r1")), 9),
            r#"{"id":"r1","rep":"market.btcusdt.mbp.2","status":"ok","ts":9,"data":{"seqNum":1001,"bids":[[100.7,4],[100.5,1]],"asks":[[101,2.5]]}}"#
        );
    }

    #[test]
    fn bybit_full_covers_the_whole_book_with_string_levels() {
        let mut stream = DerivedStream::new(DerivedKind::BybitFull, "BTCUSDT", None);
        let first = book(&[("100", "2")], &[("101", "3"), ("102", "1")]);
        assert_eq!(
            stream.advance(&first, 5).unwrap(),
            r#"{"topic":"orderbook.full.BTCUSDT","type":"delta","ts":5,"data":{"s":"BTCUSDT","b":[["100","2"]],"a":[["101","3"],["102","1"]],"u":1001,"seq":1001},"cts":5}"#
        );
        let next = book(&[("100", "2")], &[("102", "1")]);
        assert!(stream.advance(&next, 6).unwrap().contains(r#""a":[["101","0"]],"u":1002"#));
        assert_eq!(
            stream.bybit_rest(6),
            r#"{"retCode":0,"retMsg":"OK","result":{"s":"BTCUSDT","b":[["100","2"]],"a":[["102","1"]],"ts":6,"u":1002,"seq":1002,"cts":6},"retExtInfo":{},"time":6}"#
        );
    }
}
