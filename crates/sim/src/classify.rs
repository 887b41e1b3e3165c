//! What each capture record is, by the replay's own decoder, and what the capture says about
//! each symbol beyond its book (venue times, Kraken depths and channel ids, precisions).
//!
//! The truth engine decodes every frame too, but it does not say which instrument a frame was
//! for or whether it was a snapshot; a second decoder over the same bytes does, without any
//! change to the engine.

use std::collections::HashMap;

use depthbook_venues::{
    BookKind, Decoded, Frame, FrameKind, Limits, SymbolTable, Venue, VenueDecoder,
};

use crate::source::{OwnedRecord, RecordData};
use crate::subscribe::{Dialect, made_up_channel_id};

/// Most symbols the replay keeps facts about (the truth engine is capped likewise).
pub(crate) const MAX_SYMBOLS: usize = 4_096;

/// What the capture has said about a symbol, beyond its book.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SymbolFacts {
    /// The venue time of its last book message, in ms.
    pub(crate) exchange_ms: Option<i64>,
    /// The depth its frames name (Kraken v1 `book-1000`) or its subscription announced.
    pub(crate) depth: Option<u32>,
    /// Kraken v1's channel id for it.
    pub(crate) channel_id: Option<i64>,
}

/// A capture record with what the replay's decoder found in it.
#[derive(Debug)]
pub(crate) struct Classified {
    /// The record.
    pub(crate) record: OwnedRecord,
    /// Symbols of its delta events, if it is a delta book frame (forwarded).
    pub(crate) deltas: Vec<String>,
    /// Symbols of its snapshot events (never forwarded; they re-snapshot subscribers).
    pub(crate) snapshots: Vec<String>,
}

/// The replay's own decoder and what it learned.
#[derive(Debug)]
pub(crate) struct Classifier {
    dialect: Dialect,
    decoder: VenueDecoder,
    symbols: SymbolTable,
    decoded: Decoded,
    facts: HashMap<String, SymbolFacts>,
    default_precision: Option<(u8, u8)>,
}

impl Classifier {
    pub(crate) fn new(
        venue: Venue,
        dialect: Dialect,
        limits: Limits,
        default_precision: Option<(u8, u8)>,
    ) -> Self {
        Self {
            dialect,
            decoder: VenueDecoder::with_limits(venue, limits),
            symbols: SymbolTable::new(MAX_SYMBOLS),
            decoded: Decoded::default(),
            facts: HashMap::new(),
            default_precision,
        }
    }

    /// What the capture has said about `symbol` so far.
    pub(crate) fn facts(&self, symbol: &str) -> SymbolFacts {
        self.facts.get(symbol).copied().unwrap_or_default()
    }

    /// Decodes a stream frame with the replay's own decoder: which symbols it carries deltas or
    /// snapshots for, and what it says about them.
    pub(crate) fn classify(&mut self, record: OwnedRecord) -> Classified {
        let mut deltas = Vec::new();
        let mut snapshots = Vec::new();
        let RecordData::Frame(bytes) = &record.data else {
            return Classified { record, deltas, snapshots };
        };
        let decoded =
            self.decoder.decode(&Frame::stream(bytes), &mut self.symbols, &mut self.decoded);
        match (decoded, self.decoded.kind) {
            (Ok(()), FrameKind::Book) => {
                // Kraken v1 and Bitfinex name books by a channel id at the frame's start.
                let by_channel = matches!(self.dialect, Dialect::KrakenV1 | Dialect::Bitfinex);
                let channel_id = by_channel.then(|| leading_integer(bytes)).flatten();
                // Bybit names the depth in its topic: the capture's book channel.
                let topic_depth =
                    (self.dialect == Dialect::Bybit).then(|| bybit_topic_depth(bytes)).flatten();
                for event in &self.decoded.events {
                    let name = self.symbols.name(event.instrument);
                    let list = match event.kind {
                        BookKind::Delta => &mut deltas,
                        BookKind::Snapshot => &mut snapshots,
                    };
                    if !list.iter().any(|s: &String| s == name) {
                        list.push(name.to_owned());
                    }
                    if let Some(facts) = facts_entry(&mut self.facts, name) {
                        facts.exchange_ms = event.exchange_ms.or(facts.exchange_ms);
                        facts.depth = event.depth.or(topic_depth).or(facts.depth);
                        facts.channel_id = channel_id.or(facts.channel_id);
                    }
                }
            }
            (Ok(()), FrameKind::NotBook(_)) if self.dialect == Dialect::KrakenV1 => {
                self.learn_kraken_v1_status(bytes);
            }
            _ => {}
        }
        if !snapshots.is_empty() {
            // A frame mixing snapshots and deltas is not a delta frame.
            deltas.clear();
        }
        Classified { record, deltas, snapshots }
    }

    /// Kraken v1 `subscriptionStatus` messages name each pair's channel id and depth.
    fn learn_kraken_v1_status(&mut self, bytes: &[u8]) {
        if !bytes.windows(18).any(|w| w == b"subscriptionStatus") {
            return;
        }
        let Ok(status) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
        let (Some(pair), Some(channel_id)) = (
            status.get("pair").and_then(|p| p.as_str()),
            status.get("channelID").and_then(serde_json::Value::as_i64),
        ) else {
            return;
        };
        let channel = status.get("channelName").and_then(|c| c.as_str()).unwrap_or("");
        let Some(depth) = channel.strip_prefix("book") else { return };
        if let Some(facts) = facts_entry(&mut self.facts, pair) {
            facts.channel_id = Some(channel_id);
            facts.depth = depth.strip_prefix('-').and_then(|d| d.parse().ok()).or(facts.depth);
        }
    }

    /// Kraken v2 price and size decimals: the capture's instrument message, else the config.
    pub(crate) fn precision(&self, symbol: &str) -> Option<(u8, u8)> {
        let meta = self.symbols.lookup(symbol).map(|id| self.symbols.meta(id));
        match meta.map(|m| (m.price_precision, m.qty_precision)) {
            Some((Some(price), Some(qty))) => Some((price, qty)),
            _ => self.default_precision,
        }
    }

    /// Kraken v1's channel id for `symbol`: the capture's, else a made-up stable one.
    pub(crate) fn channel_id(&self, symbol: &str) -> i64 {
        self.facts
            .get(symbol)
            .and_then(|f| f.channel_id)
            .unwrap_or_else(|| made_up_channel_id("book", symbol))
    }
}

/// The facts entry of `symbol`, created if there is room.
fn facts_entry<'a>(
    facts: &'a mut HashMap<String, SymbolFacts>,
    symbol: &str,
) -> Option<&'a mut SymbolFacts> {
    if !facts.contains_key(symbol) {
        if facts.len() >= MAX_SYMBOLS {
            return None;
        }
        facts.insert(symbol.to_owned(), SymbolFacts::default());
    }
    facts.get_mut(symbol)
}

/// The depth of a Bybit `{"topic":"orderbook.{depth}.{symbol}"` frame (not `orderbook.full`).
fn bybit_topic_depth(frame: &[u8]) -> Option<u32> {
    let rest = frame.trim_ascii_start().strip_prefix(br#"{"topic":"orderbook."#)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// The integer a Kraken v1 book frame starts with: `[992,{...` is channel 992.
fn leading_integer(frame: &[u8]) -> Option<i64> {
    let rest = frame.trim_ascii_start().strip_prefix(b"[")?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> OwnedRecord {
        OwnedRecord { recv_ns: 1, data: RecordData::Frame(text.as_bytes().to_vec()) }
    }

    #[test]
    fn kraken_v1_frames_and_status() {
        let mut c = Classifier::new(Venue::KrakenV1, Dialect::KrakenV1, Limits::default(), None);
        let status = r#"{"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD","status":"subscribed","subscription":{"depth":1000,"name":"book"}}"#;
        let none = c.classify(frame(status));
        assert!(none.deltas.is_empty() && none.snapshots.is_empty());
        assert_eq!(
            (c.facts("XMR/USD").channel_id, c.facts("XMR/USD").depth),
            (Some(992), Some(1000))
        );
        let snapshot =
            c.classify(frame(r#"[993,{"as":[["1.0","2.0","3.0"]],"bs":[]},"book-100","XMR/USD"]"#));
        assert_eq!((snapshot.snapshots, snapshot.deltas.len()), (vec!["XMR/USD".to_owned()], 0));
        assert_eq!((c.channel_id("XMR/USD"), c.facts("XMR/USD").depth), (993, Some(100)));
        let delta =
            c.classify(frame(r#"[993,{"a":[["1.0","0.0","3.0"]],"c":"1"},"book-100","XMR/USD"]"#));
        assert_eq!(delta.deltas, ["XMR/USD"]);
        assert_eq!(c.channel_id("XBT/USD"), made_up_channel_id("book", "XBT/USD"));
    }

    #[test]
    fn binance_deltas_rest_and_garbage() {
        let mut c = Classifier::new(Venue::BinanceSpot, Dialect::Binance, Limits::default(), None);
        let delta = c.classify(frame(r#"{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":7,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}}"#));
        assert_eq!(delta.deltas, ["BTCUSDT"]);
        assert_eq!(c.facts("BTCUSDT").exchange_ms, Some(7));
        assert!(c.classify(frame("not json")).deltas.is_empty());
        let rest =
            OwnedRecord { recv_ns: 2, data: RecordData::Rest { body: b"{}".to_vec(), url: None } };
        assert!(c.classify(rest).deltas.is_empty());
    }
}
