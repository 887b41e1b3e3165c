//! The venue capability table, generated from the code: `depthbook venues` prints it and a
//! test holds the README's copy to it, so the documentation cannot drift from the rules the
//! engine applies.

use crate::rules::{ChecksumRule, SeqRule};
use crate::venue::{SnapshotSource, Venue};

impl SeqRule {
    /// How a break of this rule is treated.
    pub const fn enforcement(self) -> &'static str {
        match self {
            SeqRule::BinanceSpot
            | SeqRule::BinanceUsdm
            | SeqRule::PrevEqualsLast
            | SeqRule::NextStrict
            | SeqRule::PrevEqualsLastBridged
            | SeqRule::NextStrictBridged => "gap: book Stale, resync",
            SeqRule::Connection => "gap: every book of the connection Stale, resync",
            SeqRule::PrevEqualsLastObserved => {
                "observed only: counted (`unconfirmed_breaks`), book kept Live"
            }
            SeqRule::Unsequenced => "none: loss is undetectable",
        }
    }
}

impl ChecksumRule {
    /// What the checksum covers and how it is compared.
    pub const fn description(self) -> &'static str {
        match self {
            ChecksumRule::None => "none",
            ChecksumRule::Interleaved25 => {
                "CRC32 signed, 25 levels interleaved, original strings; `0` = absent"
            }
            ChecksumRule::Bitfinex25 => {
                "CRC32 signed, 25 levels (raw books: orders, `id:amount`) interleaved, asks negative, server's number text"
            }
            ChecksumRule::KrakenAsSent => "CRC32 unsigned, top 10 asks then bids, strings as sent",
            ChecksumRule::KrakenPrecision => {
                "CRC32 unsigned, top 10 asks then bids, at the instrument's precision"
            }
        }
    }
}

impl Venue {
    /// The venue's own sequence fields and how they chain.
    pub const fn sequence_fields(self) -> &'static str {
        match self {
            Venue::BinanceSpot => "`U == prev.u + 1` (`u < id` ignored)",
            Venue::BinanceUsdm => "`pu == prev.u`",
            Venue::Okx => "`prevSeqId == prev.seqId`",
            Venue::Kraken | Venue::KrakenV1 | Venue::CoinbaseExchange => "none",
            Venue::Bybit => {
                "`u == prev.u + 1` (`u <= prev.u`, within 1000, a repeat, skipped); `u == 1` or a snapshot resets; `orderbook.full`: the same after its bridge"
            }
            Venue::Coinbase => "`sequence_num == prev + 1` per connection, all channels",
            Venue::Bitfinex => "SEQ_ALL number `== prev + 1` per connection, all channels",
            Venue::Deribit => "`prev_change_id == prev.change_id`",
            Venue::GateIo => "`U == prev.u + 1`",
            Venue::Bitget => "`pseq == prev.seq` where sent",
            Venue::Htx => "`prevSeqNum == prev.seqNum` (`mbp`); `depth` pushes are whole books",
        }
    }

    /// Where snapshots come from, in words.
    pub const fn snapshot_description(self) -> &'static str {
        match self {
            Venue::BinanceSpot => {
                "`/api/v3/depth`, bridged: drop `u <= lastUpdateId`, first kept has `U <= lastUpdateId+1 <= u`"
            }
            Venue::BinanceUsdm => {
                "`/fapi/v1/depth`, bridged: drop `u < lastUpdateId`, first kept has `U <= lastUpdateId <= u`"
            }
            Venue::GateIo => {
                "`order_book?with_id=true`, bridged by `id` as Binance spot by `lastUpdateId`"
            }
            Venue::Okx | Venue::Bitget => "first push (`action: snapshot`)",
            Venue::Kraken => "first push (`type: snapshot`)",
            Venue::Bybit => {
                "first push (`type: snapshot`); `orderbook.full`: REST `/v5/market/full_orderbook`, bridged: drop `u <=` its `u`"
            }
            Venue::KrakenV1 => "first push (`as`/`bs`)",
            Venue::Coinbase => "first push (`events[].type: snapshot`)",
            Venue::CoinbaseExchange => "first push (`type: snapshot`)",
            Venue::Bitfinex => {
                "first push on the channel (a list of levels, or of orders for `R0`)"
            }
            Venue::Deribit => "first notification (`type: snapshot`); grouped books: every one",
            Venue::Htx => {
                "`req` answer on the stream (`rep`), bridged: drop `seqNum <=` its `seqNum`"
            }
        }
    }

    /// How prices and sizes are written on the wire.
    pub const fn number_encoding(self) -> &'static str {
        if self.numbers_as_json_numbers() {
            "JSON numbers (their text, never `f64`)"
        } else {
            "strings"
        }
    }
}

/// The capability table as Markdown: a header and one row per venue, in [`Venue::ALL`] order.
pub fn capability_table() -> String {
    let mut out = String::from(
        "| venue | snapshot | sequence | on a break | checksum | integrity | depth | numbers |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for venue in Venue::ALL {
        let source = match venue.snapshot_source() {
            SnapshotSource::Rest => "REST",
            SnapshotSource::Stream => "stream",
            SnapshotSource::Request => "request",
        };
        let depth =
            if venue.truncates_to_depth() { "truncated to the subscription" } else { "as sent" };
        let numbers = if venue.compressed_frames() {
            format!("{}; gzip frames", venue.number_encoding())
        } else {
            venue.number_encoding().to_owned()
        };
        out.push_str(&format!(
            "| `{}` | {source}: {} | {} | {} | {} | {} | {depth} | {numbers} |\n",
            venue.name(),
            venue.snapshot_description(),
            venue.sequence_fields(),
            venue.seq_rule().enforcement(),
            venue.checksum_rule().description(),
            venue.integrity_description(),
        ));
    }
    out
}
