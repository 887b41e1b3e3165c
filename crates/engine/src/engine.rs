//! The ingest loop's step: one frame in, books updated, views out.

mod replicated;

pub use replicated::ReplicatedHead;

use crossbeam_channel::Receiver;
use depthbook_core::{Book, FragmentCache, NumberError, Side};
use depthbook_venues::{
    BookEvent, BookKind, ChecksumRule, Cursor, Decoded, Frame, FrameKind, InstrumentId, Integrity,
    LevelUpdate, Limits, SeqRule, SymbolMeta, SymbolTable, Venue, VenueDecoder, Verdict,
};

use crate::counters::Counters;
use crate::depth::{DepthReader, DepthWriter};
use crate::journal::{JournalReader, JournalWriter};
use crate::latest::{LatestTop, TopReader, TopWriter};
use crate::publish::{Publisher, SlowConsumer, Status, StatusEvent, TopOfBook, Update};
use crate::ring::DeltaRing;
use crate::state::{BookState, SnapshotRequest, StaleReason};

/// How an engine is set up.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The venue whose frames this engine decodes.
    pub venue: Venue,
    /// Track only these symbols (as the venue spells them); `None` tracks every symbol seen.
    pub symbols: Option<Vec<String>>,
    /// Most instruments one engine holds.
    pub max_instruments: usize,
    /// Most levels per side of one book; beyond it the farthest levels are evicted.
    pub max_levels_per_side: usize,
    /// Most deltas buffered per book while it awaits a snapshot (the newest are kept).
    pub max_buffered_deltas: usize,
    /// Most levels in those buffered deltas, per book.
    pub max_buffered_levels: usize,
    /// Subscribed depth when the feed does not announce it (Kraken truncates to it).
    pub default_depth: Option<u32>,
    /// Price and size decimals when the feed does not announce them (Kraken v2 checksums).
    pub default_precision: Option<(u8, u8)>,
    /// Most heap, in bytes, the books and their buffered deltas hold together, counted from
    /// their allocations in O(1) after every message. A message that takes the engine past it
    /// makes its book Stale ([`StaleReason::MemoryBudget`]) and gives that book's memory back,
    /// so per-book caps times many instruments cannot add up without bound.
    pub max_heap_bytes: usize,
    /// Decoder limits: the venue's ([`Limits::for_venue`]) by default. The live driver caps
    /// WebSocket messages and the replay reader caps lines by `limits.max_frame_bytes` too.
    pub limits: Limits,
    /// Whether stream frames are first offered to the venue's fast path
    /// ([`VenueDecoder::set_fast_path`]; on by default). Off, every frame goes through
    /// simd-json: the same events, more slowly; for comparisons.
    pub fast_path: bool,
}

impl EngineConfig {
    /// Defaults for `venue`: every symbol, 16 384 instruments, 20 000 levels a side, 4096 buffered
    /// deltas holding at most 262 144 levels per book, 160 MiB for all books and buffers.
    pub fn new(venue: Venue) -> Self {
        Self {
            venue,
            symbols: None,
            max_instruments: 16_384,
            max_levels_per_side: 20_000,
            max_buffered_deltas: 4_096,
            max_buffered_levels: 262_144,
            default_depth: None,
            default_precision: None,
            max_heap_bytes: 160 << 20,
            limits: Limits::for_venue(venue),
            fast_path: true,
        }
    }
}

/// One instrument's book and sync state. What only some users have (a depth reader's cell, 750
/// bytes) is boxed: every instrument is read at every message, and the smaller it is the fewer
/// cache lines its fields spread over.
#[derive(Debug)]
struct Instrument {
    book: Book,
    // The checksum fragments of the book's best levels, kept between verifications.
    fragments: FragmentCache,
    state: BookState,
    cursor: Cursor,
    pending: DeltaRing,
    // Increments each time the book goes Live from a snapshot.
    generation: u64,
    last_exchange_ms: Option<i64>,
    // A snapshot request is outstanding (cleared by the next snapshot, whatever its outcome).
    snapshot_wanted: bool,
    // Receive time of the last book message for this instrument (any state).
    last_data_ns: Option<i64>,
    // The sequence rule of the instrument's stream: the venue's, or the one its messages name
    // (Bybit `orderbook.full`).
    rule: SeqRule,
    // The last view published (of the book while Live); what a new latest-value reader starts
    // with.
    last_view: Option<TopOfBook>,
    // The latest-value cell, once a reader asked for one.
    latest: Option<TopWriter>,
    // The depth cell, once a reader asked for one.
    depth: Option<Box<DepthWriter>>,
    // Heap bytes of `book`, `fragments` and `pending` when last counted.
    heap: usize,
    // What was checked on the last message applied (the integrity its view is published with).
    integrity: Integrity,
}

impl Instrument {
    /// A copy of the book and its sync state, without the readers' cells (`heap` as counted
    /// here: the caller counts the copy).
    fn fork(&self) -> Self {
        Self {
            book: self.book.clone(),
            fragments: self.fragments.clone(),
            state: self.state,
            cursor: self.cursor,
            pending: self.pending.clone(),
            generation: self.generation,
            last_exchange_ms: self.last_exchange_ms,
            snapshot_wanted: self.snapshot_wanted,
            last_data_ns: self.last_data_ns,
            rule: self.rule,
            last_view: self.last_view,
            latest: None,
            depth: None,
            heap: self.heap,
            integrity: self.integrity,
        }
    }

    /// Heap bytes of the book, its fragment cache and its buffered deltas, in O(1).
    fn heap_bytes(&self) -> usize {
        self.book.heap_bytes() + self.fragments.heap_bytes() + self.pending.heap_bytes()
    }

    /// Gives back the memory of the book, its fragment cache and its buffered deltas.
    fn release(&mut self) {
        self.book.release();
        self.fragments.release();
        self.pending.release();
    }
}

/// Everything but the decoder: split out so the decoder's output can be read while books change.
#[derive(Debug)]
struct Books {
    venue: Venue,
    seq_rule: SeqRule,
    checksum_rule: ChecksumRule,
    config: EngineConfig,
    instruments: Vec<Instrument>,
    counters: Counters,
    publisher: Publisher,
    // Snapshot requests not yet taken by the driver; at most one per instrument.
    requests: Vec<SnapshotRequest>,
    // The last connection-wide sequence number seen ([`SeqRule::Connection`] venues); `None`
    // after a disconnect, when numbering starts again.
    conn_seq: Option<i64>,
    // Sum of every instrument's `heap`: within `config.max_heap_bytes` after every message.
    heap_total: usize,
    // Whether the frame being ingested carried a connection-wide number, which the engine
    // checked before its events ([`SeqRule::Connection`] venues).
    conn_checked: bool,
    // The instruments of the last frame's book events (capacity kept).
    touched: Vec<InstrumentId>,
    // The replication journal, once a reader asked for it.
    journal: Option<JournalWriter>,
    // Whether the message being applied made its book drop levels it did not name (eviction
    // by the cap, truncation to depth): what the journal's delta must tell.
    removed: bool,
}

/// The single-threaded ingest loop's state: decoder, books, counters and consumers.
///
/// Feed it frames with [`Engine::ingest`]; it decodes, checks each message against the venue's
/// sequence rule, applies it, verifies the venue's checksum, and publishes a [`TopOfBook`] for
/// every change to a Live book. It does no IO and reads no clock: receive times come in with
/// the frames.
#[derive(Debug)]
pub struct Engine {
    decoder: VenueDecoder,
    symbols: SymbolTable,
    decoded: Decoded,
    books: Books,
}

impl Engine {
    /// An engine set up by `config`.
    pub fn new(config: EngineConfig) -> Self {
        let symbols = match &config.symbols {
            Some(only) => SymbolTable::only(only, config.max_instruments),
            None => SymbolTable::new(config.max_instruments),
        };
        let venue = config.venue;
        let mut books = Books {
            venue,
            seq_rule: venue.seq_rule(),
            checksum_rule: venue.checksum_rule(),
            instruments: Vec::new(),
            counters: Counters::default(),
            publisher: Publisher::default(),
            requests: Vec::new(),
            conn_seq: None,
            heap_total: 0,
            conn_checked: false,
            touched: Vec::new(),
            journal: None,
            removed: false,
            config,
        };
        books.grow_to(symbols.len());
        Self {
            decoder: {
                let mut decoder = VenueDecoder::with_limits(venue, books.config.limits);
                decoder.set_fast_path(books.config.fast_path);
                decoder
            },
            symbols,
            decoded: Decoded::default(),
            books,
        }
    }

    /// The venue.
    pub fn venue(&self) -> Venue {
        self.books.venue
    }

    /// An independent engine in this one's state: the same symbols, books, sync state, buffered
    /// deltas, pending snapshot requests and counters, with no consumers and no latest-value or
    /// depth readers (those stay with this engine). Frames fed to either from here on do not
    /// affect the other: two continuations of one replay can run from a common point without
    /// reading its prefix twice (the capture-mutation fuzz target starts every run from one).
    pub fn fork(&self) -> Engine {
        let books = &self.books;
        let mut instruments: Vec<Instrument> =
            books.instruments.iter().map(Instrument::fork).collect();
        // A clone holds no spare capacity: its memory is counted anew.
        for inst in &mut instruments {
            inst.heap = inst.heap_bytes();
        }
        let heap_total = instruments.iter().map(|inst| inst.heap).sum();
        Engine {
            decoder: self.decoder.fork(),
            symbols: self.symbols.clone(),
            decoded: Decoded::default(),
            books: Books {
                venue: books.venue,
                seq_rule: books.seq_rule,
                checksum_rule: books.checksum_rule,
                config: books.config.clone(),
                instruments,
                counters: books.counters,
                publisher: Publisher::default(),
                requests: books.requests.clone(),
                conn_seq: books.conn_seq,
                heap_total,
                conn_checked: false,
                touched: Vec::new(),
                journal: None,
                removed: false,
            },
        }
    }

    /// A new consumer of views and status events, with a channel of `capacity` and the given
    /// policy for when it falls behind. Views may be dropped by the policy (counted in
    /// `views_dropped`); state changes never are (see [`SlowConsumer`]).
    pub fn subscribe(&mut self, capacity: usize, policy: SlowConsumer) -> Receiver<Update> {
        self.books.publisher.subscribe(capacity, policy)
    }

    /// A consumer of status events only (a book went Live or Stale), with a channel of
    /// `capacity`. State changes are never dropped: a consumer whose channel is full of them
    /// when another comes is cut off (its channel ends after the last one it was sent;
    /// counted in `consumers_cut`).
    pub fn subscribe_statuses(&mut self, capacity: usize) -> Receiver<Update> {
        self.books.publisher.subscribe_statuses(capacity)
    }

    /// Queues the views held back for [`SlowConsumer::KeepLatest`] consumers whose channels
    /// have room again. Done before every frame; a driver whose feed may go quiet calls it on
    /// a timer (the live loop does on every tick) so a consumer that caught up gets them.
    pub fn flush_consumers(&mut self) {
        self.books.flush_consumers();
    }

    /// Processes one frame received at `recv_ns`.
    pub fn ingest(&mut self, frame: &Frame<'_>, recv_ns: i64) {
        self.process(frame, recv_ns);
        self.trim_decoder();
    }

    fn process(&mut self, frame: &Frame<'_>, recv_ns: i64) {
        let books = &mut self.books;
        books.flush_consumers();
        books.counters.frames += 1;
        books.touched.clear();
        let result = self.decoder.decode(frame, &mut self.symbols, &mut self.decoded);
        books.grow_to(self.symbols.len());
        if let Some(journal) = &mut books.journal {
            while journal.n_instruments() < self.symbols.len() {
                journal.add_instrument(self.symbols.name(journal.n_instruments() as InstrumentId));
            }
        }
        books.conn_checked = self.decoded.conn_seq.is_some();
        if let Some(seq) = self.decoded.conn_seq {
            books.on_conn_seq(seq);
        }
        if let Err(_error) = result {
            books.counters.decode_errors += 1;
            // The frame is rejected whole: every book it named lost a message, not only the
            // one whose message failed (a Coinbase frame carries several products' events).
            for id in self.decoded.named_instruments() {
                books.go_stale(id, StaleReason::BadMessage);
            }
            return;
        }
        if let FrameKind::NotBook(_) = self.decoded.kind {
            books.counters.skipped += 1;
            return;
        }
        for event in &self.decoded.events {
            books.counters.events += 1;
            books.touched.push(event.instrument);
            let meta = books.meta(&self.symbols, event.instrument);
            books.on_event(event, self.decoded.levels_of(event), &meta, recv_ns);
            books.account(event.instrument);
        }
    }

    /// After an outlier frame, gives back the decoder's buffers (they grow to about ten times
    /// the frame), so the footprint returns to what ordinary frames need. Ordinary frames (the
    /// largest real one is a 300 KB, 10 000-level REST snapshot) are within the retained sizes
    /// and never allocate here.
    fn trim_decoder(&mut self) {
        const RETAIN_BYTES: usize = 1 << 20;
        const RETAIN_LEVELS: usize = 32_768;
        self.decoder.trim(RETAIN_BYTES);
        self.decoded.trim(RETAIN_LEVELS);
    }

    /// The connection-local channel id of `id`'s book, where the venue numbers subscriptions
    /// (Bitfinex): what unsubscribing it names.
    pub fn channel_of(&self, id: InstrumentId) -> Option<i64> {
        self.decoder.channel_of(id)
    }

    /// The instruments the last frame carried book messages for, in its order (repeats
    /// possible; empty for a frame that was not book data or was rejected): what a live
    /// driver's watchdog watches.
    pub fn last_instruments(&self) -> &[InstrumentId] {
        &self.books.touched
    }

    /// The connection (or capture) was interrupted: every book goes Stale.
    pub fn disconnect(&mut self) {
        self.books.conn_seq = None;
        // Channel ids and flags belong to the connection: the next one names its own.
        self.decoder.reset_session();
        for id in 0..self.books.instruments.len() {
            self.books.go_stale(id as InstrumentId, StaleReason::Disconnect);
        }
    }

    /// Makes `id`'s book Stale for a reason decided outside the engine (the live driver's
    /// watchdog). A no-op for a book that is not Live or an unknown id: a book already
    /// resyncing keeps its buffered deltas and its outstanding snapshot request.
    pub fn mark_stale(&mut self, id: InstrumentId, reason: StaleReason) {
        if self.books.instruments.get(id as usize).is_some_and(|i| i.state.is_live()) {
            self.books.go_stale(id, reason);
        }
    }

    /// Takes the snapshot requests raised since the last call: one per book that needs a
    /// snapshot and has no request outstanding. A request stays outstanding until the next
    /// snapshot for that book arrives (whether or not it bridges); a driver that gets no
    /// snapshot resyncs again on its own timeout.
    ///
    /// Which books raise one depends on the venue: where snapshots come from REST, a book that
    /// is not Live raises one when it buffers a delta (so the snapshot can bridge with the
    /// stream); where they come on the stream, a book raises one when it goes Stale for any
    /// reason but a disconnect (the reconnect resubscribes everything).
    pub fn drain_snapshot_requests(&mut self) -> std::vec::Drain<'_, SnapshotRequest> {
        self.books.requests.drain(..)
    }

    /// The counters so far.
    pub fn counters(&self) -> &Counters {
        &self.books.counters
    }

    /// Frames the decoder's fast path read (the rest went through simd-json).
    pub fn fast_decoded(&self) -> u64 {
        self.decoder.fast_decoded()
    }

    /// Heap bytes the books and their buffered deltas hold, as the memory budget counts them
    /// (see [`EngineConfig::max_heap_bytes`]).
    pub fn heap_bytes(&self) -> usize {
        self.books.heap_total
    }

    /// Number of instruments.
    pub fn n_instruments(&self) -> usize {
        self.books.instruments.len()
    }

    /// The symbol of `id`, as the venue spells it.
    pub fn symbol(&self, id: InstrumentId) -> &str {
        self.symbols.name(id)
    }

    /// The id of `symbol`, if the engine has seen it.
    pub fn instrument(&self, symbol: &str) -> Option<InstrumentId> {
        self.symbols.lookup(symbol)
    }

    /// The book of `id` (its levels are informative only unless [`Engine::state`] is Live).
    pub fn book(&self, id: InstrumentId) -> Option<&Book> {
        self.books.instruments.get(id as usize).map(|i| &i.book)
    }

    /// The state of `id`'s book.
    pub fn state(&self, id: InstrumentId) -> Option<BookState> {
        self.books.instruments.get(id as usize).map(|i| i.state)
    }

    /// When the last book message for `id` was received (whatever the book's state): what the
    /// live driver's watchdog watches.
    pub fn last_data_ns(&self, id: InstrumentId) -> Option<i64> {
        self.books.instruments.get(id as usize).and_then(|i| i.last_data_ns)
    }

    /// How many deltas `id`'s book holds buffered for the snapshot it awaits (REST-snapshot
    /// venues; always 0 elsewhere and while Live).
    pub fn buffered_deltas(&self, id: InstrumentId) -> usize {
        self.books.instruments.get(id as usize).map_or(0, |i| i.pending.len())
    }

    /// A latest-value reader of `id`'s book: its last good top of book and its state, readable
    /// from any thread without ever blocking this loop. `None` for an id the engine does not
    /// hold yet (with [`EngineConfig::symbols`] set, every listed symbol has its id, in list
    /// order, from the start).
    pub fn top_reader(&mut self, id: InstrumentId) -> Option<TopReader> {
        let inst = self.books.instruments.get_mut(id as usize)?;
        if let Some(writer) = &inst.latest {
            return Some(writer.reader(id));
        }
        let initial = LatestTop {
            state: inst.state,
            resync_in_flight: inst.snapshot_wanted,
            top: inst.last_view,
        };
        let (writer, reader) = TopWriter::new(id, initial);
        inst.latest = Some(writer);
        Some(reader)
    }

    /// A latest-value reader of `id`'s best [`crate::DEPTH_LEVELS`] levels a side, as of its
    /// last view published while Live, and its state. Made while the book is not Live, it shows
    /// no levels until the book's next view. `None` for an id the engine does not hold yet.
    pub fn depth_reader(&mut self, id: InstrumentId) -> Option<DepthReader> {
        let inst = self.books.instruments.get_mut(id as usize)?;
        if let Some(writer) = &inst.depth {
            return Some(writer.reader(id));
        }
        // The book's levels are its last view's only while it is Live: a Stale book may hold a
        // failed rebuild's levels, which no reader may see.
        let last = inst.last_view.filter(|_| inst.state.is_live());
        let (writer, reader) =
            DepthWriter::new(id, &inst.book, inst.state, inst.snapshot_wanted, last.as_ref());
        inst.depth = Some(Box::new(writer));
        Some(reader)
    }

    /// The replication journal's reader: from now on every change to a published book is
    /// written, as compact records, into a wait-free ring of `capacity` bytes (at least
    /// [`crate::MIN_JOURNAL_BYTES`]) that this reader takes from another thread (see
    /// [`crate::journal`]). Books already Live go out as snapshots with their next views. A
    /// reader asked for earlier is disconnected.
    ///
    /// The loop never waits for the reader: a record that does not fit is dropped, counted in
    /// [`Engine::journal_dropped`], and its book is announced lost to the reader and sent again
    /// as a snapshot with its next view. Size the ring for several of the largest snapshots.
    pub fn journal(&mut self, capacity: usize) -> JournalReader {
        let (mut writer, reader) = JournalWriter::new(capacity);
        for id in 0..self.symbols.len() as InstrumentId {
            writer.add_instrument(self.symbols.name(id));
            if self.books.instruments.get(id as usize).is_some_and(|i| i.state.is_live()) {
                writer.needs_snapshot(id);
            }
        }
        self.books.journal = Some(writer);
        reader
    }

    /// Ends the journal: its reader takes what is left, then sees the end
    /// ([`JournalReader::is_finished`]). A no-op without one.
    pub fn close_journal(&mut self) {
        self.books.journal = None;
    }

    /// Bytes free in the journal's ring (`None` without a journal): a driver that must lose
    /// nothing (a replay onto the bus) waits for room before the next frame; a live loop never
    /// does.
    pub fn journal_room(&mut self) -> Option<usize> {
        self.books.journal.as_mut().map(JournalWriter::room)
    }

    /// Journal records dropped because the reader's ring was full.
    pub fn journal_dropped(&self) -> u64 {
        self.books.journal.as_ref().map_or(0, JournalWriter::dropped)
    }

    /// The last view published of `id`'s book (while it was Live), if any.
    pub fn last_view(&self, id: InstrumentId) -> Option<TopOfBook> {
        self.books.instruments.get(id as usize).and_then(|i| i.last_view)
    }

    /// The sequence of the last message applied to `id`'s book.
    pub fn last_seq(&self, id: InstrumentId) -> Option<i64> {
        self.books.instruments.get(id as usize).and_then(|i| i.cursor.last)
    }
}

impl Books {
    /// A frame carried the connection-wide sequence number `seq`: anything but the next one
    /// means a lost frame, which could have belonged to any book of the connection, so every
    /// Live book goes Stale (one gap, counted once).
    fn on_conn_seq(&mut self, seq: i64) {
        let expected = self.conn_seq.map(|last| last.saturating_add(1));
        self.conn_seq = Some(seq);
        let Some(expected) = expected.filter(|&e| e != seq) else { return };
        self.counters.gaps += 1;
        for id in 0..self.instruments.len() {
            self.go_stale(id as InstrumentId, StaleReason::Gap { expected, got: seq });
        }
    }

    fn grow_to(&mut self, n: usize) {
        while self.instruments.len() < n {
            self.instruments.push(Instrument {
                book: Book::new(self.config.max_levels_per_side),
                fragments: FragmentCache::new(),
                state: BookState::AwaitingSnapshot,
                cursor: Cursor::default(),
                pending: DeltaRing::new(
                    self.config.max_buffered_deltas,
                    self.config.max_buffered_levels,
                ),
                generation: 0,
                last_exchange_ms: None,
                snapshot_wanted: false,
                last_data_ns: None,
                rule: self.seq_rule,
                last_view: None,
                latest: None,
                depth: None,
                heap: 0,
                integrity: Integrity::Unverifiable,
            });
        }
    }

    /// The feed's metadata for `id`, completed with the configured and venue defaults.
    fn meta(&self, symbols: &SymbolTable, id: InstrumentId) -> SymbolMeta {
        let mut meta = symbols.meta(id);
        meta.depth = meta.depth.or(self.config.default_depth).or(self.venue.default_depth());
        if let Some((price, qty)) = self.config.default_precision {
            meta.price_precision = meta.price_precision.or(Some(price));
            meta.qty_precision = meta.qty_precision.or(Some(qty));
        }
        meta
    }

    fn on_event(
        &mut self,
        event: &BookEvent,
        levels: &[LevelUpdate],
        meta: &SymbolMeta,
        recv_ns: i64,
    ) {
        let id = event.instrument;
        let rule = event.rule.unwrap_or(self.seq_rule);
        let inst = &mut self.instruments[id as usize];
        inst.last_data_ns = Some(recv_ns);
        inst.rule = rule;
        match event.kind {
            BookKind::Snapshot => self.on_snapshot(event, levels, meta, recv_ns),
            BookKind::Delta => {
                let inst = &mut self.instruments[id as usize];
                if !inst.state.is_live() {
                    if rule.bridges_buffered_deltas() {
                        self.counters.buffer_overflows +=
                            inst.pending.push(event.seq, event.exchange_ms, levels);
                        let reason = match inst.state {
                            BookState::Stale(reason) => Some(reason),
                            _ => None,
                        };
                        self.want_snapshot(id, reason);
                    }
                    return;
                }
                let verdict = rule.check(&inst.cursor, &event.seq);
                match verdict {
                    Verdict::Skip => self.counters.repeats += 1,
                    Verdict::Gap { expected, got } => {
                        self.counters.gaps += 1;
                        self.go_stale(id, StaleReason::Gap { expected, got });
                        if rule.bridges_buffered_deltas() {
                            let inst = &mut self.instruments[id as usize];
                            self.counters.buffer_overflows +=
                                inst.pending.push(event.seq, event.exchange_ms, levels);
                            self.want_snapshot(id, Some(StaleReason::Gap { expected, got }));
                        }
                    }
                    Verdict::Apply | Verdict::Unconfirmed { .. } => {
                        if matches!(verdict, Verdict::Unconfirmed { .. }) {
                            self.counters.unconfirmed_breaks += 1;
                        }
                        let by_book = rule.checks(&inst.cursor, &event.seq);
                        let sequenced = self.sequence_checked(rule, by_book);
                        self.removed = false;
                        if !self.apply_levels(id, levels) {
                            self.go_stale(id, StaleReason::BadMessage);
                            return;
                        }
                        let inst = &mut self.instruments[id as usize];
                        rule.advance(&mut inst.cursor, &event.seq);
                        inst.last_exchange_ms = event.exchange_ms.or(inst.last_exchange_ms);
                        self.counters.applied += 1;
                        let Some(checksummed) = self.finish_message(id, event, meta) else {
                            return;
                        };
                        self.instruments[id as usize].integrity =
                            Integrity::of(sequenced, checksummed);
                        if !levels.is_empty() {
                            self.publish_view(id, recv_ns, Some(levels));
                        }
                    }
                }
            }
        }
    }

    fn on_snapshot(
        &mut self,
        event: &BookEvent,
        levels: &[LevelUpdate],
        meta: &SymbolMeta,
        recv_ns: i64,
    ) {
        let id = event.instrument;
        let rule = self.instruments[id as usize].rule;
        let bridges = rule.bridges_buffered_deltas();
        {
            let inst = &self.instruments[id as usize];
            // A REST snapshot older than a Live book tells nothing new.
            if bridges
                && inst.state.is_live()
                && let (Some(book_at), Some(snap_at)) = (inst.cursor.last, event.seq.last)
                && snap_at <= book_at
            {
                return;
            }
        }
        let was_stale = matches!(self.instruments[id as usize].state, BookState::Stale(_));
        // The snapshot answers any request for this book, taken or not; keeping the queue to
        // requests still open bounds it by the number of instruments even if nobody drains it.
        self.instruments[id as usize].snapshot_wanted = false;
        self.requests.retain(|r| r.instrument != id);
        self.instruments[id as usize].book.clear();
        if !self.apply_levels(id, levels) {
            self.go_stale(id, StaleReason::BadMessage);
            return;
        }
        let inst = &mut self.instruments[id as usize];
        inst.cursor = rule.after_snapshot(&event.seq);
        inst.last_exchange_ms = event.exchange_ms;
        // A snapshot alone is checked by nothing: its view is sequenced only where the
        // connection's numbering was checked on its frame, or buffered deltas were checked
        // against it as they were bridged onto it.
        let mut bridged_checked = false;
        if bridges {
            match self.bridge_buffered(id) {
                Ok(checked) => bridged_checked = checked,
                Err(reason) => {
                    self.go_stale(id, reason);
                    return;
                }
            }
        } else {
            inst.pending.clear();
        }
        let Some(checksummed) = self.finish_message(id, event, meta) else {
            return;
        };
        let sequenced = self.sequence_checked(rule, bridged_checked);
        let inst = &mut self.instruments[id as usize];
        inst.integrity = Integrity::of(sequenced, checksummed);
        inst.generation += 1;
        if !inst.state.is_live() {
            inst.state = BookState::Live;
            if was_stale {
                self.counters.resyncs += 1;
            }
            let generation = inst.generation;
            self.send(Update::Status(StatusEvent {
                instrument: id,
                status: Status::Live,
                generation,
            }));
        }
        self.counters.applied += 1;
        self.publish_view(id, recv_ns, None);
    }

    /// Whether the current frame's message was checked for a loss: by the connection-wide
    /// number the engine checked on the frame ([`SeqRule::Connection`]), else by the book's own
    /// rule (`by_book`).
    fn sequence_checked(&self, rule: SeqRule, by_book: bool) -> bool {
        match rule {
            SeqRule::Connection => self.conn_checked,
            _ => by_book,
        }
    }

    /// Applies the deltas buffered before a REST snapshot, by the venue's bridging rule;
    /// returns whether the rule checked one of them against the book (see
    /// [`SeqRule::checks`]). Fails with the reason the book cannot go Live: the first delta
    /// that does not continue it (a counted gap), or one that cannot be applied (a counted
    /// decode error).
    fn bridge_buffered(&mut self, id: InstrumentId) -> Result<bool, StaleReason> {
        let Instrument { book, cursor, pending, last_exchange_ms, rule, .. } =
            &mut self.instruments[id as usize];
        let rule = *rule;
        let snapshot_last = cursor.last;
        let mut checked = false;
        while let Some(delta) = pending.pop() {
            // Deltas the snapshot already covers are dropped wherever they sit in the buffer.
            if snapshot_last.is_some_and(|last| rule.precedes_snapshot(last, &delta.seq)) {
                continue;
            }
            match rule.check(cursor, &delta.seq) {
                Verdict::Skip => {}
                verdict @ (Verdict::Apply | Verdict::Unconfirmed { .. }) => {
                    if matches!(verdict, Verdict::Unconfirmed { .. }) {
                        self.counters.unconfirmed_breaks += 1;
                    }
                    checked |= rule.checks(cursor, &delta.seq);
                    if apply_levels(book, pending.levels_of(&delta), &mut self.counters).is_err() {
                        self.counters.decode_errors += 1;
                        pending.clear();
                        return Err(StaleReason::BadMessage);
                    }
                    rule.advance(cursor, &delta.seq);
                    *last_exchange_ms = delta.exchange_ms.or(*last_exchange_ms);
                    self.counters.applied += 1;
                }
                Verdict::Gap { expected, got } => {
                    self.counters.gaps += 1;
                    pending.clear();
                    return Err(StaleReason::Gap { expected, got });
                }
            }
        }
        Ok(checked)
    }

    /// Applies `levels` to `id`'s book; a price the book cannot hold is a counted decode error
    /// (the caller makes the book Stale).
    fn apply_levels(&mut self, id: InstrumentId, levels: &[LevelUpdate]) -> bool {
        let evicted = self.counters.evicted;
        let applied =
            apply_levels(&mut self.instruments[id as usize].book, levels, &mut self.counters);
        self.removed |= self.counters.evicted != evicted;
        if applied.is_err() {
            self.counters.decode_errors += 1;
        }
        applied.is_ok()
    }

    /// After a message's levels are applied: truncate to depth, verify the checksum, note a
    /// crossed book. Returns `None` if the book is no longer trusted (its checksum failed),
    /// else whether a checksum was verified on this message.
    fn finish_message(
        &mut self,
        id: InstrumentId,
        event: &BookEvent,
        meta: &SymbolMeta,
    ) -> Option<bool> {
        let inst = &mut self.instruments[id as usize];
        if self.venue.truncates_to_depth()
            && let Some(depth) = event.depth.or(meta.depth)
        {
            self.removed |= inst.book.truncate(depth as usize) > 0;
        }
        let mut verified = false;
        if let Some(expected) = event.checksum {
            // Tells the cache what this message (and any since the last checksum) changed: a
            // checksum whose best levels did not change reads neither the book nor the cache's
            // keys.
            inst.fragments.sync(&mut inst.book);
            match self.checksum_rule.verify(&inst.book, &mut inst.fragments, expected, meta) {
                Some(true) => {
                    self.counters.checksums_verified += 1;
                    verified = true;
                }
                Some(false) => {
                    self.counters.checksum_failures += 1;
                    self.go_stale(id, StaleReason::ChecksumMismatch);
                    return None;
                }
                None => {}
            }
        }
        if inst.book.exhausted() {
            self.go_stale(id, StaleReason::DepthExhausted);
            return None;
        }
        if inst.book.is_crossed() {
            self.counters.crossed += 1;
        }
        Some(verified)
    }

    fn go_stale(&mut self, id: InstrumentId, reason: StaleReason) {
        let Some(inst) = self.instruments.get_mut(id as usize) else { return };
        inst.pending.clear();
        let was_live = inst.state.is_live();
        match inst.state {
            BookState::Live => inst.state = BookState::Stale(reason),
            BookState::Stale(_) => {}
            // A book that was never trusted stays awaiting its snapshot.
            BookState::AwaitingSnapshot => {}
        }
        if was_live {
            let generation = inst.generation;
            if let Some(journal) = &mut self.journal {
                journal.stale(id, generation, reason);
            }
            self.send(Update::Status(StatusEvent {
                instrument: id,
                status: Status::Stale(reason),
                generation,
            }));
        }
        // REST venues ask when the stream buffers its next delta (see `on_event`); stream
        // venues ask now, unless the connection is down and will resubscribe everything.
        let bridges =
            self.instruments.get(id as usize).is_some_and(|i| i.rule.bridges_buffered_deltas());
        if !bridges && reason != StaleReason::Disconnect {
            self.want_snapshot(id, Some(reason));
        }
        self.sync_latest(id);
    }

    /// Counts `id`'s heap again after a message; over the engine's budget, its memory is given
    /// back and it goes Stale (the message that grew it is the one refused).
    fn account(&mut self, id: InstrumentId) {
        let Some(inst) = self.instruments.get_mut(id as usize) else { return };
        let now = inst.heap_bytes();
        self.heap_total = self.heap_total - inst.heap + now;
        inst.heap = now;
        if self.heap_total <= self.config.max_heap_bytes {
            return;
        }
        self.counters.over_budget += 1;
        inst.release();
        self.heap_total -= inst.heap;
        inst.heap = 0;
        self.go_stale(id, StaleReason::MemoryBudget);
    }

    /// Writes `id`'s state and resync flag to its latest-value cell, if it has one.
    fn sync_latest(&mut self, id: InstrumentId) {
        let Some(inst) = self.instruments.get_mut(id as usize) else { return };
        if let Some(writer) = &mut inst.latest {
            writer.state(inst.state, inst.snapshot_wanted);
        }
        if let Some(writer) = &mut inst.depth {
            writer.state(inst.state, inst.snapshot_wanted);
        }
    }

    /// Raises a snapshot request for `id` unless one is outstanding.
    fn want_snapshot(&mut self, id: InstrumentId, reason: Option<StaleReason>) {
        let Some(inst) = self.instruments.get_mut(id as usize) else { return };
        if !inst.snapshot_wanted {
            inst.snapshot_wanted = true;
            self.requests.push(SnapshotRequest { instrument: id, reason });
            self.sync_latest(id);
        }
    }

    /// Publishes `id`'s view after a message: a snapshot (`delta` is `None`), or a delta whose
    /// levels were `delta`; the journal, if any, gets the same.
    fn publish_view(&mut self, id: InstrumentId, recv_ns: i64, delta: Option<&[LevelUpdate]>) {
        let inst = &mut self.instruments[id as usize];
        let top = |side| inst.book.best(side).map(|l| (l.price, l.qty));
        let (bid, ask) = (top(Side::Bid), top(Side::Ask));
        let view = TopOfBook {
            instrument: id,
            seq: inst.cursor.last,
            exchange_ms: inst.last_exchange_ms,
            recv_ns,
            bid,
            ask,
            generation: inst.generation,
            // As `Book::is_crossed`, from the levels already built.
            crossed: matches!((bid, ask), (Some((b, _)), Some((a, _))) if b >= a),
            integrity: inst.integrity,
        };
        inst.last_view = Some(view);
        if let Some(writer) = &mut inst.latest {
            writer.published(view);
        }
        if let Some(writer) = &mut inst.depth {
            writer.published(&inst.book, &view);
        }
        if let Some(journal) = &mut self.journal {
            journal.view(&inst.book, &view, delta, self.removed);
        }
        self.counters.published += 1;
        self.send(Update::Book(view));
    }

    fn send(&mut self, update: Update) {
        let lost = self.publisher.send(update);
        self.count_undelivered(lost);
    }

    /// Queues views held back for consumers that have room again (see [`SlowConsumer`]).
    fn flush_consumers(&mut self) {
        if let Some(journal) = &mut self.journal {
            journal.announce_lost();
        }
        let lost = self.publisher.flush();
        self.count_undelivered(lost);
    }

    fn count_undelivered(&mut self, lost: crate::publish::Undelivered) {
        self.counters.views_dropped += lost.views;
        self.counters.consumers_cut += lost.consumers_cut;
    }
}

/// Applies `levels` in order (each a level, or an order of a book kept order by order),
/// counting evictions by the level cap.
fn apply_levels(
    book: &mut Book,
    levels: &[LevelUpdate],
    counters: &mut Counters,
) -> Result<(), NumberError> {
    for level in levels {
        let evicted = match level.order {
            None => book.set(level.side, level.price, level.qty, level.text)?.evicted,
            Some(id) => {
                book.set_order(level.side, id.get(), level.price, level.qty, level.text.qty)?
            }
        };
        counters.evicted += evicted as u64;
    }
    Ok(())
}
