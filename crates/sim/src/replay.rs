//! The one global replay: the truth engine, the subscriber routes, pacing, fan-out and the
//! frame faults.
//!
//! One task owns everything here, so the order of events is simple to state:
//!
//! - A capture record is classified by the replay's own decoder, then fed to the truth engine,
//!   then (if it is a delta book frame) handed to the subscribers of its symbols.
//! - A subscription is registered between two records. A stream snapshot rendered for it holds
//!   every record processed so far and goes into the connection's queue ahead of any later
//!   delta; the delta being delivered when it arrived (if any) is not sent to it. So a client's
//!   snapshot plus its deltas is the truth book, message for message.
//! - A REST snapshot is rendered from the truth book between two records, as of every record
//!   processed so far.
//! - Delivery waits for each subscriber's bounded queue (backpressure), and keeps serving
//!   commands while it waits, so one slow client slows the replay but blocks no subscription,
//!   REST request or disconnect.
//!
//! Invariant: a route either awaits its snapshot (and gets no deltas) or has had it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use depthbook_core::{Book, FragmentCache, Price, Side};
use depthbook_engine::{Engine, EngineConfig};
use depthbook_venues::{Frame, Venue};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::classify::{Classified, Classifier, MAX_SYMBOLS};
use crate::config::{Pace, ServeConfig};
use crate::derived::{DerivedKind, DerivedStream};
use crate::faults::{FaultPlan, corrupt_size};
use crate::snapshot::{self, BookView};
use crate::source::{RecordData, SourceItem};
use crate::stats::{Counters, bump};
use crate::subscribe::{Dialect, SubscribeInfo, Topic};

/// Identifies one WebSocket connection for the life of a server.
pub(crate) type ConnId = u64;

/// What the replay queues for a connection.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    /// A capture delta frame: the bytes as recorded (unless a fault changed them).
    Delta(Utf8Bytes),
    /// A stream snapshot rendered from the truth book.
    Snapshot(Utf8Bytes),
    /// The checksum of a book after a delta (Bitfinex `[chanId,"cs",crc]`), from the truth
    /// book: sent to connections that asked for checksums.
    Checksum(Utf8Bytes),
}

/// The answer to a REST depth request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DepthAnswer {
    /// The rendered body.
    Body(String),
    /// The symbol is in the capture but its book is not Live (yet).
    NotLive,
    /// The capture has not shown this symbol.
    Unknown,
}

/// What connections and REST handlers ask of the replay.
#[derive(Debug)]
pub(crate) enum Command {
    /// A subscription without a book topic: counts towards starting the replay.
    Start,
    /// Subscribe `conn` to `topic` (counts towards starting the replay). The reply says what
    /// the ack needs.
    Subscribe {
        /// The connection.
        conn: ConnId,
        /// Its queue.
        outbox: mpsc::Sender<Outbound>,
        /// What it subscribes.
        topic: Topic,
        /// Answered once the route exists.
        reply: oneshot::Sender<SubscribeInfo>,
    },
    /// Stop sending `symbol` to `conn`.
    Unsubscribe {
        /// The connection.
        conn: ConnId,
        /// The symbol.
        symbol: String,
        /// Answered once the route is gone.
        reply: oneshot::Sender<SubscribeInfo>,
    },
    /// A snapshot of a derived stream asked on the connection (HTX `req`): the answer goes
    /// into `outbox` behind whatever was queued before.
    Fetch {
        /// The connection's queue.
        outbox: mpsc::Sender<Outbound>,
        /// The stream.
        topic: Topic,
        /// The client's request id, echoed.
        id: Option<serde_json::Value>,
    },
    /// `conn` is gone: remove its routes.
    Closed {
        /// The connection.
        conn: ConnId,
    },
    /// A REST depth snapshot of `symbol`, at most `limit` levels a side. With `wait`, an answer
    /// for a book that is not Live is held until it is (or until the replay ends).
    Depth {
        /// The symbol.
        symbol: String,
        /// Levels per side.
        limit: usize,
        /// Whether to wait for the book to be Live.
        wait: bool,
        /// Gate.io: the USDT futures body (asked by `contract`) rather than spot's.
        futures: bool,
        /// The answer.
        reply: oneshot::Sender<DepthAnswer>,
    },
}

/// Most REST requests waiting for a book at once; more are answered at once.
const MAX_WAITERS: usize = 1_024;
/// Levels near the touch a corrupt fault prefers to alter (Kraken checksums cover 10).
const NEAR_TOUCH: usize = 10;

/// One subscriber of one symbol.
#[derive(Debug)]
struct Route {
    conn: ConnId,
    outbox: mpsc::Sender<Outbound>,
    /// The depth the client asked for (Kraken v2 snapshots are cut to it).
    depth: Option<u32>,
    /// Whether the client gets stream snapshots.
    wants_snapshot: bool,
    /// Whether its snapshot is still to be sent (no deltas until then).
    awaiting_snapshot: bool,
    /// The derived stream it reads instead of the capture's frames, if any.
    derived: Option<DerivedKind>,
}

/// Who a delta frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Subscribers of the capture's own channel: the frame is the capture's.
    Capture,
    /// Subscribers of one derived stream: the frame is that stream's.
    Derived(DerivedKind),
}

/// A delta frame ready to deliver.
#[derive(Debug, Clone)]
struct Prepared {
    text: Utf8Bytes,
    symbols: Vec<String>,
    audience: Audience,
}

/// The replay task's state.
pub(crate) struct Replay {
    venue: Venue,
    dialect: Dialect,
    pace: Pace,
    max_gap: Duration,
    engine: Engine,
    /// The replay's own decoder: what each record is, and what the capture says per symbol.
    classifier: Classifier,
    routes: HashMap<String, Vec<Route>>,
    /// Symbols with a route awaiting its snapshot.
    awaiting: HashSet<String>,
    /// Whether an awaited book may have become Live (or a route started awaiting) since the
    /// awaiting routes were last looked at.
    recheck_awaiting: bool,
    waiters: Vec<(String, usize, bool, oneshot::Sender<DepthAnswer>)>,
    /// Streams derived from the truth book, per symbol (HTX `mbp`, Bybit `orderbook.full`).
    derived: HashMap<String, Vec<DerivedStream>>,
    /// Answers to `Fetch` commands, to queue on their connections.
    fetched: Vec<(mpsc::Sender<Outbound>, Utf8Bytes)>,
    faults: Arc<FaultPlan>,
    /// A reordered frame, sent after the next one.
    held: Option<Prepared>,
    commands: mpsc::Receiver<Command>,
    records: mpsc::Receiver<SourceItem>,
    next: Option<Classified>,
    /// When `next` may be processed (recorded pace).
    due: Instant,
    last_processed: Instant,
    last_recv_ns: Option<i64>,
    /// Receive time of the last record processed.
    position_ns: i64,
    deltas_seen: u64,
    /// Frames forwarded per derived stream kind: faults name the n-th frame of the capture's
    /// channel and, separately, the n-th of each derived stream.
    derived_seen: HashMap<DerivedKind, u64>,
    /// Subscriptions so far; the replay starts at `start_after`.
    subscriptions: u64,
    start_after: u64,
    started: bool,
    source_done: bool,
    done: bool,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("venue", &self.venue)
            .field("started", &self.started)
            .field("done", &self.done)
            .field("deltas_seen", &self.deltas_seen)
            .finish_non_exhaustive()
    }
}

impl Replay {
    pub(crate) fn new(
        config: &ServeConfig,
        dialect: Dialect,
        faults: Arc<FaultPlan>,
        commands: mpsc::Receiver<Command>,
        records: mpsc::Receiver<SourceItem>,
        counters: Arc<Counters>,
    ) -> Self {
        let mut engine_config = EngineConfig::new(config.venue);
        engine_config.default_depth = config.default_depth;
        engine_config.default_precision = config.default_precision;
        engine_config.max_instruments = MAX_SYMBOLS;
        // The exchange holds its whole book: a Coinbase snapshot renders every level (tens of
        // thousands a side), past the client's cap.
        engine_config.max_levels_per_side = 250_000;
        let classifier =
            Classifier::new(config.venue, dialect, engine_config.limits, config.default_precision);
        let now = Instant::now();
        Self {
            venue: config.venue,
            dialect,
            pace: config.pace,
            max_gap: config.max_gap,
            engine: Engine::new(engine_config),
            classifier,
            routes: HashMap::new(),
            awaiting: HashSet::new(),
            recheck_awaiting: false,
            waiters: Vec::new(),
            derived: HashMap::new(),
            fetched: Vec::new(),
            faults,
            held: None,
            commands,
            records,
            next: None,
            due: now,
            last_processed: now,
            last_recv_ns: None,
            position_ns: 0,
            deltas_seen: 0,
            derived_seen: HashMap::new(),
            subscriptions: 0,
            start_after: config.start_after.max(1),
            started: false,
            source_done: false,
            done: false,
            counters,
        }
    }

    /// Runs until every command sender is gone (the server shut down).
    pub(crate) async fn run(mut self) {
        loop {
            if self.recheck_awaiting && !self.awaiting.is_empty() {
                self.recheck_awaiting = false;
                self.send_snapshots().await;
            }
            if !self.waiters.is_empty() {
                self.answer_waiters();
            }
            for (outbox, text) in std::mem::take(&mut self.fetched) {
                // A connection gone meanwhile is removed by its own `Closed`.
                let _ = self.push(&outbox, Outbound::Snapshot(text)).await;
            }
            if self.source_done && self.next.is_none() && !self.done {
                self.finish().await;
            }
            if self.ready() {
                self.process_next().await;
                continue;
            }
            let want_record = self.next.is_none() && !self.source_done;
            let timed = self.next.is_some() && self.started;
            let due = self.due;
            tokio::select! {
                biased;
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => return,
                },
                item = self.records.recv(), if want_record => self.on_source(item),
                () = tokio::time::sleep_until(due), if timed => {}
            }
        }
    }

    /// Whether the classified record may be processed now. Before the replay starts, records
    /// up to the first one subscribers would receive (a delta frame, or a whole-book push on
    /// HTX) are processed at once: they tell acks and snapshots what the capture announces
    /// (Kraken v1 channel ids, books).
    fn ready(&self) -> bool {
        match &self.next {
            None => false,
            Some(next) if !self.started => {
                let received = !next.deltas.is_empty()
                    || (self.dialect.pushes_whole_books() && !next.snapshots.is_empty());
                !received
            }
            Some(_) => self.due <= Instant::now(),
        }
    }

    fn on_source(&mut self, item: Option<SourceItem>) {
        match item {
            Some(SourceItem::Record(record)) => {
                let classified = self.classifier.classify(record);
                self.due = self.due_time(classified.record.recv_ns);
                self.next = Some(classified);
            }
            Some(SourceItem::Failed(why)) => {
                tracing::warn!(%why, "capture read failed; the replay ends here");
                self.source_done = true;
            }
            None => self.source_done = true,
        }
    }

    /// When a record received at `recv_ns` is due: the recorded gap since the previous one,
    /// divided by the speed-up and capped, after the previous one was processed.
    fn due_time(&self, recv_ns: i64) -> Instant {
        let Pace::Recorded { speedup } = self.pace else { return self.last_processed };
        let (Some(last), true) = (self.last_recv_ns, self.started) else {
            return self.last_processed;
        };
        let gap_ns = u64::try_from(recv_ns.saturating_sub(last)).unwrap_or(0);
        let gap = Duration::from_nanos(gap_ns / u64::from(speedup.max(1)));
        self.last_processed + gap.min(self.max_gap)
    }

    async fn process_next(&mut self) {
        let Some(Classified { record, deltas, snapshots }) = self.next.take() else { return };
        self.last_processed = Instant::now();
        self.last_recv_ns = Some(record.recv_ns);
        self.position_ns = record.recv_ns;
        bump(&self.counters.replay_records);
        // A book changes state only on a record naming it, a REST body or a disconnect.
        self.recheck_awaiting |= !matches!(record.data, RecordData::Frame(_))
            || deltas.iter().chain(&snapshots).any(|s| self.awaiting.contains(s));
        match record.data {
            RecordData::Frame(bytes) => {
                self.engine.ingest(&Frame::stream(&bytes), record.recv_ns);
                for symbol in &snapshots {
                    self.resnapshot(symbol);
                }
                let derived = self.advance_derived(deltas.iter().chain(&snapshots));
                if !deltas.is_empty() {
                    self.forward(bytes, deltas, Audience::Capture).await;
                }
                for (symbol, kind, text) in derived {
                    self.forward(text.into_bytes(), vec![symbol], Audience::Derived(kind)).await;
                }
            }
            RecordData::Rest { body, url } => {
                self.engine.ingest(&Frame::rest(&body, url.as_deref()), record.recv_ns);
            }
            RecordData::Disconnect => self.engine.disconnect(),
        }
    }

    /// A capture snapshot for `symbol` (a resubscription in the recording): its stream
    /// subscribers get a fresh snapshot, so their books follow the capture's from here.
    fn resnapshot(&mut self, symbol: &str) {
        let Some(routes) = self.routes.get_mut(symbol) else { return };
        for route in routes.iter_mut().filter(|r| r.wants_snapshot) {
            route.awaiting_snapshot = true;
            self.awaiting.insert(symbol.to_owned());
            self.recheck_awaiting = true;
        }
    }

    /// Brings the derived streams of `symbols` to their truth books (those that are Live):
    /// the messages to forward, in order.
    fn advance_derived<'s>(
        &mut self,
        symbols: impl Iterator<Item = &'s String>,
    ) -> Vec<(String, DerivedKind, String)> {
        let mut out = Vec::new();
        for symbol in symbols {
            let time_ms = self.time_ms(symbol);
            let Some(streams) = self.derived.get_mut(symbol) else { continue };
            let Some(id) = self.engine.instrument(symbol) else { continue };
            if !self.engine.state(id).is_some_and(|s| s.is_live()) {
                continue;
            }
            let Some(truth) = self.engine.book(id) else { continue };
            for stream in streams.iter_mut() {
                if let Some(text) = stream.advance(truth, time_ms) {
                    out.push((symbol.clone(), stream.kind(), text));
                }
            }
        }
        out
    }

    /// The derived stream `kind` of `symbol`, started from its truth book if it is new.
    fn derived_stream(&mut self, symbol: &str, kind: DerivedKind) -> &mut DerivedStream {
        let truth = self
            .engine
            .instrument(symbol)
            .filter(|&id| self.engine.state(id).is_some_and(|s| s.is_live()))
            .and_then(|id| self.engine.book(id));
        let streams = self.derived.entry(symbol.to_owned()).or_default();
        let at = match streams.iter().position(|s| s.kind() == kind) {
            Some(at) => at,
            None => {
                streams.push(DerivedStream::new(kind, symbol, truth));
                streams.len() - 1
            }
        };
        &mut streams[at]
    }

    /// The venue time to stamp on a message about `symbol`, in ms.
    fn time_ms(&self, symbol: &str) -> i64 {
        self.classifier.facts(symbol).exchange_ms.unwrap_or(self.position_ns.div_euclid(1_000_000))
    }

    /// Numbers a delta frame, applies its faults, and delivers it to `audience`.
    async fn forward(&mut self, mut bytes: Vec<u8>, symbols: Vec<String>, audience: Audience) {
        let symbols_of_frame =
            if self.dialect == Dialect::Bitfinex { symbols.clone() } else { Vec::new() };
        let number = match audience {
            Audience::Capture => {
                self.deltas_seen += 1;
                self.deltas_seen
            }
            Audience::Derived(kind) => {
                let seen = self.derived_seen.entry(kind).or_default();
                *seen += 1;
                *seen
            }
        };
        bump(&self.counters.replay_deltas);
        let faults = self.faults.for_frame(number);
        let current = if faults.drop {
            bump(&self.counters.dropped);
            None
        } else {
            if faults.corrupt {
                let book = symbols
                    .first()
                    .and_then(|s| self.engine.instrument(s))
                    .and_then(|id| self.engine.book(id));
                if corrupt_size(&mut bytes, |price| book.is_some_and(|b| near_touch(b, price))) {
                    bump(&self.counters.corrupted);
                }
            }
            match Utf8Bytes::try_from(bytes) {
                Ok(text) => Some(Prepared { text, symbols, audience }),
                Err(_) => {
                    tracing::warn!(frame = number, "capture frame is not UTF-8; not sent");
                    None
                }
            }
        };
        if let Some(frame) = current {
            if faults.reorder && self.held.is_none() {
                bump(&self.counters.reordered);
                self.held = Some(frame);
                return;
            }
            self.deliver(&frame).await;
            if faults.duplicate {
                bump(&self.counters.duplicated);
                self.deliver(&frame).await;
            }
        }
        if let Some(held) = self.held.take() {
            self.deliver(&held).await;
        }
        // The venue's checksum of the book after the capture's frame (whatever a fault did to
        // the frame on its way): a client whose book differs finds out.
        if self.dialect == Dialect::Bitfinex && audience == Audience::Capture {
            for symbol in &symbols_of_frame {
                self.deliver_checksum(symbol).await;
            }
        }
    }

    /// Sends the truth book's Bitfinex checksum of `symbol`, if Live, to its subscribers.
    async fn deliver_checksum(&mut self, symbol: &str) {
        let Some(id) = self.engine.instrument(symbol) else { return };
        if !self.engine.state(id).is_some_and(|s| s.is_live()) {
            return;
        }
        let Some(book) = self.engine.book(id) else { return };
        let text = format!(
            "[{},\"cs\",{}]",
            self.classifier.channel_id(symbol),
            depthbook_core::checksum::bitfinex_crc32(book, &mut FragmentCache::new())
        );
        let frame = Prepared {
            text: Utf8Bytes::from(text),
            symbols: vec![symbol.to_owned()],
            audience: Audience::Capture,
        };
        let targets = self.targets(&frame);
        for (conn, outbox) in targets {
            if !self.push(&outbox, Outbound::Checksum(frame.text.clone())).await {
                self.remove_conn(conn);
            }
        }
    }

    /// Sends a delta frame to every connection subscribed to one of its symbols (once each)
    /// whose snapshot, if it wants one, has been sent.
    async fn deliver(&mut self, frame: &Prepared) {
        let targets = self.targets(frame);
        for (conn, outbox) in targets {
            if !self.push(&outbox, Outbound::Delta(frame.text.clone())).await {
                self.remove_conn(conn);
            }
        }
    }

    /// The connections a frame goes to: subscribed to one of its symbols (once each), in its
    /// audience, with their snapshot sent if they want one.
    fn targets(&self, frame: &Prepared) -> Vec<(ConnId, mpsc::Sender<Outbound>)> {
        let mut targets: Vec<(ConnId, mpsc::Sender<Outbound>)> = Vec::new();
        for symbol in &frame.symbols {
            for route in self.routes.get(symbol).into_iter().flatten() {
                let audience = match route.derived {
                    Some(kind) => Audience::Derived(kind),
                    None => Audience::Capture,
                };
                if audience == frame.audience
                    && !route.awaiting_snapshot
                    && !targets.iter().any(|(c, _)| *c == route.conn)
                {
                    targets.push((route.conn, route.outbox.clone()));
                }
            }
        }
        targets
    }

    /// Queues `message` for one connection, waiting for room while serving commands. False if
    /// the connection is gone.
    async fn push(&mut self, outbox: &mpsc::Sender<Outbound>, message: Outbound) -> bool {
        loop {
            tokio::select! {
                biased;
                permit = outbox.reserve() => {
                    return match permit {
                        Ok(permit) => {
                            permit.send(message);
                            true
                        }
                        Err(_) => false,
                    };
                }
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => return false,
                },
            }
        }
    }

    /// Sends stream snapshots to the routes awaiting one whose truth book is Live.
    async fn send_snapshots(&mut self) {
        let symbols: Vec<String> = self.awaiting.iter().cloned().collect();
        for symbol in symbols {
            let mut rendered: HashMap<Option<u32>, Utf8Bytes> = HashMap::new();
            let waiting: Vec<(ConnId, mpsc::Sender<Outbound>, Option<u32>)> = self
                .routes
                .get(&symbol)
                .into_iter()
                .flatten()
                .filter(|r| r.awaiting_snapshot)
                .map(|r| (r.conn, r.outbox.clone(), r.depth))
                .collect();
            for (conn, outbox, depth) in waiting {
                let text = match rendered.get(&depth) {
                    Some(text) => text.clone(),
                    None => match self.render_snapshot(&symbol, depth) {
                        Some(text) => {
                            let text = Utf8Bytes::from(text);
                            rendered.insert(depth, text.clone());
                            text
                        }
                        // Not Live yet: stays awaiting.
                        None => break,
                    },
                };
                if self.push(&outbox, Outbound::Snapshot(text)).await {
                    self.mark_sent(&symbol, conn);
                } else {
                    self.remove_conn(conn);
                }
            }
            let still =
                self.routes.get(&symbol).is_some_and(|r| r.iter().any(|r| r.awaiting_snapshot));
            if !still {
                self.awaiting.remove(&symbol);
            }
        }
    }

    fn mark_sent(&mut self, symbol: &str, conn: ConnId) {
        if let Some(route) =
            self.routes.get_mut(symbol).and_then(|r| r.iter_mut().find(|r| r.conn == conn))
        {
            route.awaiting_snapshot = false;
        }
    }

    /// The Live truth book of `symbol` with what snapshots state about it.
    fn live_view(&self, symbol: &str) -> Option<BookView<'_>> {
        let id = self.engine.instrument(symbol)?;
        if !self.engine.state(id)?.is_live() {
            return None;
        }
        Some(BookView {
            book: self.engine.book(id)?,
            seq: self.engine.last_seq(id),
            exchange_ms: self.classifier.facts(symbol).exchange_ms,
            position_ns: self.position_ns,
        })
    }

    /// The venue's stream snapshot of `symbol` for a route of `depth`, if its book is Live.
    fn render_snapshot(&self, symbol: &str, depth: Option<u32>) -> Option<String> {
        let view = self.live_view(symbol)?;
        let facts = self.classifier.facts(symbol);
        match self.dialect {
            // Their snapshots come over REST.
            Dialect::Binance | Dialect::GateIo => None,
            Dialect::Okx => Some(snapshot::okx(symbol, &view)),
            Dialect::Deribit => Some(snapshot::deribit(symbol, &view)),
            Dialect::CoinbaseExchange => Some(snapshot::coinbase_exchange(symbol, &view)),
            Dialect::Htx => Some(snapshot::htx_step0(symbol, &view)),
            Dialect::CoinbaseAdvanced => Some(snapshot::coinbase_advanced(symbol, &view)),
            Dialect::Bybit => {
                // Named as the capture's channel, whatever depth the client asked for: its
                // recorded deltas go on with that topic, and a book's snapshot and deltas
                // share one (they are one book only on one channel).
                let topic = facts.depth.or(depth);
                let depth = depth.map_or(usize::MAX, |d| usize::try_from(d).unwrap_or(usize::MAX));
                Some(snapshot::bybit(symbol, &view, depth, topic))
            }
            Dialect::Bitfinex => {
                Some(snapshot::bitfinex(self.classifier.channel_id(symbol), &view))
            }
            Dialect::KrakenV2 => {
                let depth = depth.or(facts.depth).unwrap_or(10);
                let depth = usize::try_from(depth).unwrap_or(usize::MAX);
                Some(snapshot::kraken_v2(symbol, &view, depth, self.classifier.precision(symbol)))
            }
            Dialect::KrakenV1 => {
                let depth = facts.depth.or(depth).unwrap_or(10);
                Some(snapshot::kraken_v1(symbol, &view, self.classifier.channel_id(symbol), depth))
            }
        }
    }

    fn subscribe_info(&self, symbol: &str) -> SubscribeInfo {
        SubscribeInfo {
            channel_id: self.classifier.channel_id(symbol),
            capture_depth: self.classifier.facts(symbol).depth,
        }
    }

    /// Counts a subscription; the replay starts at the configured count.
    fn start(&mut self) {
        self.subscriptions += 1;
        if !self.started && self.subscriptions >= self.start_after {
            self.started = true;
            self.counters.replay_started.store(true, std::sync::atomic::Ordering::Relaxed);
            self.last_processed = Instant::now();
            self.due = self.last_processed;
            tracing::info!(venue = %self.venue, "replay started");
        }
    }

    /// Serves one command. Never waits: routes change, answers go out on oneshot channels.
    fn handle(&mut self, command: Command) {
        match command {
            Command::Start => self.start(),
            Command::Subscribe { conn, outbox, topic, reply } => {
                self.start();
                bump(&self.counters.subscriptions);
                let wants_snapshot = topic.snapshot && self.dialect != Dialect::Binance;
                if let Some(kind) = topic.derived {
                    self.derived_stream(&topic.symbol, kind);
                }
                let routes = self.routes.entry(topic.symbol.clone()).or_default();
                routes.retain(|r| r.conn != conn);
                routes.push(Route {
                    conn,
                    outbox,
                    depth: topic.depth,
                    wants_snapshot,
                    awaiting_snapshot: wants_snapshot,
                    derived: topic.derived,
                });
                if wants_snapshot {
                    self.awaiting.insert(topic.symbol.clone());
                    self.recheck_awaiting = true;
                }
                let _ = reply.send(self.subscribe_info(&topic.symbol));
            }
            Command::Unsubscribe { conn, symbol, reply } => {
                if let Some(routes) = self.routes.get_mut(&symbol) {
                    routes.retain(|r| r.conn != conn);
                    if routes.is_empty() {
                        self.routes.remove(&symbol);
                    }
                }
                let _ = reply.send(self.subscribe_info(&symbol));
            }
            Command::Fetch { outbox, topic, id } => {
                let Some(kind) = topic.derived else { return };
                let time_ms = self.time_ms(&topic.symbol);
                let text = self.derived_stream(&topic.symbol, kind).htx_reply(id.as_ref(), time_ms);
                self.fetched.push((outbox, Utf8Bytes::from(text)));
            }
            Command::Closed { conn } => self.remove_conn(conn),
            Command::Depth { symbol, limit, wait, futures, reply } => {
                if let Some(body) = self.render_rest(&symbol, limit, futures) {
                    let _ = reply.send(DepthAnswer::Body(body));
                } else if wait && !self.done && self.waiters.len() < MAX_WAITERS {
                    self.waiters.push((symbol, limit, futures, reply));
                } else {
                    let _ = reply.send(self.not_live(&symbol));
                }
            }
        }
    }

    fn remove_conn(&mut self, conn: ConnId) {
        self.routes.retain(|_, routes| {
            routes.retain(|r| r.conn != conn);
            !routes.is_empty()
        });
    }

    fn render_rest(&mut self, symbol: &str, limit: usize, futures: bool) -> Option<String> {
        let view = self.live_view(symbol)?;
        if self.venue == Venue::Bybit {
            // `/v5/market/full_orderbook`: the `orderbook.full` stream's book at its `u`.
            let time_ms = view.time_ms();
            return Some(self.derived_stream(symbol, DerivedKind::BybitFull).bybit_rest(time_ms));
        }
        Some(match self.venue {
            Venue::GateIo => snapshot::gateio_rest(&view, limit, futures),
            venue => snapshot::binance_rest(&view, limit, venue == Venue::BinanceUsdm),
        })
    }

    /// Why there is no body: a symbol the running replay has not shown is unknown; before the
    /// replay starts nothing can be said yet.
    fn not_live(&self, symbol: &str) -> DepthAnswer {
        if !self.started || self.engine.instrument(symbol).is_some() {
            DepthAnswer::NotLive
        } else {
            DepthAnswer::Unknown
        }
    }

    /// Answers REST requests whose book became Live (or that can no longer become Live).
    fn answer_waiters(&mut self) {
        let waiters = std::mem::take(&mut self.waiters);
        for (symbol, limit, futures, reply) in waiters {
            if reply.is_closed() {
                continue;
            }
            if let Some(body) = self.render_rest(&symbol, limit, futures) {
                let _ = reply.send(DepthAnswer::Body(body));
            } else if self.done {
                let _ = reply.send(self.not_live(&symbol));
            } else {
                self.waiters.push((symbol, limit, futures, reply));
            }
        }
    }

    /// The end of the capture: a held frame goes out, waiting REST requests are answered. The
    /// connections stay open.
    async fn finish(&mut self) {
        if let Some(held) = self.held.take() {
            self.deliver(&held).await;
        }
        self.done = true;
        self.counters.replay_done.store(true, std::sync::atomic::Ordering::Relaxed);
        self.answer_waiters();
        let counters = self.engine.counters();
        tracing::info!(
            deltas = self.deltas_seen,
            frames = counters.frames,
            gaps = counters.gaps,
            checksum_failures = counters.checksum_failures,
            "replay reached the end of the capture"
        );
    }
}

/// Whether `price` is among the best levels of either side of `book`.
fn near_touch(book: &Book, price: &str) -> bool {
    let Ok((price, _)) = Price::parse(price) else { return false };
    [Side::Bid, Side::Ask]
        .into_iter()
        .any(|side| book.side(side).iter().take(NEAR_TOUCH).any(|l| l.price == price))
}
