//! Sequence and checksum rules: what each venue says about continuity and integrity.
//!
//! The engine owns the state machine; a venue contributes only these rules, as values. Each rule
//! is a pure function of the cursor (what was applied last) and the incoming message.

use depthbook_core::Book;
use depthbook_core::checksum::{
    FragmentCache, KrakenSpelling, Spelling, bitfinex_crc32, interleaved_crc32, kraken_crc32,
};

use crate::event::{Checksum, Seq};
use crate::symbols::SymbolMeta;

/// How a venue's messages chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqRule {
    /// Binance spot diff depth: bridge a REST snapshot with `U <= lastUpdateId + 1 <= u` after
    /// dropping `u <= lastUpdateId`; then ignore `u < id`, a gap is `U > id + 1`.
    BinanceSpot,
    /// Binance USD-M diff depth: bridge with `U <= lastUpdateId <= u` after dropping
    /// `u < lastUpdateId`; then every `pu` must equal the previous `u`.
    BinanceUsdm,
    /// OKX: every update's `prevSeqId` equals the previous `seqId` (heartbeats repeat it,
    /// maintenance may lower it); messages without `seqId` (pre-2022 feeds) are not chained.
    PrevEqualsLast,
    /// No sequence numbers (Kraken, Coinbase Exchange): a checksum, where sent, is the only
    /// integrity check.
    Unsequenced,
    /// Bybit `orderbook.{depth}`: each delta's `u` is the previous one plus 1 (every delta of
    /// the real 2026 recordings, linear and spot, keeps it); `u <= last` is a repeat, skipped,
    /// unless it is more than [`SeqRule::REPEAT_WINDOW`] below (numbering that started again
    /// after a restart whose `u == 1` message was lost: skipping would freeze the book);
    /// anything else is a gap. A snapshot, or a message with `u == 1` (a restart, decoded as a
    /// snapshot), resets the book.
    NextStrict,
    /// Bitget: `pseq` equals the previous `seq` where both are sent. Not confirmed by the
    /// venue's docs: a break is applied and counted ([`Verdict::Unconfirmed`]).
    PrevEqualsLastObserved,
    /// HTX `mbp`: `prevSeqNum` equals the previous `seqNum`. Deltas are buffered until the
    /// snapshot (the answer to a `req`) arrives, then bridged: those with `seqNum <=` the
    /// snapshot's are dropped, the first kept must continue it.
    PrevEqualsLastBridged,
    /// Bybit `orderbook.full`: a REST snapshot (`u`) bridged with the buffered deltas (those
    /// with `u <=` the snapshot's are dropped), then every delta's `u` is the previous one plus
    /// 1, as the docs promise for this stream (`u == 1`, a restart, is a break like any other).
    NextStrictBridged,
    /// Coinbase Advanced Trade, Bitfinex: one sequence numbers every message of a connection,
    /// whatever its channel (`sequence_num`, SEQ_ALL). The engine checks it per connection
    /// ([`crate::Decoded::conn_seq`]): a break makes every book of the connection Stale, since
    /// the lost message could have been any book's. Per book there is nothing more to check.
    Connection,
}

/// What was applied last to a book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    /// The last id of the last applied message (snapshot or delta).
    pub last: Option<i64>,
    /// Whether a delta has been applied since the snapshot (Binance bridges the first one).
    pub bridged: bool,
}

/// The rule's decision on one delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Apply it.
    Apply,
    /// Older than the book: drop it, nothing is wrong.
    Skip,
    /// Messages were lost between the book and this delta.
    Gap {
        /// The id the rule expected.
        expected: i64,
        /// The id the message carried.
        got: i64,
    },
    /// The delta breaks a continuity the venue is only observed to keep (not documented):
    /// apply it, keep the book Live, and count the break so the assumption is checked.
    Unconfirmed {
        /// The id the observed rule expected.
        expected: i64,
        /// The id the message carried.
        got: i64,
    },
}

impl SeqRule {
    /// How far below the book's `u` a Bybit delta may be and still be a repeat of one already
    /// applied (a message sent twice, or late); farther is a restarted numbering: a gap.
    pub const REPEAT_WINDOW: i64 = 1_000;

    /// Whether deltas buffered before a snapshot can be bridged onto it (REST snapshots), rather
    /// than superseded by it (snapshots pushed on the stream itself).
    pub fn bridges_buffered_deltas(self) -> bool {
        matches!(
            self,
            SeqRule::BinanceSpot
                | SeqRule::BinanceUsdm
                | SeqRule::PrevEqualsLastBridged
                | SeqRule::NextStrictBridged
        )
    }

    /// Whether a buffered delta is entirely covered by a REST snapshot taken at `snapshot_last`,
    /// so bridging drops it wherever it sits in the buffer (Binance spot: `u <= lastUpdateId`;
    /// USD-M: `u < lastUpdateId`).
    pub fn precedes_snapshot(self, snapshot_last: i64, seq: &Seq) -> bool {
        match (self, seq.last) {
            (SeqRule::BinanceSpot, Some(u)) => u <= snapshot_last,
            (SeqRule::BinanceUsdm, Some(u)) => u < snapshot_last,
            (SeqRule::PrevEqualsLastBridged | SeqRule::NextStrictBridged, Some(last)) => {
                last <= snapshot_last
            }
            _ => false,
        }
    }

    /// The cursor right after a snapshot with `seq`.
    pub fn after_snapshot(self, seq: &Seq) -> Cursor {
        Cursor { last: seq.last, bridged: false }
    }

    /// Decides whether a delta with `seq` continues the book at `cursor`.
    pub fn check(self, cursor: &Cursor, seq: &Seq) -> Verdict {
        match self {
            SeqRule::PrevEqualsLast | SeqRule::PrevEqualsLastBridged => {
                return self.check_prev(cursor, seq);
            }
            SeqRule::PrevEqualsLastObserved => {
                return match self.check_prev(cursor, seq) {
                    Verdict::Gap { expected, got } => Verdict::Unconfirmed { expected, got },
                    verdict => verdict,
                };
            }
            SeqRule::NextStrict => {
                return match (cursor.last, seq.last) {
                    (Some(last), Some(u))
                        if u <= last && last.saturating_sub(u) <= Self::REPEAT_WINDOW =>
                    {
                        Verdict::Skip
                    }
                    (Some(last), Some(u)) if Some(u) != last.checked_add(1) => {
                        Verdict::Gap { expected: last.saturating_add(1), got: u }
                    }
                    _ => Verdict::Apply,
                };
            }
            SeqRule::NextStrictBridged => {
                return match (cursor.last, seq.last) {
                    // The service restarted and numbers from 1 again: the book must be
                    // fetched again (skipping it as old would freeze the book).
                    (Some(last), Some(1)) if last != 0 => {
                        Verdict::Gap { expected: last.saturating_add(1), got: 1 }
                    }
                    (Some(last), Some(u))
                        if u <= last && last.saturating_sub(u) <= Self::REPEAT_WINDOW =>
                    {
                        Verdict::Skip
                    }
                    (Some(last), Some(u)) if Some(u) != last.checked_add(1) => {
                        Verdict::Gap { expected: last.saturating_add(1), got: u }
                    }
                    _ => Verdict::Apply,
                };
            }
            SeqRule::Unsequenced | SeqRule::Connection => return Verdict::Apply,
            SeqRule::BinanceSpot | SeqRule::BinanceUsdm => {}
        }
        let (Some(last), Some(first), Some(u)) = (cursor.last, seq.first, seq.last) else {
            return Verdict::Apply;
        };
        match self {
            SeqRule::BinanceSpot if !cursor.bridged => {
                if u <= last {
                    Verdict::Skip
                } else if first <= last + 1 {
                    Verdict::Apply
                } else {
                    Verdict::Gap { expected: last + 1, got: first }
                }
            }
            SeqRule::BinanceSpot => {
                if u < last {
                    Verdict::Skip
                } else if first > last.saturating_add(1) {
                    Verdict::Gap { expected: last + 1, got: first }
                } else {
                    Verdict::Apply
                }
            }
            SeqRule::BinanceUsdm if !cursor.bridged => {
                if u < last {
                    Verdict::Skip
                } else if first <= last {
                    Verdict::Apply
                } else {
                    Verdict::Gap { expected: last, got: first }
                }
            }
            SeqRule::BinanceUsdm => match seq.prev {
                Some(pu) if pu == last => Verdict::Apply,
                Some(pu) => Verdict::Gap { expected: last, got: pu },
                None => Verdict::Gap { expected: last, got: first },
            },
            _ => Verdict::Apply,
        }
    }

    fn check_prev(self, cursor: &Cursor, seq: &Seq) -> Verdict {
        match (cursor.last, seq.prev, seq.last) {
            (Some(last), Some(prev), Some(_)) if prev != last => {
                Verdict::Gap { expected: last, got: prev }
            }
            _ => Verdict::Apply,
        }
    }

    /// Moves the cursor past an applied delta.
    pub fn advance(self, cursor: &mut Cursor, seq: &Seq) {
        if seq.last.is_some() {
            cursor.last = seq.last;
        }
        cursor.bridged = true;
    }
}

/// How a venue's checksum is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumRule {
    /// The venue sends none.
    None,
    /// OKX, Bitget: 25 interleaved levels in original spelling, signed CRC32.
    Interleaved25,
    /// Kraken v1: 10 asks then 10 bids, spelled as sent, unsigned CRC32.
    KrakenAsSent,
    /// Kraken v2: as v1, spelled with the instrument's precisions.
    KrakenPrecision,
    /// Bitfinex: 25 interleaved levels `price:amount`, ask amounts negative, numbers as the
    /// server printed them (plain decimals), signed CRC32.
    Bitfinex25,
}

impl ChecksumRule {
    /// How the rule spells a level, given what the feed announced about the instrument.
    pub fn spelling(self, meta: &SymbolMeta) -> Option<Spelling> {
        match self {
            ChecksumRule::None => None,
            ChecksumRule::Interleaved25 => Some(Spelling::Interleaved),
            ChecksumRule::Bitfinex25 => Some(Spelling::Bitfinex),
            ChecksumRule::KrakenAsSent => Some(Spelling::Kraken(KrakenSpelling::AsSent)),
            ChecksumRule::KrakenPrecision => {
                Some(Spelling::Kraken(match (meta.price_precision, meta.qty_precision) {
                    (Some(price), Some(qty)) => KrakenSpelling::Precision { price, qty },
                    _ => KrakenSpelling::AsSent,
                }))
            }
        }
    }

    /// Verifies `expected` against `book` (after the message was applied), with the book's
    /// fragment cache. `None` when the rule cannot check it (no rule, or a kind the venue does
    /// not use).
    pub fn verify(
        self,
        book: &Book,
        cache: &mut FragmentCache,
        expected: Checksum,
        meta: &SymbolMeta,
    ) -> Option<bool> {
        match (self.spelling(meta)?, expected) {
            (Spelling::Interleaved, Checksum::Signed(cs)) => {
                Some(interleaved_crc32(book, 25, cache) == cs)
            }
            (Spelling::Bitfinex, Checksum::Signed(cs)) => Some(bitfinex_crc32(book, cache) == cs),
            (Spelling::Kraken(spelling), Checksum::Unsigned(cs)) => {
                Some(kraken_crc32(book, spelling, cache) == cs)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(first: i64, last: i64, prev: Option<i64>) -> Seq {
        Seq { first: Some(first), last: Some(last), prev }
    }

    #[test]
    fn binance_spot_bridge_and_continuity() {
        let r = SeqRule::BinanceSpot;
        let c = r.after_snapshot(&Seq { last: Some(100), ..Seq::default() });
        assert_eq!(r.check(&c, &seq(90, 100, None)), Verdict::Skip);
        assert_eq!(r.check(&c, &seq(95, 105, None)), Verdict::Apply);
        assert_eq!(r.check(&c, &seq(102, 105, None)), Verdict::Gap { expected: 101, got: 102 });
        let live = Cursor { last: Some(105), bridged: true };
        assert_eq!(r.check(&live, &seq(106, 110, None)), Verdict::Apply);
        assert_eq!(
            r.check(&live, &seq(100, 105, None)),
            Verdict::Apply,
            "a duplicate of the last is re-applied"
        );
        assert_eq!(r.check(&live, &seq(90, 104, None)), Verdict::Skip);
        assert_eq!(r.check(&live, &seq(107, 110, None)), Verdict::Gap { expected: 106, got: 107 });
    }

    #[test]
    fn binance_usdm_bridge_and_pu_chain() {
        let r = SeqRule::BinanceUsdm;
        let c = r.after_snapshot(&Seq { last: Some(100), ..Seq::default() });
        assert_eq!(r.check(&c, &seq(90, 99, Some(80))), Verdict::Skip);
        assert_eq!(r.check(&c, &seq(95, 100, Some(90))), Verdict::Apply, "u == L bridges on USD-M");
        assert_eq!(
            r.check(&c, &seq(101, 120, Some(100))),
            Verdict::Gap { expected: 100, got: 101 }
        );
        let live = Cursor { last: Some(120), bridged: true };
        assert_eq!(r.check(&live, &seq(125, 130, Some(120))), Verdict::Apply);
        assert_eq!(
            r.check(&live, &seq(101, 120, Some(100))),
            Verdict::Gap { expected: 120, got: 100 }
        );
    }

    #[test]
    fn sequence_numbers_at_the_ends_of_i64_are_judged_without_overflow() {
        // Sequences come from the wire: any i64 reaches `check`, `precedes_snapshot` and
        // `advance`, for every rule and cursor (a restart to 1 after u = i64::MAX, two deltas
        // both at i64::MAX once bridged).
        let rules = [
            SeqRule::BinanceSpot,
            SeqRule::BinanceUsdm,
            SeqRule::PrevEqualsLast,
            SeqRule::Unsequenced,
            SeqRule::NextStrict,
            SeqRule::PrevEqualsLastObserved,
            SeqRule::PrevEqualsLastBridged,
            SeqRule::NextStrictBridged,
            SeqRule::Connection,
        ];
        let ends = [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX];
        let optional = || std::iter::once(None).chain(ends.map(Some));
        for rule in rules {
            for (last, bridged) in optional().flat_map(|l| [(l, false), (l, true)]) {
                let cursor = Cursor { last, bridged };
                for (first, u, prev) in
                    optional().flat_map(|f| optional().flat_map(move |u| ends.map(|p| (f, u, p))))
                {
                    let seq = Seq { first, last: u, prev: Some(prev) };
                    let _ = rule.check(&cursor, &seq);
                    let _ = rule.precedes_snapshot(last.unwrap_or(0), &seq);
                    let mut after = cursor;
                    rule.advance(&mut after, &seq);
                }
            }
        }
        let r = SeqRule::NextStrictBridged;
        let top = Cursor { last: Some(i64::MAX), bridged: true };
        let one = Seq { first: None, last: Some(1), prev: None };
        assert_eq!(r.check(&top, &one), Verdict::Gap { expected: i64::MAX, got: 1 });
        let r = SeqRule::BinanceSpot;
        assert_eq!(r.check(&top, &seq(i64::MAX, i64::MAX, None)), Verdict::Apply);
    }

    #[test]
    fn bybit_deltas_continue_by_one_repeats_skip_and_anything_else_is_a_gap() {
        let r = SeqRule::NextStrict;
        assert!(!r.bridges_buffered_deltas());
        let one = |u: i64| Seq { first: Some(900), last: Some(u), prev: None };
        let mut c = r.after_snapshot(&one(100));
        assert_eq!(r.check(&c, &one(101)), Verdict::Apply);
        r.advance(&mut c, &one(101));
        assert_eq!(r.check(&c, &one(101)), Verdict::Skip, "a repeat");
        assert_eq!(r.check(&c, &one(50)), Verdict::Skip, "an older message");
        let high = Cursor { last: Some(5_000_000), bridged: true };
        assert_eq!(
            r.check(&high, &one(2)),
            Verdict::Gap { expected: 5_000_001, got: 2 },
            "numbering restarted, its u == 1 lost: a gap, not a repeat forever"
        );
        assert_eq!(r.check(&c, &one(103)), Verdict::Gap { expected: 102, got: 103 });
        assert_eq!(r.check(&c, &one(102)), Verdict::Apply);
    }

    #[test]
    fn bybit_full_is_strict_after_its_snapshot() {
        let r = SeqRule::NextStrictBridged;
        assert!(r.bridges_buffered_deltas());
        let one = |u: i64| Seq { first: None, last: Some(u), prev: None };
        assert!(r.precedes_snapshot(100, &one(100)));
        assert!(!r.precedes_snapshot(100, &one(101)));
        let mut c = r.after_snapshot(&one(100));
        assert_eq!(r.check(&c, &one(99)), Verdict::Skip);
        assert_eq!(r.check(&c, &one(101)), Verdict::Apply);
        r.advance(&mut c, &one(101));
        assert_eq!(r.check(&c, &one(103)), Verdict::Gap { expected: 102, got: 103 });
        assert_eq!(r.check(&c, &one(1)), Verdict::Gap { expected: 102, got: 1 }, "a restart");
    }

    #[test]
    fn okx_chain_with_heartbeat_and_reset() {
        let r = SeqRule::PrevEqualsLast;
        let mut c = r.after_snapshot(&Seq { last: Some(10), prev: Some(-1), first: None });
        for (prev, last) in [(10, 15), (15, 15), (15, 3), (3, 5)] {
            let s = Seq { first: None, last: Some(last), prev: Some(prev) };
            assert_eq!(r.check(&c, &s), Verdict::Apply);
            r.advance(&mut c, &s);
        }
        let s = Seq { first: None, last: Some(9), prev: Some(6) };
        assert_eq!(r.check(&c, &s), Verdict::Gap { expected: 5, got: 6 });
    }
}
