//! How far a view of a book can be trusted: which of the venue's integrity checks the message
//! that produced it passed.
//!
//! Two checks can catch a lost or corrupted message: the venue's sequence numbers (a loss shows
//! as a break at the next message) and its checksum of the book (any difference in the top
//! levels shows at once). A view's [`Integrity`] says which of them the message behind it was
//! checked by; a venue's ([`Venue::integrity`]) is what its usual book channel allows.

use std::fmt;

use crate::event::Seq;
use crate::rules::{Cursor, SeqRule};
use crate::venue::Venue;

/// What was checked on the message that produced a view, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Integrity {
    /// Its sequence number continued the book and the venue's checksum matched the book after
    /// it: a loss or a corruption would have been caught.
    Verified,
    /// Its sequence number continued the book (for a snapshot: the connection's numbering was
    /// checked on its frame, or buffered deltas were checked against it as they were bridged);
    /// the venue sends no checksum (or sent none on it).
    Sequenced,
    /// The venue's checksum matched the book after it; the venue numbers nothing that depthbook
    /// can enforce, so a loss shows only when it changes the checksummed levels.
    Checksummed,
    /// Nothing could be checked: the venue gives no way to detect a loss (Coinbase Exchange,
    /// Bitget without `pseq`, a message without the ids or checksum its venue usually sends),
    /// or the message is a snapshot with neither a checksum nor anything checked against it
    /// (the first view of a stream-snapshot book; every view of a snapshot-only channel such as
    /// HTX `depth.step0` or Bybit `orderbook.1`).
    Unverifiable,
}

impl Integrity {
    /// Every level, strongest first.
    pub const ALL: [Integrity; 4] = [
        Integrity::Verified,
        Integrity::Sequenced,
        Integrity::Checksummed,
        Integrity::Unverifiable,
    ];

    /// The level of a message whose sequence was (or was not) checked and whose checksum was
    /// (or was not) verified.
    pub const fn of(sequenced: bool, checksummed: bool) -> Integrity {
        match (sequenced, checksummed) {
            (true, true) => Integrity::Verified,
            (true, false) => Integrity::Sequenced,
            (false, true) => Integrity::Checksummed,
            (false, false) => Integrity::Unverifiable,
        }
    }

    /// Whether a sequence check passed.
    pub const fn sequenced(self) -> bool {
        matches!(self, Integrity::Verified | Integrity::Sequenced)
    }

    /// Whether a checksum matched.
    pub const fn checksummed(self) -> bool {
        matches!(self, Integrity::Verified | Integrity::Checksummed)
    }

    /// The name in JSON lines and the capability table.
    pub const fn name(self) -> &'static str {
        match self {
            Integrity::Verified => "verified",
            Integrity::Sequenced => "sequenced",
            Integrity::Checksummed => "checksummed",
            Integrity::Unverifiable => "unverifiable",
        }
    }

    /// A small code (0-3) for packing into a word; [`Integrity::from_code`] reverses it.
    pub const fn code(self) -> u8 {
        match self {
            Integrity::Verified => 0,
            Integrity::Sequenced => 1,
            Integrity::Checksummed => 2,
            Integrity::Unverifiable => 3,
        }
    }

    /// The level of a [`Integrity::code`]; the low two bits are read.
    pub const fn from_code(code: u8) -> Integrity {
        match code & 3 {
            0 => Integrity::Verified,
            1 => Integrity::Sequenced,
            2 => Integrity::Checksummed,
            _ => Integrity::Unverifiable,
        }
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl SeqRule {
    /// Whether the rule numbers books in a way the engine enforces per book: a break is a gap.
    /// False for rules that number nothing, that are only observed, and for connection-wide
    /// numbers (the engine checks those per frame, before any book's rule).
    const fn enforced_per_book(self) -> bool {
        !matches!(
            self,
            SeqRule::Unsequenced | SeqRule::PrevEqualsLastObserved | SeqRule::Connection
        )
    }

    /// Whether [`SeqRule::check`] compares a delta carrying `seq` with a book at `cursor`, so
    /// that its `Apply` proves the delta continues the book. False where the rule is not
    /// enforced per book, or the message or the book lacks the ids the rule compares (an OKX
    /// message of the years before `seqId`).
    pub fn checks(self, cursor: &Cursor, seq: &Seq) -> bool {
        if !self.enforced_per_book() || cursor.last.is_none() || seq.last.is_none() {
            return false;
        }
        match self {
            SeqRule::BinanceSpot | SeqRule::BinanceUsdm => seq.first.is_some(),
            SeqRule::PrevEqualsLast | SeqRule::PrevEqualsLastBridged => seq.prev.is_some(),
            _ => true,
        }
    }
}

impl Venue {
    /// The integrity of the views of the venue's default book channel in normal operation
    /// (the first view after a stream snapshot carries what that snapshot was checked by:
    /// often nothing).
    pub const fn integrity(self) -> Integrity {
        match self {
            Venue::BinanceSpot
            | Venue::BinanceUsdm
            | Venue::Okx
            | Venue::Bybit
            | Venue::Coinbase
            | Venue::Deribit
            | Venue::GateIo
            | Venue::Bitfinex => Integrity::Sequenced,
            Venue::Kraken | Venue::KrakenV1 | Venue::Bitget => Integrity::Checksummed,
            Venue::CoinbaseExchange | Venue::Htx => Integrity::Unverifiable,
        }
    }

    /// [`Venue::integrity`] in words, with the cases that differ.
    pub const fn integrity_description(self) -> &'static str {
        match self {
            Venue::Okx => {
                "`sequenced` (`verified` while a non-zero checksum is sent; OKX sends `0` in 2026)"
            }
            Venue::Bitfinex => {
                "`sequenced` (SEQ_ALL; checksums come in frames of their own, checked between views: a mismatch makes the book Stale)"
            }
            Venue::Bitget => {
                "`checksummed` (`pseq` only observed; `unverifiable` on a channel without checksums)"
            }
            Venue::Htx => {
                "`unverifiable` (`depth.step0`, the default: whole books, nothing to check them by); `sequenced` with `--channel mbp`"
            }
            Venue::Kraken => "`checksummed` (no sequence numbers)",
            Venue::KrakenV1 => {
                "`checksummed` (no sequence numbers; a snapshot carries no checksum: `unverifiable`)"
            }
            Venue::CoinbaseExchange => "`unverifiable` (no sequence, no checksum)",
            Venue::Coinbase => "`sequenced` (the connection's `sequence_num`)",
            Venue::BinanceSpot
            | Venue::BinanceUsdm
            | Venue::Bybit
            | Venue::Deribit
            | Venue::GateIo => "`sequenced`",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_through_their_codes_and_names_are_distinct() {
        for level in Integrity::ALL {
            assert_eq!(Integrity::from_code(level.code()), level);
            assert_eq!(Integrity::of(level.sequenced(), level.checksummed()), level);
        }
        let names: std::collections::BTreeSet<_> = Integrity::ALL.map(Integrity::name).into();
        assert_eq!(names.len(), 4);
    }

    #[test]
    fn a_rule_checks_a_delta_only_with_the_ids_it_compares() {
        let book = Cursor { last: Some(10), bridged: true };
        let full = Seq { first: Some(11), last: Some(11), prev: Some(10) };
        let bare = Seq { first: None, last: Some(11), prev: None };
        assert!(SeqRule::NextStrict.checks(&book, &bare));
        assert!(SeqRule::BinanceUsdm.checks(&book, &full));
        assert!(!SeqRule::PrevEqualsLast.checks(&book, &bare), "an OKX message without prevSeqId");
        assert!(!SeqRule::PrevEqualsLastObserved.checks(&book, &full), "Bitget: observed only");
        assert!(!SeqRule::Unsequenced.checks(&book, &full));
        assert!(!SeqRule::Connection.checks(&book, &full), "checked per frame by the engine");
        assert!(!SeqRule::NextStrict.checks(&Cursor::default(), &bare), "a book without ids");
    }

    #[test]
    fn every_venue_states_its_integrity_in_words_that_name_it() {
        for venue in Venue::ALL {
            let words = venue.integrity_description();
            assert!(
                words.starts_with(&format!("`{}`", venue.integrity().name())),
                "{venue}: {words}"
            );
        }
    }
}
