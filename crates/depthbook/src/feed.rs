//! [`Feed`]: what to read (a venue live, or a recorded capture), and how.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use std::ops::ControlFlow;

use depthbook_bus::{Subscriber, SubscriberConfig};
use depthbook_capture::CaptureReader;
use depthbook_engine::{Counters, Engine, EngineConfig, SlowConsumer, Update};
use depthbook_net::{BookChannel, Live, LiveConfig, Market, Protocol, WaitMode, fetch_instruments};
use depthbook_venues::{InstrumentId, Venue};

use crate::books::{Books, Control, SymbolReaders};
use crate::error::Error;

/// How long each request of the instruments fetch at start ([`Feed::instruments`]) may take.
const INSTRUMENTS_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the frames come from.
#[derive(Debug, Clone)]
enum Source {
    /// The venue's WebSocket feed (or a stand-in at `ws_url`).
    Live { ws_url: Option<String>, rest_url: Option<String> },
    /// Recorded captures, merged by receive time (any format `depthbook replay` reads).
    Capture(Vec<PathBuf>),
    /// Books another process publishes on NATS JetStream (`depthbook replay|live --nats`).
    Nats(String),
}

/// A feed of one venue's books for a set of symbols: live, or replayed from a capture with the
/// same engine and the same readers (a backtest sees exactly what a live run saw).
///
/// ```no_run
/// use depthbook::{Feed, Venue};
///
/// let books = Feed::live(Venue::BinanceSpot, ["BTCUSDT"]).start()?;
/// let btc = books.top("BTCUSDT").expect("a tracked symbol");
/// loop {
///     let latest = btc.read();
///     if let (true, Some(top)) = (latest.is_live(), latest.top) {
///         println!("{:?} / {:?}", top.bid, top.ask);
///     }
///     std::thread::sleep(std::time::Duration::from_millis(100));
/// }
/// # Ok::<(), depthbook::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Feed {
    venue: Venue,
    symbols: Vec<String>,
    source: Source,
    depth: Option<u32>,
    market: Market,
    channel: BookChannel,
    updates: (usize, SlowConsumer),
    depth_readers: bool,
    instruments: bool,
    core: Option<usize>,
    busy_poll: bool,
    net_core: Option<usize>,
}

impl Feed {
    /// The venue's live feed of `symbols` (as the venue spells them: `BTCUSDT`, `BTC-USDT`,
    /// `XBT/USD`, ...). Nothing connects until [`Feed::start`].
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// let okx = Feed::live(Venue::Okx, ["BTC-USDT"]).start()?;
    /// let binance = Feed::live(Venue::BinanceSpot, ["BTCUSDT"]).start()?;
    /// std::thread::sleep(std::time::Duration::from_secs(5));
    /// let a = okx.top("BTC-USDT").expect("tracked").read();
    /// let b = binance.top("BTCUSDT").expect("tracked").read();
    /// if a.is_live() && b.is_live() {
    ///     println!("OKX {:?} / Binance {:?}", a.top, b.top);
    /// }
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn live<S: Into<String>>(venue: Venue, symbols: impl IntoIterator<Item = S>) -> Self {
        Self::new(venue, symbols, Source::Live { ws_url: None, rest_url: None })
    }

    /// A replay of recorded `captures` (merged by receive time), tracking `symbols`: the same
    /// engine and readers as a live feed. Files are opened by [`Feed::start`] or
    /// [`Feed::run_here`], not here.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// // Binance's diffs in one file, the REST snapshots they bridge onto in another.
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/binance_spot");
    /// let stream = format!("{dir}/cryptofeed_BINANCE.ws.1.0.txt");
    /// let rest = format!("{dir}/cryptofeed_BINANCE.http.0.0.txt");
    /// let books = Feed::replay(Venue::BinanceSpot, ["NKNUSDT"], [stream, rest]).start()?;
    /// let nkn = books.top("NKNUSDT").expect("tracked").clone();
    /// books.wait()?;
    /// assert!(nkn.read().is_live());
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn replay<S: Into<String>, P: Into<PathBuf>>(
        venue: Venue,
        symbols: impl IntoIterator<Item = S>,
        captures: impl IntoIterator<Item = P>,
    ) -> Self {
        Self::new(venue, symbols, Source::Capture(captures.into_iter().map(Into::into).collect()))
    }

    /// The books of `symbols` on `venue` as a publisher on the NATS server at `url` sends them
    /// (`depthbook live --nats URL`, or any [`depthbook_bus::Publisher`]): the same readers and
    /// update stream as a live feed, each book rebuilt exactly from its latest kept snapshot
    /// and the messages after it, Live only while the publisher's book is Live and every
    /// message of it arrived (a break, another publisher run or a disconnect makes it Stale
    /// until its next snapshot). Nothing connects until [`Feed::start`].
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// let books = Feed::nats("nats://127.0.0.1:4222", Venue::BinanceSpot, ["BTCUSDT"]).start()?;
    /// let btc = books.top("BTCUSDT").expect("a tracked symbol");
    /// std::thread::sleep(std::time::Duration::from_secs(1));
    /// if let (true, Some(top)) = (btc.read().is_live(), btc.read().top) {
    ///     println!("{:?} / {:?} (generation {})", top.bid, top.ask, top.generation);
    /// }
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn nats<S: Into<String>>(
        url: impl Into<String>,
        venue: Venue,
        symbols: impl IntoIterator<Item = S>,
    ) -> Self {
        Self::new(venue, symbols, Source::Nats(url.into()))
    }

    fn new<S: Into<String>>(
        venue: Venue,
        symbols: impl IntoIterator<Item = S>,
        source: Source,
    ) -> Self {
        Self {
            venue,
            symbols: symbols.into_iter().map(Into::into).collect(),
            source,
            depth: None,
            market: Market::Spot,
            channel: BookChannel::Default,
            updates: (4096, SlowConsumer::DropNewest),
            depth_readers: false,
            instruments: false,
            core: None,
            busy_poll: false,
            net_core: None,
        }
    }

    /// Connect to `ws_url` (and `rest_url` for REST snapshots) in place of the venue: a testnet,
    /// or depthbook's loopback exchange. No effect on a replay.
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// // A loopback exchange replaying a capture: `depthbook serve --port 9001 --venue okx FILE`.
    /// let books = Feed::live(Venue::Okx, ["BTC-USDT"])
    ///     .endpoints("ws://127.0.0.1:9001/ws", Some("http://127.0.0.1:9001".to_owned()))
    ///     .start()?;
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn endpoints(mut self, ws_url: impl Into<String>, rest_url: Option<String>) -> Self {
        if let Source::Live { .. } = self.source {
            self.source = Source::Live { ws_url: Some(ws_url.into()), rest_url };
        }
        self
    }

    /// Which of the venue's markets a live feed reads (Gate.io: spot or USDT futures; a replay
    /// reads whatever its captures hold). Default: [`Market::Spot`].
    ///
    /// ```no_run
    /// use depthbook::{Feed, Market, Venue};
    ///
    /// let books = Feed::live(Venue::GateIo, ["BTC_USDT"]).market(Market::UsdtFutures).start()?;
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn market(mut self, market: Market) -> Self {
        self.market = market;
        self
    }

    /// Which of the venue's book channels a live feed reads (HTX `mbp` diffs with snapshots
    /// asked on the stream; Bybit `orderbook.full` with REST snapshots). A replay reads
    /// whatever its captures hold. Default: [`BookChannel::Default`].
    ///
    /// ```no_run
    /// use depthbook::{BookChannel, Feed, Venue};
    ///
    /// let books = Feed::live(Venue::Htx, ["btcusdt"]).channel(BookChannel::Mbp).start()?;
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn channel(mut self, channel: BookChannel) -> Self {
        self.channel = channel;
        self
    }

    /// Subscribed depth where the venue asks for one (Kraken, Bitfinex, Bybit, HTX); otherwise
    /// the venue's default. A replay uses it where its captures do not say.
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// let books = Feed::live(Venue::Kraken, ["BTC/USD"]).depth(100).start()?;
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = Some(depth);
        self
    }

    /// Also keep a [`crate::DepthReader`] per symbol ([`Books::depth`]): the best
    /// [`crate::DEPTH_LEVELS`] levels a side, for [`crate::analytics`]. Off by default: each
    /// published view then also writes those levels.
    ///
    /// ```
    /// use depthbook::{Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).with_depth().start()?;
    /// let depth = books.depth("BTC-USDT").expect("kept with with_depth()").clone();
    /// books.wait()?;
    /// let view = depth.read();
    /// assert!(view.is_live());
    /// assert!(view.bids().len() > 1 && view.bids().windows(2).all(|w| w[0].0 > w[1].0));
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn with_depth(mut self) -> Self {
        self.depth_readers = true;
        self
    }

    /// Fetch every symbol's instrument metadata (tick, lot, minimum and contract sizes,
    /// decimals) from the venue's public REST endpoint when a live feed starts, for
    /// [`Books::instrument`]: [`Feed::start`] fails if the venue cannot be asked. The request
    /// goes to the venue's production host, or to the REST URL given to [`Feed::endpoints`].
    /// A replay makes no request: its books carry none.
    ///
    /// ```no_run
    /// use depthbook::{Feed, Venue};
    ///
    /// let books = Feed::live(Venue::BinanceSpot, ["BTCUSDT"]).instruments().start()?;
    /// let info = books.instrument("BTCUSDT").expect("Binance lists BTCUSDT");
    /// println!("tick {:?}, lot {:?}", info.tick_size, info.lot_size);
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn instruments(mut self) -> Self {
        self.instruments = true;
        self
    }

    /// Pin the ingest thread [`Feed::start`] spawns to CPU core `core` (the core's id as the OS
    /// numbers them, among the cores this process may run on), so it is not migrated between
    /// cores. [`Feed::start`] fails with [`Error::NoSuchCore`] if there is no such core; pinning
    /// itself is best effort (the OS may refuse it, which the thread notes on stderr).
    /// [`Feed::run_here`] runs on the caller's thread and ignores it.
    ///
    /// ```
    /// use depthbook::{Error, Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).pin_to_core(0).start()?;
    /// assert_eq!(books.wait()?.checksum_failures, 0);
    /// let far = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).pin_to_core(100_000).start();
    /// assert!(matches!(far, Err(Error::NoSuchCore(100_000))));
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn pin_to_core(mut self, core: usize) -> Self {
        self.core = Some(core);
        self
    }

    /// A live feed's ingest loop spins on its input rings instead of parking when idle: no
    /// futex between a frame's arrival and its ingest, at the cost of the core it runs on. Give
    /// it a core of its own ([`Feed::pin_to_core`]) and keep the network thread off it
    /// ([`Feed::pin_network_to_core`]). No effect on a replay, which never waits.
    pub fn busy_poll(mut self) -> Self {
        self.busy_poll = true;
        self
    }

    /// Pin a live feed's network thread (its WebSocket and REST tasks) to CPU core `core`, as
    /// [`Feed::pin_to_core`] pins the ingest thread ([`Feed::start`] fails with
    /// [`Error::NoSuchCore`] if there is no such core). No effect on a replay.
    pub fn pin_network_to_core(mut self, core: usize) -> Self {
        self.net_core = Some(core);
        self
    }

    /// The stream of views and state changes ([`Books::updates`]): its capacity, and what
    /// happens to views when the consumer falls behind (default: 4096, drop the newest). State
    /// changes are never dropped (see [`SlowConsumer`]). The readers are not affected by
    /// either: they always hold the latest view.
    ///
    /// ```
    /// use depthbook::{Feed, SlowConsumer, Update, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let feed = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]);
    /// let books = feed.updates(16, SlowConsumer::KeepLatest).start()?;
    /// let stream = books.updates().clone();
    /// let btc = books.top("BTC-USDT").expect("tracked").clone();
    /// books.wait()?;
    /// // Never read: the stream holds the book's state change (never dropped) and the views
    /// // that fitted; the book's newest view waited for room, and the reader has it.
    /// let held: Vec<Update> = stream.try_iter().collect();
    /// assert!(held.len() <= 16 && matches!(held[0], Update::Status(_)));
    /// assert!(btc.read().is_live());
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn updates(mut self, capacity: usize, policy: SlowConsumer) -> Self {
        self.updates = (capacity, policy);
        self
    }

    /// Starts the ingest loop on a thread of its own and returns the readers. A replay's thread
    /// ends at the end of its captures; a live one runs until [`Books::stop`] (or the
    /// [`Books`] are dropped).
    ///
    /// Works the same from async code (inside a tokio runtime of either flavour): the caller's
    /// thread never builds, enters, blocks on or drops a runtime. A live feed's network runtime
    /// is built, driven and shut down on the loop's thread, and so is the instruments fetch
    /// ([`Feed::instruments`]). The call returns once the loop is ready: it blocks the caller
    /// while a replay's captures are opened, a live feed's tasks are started and, with
    /// [`Feed::instruments`], until the venue answers (at most 10 s a request). In async code
    /// that may not stall, call it from `tokio::task::spawn_blocking`.
    ///
    /// # Errors
    /// [`Error::NoSymbols`]; [`Error::NoSuchCore`] ([`Feed::pin_to_core`]); for a live feed,
    /// what [`Live::start`] refuses and an instruments fetch that fails; for a replay, a capture
    /// that cannot be opened; [`Error::Spawn`] if the thread cannot be started.
    ///
    /// ```
    /// use depthbook::{Error, Feed, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let books = Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).start()?;
    /// let btc = books.top("BTC-USDT").expect("tracked").clone();
    /// books.wait()?; // a replay ends at the end of its captures
    /// assert!(btc.read().is_live());
    /// let missing = Feed::replay(Venue::Okx, ["BTC-USDT"], ["no/such/capture.txt"]).start();
    /// assert!(matches!(missing, Err(Error::Capture(_))));
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn start(self) -> Result<Books, Error> {
        if self.symbols.is_empty() {
            return Err(Error::NoSymbols);
        }
        let control = Arc::new(Control::default());
        let known = |index: usize| {
            core_affinity::get_core_ids()
                .and_then(|ids| ids.into_iter().find(|c| c.id == index))
                .ok_or(Error::NoSuchCore(index))
        };
        let core = self.core.map(known).transpose()?;
        if let Some(index) = self.net_core {
            known(index)?;
        }
        match self.source.clone() {
            Source::Live { ws_url, rest_url } => {
                let mut config = LiveConfig::new(self.venue, self.symbols.clone());
                config.depth = self.depth;
                config.market = self.market;
                config.channel = self.channel;
                config.ws_url = ws_url;
                config.rest_url = rest_url.clone();
                config.net_core = self.net_core;
                if self.busy_poll {
                    config.wait = WaitMode::BusyPoll;
                }
                let fetch = if self.instruments {
                    Some(Protocol::of_market(self.venue, self.market)?)
                } else {
                    None
                };
                let (ready_tx, ready) = crossbeam_channel::bounded(1);
                let flag = Arc::clone(&control);
                let thread = spawn(core, move || {
                    // Everything that builds, blocks on or drops a tokio runtime happens here,
                    // on the loop's own thread, never on the caller's: that may be a runtime's
                    // thread, where `block_on` panics ("Cannot start a runtime from within a
                    // runtime") and so does dropping a runtime.
                    let instruments = match fetch {
                        Some(protocol) => fetch_instruments(
                            &protocol,
                            &self.symbols,
                            rest_url.as_deref(),
                            INSTRUMENTS_TIMEOUT,
                        )?,
                        None => Vec::new(),
                    };
                    let mut live = Live::start(config)?;
                    let (readers, updates) = self.readers(live.engine_mut());
                    // Only fails if start() is gone, which waits for this: then nobody reads.
                    if ready_tx.send((readers, updates, instruments)).is_ok() {
                        while !flag.is_stopped() {
                            if live.step().is_none() {
                                break;
                            }
                        }
                    }
                    let counters = *live.engine().counters();
                    if flag.is_abandoned() {
                        // Dropped Books: the runtime is shut down in the background (Live's
                        // drop), without waiting for its tasks.
                        drop(live);
                    } else {
                        live.shutdown()?;
                    }
                    Ok(counters)
                })?;
                match ready.recv() {
                    Ok((readers, updates, instruments)) => {
                        Ok(Books::new(readers, updates, control, thread)
                            .with_instruments(instruments))
                    }
                    // The thread ended before the loop was ready: it returned why.
                    Err(_) => Err(match thread.join() {
                        Ok(Err(error)) => error,
                        // It panicked. (It cannot end well without reporting readiness first.)
                        Ok(Ok(_)) | Err(_) => Error::Panicked,
                    }),
                }
            }
            Source::Nats(url) => {
                let mut engine = Engine::new(self.engine_config());
                let (readers, updates) = self.readers(&mut engine);
                let mut config = SubscriberConfig::new(url, self.venue.name());
                config.symbols.clone_from(&self.symbols);
                let (ready_tx, ready) = crossbeam_channel::bounded(1);
                let flag = Arc::clone(&control);
                let thread = spawn(core, move || {
                    // As for a live feed: the runtime lives and dies on this thread.
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(Error::Spawn)?;
                    runtime.block_on(async move {
                        let mut subscriber = Subscriber::connect(config).await?;
                        if ready_tx.send(()).is_ok() {
                            subscriber
                                .run(None, None, |event| {
                                    if flag.is_stopped() {
                                        return ControlFlow::Break(());
                                    }
                                    crate::replica::apply(&mut engine, &event);
                                    ControlFlow::Continue(())
                                })
                                .await;
                        }
                        Ok(*engine.counters())
                    })
                })?;
                match ready.recv() {
                    Ok(()) => Ok(Books::new(readers, updates, control, thread)),
                    Err(_) => Err(match thread.join() {
                        Ok(Err(error)) => error,
                        Ok(Ok(_)) | Err(_) => Error::Panicked,
                    }),
                }
            }
            Source::Capture(paths) => {
                let mut engine = Engine::new(self.engine_config());
                // Opened here so that a missing file fails the start, then again on the loop's
                // thread (a reader holds its files' handles, which stay on one thread).
                drop(open(self.venue, &paths)?);
                let (readers, updates) = self.readers(&mut engine);
                let (flag, venue) = (Arc::clone(&control), self.venue);
                let thread =
                    spawn(core, move || replay(engine, open(venue, &paths)?, &flag, |_| {}))?;
                Ok(Books::new(readers, updates, control, thread))
            }
        }
    }

    /// Replays the captures on the caller's thread, calling `on_update` with every view and
    /// state change as it happens, in order, none dropped: a deterministic backtest. Returns
    /// the engine's counters at the end. A live feed is refused here ([`Feed::start`] it).
    ///
    /// # Errors
    /// [`Error::NotAReplay`] for a live feed; [`Error::NoSymbols`], a capture that cannot be
    /// opened or read.
    ///
    /// ```
    /// use depthbook::{Feed, Status, Update, Venue};
    ///
    /// let capture =
    ///     concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    /// let mut updates = Vec::new();
    /// let counters =
    ///     Feed::replay(Venue::Okx, ["BTC-USDT"], [capture]).run_here(|u| updates.push(*u))?;
    /// // The book goes Live before its first view; every view is there, none dropped.
    /// assert!(matches!(updates[0], Update::Status(s) if s.status == Status::Live));
    /// let views = updates.iter().filter(|u| matches!(u, Update::Book(_))).count();
    /// assert_eq!(views as u64, counters.published);
    /// # Ok::<(), depthbook::Error>(())
    /// ```
    pub fn run_here(self, mut on_update: impl FnMut(&Update)) -> Result<Counters, Error> {
        let Source::Capture(paths) = &self.source else { return Err(Error::NotAReplay) };
        if self.symbols.is_empty() {
            return Err(Error::NoSymbols);
        }
        let mut engine = Engine::new(self.engine_config());
        let capture = open(self.venue, paths)?;
        // Drained after every frame, which publishes a few updates per message.
        let updates = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
        let never = Control::default();
        replay(engine, capture, &never, |_| updates.try_iter().for_each(|u| on_update(&u)))
    }

    fn engine_config(&self) -> EngineConfig {
        let mut config = EngineConfig::new(self.venue);
        config.symbols = Some(self.symbols.clone());
        config.default_depth = self.depth;
        config
    }

    /// The readers of every symbol (ids are the symbols' order) and the update stream.
    fn readers(
        &self,
        engine: &mut Engine,
    ) -> (Vec<SymbolReaders>, crossbeam_channel::Receiver<Update>) {
        let readers = self
            .symbols
            .iter()
            .enumerate()
            .filter_map(|(id, symbol)| {
                let id = InstrumentId::try_from(id).ok()?;
                let depth = if self.depth_readers { engine.depth_reader(id) } else { None };
                Some(SymbolReaders { symbol: symbol.clone(), top: engine.top_reader(id)?, depth })
            })
            .collect();
        let (capacity, policy) = self.updates;
        (readers, engine.subscribe(capacity, policy))
    }
}

/// Opens the captures, with room in a line for a hex-encoded frame of the largest size the
/// decoder accepts.
fn open(venue: Venue, paths: &[PathBuf]) -> Result<CaptureReader, Error> {
    let max_line = EngineConfig::new(venue).limits.max_frame_bytes.saturating_mul(2);
    Ok(CaptureReader::open(paths, max_line)?)
}

/// The replay loop: every record into the engine, `after` once per record, until the end of
/// the captures or until `control` says stop (checked before every record).
fn replay(
    mut engine: Engine,
    mut capture: CaptureReader,
    control: &Control,
    mut after: impl FnMut(&Engine),
) -> Result<Counters, Error> {
    while !control.is_stopped() {
        let Some(record) = capture.next()? else { break };
        depthbook_capture::feed(&mut engine, &record);
        after(&engine);
    }
    Ok(*engine.counters())
}

/// Starts the ingest thread, pinned to `core` if one is given.
fn spawn(
    core: Option<core_affinity::CoreId>,
    f: impl FnOnce() -> Result<Counters, Error> + Send + 'static,
) -> Result<std::thread::JoinHandle<Result<Counters, Error>>, Error> {
    let run = move || {
        if let Some(core) = core
            && !core_affinity::set_for_current(core)
        {
            eprintln!("depthbook: the ingest thread could not be pinned to core {}", core.id);
        }
        f()
    };
    std::thread::Builder::new().name("depthbook-ingest".into()).spawn(run).map_err(Error::Spawn)
}
