//! REST snapshots: one scheduler per venue, so that resyncs never exceed the venue's request
//! weight budget, whatever the number of books asking at once.
//!
//! Requests are queued once per symbol (a symbol already waiting is not queued twice), sent one
//! at a time when the [`WeightBudget`] allows, and their bodies handed to the ingest loop as
//! received. A 429 or 418 pauses every request for the venue's `Retry-After` and puts the
//! request back at the front. Any other failure (network error, timeout, another status, a body
//! too large) is counted and dropped: the ingest loop asks again after its resync timeout,
//! spaced by that book's backoff, so a failing endpoint is never hammered at the budget's rate.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::StatusCode;
use tokio::sync::mpsc;
use tokio::time::sleep;

use crate::budget::WeightBudget;

/// The longest `Retry-After` honoured (a week; Binance bans run to three days).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);
use crate::counters::{NetCounters, bump};
use crate::handoff::InputSender;
use crate::input::{Input, now_ns};
use crate::protocol::Protocol;

/// What the ingest loop asks of the scheduler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RestCommand {
    /// Fetch `symbol`'s snapshot.
    Fetch(Arc<str>),
    /// End the task.
    Shutdown,
}

/// How snapshots are fetched.
#[derive(Debug, Clone)]
pub(crate) struct RestConfig {
    pub(crate) protocol: Protocol,
    pub(crate) base_url: String,
    pub(crate) client: reqwest::Client,
    /// Largest body accepted.
    pub(crate) max_body_bytes: usize,
    /// Used when a rate-limit answer names no `Retry-After`.
    pub(crate) default_retry_after: Duration,
}

/// What became of one request.
enum Outcome {
    /// The body went to the ingest loop.
    Delivered,
    /// The venue asked us to slow down for this long.
    RateLimited(Duration),
    /// Failed; the ingest loop's resync timeout asks again.
    Failed,
    /// The ingest loop is gone.
    Stop,
}

/// Runs until [`RestCommand::Shutdown`] or until the ingest loop is gone.
pub(crate) async fn run(
    config: RestConfig,
    mut tx: InputSender,
    mut commands: mpsc::Receiver<RestCommand>,
    counters: Arc<NetCounters>,
) {
    let protocol = config.protocol;
    let mut budget = WeightBudget::new(protocol.rest_budget_per_minute, mono_ns());
    let mut queue: VecDeque<Arc<str>> = VecDeque::new();
    let enqueue = |queue: &mut VecDeque<Arc<str>>, symbol: Arc<str>| {
        if !queue.contains(&symbol) {
            queue.push_back(symbol);
        }
    };
    loop {
        if queue.is_empty() {
            match commands.recv().await {
                Some(RestCommand::Fetch(symbol)) => enqueue(&mut queue, symbol),
                Some(RestCommand::Shutdown) | None => return,
            }
            continue;
        }
        if let Err(wait) = budget.try_take(protocol.rest_weight, mono_ns()) {
            tokio::select! {
                () = sleep(wait) => {}
                command = commands.recv() => match command {
                    Some(RestCommand::Fetch(symbol)) => enqueue(&mut queue, symbol),
                    Some(RestCommand::Shutdown) | None => return,
                },
            }
            continue;
        }
        let Some(symbol) = queue.pop_front() else { continue };
        let Some(url) = protocol.rest_snapshot_url(&config.base_url, &symbol) else { continue };
        bump(&counters.rest_requests);
        // Commands wait in the channel meanwhile; the client's timeout bounds the request.
        match fetch(&config, &url, &mut tx).await {
            Outcome::Delivered => bump(&counters.rest_ok),
            Outcome::RateLimited(wait) => {
                bump(&counters.rest_rate_limited);
                tracing::warn!(%url, ?wait, "REST rate limited; pausing snapshots");
                budget.pause(wait, mono_ns());
                queue.push_front(symbol);
            }
            Outcome::Failed => bump(&counters.rest_errors),
            Outcome::Stop => return,
        }
    }
}

/// Sends one request; a body is handed to the ingest loop with its receive time.
async fn fetch(config: &RestConfig, url: &str, tx: &mut InputSender) -> Outcome {
    let response = match config.client.get(url).send().await {
        Ok(response) => response,
        Err(error) => {
            tracing::warn!(%url, %error, "REST request failed");
            return Outcome::Failed;
        }
    };
    let status = response.status();
    if status == StatusCode::TOO_MANY_REQUESTS || status.as_u16() == 418 {
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(config.default_retry_after, Duration::from_secs);
        // Honoured in full: a 418 is Binance's IP ban, and its Retry-After runs to days. The
        // week's cap only keeps clock arithmetic far from overflow.
        tracing::warn!(%url, %status, ?wait, "REST rate limit: pausing every request");
        return Outcome::RateLimited(wait.min(MAX_RETRY_AFTER));
    }
    if !status.is_success() {
        tracing::warn!(%url, %status, "REST snapshot refused");
        return Outcome::Failed;
    }
    let body = match read_capped(response, config.max_body_bytes).await {
        Ok(body) => body,
        Err(reason) => {
            tracing::warn!(%url, %reason, "REST body unusable");
            return Outcome::Failed;
        }
    };
    let input = Input::Rest { url: url.to_owned(), body, recv_ns: now_ns() };
    if tx.send(input).await.is_err() { Outcome::Stop } else { Outcome::Delivered }
}

/// Reads the body, refusing one larger than `max` before holding more than `max` bytes of it.
async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Bytes, String> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("body larger than {max} bytes"));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > max {
            return Err(format!("body larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A monotonic clock in ns for the budget (any origin).
fn mono_ns() -> i64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    i64::try_from(origin.elapsed().as_nanos()).unwrap_or(i64::MAX)
}
