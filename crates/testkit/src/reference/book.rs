//! The reference book: a `BTreeMap` per side keyed by exact decimal price, keeping the venue's
//! own spelling of every number (the checksums are over that text).

use std::collections::BTreeMap;

use depthbook_core::{Price, Qty};

use super::messages::{Msg, key};

/// Best bid and best ask, as a view carries them.
pub type Top = (Option<(Price, Qty)>, Option<(Price, Qty)>);

/// A book keyed by exact decimal price, keeping the venue's original strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefBook {
    bids: BTreeMap<u128, (String, String)>,
    asks: BTreeMap<u128, (String, String)>,
}

impl RefBook {
    fn side(&mut self, bid: bool) -> &mut BTreeMap<u128, (String, String)> {
        if bid { &mut self.bids } else { &mut self.asks }
    }

    /// Applies `msg`'s levels in order (size 0 removes), then truncates to its depth if it has
    /// one. The message must be [`Msg::valid`]; invalid levels are skipped.
    pub fn apply(&mut self, msg: &Msg) {
        for (bid, levels) in [(true, &msg.bids), (false, &msg.asks)] {
            for (p, q) in levels {
                let (Some(price), Some(size)) = (key(p), key(q)) else { continue };
                let side = self.side(bid);
                if size == 0 {
                    side.remove(&price);
                } else {
                    side.insert(price, (p.clone(), q.clone()));
                }
            }
        }
        if let Some(depth) = msg.depth {
            while self.bids.len() > depth {
                self.bids.pop_first();
            }
            while self.asks.len() > depth {
                self.asks.pop_last();
            }
        }
    }

    /// Bids, best first.
    pub fn best_bids(&self) -> impl Iterator<Item = (&u128, &(String, String))> {
        self.bids.iter().rev()
    }

    /// Asks, best first.
    pub fn best_asks(&self) -> impl Iterator<Item = (&u128, &(String, String))> {
        self.asks.iter()
    }

    /// The prices of the best `n` levels a side.
    pub fn top_keys(&self, n: usize) -> (Vec<u128>, Vec<u128>) {
        (
            self.best_bids().take(n).map(|l| *l.0).collect(),
            self.best_asks().take(n).map(|l| *l.0).collect(),
        )
    }

    /// Best bid and ask in depthbook's number types.
    pub fn top(&self) -> Top {
        let conv = |l: Option<(&u128, &(String, String))>| {
            l.and_then(|(_, (p, q))| Some((Price::parse(p).ok()?.0, Qty::parse(q).ok()?.0)))
        };
        (conv(self.best_bids().next()), conv(self.best_asks().next()))
    }

    /// The best `n` levels a side as (price, size) text, best first.
    pub fn levels(&self, n: usize) -> crate::BookLevels {
        let side = |it: &mut dyn Iterator<Item = (&u128, &(String, String))>| {
            it.take(n).map(|(_, (p, q))| (p.clone(), q.clone())).collect()
        };
        (side(&mut self.best_bids()), side(&mut self.best_asks()))
    }

    /// OKX and Bitget: top 25 bids and asks interleaved, `bidpx:bidsz:askpx:asksz:...`,
    /// signed CRC32.
    pub fn okx_checksum(&self) -> i64 {
        let bids: Vec<_> = self.best_bids().take(25).map(|l| l.1).collect();
        let asks: Vec<_> = self.best_asks().take(25).map(|l| l.1).collect();
        let mut parts = Vec::new();
        for i in 0..25 {
            for side in [&bids, &asks] {
                if let Some((p, q)) = side.get(i) {
                    parts.push(p.as_str());
                    parts.push(q.as_str());
                }
            }
        }
        i64::from(crc32fast::hash(parts.join(":").as_bytes()) as i32)
    }

    /// Kraken v1: top 10 asks ascending then top 10 bids descending, each price then size with
    /// the '.' removed and leading zeros stripped, unsigned CRC32.
    pub fn kraken_checksum(&self) -> i64 {
        self.kraken_checksum_with(|p, q| (p.to_owned(), q.to_owned()))
    }

    /// Kraken v2: as v1, each number spelled at the instrument's `precision` (price and size
    /// decimals) where the feed announced it, else as sent.
    pub fn kraken_v2_checksum(&self, precision: Option<(u8, u8)>) -> i64 {
        self.kraken_checksum_with(|p, q| {
            (
                super::kraken::spelled(p, precision.map(|(p, _)| p)),
                super::kraken::spelled(q, precision.map(|(_, q)| q)),
            )
        })
    }

    fn kraken_checksum_with(&self, spell: impl Fn(&str, &str) -> (String, String)) -> i64 {
        let strip = |s: &str| s.replace('.', "").trim_start_matches('0').to_owned();
        let text: String = self
            .best_asks()
            .take(10)
            .chain(self.best_bids().take(10))
            .map(|(_, (p, q))| {
                let (p, q) = spell(p, q);
                strip(&p) + &strip(&q)
            })
            .collect();
        i64::from(crc32fast::hash(text.as_bytes()))
    }
}
