//! The reference's reading of capture lines: serde_json over the venues' documented message
//! shapes, written independently of depthbook's decoders.

use depthbook_venues::Venue;
use serde_json::Value;

/// One book message of a capture line, as the reference reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Msg {
    /// The instrument, as the venue spells it.
    pub symbol: String,
    /// A full book (REST body or pushed snapshot) rather than a delta.
    pub snapshot: bool,
    /// Bid levels in message order, as (price, size) text; size `0` removes the level.
    pub bids: Vec<(String, String)>,
    /// Ask levels, likewise.
    pub asks: Vec<(String, String)>,
    /// First update id the message covers (Binance `U`, Gate.io `U`).
    pub first: Option<i64>,
    /// Last update id (`u`, `lastUpdateId`, `seqId`, `change_id`, REST `id`).
    pub last: Option<i64>,
    /// The previous message's last id as the venue states it (`pu`, `prevSeqId`,
    /// `prev_change_id`).
    pub prev: Option<i64>,
    /// The venue's checksum of the book after this message (0 = absent is already `None`).
    pub checksum: Option<i64>,
    /// Depth the venue truncates the book to (Kraken's subscribed depth).
    pub depth: Option<usize>,
    /// The book channel, where a venue sends one symbol on several (Bybit's topic without its
    /// symbol), and whether it pushes only the top levels whole (`orderbook.1`).
    pub channel: Option<(String, bool)>,
    /// A field the rules need is out of its documented range (a checksum that is not a 32-bit
    /// CRC): the message cannot be trusted.
    pub malformed: bool,
}

impl Msg {
    /// Number of level updates.
    pub fn n_levels(&self) -> usize {
        self.bids.len() + self.asks.len()
    }

    /// Whether every price is a positive decimal, every size a non-negative one, and every
    /// field in range (a level at price 0 is no level: the message is corrupt, even a delete).
    pub fn valid(&self) -> bool {
        !self.malformed
            && self
                .bids
                .iter()
                .chain(&self.asks)
                .all(|(p, q)| key(p).is_some_and(|p| p > 0) && key(q).is_some())
    }
}

/// A frame as the reference reads it, for venues that number every frame of a connection.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// The book messages.
    pub msgs: Vec<Msg>,
    /// The connection-wide sequence number (Bitfinex SEQ_ALL, Coinbase `sequence_num`).
    pub conn_seq: Option<i64>,
    /// The number was read but the rest of the frame breaks the venue's shape: the number
    /// counts, the frame is rejected.
    pub broken: bool,
}

/// A line the reference cannot read as its venue's protocol: not JSON, or JSON in a shape the
/// venue does not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable;

/// The payload of a capture line and the REST URL if it is an HTTP body.
pub fn payload(line: &[u8]) -> Option<(Option<&str>, &str)> {
    let text = std::str::from_utf8(line).ok()?;
    if text.starts_with(['{', '[']) {
        return Some((None, text));
    }
    // hftbacktest: `<recv_ns> <json>`.
    if let Some((ns, rest)) = text.split_once(' ')
        && !ns.is_empty()
        && ns.bytes().all(|b| b.is_ascii_digit())
        && rest.starts_with(['{', '['])
    {
        return Some((None, rest));
    }
    if let Some((url, rest)) = text.split_once(" -> ") {
        return Some((Some(url), rest.split_once(": ")?.1));
    }
    let (secs, body) = text.split_once(": ")?;
    secs.parse::<f64>().ok()?;
    Some((None, body))
}

/// The receive time prefix (`<secs>`) of a cryptofeed line, if it has one.
pub fn stamp(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let text = text.split_once(" -> ").map_or(text, |(_, rest)| rest);
    let (secs, _) = text.split_once(": ")?;
    secs.parse::<f64>().ok()?;
    Some(secs.to_owned())
}

/// A non-negative number in JSON's grammar without sign (`0`, `12`, `0.50`, `2e-8`; not `012`,
/// `.5` or `1.`) as an integer of 10^-18 units; `None` if the text is not one or its value is
/// not a whole number of those units.
pub fn key(text: &str) -> Option<u128> {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (m, e.parse::<i32>().ok()?)
        }
        None => (text, 0),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = int.len() > 1 && int.starts_with('0');
    if int.is_empty() || leading_zero || !digits(int) || !digits(frac) {
        return None;
    }
    // value = all_digits * 10^(exp - frac.len()), in units of 10^-18.
    let all = int
        .bytes()
        .chain(frac.bytes())
        .try_fold(0u128, |acc, b| acc.checked_mul(10)?.checked_add(u128::from(b - b'0')))?;
    let shift = 18 + exp - i32::try_from(frac.len()).ok()?;
    if shift >= 0 {
        all.checked_mul(10u128.checked_pow(u32::try_from(shift).ok()?)?)
    } else {
        let div = 10u128.checked_pow(u32::try_from(-shift).ok()?)?;
        all.is_multiple_of(div).then_some(all / div)
    }
}

/// The book messages of a line: empty for a line that is not a book message (a subscription
/// answer, a heartbeat, another channel, a line with no payload); [`Unreadable`] for a payload
/// that is not JSON or not in the venue's shape.
pub fn parse(venue: Venue, line: &[u8]) -> Result<Vec<Msg>, Unreadable> {
    let Some((url, body)) = payload(line) else { return Ok(Vec::new()) };
    let body = if matches!(venue, Venue::Deribit | Venue::GateIo) {
        // Validate the JSON as sent (serde refuses `012`), then read every number as its text.
        serde_json::from_str::<Value>(body).map_err(|_| Unreadable)?;
        quoted_numbers(body)
    } else {
        body.to_owned()
    };
    let v = serde_json::from_str::<Value>(&body).map_err(|_| Unreadable)?;
    read(venue, url, &v).ok_or(Unreadable)
}

/// `Some(messages)` for a well-formed value; `None` for a book message in the wrong shape.
fn read(venue: Venue, url: Option<&str>, v: &Value) -> Option<Vec<Msg>> {
    match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => {
            if let Some(url) = url {
                let symbol = url.split("symbol=").nth(1)?.split('&').next()?;
                return Some(vec![Msg {
                    symbol: symbol.to_owned(),
                    snapshot: true,
                    bids: pairs(&v["bids"])?,
                    asks: pairs(&v["asks"])?,
                    last: Some(v["lastUpdateId"].as_i64()?),
                    ..Msg::default()
                }]);
            }
            let d = if v.get("stream").is_some() { &v["data"] } else { v };
            if d["e"] != "depthUpdate" {
                return Some(Vec::new());
            }
            Some(vec![Msg {
                symbol: d["s"].as_str()?.to_owned(),
                bids: pairs(&d["b"])?,
                asks: pairs(&d["a"])?,
                first: Some(d["U"].as_i64()?),
                last: Some(d["u"].as_i64()?),
                prev: if venue == Venue::BinanceUsdm { Some(d["pu"].as_i64()?) } else { None },
                ..Msg::default()
            }])
        }
        // Bitget's `books` push has OKX's shape; its sequence keys are `seq`/`pseq`.
        Venue::Okx | Venue::Bitget => {
            if v.get("event").is_some() || v["arg"]["channel"] != "books" {
                return Some(Vec::new());
            }
            let (seq, prev) =
                if venue == Venue::Okx { ("seqId", "prevSeqId") } else { ("seq", "pseq") };
            let symbol = v["arg"]["instId"].as_str()?;
            let snapshot = match v["action"].as_str()? {
                "snapshot" => true,
                "update" => false,
                _ => return None,
            };
            let checksum = |d: &Value| match &d["checksum"] {
                Value::Null => Some(None),
                c => Some(c.as_i64()?).map(|c| Some(c).filter(|&c| c != 0)),
            };
            let sequence = |d: &Value, k: &str| match &d[k] {
                Value::Null => Some(None),
                s => s.as_i64().map(Some),
            };
            v["data"]
                .as_array()?
                .iter()
                .map(|d| {
                    let checksum = checksum(d)?;
                    Some(Msg {
                        symbol: symbol.to_owned(),
                        snapshot,
                        bids: pairs(&d["bids"])?,
                        asks: pairs(&d["asks"])?,
                        last: sequence(d, seq)?,
                        prev: sequence(d, prev)?,
                        checksum,
                        // A signed 32-bit CRC.
                        malformed: checksum.is_some_and(|c| i32::try_from(c).is_err()),
                        ..Msg::default()
                    })
                })
                .collect()
        }
        Venue::KrakenV1 => kraken_v1(v),
        Venue::Bybit => bybit(v),
        // Spot levels are `["p","s"]`; USDT futures levels `{"p":"p","s":s}` with the size a
        // JSON integer (read as its text: the body's numbers are quoted before parsing).
        Venue::GateIo => {
            if let Some(url) = url {
                let param = if url.contains("contract=") { "contract=" } else { "currency_pair=" };
                let symbol = url.split(param).nth(1)?.split('&').next()?;
                return Some(vec![Msg {
                    symbol: symbol.to_owned(),
                    snapshot: true,
                    bids: gate_levels(&v["bids"])?,
                    asks: gate_levels(&v["asks"])?,
                    last: Some(int(&v["id"])?),
                    ..Msg::default()
                }]);
            }
            let book = matches!(
                v["channel"].as_str(),
                Some("spot.order_book_update" | "futures.order_book_update")
            );
            if !book || v["event"] != "update" {
                return Some(Vec::new());
            }
            let r = &v["result"];
            let side = |s: &Value| if s.is_null() { Some(Vec::new()) } else { gate_levels(s) };
            Some(vec![Msg {
                symbol: r["s"].as_str()?.to_owned(),
                bids: side(&r["b"])?,
                asks: side(&r["a"])?,
                first: Some(int(&r["U"])?),
                last: Some(int(&r["u"])?),
                ..Msg::default()
            }])
        }
        Venue::Deribit => {
            let p = &v["params"];
            if v["method"] != "subscription" || !p["channel"].as_str()?.starts_with("book.") {
                return Some(Vec::new());
            }
            let d = &p["data"];
            Some(vec![Msg {
                symbol: d["instrument_name"].as_str()?.to_owned(),
                snapshot: match d["type"].as_str() {
                    Some("snapshot") => true,
                    Some("change") | None => false,
                    Some(_) => return None,
                },
                bids: action_pairs(&d["bids"])?,
                asks: action_pairs(&d["asks"])?,
                last: Some(int(&d["change_id"])?),
                prev: match &d["prev_change_id"] {
                    Value::Null => None,
                    prev => Some(int(prev)?),
                },
                ..Msg::default()
            }])
        }
        _ => None,
    }
}

/// Bybit v5 `orderbook.{depth}.{symbol}`: a `snapshot`, then `delta`s; a delta with `u == 1`
/// (a restarted service) replaces the book. `u` is required, `seq` and `ts` optional integers.
fn bybit(v: &Value) -> Option<Vec<Msg>> {
    let Some(topic) = v.get("topic") else {
        // Acks and pongs carry `op` or `success`; anything else is not Bybit's.
        return (v.get("op").is_some() || v.get("success").is_some()).then(Vec::new);
    };
    let topic = topic.as_str()?;
    if !topic.starts_with("orderbook.") {
        return Some(Vec::new());
    }
    let channel = topic.rsplit_once('.').map_or(topic, |(channel, _)| channel);
    let d = &v["data"];
    let optional_int = |f: &Value| match f {
        Value::Null => Some(()),
        f => f.as_i64().map(|_| ()),
    };
    optional_int(&d["seq"])?;
    optional_int(&v["ts"])?;
    let u = d["u"].as_i64()?;
    let snapshot = match v["type"].as_str()? {
        "snapshot" => true,
        "delta" => u == 1,
        _ => return None,
    };
    Some(vec![Msg {
        symbol: d["s"].as_str()?.to_owned(),
        snapshot,
        bids: pairs(&d["b"])?,
        asks: pairs(&d["a"])?,
        last: Some(u),
        channel: Some((channel.to_owned(), channel == "orderbook.1")),
        ..Msg::default()
    }])
}

/// Kraken v1: `[channelID, {"as"|"bs"|"a"|"b"|"c": ...}..., "book-N", pair]`.
fn kraken_v1(v: &Value) -> Option<Vec<Msg>> {
    let Some(a) = v.as_array() else { return Some(Vec::new()) };
    let n = a.len();
    if n < 4 {
        return Some(Vec::new());
    }
    let Some(channel) = a[n - 2].as_str().filter(|c| c.starts_with("book")) else {
        return Some(Vec::new());
    };
    let mut msg = Msg {
        symbol: a[n - 1].as_str()?.to_owned(),
        depth: match channel.strip_prefix("book-") {
            Some(depth) => Some(depth.parse().ok()?),
            None => None,
        },
        ..Msg::default()
    };
    for part in &a[1..n - 2] {
        for (k, value) in part.as_object()? {
            match k.as_str() {
                "as" | "bs" => msg.snapshot = true,
                "c" => {
                    let checksum: i64 = value.as_str()?.parse().ok()?;
                    // An unsigned 32-bit CRC.
                    msg.malformed |= u32::try_from(checksum).is_err();
                    msg.checksum = Some(checksum);
                }
                _ => {}
            }
            match k.as_str() {
                "as" | "a" => msg.asks.extend(kraken_levels(value)?),
                "bs" | "b" => msg.bids.extend(kraken_levels(value)?),
                _ => {}
            }
        }
    }
    Some(vec![msg])
}

/// Kraken v1 levels `[price, volume, timestamp]` or, for a republished level,
/// `[price, volume, timestamp, "r"]`.
fn kraken_levels(v: &Value) -> Option<Vec<(String, String)>> {
    levels(v, 3..=4)
}

/// `[[price, size, ...], ...]` with both as strings (OKX adds two more fields).
fn pairs(v: &Value) -> Option<Vec<(String, String)>> {
    levels(v, 2..=4)
}

/// Levels whose first two fields are price and size as strings, each of `len` fields.
fn levels(v: &Value, len: std::ops::RangeInclusive<usize>) -> Option<Vec<(String, String)>> {
    v.as_array()?
        .iter()
        .map(|l| {
            let l = l.as_array()?;
            len.contains(&l.len()).then_some(())?;
            Some((l[0].as_str()?.to_owned(), l[1].as_str()?.to_owned()))
        })
        .collect()
}

/// Gate.io levels: spot `[["p","s"],..]`, or futures `[{"p":"p","s":"s"},..]` (the size quoted
/// by [`quoted_numbers`]).
fn gate_levels(v: &Value) -> Option<Vec<(String, String)>> {
    let levels = v.as_array()?;
    if levels.first().is_none_or(Value::is_array) {
        return pairs(v);
    }
    levels
        .iter()
        .map(|l| Some((l["p"].as_str()?.to_owned(), l["s"].as_str()?.to_owned())))
        .collect()
}

/// Deribit levels `[action, price, amount]` (numbers quoted by [`quoted_numbers`]): `delete`
/// removes the level whatever amount it carries; another action is not a valid level (its size
/// is empty, which [`Msg::valid`] rejects).
fn action_pairs(v: &Value) -> Option<Vec<(String, String)>> {
    v.as_array()?
        .iter()
        .map(|l| {
            let l = l.as_array()?;
            (l.len() == 3).then_some(())?;
            let (price, amount) = (l[1].as_str()?.to_owned(), l[2].as_str()?.to_owned());
            Some(match l[0].as_str()? {
                "new" | "change" => (price, amount),
                "delete" => (price, "0".to_owned()),
                _ => (price, String::new()),
            })
        })
        .collect()
}

/// `body` with every JSON number token (outside strings) put in quotes, spelled exactly as
/// sent: serde_json (without `arbitrary_precision`) would read `0.0015` as an `f64`.
pub fn quoted_numbers(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 4);
    let (mut in_string, mut escaped, mut in_number) = (false, false, false);
    for c in body.chars() {
        if in_number && !matches!(c, '0'..='9' | '.' | 'e' | 'E' | '+' | '-') {
            out.push('"');
            in_number = false;
        }
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if !in_number && matches!(c, '0'..='9' | '-') {
            out.push('"');
            in_number = true;
        }
        out.push(c);
    }
    if in_number {
        out.push('"');
    }
    out
}

/// An integer field, sent as a JSON number or (after [`quoted_numbers`]) as text.
fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}
