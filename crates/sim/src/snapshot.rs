//! Snapshot renderers: a truth book in a venue's own message format.
//!
//! Numbers are rendered with the core's public renderer, [`Price::write_text`] and
//! [`Qty::write_text`], from the spelling each level keeps ([`LevelText`]): the decimals the
//! capture wrote. So a client's book built from these snapshots spells its levels as the venue
//! did, and the capture's later checksums verify on it. Kraken v2 numbers are spelled with the
//! instrument's precision where it is known, as Kraken does.
//!
//! [`Price::write_text`]: depthbook_core::Price::write_text
//! [`Qty::write_text`]: depthbook_core::Qty::write_text
//! [`LevelText`]: depthbook_core::LevelText

use std::fmt::Write as _;

use depthbook_core::checksum::{FragmentCache, KrakenSpelling, interleaved_crc32, kraken_crc32};
use depthbook_core::decimal::NumBuf;
use depthbook_core::{Book, Level, NumText, Side};

use crate::timefmt::{epoch_seconds_micros, iso8601_micros};

/// Most levels per side any snapshot carries (Binance's REST maximum).
pub(crate) const MAX_SNAPSHOT_LEVELS: usize = 5_000;

/// A truth book at the replay's current position, with what a snapshot message states about it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookView<'a> {
    pub(crate) book: &'a Book,
    /// The venue sequence of the last message applied (Binance `u`, OKX `seqId`).
    pub(crate) seq: Option<i64>,
    /// The venue's time of the last message for this instrument, in ms.
    pub(crate) exchange_ms: Option<i64>,
    /// The receive time of the capture record the replay processed last.
    pub(crate) position_ns: i64,
}

impl BookView<'_> {
    /// The venue time a message about this book carries, in ms.
    pub(crate) fn time_ms(&self) -> i64 {
        self.exchange_ms.unwrap_or(self.position_ns.div_euclid(1_000_000))
    }
}

/// How each number of a level is spelled.
#[derive(Debug, Clone, Copy)]
enum Spell {
    /// As the capture wrote it.
    AsSent,
    /// With fixed price and size decimals (Kraken v2 instrument precision).
    Fixed(u8, u8),
}

/// Appends `level`'s price (or size) as the capture spelled it.
pub(crate) fn push_number(out: &mut String, level: &Level, price: bool, buf: &mut NumBuf) {
    push_spelled(out, level, price, Spell::AsSent, buf);
}

/// Appends `level`'s price or size, spelled per `spell`.
fn push_spelled(out: &mut String, level: &Level, price: bool, spell: Spell, buf: &mut NumBuf) {
    let bytes = match (price, spell) {
        (true, Spell::AsSent) => level.price.write_text(level.text.price, buf),
        (true, Spell::Fixed(p, _)) => level.price.write_text(NumText::plain(p), buf),
        (false, Spell::AsSent) => level.qty.write_text(level.text.qty, buf),
        (false, Spell::Fixed(_, q)) => level.qty.write_text(NumText::plain(q), buf),
    };
    // The renderer writes ASCII digits, '-' and '.' only.
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

/// Appends the best `limit` levels of `side` as a JSON array, each level rendered by `item`.
fn push_side(
    out: &mut String,
    book: &Book,
    side: Side,
    limit: usize,
    mut item: impl FnMut(&mut String, &Level, &mut NumBuf),
) {
    let mut buf = NumBuf::new();
    out.push('[');
    for (i, level) in book.side(side).iter().take(limit.min(MAX_SNAPSHOT_LEVELS)).enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, &level, &mut buf);
    }
    out.push(']');
}

/// `["price","size"<extra>]` with strings as the venue spelled them.
fn string_pair(out: &mut String, level: &Level, buf: &mut NumBuf, extra: &str) {
    out.push_str("[\"");
    push_number(out, level, true, buf);
    out.push_str("\",\"");
    push_number(out, level, false, buf);
    out.push('"');
    out.push_str(extra);
    out.push(']');
}

/// A JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Binance REST depth: `{"lastUpdateId":N,["E":ms,"T":ms,]"bids":[["p","q"],..],"asks":[..]}`,
/// best first, at most `limit` levels a side; USD-M adds the event and transaction times.
pub(crate) fn binance_rest(view: &BookView<'_>, limit: usize, usdm: bool) -> String {
    let mut out = String::with_capacity(64 + 2 * 40 * limit.min(MAX_SNAPSHOT_LEVELS));
    let _ = write!(out, "{{\"lastUpdateId\":{}", view.seq.unwrap_or(0));
    if usdm {
        let ms = view.time_ms();
        let _ = write!(out, ",\"E\":{ms},\"T\":{ms}");
    }
    push_string_sides(&mut out, view, limit, [Side::Bid, Side::Ask]);
    out
}

/// `,"<side>":[["p","s"],..]` for both sides in `order`, best `limit` first, then `}`.
fn push_string_sides(out: &mut String, view: &BookView<'_>, limit: usize, order: [Side; 2]) {
    for side in order {
        out.push_str(if side == Side::Bid { ",\"bids\":" } else { ",\"asks\":" });
        push_side(out, view.book, side, limit, |o, l, b| string_pair(o, l, b, ""));
    }
    out.push('}');
}

/// Gate.io REST order book with `with_id=true`: `{"id":N,"current":ms,"update":ms,
/// "asks":[..],"bids":[..]}`, `id` being the truth book's last `u`. Spot levels are
/// `["p","s"]`; USDT futures levels `{"p":"p","s":s}` with the size a JSON integer (contracts).
pub(crate) fn gateio_rest(view: &BookView<'_>, limit: usize, futures: bool) -> String {
    let mut out = String::with_capacity(96 + 2 * 40 * limit.min(MAX_SNAPSHOT_LEVELS));
    let ms = view.time_ms();
    let _ = write!(out, "{{\"id\":{},\"current\":{ms},\"update\":{ms}", view.seq.unwrap_or(0));
    if !futures {
        push_string_sides(&mut out, view, limit, [Side::Ask, Side::Bid]);
        return out;
    }
    for side in [Side::Ask, Side::Bid] {
        out.push_str(if side == Side::Bid { ",\"bids\":" } else { ",\"asks\":" });
        push_side(&mut out, view.book, side, limit, |o, l, b| {
            o.push_str("{\"p\":\"");
            push_number(o, l, true, b);
            o.push_str("\",\"s\":");
            push_number(o, l, false, b);
            o.push('}');
        });
    }
    out.push('}');
    out
}

/// OKX `books` snapshot push, every level of the truth book, with the checksum of its best 25
/// and `seqId` = the truth book's sequence (both sequence fields omitted for feeds without one).
/// The orders count is not kept by the engine: every level says 1 order.
pub(crate) fn okx(symbol: &str, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(256 + 2 * 36 * view.book.side(Side::Bid).len());
    let _ = write!(
        out,
        "{{\"arg\":{{\"channel\":\"books\",\"instId\":{}}},\"action\":\"snapshot\",\"data\":[{{\"asks\":",
        json_str(symbol)
    );
    let level = |o: &mut String, l: &Level, b: &mut NumBuf| string_pair(o, l, b, ",\"0\",\"1\"");
    push_side(&mut out, view.book, Side::Ask, usize::MAX, level);
    out.push_str(",\"bids\":");
    push_side(&mut out, view.book, Side::Bid, usize::MAX, level);
    let _ = write!(
        out,
        ",\"ts\":\"{}\",\"checksum\":{}",
        view.time_ms(),
        interleaved_crc32(view.book, 25, &mut FragmentCache::new())
    );
    if let Some(seq) = view.seq {
        let _ = write!(out, ",\"prevSeqId\":-1,\"seqId\":{seq}");
    }
    out.push_str("}]}");
    out
}

/// Deribit `book.{instrument}.{interval}` snapshot notification: every level as
/// `["new", price, amount]` JSON numbers spelled as the capture wrote them, and `change_id` =
/// the truth book's, which the next `change`'s `prev_change_id` continues.
pub(crate) fn deribit(symbol: &str, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(256 + 2 * 36 * view.book.side(Side::Bid).len());
    let name = json_str(symbol);
    let _ = write!(
        out,
        "{{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{{\"channel\":{},\"data\":{{\"type\":\"snapshot\",\"timestamp\":{},",
        json_str(&format!("book.{symbol}.100ms")),
        view.time_ms()
    );
    if let Some(seq) = view.seq {
        let _ = write!(out, "\"change_id\":{seq},");
    }
    let _ = write!(out, "\"instrument_name\":{name}");
    push_number_sides(&mut out, view, "[\"new\",");
    out.push_str("}}}");
    out
}

/// `,"bids":[..],"asks":[..]`, every level as `<open>price,size]` with JSON numbers spelled as
/// the capture wrote them.
fn push_number_sides(out: &mut String, view: &BookView<'_>, open: &str) {
    let level = |o: &mut String, l: &Level, b: &mut NumBuf| {
        o.push_str(open);
        push_number(o, l, true, b);
        o.push(',');
        push_number(o, l, false, b);
        o.push(']');
    };
    out.push_str(",\"bids\":");
    push_side(out, view.book, Side::Bid, usize::MAX, level);
    out.push_str(",\"asks\":");
    push_side(out, view.book, Side::Ask, usize::MAX, level);
}

/// HTX `market.{symbol}.depth.step0` push: the whole book as `[price, size]` JSON numbers
/// spelled as the capture wrote them, `version` = the truth book's.
pub(crate) fn htx_step0(symbol: &str, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(128 + 2 * 32 * view.book.side(Side::Bid).len());
    let ms = view.time_ms();
    let _ = write!(
        out,
        "{{\"ch\":{},\"ts\":{ms},\"tick\":{{\"ts\":{ms}",
        json_str(&format!("market.{symbol}.depth.step0"))
    );
    push_number_sides(&mut out, view, "[");
    let _ = write!(out, ",\"version\":{}}}}}", view.seq.unwrap_or(0));
    out
}

/// Bitfinex P-book snapshot `[chanId,[[price,count,amount],..]]`: bids then asks, asks with
/// negative amounts, numbers spelled as the capture wrote them. The engine keeps no order
/// counts: every level says 1.
pub(crate) fn bitfinex(channel_id: i64, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(64 + 2 * 32 * view.book.side(Side::Bid).len());
    let _ = write!(out, "[{channel_id},[");
    let mut buf = NumBuf::new();
    let mut first = true;
    for side in [Side::Bid, Side::Ask] {
        for level in view.book.side(side).iter().take(MAX_SNAPSHOT_LEVELS) {
            if !first {
                out.push(',');
            }
            first = false;
            out.push('[');
            push_number(&mut out, &level, true, &mut buf);
            out.push_str(if side == Side::Bid { ",1," } else { ",1,-" });
            push_number(&mut out, &level, false, &mut buf);
            out.push(']');
        }
    }
    out.push_str("]]");
    out
}

/// Bybit `orderbook.{depth}.{symbol}` snapshot: the best `depth` levels a side as
/// `[price, size]` strings, `u` = the truth book's; its topic names `topic_depth` where the
/// capture's own topic does (the book's channel), else `depth`.
pub(crate) fn bybit(
    symbol: &str,
    view: &BookView<'_>,
    depth: usize,
    topic_depth: Option<u32>,
) -> String {
    let mut out = String::with_capacity(128 + 2 * 32 * depth.min(MAX_SNAPSHOT_LEVELS));
    let ms = view.time_ms();
    let name = json_str(symbol);
    let _ = write!(
        out,
        "{{\"topic\":{},\"type\":\"snapshot\",\"ts\":{ms},\"data\":{{\"s\":{name},\"b\":",
        json_str(&match topic_depth {
            Some(topic) => format!("orderbook.{topic}.{symbol}"),
            None => format!("orderbook.{depth}.{symbol}"),
        })
    );
    push_side(&mut out, view.book, Side::Bid, depth, |o, l, b| string_pair(o, l, b, ""));
    out.push_str(",\"a\":");
    push_side(&mut out, view.book, Side::Ask, depth, |o, l, b| string_pair(o, l, b, ""));
    let _ = write!(out, ",\"u\":{}}},\"cts\":{ms}}}", view.seq.unwrap_or(0));
    out
}

/// Coinbase Advanced Trade `l2_data` snapshot event: every level as `{"side", "event_time",
/// "price_level", "new_quantity"}` strings; `sequence_num` is set per connection when sent.
pub(crate) fn coinbase_advanced(symbol: &str, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(160 + 2 * 96 * view.book.side(Side::Bid).len());
    let time = iso8601_micros(view.position_ns);
    let _ = write!(
        out,
        "{{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"{time}\",\"sequence_num\":0,\"events\":[{{\"type\":\"snapshot\",\"product_id\":{},\"updates\":[",
        json_str(symbol)
    );
    let mut buf = NumBuf::new();
    let mut first = true;
    for (side, word) in [(Side::Bid, "bid"), (Side::Ask, "offer")] {
        for level in view.book.side(side).iter().take(MAX_SNAPSHOT_LEVELS) {
            if !first {
                out.push(',');
            }
            first = false;
            let _ =
                write!(out, "{{\"side\":\"{word}\",\"event_time\":\"{time}\",\"price_level\":\"");
            push_number(&mut out, &level, true, &mut buf);
            out.push_str("\",\"new_quantity\":\"");
            push_number(&mut out, &level, false, &mut buf);
            out.push_str("\"}");
        }
    }
    out.push_str("]}]}");
    out
}

/// Coinbase Exchange `level2` snapshot: `[price, size]` strings, as the capture spelled them.
pub(crate) fn coinbase_exchange(symbol: &str, view: &BookView<'_>) -> String {
    let mut out = String::with_capacity(128 + 2 * 32 * view.book.side(Side::Bid).len());
    let _ = write!(out, "{{\"type\":\"snapshot\",\"product_id\":{},\"asks\":", json_str(symbol));
    push_side(&mut out, view.book, Side::Ask, usize::MAX, |o, l, b| string_pair(o, l, b, ""));
    out.push_str(",\"bids\":");
    push_side(&mut out, view.book, Side::Bid, usize::MAX, |o, l, b| string_pair(o, l, b, ""));
    out.push('}');
    out
}

/// Kraken v2 `book` snapshot: the best `depth` levels a side as JSON numbers, spelled with
/// `precision` (price, size decimals) when known, else as the capture wrote them, with the
/// Kraken checksum in that same spelling.
pub(crate) fn kraken_v2(
    symbol: &str,
    view: &BookView<'_>,
    depth: usize,
    precision: Option<(u8, u8)>,
) -> String {
    let (spell, checksum_spelling) = match precision {
        Some((p, q)) => (Spell::Fixed(p, q), KrakenSpelling::Precision { price: p, qty: q }),
        None => (Spell::AsSent, KrakenSpelling::AsSent),
    };
    let level = |o: &mut String, l: &Level, b: &mut NumBuf| {
        o.push_str("{\"price\":");
        push_spelled(o, l, true, spell, b);
        o.push_str(",\"qty\":");
        push_spelled(o, l, false, spell, b);
        o.push('}');
    };
    let mut out = String::with_capacity(256 + 2 * 48 * depth.min(MAX_SNAPSHOT_LEVELS));
    let _ = write!(
        out,
        "{{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{{\"symbol\":{},\"bids\":",
        json_str(symbol)
    );
    push_side(&mut out, view.book, Side::Bid, depth, level);
    out.push_str(",\"asks\":");
    push_side(&mut out, view.book, Side::Ask, depth, level);
    let _ = write!(
        out,
        ",\"checksum\":{},\"timestamp\":\"{}\"}}]}}",
        kraken_crc32(view.book, checksum_spelling, &mut FragmentCache::new()),
        iso8601_micros(view.position_ns)
    );
    out
}

/// Kraken v1 book snapshot `[channelID,{"as":[["p","v","ts"],..],"bs":[..]},"book-<depth>","PAIR"]`,
/// the best `depth` levels a side as the capture spelled them. The engine keeps no level
/// times: every level carries the replay position's time.
pub(crate) fn kraken_v1(symbol: &str, view: &BookView<'_>, channel_id: i64, depth: u32) -> String {
    let ts = format!(",\"{}\"", epoch_seconds_micros(view.position_ns));
    let level = |o: &mut String, l: &Level, b: &mut NumBuf| string_pair(o, l, b, &ts);
    let depth_levels = usize::try_from(depth).unwrap_or(MAX_SNAPSHOT_LEVELS);
    let mut out = String::with_capacity(128 + 2 * 56 * depth_levels.min(MAX_SNAPSHOT_LEVELS));
    let _ = write!(out, "[{channel_id},{{\"as\":");
    push_side(&mut out, view.book, Side::Ask, depth_levels, level);
    out.push_str(",\"bs\":");
    push_side(&mut out, view.book, Side::Bid, depth_levels, level);
    let _ = write!(out, "}},\"book-{depth}\",{}]", json_str(symbol));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Book {
        Book::from_text(100, bids, asks).unwrap()
    }

    fn view(book: &Book, seq: Option<i64>) -> BookView<'_> {
        BookView {
            book,
            seq,
            exchange_ms: Some(1_597_026_383_085),
            position_ns: 1_618_678_133_020_508_000,
        }
    }

    #[test]
    fn binance_keeps_the_spelling_and_the_limit() {
        let b = book(
            &[("4.00000000", "431.00000000"), ("3.90000000", "1.00000000")],
            &[("4.00000200", "12.00000000")],
        );
        assert_eq!(
            binance_rest(&view(&b, Some(1_027_024)), 1, false),
            r#"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#
        );
        assert!(binance_rest(&view(&b, Some(1)), 100, true).starts_with(
            r#"{"lastUpdateId":1,"E":1597026383085,"T":1597026383085,"bids":[["4.00000000","431.00000000"],["3.90000000","1.00000000"]]"#
        ));
    }

    #[test]
    fn okx_snapshot_carries_the_docs_checksum() {
        let b = book(&[("3366.1", "7"), ("3366", "6")], &[("3366.8", "9"), ("3368", "8")]);
        assert_eq!(
            okx("BTC-USDT", &view(&b, Some(123_456))),
            r#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["3366.8","9","0","1"],["3368","8","0","1"]],"bids":[["3366.1","7","0","1"],["3366","6","0","1"]],"ts":"1597026383085","checksum":-1881014294,"prevSeqId":-1,"seqId":123456}]}"#
        );
        assert!(!okx("X", &view(&b, None)).contains("seqId"));
    }

    #[test]
    fn kraken_snapshots() {
        let b = book(&[("45285.1", "0.001")], &[("45285.2", "0.00100000"), ("45290", "2")]);
        let v2 = kraken_v2("BTC/USD", &view(&b, None), 1, Some((1, 8)));
        assert!(v2.starts_with(
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45285.1,"qty":0.00100000}],"asks":[{"price":45285.2,"qty":0.00100000}],"checksum":"#
        ));
        assert!(v2.ends_with(r#","timestamp":"2021-04-17T16:48:53.020508Z"}]}"#));
        let v1 = kraken_v1("XMR/USD", &view(&b, None), 992, 1000);
        assert_eq!(
            v1,
            r#"[992,{"as":[["45285.2","0.00100000","1618678133.020508"],["45290","2","1618678133.020508"]],"bs":[["45285.1","0.001","1618678133.020508"]]},"book-1000","XMR/USD"]"#
        );
    }
}
