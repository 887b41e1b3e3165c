//! Instrument metadata endpoints (Binance `exchangeInfo`, OKX `instruments`, Bybit
//! `instruments-info`, Gate.io `currency_pairs` and `contracts`, one or every one), answered
//! with what the capture shows: each symbol's price and size decimals as its book levels are written, the tick and
//! lot sizes being one unit of the last decimal.
//!
//! A client reads metadata before it subscribes, so before the replay starts: the decimals are
//! read by a pass of their own over the capture when the server starts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depthbook_capture::CaptureReader;
use depthbook_core::{Book, Side};
use depthbook_engine::{Engine, EngineConfig};
use depthbook_venues::Venue;

use crate::server::App;

/// Each symbol's price and size decimals.
pub(crate) type Decimals = HashMap<String, (u8, u8)>;

/// Replays `files` through an engine of `venue` and reads, for every book at the end, the most
/// decimals its prices and sizes are written with. Runs on a thread of its own; the answer
/// lands in the returned cell (empty if the capture cannot be read).
pub(crate) fn observe(
    venue: Venue,
    files: Vec<PathBuf>,
    max_line: usize,
) -> Arc<OnceLock<Decimals>> {
    let cell = Arc::new(OnceLock::new());
    let out = Arc::clone(&cell);
    let spawned = std::thread::Builder::new().name("depthbook-sim-meta".into()).spawn(move || {
        let mut engine = Engine::new(EngineConfig::new(venue));
        let mut decimals = Decimals::new();
        if let Ok(mut reader) = CaptureReader::open(&files, max_line) {
            while let Ok(Some(record)) = reader.next() {
                depthbook_capture::feed(&mut engine, &record);
            }
            for id in 0..engine.n_instruments() as u32 {
                if let Some(seen) = engine.book(id).and_then(book_decimals) {
                    decimals.insert(engine.symbol(id).to_owned(), seen);
                }
            }
        }
        let _ = out.set(decimals);
    });
    if spawned.is_err() {
        let _ = cell.set(Decimals::new());
    }
    cell
}

/// The most decimals of the book's prices and of its sizes; `None` for an empty book.
fn book_decimals(book: &Book) -> Option<(u8, u8)> {
    let levels = || book.side(Side::Bid).iter().chain(book.side(Side::Ask).iter());
    let price = levels().filter_map(|l| l.text.price.decimals()).max()?;
    let qty = levels().filter_map(|l| l.text.qty.decimals()).max()?;
    Some((price, qty))
}

/// One unit of the `decimals`-th decimal: `0.01` for 2, `1` for 0.
fn step(decimals: u8) -> String {
    match decimals {
        0 => "1".to_owned(),
        d => format!("0.{}1", "0".repeat(usize::from(d) - 1)),
    }
}

/// The quote currency a symbol's spelling shows: after the dash (`BTC-USDT`), or a known
/// quote at its end (`BTCUSDT`). The loopback knows only the capture's symbols.
fn quote_of(symbol: &str) -> String {
    if let Some(quote) = symbol.split('-').nth(1) {
        return quote.to_owned();
    }
    const QUOTES: [&str; 9] = ["FDUSD", "USDT", "USDC", "BUSD", "EUR", "TRY", "BTC", "ETH", "BNB"];
    QUOTES.iter().find(|q| symbol.ends_with(*q)).map_or_else(String::new, |q| (*q).to_owned())
}

/// The venue's description of `symbol` at `decimals`, as one entry of its instruments list;
/// `None` where the loopback has no such endpoint.
fn entry(venue: Venue, futures: bool, symbol: &str, (price, qty): (u8, u8)) -> Option<String> {
    let (tick, lot) = (step(price), step(qty));
    let quote = serde_json::Value::from(quote_of(symbol)).to_string();
    let symbol = serde_json::Value::from(symbol).to_string();
    Some(match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => format!(
            r#"{{"symbol":{symbol},"status":"TRADING","quoteAsset":{quote},"filters":[{{"filterType":"PRICE_FILTER","tickSize":"{tick}"}},{{"filterType":"LOT_SIZE","minQty":"{lot}","stepSize":"{lot}"}}]}}"#
        ),
        Venue::Okx => format!(
            r#"{{"instType":"SPOT","instId":{symbol},"quoteCcy":{quote},"tickSz":"{tick}","lotSz":"{lot}","minSz":"{lot}","ctVal":""}}"#
        ),
        Venue::Bybit => format!(
            r#"{{"symbol":{symbol},"quoteCoin":{quote},"lotSizeFilter":{{"basePrecision":"{lot}","minOrderQty":"{lot}"}},"priceFilter":{{"tickSize":"{tick}"}}}}"#
        ),
        Venue::GateIo if futures => format!(
            r#"{{"name":{symbol},"type":"direct","quanto_multiplier":"1","order_price_round":"{tick}","order_size_min":1}}"#
        ),
        Venue::GateIo => format!(
            r#"{{"id":{symbol},"quote":{quote},"precision":{price},"amount_precision":{qty},"min_base_amount":"{lot}","trade_status":"tradable"}}"#
        ),
        _ => return None,
    })
}

/// The venue's instruments body of `entries`: its list (Binance, OKX, Bybit; Gate.io's list
/// endpoints, `every`), or the one object (Gate.io's per-pair endpoints).
fn body(venue: Venue, entries: &[String], every: bool) -> String {
    let list = entries.join(",");
    match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => {
            format!(r#"{{"timezone":"UTC","symbols":[{list}]}}"#)
        }
        Venue::Okx => format!(r#"{{"code":"0","msg":"","data":[{list}]}}"#),
        Venue::Bybit => {
            format!(
                r#"{{"retCode":0,"retMsg":"OK","result":{{"category":"spot","list":[{list}]}}}}"#
            )
        }
        _ if every => format!("[{list}]"),
        _ => list,
    }
}

/// The venue's body for `symbol` at `decimals`; `None` where the loopback has no such endpoint.
fn render(venue: Venue, futures: bool, symbol: &str, decimals: (u8, u8)) -> Option<String> {
    Some(body(venue, &[entry(venue, futures, symbol, decimals)?], false))
}

/// `GET` an instruments endpoint that names its symbol in the query (`symbol`, `instId`).
pub(crate) async fn by_query(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let symbol = params.get("symbol").or_else(|| params.get("instId")).cloned();
    answer(&app, symbol, false).await
}

/// `GET` a Gate.io spot pair's metadata (`/api/v4/spot/currency_pairs/{pair}`).
pub(crate) async fn gate_pair(State(app): State<Arc<App>>, Path(pair): Path<String>) -> Response {
    answer(&app, Some(pair), false).await
}

/// `GET` every Gate.io spot pair's metadata (`/api/v4/spot/currency_pairs`).
pub(crate) async fn gate_pairs(State(app): State<Arc<App>>) -> Response {
    answer(&app, None, false).await
}

/// `GET` every Gate.io USDT futures contract's metadata (`/api/v4/futures/usdt/contracts`).
pub(crate) async fn gate_contracts(State(app): State<Arc<App>>) -> Response {
    answer(&app, None, true).await
}

/// `GET` a Gate.io USDT futures contract's metadata (`/api/v4/futures/usdt/contracts/{name}`).
pub(crate) async fn gate_contract(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
) -> Response {
    answer(&app, Some(name), true).await
}

async fn answer(app: &App, symbol: Option<String>, futures: bool) -> Response {
    let symbol = symbol.filter(|s| !s.is_empty());
    let lists = matches!(
        app.venue,
        Venue::BinanceSpot | Venue::BinanceUsdm | Venue::Okx | Venue::Bybit | Venue::GateIo
    );
    if symbol.is_none() && !lists {
        return (StatusCode::BAD_REQUEST, "name a symbol").into_response();
    }
    let deadline = tokio::time::Instant::now() + app.snapshot_wait;
    let decimals = loop {
        if let Some(decimals) = app.decimals.get() {
            break decimals;
        }
        if tokio::time::Instant::now() >= deadline {
            return (StatusCode::SERVICE_UNAVAILABLE, "metadata not ready").into_response();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    let body = match &symbol {
        Some(symbol) => decimals.get(symbol).and_then(|&d| render(app.venue, futures, symbol, d)),
        // Every symbol the capture holds, in name order.
        None => {
            let mut symbols: Vec<&String> = decimals.keys().collect();
            symbols.sort();
            let entries: Vec<String> = symbols
                .into_iter()
                .filter_map(|s| entry(app.venue, futures, s, decimals[s]))
                .collect();
            Some(body(app.venue, &entries, true))
        }
    };
    match body {
        Some(body) => {
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
                .into_response()
        }
        None => (StatusCode::BAD_REQUEST, "unknown symbol").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_unit_of_the_last_decimal() {
        assert_eq!((step(0), step(1), step(8)), ("1".into(), "0.1".into(), "0.00000001".into()));
        let okx = render(Venue::Okx, false, "BTC-USDT", (1, 8)).unwrap();
        assert!(okx.contains(
            r#""instId":"BTC-USDT","quoteCcy":"USDT","tickSz":"0.1","lotSz":"0.00000001""#
        ));
        assert_eq!(
            (quote_of("S7USDT"), quote_of("ETHBTC"), quote_of("X")),
            ("USDT".into(), "BTC".into(), String::new())
        );
        assert!(render(Venue::Deribit, false, "BTC-PERPETUAL", (1, 0)).is_none());
    }
}
