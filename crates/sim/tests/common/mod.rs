//! Shared helpers of the loopback server's tests: fixtures, a plain WebSocket client, the
//! capture's own frames to compare with.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use depthbook_capture::{CaptureReader, RecordKind};
use depthbook_sim::{Faults, ServeConfig, Server};
use depthbook_venues::Venue;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every test ends by itself within this.
pub const TEST_LIMIT: Duration = Duration::from_secs(120);
/// Longest wait for one message the server must send.
pub const MESSAGE_LIMIT: Duration = Duration::from_secs(20);

/// Runs `test` bounded by [`TEST_LIMIT`].
pub async fn bounded<F: Future<Output = ()>>(test: F) {
    tokio::time::timeout(TEST_LIMIT, test).await.expect("the test did not finish in time");
}

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(path)
}

pub const BINANCE_SPOT: &str = "binance_spot/hftbacktest_spot_btcusdt_20240808.gz";
pub const OKX: &str = "okx/cryptofeed_OKX.ws.1.0.txt";
pub const KRAKEN_V1: &str = "kraken/cryptofeed_KRAKEN.ws.50.0.txt";

pub fn config(venue: Venue, file: PathBuf, faults: Faults) -> ServeConfig {
    let mut config = ServeConfig::new(venue, vec![file]);
    config.faults = faults;
    config
}

pub fn start(config: ServeConfig) -> Server {
    Server::start("127.0.0.1:0".parse().unwrap(), config).expect("the server starts")
}

pub async fn connect(addr: SocketAddr, path: &str) -> Ws {
    let url = format!("ws://{addr}{path}");
    let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("the WebSocket connects");
    ws
}

pub async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text)).await.expect("the request is sent");
}

/// How a read ended when no text came.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Text(String),
    /// A close frame.
    Closed,
    /// The TCP connection ended without a close frame (or failed).
    Abrupt,
    /// Nothing within the wait.
    Silent,
}

/// The next text message, skipping pings and pongs, waiting at most `wait`.
pub async fn next_within(ws: &mut Ws, wait: Duration) -> Next {
    let read = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) => return Next::Text(text.as_str().to_owned()),
                Some(Ok(Message::Close(_))) => return Next::Closed,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Next::Abrupt,
            }
        }
    };
    tokio::time::timeout(wait, read).await.unwrap_or(Next::Silent)
}

/// The next text message; the server must send one.
pub async fn next_text(ws: &mut Ws) -> String {
    match next_within(ws, MESSAGE_LIMIT).await {
        Next::Text(text) => text,
        other => panic!("expected a text message, got {other:?}"),
    }
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The capture's stream frames, in replay order, that satisfy `keep`.
pub fn capture_frames(path: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut reader = CaptureReader::open(&[fixture(path)], 16 << 20).unwrap();
    let mut frames = Vec::new();
    while let Some(record) = reader.next().unwrap() {
        if let RecordKind::Frame(bytes) = record.kind {
            let text = std::str::from_utf8(bytes).unwrap();
            if keep(text) {
                frames.push(text.to_owned());
            }
        }
    }
    frames
}

/// reqwest is built without a crypto provider (plain HTTP needs none, but the client builder
/// asks for one); install ring's as the binary does.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
