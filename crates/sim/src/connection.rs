//! One WebSocket connection: the client's requests, the replay's messages, pings and
//! heartbeats, and the connection faults.
//!
//! The task writes, in this order for each client request: its acks (after the replay has
//! registered each subscription), then whatever the replay queued since (snapshots, deltas).
//! So an ack always precedes its snapshot, and a snapshot its deltas. It never panics on
//! input and never closes without a reason: a malformed request is answered with the venue's
//! error shape.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at};

use crate::faults::ConnectionFault;
use crate::replay::{Command, ConnId, Outbound};
use crate::server::App;
use crate::stats::bump;
use serde_json::json;

use crate::subscribe::{Dialect, Item, Op, Request, RequestMeta, Topic};

/// Why the connection's loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// The client closed, or the socket failed.
    Closed,
    /// The client broke the protocol (a message over the size cap, a bad frame): send a close
    /// frame saying so, if the socket still takes one.
    Violation,
    /// The server is shutting down: send a close frame.
    Shutdown,
    /// The disconnect fault: drop the TCP connection without a close frame.
    Abrupt,
    /// The stall fault: keep the socket open, silent, until shutdown.
    Stall,
}

/// Bitfinex SEQ_ALL: an array frame ending with `number`, replacing the number it ends with
/// (a capture's frame) or appended (a rendered snapshot, whose last element is an array).
fn number_array_frame(text: &str, number: u64) -> Option<String> {
    let body = text.trim_end().strip_suffix(']')?;
    if !body.starts_with('[') {
        return None;
    }
    let body = match body.rsplit_once(',') {
        Some((head, tail)) if tail.trim().bytes().all(|b| b.is_ascii_digit()) => head,
        _ => body,
    };
    Some(format!("{body},{number}]"))
}

/// Coinbase Advanced Trade: the message with its `"sequence_num":N` set to `number`.
fn number_sequence_field(text: &str, number: u64) -> Option<String> {
    const KEY: &str = "\"sequence_num\":";
    let at = text.find(KEY)? + KEY.len();
    let digits = text[at..].bytes().take_while(u8::is_ascii_digit).count();
    Some(format!("{}{number}{}", &text[..at], &text[at + digits..]))
}

/// `bytes` as one gzip member (HTX's framing).
fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// What a written message leads to.
enum Pausing {
    /// End the connection.
    Exit(Exit),
    /// Hold the book data back this long.
    For(Duration),
}

/// Keeps the open-connections gauge right however the task ends.
struct OpenGuard(Arc<App>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.counters.open_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Serves one upgraded WebSocket; `url_items` are the subscriptions its URL names (Binance).
pub(crate) async fn run(mut socket: WebSocket, app: Arc<App>, url_items: Vec<Item>) {
    let id = app.next_conn.fetch_add(1, Ordering::Relaxed);
    bump(&app.counters.connections);
    app.counters.open_connections.fetch_add(1, Ordering::Relaxed);
    let _open = OpenGuard(Arc::clone(&app));
    let (outbox, inbox) = mpsc::channel(app.subscriber_buffer);
    let mut conn = Connection {
        id,
        tag: format!("{id:08x}"),
        app: Arc::clone(&app),
        outbox,
        symbols: HashSet::new(),
        channels: HashMap::new(),
        checksums: false,
        frames: 0,
        last_sent: Instant::now(),
        numbered: app.dialect.numbered_from_start().then_some(0),
    };
    tracing::debug!(conn = id, "connection opened");
    let exit = conn.serve(&mut socket, inbox, url_items).await;
    tracing::debug!(conn = id, ?exit, "connection ends");
    // The replay forgets this connection before anything else happens to the socket.
    let _ = app.commands.send(Command::Closed { conn: id }).await;
    match exit {
        Exit::Closed | Exit::Abrupt => {}
        Exit::Shutdown => {
            let close =
                CloseFrame { code: 1001, reason: Utf8Bytes::from_static("server shutdown") };
            let _ = socket.send(Message::Close(Some(close))).await;
        }
        Exit::Violation => {
            let close = CloseFrame { code: 1008, reason: Utf8Bytes::from_static("protocol error") };
            let _ = socket.send(Message::Close(Some(close))).await;
        }
        Exit::Stall => {
            let mut shutdown = app.shutdown.clone();
            while !*shutdown.borrow_and_update() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        }
    }
    drop(socket);
}

/// A connection's state.
struct Connection {
    id: ConnId,
    /// Its id as the venue shows it (OKX `connId`, Kraken `connectionID`).
    tag: String,
    app: Arc<App>,
    /// Where the replay queues this connection's messages (cloned into each subscription).
    outbox: mpsc::Sender<Outbound>,
    /// Book symbols subscribed.
    symbols: HashSet<String>,
    /// The channel id each book subscription was acked with, for unsubscribes that name it
    /// (Bitfinex).
    channels: HashMap<i64, String>,
    /// Whether the client asked for book checksums (Bitfinex OB_CHECKSUM).
    checksums: bool,
    /// Delta frames written so far (the connection faults count these).
    frames: u64,
    last_sent: Instant,
    /// The number the next frame carries, on dialects that number every frame of a connection:
    /// Coinbase Advanced Trade's `sequence_num` (from 0), Bitfinex SEQ_ALL (from 1, once the
    /// client's `conf` asks).
    numbered: Option<u64>,
}

/// An interval whose first tick is one period from now; `None` for a zero period.
fn ticker(period: Duration) -> Option<Interval> {
    (!period.is_zero()).then(|| {
        let mut interval = interval_at(Instant::now() + period, period);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        interval
    })
}

/// Waits for the next tick of an optional interval (forever if there is none).
async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

impl Connection {
    async fn serve(
        &mut self,
        socket: &mut WebSocket,
        mut inbox: mpsc::Receiver<Outbound>,
        url_items: Vec<Item>,
    ) -> Exit {
        let dialect = self.app.dialect;
        let mut shutdown = self.app.shutdown.clone();
        if *shutdown.borrow_and_update() {
            return Exit::Shutdown;
        }
        if let Some(greeting) = dialect.greeting(&self.tag)
            && !self.send(socket, greeting).await
        {
            return Exit::Closed;
        }
        if !url_items.is_empty() {
            let meta = RequestMeta { id: None, received_ns: 0 };
            if !self.change(socket, Op::Subscribe, &meta, &url_items, false).await {
                return Exit::Closed;
            }
        }
        let mut pings = if dialect.sends_pings() { ticker(self.app.ping_interval) } else { None };
        let mut heartbeats = ticker(self.app.heartbeat_interval);
        // The pause fault: no book data before this.
        let mut paused_until: Option<Instant> = None;
        loop {
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow_and_update() {
                        return Exit::Shutdown;
                    }
                }
                message = socket.recv() => {
                    let ok = match message {
                        Some(Ok(Message::Text(text))) => self.on_text(socket, text.as_str()).await,
                        Some(Ok(Message::Binary(_))) => {
                            let error = dialect.error("binary messages are not supported", None);
                            self.send(socket, error).await
                        }
                        // Pings are answered by the WebSocket layer itself.
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => true,
                        Some(Ok(Message::Close(_))) | None => false,
                        Some(Err(error)) => {
                            tracing::debug!(conn = self.id, %error, "client broke the protocol");
                            return Exit::Violation;
                        }
                    };
                    if !ok {
                        return Exit::Closed;
                    }
                }
                () = tokio::time::sleep_until(paused_until.unwrap_or_else(Instant::now)),
                    if paused_until.is_some() =>
                {
                    paused_until = None;
                }
                queued = inbox.recv(), if paused_until.is_none() => {
                    let Some(queued) = queued else { return Exit::Closed };
                    match self.write_queued(socket, queued).await {
                        Some(Pausing::Exit(exit)) => return exit,
                        Some(Pausing::For(pause)) => paused_until = Some(Instant::now() + pause),
                        None => {}
                    }
                }
                () = tick(&mut pings) => {
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        return Exit::Closed;
                    }
                }
                () = tick(&mut heartbeats) => {
                    let idle = self.last_sent.elapsed() >= self.app.heartbeat_interval
                        || dialect.heartbeats_when_busy();
                    if let Some(beat) = dialect.heartbeat(!self.symbols.is_empty()).filter(|_| idle)
                        && !self.send(socket, beat.to_owned()).await
                    {
                        return Exit::Closed;
                    }
                }
            }
        }
    }

    /// Writes one message the replay queued; a connection fault may end the loop or pause the
    /// data after it.
    async fn write_queued(&mut self, socket: &mut WebSocket, queued: Outbound) -> Option<Pausing> {
        let counters = Arc::clone(&self.app.counters);
        match queued {
            Outbound::Snapshot(text) => {
                if !self.send_text(socket, text).await {
                    return Some(Pausing::Exit(Exit::Closed));
                }
                bump(&counters.snapshots_sent);
            }
            Outbound::Checksum(text) => {
                if !self.checksums {
                    return None;
                }
                // A numbered connection's number goes after the checksum, in the place of a
                // placeholder (numbering replaces a frame's trailing integer, which the
                // checksum itself may look like).
                let text = match (self.numbered, text.as_str().strip_suffix(']')) {
                    (Some(_), Some(body)) => Utf8Bytes::from(format!("{body},0]")),
                    _ => text,
                };
                if !self.send_text(socket, text).await {
                    return Some(Pausing::Exit(Exit::Closed));
                }
            }
            Outbound::Delta(text) => {
                if !self.send_text(socket, text).await {
                    return Some(Pausing::Exit(Exit::Closed));
                }
                bump(&counters.frames_sent);
                self.frames += 1;
                match self.app.faults.after_frames(self.frames) {
                    Some(ConnectionFault::Disconnect) => {
                        bump(&counters.disconnected);
                        tracing::info!(conn = self.id, frames = self.frames, "fault: disconnect");
                        return Some(Pausing::Exit(Exit::Abrupt));
                    }
                    Some(ConnectionFault::Stall) => {
                        bump(&counters.stalled);
                        tracing::info!(conn = self.id, frames = self.frames, "fault: stall");
                        return Some(Pausing::Exit(Exit::Stall));
                    }
                    Some(ConnectionFault::Pause(pause)) => {
                        bump(&counters.paused);
                        tracing::info!(
                            conn = self.id,
                            frames = self.frames,
                            ?pause,
                            "fault: pause"
                        );
                        return Some(Pausing::For(pause));
                    }
                    None => {}
                }
            }
        }
        None
    }

    /// Handles one client text message; false if the connection is gone.
    async fn on_text(&mut self, socket: &mut WebSocket, text: &str) -> bool {
        match self.app.dialect.parse(text) {
            Request::Reply(reply) => self.send(socket, reply).await,
            Request::Nothing => true,
            Request::Fetch { meta, topic } => {
                let outbox = self.outbox.clone();
                let command = Command::Fetch { outbox, topic, id: meta.id };
                self.app.commands.send(command).await.is_ok()
            }
            Request::Configure { reply, numbered, checksums } => {
                self.numbered = numbered.then_some(self.numbered.unwrap_or(1));
                self.checksums = checksums;
                self.send(socket, reply).await
            }
            Request::Change { op, meta, items } => {
                self.change(socket, op, &meta, &items, true).await
            }
            Request::UnsubscribeChannel { meta, channel } => {
                let Some(symbol) = self.channels.remove(&channel) else {
                    let error =
                        json!({"event": "error", "msg": "unsubscribe: invalid", "code": 10400});
                    return self.send(socket, error.to_string()).await;
                };
                let topic = Topic { symbol, depth: None, snapshot: true, derived: None };
                let item = Item { topic: Some(topic), echo: json!({"chanId": channel}) };
                if !self.change(socket, Op::Unsubscribe, &meta, &[item], false).await {
                    return false;
                }
                let ack = json!({"event": "unsubscribed", "status": "OK", "chanId": channel});
                self.send(socket, ack.to_string()).await
            }
        }
    }

    /// Subscribes or unsubscribes `items`, acking each as the venue does (if `ack`); false if
    /// the connection is gone.
    async fn change(
        &mut self,
        socket: &mut WebSocket,
        op: Op,
        meta: &RequestMeta,
        items: &[Item],
        ack: bool,
    ) -> bool {
        let dialect = self.app.dialect;
        let mut refused = false;
        for item in items {
            let info = match (op, &item.topic) {
                (Op::Subscribe, Some(topic)) => {
                    let full = self.symbols.len() >= self.app.max_subscriptions;
                    if full && !self.symbols.contains(&topic.symbol) {
                        refused = true;
                        let why = "too many subscriptions on this connection";
                        if !self.send(socket, dialect.refuse_item(op, meta, item, why)).await {
                            return false;
                        }
                        continue;
                    }
                    self.symbols.insert(topic.symbol.clone());
                    let (conn, outbox, topic) = (self.id, self.outbox.clone(), topic.clone());
                    let symbol = topic.symbol.clone();
                    let Some(info) =
                        self.ask(|reply| Command::Subscribe { conn, outbox, topic, reply }).await
                    else {
                        return false;
                    };
                    self.channels.insert(info.channel_id, symbol);
                    Some(info)
                }
                (Op::Unsubscribe, Some(topic)) => {
                    self.symbols.remove(&topic.symbol);
                    let (conn, symbol) = (self.id, topic.symbol.clone());
                    let Some(info) =
                        self.ask(|reply| Command::Unsubscribe { conn, symbol, reply }).await
                    else {
                        return false;
                    };
                    Some(info)
                }
                (Op::Subscribe, None) => {
                    if self.app.commands.send(Command::Start).await.is_err() {
                        return false;
                    }
                    None
                }
                (Op::Unsubscribe, None) => None,
            };
            if ack
                && let Some(reply) = dialect.ack_item(op, meta, item, info, &self.tag)
                && !self.send(socket, reply).await
            {
                return false;
            }
        }
        if ack
            && !refused
            && let Some(reply) = dialect.ack_request(op, meta, items)
        {
            return self.send(socket, reply).await;
        }
        true
    }

    /// Sends a command with a reply channel to the replay and waits for the answer.
    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        self.app.commands.send(command(reply)).await.ok()?;
        answer.await.ok()
    }

    /// `text` carrying this connection's next number, in place of the capture's own, on
    /// dialects that number frames; unchanged (and no number used) for a frame the dialect
    /// does not number (Bitfinex events, Coinbase errors).
    fn number(&mut self, text: Utf8Bytes) -> Utf8Bytes {
        let Some(next) = self.numbered else { return text };
        let numbered = match self.app.dialect {
            Dialect::Bitfinex => number_array_frame(text.as_str(), next),
            Dialect::CoinbaseAdvanced => number_sequence_field(text.as_str(), next),
            _ => None,
        };
        match numbered {
            Some(numbered) => {
                self.numbered = Some(next + 1);
                Utf8Bytes::from(numbered)
            }
            None => text,
        }
    }

    async fn send(&mut self, socket: &mut WebSocket, text: String) -> bool {
        self.send_text(socket, Utf8Bytes::from(text)).await
    }

    async fn send_text(&mut self, socket: &mut WebSocket, text: Utf8Bytes) -> bool {
        let text = self.number(text);
        let message = if self.app.dialect.compresses() {
            match gzip(text.as_bytes()) {
                Some(bytes) => Message::Binary(bytes.into()),
                None => return false,
            }
        } else {
            Message::Text(text)
        };
        let ok = socket.send(message).await.is_ok();
        self.last_sent = Instant::now();
        ok
    }
}
