//! The live ingest loop: network tasks on a small tokio runtime move bytes in; one thread (the
//! caller's) decodes, applies and publishes through the engine, decides resyncs, and records.
//!
//! # Resync policy
//! - A book that needs a snapshot (the engine raises the request: a gap, a checksum mismatch,
//!   a bad message, or, for REST venues, the first buffered delta) is resynced by the venue's
//!   method: a REST snapshot bridged with the buffered stream (Binance, Gate.io, Bybit
//!   `orderbook.full`), a snapshot asked on the stream and bridged the same way (HTX `mbp`),
//!   unsubscribe + subscribe (OKX, Kraken), or a reconnect (Bitfinex, Coinbase Advanced
//!   Trade). Only that book, except on reconnecting venues: the others keep publishing.
//! - Repeated resyncs of one book are spaced by its own exponential backoff with jitter, reset
//!   once the book has stayed Live for [`LiveConfig::healthy_after`]. REST requests of every book
//!   go through one weight budget per venue ([`crate::budget`]).
//! - A resync that has not brought the book back within [`LiveConfig::resync_timeout`] is started
//!   again (a lost request, a refused snapshot, a server that never answers the subscribe).
//! - Where snapshots are asked for, a book whose stream has buffered no delta
//!   [`LiveConfig::first_snapshot_after`] after its subscription asks anyway, so an illiquid
//!   book goes Live from the snapshot alone rather than after the resync timeout.
//! - A Live book that receives no data for the venue's watchdog interval goes Stale (recorded as
//!   `@watchdog` so a replay repeats it) and is resubscribed.
//! - When the connection drops, every book goes Stale at once (consumers get a status event for
//!   each); the connection task reconnects with backoff and resubscribes everything, and books
//!   return to Live one by one as their snapshots arrive or bridge.

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::Receiver;
use depthbook_engine::{Engine, EngineConfig, StaleReason, Status, Update};
use depthbook_venues::{Frame, InstrumentId, Venue};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use crate::backoff::Backoff;
use crate::connection::{self, Command, ConnectionConfig};
use crate::counters::{NetCounters, NetSnapshot, bump};
use crate::error::NetError;
use crate::input::{Input, now_ns};
use crate::metrics::LiveMetrics;
use crate::protocol::{BookChannel, Market, Protocol, ResyncMethod};
use crate::recorder::{Entry, RecordConfig, Recorder};
use crate::rest::{self, RestCommand, RestConfig};
use crate::tls;

/// How a live feed is set up. [`LiveConfig::new`] gives the venue's defaults.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// The venue.
    pub venue: Venue,
    /// Instruments, as the venue spells them in its messages.
    pub symbols: Vec<String>,
    /// Which of the venue's markets (Gate.io: spot or USDT futures).
    pub market: Market,
    /// Which of the venue's book channels (HTX `mbp`, Bybit `orderbook.full`).
    pub channel: BookChannel,
    /// Subscribed depth (Kraken); `None` for the venue's default.
    pub depth: Option<u32>,
    /// Price and size decimals where the feed does not announce them (Kraken v2 checksums).
    pub precision: Option<(u8, u8)>,
    /// WebSocket URL in place of the venue's (a testnet, the loopback server).
    pub ws_url: Option<String>,
    /// REST base URL in place of the venue's.
    pub rest_url: Option<String>,
    /// Record every input here.
    pub record: Option<RecordConfig>,
    /// Book silence that makes a Live book Stale; `None` for the venue's, zero to disable.
    pub book_watchdog: Option<Duration>,
    /// Connection silence after which we ping, and after which we give the connection up;
    /// `None` for the venue's.
    pub keepalive: Option<(Duration, Duration)>,
    /// A resync not finished within this is started again.
    pub resync_timeout: Duration,
    /// Where snapshots are asked for (REST, HTX `req`), a book that has not asked for its first
    /// one this long after its subscription asks anyway: books ask when they buffer their first
    /// delta, and an illiquid book would otherwise wait for the resync timeout.
    pub first_snapshot_after: Duration,
    /// First and largest spacing between two resyncs of one book (jittered).
    pub resync_backoff: (Duration, Duration),
    /// First and largest wait before reconnecting (jittered).
    pub reconnect_backoff: (Duration, Duration),
    /// Least time between two connection attempts; `None` for the venue's rate limit.
    pub min_connect_interval: Option<Duration>,
    /// A connection or book that stayed healthy this long resets its backoff.
    pub healthy_after: Duration,
    /// Give a connection attempt up after this.
    pub connect_timeout: Duration,
    /// Largest WebSocket message or REST body accepted, and the engine's frame limit: the
    /// venue's ([`depthbook_venues::Limits::for_venue`]: 32 MiB for Coinbase Advanced Trade,
    /// whose snapshots hold the whole book) unless set.
    pub max_message_bytes: usize,
    /// How often timers are checked.
    pub tick: Duration,
    /// Export counters and latency histograms through the `metrics` facade (see the
    /// `metrics` module): to whichever recorder the application installed.
    pub metrics: bool,
}

impl LiveConfig {
    /// The defaults for `venue` and `symbols`.
    pub fn new(venue: Venue, symbols: Vec<String>) -> Self {
        Self {
            venue,
            symbols,
            market: Market::Spot,
            channel: BookChannel::Default,
            depth: None,
            precision: None,
            ws_url: None,
            rest_url: None,
            record: None,
            book_watchdog: None,
            keepalive: None,
            resync_timeout: Duration::from_secs(15),
            first_snapshot_after: Duration::from_secs(2),
            resync_backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            reconnect_backoff: (Duration::from_millis(500), Duration::from_secs(30)),
            min_connect_interval: None,
            healthy_after: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_message_bytes: depthbook_venues::Limits::for_venue(venue).max_frame_bytes,
            tick: Duration::from_millis(100),
            metrics: false,
        }
    }
}

/// What one call of [`Live::step`] processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A WebSocket frame went through the engine.
    Frame {
        /// Its receive time, ns since the Unix epoch.
        recv_ns: i64,
    },
    /// A REST snapshot went through the engine.
    Rest {
        /// Its receive time.
        recv_ns: i64,
    },
    /// A connection opened.
    Opened,
    /// A connection closed: every book went Stale.
    Closed,
    /// Timers ran.
    Tick {
        /// Now, ns since the Unix epoch.
        now_ns: i64,
    },
    /// A note for the record (a message we sent).
    Sent,
    /// A frame was rejected before the engine (a binary frame from a text-only venue).
    Rejected,
}

/// One book's resync bookkeeping (times in ns since the Unix epoch).
#[derive(Debug)]
struct BookTimer {
    backoff: Backoff,
    // No resync of this book before this.
    next_allowed: i64,
    // A resync was wanted before `next_allowed`.
    deferred: bool,
    // Since when the book has been waiting for a snapshot: the last resync, or the
    // connection's (re)subscribe. `None` while Live.
    waiting_since: Option<i64>,
    // Since when the book has been Live (on the ticks' clock).
    live_since: Option<i64>,
    // A resync was started since the connection (re)opened.
    asked: bool,
}

/// Why a resync starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// The engine asked for a snapshot, or a resync timed out.
    Request,
    /// The book watchdog found the stream silent.
    Watchdog,
    /// A book of a snapshot-asking venue has not asked since its subscription.
    FirstSnapshot,
}

/// A running live feed. Create with [`Live::start`], then call [`Live::step`] in a loop on the
/// thread that owns the books; read views from channels got with
/// [`Engine::subscribe`] through [`Live::engine_mut`].
#[derive(Debug)]
pub struct Live {
    engine: Engine,
    statuses: Receiver<Update>,
    inputs: mpsc::Receiver<Input>,
    conn_tx: mpsc::Sender<Command>,
    rest_tx: Option<mpsc::Sender<RestCommand>>,
    runtime: Option<Runtime>,
    counters: Arc<NetCounters>,
    recorder: Option<Recorder>,
    protocol: Protocol,
    watchdog_ns: Option<i64>,
    resync_timeout_ns: i64,
    first_snapshot_ns: i64,
    healthy_ns: i64,
    timers: Vec<BookTimer>,
    // Last time written to the record, so notes never go back in time.
    last_ns: i64,
    // Latest receive time handed to the engine: frames and REST bodies come from different
    // tasks, and the engine's clock must never go back.
    last_recv_ns: i64,
    // Whether the venue connection is up: resyncs wait for it (the reconnect resubscribes
    // every book, and a REST snapshot without a flowing stream would make a book Live that
    // nothing updates).
    connected: bool,
    // A reconnect was asked of this connection (venues that resync by reconnecting).
    reconnect_requested: bool,
    requests: Vec<(InstrumentId, Option<StaleReason>)>,
    metrics: Option<LiveMetrics>,
}

fn ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl Live {
    /// Checks the configuration, starts the network tasks and the recorder, and returns the
    /// loop, ready for [`Live::step`].
    ///
    /// # Errors
    /// Bad symbols or URLs, too many symbols for one connection, a capture file that cannot be
    /// opened, a runtime or TLS setup failure.
    pub fn start(config: LiveConfig) -> Result<Live, NetError> {
        let mut protocol =
            Protocol::of_market(config.venue, config.market)?.with_channel(config.channel)?;
        if let Some((ping_after, dead_after)) = config.keepalive {
            protocol.ping_after = ping_after;
            protocol.dead_after = dead_after.max(ping_after);
        }
        if let Some(interval) = config.min_connect_interval {
            protocol.min_connect_interval = interval;
        }
        if config.symbols.is_empty() {
            return Err(NetError::NoSymbols);
        }
        if config.symbols.len() > protocol.max_instruments {
            return Err(NetError::TooManySymbols {
                venue: config.venue.name(),
                max: protocol.max_instruments,
                got: config.symbols.len(),
            });
        }
        let depth = config.depth.or(protocol.default_depth()).unwrap_or(0);
        // Validates every symbol before anything starts.
        protocol.subscribe(&config.symbols, depth, &mut 0)?;
        let ws_url = config.ws_url.clone().unwrap_or_else(|| protocol.ws_url.to_owned());
        check_url(&ws_url, &["ws://", "wss://"])?;
        let rest_url = match protocol.resync {
            ResyncMethod::RestSnapshot => {
                let url = config
                    .rest_url
                    .clone()
                    .or(protocol.rest_url.map(str::to_owned))
                    .unwrap_or_default();
                check_url(&url, &["http://", "https://"])?;
                Some(url)
            }
            ResyncMethod::Resubscribe | ResyncMethod::Reconnect | ResyncMethod::StreamRequest => {
                None
            }
        };

        let counters = Arc::new(NetCounters::default());
        let recorder = match config.record.clone() {
            Some(record) => Some(Recorder::start(record, counters.clone())?),
            None => None,
        };
        let tls = tls::client_config()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("depthbook-net")
            .enable_all()
            .build()
            .map_err(NetError::Runtime)?;

        let (input_tx, inputs) = mpsc::channel(8192);
        let (conn_tx, conn_rx) = mpsc::channel(1024);
        let connection = ConnectionConfig {
            protocol,
            url: ws_url,
            symbols: config.symbols.clone(),
            depth,
            max_message_bytes: config.max_message_bytes,
            connect_timeout: config.connect_timeout,
            backoff_base: config.reconnect_backoff.0,
            backoff_cap: config.reconnect_backoff.1,
            healthy_after: config.healthy_after,
            tls: tls.clone(),
        };
        runtime.spawn(connection::run(connection, input_tx.clone(), conn_rx, counters.clone()));
        let rest_tx = match rest_url {
            Some(base_url) => {
                let client = reqwest::Client::builder()
                    .use_preconfigured_tls((*tls).clone())
                    .timeout(Duration::from_secs(10))
                    .connect_timeout(config.connect_timeout)
                    .build()?;
                let rest = RestConfig {
                    protocol,
                    base_url,
                    client,
                    max_body_bytes: config.max_message_bytes,
                    default_retry_after: Duration::from_secs(1),
                };
                let (tx, rx) = mpsc::channel(1024);
                runtime.spawn(rest::run(rest, input_tx.clone(), rx, counters.clone()));
                Some(tx)
            }
            None => None,
        };
        let tick = config.tick;
        runtime.spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if input_tx.send(Input::Tick { now_ns: now_ns() }).await.is_err() {
                    return;
                }
            }
        });

        let mut engine_config = EngineConfig::new(config.venue);
        engine_config.symbols = Some(config.symbols.clone());
        engine_config.default_depth = config.depth;
        engine_config.default_precision = config.precision;
        engine_config.limits.max_frame_bytes = config.max_message_bytes;
        let mut engine = Engine::new(engine_config);
        let statuses = engine.subscribe_statuses(4096);
        let watchdog = config.book_watchdog.unwrap_or(protocol.book_watchdog);
        let timers = (0..engine.n_instruments())
            .map(|_| BookTimer {
                backoff: Backoff::new(config.resync_backoff.0, config.resync_backoff.1),
                next_allowed: i64::MIN,
                deferred: false,
                waiting_since: None,
                live_since: None,
                asked: false,
            })
            .collect();
        Ok(Live {
            engine,
            statuses,
            inputs,
            conn_tx,
            rest_tx,
            runtime: Some(runtime),
            counters,
            recorder,
            protocol,
            watchdog_ns: (!watchdog.is_zero()).then(|| ns(watchdog)),
            resync_timeout_ns: ns(config.resync_timeout),
            first_snapshot_ns: ns(config.first_snapshot_after),
            healthy_ns: ns(config.healthy_after),
            timers,
            last_ns: 0,
            last_recv_ns: 0,
            connected: false,
            reconnect_requested: false,
            requests: Vec::new(),
            metrics: config.metrics.then(|| LiveMetrics::new(config.venue)),
        })
    }

    /// The engine: books, states, counters.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, to subscribe consumers.
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// The network counters now.
    pub fn net_counters(&self) -> NetSnapshot {
        self.counters.snapshot()
    }

    /// Waits for the next input and processes it. Returns `None` once the network side has
    /// stopped (after [`Live::shutdown`] began, or if its runtime failed).
    pub fn step(&mut self) -> Option<Step> {
        let input = self.inputs.blocking_recv()?;
        let step = match input {
            Input::Frame { bytes, binary: true, recv_ns, .. } if !self.protocol.binary_frames => {
                // Counted by the connection; noted (not recorded as a frame), so a replay of
                // the capture feeds the engine exactly what this run fed it.
                self.note(recv_ns, "rejected", format!("binary frame of {} bytes", bytes.len()));
                Step::Rejected
            }
            Input::Frame { bytes, recv_ns, .. } => {
                let recv_ns = self.clock(recv_ns);
                self.ingest(&Frame::stream(&bytes), recv_ns);
                self.record(Entry::Frame { recv_ns, bytes });
                self.after_input(recv_ns);
                Step::Frame { recv_ns }
            }
            Input::Rest { url, body, recv_ns } => {
                let recv_ns = self.clock(recv_ns);
                self.ingest(&Frame::rest(&body, Some(&url)), recv_ns);
                self.record(Entry::Rest { recv_ns, url, body });
                self.after_input(recv_ns);
                Step::Rest { recv_ns }
            }
            Input::Opened { url, recv_ns, .. } => {
                let recv_ns = self.clock(recv_ns);
                self.connected = true;
                self.reconnect_requested = false;
                self.note(recv_ns, "open", url);
                // Subscriptions follow: give every book a full timeout to get its snapshot.
                for timer in &mut self.timers {
                    timer.waiting_since = Some(recv_ns);
                    timer.deferred = false;
                    timer.asked = false;
                }
                Step::Opened
            }
            Input::Sent { text, recv_ns, .. } => {
                self.note(recv_ns, "sent", text);
                Step::Sent
            }
            Input::Closed { reason, recv_ns, .. } => {
                let recv_ns = self.clock(recv_ns);
                self.connected = false;
                self.note(recv_ns, "close", reason);
                self.engine.disconnect();
                self.after_input(recv_ns);
                // The reconnect resubscribes every book.
                for timer in &mut self.timers {
                    timer.waiting_since = Some(recv_ns);
                    timer.deferred = false;
                    timer.asked = false;
                }
                Step::Closed
            }
            Input::Tick { now_ns } => {
                self.on_tick(now_ns);
                Step::Tick { now_ns }
            }
        };
        Some(step)
    }

    /// One frame into the engine, timed when metrics are on.
    fn ingest(&mut self, frame: &Frame<'_>, recv_ns: i64) {
        let Some(metrics) = &self.metrics else {
            self.engine.ingest(frame, recv_ns);
            return;
        };
        let published = self.engine.counters().published;
        let started = std::time::Instant::now();
        self.engine.ingest(frame, recv_ns);
        let apply = started.elapsed();
        let to_publish = (self.engine.counters().published > published).then(|| now_ns() - recv_ns);
        metrics.frame(apply, to_publish);
    }

    /// Stops the network tasks and finishes the capture.
    ///
    /// # Errors
    /// The capture could not be completely written.
    pub fn shutdown(mut self) -> Result<(), NetError> {
        let _ = self.conn_tx.try_send(Command::Shutdown);
        if let Some(rest) = &self.rest_tx {
            let _ = rest.try_send(RestCommand::Shutdown);
        }
        self.inputs.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        match self.recorder.take() {
            Some(recorder) => recorder.finish(),
            None => Ok(()),
        }
    }

    /// `recv_ns`, or the latest receive time already seen if that is later.
    fn clock(&mut self, recv_ns: i64) -> i64 {
        self.last_recv_ns = self.last_recv_ns.max(recv_ns);
        self.last_recv_ns
    }

    fn record(&mut self, entry: Entry) {
        if let Some(recorder) = &mut self.recorder {
            self.last_ns = self.last_ns.max(entry.recv_ns());
            recorder.record(entry);
        }
    }

    /// Records a note at `recv_ns`, never earlier than what is already recorded.
    fn note(&mut self, recv_ns: i64, tag: &'static str, text: String) {
        if self.recorder.is_some() {
            let recv_ns = recv_ns.max(self.last_ns);
            self.record(Entry::Note { recv_ns, tag, text });
        }
    }

    /// After the engine processed an input: note state changes, act on snapshot requests.
    fn after_input(&mut self, now: i64) {
        while let Ok(update) = self.statuses.try_recv() {
            let Update::Status(status) = update else { continue };
            let id = status.instrument;
            let symbol = self.engine.symbol(id).to_owned();
            match status.status {
                Status::Live => {
                    if let Some(timer) = self.timers.get_mut(id as usize) {
                        timer.waiting_since = None;
                        timer.deferred = false;
                        timer.live_since = Some(now);
                    }
                    self.note(now, "live", format!("{symbol} {}", status.generation));
                }
                Status::Stale(reason) => {
                    if let Some(timer) = self.timers.get_mut(id as usize) {
                        timer.live_since = None;
                    }
                    tracing::info!(%symbol, reason = reason.name(), "book stale");
                    self.note(now, "stale", format!("{symbol} {}", describe(reason)));
                }
            }
        }
        self.requests
            .extend(self.engine.drain_snapshot_requests().map(|r| (r.instrument, r.reason)));
        for i in 0..self.requests.len() {
            let (id, reason) = self.requests[i];
            // The engine raises one request per snapshot it needs: never a duplicate of one
            // still outstanding. Only the spacing between resyncs of one book applies.
            let Some(timer) = self.timers.get_mut(id as usize) else { continue };
            if now < timer.next_allowed {
                timer.deferred = true;
                continue;
            }
            self.resync(id, reason, Trigger::Request, now);
        }
        self.requests.clear();
    }

    fn on_tick(&mut self, now: i64) {
        if let Some(metrics) = &mut self.metrics {
            let live = (0..self.engine.n_instruments() as InstrumentId)
                .filter(|&id| self.engine.state(id).is_some_and(|s| s.is_live()))
                .count();
            metrics.tick(self.engine.counters(), live, &self.counters.snapshot());
        }
        // While disconnected, the reconnect will resubscribe every book.
        if !self.connected {
            return;
        }
        for index in 0..self.timers.len() {
            let id = index as InstrumentId;
            let live = self.engine.state(id).is_some_and(|s| s.is_live());
            let healthy_ns = self.healthy_ns;
            let timer = &mut self.timers[index];
            if live {
                let since = *timer.live_since.get_or_insert(now);
                if now.saturating_sub(since) >= healthy_ns {
                    timer.backoff.reset();
                }
                if let (Some(limit), Some(last)) = (self.watchdog_ns, self.engine.last_data_ns(id))
                    && now.saturating_sub(last) > limit
                {
                    self.fire_watchdog(id, now);
                }
                continue;
            }
            timer.live_since = None;
            let since = *timer.waiting_since.get_or_insert(now);
            if now < timer.next_allowed {
                continue;
            }
            let timed_out = now.saturating_sub(since) > self.resync_timeout_ns;
            let asks = matches!(
                self.protocol.resync,
                ResyncMethod::RestSnapshot | ResyncMethod::StreamRequest
            );
            let first_due =
                asks && !timer.asked && now.saturating_sub(since) >= self.first_snapshot_ns;
            if timer.deferred || timed_out || first_due {
                let reason = match self.engine.state(id) {
                    Some(depthbook_engine::BookState::Stale(reason)) => Some(reason),
                    _ => None,
                };
                let trigger = if timer.deferred || timed_out {
                    Trigger::Request
                } else {
                    Trigger::FirstSnapshot
                };
                self.resync(id, reason, trigger, now);
            }
        }
    }

    fn fire_watchdog(&mut self, id: InstrumentId, now: i64) {
        bump(&self.counters.watchdog_fired);
        let symbol = self.engine.symbol(id).to_owned();
        tracing::warn!(%symbol, "book silent too long: watchdog");
        self.note(now, "watchdog", symbol);
        self.engine.mark_stale(id, StaleReason::Watchdog);
        // Stream venues raised a request for this book: it is answered here, by the watchdog's
        // own method (the stream itself is suspect). Other books' requests go on as usual.
        self.requests.extend(
            self.engine
                .drain_snapshot_requests()
                .filter(|r| r.instrument != id)
                .map(|r| (r.instrument, r.reason)),
        );
        self.after_input(now);
        self.resync(id, Some(StaleReason::Watchdog), Trigger::Watchdog, now);
    }

    /// Starts a resync of `id` by the venue's method, and spaces the next one. After the
    /// watchdog found the book's stream silent, a snapshot-asking venue resubscribes instead of
    /// asking (its first buffered delta then asks for the snapshot, which comes back here as a
    /// request); a book that has not asked since its subscription only asks (its stream may
    /// just be quiet). While disconnected nothing is sent: the reconnect resubscribes every
    /// book.
    fn resync(
        &mut self,
        id: InstrumentId,
        reason: Option<StaleReason>,
        trigger: Trigger,
        now: i64,
    ) {
        if !self.connected {
            return;
        }
        let Some(timer) = self.timers.get_mut(id as usize) else { return };
        let wait = ns(timer.backoff.next_wait());
        timer.next_allowed = now.saturating_add(wait);
        timer.waiting_since = Some(now);
        timer.deferred = false;
        timer.asked = true;
        let symbol = self.engine.symbol(id).to_owned();
        // REST venues: a snapshot bridges with the flowing stream. A stream that has been silent
        // is resubscribed too (a quiet instrument then goes Live from the snapshot alone, and
        // its first delta must continue it); after the watchdog, the stream itself is suspect,
        // and its first buffered delta asks for the snapshot.
        if self.protocol.resync == ResyncMethod::Reconnect {
            // One reconnect answers every book's need: the reconnect resubscribes them all.
            if !self.reconnect_requested {
                self.reconnect_requested = true;
                if self.conn_tx.try_send(Command::Reconnect).is_err() {
                    bump(&self.counters.commands_dropped);
                }
            }
            bump(&self.counters.resyncs_started);
            let why = reason.map_or("initial", StaleReason::name);
            tracing::info!(%symbol, why, "resync by reconnecting");
            self.note(now, "resync", format!("{symbol} reconnect {why}"));
            return;
        }
        let stream_flowing = self
            .engine
            .last_data_ns(id)
            .is_some_and(|t| now.saturating_sub(t) <= self.resync_timeout_ns);
        let (fetch, resubscribe) = match (self.protocol.resync, &self.rest_tx) {
            (ResyncMethod::RestSnapshot, Some(_)) | (ResyncMethod::StreamRequest, _) => {
                match trigger {
                    Trigger::Watchdog => (false, true),
                    Trigger::FirstSnapshot => (true, false),
                    Trigger::Request => (true, !stream_flowing),
                }
            }
            _ => (false, true),
        };
        if fetch {
            let sent = match &self.rest_tx {
                Some(rest) => rest.try_send(RestCommand::Fetch(symbol.clone())).is_ok(),
                // HTX `mbp`: the snapshot is asked on the stream.
                None => self.conn_tx.try_send(Command::RequestSnapshot(symbol.clone())).is_ok(),
            };
            if !sent {
                bump(&self.counters.commands_dropped);
            }
        }
        if resubscribe && self.conn_tx.try_send(Command::Resubscribe(symbol.clone())).is_err() {
            bump(&self.counters.commands_dropped);
        }
        let how = match (fetch, resubscribe, self.protocol.resync) {
            (true, true, ResyncMethod::StreamRequest) => "resubscribe+request",
            (true, false, ResyncMethod::StreamRequest) => "request",
            (true, true, _) => "resubscribe+rest",
            (true, false, _) => "rest",
            _ => "resubscribe",
        };
        bump(&self.counters.resyncs_started);
        let why = reason.map_or("initial", StaleReason::name);
        tracing::info!(%symbol, how, why, "resync");
        self.note(now, "resync", format!("{symbol} {how} {why}"));
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.conn_tx.try_send(Command::Shutdown);
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn describe(reason: StaleReason) -> String {
    match reason {
        StaleReason::Gap { expected, got } => format!("gap expected={expected} got={got}"),
        other => other.name().to_owned(),
    }
}

fn check_url(url: &str, schemes: &[&str]) -> Result<(), NetError> {
    if schemes.iter().any(|s| url.starts_with(s)) && url.len() > 8 {
        Ok(())
    } else {
        Err(NetError::BadUrl {
            url: url.to_owned(),
            reason: format!("expected {}", schemes.join(" or ")),
        })
    }
}
