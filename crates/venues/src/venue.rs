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
    /// Bybit v5 `orderbook.{1,50,200,1000}` (spot, linear, inverse, option).
    Bybit,
    /// Coinbase Advanced Trade `level2` (received as `l2_data`).
    Coinbase,
    /// Coinbase Exchange (legacy ws-feed) `level2` / `level2_batch`.
    CoinbaseExchange,
    /// Bitfinex WebSocket v2 `book`, aggregated (P0..P4) books.
    Bitfinex,
    /// Deribit `book.{instrument}.{interval}` (and the grouped snapshot variant).
    Deribit,
    /// Gate.io v4 `spot.order_book_update` and `futures.order_book_update` plus REST snapshots.
    GateIo,
    /// Bitget v2 `books` (and the legacy v1 streams, which share its shape).
    Bitget,
    /// HTX `market.{symbol}.mbp.{n}` incremental books and `depth.step0` full books.
    Htx,
}

/// Where a venue's book snapshots come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotSource {
    /// A REST response, bridged with buffered stream deltas.
    Rest,
    /// The first message pushed on the stream after subscribing.
    Stream,
    /// The answer to a request sent on the stream itself, bridged with buffered deltas.
    Request,
}

impl Venue {
    /// Every venue, in the order of the capability table.
    pub const ALL: [Venue; 13] = [
        Venue::BinanceSpot,
        Venue::BinanceUsdm,
        Venue::Okx,
        Venue::Kraken,
        Venue::KrakenV1,
        Venue::Bybit,
        Venue::Coinbase,
        Venue::CoinbaseExchange,
        Venue::Bitfinex,
        Venue::Deribit,
        Venue::GateIo,
        Venue::Bitget,
        Venue::Htx,
    ];

    /// The venue's name on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Venue::BinanceSpot => "binance-spot",
            Venue::BinanceUsdm => "binance-usdm",
            Venue::Okx => "okx",
            Venue::Kraken => "kraken",
            Venue::KrakenV1 => "kraken-v1",
            Venue::Bybit => "bybit",
            Venue::Coinbase => "coinbase",
            Venue::CoinbaseExchange => "coinbase-exchange",
            Venue::Bitfinex => "bitfinex",
            Venue::Deribit => "deribit",
            Venue::GateIo => "gateio",
            Venue::Bitget => "bitget",
            Venue::Htx => "htx",
        }
    }

    /// The venue with that command-line name.
    pub fn from_name(name: &str) -> Option<Venue> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// How its messages chain.
    pub const fn seq_rule(self) -> SeqRule {
        match self {
            Venue::BinanceSpot | Venue::GateIo => SeqRule::BinanceSpot,
            Venue::BinanceUsdm => SeqRule::BinanceUsdm,
            Venue::Okx | Venue::Deribit => SeqRule::PrevEqualsLast,
            Venue::Bybit => SeqRule::NextStrict,
            Venue::Bitget => SeqRule::PrevEqualsLastObserved,
            Venue::Htx => SeqRule::PrevEqualsLastBridged,
            Venue::Coinbase | Venue::Bitfinex => SeqRule::Connection,
            Venue::Kraken | Venue::KrakenV1 | Venue::CoinbaseExchange => SeqRule::Unsequenced,
        }
    }

    /// How its checksum is computed.
    pub const fn checksum_rule(self) -> ChecksumRule {
        match self {
            Venue::BinanceSpot
            | Venue::BinanceUsdm
            | Venue::Bybit
            | Venue::Coinbase
            | Venue::CoinbaseExchange
            | Venue::Deribit
            | Venue::GateIo
            | Venue::Htx => ChecksumRule::None,
            Venue::Okx | Venue::Bitget => ChecksumRule::Interleaved25,
            Venue::Bitfinex => ChecksumRule::Bitfinex25,
            Venue::Kraken => ChecksumRule::KrakenPrecision,
            Venue::KrakenV1 => ChecksumRule::KrakenAsSent,
        }
    }

    /// Where its snapshots come from.
    pub const fn snapshot_source(self) -> SnapshotSource {
        match self {
            Venue::BinanceSpot | Venue::BinanceUsdm | Venue::GateIo => SnapshotSource::Rest,
            // HTX `mbp` snapshots answer a `req` on the WebSocket and are bridged like REST ones.
            Venue::Htx => SnapshotSource::Request,
            Venue::Okx
            | Venue::Kraken
            | Venue::KrakenV1
            | Venue::Bybit
            | Venue::Coinbase
            | Venue::CoinbaseExchange
            | Venue::Bitfinex
            | Venue::Deribit
            | Venue::Bitget => SnapshotSource::Stream,
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
            // Bitfinex `len`: 1, 25, 100 or 250.
            Venue::Bitfinex => Some(25),
            // Bybit `orderbook.{depth}`: 1, 50, 200 or 1000.
            Venue::Bybit => Some(50),
            _ => None,
        }
    }

    /// Whether prices and sizes arrive as JSON numbers rather than strings.
    pub const fn numbers_as_json_numbers(self) -> bool {
        // Gate.io futures sizes are integers (`"s":0`); its spot levels are strings.
        matches!(
            self,
            Venue::Kraken | Venue::Bitfinex | Venue::Deribit | Venue::GateIo | Venue::Htx
        )
    }

    /// Whether frames may arrive gzip-compressed (HTX compresses every frame).
    pub const fn compressed_frames(self) -> bool {
        matches!(self, Venue::Htx)
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
