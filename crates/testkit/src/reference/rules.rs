//! The venues' sequence rules as protocols.md sections 1-13 state them, written apart from
//! depthbook's `SeqRule`.

use depthbook_venues::Venue;

use super::messages::Msg;

/// What the sequence rule says of a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Continues the book: apply it.
    Apply,
    /// Already covered by the book: drop it.
    Skip,
    /// Something was lost between the book and this delta.
    Gap {
        /// The id the rule wanted.
        expected: i64,
        /// The id the delta carried.
        got: i64,
    },
}

/// Whether the venue's snapshots come from REST and are bridged with buffered deltas.
pub fn rest_snapshots(venue: Venue) -> bool {
    matches!(venue, Venue::BinanceSpot | Venue::BinanceUsdm | Venue::GateIo)
}

/// Whether a delta buffered before a REST snapshot taken at `snapshot_last` is covered by it
/// (dropped wherever it sits in the buffer).
pub fn precedes_snapshot(venue: Venue, snapshot_last: i64, m: &Msg) -> bool {
    match (venue, m.last) {
        (Venue::BinanceSpot | Venue::GateIo, Some(u)) => u <= snapshot_last,
        (Venue::BinanceUsdm, Some(u)) => u < snapshot_last,
        _ => false,
    }
}

/// The venue's sequence rule for a delta after `last`; `bridged` is whether a delta was
/// applied since the last snapshot.
pub fn verdict(venue: Venue, last: Option<i64>, bridged: bool, m: &Msg) -> Verdict {
    match venue {
        // Gate.io spot bridges its REST `id` by Binance spot's rule.
        Venue::BinanceSpot | Venue::BinanceUsdm | Venue::GateIo => {
            let (Some(last), Some(first), Some(u)) = (last, m.first, m.last) else {
                return Verdict::Apply;
            };
            let spot = venue != Venue::BinanceUsdm;
            match (spot, bridged) {
                // Drop u <= lastUpdateId; the first kept event has U <= lastUpdateId + 1 <= u.
                (true, false) if u <= last => Verdict::Skip,
                (true, false) if first <= last + 1 => Verdict::Apply,
                (true, false) => Verdict::Gap { expected: last + 1, got: first },
                // Then: ignore u < id; a gap is U > id + 1.
                (true, true) if u < last => Verdict::Skip,
                (true, true) if first > last + 1 => Verdict::Gap { expected: last + 1, got: first },
                (true, true) => Verdict::Apply,
                // USD-M: drop u < lastUpdateId; the first kept event has U <= lastUpdateId <= u.
                (false, false) if u < last => Verdict::Skip,
                (false, false) if first <= last => Verdict::Apply,
                (false, false) => Verdict::Gap { expected: last, got: first },
                // Then every pu equals the previous u.
                (false, true) => match m.prev {
                    Some(pu) if pu == last => Verdict::Apply,
                    Some(pu) => Verdict::Gap { expected: last, got: pu },
                    None => Verdict::Apply,
                },
            }
        }
        // prevSeqId must equal the last seqId, when the feed sends them; Deribit's
        // prev_change_id must equal the last change_id.
        Venue::Okx | Venue::Deribit => match (last, m.prev, m.last) {
            (Some(last), Some(prev), Some(_)) if prev != last => {
                Verdict::Gap { expected: last, got: prev }
            }
            _ => Verdict::Apply,
        },
        // Bybit: each delta's `u` is the previous one plus 1 (every delta of the 2026
        // recordings keeps it); a `u` at or a little below the book's is a repeat (far below:
        // numbering restarted and its `u == 1` was lost), anything else a loss.
        Venue::Bybit => match (last, m.last) {
            (Some(last), Some(u)) if u <= last && last.saturating_sub(u) <= 1_000 => Verdict::Skip,
            (Some(last), Some(u)) if Some(u) != last.checked_add(1) => {
                Verdict::Gap { expected: last.saturating_add(1), got: u }
            }
            _ => Verdict::Apply,
        },
        // Bitget's pseq/seq chain is only observed, never a gap (and the legacy capture has
        // none); Kraken v1 sends no sequence.
        _ => Verdict::Apply,
    }
}
