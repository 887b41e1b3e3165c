//! Instrument metadata over REST: where each venue publishes it, and one fetch per feed start
//! (never on the ingest path). The bodies are read by
//! [`depthbook_venues::parse_instruments`].

use std::time::Duration;

use depthbook_venues::{InstrumentInfo, Venue, parse_instruments};

use crate::error::NetError;
use crate::protocol::{Market, Protocol, check_symbol};

/// Largest instruments body accepted (Kraken's and HTX's list every pair: about 1 MB).
const MAX_BODY_BYTES: usize = 8 << 20;
/// Largest list of every instrument accepted (Binance's `exchangeInfo` is about 15 MB).
const MAX_LIST_BYTES: usize = 64 << 20;

/// The production REST base a venue's instruments endpoint lives under.
pub fn instruments_base(venue: Venue) -> &'static str {
    match venue {
        Venue::BinanceSpot => "https://api.binance.com",
        Venue::BinanceUsdm => "https://fapi.binance.com",
        Venue::Okx => "https://www.okx.com",
        Venue::Kraken | Venue::KrakenV1 => "https://api.kraken.com",
        Venue::Bybit => "https://api.bybit.com",
        Venue::Coinbase => "https://api.coinbase.com",
        Venue::CoinbaseExchange => "https://api.exchange.coinbase.com",
        Venue::Bitfinex => "https://api-pub.bitfinex.com",
        Venue::Deribit => "https://www.deribit.com",
        Venue::GateIo => "https://api.gateio.ws",
        Venue::Bitget => "https://api.bitget.com",
        Venue::Htx => "https://api.huobi.pro",
    }
}

impl Protocol {
    /// The path (and query) of `symbol`'s instruments endpoint, or of the venue's list of every
    /// instrument where it has no per-symbol one.
    pub fn instruments_path(&self, symbol: &str) -> Option<String> {
        Some(match (self.venue, self.market) {
            (Venue::BinanceSpot, _) => format!("/api/v3/exchangeInfo?symbol={symbol}"),
            (Venue::BinanceUsdm, _) => "/fapi/v1/exchangeInfo".to_owned(),
            (Venue::Okx, _) => {
                format!("/api/v5/public/instruments?instType={}&instId={symbol}", okx_type(symbol))
            }
            (Venue::Kraken | Venue::KrakenV1, _) => "/0/public/AssetPairs".to_owned(),
            (Venue::Bybit, _) => {
                format!("/v5/market/instruments-info?category=spot&symbol={symbol}")
            }
            (Venue::Coinbase, _) => format!("/api/v3/brokerage/market/products/{symbol}"),
            (Venue::CoinbaseExchange, _) => format!("/products/{symbol}"),
            (Venue::Bitfinex, _) => "/v2/conf/pub:info:pair".to_owned(),
            (Venue::Deribit, _) => {
                format!("/api/v2/public/get_instrument?instrument_name={symbol}")
            }
            (Venue::GateIo, Market::UsdtFutures) => {
                format!("/api/v4/futures/usdt/contracts/{symbol}")
            }
            (Venue::GateIo, Market::Spot) => format!("/api/v4/spot/currency_pairs/{symbol}"),
            (Venue::Bitget, _) => format!("/api/v2/spot/public/symbols?symbol={symbol}"),
            (Venue::Htx, _) => "/v1/common/symbols".to_owned(),
        })
    }
}

impl Protocol {
    /// The path of the endpoint that lists every instrument of this market. Every venue has
    /// one; Deribit's lists futures and options of every currency (it allows one such request
    /// a second, which one fetch at a feed's start keeps).
    pub fn instruments_list_path(&self) -> &'static str {
        match (self.venue, self.market) {
            (Venue::BinanceSpot, _) => "/api/v3/exchangeInfo",
            (Venue::BinanceUsdm, _) => "/fapi/v1/exchangeInfo",
            (Venue::Okx, _) => "/api/v5/public/instruments?instType=SPOT",
            (Venue::Kraken | Venue::KrakenV1, _) => "/0/public/AssetPairs",
            (Venue::Bybit, _) => "/v5/market/instruments-info?category=spot",
            (Venue::Coinbase, _) => "/api/v3/brokerage/market/products",
            (Venue::CoinbaseExchange, _) => "/products",
            (Venue::Bitfinex, _) => "/v2/conf/pub:info:pair",
            (Venue::Deribit, _) => "/api/v2/public/get_instruments?currency=any",
            (Venue::GateIo, Market::UsdtFutures) => "/api/v4/futures/usdt/contracts",
            (Venue::GateIo, Market::Spot) => "/api/v4/spot/currency_pairs",
            (Venue::Bitget, _) => "/api/v2/spot/public/symbols",
            (Venue::Htx, _) => "/v1/common/symbols",
        }
    }
}

/// OKX's `instType` for an instrument id: `BTC-USDT-SWAP` is a swap, `BTC-USD-240628` a future,
/// anything else spot.
fn okx_type(symbol: &str) -> &'static str {
    let parts: Vec<&str> = symbol.split('-').collect();
    match parts.as_slice() {
        [.., "SWAP"] => "SWAP",
        [_, _, expiry] if expiry.bytes().all(|b| b.is_ascii_digit()) => "FUTURES",
        _ => "SPOT",
    }
}

/// Fetches the metadata of `symbols` from `base` (the venue's production host unless
/// overridden: a testnet, the loopback server), one request per symbol or one for venues that
/// list every instrument at once, on a short-lived runtime of its own. Symbols the venue does
/// not list (absent from a list, or refused with 400 or 404 by a per-symbol endpoint) are
/// missing from the answer.
///
/// # Errors
/// A bad symbol or URL, a request that fails or times out, a status other than success, or a
/// body that is not the venue's shape.
pub fn fetch_instruments(
    protocol: &Protocol,
    symbols: &[String],
    base: Option<&str>,
    timeout: Duration,
) -> Result<Vec<InstrumentInfo>, NetError> {
    for symbol in symbols {
        check_symbol(symbol)?;
    }
    let mut paths: Vec<String> =
        symbols.iter().filter_map(|s| protocol.instruments_path(s)).collect();
    paths.dedup();
    fetch(protocol, &paths, Some(symbols), base, timeout)
}

/// Every instrument the venue lists for this market (its list endpoint:
/// [`Protocol::instruments_list_path`]), only those quoted in `quote` if one is given (compared
/// without case: `usdt` is `USDT`), in the venue's order; symbols depthbook cannot subscribe
/// (not plain names) are left out.
///
/// # Errors
/// What [`fetch_instruments`] fails with.
pub fn fetch_all_instruments(
    protocol: &Protocol,
    quote: Option<&str>,
    base: Option<&str>,
    timeout: Duration,
) -> Result<Vec<InstrumentInfo>, NetError> {
    let path = protocol.instruments_list_path();
    let mut all = fetch(protocol, &[path.to_owned()], None, base, timeout)?;
    all.retain(|info| {
        check_symbol(&info.symbol).is_ok()
            && quote
                .is_none_or(|q| info.quote.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(q)))
    });
    Ok(all)
}

/// Gets each of `paths` from `base` and reads its instruments (only `symbols`, if given), on a
/// short-lived runtime of its own.
fn fetch(
    protocol: &Protocol,
    paths: &[String],
    symbols: Option<&[String]>,
    base: Option<&str>,
    timeout: Duration,
) -> Result<Vec<InstrumentInfo>, NetError> {
    let base = base.unwrap_or(instruments_base(protocol.venue)).trim_end_matches('/');
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(NetError::Runtime)?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls((*crate::tls::client_config()?).clone())
        .timeout(timeout)
        .build()?;
    let mut out: Vec<InstrumentInfo> = Vec::new();
    for path in paths {
        let url = format!("{base}{path}");
        let max_body = if symbols.is_some() { MAX_BODY_BYTES } else { MAX_LIST_BYTES };
        let failed = |e: reqwest::Error| NetError::Instruments(format!("{url}: {e}"));
        let body = runtime.block_on(async {
            let response = client.get(&url).send().await.map_err(failed)?;
            let status = response.status();
            // A per-symbol endpoint refuses a symbol it does not list: that symbol is absent.
            if status == reqwest::StatusCode::BAD_REQUEST
                || status == reqwest::StatusCode::NOT_FOUND
            {
                return Ok(None);
            }
            if !status.is_success() {
                return Err(NetError::Instruments(format!("{url}: HTTP {status}")));
            }
            if response.content_length().is_some_and(|n| n > max_body as u64) {
                return Err(NetError::Instruments(format!("{url}: body too large")));
            }
            Ok(Some(response.bytes().await.map_err(failed)?))
        })?;
        let Some(body) = body else { continue };
        if body.len() > max_body {
            return Err(NetError::Instruments(format!("{url}: body too large")));
        }
        let infos = parse_instruments(protocol.venue, &body, symbols)
            .map_err(|e| NetError::Instruments(format!("{url}: {e}")))?;
        for info in infos {
            if !out.iter().any(|known| known.symbol == info.symbol) {
                out.push(info);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_venue_names_its_endpoint() {
        let path = |venue, symbol: &str| Protocol::of(venue).instruments_path(symbol);
        assert_eq!(
            path(Venue::BinanceSpot, "BTCUSDT").as_deref(),
            Some("/api/v3/exchangeInfo?symbol=BTCUSDT")
        );
        assert_eq!(
            path(Venue::Okx, "BTC-USDT-SWAP").as_deref(),
            Some("/api/v5/public/instruments?instType=SWAP&instId=BTC-USDT-SWAP")
        );
        assert!(path(Venue::Okx, "BTC-USD-240628").unwrap().contains("instType=FUTURES"));
        assert!(path(Venue::Okx, "BTC-USDT").unwrap().contains("instType=SPOT"));
        assert_eq!(path(Venue::Kraken, "BTC/USD").as_deref(), Some("/0/public/AssetPairs"));
        let futures = Protocol::of_market(Venue::GateIo, Market::UsdtFutures).unwrap();
        assert_eq!(
            futures.instruments_path("BTC_USDT").as_deref(),
            Some("/api/v4/futures/usdt/contracts/BTC_USDT")
        );
        for venue in Venue::ALL {
            assert!(instruments_base(venue).starts_with("https://"));
        }
        let list = |venue| Protocol::of(venue).instruments_list_path();
        assert_eq!(list(Venue::BinanceSpot), "/api/v3/exchangeInfo");
        assert_eq!(list(Venue::Okx), "/api/v5/public/instruments?instType=SPOT");
        assert_eq!(list(Venue::Deribit), "/api/v2/public/get_instruments?currency=any");
        assert_eq!(list(Venue::GateIo), "/api/v4/spot/currency_pairs");
        assert_eq!(
            futures.instruments_list_path(),
            "/api/v4/futures/usdt/contracts",
            "Gate.io lists each market's own"
        );
    }

    #[test]
    fn bad_symbols_are_refused_before_any_request() {
        let got = fetch_instruments(
            &Protocol::of(Venue::Okx),
            &["BTC-USDT&x=1 ".to_owned()],
            Some("http://127.0.0.1:9"),
            Duration::from_secs(1),
        );
        assert!(matches!(got, Err(NetError::BadSymbol(_))));
    }
}
