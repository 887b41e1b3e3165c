//! REST depth endpoints (Binance `/api/v3/depth`, `/fapi/v1/depth`; Gate.io
//! `/api/v4/spot/order_book`), answered from the truth book at the replay's current position.
//! Errors use Binance's shape for every venue: clients only look at the status.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use depthbook_venues::Venue;
use tokio::sync::oneshot;

use crate::replay::{Command, DepthAnswer};
use crate::server::App;
use crate::stats::bump;

/// `GET <depth path>?symbol=S&limit=N`: the truth book's best `limit` levels a side, once the
/// book is Live (waiting up to the configured time, then 503). Faults: every answer waits
/// `delay_rest`; the first `refuse_rest` requests get 429.
pub(crate) async fn depth(
    State(app): State<Arc<App>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if !app.faults.delay_rest.is_zero() {
        bump(&app.counters.rest_delayed);
        tokio::time::sleep(app.faults.delay_rest).await;
    }
    if app.faults.refuse_rest() {
        bump(&app.counters.rest_refused);
        return error(StatusCode::TOO_MANY_REQUESTS, -1003, "Too many requests", true);
    }
    // Binance: `symbol`; Gate.io spot: `currency_pair`; Gate.io USDT futures: `contract`.
    let futures = params.contains_key("contract");
    let named = params
        .get("symbol")
        .or_else(|| params.get("currency_pair"))
        .or_else(|| params.get("contract"));
    let Some(symbol) = named.filter(|s| !s.is_empty()) else {
        let msg = "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.";
        return error(StatusCode::BAD_REQUEST, -1102, msg, false);
    };
    let (default_limit, max_limit) = match app.venue {
        Venue::BinanceUsdm => (500, 1_000),
        _ => (100, 5_000),
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => default_limit,
        Some(Ok(limit)) => limit.clamp(1, max_limit),
        Some(Err(_)) => {
            let msg =
                "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.";
            return error(StatusCode::BAD_REQUEST, -1100, msg, false);
        }
    };
    let mut answer = ask(&app, symbol, limit, true, futures).await;
    if answer.is_none() {
        // The wait timed out: ask again for the state as it is now.
        answer = ask(&app, symbol, limit, false, futures).await;
    }
    match answer {
        Some(DepthAnswer::Body(body)) => {
            bump(&app.counters.rest_served);
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body)
                .into_response()
        }
        Some(DepthAnswer::Unknown) => {
            error(StatusCode::BAD_REQUEST, -1121, "Invalid symbol.", false)
        }
        Some(DepthAnswer::NotLive) | None => error(
            StatusCode::SERVICE_UNAVAILABLE,
            -1008,
            "The order book is not available yet. Please try again.",
            true,
        ),
    }
}

/// Asks the replay for the depth; `None` if the wait ran out (or the replay is gone).
async fn ask(
    app: &App,
    symbol: &str,
    limit: usize,
    wait: bool,
    futures: bool,
) -> Option<DepthAnswer> {
    let (reply, answer) = oneshot::channel();
    let command = Command::Depth { symbol: symbol.to_owned(), limit, wait, futures, reply };
    app.commands.send(command).await.ok()?;
    if wait {
        tokio::time::timeout(app.snapshot_wait, answer).await.ok()?.ok()
    } else {
        answer.await.ok()
    }
}

/// Binance's error body `{"code":C,"msg":"..."}` with `status`, optionally `Retry-After: 1`.
fn error(status: StatusCode, code: i32, msg: &str, retry: bool) -> Response {
    let body = serde_json::json!({"code": code, "msg": msg}).to_string();
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if retry {
        (status, [content_type, (header::RETRY_AFTER, HeaderValue::from_static("1"))], body)
            .into_response()
    } else {
        (status, [content_type], body).into_response()
    }
}
