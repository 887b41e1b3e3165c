//! The subscriber: a publisher's books rebuilt exactly, on another process or host.
//!
//! It starts from each book's latest snapshot in the key-value bucket, then reads the stream
//! from just after the oldest of them (or from the end, for books not kept yet) with an
//! ordered consumer. A book is Live while three things hold: its replica is the publisher's
//! mirror as of the last message read (its *chain*: every message of the book since a snapshot
//! or refresh, numbered without a gap within one publisher run), the publisher says the book
//! is Live, and the connection is up. A missing number, another run, a message that cannot be
//! read or a disconnect makes it Stale; the next snapshot or refresh (or, after a disconnect,
//! the next message of an unbroken chain) makes it Live again.

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, kv};
use depthbook_engine::Replica;
use depthbook_venues::Integrity;
use futures_util::StreamExt as _;
use prost::Message as _;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::BusError;
use crate::names::{BusNames, escape_token};
use crate::schema::{self, book_message::Body};
use crate::wire::{self, BookChange};

/// What a subscriber reads and how much it holds.
#[derive(Debug, Clone)]
pub struct SubscriberConfig {
    /// The NATS server (`nats://127.0.0.1:4222`).
    pub url: String,
    /// The stream, bucket and subject prefix the publisher uses.
    pub names: BusNames,
    /// The venue's name (`binance-spot`).
    pub venue: String,
    /// Only these symbols (as the venue spells them); empty: every book of the venue.
    pub symbols: Vec<String>,
    /// Most levels a side of one book; a message past it makes the book Stale.
    pub max_levels: usize,
    /// Most books held; messages of further books are counted and ignored.
    pub max_books: usize,
    /// How long a request may take.
    pub timeout: Duration,
}

impl SubscriberConfig {
    /// Every book of `venue` on the server at `url`, with the default names, at most 100,000
    /// levels a side and 100,000 books.
    pub fn new(url: impl Into<String>, venue: impl Into<String>) -> Self {
        SubscriberConfig {
            url: url.into(),
            names: BusNames::default(),
            venue: venue.into(),
            symbols: Vec::new(),
            max_levels: 100_000,
            max_books: 100_000,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A book as the subscriber holds it.
#[derive(Debug, Clone)]
pub struct RemoteBook {
    /// Its levels.
    pub replica: Replica,
    /// The engine's generation of the book.
    pub generation: u64,
    /// The venue's sequence of the last venue message applied.
    pub venue_seq: Option<i64>,
    /// The venue's event time of that message, in ms.
    pub exchange_ms: Option<i64>,
    /// When the engine received it, ns since the Unix epoch.
    pub recv_ns: i64,
    /// When the publisher sent the last message applied, ns since the Unix epoch.
    pub publish_ns: i64,
    /// What was checked on it.
    pub integrity: Integrity,
    /// Best bid at or above best ask.
    pub crossed: bool,
    /// Why the book is not Live, if it is not: the publisher's reason (the engine's names:
    /// `gap`, `checksum`, ...; `publisher_overflow`, `too_large_for_bus`), or the subscriber's own (`bus_gap`: a
    /// message of the book missing on the bus or another publisher run; `bad_message`,
    /// `disconnect`, `awaiting_snapshot`).
    pub stale_reason: Option<String>,
    /// For the publisher's `gap`: the venue sequence its rule expected, and the one that came.
    pub gap: Option<(i64, i64)>,
    /// The last change applied.
    pub change: BookChange,
    run: u64,
    book_seq: u64,
    /// The replica is the publisher's mirror as of (`run`, `book_seq`).
    chain: bool,
    /// The publisher's last word on the book: Live.
    publisher_live: bool,
    /// The last stream sequence the book reflects (messages up to it are skipped).
    covered_to: u64,
}

impl RemoteBook {
    fn new(max_levels: usize) -> Self {
        RemoteBook {
            replica: Replica::new(max_levels),
            generation: 0,
            venue_seq: None,
            exchange_ms: None,
            recv_ns: 0,
            publish_ns: 0,
            integrity: Integrity::Unverifiable,
            crossed: false,
            stale_reason: Some("awaiting_snapshot".to_owned()),
            change: BookChange::default(),
            gap: None,
            run: 0,
            book_seq: 0,
            chain: false,
            publisher_live: false,
            covered_to: 0,
        }
    }

    /// Whether the book is Live: exact, Live at the publisher, and read over a live connection.
    pub fn is_live(&self) -> bool {
        self.stale_reason.is_none()
    }

    fn head(&mut self, message: &schema::BookMessage) {
        self.generation = message.generation;
        self.venue_seq = message.venue_seq;
        self.exchange_ms = message.exchange_ms;
        self.recv_ns = message.recv_ns;
        self.publish_ns = message.publish_ns;
        self.integrity = wire::integrity_from_wire(message.integrity);
        self.crossed = message.crossed;
    }
}

/// One book and its symbol, as an event shows it.
#[derive(Debug, Clone, Copy)]
pub struct BookView<'a> {
    /// The symbol as the venue spells it.
    pub symbol: &'a str,
    /// The book.
    pub book: &'a RemoteBook,
}

/// What a subscriber tells its caller.
#[derive(Debug, Clone, Copy)]
pub enum SubscriberEvent<'a> {
    /// A venue message (a snapshot that made the book Live, or a delta) applied to a Live
    /// book: a view the engine published.
    Update(BookView<'a>),
    /// A book became Live without a new view: from its kept snapshot, a refresh, or an
    /// unbroken chain after a reconnect.
    Live(BookView<'a>),
    /// A Live book became Stale.
    Stale(BookView<'a>),
    /// Nothing happened for 100 ms (a caller can stop the run here).
    Tick,
}

/// What a subscriber counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriberStats {
    /// Messages read from the stream.
    pub messages: u64,
    /// Kept snapshots read from the bucket.
    pub kept: u64,
    /// Views applied to Live books (what `Update` events reported).
    pub updates: u64,
    /// Breaks of a book's chain: a missing number, or another publisher run.
    pub gaps: u64,
    /// Messages that could not be read or applied.
    pub bad_messages: u64,
    /// Books that became Stale.
    pub stale: u64,
    /// Books that became Live again after being Stale.
    pub resyncs: u64,
    /// Times the connection to the server was lost.
    pub disconnects: u64,
}

impl SubscriberStats {
    /// Every field with its name, for a counters line.
    pub fn fields(&self) -> [(&'static str, u64); 8] {
        [
            ("messages", self.messages),
            ("kept", self.kept),
            ("updates", self.updates),
            ("gaps", self.gaps),
            ("bad_messages", self.bad_messages),
            ("stale", self.stale),
            ("resyncs", self.resyncs),
            ("disconnects", self.disconnects),
        ]
    }
}

/// A subscriber to one venue's books (see the module docs).
#[derive(Debug)]
pub struct Subscriber {
    config: SubscriberConfig,
    js: jetstream::Context,
    events: mpsc::UnboundedReceiver<async_nats::Event>,
    books: BTreeMap<String, RemoteBook>,
    only: HashSet<String>,
    connected: bool,
    stats: SubscriberStats,
    /// The stream's last sequence when the subscriber first looked (0 if there was no stream):
    /// everything after it is read from the stream, and only older kept snapshots are used.
    first_look: Option<u64>,
    /// The stream, once found: its last sequence tells a silent consumer from a quiet feed.
    stream: Option<jetstream::stream::Stream>,
    /// The highest stream sequence delivered so far.
    max_seen: u64,
}

/// What woke the loop.
enum Wake {
    Message(Option<Result<Box<jetstream::Message>, String>>),
    Connection(Option<async_nats::Event>),
    Retry,
    Tick,
    Idle,
    Deadline,
}

impl Subscriber {
    /// Connects to the server and takes a first look at the stream: every message published
    /// after this returns will be read from the stream (what came before, from the kept
    /// snapshots).
    ///
    /// # Errors
    /// [`BusError::Connect`] if the server cannot be reached.
    pub async fn connect(config: SubscriberConfig) -> Result<Subscriber, BusError> {
        let (tx, events) = mpsc::unbounded_channel();
        let client = async_nats::ConnectOptions::new()
            .name("depthbook-subscriber")
            .connection_timeout(config.timeout)
            .reconnect_delay_callback(crate::reconnect_delay)
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(event);
                }
            })
            .connect(config.url.as_str())
            .await
            .map_err(|e| BusError::Connect { url: config.url.clone(), message: e.to_string() })?;
        let js = jetstream::ContextBuilder::new().timeout(config.timeout).build(client);
        // The first look at the stream: what is published after it is read from the stream.
        let first_look = match js.get_stream(config.names.stream.as_str()).await {
            Ok(mut stream) => stream.info().await.map_or(0, |info| info.state.last_sequence),
            Err(_) => 0,
        };
        let only = config.symbols.iter().cloned().collect();
        Ok(Subscriber {
            config,
            js,
            events,
            books: BTreeMap::new(),
            only,
            connected: true,
            stats: SubscriberStats::default(),
            first_look: Some(first_look),
            stream: None,
            max_seen: 0,
        })
    }

    /// The books held, by symbol.
    pub fn books(&self) -> impl Iterator<Item = BookView<'_>> {
        self.books.iter().map(|(symbol, book)| BookView { symbol, book })
    }

    /// What it counted.
    pub fn stats(&self) -> SubscriberStats {
        self.stats
    }

    /// Reads the books until `on_event` breaks, no message comes for `idle`, or `until`
    /// passes; calls `on_event` for every change of a book it holds. It waits for a publisher
    /// that has not made the stream yet, and rides out the server going away (its books are
    /// Stale meanwhile).
    pub async fn run(
        &mut self,
        idle: Option<Duration>,
        until: Option<Instant>,
        mut on_event: impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) {
        // The ordered consumer, while there is one; when there is none (before the first
        // publisher made the stream, after the consumer ended or the connection came back),
        // when to try to open one.
        let mut messages: Option<consumer::pull::Ordered> = None;
        let mut retry_at = Some(Instant::now());
        let mut last_message = Instant::now();
        let mut last_check = Instant::now();
        loop {
            if messages.is_none() && retry_at.is_some_and(|at| Instant::now() >= at) {
                messages = self.start(&mut on_event).await;
                retry_at = messages.is_none().then(|| Instant::now() + RETRY);
            }
            let idle_at = idle.map(|d| last_message + d);
            let wake = tokio::select! {
                biased;
                event = self.events.recv() => Wake::Connection(event),
                message = next_message(&mut messages) => {
                    Wake::Message(message.map(|m| m.map(Box::new).map_err(|e| e.to_string())))
                }
                () = sleep_until(retry_at) => Wake::Retry,
                () = tokio::time::sleep(TICK) => Wake::Tick,
                () = sleep_until(idle_at) => Wake::Idle,
                () = sleep_until(until) => Wake::Deadline,
            };
            let flow = match wake {
                Wake::Message(Some(Ok(message))) => {
                    last_message = Instant::now();
                    self.message(&message, &mut on_event)
                }
                Wake::Message(Some(Err(error))) => {
                    // The ordered consumer recreates itself from the last message it
                    // delivered; nothing is skipped.
                    tracing::debug!(%error, "ordered consumer");
                    ControlFlow::Continue(())
                }
                Wake::Message(None) => {
                    // The consumer ended: open another from the bucket.
                    messages = None;
                    retry_at = Some(Instant::now());
                    ControlFlow::Continue(())
                }
                Wake::Connection(Some(async_nats::Event::Disconnected)) => {
                    self.stats.disconnects += 1;
                    self.connected = false;
                    self.mark_all_stale("disconnect", &mut on_event)
                }
                Wake::Connection(Some(async_nats::Event::Connected)) => {
                    self.connected = true;
                    // The consumer's pull requests died with the connection: open a new one
                    // from where each book is (and the kept snapshots of broken chains), once
                    // the server's JetStream answers.
                    messages = None;
                    retry_at = Some(Instant::now());
                    ControlFlow::Continue(())
                }
                Wake::Connection(_) | Wake::Retry => ControlFlow::Continue(()),
                Wake::Tick => {
                    // Quiet for a while: if the stream has moved on past what was delivered,
                    // the consumer went silent (a restarted server can leave one so): open
                    // another from where each book is.
                    let quiet = last_message.elapsed().min(last_check.elapsed());
                    if messages.is_some() && self.connected && quiet >= SILENT_CHECK {
                        last_check = Instant::now();
                        if self.stream_moved_on().await {
                            messages = None;
                            retry_at = Some(Instant::now());
                        }
                    }
                    on_event(SubscriberEvent::Tick)
                }
                Wake::Idle | Wake::Deadline => ControlFlow::Break(()),
            };
            if flow.is_break() {
                return;
            }
        }
    }

    /// Reads the kept snapshots and opens an ordered consumer from just after the oldest;
    /// `None` while that cannot be done: the stream or the bucket does not exist (no publisher
    /// made them yet), or the server's JetStream does not answer (it is starting again).
    async fn start(
        &mut self,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> Option<consumer::pull::Ordered> {
        // Bounded: a server still recovering its streams must not hold the loop (its idle and
        // deadline timers, its connection events) for longer than a request may take.
        let limit = self.config.timeout.saturating_mul(2);
        match tokio::time::timeout(limit, self.try_start(on_event)).await {
            Ok(Ok(messages)) => messages,
            Ok(Err(error)) => {
                tracing::debug!(%error, "cannot open the ordered consumer yet");
                None
            }
            Err(_) => {
                tracing::debug!("opening the ordered consumer timed out");
                None
            }
        }
    }

    async fn try_start(
        &mut self,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> Result<Option<consumer::pull::Ordered>, BusError> {
        let names = self.config.names.clone();
        let mut stream = match self.js.get_stream(names.stream.as_str()).await {
            Ok(stream) => stream,
            Err(error) => {
                tracing::debug!(%error, "no stream yet");
                return Ok(None);
            }
        };
        let info = stream.info().await.map_err(|e| BusError::jetstream("stream info", e))?;
        let current = info.state.last_sequence;
        self.stream = Some(stream.clone());
        // What was published before the subscriber first looked comes from the kept snapshots;
        // the rest from the stream, every message of it.
        let last = *self.first_look.get_or_insert(current);
        let kv = match self.js.get_key_value(names.bucket.as_str()).await {
            Ok(kv) => kv,
            Err(error) => {
                tracing::debug!(%error, "no bucket yet");
                return Ok(None);
            }
        };
        let keys = self.keys(&kv).await?;
        for key in keys {
            let value = match kv.get(key.as_str()).await {
                Ok(Some(value)) => value,
                Ok(None) => continue,
                Err(error) => return Err(BusError::jetstream("key-value get", error)),
            };
            self.kept(&value, last, on_event);
        }
        self.first_look = Some(current);
        let start = self
            .books
            .values()
            .filter(|b| b.chain)
            .map(|b| b.covered_to + 1)
            .chain([last + 1])
            .min()
            .unwrap_or(1)
            .max(1);
        let filter = match self.config.symbols.as_slice() {
            [one] => names.subject(&self.config.venue, one),
            _ => names.venue_filter(&self.config.venue),
        };
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: filter,
                deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence: start },
                ..Default::default()
            })
            .await
            .map_err(|e| BusError::jetstream("ordered consumer", e))?;
        let messages =
            consumer.messages().await.map_err(|e| BusError::jetstream("ordered consumer", e))?;
        Ok(Some(messages))
    }

    /// The bucket's keys of the books to read.
    async fn keys(&self, kv: &kv::Store) -> Result<Vec<String>, BusError> {
        let names = &self.config.names;
        if !self.config.symbols.is_empty() {
            return Ok(self
                .config
                .symbols
                .iter()
                .map(|s| names.key(&self.config.venue, s))
                .collect());
        }
        let prefix = format!("{}.", escape_token(&self.config.venue));
        let mut keys = Vec::new();
        let mut listed = kv.keys().await.map_err(|e| BusError::jetstream("key-value keys", e))?;
        while let Some(key) = listed.next().await {
            let key = key.map_err(|e| BusError::jetstream("key-value keys", e))?;
            if key.starts_with(&prefix) {
                keys.push(key);
            }
        }
        Ok(keys)
    }

    /// A kept snapshot: the book as of its stream sequence, if that is at most `last` (a
    /// later one is read from the stream with the messages around it).
    fn kept(
        &mut self,
        value: &[u8],
        last: u64,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) {
        let Ok(latest) = schema::LatestSnapshot::decode(value) else {
            self.stats.bad_messages += 1;
            return;
        };
        let Some(message) = latest.message else {
            self.stats.bad_messages += 1;
            return;
        };
        let Ok(message) = wire::decode(&message.encode_to_vec()) else {
            self.stats.bad_messages += 1;
            return;
        };
        if latest.stream_seq > last {
            return;
        }
        let symbol = message.symbol.clone();
        let Some(book) = self.book(&symbol) else { return };
        if book.covered_to >= latest.stream_seq && book.chain {
            return;
        }
        self.stats.kept += 1;
        // The caller cannot stop the start; its next event can.
        let _ = self.apply(&symbol, latest.stream_seq, &message, on_event);
    }

    /// The book of `symbol`, made if there is room and the symbol is wanted.
    fn book(&mut self, symbol: &str) -> Option<&mut RemoteBook> {
        if !self.only.is_empty() && !self.only.contains(symbol) {
            return None;
        }
        if !self.books.contains_key(symbol) {
            if self.books.len() >= self.config.max_books {
                self.stats.bad_messages += 1;
                return None;
            }
            self.books.insert(symbol.to_owned(), RemoteBook::new(self.config.max_levels));
        }
        self.books.get_mut(symbol)
    }

    fn message(
        &mut self,
        message: &jetstream::Message,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        self.stats.messages += 1;
        let Ok(info) = message.info() else {
            self.stats.bad_messages += 1;
            return ControlFlow::Continue(());
        };
        let stream_seq = info.stream_sequence;
        self.max_seen = self.max_seen.max(stream_seq);
        let Some((_venue, symbol)) = self.config.names.parse_subject(message.subject.as_str())
        else {
            self.stats.bad_messages += 1;
            return ControlFlow::Continue(());
        };
        match wire::decode(&message.payload) {
            Ok(decoded) => self.apply(&symbol, stream_seq, &decoded, on_event),
            Err(_) => {
                self.stats.bad_messages += 1;
                let Some(book) = self.book(&symbol) else { return ControlFlow::Continue(()) };
                book.chain = false;
                book.covered_to = book.covered_to.max(stream_seq);
                self.settle(&symbol, "bad_message", false, on_event)
            }
        }
    }

    /// Applies one message of `symbol`'s book at `stream_seq`.
    fn apply(
        &mut self,
        symbol: &str,
        stream_seq: u64,
        message: &schema::BookMessage,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let Some(book) = self.book(symbol) else { return ControlFlow::Continue(()) };
        if stream_seq <= book.covered_to {
            return ControlFlow::Continue(());
        }
        book.covered_to = stream_seq;
        let Some(body) = &message.body else { return ControlFlow::Continue(()) };
        let next = book.chain && message.run == book.run && message.book_seq == book.book_seq + 1;
        let (mut view, mut gap, mut bad) = (false, false, false);
        let mut reason = "bus_gap";
        match body {
            Body::Snapshot(_) | Body::Refresh(_) => {
                if wire::apply(&mut book.replica, body, &mut book.change).is_ok() {
                    book.chain = true;
                    book.publisher_live = true;
                    book.run = message.run;
                    book.book_seq = message.book_seq;
                    book.head(message);
                    view = matches!(body, Body::Snapshot(_));
                } else {
                    book.chain = false;
                    reason = "bad_message";
                    bad = true;
                }
            }
            Body::Delta(_) if next => {
                if wire::apply(&mut book.replica, body, &mut book.change).is_ok() {
                    book.book_seq = message.book_seq;
                    book.publisher_live = true;
                    book.head(message);
                    view = true;
                } else {
                    book.chain = false;
                    reason = "bad_message";
                    bad = true;
                }
            }
            Body::Status(status) if next => {
                book.book_seq = message.book_seq;
                book.generation = message.generation;
                book.publisher_live = status.state == schema::State::Live as i32;
                book.gap = status.gap_expected.zip(status.gap_got);
                reason = if status.reason.is_empty() { "stale" } else { status.reason.as_str() };
            }
            Body::Status(status) if status.state == schema::State::Stale as i32 => {
                // Out of the chain, but the publisher's word stands: Stale, and why (the
                // subscriber's own `bus_gap` would say less).
                gap = book.chain;
                book.chain = false;
                book.publisher_live = false;
                if !status.reason.is_empty() {
                    reason = status.reason.as_str();
                    book.stale_reason = Some(reason.to_owned());
                }
            }
            Body::Delta(_) | Body::Status(_) => {
                gap = book.chain;
                book.chain = false;
            }
        }
        let reason = reason.to_owned();
        self.stats.gaps += u64::from(gap);
        self.stats.bad_messages += u64::from(bad);
        self.settle(symbol, &reason, view, on_event)
    }

    /// Works out `symbol`'s state after a change and tells the caller: an update (`view`), a
    /// return to Live, or a fall to Stale for `reason`.
    fn settle(
        &mut self,
        symbol: &str,
        reason: &str,
        view: bool,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let connected = self.connected;
        let Some(book) = self.books.get_mut(symbol) else { return ControlFlow::Continue(()) };
        let was_live = book.is_live();
        let live = book.chain && book.publisher_live && connected;
        if live {
            book.stale_reason = None;
        } else if was_live || book.stale_reason.is_none() {
            book.stale_reason = Some(if connected { reason } else { "disconnect" }.to_owned());
        }
        let book_view = BookView { symbol, book };
        match (was_live, live) {
            (_, true) if view => {
                self.stats.updates += 1;
                if !was_live && book.generation > 0 {
                    self.stats.resyncs += u64::from(self.stats.stale > 0);
                }
                on_event(SubscriberEvent::Update(book_view))
            }
            (false, true) => {
                self.stats.resyncs += u64::from(self.stats.stale > 0);
                on_event(SubscriberEvent::Live(book_view))
            }
            (true, false) => {
                self.stats.stale += 1;
                on_event(SubscriberEvent::Stale(book_view))
            }
            _ => ControlFlow::Continue(()),
        }
    }

    /// Whether the stream holds messages of this subscriber's filter past the last one
    /// delivered (any subject of the stream counts: a false alarm only reopens the consumer).
    async fn stream_moved_on(&mut self) -> bool {
        let Some(stream) = &mut self.stream else { return false };
        let limit = self.config.timeout;
        match tokio::time::timeout(limit, stream.info()).await {
            Ok(Ok(info)) => {
                let filter = match self.config.symbols.as_slice() {
                    [one] => self.config.names.subject(&self.config.venue, one),
                    _ => self.config.names.venue_filter(&self.config.venue),
                };
                // Cheap first: nothing new in the whole stream.
                if info.state.last_sequence <= self.max_seen {
                    return false;
                }
                // Something new: of this subscriber's subjects? (Where the server cannot say
                // for a wildcard, assume so: reopening the consumer loses nothing.)
                match stream.get_last_raw_message_by_subject(&filter).await {
                    Ok(last) => last.sequence > self.max_seen,
                    Err(_) => true,
                }
            }
            _ => false,
        }
    }

    fn mark_all_stale(
        &mut self,
        reason: &str,
        on_event: &mut impl FnMut(SubscriberEvent<'_>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let symbols: Vec<String> = self.books.keys().cloned().collect();
        for symbol in symbols {
            self.settle(&symbol, reason, false, on_event)?;
        }
        ControlFlow::Continue(())
    }
}

/// How long without anything happening before a [`SubscriberEvent::Tick`].
const TICK: Duration = Duration::from_millis(100);

/// How long without a message before the subscriber asks whether the stream moved on.
const SILENT_CHECK: Duration = Duration::from_secs(2);

/// How soon to try again to open the ordered consumer.
const RETRY: Duration = Duration::from_millis(200);

/// The consumer's next message; never, without a consumer.
async fn next_message(
    messages: &mut Option<consumer::pull::Ordered>,
) -> Option<Result<jetstream::Message, consumer::pull::OrderedError>> {
    match messages {
        Some(messages) => messages.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
