//! The publisher: an engine's replication journal onto a JetStream stream, on a thread of its
//! own.
//!
//! It reads journal records, applies each to its mirror of the book (a [`Replica`]), and
//! publishes one message per record on the book's subject, each numbered in the book's chain
//! (`book_seq`) and stamped with this run's random id. Snapshots and refreshes are also put,
//! once the stream has acknowledged them, in the key-value bucket under the book's key with
//! their stream sequence: a new subscriber starts from there.
//!
//! What bounds its memory: the journal ring (the engine drops records it cannot write, and
//! counts them), at most [`PublisherConfig::max_in_flight`] messages awaiting the stream's
//! acknowledgement, and the client's own bounded buffer. When the server is away, publishing
//! waits; the ingest loop does not (it is on another thread and never waits for the journal),
//! so records are dropped at the ring, each book's loss is announced (a Stale status) and the
//! book is sent again in full once it can be. A message that cannot be published, or that the
//! stream did not acknowledge, is dropped and counted: its book's chain breaks for
//! subscribers (they hold it Stale), the publisher publishes nothing more of it, and every
//! 100 ms tries to send it again in full (a refresh) until the server takes it. Nothing waits
//! in a queue of its own while the server is away. A book is also sent in full after 1,000
//! messages of its own, and a minute after it was last if it changed since (see
//! [`PublisherConfig::refresh_after`]).
//!
//! A book whose full message is larger than the server takes (its `max_payload`, 1 MiB by
//! default) is not retried: it goes Stale on the bus with the reason `too_large_for_bus`,
//! counted and logged once, and nothing more of it is published until it holds few enough
//! levels to fit (then it is sent in full again) or its next snapshot.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::{self, Context as JetStream};
use bytes::Bytes;
use depthbook_engine::{BookRecord, JournalReader, Record, Replica, StaleReason};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesOrdered;
use prost::Message as _;

use crate::error::BusError;
use crate::names::BusNames;
use crate::schema::{self, book_message::Body};
use crate::wire;

/// The most bytes a publisher's stream keeps unless configured otherwise: 1 GiB. JetStream
/// reserves it from the server's storage when the stream is made.
pub const DEFAULT_STREAM_MAX_BYTES: i64 = 1 << 30;

/// How a publisher connects and what it keeps.
#[derive(Debug, Clone)]
pub struct PublisherConfig {
    /// The NATS server (`nats://127.0.0.1:4222`).
    pub url: String,
    /// The stream, bucket and subject prefix.
    pub names: BusNames,
    /// The venue's name (`binance-spot`): the subjects' second token.
    pub venue: String,
    /// A book is sent again in full (a refresh) after this many messages of its own, so a
    /// subscriber that starts from the key-value bucket has at most this many to catch up.
    pub refresh_every: u64,
    /// A book with messages since it was last sent in full is sent again in full once that is
    /// this long ago, however few they are: a subscriber starting from the bucket then needs
    /// the stream to keep only this long's messages of a quiet book (not everything since its
    /// snapshot, which a stream at its size limit may have dropped).
    pub refresh_after: Duration,
    /// Messages published and not yet acknowledged by the stream, at most.
    pub max_in_flight: usize,
    /// The stream keeps at most this many bytes (oldest messages go first).
    pub stream_max_bytes: i64,
    /// The stream keeps messages at most this long.
    pub stream_max_age: Duration,
    /// How long a request or an acknowledgement may take.
    pub timeout: Duration,
}

impl PublisherConfig {
    /// The defaults for `venue` on the server at `url`: refresh every 1,000 messages or a
    /// minute, 4,096 messages in flight, a stream of at most 1 GiB and 24 hours, 5-second
    /// timeouts.
    pub fn new(url: impl Into<String>, venue: impl Into<String>) -> Self {
        PublisherConfig {
            url: url.into(),
            names: BusNames::default(),
            venue: venue.into(),
            refresh_every: 1_000,
            refresh_after: Duration::from_secs(60),
            max_in_flight: 4_096,
            stream_max_bytes: DEFAULT_STREAM_MAX_BYTES,
            stream_max_age: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(5),
        }
    }
}

/// What a publisher did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublisherStats {
    /// Journal records read.
    pub records: u64,
    /// Messages handed to the client.
    pub messages: u64,
    /// Their payload bytes.
    pub bytes: u64,
    /// Messages the stream acknowledged.
    pub acked: u64,
    /// Messages that could not be published or were not acknowledged.
    pub failed: u64,
    /// Books sent again in full (periodically, or after a failure).
    pub refreshes: u64,
    /// Snapshots kept in the key-value bucket.
    pub kept: u64,
    /// Books whose journal records the engine dropped (its ring was full).
    pub lost: u64,
    /// Messages larger than the server takes (its `max_payload`): each made its book Stale on
    /// the bus until it is small enough.
    pub too_large: u64,
}

impl PublisherStats {
    /// Every field with its name, for a counters line.
    pub fn fields(&self) -> [(&'static str, u64); 9] {
        [
            ("bus_records", self.records),
            ("bus_messages", self.messages),
            ("bus_bytes", self.bytes),
            ("bus_acked", self.acked),
            ("bus_failed", self.failed),
            ("bus_refreshes", self.refreshes),
            ("bus_kept", self.kept),
            ("bus_lost", self.lost),
            ("bus_too_large", self.too_large),
        ]
    }
}

#[derive(Debug, Default)]
struct SharedStats([AtomicU64; 9]);

impl SharedStats {
    fn add(&self, field: usize, n: u64) {
        self.0[field].fetch_add(n, Ordering::Relaxed);
    }
    fn read(&self) -> PublisherStats {
        let v = |i: usize| self.0[i].load(Ordering::Relaxed);
        PublisherStats {
            records: v(RECORDS),
            messages: v(MESSAGES),
            bytes: v(BYTES),
            acked: v(ACKED),
            failed: v(FAILED),
            refreshes: v(REFRESHES),
            kept: v(KEPT),
            lost: v(LOST),
            too_large: v(TOO_LARGE),
        }
    }
}

const RECORDS: usize = 0;
const MESSAGES: usize = 1;
const BYTES: usize = 2;
const ACKED: usize = 3;
const FAILED: usize = 4;
const REFRESHES: usize = 5;
const KEPT: usize = 6;
const LOST: usize = 7;
const TOO_LARGE: usize = 8;

/// How often books owed a refresh (a message of theirs was not delivered) are sent again.
const REFRESH_TICK: Duration = Duration::from_millis(100);

/// A running publisher (see the module docs).
#[derive(Debug)]
pub struct Publisher {
    thread: JoinHandle<Result<(), BusError>>,
    stats: Arc<SharedStats>,
}

impl Publisher {
    /// Connects to the server, makes sure the stream and the bucket exist, and starts
    /// publishing what `journal` carries, on a new thread. Returns once connected.
    ///
    /// # Errors
    /// [`BusError::Connect`] or [`BusError::JetStream`] if the server cannot be reached or
    /// refuses the stream or the bucket; [`BusError::Thread`] if no thread can be started.
    pub fn spawn(config: PublisherConfig, journal: JournalReader) -> Result<Publisher, BusError> {
        let venue = config.venue.clone();
        Self::spawn_many(config, vec![(venue, journal)])
    }

    /// [`Publisher::spawn`] for several engines' journals, each with its venue's name (one
    /// process reading many venues over many connections, each connection an engine): one
    /// thread, one connection to the server, every book on its venue's subjects. It ends once
    /// every journal is finished.
    ///
    /// # Errors
    /// As [`Publisher::spawn`].
    pub fn spawn_many(
        config: PublisherConfig,
        journals: Vec<(String, JournalReader)>,
    ) -> Result<Publisher, BusError> {
        let stats = Arc::new(SharedStats::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("depthbook-bus".to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| BusError::Thread(e.to_string()))?;
                runtime.block_on(async move {
                    let bus = match Bus::connect(&config).await {
                        Ok(bus) => {
                            let _ = ready_tx.send(Ok(()));
                            bus
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return Ok(());
                        }
                    };
                    let venues = journals.iter().map(|(venue, _)| venue.clone()).collect();
                    let readers = journals.into_iter().map(|(_, journal)| journal).collect();
                    Mirror::new(config, venues, bus, thread_stats).run(readers).await
                })
            })
            .map_err(|e| BusError::Thread(e.to_string()))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Publisher { thread, stats }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => BusError::Thread("the publisher stopped before connecting".to_owned()),
            }),
        }
    }

    /// What it did so far.
    pub fn stats(&self) -> PublisherStats {
        self.stats.read()
    }

    /// Waits until the journal is finished (the engine dropped it: see
    /// [`depthbook_engine::Engine::close_journal`]) and every message is acknowledged and every
    /// snapshot kept; returns what it did.
    ///
    /// # Errors
    /// [`BusError::Thread`] if the publisher's thread panicked.
    pub fn join(self) -> Result<PublisherStats, BusError> {
        match self.thread.join() {
            Ok(Ok(())) => Ok(self.stats.read()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(BusError::Thread("the publisher panicked".to_owned())),
        }
    }
}

/// The server's side: JetStream, with the stream and the snapshot bucket made.
struct Bus {
    js: JetStream,
}

impl Bus {
    async fn connect(config: &PublisherConfig) -> Result<Bus, BusError> {
        let client = async_nats::ConnectOptions::new()
            .name("depthbook-publisher")
            .connection_timeout(config.timeout)
            .reconnect_delay_callback(crate::reconnect_delay)
            .connect(config.url.as_str())
            .await
            .map_err(|e| BusError::Connect { url: config.url.clone(), message: e.to_string() })?;
        let js = jetstream::ContextBuilder::new()
            .timeout(config.timeout)
            .max_ack_inflight(config.max_in_flight.max(1))
            .backpressure_on_inflight(true)
            .build(client);
        let names = &config.names;
        js.get_or_create_stream(jetstream::stream::Config {
            name: names.stream.clone(),
            subjects: vec![names.all_subjects()],
            max_bytes: config.stream_max_bytes,
            max_age: config.stream_max_age,
            storage: jetstream::stream::StorageType::File,
            discard: jetstream::stream::DiscardPolicy::Old,
            ..Default::default()
        })
        .await
        .map_err(|e| BusError::jetstream("stream", e))?;
        match js.get_key_value(names.bucket.as_str()).await {
            Ok(_) => {}
            Err(_) => {
                // The bucket's stream, made as the key-value convention (ADR-8) lays it out:
                // the client's own `create_key_value` first asks for the account's details,
                // which servers before 2.10 (Debian's is 2.9) answer without fields it needs.
                js.get_or_create_stream(kv_stream(&names.bucket))
                    .await
                    .map_err(|e| BusError::jetstream("key-value bucket", e))?;
                js.get_key_value(names.bucket.as_str())
                    .await
                    .map_err(|e| BusError::jetstream("key-value bucket", e))?;
            }
        }
        Ok(Bus { js })
    }
}

/// The publisher's copy of one book.
struct Book {
    subject: String,
    key: String,
    symbol: String,
    replica: Replica,
    live: bool,
    /// Why it is not Live (`None`: the publisher lost messages of it).
    stale_reason: Option<StaleReason>,
    book_seq: u64,
    generation: u64,
    /// The last view's fields.
    head: Head,
    /// Messages since its last snapshot or refresh.
    since_refresh: u64,
    /// When it was last sent in full.
    sent_in_full: tokio::time::Instant,
    /// A message of it could not be delivered: send it again in full.
    needs_refresh: bool,
    /// Its full message was larger than the server takes: nothing of it is published until it
    /// holds at most this many levels (the most that should fit, at the refused message's bytes
    /// a level), or its next snapshot.
    fits_within: Option<usize>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Head {
    seq: Option<i64>,
    exchange_ms: Option<i64>,
    recv_ns: i64,
    integrity: i32,
    crossed: bool,
}

impl Head {
    fn of(record: &BookRecord<'_>) -> Head {
        Head {
            seq: record.seq,
            exchange_ms: record.exchange_ms,
            recv_ns: record.recv_ns,
            integrity: wire::integrity_to_wire(record.integrity) as i32,
            crossed: record.crossed,
        }
    }
}

/// An acknowledgement awaited: of a book's message (with the bytes to keep in the bucket once
/// the stream has it, for snapshots and refreshes), or of a snapshot put in the bucket.
enum Acked {
    Message { id: u32, kept: Option<Bytes>, result: Result<u64, String> },
    Kept { result: Result<u64, String> },
}
type InFlight = FuturesOrdered<Pin<Box<dyn Future<Output = Acked> + Send>>>;

/// Every book's mirror and the publishing state. Books are numbered in the order they first
/// appear (a *key*); each journal's instrument ids map to keys.
struct Mirror {
    config: PublisherConfig,
    bus: Bus,
    stats: Arc<SharedStats>,
    run: u64,
    books: Vec<Book>,
    /// Per journal: its venue's name, and each instrument id's key.
    sources: Vec<(String, Vec<Option<u32>>)>,
    in_flight: InFlight,
}

/// What woke the loop.
enum Wake {
    Acked(Acked),
    /// A journal has records (its index); `None`: every journal is finished.
    Journal(Option<usize>),
    Tick,
}

impl Mirror {
    fn new(
        config: PublisherConfig,
        venues: Vec<String>,
        bus: Bus,
        stats: Arc<SharedStats>,
    ) -> Mirror {
        // Never 0, so a subscriber can tell "no run yet".
        let run = fastrand::u64(1..);
        let sources = venues.into_iter().map(|venue| (venue, Vec::new())).collect();
        Mirror {
            config,
            bus,
            stats,
            run,
            books: Vec::new(),
            sources,
            in_flight: FuturesOrdered::new(),
        }
    }

    async fn run(mut self, mut journals: Vec<JournalReader>) -> Result<(), BusError> {
        let mut buf = Vec::new();
        let mut done = vec![false; journals.len()];
        let mut finished = journals.is_empty();
        let mut tick = tokio::time::interval(REFRESH_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Rounds of refreshes still owed once the journal is finished: a server that stays
        // away does not keep the publisher for ever.
        let mut last_rounds = 3;
        loop {
            if finished && self.in_flight.is_empty() {
                let owed = self.books.iter().any(|b| b.needs_refresh);
                if !owed || last_rounds == 0 {
                    return Ok(());
                }
                last_rounds -= 1;
                self.retry_refreshes().await;
                continue;
            }
            let room = self.in_flight.len() < self.config.max_in_flight;
            // The tick first: it is ready once in 100 ms, and a busy stream of records and
            // acknowledgements must not starve the refreshes it drives.
            let wake = tokio::select! {
                biased;
                _ = tick.tick() => Wake::Tick,
                Some(acked) = self.in_flight.next(), if !self.in_flight.is_empty() => {
                    Wake::Acked(acked)
                }
                ready = ready_journal(&mut journals, &mut done), if room && !finished => {
                    Wake::Journal(ready)
                }
            };
            match wake {
                Wake::Acked(acked) => self.acked(acked).await,
                Wake::Journal(None) => finished = true,
                Wake::Journal(Some(j)) => {
                    // A batch, then look at the acknowledgements again.
                    for _ in 0..256 {
                        if self.in_flight.len() >= self.config.max_in_flight {
                            break;
                        }
                        let Some(record) = journals[j].try_next(&mut buf) else { break };
                        self.stats.add(RECORDS, 1);
                        self.record(j, record).await;
                    }
                }
                Wake::Tick => self.retry_refreshes().await,
            }
        }
    }

    /// The key of journal `j`'s instrument `id`, if it has one yet.
    fn key(&self, j: usize, id: u32) -> Option<u32> {
        self.sources.get(j)?.1.get(id as usize).copied().flatten()
    }

    async fn record(&mut self, j: usize, record: Record<'_>) {
        match record {
            Record::Snapshot(r) => {
                let key = self.book_for(j, &r);
                let book = &mut self.books[key as usize];
                // The engine's books are within its cap; the mirror's is only a backstop.
                let _ = book.replica.apply(&r, true);
                book.live = true;
                book.stale_reason = None;
                book.generation = r.generation;
                book.head = Head::of(&r);
                book.needs_refresh = false;
                book.since_refresh = 0;
                let body = Body::Snapshot(wire::levels_of(&book.replica));
                self.publish(key, body, true).await;
            }
            Record::Delta(r) => {
                let Some(key) = self.key(j, r.instrument) else { return };
                let book = &mut self.books[key as usize];
                if !book.live {
                    return;
                }
                let _ = book.replica.apply(&r, false);
                book.generation = r.generation;
                book.head = Head::of(&r);
                book.since_refresh += 1;
                if book.needs_refresh || book.fits_within.is_some() {
                    // The refresh owed (sent on the next tick, or once the book fits a message)
                    // covers this message: nothing is queued while the server is away.
                    return;
                }
                let due = book.since_refresh >= self.config.refresh_every;
                self.publish(key, Body::Delta(wire::delta_of(&r)), false).await;
                if due {
                    self.refresh(key).await;
                }
            }
            Record::Stale { instrument, generation, reason } => {
                if let Some(key) = self.key(j, instrument) {
                    self.stale(key, Some(generation), Some(reason)).await;
                }
            }
            Record::Lost { instrument } => {
                self.stats.add(LOST, 1);
                if let Some(key) = self.key(j, instrument) {
                    self.stale(key, None, None).await;
                }
            }
            Record::Malformed => self.stats.add(FAILED, 1),
        }
    }

    /// The key of journal `j`'s book that `r` (a snapshot) names, made at its first snapshot.
    fn book_for(&mut self, j: usize, r: &BookRecord<'_>) -> u32 {
        if let Some(key) = self.key(j, r.instrument) {
            return key;
        }
        let key = self.books.len() as u32;
        let Some((venue, keys)) = self.sources.get_mut(j) else { return key };
        let index = r.instrument as usize;
        if keys.len() <= index {
            keys.resize(index + 1, None);
        }
        keys[index] = Some(key);
        let names = &self.config.names;
        self.books.push(Book {
            subject: names.subject(venue, r.symbol),
            key: names.key(venue, r.symbol),
            symbol: r.symbol.to_owned(),
            replica: Replica::new(usize::MAX),
            live: false,
            stale_reason: None,
            book_seq: 0,
            generation: 0,
            head: Head::default(),
            since_refresh: 0,
            sent_in_full: tokio::time::Instant::now(),
            needs_refresh: false,
            fits_within: None,
        });
        key
    }

    async fn stale(&mut self, id: u32, generation: Option<u64>, reason: Option<StaleReason>) {
        let Some(book) = self.books.get_mut(id as usize) else { return };
        book.live = false;
        book.stale_reason = reason;
        book.needs_refresh = false;
        book.fits_within = None;
        if let Some(generation) = generation {
            book.generation = generation;
        }
        self.publish(id, Body::Status(wire::stale_status(reason)), false).await;
    }

    /// Sends `id`'s book again as it stands: its levels while Live, else its Stale status.
    async fn refresh(&mut self, id: u32) {
        let Some(book) = self.books.get_mut(id as usize) else { return };
        book.needs_refresh = false;
        book.since_refresh = 0;
        self.stats.add(REFRESHES, 1);
        if book.live {
            let body = Body::Refresh(wire::levels_of(&book.replica));
            self.publish(id, body, true).await;
        } else {
            let body = Body::Status(wire::stale_status(book.stale_reason));
            self.publish(id, body, false).await;
        }
    }

    /// Sends in full every book owed it: a message of it was not delivered, it shrank to fit
    /// a message again, or it was last sent in full `refresh_after` ago and changed since.
    async fn retry_refreshes(&mut self) {
        let now = tokio::time::Instant::now();
        for id in 0..self.books.len() {
            if self.in_flight.len() >= self.config.max_in_flight {
                return;
            }
            let book = &self.books[id];
            let shrunk = book.fits_within.is_some_and(|levels| level_count(book) <= levels);
            let aged = book.live
                && book.since_refresh > 0
                && book.fits_within.is_none()
                && now.duration_since(book.sent_in_full) >= self.config.refresh_after;
            if book.needs_refresh || shrunk || aged {
                self.refresh(id as u32).await;
            }
        }
    }

    /// Publishes the next message of `id`'s chain; `keep` puts it in the bucket once the
    /// stream has it.
    async fn publish(&mut self, id: u32, body: Body, keep: bool) {
        let Some(book) = self.books.get_mut(id as usize) else { return };
        book.book_seq += 1;
        let full = matches!(body, Body::Snapshot(_) | Body::Refresh(_));
        let status = matches!(body, Body::Status(_));
        let message = schema::BookMessage {
            version: wire::SCHEMA_VERSION,
            run: self.run,
            book_seq: book.book_seq,
            generation: book.generation,
            venue_seq: book.head.seq,
            exchange_ms: book.head.exchange_ms,
            recv_ns: book.head.recv_ns,
            publish_ns: now_ns(),
            integrity: book.head.integrity,
            crossed: book.head.crossed,
            body: Some(body),
            symbol: if full { book.symbol.clone() } else { String::new() },
        };
        let payload = Bytes::from(message.encode_to_vec());
        self.stats.add(MESSAGES, 1);
        self.stats.add(BYTES, payload.len() as u64);
        match self.bus.js.publish(book.subject.clone(), payload.clone()).await {
            Ok(ack) => {
                if full {
                    book.sent_in_full = tokio::time::Instant::now();
                    book.fits_within = None;
                }
                let kept = keep.then_some(payload);
                self.in_flight.push_back(Box::pin(async move {
                    let result = ack.await.map(|a| a.sequence).map_err(|e| e.to_string());
                    Acked::Message { id, kept, result }
                }));
            }
            Err(error) if error.kind() == PublishErrorKind::MaxPayloadExceeded => {
                // Refused by the client before anything was sent: the chain goes on with the
                // same number, and says why the book stops here.
                self.stats.add(TOO_LARGE, 1);
                book.book_seq -= 1;
                let levels = level_count(book);
                let max_payload = self.bus.js.client().server_info().max_payload;
                let fits_within = levels * max_payload / payload.len().max(1);
                // Told once each time the book stops fitting, not at every retry.
                if book.fits_within.is_none() {
                    tracing::warn!(
                        subject = %book.subject,
                        bytes = payload.len(),
                        max_payload,
                        levels,
                        "a book's message is larger than the server takes: the book is Stale \
                         on the bus until it holds at most {fits_within} levels"
                    );
                }
                book.fits_within = Some(fits_within);
                book.needs_refresh = false;
                if !status {
                    let body = Body::Status(wire::too_large_status());
                    Box::pin(self.publish(id, body, false)).await;
                }
            }
            Err(error) => {
                tracing::warn!(%error, subject = %book.subject, "publish failed");
                self.stats.add(FAILED, 1);
                book.needs_refresh = true;
            }
        }
    }

    async fn acked(&mut self, acked: Acked) {
        match acked {
            Acked::Message { id, kept, result: Ok(stream_seq) } => {
                self.stats.add(ACKED, 1);
                let Some(message) = kept else { return };
                let Some(book) = self.books.get(id as usize) else { return };
                // A key-value put is a publish on the bucket's subject: sent now, in order
                // (so a book's later snapshot is never overwritten by an earlier one), its
                // acknowledgement awaited with the others.
                let subject = format!("$KV.{}.{}", self.config.names.bucket, book.key);
                let value = latest_snapshot(stream_seq, &message);
                match self.bus.js.publish(subject, value).await {
                    Ok(ack) => self.in_flight.push_back(Box::pin(async move {
                        let result = ack.await.map(|a| a.sequence).map_err(|e| e.to_string());
                        Acked::Kept { result }
                    })),
                    Err(error) => {
                        // The bucket keeps an older snapshot: a new subscriber catches up from
                        // there.
                        tracing::warn!(%error, key = %book.key, "keeping a snapshot failed");
                        let too_large = error.kind() == PublishErrorKind::MaxPayloadExceeded;
                        self.stats.add(if too_large { TOO_LARGE } else { FAILED }, 1);
                    }
                }
            }
            Acked::Message { id, result: Err(error), .. } => {
                tracing::warn!(%error, "a message was not acknowledged");
                self.stats.add(FAILED, 1);
                if let Some(book) = self.books.get_mut(id as usize) {
                    book.needs_refresh = true;
                }
            }
            Acked::Kept { result: Ok(_) } => self.stats.add(KEPT, 1),
            Acked::Kept { result: Err(error) } => {
                // The bucket keeps an older snapshot: a new subscriber catches up from there.
                tracing::warn!(%error, "keeping a snapshot failed");
                self.stats.add(FAILED, 1);
            }
        }
    }
}

/// Levels a book's mirror holds, both sides.
fn level_count(book: &Book) -> usize {
    book.replica.len(depthbook_core::Side::Bid) + book.replica.len(depthbook_core::Side::Ask)
}

/// The stream behind a key-value bucket that keeps one value a key, as the key-value
/// convention (ADR-8) lays it out.
fn kv_stream(bucket: &str) -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: format!("KV_{bucket}"),
        description: Some("each book's latest snapshot and its stream sequence".to_owned()),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        discard: jetstream::stream::DiscardPolicy::New,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        duplicate_window: Duration::from_secs(120),
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    }
}

/// The first journal with records (its index), or `None` once every one is finished; waits
/// for either. Every journal registers the task's waker.
async fn ready_journal(journals: &mut [JournalReader], done: &mut [bool]) -> Option<usize> {
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (j, journal) in journals.iter_mut().enumerate() {
            if done[j] {
                continue;
            }
            match journal.poll_ready(cx) {
                std::task::Poll::Ready(true) => return std::task::Poll::Ready(Some(j)),
                std::task::Poll::Ready(false) => done[j] = journal.is_finished(),
                std::task::Poll::Pending => pending = true,
            }
            // A journal ready but not finished (records taken meanwhile) is polled again.
            pending |= !done[j];
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(None) }
    })
    .await
}

/// A [`schema::LatestSnapshot`] of the encoded message at `stream_seq`, encoded: a nested
/// message is its bytes, length-delimited, so the message is not decoded again.
fn latest_snapshot(stream_seq: u64, message: &[u8]) -> Bytes {
    use prost::encoding::{WireType, encode_key, encode_varint};
    let mut out = Vec::with_capacity(message.len() + 24);
    encode_key(1, WireType::Varint, &mut out);
    encode_varint(stream_seq, &mut out);
    encode_key(2, WireType::LengthDelimited, &mut out);
    encode_varint(message.len() as u64, &mut out);
    out.extend_from_slice(message);
    Bytes::from(out)
}

/// Wall-clock time in ns since the Unix epoch.
pub(crate) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_snapshot_decodes_as_the_schema_says() {
        let message = schema::BookMessage {
            version: 1,
            run: 7,
            book_seq: 3,
            symbol: "BTCUSDT".to_owned(),
            body: Some(Body::Refresh(schema::Levels::default())),
            ..Default::default()
        };
        let bytes = latest_snapshot(42, &message.encode_to_vec());
        let decoded = schema::LatestSnapshot::decode(bytes).unwrap_or_default();
        assert_eq!(decoded.stream_seq, 42);
        assert_eq!(decoded.message, Some(message));
    }
}
