//! Client requests, per dialect: each `parse_*` reads one venue's message (a JSON object) into a
//! [`Request`], or the reason it is malformed, which the caller answers with the venue's error
//! shape. Never panics.

use serde_json::{Map, Value, json};

use super::{
    Fields, Item, KRAKEN_DEFAULT_DEPTH, Op, Request, RequestMeta, Topic, kraken_v2_trailer,
};
use crate::derived::DerivedKind;
use crate::timefmt::now_ns;

/// A Binance stream name as an item: `<symbol>@depth...` subscribes the symbol's book.
pub(super) fn binance_item(stream: &str) -> Item {
    let topic = stream.split_once('@').and_then(|(symbol, kind)| {
        (!symbol.is_empty() && kind.starts_with("depth")).then(|| Topic {
            symbol: symbol.to_ascii_uppercase(),
            depth: None,
            snapshot: false,
            derived: None,
        })
    });
    Item { topic, echo: stream.into() }
}

pub(super) fn parse_binance(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("id").cloned(), received_ns };
    let method = obj.get("method").and_then(Value::as_str).ok_or("missing method")?;
    let op = match method.to_ascii_uppercase().as_str() {
        "SUBSCRIBE" => Op::Subscribe,
        "UNSUBSCRIBE" => Op::Unsubscribe,
        _ => return Err("unknown method"),
    };
    let params = obj.get("params").and_then(Value::as_array).ok_or("params must be an array")?;
    let items = params
        .iter()
        .map(|p| p.as_str().map(binance_item).ok_or("params must be stream names"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Request::Change { op, meta, items })
}

pub(super) fn parse_okx(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("id").cloned(), received_ns };
    let op = match obj.get("op").and_then(Value::as_str) {
        Some("subscribe") => Op::Subscribe,
        Some("unsubscribe") => Op::Unsubscribe,
        _ => return Err("unknown op"),
    };
    let args = obj.get("args").and_then(Value::as_array).ok_or("args must be an array")?;
    let mut items = Vec::with_capacity(args.len());
    for arg in args {
        let channel = arg.get("channel").and_then(Value::as_str).ok_or("arg needs a channel")?;
        let book = channel.starts_with("books") || channel == "bbo-tbt";
        let topic = match arg.get("instId").and_then(Value::as_str) {
            Some(inst) if book => {
                Some(Topic { symbol: inst.to_owned(), depth: None, snapshot: true, derived: None })
            }
            None if book => return Err("a book arg needs an instId"),
            _ => None,
        };
        items.push(Item { topic, echo: arg.clone() });
    }
    Ok(Request::Change { op, meta, items })
}

pub(super) fn parse_deribit(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("id").cloned(), received_ns };
    let op = match obj.get("method").and_then(Value::as_str) {
        Some("public/subscribe") => Op::Subscribe,
        Some("public/unsubscribe") => Op::Unsubscribe,
        // Keepalives: answered, nothing else.
        Some("public/test") => return Ok(deribit_result(&meta, json!({"version": "1.2.26"}))),
        Some("public/set_heartbeat") => return Ok(deribit_result(&meta, json!("ok"))),
        _ => return Err("unknown method"),
    };
    let channels = obj
        .get("params")
        .and_then(|p| p.get("channels"))
        .and_then(Value::as_array)
        .ok_or("params.channels must be an array")?;
    let mut items = Vec::with_capacity(channels.len());
    for channel in channels {
        let name = channel.as_str().ok_or("channels must be strings")?;
        // `book.{instrument}.{interval}`; the grouped form has more parts and is not served.
        let parts: Vec<&str> = name.split('.').collect();
        let topic = match parts.as_slice() {
            ["book", instrument, _interval] => Some(Topic {
                symbol: (*instrument).to_owned(),
                depth: None,
                snapshot: true,
                derived: None,
            }),
            _ => None,
        };
        items.push(Item { topic, echo: channel.clone() });
    }
    Ok(Request::Change { op, meta, items })
}

fn deribit_result(meta: &RequestMeta, result: Value) -> Request {
    let mut out = Fields::new();
    out.put("jsonrpc", "2.0");
    out.put("id", meta.id.clone().unwrap_or(Value::Null));
    out.put("result", result);
    Request::Reply(out.finish())
}

pub(super) fn parse_bitfinex(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: None, received_ns };
    match obj.get("event").and_then(Value::as_str) {
        Some("conf") => {
            let flags = obj.get("flags").and_then(Value::as_i64).unwrap_or(0);
            let reply = json!({"event": "conf", "status": "OK", "flags": flags}).to_string();
            Ok(Request::Configure {
                reply,
                numbered: flags & BITFINEX_SEQ_ALL != 0,
                checksums: flags & BITFINEX_OB_CHECKSUM != 0,
            })
        }
        Some("ping") => {
            let cid = obj.get("cid").cloned().unwrap_or(Value::Null);
            let ts = now_ns() / 1_000_000;
            Ok(Request::Reply(json!({"event": "pong", "ts": ts, "cid": cid}).to_string()))
        }
        Some("subscribe") => {
            let channel =
                obj.get("channel").and_then(Value::as_str).ok_or("a channel is needed")?;
            let symbol = obj.get("symbol").and_then(Value::as_str).ok_or("a symbol is needed")?;
            let raw = obj.get("prec").and_then(Value::as_str) == Some("R0");
            let topic = (channel == "book" && !raw).then(|| Topic {
                symbol: symbol.to_owned(),
                depth: obj.get("len").and_then(Value::as_str).and_then(|l| l.parse().ok()),
                snapshot: true,
                derived: None,
            });
            Ok(Request::Change {
                op: Op::Subscribe,
                meta,
                items: vec![Item { topic, echo: Value::Object(obj.clone()) }],
            })
        }
        // Unsubscribing names the channel id the subscription was acked with.
        Some("unsubscribe") => {
            let channel = obj.get("chanId").and_then(Value::as_i64).ok_or("a chanId is needed")?;
            Ok(Request::UnsubscribeChannel { meta, channel })
        }
        _ => Err("unknown event"),
    }
}

/// Coinbase's `type: subscribe|unsubscribe` (both feeds; no request id).
fn coinbase_op(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<(Op, RequestMeta), &'static str> {
    let meta = RequestMeta { id: None, received_ns };
    match obj.get("type").and_then(Value::as_str) {
        Some("subscribe") => Ok((Op::Subscribe, meta)),
        Some("unsubscribe") => Ok((Op::Unsubscribe, meta)),
        _ => Err("unknown type"),
    }
}

pub(super) fn parse_coinbase_advanced(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let (op, meta) = coinbase_op(obj, received_ns)?;
    let channel = obj.get("channel").and_then(Value::as_str).ok_or("one channel per message")?;
    let products: Vec<&str> = obj
        .get("product_ids")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if channel != "level2" {
        // Heartbeats and other channels: acked, silent here.
        let echo = json!({"channel": channel});
        return Ok(Request::Change { op, meta, items: vec![Item { topic: None, echo }] });
    }
    if products.is_empty() {
        return Err("level2 needs product_ids");
    }
    let items = products
        .iter()
        .map(|p| Item {
            topic: Some(Topic {
                symbol: (*p).to_owned(),
                depth: None,
                snapshot: true,
                derived: None,
            }),
            echo: json!({"channel": "level2", "product_id": p}),
        })
        .collect();
    Ok(Request::Change { op, meta, items })
}

pub(super) fn parse_bybit(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("req_id").cloned(), received_ns };
    let op = match obj.get("op").and_then(Value::as_str) {
        Some("subscribe") => Op::Subscribe,
        Some("unsubscribe") => Op::Unsubscribe,
        Some("ping") => {
            let mut out = Fields::new();
            out.put("success", true);
            out.put("ret_msg", "pong");
            out.put("conn_id", Value::Null);
            out.opt("req_id", &meta.id);
            out.put("op", "ping");
            return Ok(Request::Reply(out.finish()));
        }
        _ => return Err("unknown op"),
    };
    let args = obj.get("args").and_then(Value::as_array).ok_or("args must be an array")?;
    let mut items = Vec::with_capacity(args.len());
    for arg in args {
        let name = arg.as_str().ok_or("args must be topic names")?;
        // `orderbook.{depth}.{symbol}`.
        let parts: Vec<&str> = name.split('.').collect();
        let topic = match parts.as_slice() {
            // `orderbook.full.{symbol}`: deltas only, the snapshot over REST.
            ["orderbook", "full", symbol] => Some(Topic {
                symbol: (*symbol).to_owned(),
                depth: None,
                snapshot: false,
                derived: Some(DerivedKind::BybitFull),
            }),
            ["orderbook", depth, symbol] => Some(Topic {
                symbol: (*symbol).to_owned(),
                depth: depth.parse().ok(),
                snapshot: true,
                derived: None,
            }),
            _ => None,
        };
        items.push(Item { topic, echo: arg.clone() });
    }
    Ok(Request::Change { op, meta, items })
}

/// Bitfinex's conf flag that numbers every array frame of a connection.
const BITFINEX_SEQ_ALL: i64 = 65_536;
/// Bitfinex `conf` flag: a checksum frame after every book update.
const BITFINEX_OB_CHECKSUM: i64 = 131_072;

pub(super) fn parse_htx(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("id").cloned(), received_ns };
    if obj.contains_key("pong") {
        return Ok(Request::Nothing);
    }
    if let Some(ping) = obj.get("ping") {
        return Ok(Request::Reply(json!({"pong": ping}).to_string()));
    }
    if let Some(topic) = obj.get("req") {
        let name = topic.as_str().ok_or("the topic must be a string")?;
        return match htx_topic(name)? {
            Some(topic @ Topic { derived: Some(_), .. }) => Ok(Request::Fetch { meta, topic }),
            _ => Err("req is answered for mbp topics only"),
        };
    }
    let (op, topic) = match (obj.get("sub"), obj.get("unsub")) {
        (Some(topic), None) => (Op::Subscribe, topic),
        (None, Some(topic)) => (Op::Unsubscribe, topic),
        _ => return Err("expected sub, unsub, req, ping or pong"),
    };
    let name = topic.as_str().ok_or("the topic must be a string")?;
    let book = htx_topic(name)?;
    Ok(Request::Change { op, meta, items: vec![Item { topic: book, echo: topic.clone() }] })
}

/// HTX `mbp` depths.
const HTX_MBP_LEVELS: [u32; 4] = [5, 20, 150, 400];

/// The book an HTX topic names: `market.{symbol}.depth.step{n}` (whole books, as captures
/// hold them) or `market.{symbol}.mbp.{levels}` (diffs the server derives, their snapshot
/// asked with `req`); `None` for another channel.
fn htx_topic(name: &str) -> Result<Option<Topic>, &'static str> {
    let parts: Vec<&str> = name.split('.').collect();
    Ok(match parts.as_slice() {
        ["market", symbol, "depth", step] if step.starts_with("step") => {
            Some(Topic { symbol: (*symbol).to_owned(), depth: None, snapshot: true, derived: None })
        }
        ["market", symbol, "mbp", levels] => {
            let levels = levels.parse().ok().filter(|l| HTX_MBP_LEVELS.contains(l));
            let levels = levels.ok_or("mbp levels must be 5, 20, 150 or 400")?;
            Some(Topic {
                symbol: (*symbol).to_owned(),
                depth: Some(levels),
                snapshot: false,
                derived: Some(DerivedKind::HtxMbp { levels }),
            })
        }
        _ => None,
    })
}

/// Gate.io's spot book channel.
/// Gate.io's book channels: spot, and USDT futures (same messages, sizes in contracts).
const GATE_BOOK_CHANNELS: [&str; 2] = ["spot.order_book_update", "futures.order_book_update"];

pub(super) fn parse_gateio(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("time").cloned(), received_ns };
    let channel = obj.get("channel").and_then(Value::as_str).ok_or("a request needs a channel")?;
    if let Some(market) = channel.strip_suffix(".ping") {
        let mut out = Fields::new();
        out.put("time", meta.id.clone().unwrap_or(Value::Null));
        out.put("channel", format!("{market}.pong"));
        out.put("event", "");
        out.put("result", Value::Null);
        return Ok(Request::Reply(out.finish()));
    }
    let op = match obj.get("event").and_then(Value::as_str) {
        Some("subscribe") => Op::Subscribe,
        Some("unsubscribe") => Op::Unsubscribe,
        _ => return Err("unknown event"),
    };
    let payload = obj.get("payload").cloned().unwrap_or(Value::Null);
    let symbol = payload.get(0).and_then(Value::as_str);
    // Snapshots come over REST, never on the stream.
    let book = GATE_BOOK_CHANNELS.contains(&channel);
    let topic = match (book, symbol) {
        (true, Some(symbol)) => {
            Some(Topic { symbol: symbol.to_owned(), depth: None, snapshot: false, derived: None })
        }
        (true, None) => return Err("the payload needs a currency pair"),
        (false, _) => None,
    };
    // The acknowledgement names the request's channel.
    let echo = json!({"channel": channel, "payload": payload});
    Ok(Request::Change { op, meta, items: vec![Item { topic, echo }] })
}

pub(super) fn parse_coinbase_exchange(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let (op, meta) = coinbase_op(obj, received_ns)?;
    let products: Vec<&str> = obj
        .get("product_ids")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let channels =
        obj.get("channels").and_then(Value::as_array).ok_or("channels must be an array")?;
    let mut items = Vec::new();
    for channel in channels {
        // A channel is a name (for the request's products) or `{"name", "product_ids"}`.
        let (name, own) = match channel {
            Value::String(name) => (name.as_str(), None),
            Value::Object(c) => (
                c.get("name").and_then(Value::as_str).ok_or("a channel needs a name")?,
                c.get("product_ids").and_then(Value::as_array),
            ),
            _ => return Err("channels must be names or objects"),
        };
        let ids: Vec<&str> = own
            .map_or_else(|| products.clone(), |ids| ids.iter().filter_map(Value::as_str).collect());
        let book = matches!(name, "level2" | "level2_batch");
        for id in ids {
            let topic = book.then(|| Topic {
                symbol: id.to_owned(),
                depth: None,
                snapshot: true,
                derived: None,
            });
            items.push(Item { topic, echo: json!({"name": name, "product_ids": [id]}) });
        }
    }
    if items.is_empty() {
        return Err("no channel and product to subscribe");
    }
    Ok(Request::Change { op, meta, items })
}

pub(super) fn parse_kraken_v2(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("req_id").cloned(), received_ns };
    let op = match obj.get("method").and_then(Value::as_str) {
        Some("subscribe") => Op::Subscribe,
        Some("unsubscribe") => Op::Unsubscribe,
        Some("ping") => {
            let mut out = Fields::new();
            out.put("method", "pong");
            kraken_v2_trailer(&mut out, &meta);
            return Ok(Request::Reply(out.finish()));
        }
        _ => return Err("unknown method"),
    };
    let params = obj.get("params").and_then(Value::as_object).ok_or("params must be an object")?;
    let channel = params.get("channel").and_then(Value::as_str).ok_or("missing channel")?;
    let depth = match params.get("depth") {
        None => KRAKEN_DEFAULT_DEPTH,
        Some(d) => d
            .as_u64()
            .and_then(|d| u32::try_from(d).ok())
            .filter(|d| (1..=1_000).contains(d))
            .ok_or("invalid depth")?,
    };
    let snapshot = params.get("snapshot").and_then(Value::as_bool).unwrap_or(true);
    let symbols: Vec<Option<&str>> = match params.get("symbol") {
        None => vec![None],
        Some(Value::Array(list)) => list
            .iter()
            .map(|s| s.as_str().map(Some).ok_or("symbol must hold strings"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("symbol must be an array"),
    };
    let items = symbols
        .into_iter()
        .map(|symbol| {
            let mut echo = Map::new();
            echo.insert("channel".into(), channel.into());
            if let Some(symbol) = symbol {
                echo.insert("symbol".into(), symbol.into());
            }
            let topic = (channel == "book").then_some(symbol).flatten().map(|s| {
                echo.insert("depth".into(), depth.into());
                echo.insert("snapshot".into(), snapshot.into());
                Topic { symbol: s.to_owned(), depth: Some(depth), snapshot, derived: None }
            });
            Item { topic, echo: Value::Object(echo) }
        })
        .collect();
    Ok(Request::Change { op, meta, items })
}

pub(super) fn parse_kraken_v1(
    obj: &Map<String, Value>,
    received_ns: i64,
) -> Result<Request, &'static str> {
    let meta = RequestMeta { id: obj.get("reqid").cloned(), received_ns };
    let op = match obj.get("event").and_then(Value::as_str) {
        Some("subscribe") => Op::Subscribe,
        Some("unsubscribe") => Op::Unsubscribe,
        Some("ping") => {
            let mut out = Fields::new();
            out.put("event", "pong");
            out.opt("reqid", &meta.id);
            return Ok(Request::Reply(out.finish()));
        }
        _ => return Err("Unsupported event"),
    };
    let subscription =
        obj.get("subscription").and_then(Value::as_object).ok_or("Subscription missing")?;
    let name =
        subscription.get("name").and_then(Value::as_str).ok_or("Subscription name missing")?;
    let depth = match subscription.get("depth") {
        None => None,
        Some(d) => Some(
            d.as_u64()
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| (1..=1_000).contains(d))
                .ok_or("Subscription depth not supported")?,
        ),
    };
    let pairs = obj.get("pair").and_then(Value::as_array).ok_or("Pair(s) not found")?;
    let items = pairs
        .iter()
        .map(|pair| {
            let pair = pair.as_str().ok_or("Pair field must be an array of strings")?;
            let topic = (name == "book").then(|| Topic {
                symbol: pair.to_owned(),
                depth: Some(depth.unwrap_or(KRAKEN_DEFAULT_DEPTH)),
                snapshot: true,
                derived: None,
            });
            Ok(Item { topic, echo: json!({"pair": pair, "name": name}) })
        })
        .collect::<Result<Vec<_>, &'static str>>()?;
    Ok(Request::Change { op, meta, items })
}
