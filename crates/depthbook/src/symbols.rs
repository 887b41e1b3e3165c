//! Normalized symbols: one spelling of an instrument across venues (`BTC/USDT` for Binance's
//! `BTCUSDT`, OKX's `BTC-USDT`, Gate.io's `BTC_USDT`, HTX's `btcusdt`; `BTC/USD` for Kraken's
//! `XBT/USD` and Bitfinex's `tBTCUSD`), so a strategy can line up books of several venues.
//! Derivatives keep the venue's contract suffix after a colon (`BTC/USDT:SWAP`,
//! `BTC/USD:220527`, `BTC/USD:PERPETUAL`).
//!
//! Venues that write base and quote together (Binance, Bybit, Bitget, HTX) are split at the
//! longest known quote currency that ends the symbol; a symbol that ends in none is `None`
//! rather than a guess.
//!
//! ```
//! use depthbook::{Venue, symbols::normalized};
//!
//! // The books of one instrument on three venues, lined up by name.
//! let spellings =
//!     [(Venue::BinanceSpot, "BTCUSDT"), (Venue::Okx, "BTC-USDT"), (Venue::Htx, "btcusdt")];
//! assert!(spellings.iter().all(|&(v, s)| normalized(v, s).as_deref() == Some("BTC/USDT")));
//! // No known quote currency ends `ABCXYZ`: no guess.
//! assert_eq!(normalized(Venue::BinanceSpot, "ABCXYZ"), None);
//! ```

use depthbook_venues::Venue;

/// Quote currencies recognised at the end of a concatenated symbol, longest first so that
/// `USDT` wins over `USD`.
const QUOTES: [&str; 20] = [
    "FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDE", "EURI", "DAI", "USD", "EUR", "GBP", "JPY",
    "TRY", "BRL", "AUD", "BTC", "ETH", "BNB", "SOL", "XRP",
];

/// The normalized spelling of `symbol` as `venue` spells it; `None` where it cannot be told.
///
/// ```
/// use depthbook::{Venue, symbols::normalized};
///
/// assert_eq!(normalized(Venue::BinanceSpot, "BTCUSDT").as_deref(), Some("BTC/USDT"));
/// assert_eq!(normalized(Venue::Okx, "BTC-USDT"), normalized(Venue::GateIo, "BTC_USDT"));
/// assert_eq!(normalized(Venue::KrakenV1, "XBT/USD").as_deref(), Some("BTC/USD"));
/// assert_eq!(normalized(Venue::Okx, "BTC-USDT-SWAP").as_deref(), Some("BTC/USDT:SWAP"));
/// ```
pub fn normalized(venue: Venue, symbol: &str) -> Option<String> {
    let upper = symbol.to_ascii_uppercase();
    let (base, quote, suffix) = match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm | Venue::Bybit | Venue::Bitget | Venue::Htx => {
            let (pair, suffix) =
                upper.split_once('_').map_or((upper.as_str(), None), |(p, s)| (p, Some(s)));
            let (base, quote) = split_concatenated(pair)?;
            (base, quote, suffix.map(str::to_owned))
        }
        Venue::Okx | Venue::Coinbase | Venue::CoinbaseExchange => {
            let mut parts = upper.splitn(3, '-');
            let (base, quote) = (parts.next()?, parts.next()?);
            (base, quote, parts.next().map(str::to_owned))
        }
        Venue::GateIo => {
            let (base, quote) = upper.split_once('_')?;
            (base, quote, None)
        }
        Venue::Kraken | Venue::KrakenV1 => {
            let (base, quote) = upper.split_once('/')?;
            (base, quote, None)
        }
        Venue::Bitfinex => {
            let pair = symbol.strip_prefix('t')?;
            match pair.split_once(':') {
                Some((base, quote)) => (base, quote, None),
                None if pair.len() == 6 => (&pair[..3], &pair[3..], None),
                None => return None,
            }
        }
        Venue::Deribit => {
            // `BTC-PERPETUAL` (inverse, USD), `ETH_USDC-PERPETUAL` (linear), options and futures.
            let (underlying, contract) = upper.split_once('-')?;
            let (base, quote) = underlying.split_once('_').unwrap_or((underlying, "USD"));
            (base, quote, Some(contract.to_owned()))
        }
    };
    if base.is_empty() || quote.is_empty() {
        return None;
    }
    let name = format!("{}/{}", alias(base), alias(quote));
    Some(match suffix {
        Some(suffix) => format!("{name}:{suffix}"),
        None => name,
    })
}

/// Base and quote of a symbol written without a separator.
fn split_concatenated(pair: &str) -> Option<(&str, &str)> {
    QUOTES.iter().find_map(|quote| {
        let base = pair.strip_suffix(quote)?;
        (!base.is_empty()).then_some((base, &pair[base.len()..]))
    })
}

/// Venue-specific currency codes in their common spelling.
fn alias(code: &str) -> &str {
    match code {
        "XBT" => "BTC",
        "XDG" => "DOGE",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_across_venues() {
        for (venue, symbol, want) in [
            (Venue::BinanceSpot, "BTCUSDT", Some("BTC/USDT")),
            (Venue::BinanceSpot, "ETHBTC", Some("ETH/BTC")),
            (Venue::BinanceUsdm, "BTCUSDT", Some("BTC/USDT")),
            (Venue::BinanceUsdm, "BTCUSDT_240628", Some("BTC/USDT:240628")),
            (Venue::Bybit, "BTCUSDC", Some("BTC/USDC")),
            (Venue::Bitget, "BTCUSDT", Some("BTC/USDT")),
            (Venue::Htx, "btcusdt", Some("BTC/USDT")),
            (Venue::Okx, "BTC-USDT", Some("BTC/USDT")),
            (Venue::Okx, "BTC-USDT-SWAP", Some("BTC/USDT:SWAP")),
            (Venue::Okx, "BTC-USD-220527", Some("BTC/USD:220527")),
            (Venue::Coinbase, "BTC-USD", Some("BTC/USD")),
            (Venue::CoinbaseExchange, "BAND-GBP", Some("BAND/GBP")),
            (Venue::GateIo, "BTC_USDT", Some("BTC/USDT")),
            (Venue::Kraken, "BTC/USD", Some("BTC/USD")),
            (Venue::KrakenV1, "XBT/USD", Some("BTC/USD")),
            (Venue::KrakenV1, "XDG/EUR", Some("DOGE/EUR")),
            (Venue::Bitfinex, "tBTCUSD", Some("BTC/USD")),
            (Venue::Bitfinex, "tTESTBTC:TESTUSD", Some("TESTBTC/TESTUSD")),
            (Venue::Deribit, "BTC-PERPETUAL", Some("BTC/USD:PERPETUAL")),
            (Venue::Deribit, "ETH_USDC-PERPETUAL", Some("ETH/USDC:PERPETUAL")),
            (Venue::Deribit, "BTC-24SEP21-8000-P", Some("BTC/USD:24SEP21-8000-P")),
            // Not to be guessed.
            (Venue::BinanceSpot, "USDT", None),
            (Venue::BinanceSpot, "ABCXYZ", None),
            (Venue::Bitfinex, "fUSD", None),
            (Venue::GateIo, "BTCUSDT", None),
        ] {
            assert_eq!(normalized(venue, symbol).as_deref(), want, "{venue} {symbol}");
        }
    }
}
