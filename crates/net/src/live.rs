//! The live ingest loop: network tasks on a small tokio runtime move bytes in; one thread (the
//! caller's) decodes, applies and publishes through the engine, decides resyncs, and records.
//!
//! # Resync policy
//! The decisions are [`crate::policy::ResyncPolicy`]'s, a sans-IO state machine on a monotonic
//! clock (a step of the wall clock moves no timer); `Live` feeds it what happens and carries
//! out its actions. Receive times stay wall-clock, for the views and the capture.
//! - A book that needs a snapshot (the engine raises the request: a gap, a checksum mismatch,
//!   a bad message, or, for REST venues, the first buffered delta) is resynced by the venue's
//!   method: a REST snapshot bridged with the buffered stream (Binance, Gate.io, Bybit
//!   `orderbook.full`), a snapshot asked on the stream and bridged the same way (HTX `mbp`),
//!   or unsubscribe + subscribe (OKX, Kraken, Bybit, ...). Only that book: the others keep
//!   publishing. Venues that number every message of a connection (Bitfinex, Coinbase
//!   Advanced Trade) reconnect for a break of that numbering (every book went Stale with it)
//!   and resubscribe one book alone for its own checksum, bad message or silence (Bitfinex by
//!   the channel id its unsubscribe names).
//! - Repeated resyncs of one book are spaced by its own exponential backoff with jitter, reset
//!   once the book has stayed Live for [`LiveConfig::healthy_after`]. REST requests of every book
//!   go through one weight budget per venue ([`crate::budget`]).
//! - A resync that has not brought the book back within [`LiveConfig::resync_timeout`] is started
//!   again (a lost request, a refused snapshot, a server that never answers the subscribe).
//! - Where snapshots are asked for, a book whose stream has buffered no delta
//!   [`LiveConfig::first_snapshot_after`] after its subscription asks anyway, so an illiquid
//!   book goes Live from the snapshot alone rather than after the resync timeout.
//! - A Live book that receives no data for the venue's watchdog interval goes Stale (recorded as
//!   `@watchdog` so a replay repeats it) and is resubscribed, no sooner than its backoff allows.
//! - Views held back for [`depthbook_engine::SlowConsumer::KeepLatest`] consumers are flushed
//!   on every tick as well as before every frame.
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

use crate::connection::{self, Command, ConnectionConfig};
use crate::counters::{NetCounters, NetSnapshot, bump};
use crate::error::NetError;
use crate::handoff::{InputSender, Inputs, WaitMode, handoff};
use crate::input::{Input, now_ns};
use crate::metrics::LiveMetrics;
use crate::policy::{Action, MonoClock, PolicyConfig, ResyncPolicy};
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
    /// How [`Live::step`] waits for input: parking when idle (the default), or busy-polling
    /// (pin the thread that calls it to a core of its own).
    pub wait: WaitMode,
    /// Pins the network runtime's thread to this core (busy-poll mode keeps the loop's core to
    /// itself), as far as the OS allows (a refusal is logged); `None` leaves it to the
    /// scheduler.
    pub net_core: Option<usize>,
    /// Run the network tasks on this runtime (shared by several loops: a [`crate::Shard`])
    /// instead of one of the loop's own; `net_core` then does not apply.
    pub runtime: Option<tokio::runtime::Handle>,
    /// The venue's connection-rate limit shared with the process's other connections to it
    /// (see [`crate::ConnectGate`]); `None`: this connection paces only itself.
    pub connect_gate: Option<crate::gate::ConnectGate>,
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
            wait: WaitMode::Park,
            net_core: None,
            runtime: None,
            connect_gate: None,
        }
    }
}

/// Inputs a connection's ring holds before its task waits for the loop (about 0.5 MiB).
const INPUT_RING: usize = 8192;
/// Inputs the REST task's ring holds (one body per snapshot asked for).
const REST_RING: usize = 1024;
/// Inputs the timer's ring holds (a tick each `tick`: a loop this far behind has bigger
/// problems than a late tick, which waits).
const TICK_RING: usize = 64;

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

/// The channels and runtime between the loop and its network tasks.
struct Network {
    inputs: Inputs,
    conn_tx: mpsc::Sender<Command>,
    rest_tx: Option<mpsc::Sender<RestCommand>>,
    runtime: Option<Runtime>,
    counters: Arc<NetCounters>,
}

/// A running live feed. Create with [`Live::start`], then call [`Live::step`] in a loop on the
/// thread that owns the books; read views from channels got with
/// [`Engine::subscribe`] through [`Live::engine_mut`].
#[derive(Debug)]
pub struct Live {
    engine: Engine,
    statuses: Receiver<Update>,
    inputs: Inputs,
    conn_tx: mpsc::Sender<Command>,
    rest_tx: Option<mpsc::Sender<RestCommand>>,
    runtime: Option<Runtime>,
    counters: Arc<NetCounters>,
    recorder: Option<Recorder>,
    protocol: Protocol,
    // When and how books are resynced, on the monotonic clock.
    policy: ResyncPolicy,
    clock: MonoClock,
    actions: Vec<Action>,
    // Last time written to the record, so notes never go back in time.
    last_ns: i64,
    // Latest receive time handed to the engine: frames and REST bodies come from different
    // tasks, and the engine's clock must never go back.
    last_recv_ns: i64,
    requests: Vec<(InstrumentId, Option<StaleReason>)>,
    // Each book's symbol, shared with the commands that name it.
    symbols: Vec<Arc<str>>,
    metrics: Option<LiveMetrics>,
}

impl Live {
    /// Checks the configuration, starts the network tasks and the recorder, and returns the
    /// loop, ready for [`Live::step`].
    ///
    /// # Errors
    /// Bad symbols or URLs, too many symbols for one connection, a capture file that cannot be
    /// opened, a runtime or TLS setup failure.
    pub fn start(config: LiveConfig) -> Result<Live, NetError> {
        let (protocol, depth) = checked_protocol(&config)?;
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
        // Best effort, as the OS allows (the calling thread may itself be pinned elsewhere, so
        // its own core list is no test of the id).
        let runtime = match &config.runtime {
            Some(_) => None,
            None => Some(network_runtime(config.net_core)?),
        };
        let handle = match (&config.runtime, &runtime) {
            (Some(shared), _) => shared.clone(),
            (None, Some(own)) => own.handle().clone(),
            (None, None) => return Err(NetError::LoopStopped),
        };

        // One ring per producer: the connection, the REST task, the timer.
        let (inputs, senders) = handoff(&[INPUT_RING, REST_RING, TICK_RING], config.wait);
        let [conn_input, rest_input, tick_input]: [InputSender; 3] =
            senders.try_into().map_err(|_| NetError::LoopStopped)?;
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
            gate: config.connect_gate.clone(),
        };
        handle.spawn(connection::run(connection, conn_input, conn_rx, counters.clone()));
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
                handle.spawn(rest::run(rest, rest_input, rx, counters.clone()));
                Some(tx)
            }
            None => None,
        };
        let tick = config.tick;
        let mut tick_input = tick_input;
        handle.spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                if tick_input.send(Input::Tick { now_ns: now_ns() }).await.is_err() {
                    return;
                }
            }
        });

        let network = Network { inputs, conn_tx, rest_tx, runtime, counters };
        Ok(Live::assemble(&config, protocol, network, recorder))
    }

    /// A loop fed by the caller instead of the network: no connection, REST or timer task is
    /// started, and commands it would send (resubscribe, fetch, reconnect) are dropped and
    /// counted in `commands_dropped`. The caller hands it [`Input`]s through the returned
    /// sender (`capacity` of them queued at most) and drives it with [`Live::step`]. For tests
    /// and benchmarks of the loop itself over recorded inputs.
    ///
    /// # Errors
    /// As [`Live::start`] for the configuration: bad symbols, too many for one connection,
    /// the venue's market or channel.
    pub fn offline(config: &LiveConfig, capacity: usize) -> Result<(Live, InputSender), NetError> {
        Self::offline_with_clock(config, capacity, MonoClock::new())
    }

    /// [`Live::offline`] with its timers on `clock` (a virtual one, in tests: the loop's
    /// decisions then depend on nothing but its inputs and how the test moves the clock).
    ///
    /// # Errors
    /// As [`Live::offline`].
    pub fn offline_with_clock(
        config: &LiveConfig,
        capacity: usize,
        clock: MonoClock,
    ) -> Result<(Live, InputSender), NetError> {
        let (protocol, _) = checked_protocol(config)?;
        let (inputs, senders) = handoff(&[capacity], config.wait);
        let input_tx = senders.into_iter().next().ok_or(NetError::LoopStopped)?;
        // Commands go nowhere: their receiver is dropped at once.
        let (conn_tx, _) = mpsc::channel(1);
        let counters = Arc::new(NetCounters::default());
        let network = Network { inputs, conn_tx, rest_tx: None, runtime: None, counters };
        let mut live = Live::assemble(config, protocol, network, None);
        live.clock = clock;
        Ok((live, input_tx))
    }

    /// The loop around its network side: engine, policy and bookkeeping.
    fn assemble(
        config: &LiveConfig,
        protocol: Protocol,
        network: Network,
        recorder: Option<Recorder>,
    ) -> Live {
        let Network { inputs, conn_tx, rest_tx, runtime, counters } = network;
        let mut engine_config = EngineConfig::new(config.venue);
        engine_config.symbols = Some(config.symbols.clone());
        engine_config.default_depth = config.depth;
        engine_config.default_precision = config.precision;
        engine_config.limits.max_frame_bytes = config.max_message_bytes;
        let mut engine = Engine::new(engine_config);
        let statuses = engine.subscribe_statuses(4096);
        let symbols = (0..engine.n_instruments() as InstrumentId)
            .map(|id| Arc::from(engine.symbol(id)))
            .collect();
        let policy = ResyncPolicy::new(
            PolicyConfig {
                method: protocol.resync,
                rest: rest_tx.is_some(),
                watchdog: Some(config.book_watchdog.unwrap_or(protocol.book_watchdog)),
                resync_timeout: config.resync_timeout,
                first_snapshot: config.first_snapshot_after,
                healthy: config.healthy_after,
                backoff: config.resync_backoff,
                seed: None,
            },
            engine.n_instruments(),
        );
        Live {
            engine,
            statuses,
            inputs,
            conn_tx,
            rest_tx,
            runtime,
            counters,
            recorder,
            protocol,
            policy,
            clock: MonoClock::new(),
            actions: Vec::new(),
            last_ns: 0,
            last_recv_ns: 0,
            requests: Vec::new(),
            symbols,
            metrics: config.metrics.then(|| LiveMetrics::new(config.venue)),
        }
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
        let input = self.inputs.recv()?;
        Some(self.process(input))
    }

    /// Processes the next input if one is there, without waiting: for a thread that drives
    /// several loops ([`crate::Shard`]).
    pub fn try_step(&mut self) -> Option<Step> {
        let input = self.inputs.try_recv()?;
        Some(self.process(input))
    }

    /// Before the thread parks: makes the next input of this loop unpark it. False if an input
    /// is already there (or none can come any more): do not park. See
    /// [`crate::handoff::Inputs::arm`].
    pub fn arm(&mut self) -> bool {
        self.inputs.arm()
    }

    /// After the park [`Live::arm`] prepared.
    pub fn disarm(&self) {
        self.inputs.disarm();
    }

    /// Whether the network side has stopped and every input was taken.
    pub fn is_finished(&self) -> bool {
        self.inputs.is_finished()
    }

    fn process(&mut self, input: Input) -> Step {
        match input {
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
                // Subscriptions follow: every book gets a full timeout to get its snapshot.
                self.policy.on_opened(self.clock.now());
                self.note(recv_ns, "open", url);
                Step::Opened
            }
            Input::Sent { text, recv_ns, .. } => {
                self.note(recv_ns, "sent", text);
                Step::Sent
            }
            Input::Closed { reason, recv_ns, .. } => {
                let recv_ns = self.clock(recv_ns);
                self.note(recv_ns, "close", reason);
                self.engine.disconnect();
                // The reconnect resubscribes every book.
                self.policy.on_closed(self.clock.now());
                self.after_input(recv_ns);
                Step::Closed
            }
            Input::Tick { now_ns } => {
                self.on_tick(now_ns);
                Step::Tick { now_ns }
            }
        }
    }

    /// One frame into the engine, timed when metrics are on.
    fn ingest(&mut self, frame: &Frame<'_>, recv_ns: i64) {
        match &self.metrics {
            None => self.engine.ingest(frame, recv_ns),
            Some(metrics) => {
                let published = self.engine.counters().published;
                let started = std::time::Instant::now();
                self.engine.ingest(frame, recv_ns);
                let apply = started.elapsed();
                let to_publish =
                    (self.engine.counters().published > published).then(|| now_ns() - recv_ns);
                metrics.frame(apply, to_publish);
            }
        }
        // The watchdog watches book data on the monotonic clock.
        if !self.engine.last_instruments().is_empty() {
            let now = self.clock.now();
            for &id in self.engine.last_instruments() {
                self.policy.on_data(id, now);
            }
        }
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

    /// After the engine processed an input: note state changes and tell the policy, hand it the
    /// engine's snapshot requests, and carry out what it decides.
    fn after_input(&mut self, now_ns: i64) {
        let now = self.clock.now();
        while let Ok(update) = self.statuses.try_recv() {
            let Update::Status(status) = update else { continue };
            let id = status.instrument;
            match status.status {
                Status::Live => {
                    self.policy.on_live(id, now);
                    if self.recorder.is_some() {
                        let text = format!("{} {}", self.engine.symbol(id), status.generation);
                        self.note(now_ns, "live", text);
                    }
                }
                Status::Stale(reason) => {
                    self.policy.on_stale(id, reason);
                    tracing::info!(
                        symbol = self.engine.symbol(id),
                        reason = reason.name(),
                        "book stale"
                    );
                    if self.recorder.is_some() {
                        let text = format!("{} {}", self.engine.symbol(id), describe(reason));
                        self.note(now_ns, "stale", text);
                    }
                }
            }
        }
        self.requests
            .extend(self.engine.drain_snapshot_requests().map(|r| (r.instrument, r.reason)));
        let mut actions = std::mem::take(&mut self.actions);
        for (id, reason) in self.requests.drain(..) {
            self.policy.on_request(id, reason, now, &mut actions);
        }
        self.carry_out(&mut actions, now_ns);
        self.actions = actions;
    }

    fn on_tick(&mut self, now_ns: i64) {
        // Views held back for consumers that were full reach them while the feed is quiet too.
        self.engine.flush_consumers();
        if let Some(metrics) = &mut self.metrics {
            let live = (0..self.engine.n_instruments() as InstrumentId)
                .filter(|&id| self.engine.state(id).is_some_and(|s| s.is_live()))
                .count();
            metrics.tick(self.engine.counters(), live, &self.counters.snapshot());
        }
        let mut actions = std::mem::take(&mut self.actions);
        self.policy.on_tick(self.clock.now(), &mut actions);
        self.carry_out(&mut actions, now_ns);
        self.actions = actions;
    }

    /// Carries out the policy's `actions` (drained), `now_ns` being the wall-clock time for
    /// the record.
    fn carry_out(&mut self, actions: &mut Vec<Action>, now_ns: i64) {
        let now_ns = now_ns.max(self.last_recv_ns);
        let mut watched = false;
        for action in actions.drain(..) {
            match action {
                Action::Watchdog(id) => {
                    bump(&self.counters.watchdog_fired);
                    let symbol = self.engine.symbol(id).to_owned();
                    tracing::warn!(%symbol, "book silent too long: watchdog");
                    self.note(now_ns, "watchdog", symbol);
                    self.engine.mark_stale(id, StaleReason::Watchdog);
                    // The engine's request for this book is answered by the watchdog's own
                    // resync, which follows; other books' requests go on as usual.
                    self.requests.extend(
                        self.engine
                            .drain_snapshot_requests()
                            .filter(|r| r.instrument != id)
                            .map(|r| (r.instrument, r.reason)),
                    );
                    watched = true;
                }
                Action::Fetch(id) => {
                    let symbol = self.symbol(id);
                    let sent = self
                        .rest_tx
                        .as_ref()
                        .is_some_and(|rest| rest.try_send(RestCommand::Fetch(symbol)).is_ok());
                    if !sent {
                        bump(&self.counters.commands_dropped);
                    }
                }
                Action::Request(id) => {
                    let symbol = self.symbol(id);
                    self.command(Command::RequestSnapshot(symbol));
                }
                Action::Resubscribe(id) => {
                    let symbol = self.symbol(id);
                    let channel = self.engine.channel_of(id);
                    if self.protocol.venue == Venue::Bitfinex && channel.is_none() {
                        // Its unsubscribe names the channel id, not yet known: the whole
                        // connection is subscribed again instead.
                        self.command(Command::Reconnect);
                    } else {
                        self.command(Command::Resubscribe { symbol, channel });
                    }
                }
                Action::Reconnect => self.command(Command::Reconnect),
                Action::Started { book, how, why } => {
                    bump(&self.counters.resyncs_started);
                    let why = why.map_or("initial", StaleReason::name);
                    tracing::info!(symbol = self.engine.symbol(book), how, why, "resync");
                    if self.recorder.is_some() {
                        let text = format!("{} {how} {why}", self.engine.symbol(book));
                        self.note(now_ns, "resync", text);
                    }
                }
            }
        }
        // A watchdog made books Stale: their status events and the other books' requests.
        if watched {
            self.after_input(now_ns);
        }
    }

    /// `id`'s symbol, shared (a command carrying it allocates nothing).
    fn symbol(&self, id: InstrumentId) -> Arc<str> {
        match self.symbols.get(id as usize) {
            Some(symbol) => Arc::clone(symbol),
            None => Arc::from(self.engine.symbol(id)),
        }
    }

    fn command(&mut self, command: Command) {
        if self.conn_tx.try_send(command).is_err() {
            bump(&self.counters.commands_dropped);
        }
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

/// A network runtime of one worker thread, pinned to `core` as far as the OS allows (a refusal
/// is logged).
pub(crate) fn network_runtime(core: Option<usize>) -> Result<Runtime, NetError> {
    let core = core.map(|id| core_affinity::CoreId { id });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("depthbook-net")
        .on_thread_start(move || {
            if let Some(core) = core
                && !core_affinity::set_for_current(core)
            {
                tracing::warn!(core = core.id, "the network thread could not be pinned");
            }
        })
        .enable_all()
        .build()
        .map_err(NetError::Runtime)
}

/// The venue's protocol as `config` adjusts it, and the subscribed depth, once the symbols are
/// checked (there are some, not too many for one connection, each valid for the venue).
fn checked_protocol(config: &LiveConfig) -> Result<(Protocol, u32), NetError> {
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
    Ok((protocol, depth))
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
