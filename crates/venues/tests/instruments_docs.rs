//! Docs-only: each venue's instruments endpoint, on a body in the shape its API reference
//! documents (field names and types as documented; values of a real instrument, trimmed to
//! the fields that matter). No instruments body was recorded in the samples.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_venues::{InstrumentInfo, Venue, parse_instruments};
use rust_decimal::Decimal;

fn d(text: &str) -> Option<Decimal> {
    Some(Decimal::from_str_exact(text).unwrap())
}

fn one(venue: Venue, body: &str) -> InstrumentInfo {
    let mut all = parse_instruments(venue, body.as_bytes(), None).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

#[test]
fn docs_only_binance_exchange_info_filters() {
    let body = r#"{"timezone":"UTC","symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","baseAssetPrecision":8,"filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},{"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},{"filterType":"NOTIONAL","minNotional":"5.00000000"}]}]}"#;
    let info = one(Venue::BinanceSpot, body);
    assert_eq!(
        info,
        InstrumentInfo {
            symbol: "BTCUSDT".into(),
            tick_size: d("0.01000000"),
            lot_size: d("0.00001000"),
            min_size: d("0.00001000"),
            contract_size: None,
            price_precision: Some(2),
            qty_precision: Some(5),
            quote: Some("USDT".into()),
        }
    );
    // USD-M lists every symbol: the feed's are kept; a contract is one unit.
    let usdm = r#"{"symbols":[{"symbol":"BTCUSDT","pricePrecision":2,"filters":[{"filterType":"PRICE_FILTER","tickSize":"0.10"},{"filterType":"LOT_SIZE","stepSize":"0.001","minQty":"0.001"}]},{"symbol":"ETHUSDT","filters":[]}]}"#;
    let kept =
        parse_instruments(Venue::BinanceUsdm, usdm.as_bytes(), Some(&["BTCUSDT".into()])).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((kept[0].tick_size, kept[0].contract_size), (d("0.10"), Some(Decimal::ONE)));
    assert_eq!(kept[0].price_precision, Some(1), "from the tick, trailing zeros aside");
}

#[test]
fn docs_only_okx_instruments() {
    let body = r#"{"code":"0","msg":"","data":[{"instType":"SWAP","instId":"BTC-USDT-SWAP","tickSz":"0.1","lotSz":"0.01","minSz":"0.01","ctVal":"0.01","ctValCcy":"BTC","quoteCcy":"","settleCcy":"USDT"}]}"#;
    let info = one(Venue::Okx, body);
    assert_eq!(
        (info.tick_size, info.lot_size, info.contract_size),
        (d("0.1"), d("0.01"), d("0.01"))
    );
    assert_eq!(info.quote.as_deref(), Some("USDT"), "a swap settles in its quote");
    let spot = r#"{"code":"0","data":[{"instType":"SPOT","instId":"BTC-USDT","tickSz":"0.1","lotSz":"0.00000001","minSz":"0.00001","ctVal":"","quoteCcy":"USDT","settleCcy":""}]}"#;
    let info = one(Venue::Okx, spot);
    assert_eq!((info.contract_size, info.qty_precision), (None, Some(8)));
    assert_eq!(info.quote.as_deref(), Some("USDT"));
}

#[test]
fn docs_only_kraken_instrument_channel_and_asset_pairs() {
    let v2 = r#"{"channel":"instrument","type":"snapshot","data":{"assets":[],"pairs":[{"symbol":"BTC/USD","base":"BTC","quote":"USD","status":"online","qty_precision":8,"qty_increment":0.00000001,"price_precision":1,"price_increment":0.1,"qty_min":0.0001}]}}"#;
    let info = one(Venue::Kraken, v2);
    assert_eq!(
        (info.tick_size, info.lot_size, info.min_size, info.price_precision),
        (d("0.1"), d("0.00000001"), d("0.0001"), Some(1))
    );
    assert_eq!(info.quote.as_deref(), Some("USD"));
    let v1 = r#"{"error":[],"result":{"XXBTZUSD":{"altname":"XBTUSD","wsname":"XBT/USD","pair_decimals":1,"lot_decimals":8,"ordermin":"0.0001","tick_size":"0.1"}}}"#;
    let info = one(Venue::KrakenV1, v1);
    assert_eq!((info.symbol.as_str(), info.quote.as_deref()), ("XBT/USD", Some("USD")));
    // The same body for a v2 feed, whose pairs are spelled BTC/USD.
    let v2 = parse_instruments(Venue::Kraken, v1.as_bytes(), Some(&["BTC/USD".into()])).unwrap();
    assert_eq!((v2[0].symbol.as_str(), v2[0].tick_size), ("BTC/USD", d("0.1")));
    assert_eq!(
        (info.tick_size, info.lot_size, info.min_size),
        (d("0.1"), d("0.00000001"), d("0.0001"))
    );
}

#[test]
fn docs_only_bybit_instruments_info() {
    let body = r#"{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","lotSizeFilter":{"basePrecision":"0.000001","quotePrecision":"0.00000001","minOrderQty":"0.000048","maxOrderQty":"71.73956243"},"priceFilter":{"tickSize":"0.01"}}]}}"#;
    let info = one(Venue::Bybit, body);
    assert_eq!(
        (info.tick_size, info.lot_size, info.min_size),
        (d("0.01"), d("0.000001"), d("0.000048"))
    );
}

#[test]
fn docs_only_coinbase_products() {
    let advanced = r#"{"product_id":"BTC-USD","price":"140.21","base_increment":"0.00000001","quote_increment":"0.01","base_min_size":"0.0001"}"#;
    let info = one(Venue::Coinbase, advanced);
    assert_eq!(
        (info.symbol.as_str(), info.tick_size, info.qty_precision),
        ("BTC-USD", d("0.01"), Some(8))
    );
    let exchange = r#"{"id":"ETH-USD","base_currency":"ETH","quote_currency":"USD","quote_increment":"0.01","base_increment":"0.00000001","base_min_size":"0.00022"}"#;
    assert_eq!(one(Venue::CoinbaseExchange, exchange).min_size, d("0.00022"));
}

#[test]
fn docs_only_bitfinex_pair_info_gives_minimum_sizes_only() {
    let body = r#"[[["BTCUSD",[null,null,null,"0.00004","2000.0",null,null,null,0.2,0.1]],["ETHUSD",[null,null,null,"0.0008","5000.0",null,null,null,0.2,0.1]]]]"#;
    let all =
        parse_instruments(Venue::Bitfinex, body.as_bytes(), Some(&["tBTCUSD".into()])).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!((all[0].min_size, all[0].tick_size), (d("0.00004"), None));
}

#[test]
fn docs_only_deribit_get_instrument() {
    let body = r#"{"jsonrpc":"2.0","result":{"instrument_name":"BTC-PERPETUAL","kind":"future","tick_size":0.5,"contract_size":10,"min_trade_amount":10},"usIn":1,"usOut":2}"#;
    let info = one(Venue::Deribit, body);
    assert_eq!(
        (info.tick_size, info.contract_size, info.min_size, info.price_precision),
        (d("0.5"), d("10"), d("10"), Some(1))
    );
}

#[test]
fn docs_only_gateio_currency_pair_and_futures_contract() {
    let spot = r#"{"id":"ETH_USDT","base":"ETH","quote":"USDT","fee":"0.2","min_base_amount":"0.001","min_quote_amount":"1.0","amount_precision":3,"precision":6,"trade_status":"tradable"}"#;
    let info = one(Venue::GateIo, spot);
    assert_eq!(
        (info.tick_size, info.lot_size, info.min_size),
        (d("0.000001"), d("0.001"), d("0.001"))
    );
    let futures = r#"{"name":"BTC_USDT","type":"direct","quanto_multiplier":"0.0001","order_price_round":"0.1","mark_price_round":"0.01","order_size_min":1,"order_size_max":1000000}"#;
    let info = one(Venue::GateIo, futures);
    assert_eq!(
        (info.tick_size, info.lot_size, info.min_size, info.contract_size),
        (d("0.1"), Some(Decimal::ONE), d("1"), d("0.0001"))
    );
}

#[test]
fn docs_only_bitget_and_htx_symbols() {
    let bitget = r#"{"code":"00000","msg":"success","requestTime":1695808949356,"data":[{"symbol":"BTCUSDT","baseCoin":"BTC","quoteCoin":"USDT","minTradeAmount":"0","pricePrecision":"2","quantityPrecision":"6","status":"online"}]}"#;
    let info = one(Venue::Bitget, bitget);
    assert_eq!((info.tick_size, info.lot_size), (d("0.01"), d("0.000001")));
    let htx = r#"{"status":"ok","data":[{"base-currency":"btc","quote-currency":"usdt","price-precision":2,"amount-precision":6,"symbol":"btcusdt","state":"online","min-order-amt":0.0001},{"symbol":"ethusdt","price-precision":2,"amount-precision":4}]}"#;
    let all = parse_instruments(Venue::Htx, htx.as_bytes(), Some(&["btcusdt".into()])).unwrap();
    assert_eq!((all[0].tick_size, all[0].min_size), (d("0.01"), d("0.0001")));
}

#[test]
fn bodies_in_the_wrong_shape_are_typed_errors() {
    for venue in Venue::ALL {
        assert!(parse_instruments(venue, b"not json", None).is_err(), "{venue}");
        assert!(parse_instruments(venue, b"{\"data\":7,\"symbols\":7}", None).is_err(), "{venue}");
    }
    // A number with more digits than an exact decimal holds is refused, never rounded.
    let long = r#"{"code":"0","data":[{"instId":"X","tickSz":"0.12345678901234567890123456789"}]}"#;
    assert!(parse_instruments(Venue::Okx, long.as_bytes(), None).is_err());
}

/// The list endpoints `symbols = "all"` reads, in their documented shapes: Coinbase Advanced
/// Trade `{"products": [...]}` and the Exchange's array, Deribit `get_instruments`' `result`
/// array, Gate.io's arrays of pairs and of contracts. Each element reads as the venue's
/// one-instrument answer does.
#[test]
fn docs_only_lists_of_every_instrument() {
    let symbols = |venue, body: &str| -> Vec<(String, Option<String>)> {
        let all = parse_instruments(venue, body.as_bytes(), None).unwrap();
        all.into_iter().map(|i| (i.symbol, i.quote)).collect()
    };
    let pair = |s: &str, q: &str| (s.to_owned(), Some(q.to_owned()));
    let advanced = r#"{"products":[{"product_id":"BTC-USD","quote_currency_id":"USD","base_increment":"0.00000001","quote_increment":"0.01","base_min_size":"0.00000001"},{"product_id":"ETH-USDC","quote_currency_id":"USDC","base_increment":"0.00000001","quote_increment":"0.01"}],"num_products":2}"#;
    assert_eq!(
        symbols(Venue::Coinbase, advanced),
        [pair("BTC-USD", "USD"), pair("ETH-USDC", "USDC")]
    );
    let exchange = r#"[{"id":"ETH-USD","quote_currency":"USD","quote_increment":"0.01","base_increment":"0.00000001"},{"id":"BTC-EUR","quote_currency":"EUR","quote_increment":"0.01","base_increment":"0.00000001"}]"#;
    assert_eq!(
        symbols(Venue::CoinbaseExchange, exchange),
        [pair("ETH-USD", "USD"), pair("BTC-EUR", "EUR")]
    );
    let deribit = r#"{"jsonrpc":"2.0","result":[{"instrument_name":"BTC-PERPETUAL","kind":"future","quote_currency":"USD","tick_size":0.5,"contract_size":10,"min_trade_amount":10},{"instrument_name":"ETH-27MAR26-3000-C","kind":"option","quote_currency":"ETH","tick_size":0.0001,"contract_size":1,"min_trade_amount":1}],"usIn":1,"usOut":2}"#;
    let all = parse_instruments(Venue::Deribit, deribit.as_bytes(), None).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!((all[1].symbol.as_str(), all[1].tick_size), ("ETH-27MAR26-3000-C", d("0.0001")));
    let gate_spot = r#"[{"id":"ETH_USDT","base":"ETH","quote":"USDT","min_base_amount":"0.001","amount_precision":3,"precision":2},{"id":"BTC_BTC3L","quote":"BTC3L","amount_precision":4,"precision":8}]"#;
    let all = parse_instruments(Venue::GateIo, gate_spot.as_bytes(), None).unwrap();
    assert_eq!((all[0].tick_size, all[1].tick_size), (d("0.01"), d("0.00000001")));
    let gate_futures = r#"[{"name":"BTC_USDT","quanto_multiplier":"0.0001","order_price_round":"0.1","order_size_min":1},{"name":"ETH_USDT","quanto_multiplier":"0.01","order_price_round":"0.01","order_size_min":1}]"#;
    assert_eq!(
        symbols(Venue::GateIo, gate_futures),
        [pair("BTC_USDT", "USDT"), pair("ETH_USDT", "USDT")]
    );
}
