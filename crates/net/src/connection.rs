//! One venue connection: connect, subscribe, keep alive, hand every frame to the ingest loop,
//! and reconnect with backoff when anything goes wrong. It moves bytes; it never parses a book.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::ClientConfig;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::backoff::Backoff;
use crate::counters::{NetCounters, add, bump};
use crate::handoff::InputSender;
use crate::input::{ConnId, Input, now_ns};
use crate::protocol::Protocol;

/// What the ingest loop asks of a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Unsubscribe and subscribe one instrument again (ignored while disconnected: the
    /// reconnect subscribes everything). `channel` is the book's connection-local id where the
    /// venue's unsubscribe names one (Bitfinex).
    Resubscribe {
        /// The instrument (shared with the loop: sending a command allocates nothing).
        symbol: Arc<str>,
        /// Its channel id on this connection, if the venue numbers subscriptions.
        channel: Option<i64>,
    },
    /// Ask for one instrument's snapshot on the stream (HTX `mbp` `req`; ignored while
    /// disconnected: the book asks again once resubscribed).
    RequestSnapshot(Arc<str>),
    /// Drop the connection and connect again (after the usual backoff): every book is
    /// resubscribed (a break of a connection-wide numbering concerns every book).
    Reconnect,
    /// Close and end the task.
    Shutdown,
}

/// How one connection behaves.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionConfig {
    pub(crate) protocol: Protocol,
    pub(crate) url: String,
    pub(crate) symbols: Vec<String>,
    pub(crate) depth: u32,
    /// Largest frame or message accepted; beyond it the connection is dropped.
    pub(crate) max_message_bytes: usize,
    pub(crate) connect_timeout: Duration,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_cap: Duration,
    /// A connection that stayed up this long resets the backoff.
    pub(crate) healthy_after: Duration,
    pub(crate) tls: Arc<ClientConfig>,
    /// The venue's connection-rate limit, shared with the process's other connections to it.
    pub(crate) gate: Option<crate::gate::ConnectGate>,
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a session ended.
enum End {
    /// Reconnect after a backoff.
    Reconnect(String),
    /// The ingest loop asked to stop, or is gone.
    Stop,
}

/// Runs until [`Command::Shutdown`] or until the ingest loop drops its receiver.
pub(crate) async fn run(
    config: ConnectionConfig,
    mut tx: InputSender,
    mut commands: mpsc::Receiver<Command>,
    counters: Arc<NetCounters>,
) {
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap);
    let mut conn: ConnId = 0;
    let mut req = 0u64;
    loop {
        conn = conn.wrapping_add(1);
        let started = Instant::now();
        let next_attempt_at = started + config.protocol.min_connect_interval;
        if let Some(gate) = &config.gate {
            gate.wait_turn().await;
        }
        let end = match connect(&config, &mut commands).await {
            Ok(Some(ws)) => {
                bump(&counters.connects);
                let url = config.url.clone();
                if tx.send(Input::Opened { conn, url, recv_ns: now_ns() }).await.is_err() {
                    return;
                }
                let end =
                    session(&config, ws, conn, &mut req, &mut tx, &mut commands, &counters).await;
                bump(&counters.disconnects);
                if let End::Reconnect(reason) = &end {
                    let closed = Input::Closed { conn, reason: reason.clone(), recv_ns: now_ns() };
                    if tx.send(closed).await.is_err() {
                        return;
                    }
                }
                end
            }
            Ok(None) => End::Stop,
            Err(reason) => {
                bump(&counters.connect_failures);
                tracing::warn!(url = %config.url, %reason, "connect failed");
                End::Reconnect(reason)
            }
        };
        if let End::Stop = end {
            return;
        }
        if started.elapsed() >= config.healthy_after {
            backoff.reset();
        }
        let wait = backoff.next_wait();
        tracing::info!(url = %config.url, ?wait, attempt = backoff.attempts(), "reconnecting");
        let resume = (Instant::now() + wait).max(next_attempt_at);
        loop {
            tokio::select! {
                () = sleep_until(resume) => break,
                command = commands.recv() => match command {
                    Some(
                        Command::Resubscribe { .. }
                        | Command::RequestSnapshot(_)
                        | Command::Reconnect,
                    ) => {}
                    Some(Command::Shutdown) | None => return,
                },
            }
        }
    }
}

/// Connects within the timeout. `Ok(None)` if told to stop meanwhile.
async fn connect(
    config: &ConnectionConfig,
    commands: &mut mpsc::Receiver<Command>,
) -> Result<Option<Ws>, String> {
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes))
        // We only send pings and subscriptions: a full write buffer means a dead peer.
        .max_write_buffer_size(1 << 20);
    let connector = Connector::Rustls(config.tls.clone());
    let attempt = tokio_tungstenite::connect_async_tls_with_config(
        config.url.as_str(),
        Some(ws_config),
        true,
        Some(connector),
    );
    let attempt = timeout(config.connect_timeout, attempt);
    tokio::pin!(attempt);
    loop {
        tokio::select! {
            result = &mut attempt => return match result {
                Ok(Ok((ws, _response))) => Ok(Some(ws)),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no connection within {:?}", config.connect_timeout)),
            },
            command = commands.recv() => match command {
                Some(
                    Command::Resubscribe { .. } | Command::RequestSnapshot(_) | Command::Reconnect,
                ) => {}
                Some(Command::Shutdown) | None => return Ok(None),
            },
        }
    }
}

/// Sends control messages no faster than the venue allows, and never waits on a peer that
/// stopped reading for longer than the venue's dead-connection limit.
struct Control {
    spacing: Duration,
    next: Instant,
    send_timeout: Duration,
}

impl Control {
    async fn send(
        &mut self,
        ws: &mut Ws,
        message: Message,
        counters: &NetCounters,
    ) -> Result<(), String> {
        sleep_until(self.next).await;
        match timeout(self.send_timeout, ws.send(message)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err(format!("send blocked for {:?}", self.send_timeout)),
        }
        self.next = Instant::now() + self.spacing;
        bump(&counters.control_sent);
        Ok(())
    }
}

/// What a queued control message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Queued {
    Resubscribe,
    SnapshotRequest,
}

/// Control messages waiting for their turn under the venue's control-message spacing, so that
/// reads go on between them. At most one of each kind per symbol waits at a time: the queue is
/// bounded by twice the number of symbols whatever the ingest loop asks.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<(String, Queued, String)>,
}

impl Outbox {
    fn push(&mut self, symbol: &str, kind: Queued, texts: Vec<String>) {
        if self.queue.iter().any(|(s, k, _)| s == symbol && *k == kind) {
            return;
        }
        self.queue.extend(texts.into_iter().map(|t| (symbol.to_owned(), kind, t)));
    }
}

/// One connected session: subscribe, then read until something ends it.
async fn session(
    config: &ConnectionConfig,
    mut ws: Ws,
    conn: ConnId,
    req: &mut u64,
    tx: &mut InputSender,
    commands: &mut mpsc::Receiver<Command>,
    counters: &NetCounters,
) -> End {
    let protocol = config.protocol;
    let mut control = Control {
        spacing: protocol.control_spacing,
        next: Instant::now(),
        send_timeout: protocol.dead_after,
    };
    let mut outbox = Outbox::default();
    let subscribe = match protocol.subscribe(&config.symbols, config.depth, req) {
        Ok(messages) => messages,
        // Symbols were checked when the feed was configured; nothing to retry.
        Err(e) => return End::Reconnect(e.to_string()),
    };
    for text in subscribe {
        if let Err(e) = control.send(&mut ws, Message::text(text.clone()), counters).await {
            return End::Reconnect(format!("subscribe failed: {e}"));
        }
        if tx.send(Input::Sent { conn, text, recv_ns: now_ns() }).await.is_err() {
            return End::Stop;
        }
    }
    let mut last_rx = Instant::now();
    let mut pinged = false;
    loop {
        let quiet = if pinged { protocol.dead_after } else { protocol.ping_after };
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                Some(Command::Resubscribe { symbol, channel }) => {
                    let texts = protocol.resubscribe(&symbol, channel, config.depth, req);
                    outbox.push(&symbol, Queued::Resubscribe, texts);
                }
                Some(Command::RequestSnapshot(symbol)) => {
                    let text = protocol.snapshot_request(&symbol, config.depth, req);
                    outbox.push(&symbol, Queued::SnapshotRequest, text.into_iter().collect());
                }
                Some(Command::Reconnect) => {
                    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                    return End::Reconnect("resync by reconnecting".to_owned());
                }
                Some(Command::Shutdown) | None => {
                    let _ = timeout(Duration::from_secs(1), ws.close(None)).await;
                    return End::Stop;
                }
            },
            () = sleep_until(control.next), if !outbox.queue.is_empty() => {
                let Some((_, _, text)) = outbox.queue.pop_front() else { continue };
                if let Err(e) = control.send(&mut ws, Message::text(text.clone()), counters).await {
                    return End::Reconnect(format!("resubscribe failed: {e}"));
                }
                if tx.send(Input::Sent { conn, text, recv_ns: now_ns() }).await.is_err() {
                    return End::Stop;
                }
            },
            message = ws.next() => {
                let recv_ns = now_ns();
                last_rx = Instant::now();
                pinged = false;
                let (bytes, binary) = match message {
                    Some(Ok(Message::Text(text))) => (text.into(), false),
                    Some(Ok(Message::Binary(data))) => {
                        bump(&counters.binary_frames);
                        (data, true)
                    }
                    // tungstenite queued the pong; flush it now rather than on the next write.
                    Some(Ok(Message::Ping(_))) => {
                        if let Err(e) = ws.flush().await {
                            return End::Reconnect(format!("pong failed: {e}"));
                        }
                        continue;
                    }
                    Some(Ok(Message::Pong(_) | Message::Frame(_))) => continue,
                    Some(Ok(Message::Close(frame))) => {
                        let reason = frame.map_or_else(
                            || "closed by the server".to_owned(),
                            |f| format!("closed by the server: {} {}", u16::from(f.code), f.reason.escape_debug()),
                        );
                        return End::Reconnect(reason);
                    }
                    Some(Err(e)) => {
                        if matches!(e, WsError::Capacity(_)) {
                            bump(&counters.oversized);
                        }
                        return End::Reconnect(e.to_string());
                    }
                    None => return End::Reconnect("connection ended".to_owned()),
                };
                let bytes: bytes::Bytes = bytes;
                if binary && let Some(pong) = protocol.pong_for(&bytes) {
                    // A keepalive, answered at once (it jumps the control spacing: the venue
                    // drops a client that answers late).
                    match timeout(protocol.dead_after, ws.send(Message::text(pong))).await {
                        Ok(Ok(())) => bump(&counters.pongs_sent),
                        _ => return End::Reconnect("pong failed".to_owned()),
                    }
                }
                bump(&counters.frames_in);
                add(&counters.bytes_in, bytes.len() as u64);
                if tx.send(Input::Frame { conn, bytes, binary, recv_ns }).await.is_err() {
                    return End::Stop;
                }
            },
            () = sleep_until(last_rx + quiet) => {
                if pinged {
                    bump(&counters.idle_timeouts);
                    return End::Reconnect(format!("nothing received for {:?}", protocol.dead_after));
                }
                *req += 1;
                let ping = match protocol.ping_text(*req) {
                    Some(text) => Message::text(text),
                    None => Message::Ping(bytes::Bytes::new()),
                };
                if let Err(e) = control.send(&mut ws, ping, counters).await {
                    return End::Reconnect(format!("ping failed: {e}"));
                }
                bump(&counters.pings_sent);
                pinged = true;
            },
        }
    }
}
