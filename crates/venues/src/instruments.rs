//! Instrument metadata: tick size, lot size, minimum size, contract size and precisions, read
//! from each venue's public instruments endpoint (or, for Kraken v2, its `instrument` channel).
//!
//! Not on the hot path: read once when a feed starts. Every number is read as the venue's own
//! text (JSON numbers are quoted by the shared JSON layer first) into an exact
//! [`rust_decimal::Decimal`]; a precision is derived from the tick or lot size where the venue
//! gives only one of the two, and the other way round.
//!
//! | venue | endpoint | tick / lot / min / contract |
//! |---|---|---|
//! | `binance-spot`, `binance-usdm` | `/api/v3/exchangeInfo?symbol=`, `/fapi/v1/exchangeInfo` | `PRICE_FILTER.tickSize`, `LOT_SIZE.stepSize`, `LOT_SIZE.minQty`; USD-M contracts are 1 |
//! | `okx` | `/api/v5/public/instruments?instType=SPOT&instId=` | `tickSz`, `lotSz`, `minSz`, `ctVal` (derivatives) |
//! | `kraken` | `instrument` channel, or `/0/public/AssetPairs` (`wsname` in v2's spelling: `XBT` is `BTC`, `XDG` is `DOGE`) | `price_increment`, `qty_increment`, `qty_min`, `price_precision`, `qty_precision` |
//! | `kraken-v1` | `/0/public/AssetPairs` (matched by `wsname`) | `tick_size`, 10^-`lot_decimals`, `ordermin`, `pair_decimals` |
//! | `bybit` | `/v5/market/instruments-info?category=spot&symbol=` | `priceFilter.tickSize`, `lotSizeFilter.basePrecision`, `lotSizeFilter.minOrderQty` |
//! | `coinbase`, `coinbase-exchange` | `/api/v3/brokerage/market/products/{id}`, `/products/{id}`; every one: `/api/v3/brokerage/market/products`, `/products` | `quote_increment`, `base_increment`, `base_min_size` |
//! | `bitfinex` | `/v2/conf/pub:info:pair` | minimum size only: prices have five significant digits, no tick |
//! | `deribit` | `/api/v2/public/get_instrument?instrument_name=`; every one: `get_instruments?currency=any` | `tick_size`, `min_trade_amount` (also the lot), `contract_size` |
//! | `gateio` | `/api/v4/spot/currency_pairs/{pair}`; futures `/api/v4/futures/usdt/contracts/{contract}`; every one: the same without the name | 10^-`precision`, 10^-`amount_precision`, `min_base_amount`; futures `order_price_round`, 1 contract, `order_size_min`, `quanto_multiplier` |
//! | `bitget` | `/api/v2/spot/public/symbols?symbol=` | 10^-`pricePrecision`, 10^-`quantityPrecision`, `minTradeAmount` |
//! | `htx` | `/v1/common/symbols` | 10^-`price-precision`, 10^-`amount-precision`, `min-order-amt` |

use rust_decimal::Decimal;
use simd_json::prelude::*;

use crate::error::DecodeError;
use crate::json::{Json, JsonParser, as_int, field, str_field};
use crate::venue::Venue;

/// What a venue says about one instrument. Sizes are in the venue's book units (contracts for
/// futures that count them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstrumentInfo {
    /// The instrument, as the venue spells it in its book messages.
    pub symbol: String,
    /// Smallest price step.
    pub tick_size: Option<Decimal>,
    /// Smallest size step.
    pub lot_size: Option<Decimal>,
    /// Smallest order size.
    pub min_size: Option<Decimal>,
    /// What one unit of size is worth in the underlying (a contract's multiplier); `None` for
    /// spot, where a size is the base asset itself.
    pub contract_size: Option<Decimal>,
    /// Decimals of a price.
    pub price_precision: Option<u32>,
    /// Decimals of a size.
    pub qty_precision: Option<u32>,
    /// The currency prices are quoted in (`USDT`, `USD`), as the venue names it (case as the
    /// venue writes it); `None` where its description does not say.
    pub quote: Option<String>,
}

impl InstrumentInfo {
    /// Fills each precision from its step and each step from its precision, where only one of
    /// the two was given (a step of `0.0100` is 2 decimals; 2 decimals is a step of `0.01`).
    fn completed(mut self) -> Self {
        let decimals = |step: Decimal| step.normalize().scale();
        let step = |decimals: u32| Decimal::new(1, decimals.min(28));
        self.price_precision = self.price_precision.or(self.tick_size.map(decimals));
        self.qty_precision = self.qty_precision.or(self.lot_size.map(decimals));
        self.tick_size = self.tick_size.or(self.price_precision.map(step));
        self.lot_size = self.lot_size.or(self.qty_precision.map(step));
        self
    }
}

/// Reads a venue's instruments body (see the module table) into the instruments it lists;
/// `symbols`, if given, keeps only those (the venues whose endpoint lists every instrument:
/// Binance USD-M, Bitfinex, HTX).
///
/// # Errors
/// [`DecodeError`] for a body that is not JSON or not the venue's shape, or a number that is
/// not an exact decimal.
pub fn parse_instruments(
    venue: Venue,
    body: &[u8],
    symbols: Option<&[String]>,
) -> Result<Vec<InstrumentInfo>, DecodeError> {
    let mut parser = JsonParser::new(true, 32);
    let trimmed = body.trim_ascii();
    let mut out = parser.parse(trimmed, |root| read(venue, root))?;
    if let Some(symbols) = symbols {
        out.retain(|i| symbols.contains(&i.symbol));
    }
    Ok(out.into_iter().map(InstrumentInfo::completed).collect())
}

fn read(venue: Venue, root: Json<'_, '_>) -> Result<Vec<InstrumentInfo>, DecodeError> {
    match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => binance(root, venue == Venue::BinanceUsdm),
        Venue::Okx => each(field(root, "data")?, "data", |i| {
            Ok(InstrumentInfo {
                symbol: str_field(i, "instId")?.to_owned(),
                tick_size: opt_decimal(i, "tickSz")?,
                lot_size: opt_decimal(i, "lotSz")?,
                min_size: opt_decimal(i, "minSz")?,
                contract_size: opt_decimal(i, "ctVal")?,
                // Spot names its quote; swaps and futures settle in theirs.
                quote: opt_str(i, "quoteCcy").or_else(|| opt_str(i, "settleCcy")),
                ..InstrumentInfo::default()
            })
        }),
        Venue::Kraken if root.get("result").is_some() => {
            let mut pairs = read(Venue::KrakenV1, root)?;
            for pair in &mut pairs {
                pair.symbol = kraken_v2_spelling(&pair.symbol);
            }
            Ok(pairs)
        }
        Venue::Kraken => {
            let pairs = field(field(root, "data")?, "pairs")?;
            each(pairs, "pairs", |p| {
                Ok(InstrumentInfo {
                    symbol: str_field(p, "symbol")?.to_owned(),
                    tick_size: opt_decimal(p, "price_increment")?,
                    lot_size: opt_decimal(p, "qty_increment")?,
                    min_size: opt_decimal(p, "qty_min")?,
                    price_precision: opt_u32(p, "price_precision")?,
                    qty_precision: opt_u32(p, "qty_precision")?,
                    quote: opt_str(p, "quote"),
                    ..InstrumentInfo::default()
                })
            })
        }
        Venue::KrakenV1 => {
            let result = field(root, "result")?;
            let pairs = result.as_object().ok_or(DecodeError::WrongType("result"))?;
            pairs
                .iter()
                .map(|(_, p)| {
                    let wsname = str_field(p, "wsname")?;
                    Ok(InstrumentInfo {
                        symbol: wsname.to_owned(),
                        quote: wsname.split_once('/').map(|(_, quote)| quote.to_owned()),
                        tick_size: opt_decimal(p, "tick_size")?,
                        min_size: opt_decimal(p, "ordermin")?,
                        price_precision: opt_u32(p, "pair_decimals")?,
                        qty_precision: opt_u32(p, "lot_decimals")?,
                        ..InstrumentInfo::default()
                    })
                })
                .collect()
        }
        Venue::Bybit => each(field(field(root, "result")?, "list")?, "list", |i| {
            let lot = field(i, "lotSizeFilter")?;
            Ok(InstrumentInfo {
                symbol: str_field(i, "symbol")?.to_owned(),
                tick_size: opt_decimal(field(i, "priceFilter")?, "tickSize")?,
                // Spot gives `basePrecision`; linear and inverse `qtyStep`.
                lot_size: opt_decimal(lot, "basePrecision")?.or(opt_decimal(lot, "qtyStep")?),
                min_size: opt_decimal(lot, "minOrderQty")?,
                quote: opt_str(i, "quoteCoin"),
                ..InstrumentInfo::default()
            })
        }),
        // One product, the Advanced Trade list `{"products": [...]}`, or the Exchange's array.
        Venue::Coinbase | Venue::CoinbaseExchange => {
            let id = if venue == Venue::Coinbase { "product_id" } else { "id" };
            let list = root.get("products").unwrap_or(root);
            one_or_each(list, "products", |p| coinbase_product(p, id))
        }
        // `[[[pair, [_, _, _, min_order_size, max_order_size, ...]], ...]]`; book symbols are
        // `t` + pair.
        Venue::Bitfinex => {
            let outer = root.as_array().ok_or(DecodeError::WrongType("pairs"))?;
            let pairs = outer.get(0).ok_or(DecodeError::MissingField("pairs"))?;
            each(pairs, "pairs", |entry| {
                let entry = entry.as_array().ok_or(DecodeError::WrongType("pair"))?;
                let name = entry
                    .get(0)
                    .and_then(|n| n.into_string())
                    .ok_or(DecodeError::WrongType("pair"))?;
                let details = entry.get(1).and_then(|d| d.as_array());
                let min = details.and_then(|d| d.get(3)).filter(|m| !m.is_null());
                // `BTCUSD`, or `TESTBTC:TESTUSD` for longer symbols.
                let quote = match name.split_once(':') {
                    Some((_, quote)) => quote.to_owned(),
                    None => name.get(name.len().saturating_sub(3)..).unwrap_or_default().to_owned(),
                };
                Ok(InstrumentInfo {
                    symbol: format!("t{name}"),
                    min_size: min.map(|m| decimal(m, "min_order_size")).transpose()?,
                    quote: Some(quote).filter(|q| !q.is_empty()),
                    ..InstrumentInfo::default()
                })
            })
        }
        // `get_instrument`'s one, or `get_instruments`' list, under `result`.
        Venue::Deribit => one_or_each(field(root, "result")?, "result", deribit_instrument),
        // One pair or contract, or the list of every one of the market.
        Venue::GateIo => one_or_each(root, "pairs", gateio_pair),
        Venue::Bitget => each(field(root, "data")?, "data", |i| {
            let keys =
                ["symbol", "minTradeAmount", "pricePrecision", "quantityPrecision", "quoteCoin"];
            by_precisions(i, keys)
        }),
        Venue::Htx => each(field(root, "data")?, "data", |i| {
            let keys = [
                "symbol",
                "min-order-amt",
                "price-precision",
                "amount-precision",
                "quote-currency",
            ];
            by_precisions(i, keys)
        }),
    }
}

/// A Coinbase product, its symbol under `id` (`product_id` on Advanced Trade, `id` on the
/// Exchange).
fn coinbase_product(p: Json<'_, '_>, id: &'static str) -> Result<InstrumentInfo, DecodeError> {
    Ok(InstrumentInfo {
        symbol: str_field(p, id)?.to_owned(),
        tick_size: opt_decimal(p, "quote_increment")?,
        lot_size: opt_decimal(p, "base_increment")?,
        min_size: opt_decimal(p, "base_min_size")?,
        quote: opt_str(p, "quote_currency_id").or_else(|| opt_str(p, "quote_currency")),
        ..InstrumentInfo::default()
    })
}

/// A Deribit instrument (the minimum trade amount is also its lot).
fn deribit_instrument(r: Json<'_, '_>) -> Result<InstrumentInfo, DecodeError> {
    Ok(InstrumentInfo {
        symbol: str_field(r, "instrument_name")?.to_owned(),
        tick_size: opt_decimal(r, "tick_size")?,
        lot_size: opt_decimal(r, "min_trade_amount")?,
        min_size: opt_decimal(r, "min_trade_amount")?,
        contract_size: opt_decimal(r, "contract_size")?,
        quote: opt_str(r, "quote_currency"),
        ..InstrumentInfo::default()
    })
}

/// A Gate.io spot pair (decimals) or USDT futures contract (`name`; sizes count contracts of
/// `quanto_multiplier` base units).
fn gateio_pair(p: Json<'_, '_>) -> Result<InstrumentInfo, DecodeError> {
    if p.get("name").is_none() {
        return by_precisions(
            p,
            ["id", "min_base_amount", "precision", "amount_precision", "quote"],
        );
    }
    let name = str_field(p, "name")?;
    Ok(InstrumentInfo {
        symbol: name.to_owned(),
        quote: name.rsplit_once('_').map(|(_, quote)| quote.to_owned()),
        tick_size: opt_decimal(p, "order_price_round")?,
        lot_size: Some(Decimal::ONE),
        min_size: opt_decimal(p, "order_size_min")?,
        contract_size: opt_decimal(p, "quanto_multiplier")?,
        ..InstrumentInfo::default()
    })
}

/// An instrument described by decimals rather than steps (Gate.io spot, Bitget, HTX): the keys
/// of its symbol, minimum size, price decimals, size decimals and quote currency.
fn by_precisions(i: Json<'_, '_>, keys: [&'static str; 5]) -> Result<InstrumentInfo, DecodeError> {
    let [symbol, min, price, qty, quote] = keys;
    Ok(InstrumentInfo {
        symbol: str_field(i, symbol)?.to_owned(),
        quote: opt_str(i, quote),
        min_size: opt_decimal(i, min)?,
        price_precision: opt_u32(i, price)?,
        qty_precision: opt_u32(i, qty)?,
        ..InstrumentInfo::default()
    })
}

/// A Kraken REST `wsname` (`XBT/USD`, `XDG/EUR`) as WebSocket v2 spells the pair (`BTC/USD`,
/// `DOGE/EUR`).
fn kraken_v2_spelling(wsname: &str) -> String {
    let asset = |a: &str| match a {
        "XBT" => "BTC".to_owned(),
        "XDG" => "DOGE".to_owned(),
        other => other.to_owned(),
    };
    match wsname.split_once('/') {
        Some((base, quote)) => format!("{}/{}", asset(base), asset(quote)),
        None => wsname.to_owned(),
    }
}

/// Binance `exchangeInfo`: `symbols[]` with `filters[]` by `filterType`.
fn binance(root: Json<'_, '_>, usdm: bool) -> Result<Vec<InstrumentInfo>, DecodeError> {
    each(field(root, "symbols")?, "symbols", |s| {
        let mut info = InstrumentInfo {
            symbol: str_field(s, "symbol")?.to_owned(),
            contract_size: usdm.then_some(Decimal::ONE),
            quote: opt_str(s, "quoteAsset"),
            ..InstrumentInfo::default()
        };
        let filters = field(s, "filters")?.as_array().ok_or(DecodeError::WrongType("filters"))?;
        for filter in filters.iter() {
            match str_field(filter, "filterType")? {
                "PRICE_FILTER" => info.tick_size = opt_decimal(filter, "tickSize")?,
                "LOT_SIZE" => {
                    info.lot_size = opt_decimal(filter, "stepSize")?;
                    info.min_size = opt_decimal(filter, "minQty")?;
                }
                _ => {}
            }
        }
        Ok(info)
    })
}

/// `value` read by `f` if it is one object, or each of its elements if it is an array (the
/// venues whose per-symbol endpoint and list endpoint describe instruments alike).
fn one_or_each(
    value: Json<'_, '_>,
    what: &'static str,
    f: impl FnMut(Json<'_, '_>) -> Result<InstrumentInfo, DecodeError>,
) -> Result<Vec<InstrumentInfo>, DecodeError> {
    if value.as_array().is_some() {
        each(value, what, f)
    } else {
        let mut f = f;
        Ok(vec![f(value)?])
    }
}

/// Every element of the array `list` (named `what` in errors), read by `f`.
fn each(
    list: Json<'_, '_>,
    what: &'static str,
    mut f: impl FnMut(Json<'_, '_>) -> Result<InstrumentInfo, DecodeError>,
) -> Result<Vec<InstrumentInfo>, DecodeError> {
    let items = list.as_array().ok_or(DecodeError::WrongType(what))?;
    items.iter().map(&mut f).collect()
}

/// A decimal from a number's text; an empty string (OKX's `ctVal` for spot) or null is `None`.
/// A string field, absent or empty as `None`.
fn opt_str(obj: Json<'_, '_>, key: &'static str) -> Option<String> {
    obj.get(key).and_then(|v| v.into_string()).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn opt_decimal(obj: Json<'_, '_>, key: &'static str) -> Result<Option<Decimal>, DecodeError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() || v.into_string() == Some("") => Ok(None),
        Some(v) => decimal(v, key).map(Some),
    }
}

fn decimal(v: Json<'_, '_>, key: &'static str) -> Result<Decimal, DecodeError> {
    let text = v.into_string().ok_or(DecodeError::WrongType(key))?;
    // Exact only: a text with more digits than a Decimal holds is refused, never rounded.
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map_err(|_| DecodeError::WrongType(key))
}

fn opt_u32(obj: Json<'_, '_>, key: &'static str) -> Result<Option<u32>, DecodeError> {
    match obj.get(key) {
        None => Ok(None),
        Some(v) if v.is_null() => Ok(None),
        Some(v) => {
            u32::try_from(as_int(v, key)?).map(Some).map_err(|_| DecodeError::BadInteger(key))
        }
    }
}
