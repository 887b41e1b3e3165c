//! The venues' WebSocket dialects: what a client sends, what the server answers.
//!
//! One shape for every venue: [`Dialect::parse`] turns a client's text message into a
//! [`Request`], and the `ack_*`, `error`, `greeting` and `heartbeat` methods spell the server's
//! side in the venue's own format (protocols.md sections 1-5). Parsing never panics; anything
//! malformed is answered with the venue's error shape. Reading each dialect's requests is
//! [`requests`]; spelling the server's side is here.

mod requests;

use serde_json::{Value, json};

use depthbook_venues::Venue;

use crate::derived::DerivedKind;

use crate::timefmt::{iso8601_micros, now_ns};
use requests::{
    binance_item, parse_binance, parse_bitfinex, parse_bybit, parse_coinbase_advanced,
    parse_coinbase_exchange, parse_deribit, parse_gateio, parse_htx, parse_kraken_v1,
    parse_kraken_v2, parse_okx,
};

/// How clients talk to one venue's WebSocket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Binance spot and USD-M: `SUBSCRIBE` with stream names, or streams in the URL.
    Binance,
    /// OKX v5: `op: subscribe` with `args`, text `ping`.
    Okx,
    /// Kraken WebSocket v2: `method: subscribe` with `params`.
    KrakenV2,
    /// Kraken WebSocket v1: `event: subscribe` with `pair` and `subscription`.
    KrakenV1,
    /// Deribit JSON-RPC: `public/subscribe` with `channels`, `public/test` as a ping.
    Deribit,
    /// Coinbase Exchange ws-feed: `type: subscribe` with `product_ids` and `channels`.
    CoinbaseExchange,
    /// Gate.io v4: `event: subscribe` on a `channel` with a `payload`; snapshots over REST.
    GateIo,
    /// HTX: `sub`/`unsub` a topic, JSON pings answered with pongs, every frame gzip.
    Htx,
    /// Bitfinex v2: `conf` flags, `event: subscribe` per channel, numbered channel frames.
    Bitfinex,
    /// Bybit v5: `op: subscribe` with topic `args`, JSON `op: ping`.
    Bybit,
    /// Coinbase Advanced Trade: `type: subscribe` to one `channel`; every message numbered.
    CoinbaseAdvanced,
}

/// A book subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topic {
    /// The symbol as the venue spells it in its book frames (`BTCUSDT`, `BTC-USDT`, `XMR/USD`).
    pub(crate) symbol: String,
    /// The depth the client asked for (Kraken), if any.
    pub(crate) depth: Option<u32>,
    /// Whether the client gets a stream snapshot before the deltas (never on Binance, whose
    /// snapshots come over REST; Kraken v2's `snapshot: false` opts out).
    pub(crate) snapshot: bool,
    /// A stream the server derives from the truth book rather than the capture's frames (HTX
    /// `mbp`, Bybit `orderbook.full`): its own numbered diffs, its snapshot asked separately.
    pub(crate) derived: Option<DerivedKind>,
}

/// One item of a subscribe or unsubscribe request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item {
    /// The book subscription; `None` for a channel the loopback has no data for (it is acked
    /// and stays silent).
    pub(crate) topic: Option<Topic>,
    /// The client's spelling of the item, echoed in the ack (Binance stream name, OKX `arg`,
    /// Kraken v2 `result`, Kraken v1 pair and subscription).
    pub(crate) echo: Value,
}

/// Subscribe or unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Start receiving.
    Subscribe,
    /// Stop receiving.
    Unsubscribe,
}

impl Op {
    fn word(self) -> &'static str {
        match self {
            Op::Subscribe => "subscribe",
            Op::Unsubscribe => "unsubscribe",
        }
    }
}

/// Who asked, for the answers: the request id to echo and when the request arrived.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RequestMeta {
    /// The client's request id (`id`, `req_id`, `reqid`), if it sent one.
    pub(crate) id: Option<Value>,
    /// When the request arrived (Kraken v2 `time_in`).
    pub(crate) received_ns: i64,
}

/// What a client's message asks for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    /// Subscribe or unsubscribe `items`.
    Change {
        /// Which.
        op: Op,
        /// The request's id and arrival time.
        meta: RequestMeta,
        /// The items, in the client's order.
        items: Vec<Item>,
    },
    /// Answer with this text and do nothing else (pong, error).
    Reply(String),
    /// Nothing to do (HTX's pong to our ping).
    Nothing,
    /// A snapshot of a derived stream asked on the stream itself (HTX `req`): the replay
    /// queues the answer behind the deltas already sent.
    Fetch {
        /// The request's id.
        meta: RequestMeta,
        /// The stream.
        topic: Topic,
    },
    /// Bitfinex `unsubscribe`: it names the connection's channel id of the subscription.
    UnsubscribeChannel {
        /// The request's arrival time.
        meta: RequestMeta,
        /// The channel id.
        channel: i64,
    },
    /// Bitfinex `conf`: answer `reply`, and from now on number every array frame sent on the
    /// connection (SEQ_ALL) if `numbered`, and follow book updates with checksums if
    /// `checksums` (OB_CHECKSUM).
    Configure {
        /// The answer.
        reply: String,
        /// Whether SEQ_ALL was asked for.
        numbered: bool,
        /// Whether OB_CHECKSUM was asked for.
        checksums: bool,
    },
}

/// What the replay knows about a subscribed symbol when the ack is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SubscribeInfo {
    /// Kraken v1's channel id: the capture's for that pair when it has been seen, else one the
    /// server made up (stable for the run).
    pub(crate) channel_id: i64,
    /// The depth the capture's frames name (Kraken v1 `book-1000`), if seen.
    pub(crate) capture_depth: Option<u32>,
}

/// Kraken's default book depth.
const KRAKEN_DEFAULT_DEPTH: u32 = 10;

impl Dialect {
    /// The dialect of `venue`.
    pub(crate) fn of(venue: Venue) -> Self {
        match venue {
            Venue::BinanceSpot | Venue::BinanceUsdm => Dialect::Binance,
            Venue::Okx => Dialect::Okx,
            Venue::Kraken => Dialect::KrakenV2,
            Venue::KrakenV1 => Dialect::KrakenV1,
            // Bitget's client protocol is OKX's shape (`op`, `args` of `channel`/`instId`, text
            // ping); its book messages are too, checksum included.
            Venue::Bitget => Dialect::Okx,
            Venue::Deribit => Dialect::Deribit,
            Venue::CoinbaseExchange => Dialect::CoinbaseExchange,
            Venue::GateIo => Dialect::GateIo,
            Venue::Htx => Dialect::Htx,
            Venue::Bitfinex => Dialect::Bitfinex,
            Venue::Bybit => Dialect::Bybit,
            Venue::Coinbase => Dialect::CoinbaseAdvanced,
        }
    }

    /// Subscriptions named by the connection URL (Binance `/ws/<stream>`,
    /// `/stream?streams=a/b`); none for the other venues.
    pub(crate) fn url_items(self, path: &str, query: Option<&str>) -> Vec<Item> {
        if self != Dialect::Binance {
            return Vec::new();
        }
        let in_path = path.strip_prefix("/ws/").into_iter().flat_map(|s| s.split('/'));
        let in_query = query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|kv| kv.strip_prefix("streams="))
            .flat_map(|s| s.split('/'));
        in_path.chain(in_query).filter(|s| !s.is_empty()).map(binance_item).collect()
    }

    /// Parses one client text message.
    pub(crate) fn parse(self, text: &str) -> Request {
        let received_ns = now_ns();
        if self == Dialect::Okx && text.trim() == "ping" {
            return Request::Reply("pong".to_owned());
        }
        let value = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(obj)) => obj,
            Ok(_) => return Request::Reply(self.error("request must be a JSON object", None)),
            Err(_) => return Request::Reply(self.error("invalid JSON", None)),
        };
        match self {
            Dialect::Binance => parse_binance(&value, received_ns),
            Dialect::Okx => parse_okx(&value, received_ns),
            Dialect::KrakenV2 => parse_kraken_v2(&value, received_ns),
            Dialect::KrakenV1 => parse_kraken_v1(&value, received_ns),
            Dialect::Deribit => parse_deribit(&value, received_ns),
            Dialect::CoinbaseExchange => parse_coinbase_exchange(&value, received_ns),
            Dialect::GateIo => parse_gateio(&value, received_ns),
            Dialect::Htx => parse_htx(&value, received_ns),
            Dialect::Bitfinex => parse_bitfinex(&value, received_ns),
            Dialect::Bybit => parse_bybit(&value, received_ns),
            Dialect::CoinbaseAdvanced => parse_coinbase_advanced(&value, received_ns),
        }
        .unwrap_or_else(|why| {
            let id = match self {
                Dialect::Binance | Dialect::Okx | Dialect::Deribit | Dialect::Htx => {
                    value.get("id")
                }
                Dialect::KrakenV2 => value.get("req_id"),
                Dialect::KrakenV1 => value.get("reqid"),
                Dialect::CoinbaseExchange | Dialect::Bitfinex | Dialect::CoinbaseAdvanced => None,
                Dialect::GateIo => value.get("time"),
                Dialect::Bybit => value.get("req_id"),
            };
            Request::Reply(self.error(why, id))
        })
    }

    /// The ack of one item, for venues that ack each (OKX, Kraken); `info` is `None` for an
    /// item without a book topic.
    pub(crate) fn ack_item(
        self,
        op: Op,
        meta: &RequestMeta,
        item: &Item,
        info: Option<SubscribeInfo>,
        conn_tag: &str,
    ) -> Option<String> {
        let mut out = Fields::new();
        match self {
            // Acked once per request (`ack_request`).
            Dialect::Binance
            | Dialect::Deribit
            | Dialect::CoinbaseExchange
            | Dialect::GateIo
            | Dialect::Htx
            | Dialect::Bybit
            | Dialect::CoinbaseAdvanced => return None,
            Dialect::Okx => {
                out.opt("id", &meta.id);
                out.put("event", op.word());
                out.put("arg", item.echo.clone());
                out.put("connId", conn_tag);
            }
            Dialect::KrakenV2 => {
                out.put("method", op.word());
                out.put("result", item.echo.clone());
                out.put("success", true);
                kraken_v2_trailer(&mut out, meta);
            }
            Dialect::Bitfinex => {
                let field = |k: &str| item.echo.get(k).cloned().unwrap_or(Value::Null);
                let symbol = field("symbol");
                let channel_id = info.map_or_else(
                    || made_up_channel_id("bitfinex", symbol.as_str().unwrap_or("")),
                    |i| i.channel_id,
                );
                out.put("event", "subscribed");
                out.put("channel", field("channel"));
                out.put("chanId", channel_id);
                out.put("symbol", symbol.clone());
                if item.topic.is_some() {
                    out.put("prec", field("prec"));
                    out.put("freq", field("freq"));
                    out.put("len", field("len"));
                }
                let pair = symbol.as_str().map(|s| s.strip_prefix('t').unwrap_or(s).to_owned());
                out.put("pair", pair.map_or(Value::Null, Value::from));
            }
            Dialect::KrakenV1 => {
                let name = item.echo.get("name").and_then(Value::as_str).unwrap_or("book");
                let depth = info
                    .and_then(|i| i.capture_depth)
                    .or_else(|| item.topic.as_ref().and_then(|t| t.depth))
                    .unwrap_or(KRAKEN_DEFAULT_DEPTH);
                let pair = item.echo.get("pair").cloned().unwrap_or(Value::Null);
                let (channel_name, subscription) = if name == "book" {
                    (format!("book-{depth}"), json!({"depth": depth, "name": "book"}))
                } else {
                    (name.to_owned(), json!({"name": name}))
                };
                let channel_id = info.map_or_else(
                    || made_up_channel_id(name, pair.as_str().unwrap_or("")),
                    |i| i.channel_id,
                );
                out.put("channelID", channel_id);
                out.put("channelName", channel_name);
                out.put("event", "subscriptionStatus");
                out.put("pair", pair);
                out.opt("reqid", &meta.id);
                out.put(
                    "status",
                    match op {
                        Op::Subscribe => "subscribed",
                        Op::Unsubscribe => "unsubscribed",
                    },
                );
                out.put("subscription", subscription);
            }
        }
        Some(out.finish())
    }

    /// The ack of a whole request, for venues that ack once (Binance, Deribit, Coinbase).
    pub(crate) fn ack_request(self, op: Op, meta: &RequestMeta, items: &[Item]) -> Option<String> {
        let mut out = Fields::new();
        match self {
            Dialect::Binance => {
                out.put("result", Value::Null);
                out.put("id", meta.id.clone().unwrap_or(Value::Null));
            }
            Dialect::Deribit => {
                out.put("jsonrpc", "2.0");
                out.put("id", meta.id.clone().unwrap_or(Value::Null));
                out.put("result", items.iter().map(|i| i.echo.clone()).collect::<Vec<_>>());
            }
            // The channels and products now subscribed; this loopback echoes the request's.
            Dialect::CoinbaseExchange => {
                let channels: Vec<Value> = match op {
                    Op::Subscribe => items.iter().map(|i| i.echo.clone()).collect(),
                    Op::Unsubscribe => Vec::new(),
                };
                out.put("type", "subscriptions");
                out.put("channels", channels);
            }
            Dialect::GateIo => {
                let time = meta.id.clone().unwrap_or(Value::Null);
                let echo = items.first().map_or(&Value::Null, |i| &i.echo);
                out.put("time", time);
                out.put("channel", echo["channel"].clone());
                out.put("event", op.word());
                out.put("payload", echo["payload"].clone());
                out.put("result", json!({"status": "success"}));
            }
            // `sequence_num` is set per connection when the message is sent.
            Dialect::CoinbaseAdvanced => {
                let channel = items
                    .first()
                    .and_then(|i| i.echo.get("channel").cloned())
                    .unwrap_or(Value::Null);
                let products: Vec<Value> =
                    items.iter().filter_map(|i| i.echo.get("product_id").cloned()).collect();
                let subscribed = match (op, channel.as_str()) {
                    (Op::Subscribe, Some(name)) => json!({ name: products }),
                    _ => json!({}),
                };
                out.put("channel", "subscriptions");
                out.put("client_id", "");
                out.put("timestamp", iso8601_micros(now_ns()));
                out.put("sequence_num", 0);
                out.put("events", json!([{ "subscriptions": subscribed }]));
            }
            Dialect::Bybit => {
                out.put("success", true);
                out.put("ret_msg", "");
                out.put("conn_id", Value::Null);
                out.opt("req_id", &meta.id);
                out.put("op", op.word());
            }
            Dialect::Htx => {
                let topic = items.first().map_or(Value::Null, |i| i.echo.clone());
                out.put("id", meta.id.clone().unwrap_or(Value::Null));
                out.put("status", "ok");
                out.put(
                    match op {
                        Op::Subscribe => "subbed",
                        Op::Unsubscribe => "unsubbed",
                    },
                    topic,
                );
                out.put("ts", now_ns() / 1_000_000);
            }
            Dialect::Okx | Dialect::KrakenV2 | Dialect::KrakenV1 | Dialect::Bitfinex => {
                return None;
            }
        }
        Some(out.finish())
    }

    /// The venue's answer to an item that cannot be served (`why`).
    pub(crate) fn refuse_item(self, op: Op, meta: &RequestMeta, item: &Item, why: &str) -> String {
        let mut out = Fields::new();
        match self {
            Dialect::Binance
            | Dialect::Okx
            | Dialect::Deribit
            | Dialect::CoinbaseExchange
            | Dialect::GateIo
            | Dialect::Htx
            | Dialect::Bitfinex
            | Dialect::Bybit
            | Dialect::CoinbaseAdvanced => {
                return self.error(why, meta.id.as_ref());
            }
            Dialect::KrakenV2 => {
                out.put("error", why);
                out.put("method", op.word());
                out.put("success", false);
                out.put("symbol", item.echo.get("symbol").cloned().unwrap_or(Value::Null));
                kraken_v2_trailer(&mut out, meta);
            }
            Dialect::KrakenV1 => {
                out.put("errorMessage", why);
                out.put("event", "subscriptionStatus");
                out.put("pair", item.echo.get("pair").cloned().unwrap_or(Value::Null));
                out.opt("reqid", &meta.id);
                out.put("status", "error");
            }
        }
        out.finish()
    }

    /// The venue's error message for a request it cannot parse.
    pub(crate) fn error(self, why: &str, id: Option<&Value>) -> String {
        let id = id.cloned();
        let mut out = Fields::new();
        match self {
            Dialect::Binance => {
                out.put("error", json!({"code": 2, "msg": format!("Invalid request: {why}")}));
                out.put("id", id.unwrap_or(Value::Null));
            }
            Dialect::Okx => {
                out.opt("id", &id);
                out.put("event", "error");
                out.put("code", "60012");
                out.put("msg", format!("Invalid request: {why}"));
            }
            Dialect::KrakenV2 => {
                out.put("error", why);
                out.put("success", false);
                kraken_v2_trailer(&mut out, &RequestMeta { id, received_ns: now_ns() });
            }
            Dialect::KrakenV1 => {
                out.put("errorMessage", why);
                out.put("event", "error");
                out.opt("reqid", &id);
                out.put("status", "error");
            }
            Dialect::Deribit => {
                out.put("jsonrpc", "2.0");
                out.put("id", id.unwrap_or(Value::Null));
                out.put("error", json!({"code": -32600, "message": why}));
            }
            Dialect::CoinbaseExchange => {
                out.put("type", "error");
                out.put("message", "Failed to subscribe");
                out.put("reason", why);
            }
            Dialect::GateIo => {
                out.put("time", id.unwrap_or(Value::Null));
                out.put("channel", "");
                out.put("event", "");
                out.put("error", json!({"code": 2, "message": why}));
                out.put("result", Value::Null);
            }
            Dialect::Bitfinex => {
                out.put("event", "error");
                out.put("msg", why);
                out.put("code", 10300);
            }
            Dialect::CoinbaseAdvanced => {
                out.put("type", "error");
                out.put("message", why);
            }
            Dialect::Bybit => {
                out.put("success", false);
                out.put("ret_msg", format!("error:{why}"));
                out.put("conn_id", Value::Null);
                out.opt("req_id", &id);
                out.put("op", "subscribe");
            }
            Dialect::Htx => {
                out.opt("id", &id);
                out.put("status", "error");
                out.put("err-code", "bad-request");
                out.put("err-msg", why);
                out.put("ts", now_ns() / 1_000_000);
            }
        }
        out.finish()
    }

    /// What the venue sends as soon as a connection opens (Kraken's status messages).
    pub(crate) fn greeting(self, conn_tag: &str) -> Option<String> {
        match self {
            Dialect::Binance
            | Dialect::Okx
            | Dialect::Deribit
            | Dialect::CoinbaseExchange
            | Dialect::GateIo
            | Dialect::Htx
            | Dialect::Bybit
            | Dialect::CoinbaseAdvanced => None,
            Dialect::Bitfinex => {
                let mut out = Fields::new();
                out.put("event", "info");
                out.put("version", 2);
                out.put("serverId", conn_tag);
                out.put("platform", json!({"status": 1}));
                Some(out.finish())
            }
            Dialect::KrakenV2 => {
                let mut out = Fields::new();
                out.put("channel", "status");
                out.put("type", "update");
                out.put(
                    "data",
                    json!([{"api_version": "v2", "connection_id": conn_tag, "system": "online",
                        "version": "2.0.0"}]),
                );
                Some(out.finish())
            }
            Dialect::KrakenV1 => {
                let mut out = Fields::new();
                out.put("connectionID", conn_tag);
                out.put("event", "systemStatus");
                out.put("status", "online");
                out.put("version", "1.9.0");
                Some(out.finish())
            }
        }
    }

    /// The heartbeat an idle connection gets (Kraken v2 only while subscribed).
    pub(crate) fn heartbeat(self, subscribed: bool) -> Option<&'static str> {
        match self {
            Dialect::KrakenV2 if subscribed => Some(r#"{"channel":"heartbeat"}"#),
            Dialect::KrakenV1 => Some(r#"{"event":"heartbeat"}"#),
            // HTX pings its clients, who must answer with the same number.
            Dialect::Htx => Some(r#"{"ping":1492420473027}"#),
            _ => None,
        }
    }

    /// Whether the heartbeat goes out even while data flows (HTX's ping does).
    pub(crate) fn heartbeats_when_busy(self) -> bool {
        self == Dialect::Htx
    }

    /// Whether every message of a connection is numbered from its first (Coinbase Advanced
    /// Trade's `sequence_num`).
    pub(crate) fn numbered_from_start(self) -> bool {
        self == Dialect::CoinbaseAdvanced
    }

    /// Whether the capture's books are whole pushes (HTX `depth.step0`), so its snapshots are
    /// what subscribers receive, as other venues' deltas are.
    pub(crate) fn pushes_whole_books(self) -> bool {
        self == Dialect::Htx
    }

    /// Whether every frame goes out gzip-compressed, as binary (HTX).
    pub(crate) fn compresses(self) -> bool {
        self == Dialect::Htx
    }

    /// Whether the server sends WebSocket Pings (Binance).
    pub(crate) fn sends_pings(self) -> bool {
        self == Dialect::Binance
    }
}

/// A JSON object written with its keys in insertion order, as the venues order them
/// (serde_json's own map sorts keys).
#[derive(Debug, Default)]
struct Fields(Vec<(&'static str, Value)>);

impl Fields {
    fn new() -> Self {
        Self::default()
    }

    fn put(&mut self, key: &'static str, value: impl Into<Value>) {
        self.0.push((key, value.into()));
    }

    fn opt(&mut self, key: &'static str, value: &Option<Value>) {
        if let Some(value) = value {
            self.put(key, value.clone());
        }
    }

    fn finish(self) -> String {
        let mut out = String::from("{");
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            out.push_str(&value.to_string());
        }
        out.push('}');
        out
    }
}

/// `req_id`, `time_in`, `time_out` of a Kraken v2 answer.
fn kraken_v2_trailer(out: &mut Fields, meta: &RequestMeta) {
    out.opt("req_id", &meta.id);
    out.put("time_in", iso8601_micros(meta.received_ns));
    out.put("time_out", iso8601_micros(now_ns()));
}

/// A Kraken v1 channel id for a subscription the capture does not show: FNV-1a of its channel
/// name and pair, kept positive and below 2^31 like Kraken's, so every answer about the same
/// subscription names the same id without storing it.
pub(crate) fn made_up_channel_id(name: &str, pair: &str) -> i64 {
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.bytes().chain([b'/']).chain(pair.bytes()) {
        hash = (hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    i64::from(hash >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(dialect: Dialect, text: &str) -> (Op, RequestMeta, Vec<Item>) {
        match dialect.parse(text) {
            Request::Change { op, meta, items } => (op, meta, items),
            other => panic!("not a change: {other:?}"),
        }
    }

    #[test]
    fn htx_subscribes_answers_pings_and_ignores_pongs() {
        let (op, meta, items) =
            change(Dialect::Htx, r#"{"sub":"market.btcusdt.depth.step0","id":"id1"}"#);
        assert_eq!(op, Op::Subscribe);
        assert_eq!(items[0].topic.as_ref().map(|t| t.symbol.as_str()), Some("btcusdt"));
        let ack: Value =
            serde_json::from_str(&Dialect::Htx.ack_request(op, &meta, &items).unwrap()).unwrap();
        assert_eq!(
            (ack["status"].as_str(), ack["subbed"].as_str()),
            (Some("ok"), Some("market.btcusdt.depth.step0"))
        );
        assert_eq!(reply(Dialect::Htx, r#"{"ping":42}"#)["pong"], 42);
        assert_eq!(Dialect::Htx.parse(r#"{"pong":42}"#), Request::Nothing);
        let (_, _, items) = change(Dialect::Htx, r#"{"sub":"market.btcusdt.mbp.150"}"#);
        assert_eq!(
            items[0].topic.as_ref().and_then(|t| t.derived),
            Some(DerivedKind::HtxMbp { levels: 150 })
        );
        assert!(matches!(
            Dialect::Htx.parse(r#"{"req":"market.btcusdt.mbp.150","id":"r"}"#),
            Request::Fetch {
                topic: Topic { derived: Some(DerivedKind::HtxMbp { levels: 150 }), .. },
                ..
            }
        ));
        assert_eq!(reply(Dialect::Htx, r#"{"sub":"market.btcusdt.mbp.7"}"#)["status"], "error");
        assert_eq!(
            reply(Dialect::Htx, r#"{"req":"market.btcusdt.depth.step0"}"#)["status"],
            "error"
        );
    }

    #[test]
    fn deribit_gateio_and_coinbase_exchange_requests() {
        let (op, meta, items) = change(
            Dialect::Deribit,
            r#"{"jsonrpc":"2.0","id":3,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.100ms","trades.BTC-PERPETUAL.raw"]}}"#,
        );
        assert_eq!(items[0].topic.as_ref().map(|t| t.symbol.as_str()), Some("BTC-PERPETUAL"));
        assert!(items[1].topic.is_none());
        let ack: Value =
            serde_json::from_str(&Dialect::Deribit.ack_request(op, &meta, &items).unwrap())
                .unwrap();
        assert_eq!(ack["result"][0], "book.BTC-PERPETUAL.100ms");
        assert_eq!(
            reply(
                Dialect::Deribit,
                r#"{"jsonrpc":"2.0","id":4,"method":"public/test","params":{}}"#
            )["id"],
            4
        );
        let (_, _, items) = change(
            Dialect::GateIo,
            r#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}"#,
        );
        assert_eq!(
            items[0].topic.as_ref().map(|t| (t.symbol.as_str(), t.snapshot)),
            Some(("BTC_USDT", false))
        );
        assert_eq!(
            reply(Dialect::GateIo, r#"{"time":5,"channel":"spot.ping"}"#)["channel"],
            "spot.pong"
        );
        let (_, _, items) = change(
            Dialect::CoinbaseExchange,
            r#"{"type":"subscribe","product_ids":["ETH-USD","BTC-USD"],"channels":["level2_batch","heartbeat"]}"#,
        );
        let books: Vec<_> =
            items.iter().filter_map(|i| i.topic.as_ref()).map(|t| t.symbol.as_str()).collect();
        assert_eq!(books, ["ETH-USD", "BTC-USD"]);
        assert_eq!(reply(Dialect::CoinbaseExchange, r#"{"type":"nope"}"#)["type"], "error");
    }

    fn reply(dialect: Dialect, text: &str) -> Value {
        match dialect.parse(text) {
            Request::Reply(r) => serde_json::from_str(&r).unwrap_or(Value::String(r)),
            other => panic!("not a reply: {other:?}"),
        }
    }

    #[test]
    fn binance_streams_from_messages_and_urls() {
        let (op, meta, items) = change(
            Dialect::Binance,
            r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@trade"],"id":1}"#,
        );
        assert_eq!(op, Op::Subscribe);
        assert_eq!(items[0].topic.as_ref().map(|t| t.symbol.as_str()), Some("BTCUSDT"));
        assert_eq!(items[1].topic, None);
        assert_eq!(
            Dialect::Binance.ack_request(Op::Subscribe, &meta, &[]).as_deref(),
            Some(r#"{"result":null,"id":1}"#)
        );
        let url = Dialect::Binance
            .url_items("/stream", Some("streams=ethusdt@depth/btcusdt@depth@100ms"));
        let symbols: Vec<_> =
            url.iter().filter_map(|i| i.topic.as_ref()).map(|t| &t.symbol).collect();
        assert_eq!(symbols, ["ETHUSDT", "BTCUSDT"]);
        assert_eq!(Dialect::Binance.url_items("/ws/bnbbtc@depth", None).len(), 1);
        assert_eq!(Dialect::Binance.url_items("/ws", None).len(), 0);
        let err = reply(Dialect::Binance, r#"{"method":"SUBSCRIBE","params":"x","id":7}"#);
        assert_eq!(err["error"]["code"], 2);
        assert_eq!(err["id"], 7);
        assert_eq!(reply(Dialect::Binance, "{nope")["error"]["code"], 2);
    }

    #[test]
    fn okx_acks_each_arg_and_answers_ping() {
        let (op, meta, items) = change(
            Dialect::Okx,
            r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"tickers","instId":"BTC-USDT"}]}"#,
        );
        assert_eq!(op, Op::Subscribe);
        assert!(items[0].topic.is_some() && items[1].topic.is_none());
        let ack = Dialect::Okx.ack_item(op, &meta, &items[0], None, "c1").unwrap();
        assert_eq!(
            ack,
            r#"{"id":"1","event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"c1"}"#
        );
        assert_eq!(Dialect::Okx.parse("ping"), Request::Reply("pong".into()));
        assert_eq!(reply(Dialect::Okx, r#"{"op":"login"}"#)["code"], "60012");
    }

    #[test]
    fn kraken_v2_subscribe_and_ping() {
        let (op, meta, items) = change(
            Dialect::KrakenV2,
            r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25,"snapshot":true},"req_id":1}"#,
        );
        let topic = items[0].topic.clone().unwrap();
        assert_eq!(
            (topic.symbol.as_str(), topic.depth, topic.snapshot),
            ("BTC/USD", Some(25), true)
        );
        let ack: Value = serde_json::from_str(
            &Dialect::KrakenV2.ack_item(op, &meta, &items[0], None, "c").unwrap(),
        )
        .unwrap();
        assert_eq!(
            ack["result"],
            json!({"channel":"book","symbol":"BTC/USD","depth":25,"snapshot":true})
        );
        assert_eq!((ack["success"].clone(), ack["req_id"].clone()), (json!(true), json!(1)));
        let pong = reply(Dialect::KrakenV2, r#"{"method":"ping","req_id":9}"#);
        assert_eq!((pong["method"].clone(), pong["req_id"].clone()), (json!("pong"), json!(9)));
        assert_eq!(
            reply(
                Dialect::KrakenV2,
                r#"{"method":"subscribe","params":{"channel":"book","symbol":["X"],"depth":0}}"#
            )["success"],
            false
        );
    }

    #[test]
    fn kraken_v1_subscribe_and_ping() {
        let (op, meta, items) = change(
            Dialect::KrakenV1,
            r#"{"event":"subscribe","pair":["XMR/USD"],"subscription":{"name":"book","depth":1000}}"#,
        );
        let info = SubscribeInfo { channel_id: 992, capture_depth: Some(1000) };
        assert_eq!(
            Dialect::KrakenV1.ack_item(op, &meta, &items[0], Some(info), "c").unwrap(),
            r#"{"channelID":992,"channelName":"book-1000","event":"subscriptionStatus","pair":"XMR/USD","status":"subscribed","subscription":{"depth":1000,"name":"book"}}"#
        );
        assert_eq!(
            reply(Dialect::KrakenV1, r#"{"event":"ping","reqid":42}"#),
            json!({"event":"pong","reqid":42})
        );
        assert_eq!(reply(Dialect::KrakenV1, "[1,2]")["event"], "error");
    }
}
