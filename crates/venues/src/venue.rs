//! The supported venues and what each one's feed is like.

use std::fmt;

use crate::rules::{ChecksumRule, SeqRule};

/// A venue feed depthbook can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Venue {
    /// Binance spot `<symbol>@depth` diff stream plus REST `/api/v3/depth`.
    BinanceSpot,
    /// Binance USD-M futures `<symbol>@depth` diff stream plus REST `/fapi/v1/depth`.
    BinanceUsdm,
    /// OKX v5 `books` family.
    Okx,
    /// Kraken spot WebSocket v2 `book`.
    Kraken,
    /// Kraken spot WebSocket v1 `book`.
    KrakenV1,
}

/// Where a venue's book snapshots come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    /// A REST response, bridged with buffered stream deltas.
    Rest,
    /// The first message pushed on the stream after subscribing.
    Stream,
}

impl Venue {
    /// Every venue, in the order of the capability table.
    pub const ALL: [Venue; 5] =
        [Venue::BinanceSpot, Venue::BinanceUsdm, Venue::Okx, Venue::Kraken, Venue::KrakenV1];

    /// The venue's name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Venue::BinanceSpot => "binance-spot",
            Venue::BinanceUsdm => "binance-usdm",
            Venue::Okx => "okx",
            Venue::Kraken => "kraken",
            Venue::KrakenV1 => "kraken-v1",
        }
    }

    /// The venue with that command-line name.
    pub fn from_name(name: &str) -> Option<Venue> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// How its messages chain.
    pub const fn seq_rule(self) -> SeqRule {
        match self {
            Venue::BinanceSpot => SeqRule::BinanceSpot,
            Venue::BinanceUsdm => SeqRule::BinanceUsdm,
            Venue::Okx => SeqRule::PrevEqualsLast,
            Venue::Kraken | Venue::KrakenV1 => SeqRule::Unsequenced,
        }
    }

    /// How its checksum is computed.
    pub const fn checksum_rule(self) -> ChecksumRule {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm => ChecksumRule::None,
            Venue::Okx => ChecksumRule::Interleaved25,
            Venue::Kraken => ChecksumRule::KrakenPrecision,
            Venue::KrakenV1 => ChecksumRule::KrakenAsSent,
        }
    }

    /// Where its snapshots come from.
    pub const fn snapshot_source(self) -> SnapshotSource {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm => SnapshotSource::Rest,
            Venue::Okx | Venue::Kraken | Venue::KrakenV1 => SnapshotSource::Stream,
        }
    }

    /// Whether the book must be cut to the subscribed depth after every message (the venue
    /// sends no deletes for levels that leave the subscribed range).
    pub const fn truncates_to_depth(self) -> bool {
        matches!(self, Venue::Kraken | Venue::KrakenV1)
    }

    /// The depth a subscription has when the feed does not say (Kraken's default is 10).
    pub const fn default_depth(self) -> Option<u32> {
        match self {
            Venue::Kraken | Venue::KrakenV1 => Some(10),
            _ => None,
        }
    }

    /// Whether prices and sizes arrive as JSON numbers rather than strings.
    pub const fn numbers_as_json_numbers(self) -> bool {
        matches!(self, Venue::Kraken)
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
