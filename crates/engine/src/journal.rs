//! The replication journal: every change the engine makes to the books it publishes, as
//! compact records in a bounded wait-free byte ring, for one reader on another thread (the bus
//! publisher) that must hold the same books, level for level.
//!
//! Records of one book come in the order the engine made the changes:
//! - [`Record::Snapshot`]: every level of a book that was just made Live (or whose reader copy
//!   was lost), with the fields of its view.
//! - [`Record::Delta`]: after a message applied to a Live book, the size each price the
//!   message named now has (zero where the book does not hold it: deleted, refused beyond the
//!   book's horizon, or evicted) and, where the message made the book drop levels it did not
//!   name (the per-side cap, truncation to the subscribed depth), each side's worst remaining
//!   price: the *floor*, below which the reader drops every level.
//! - [`Record::Stale`]: the book stopped being trusted.
//! - [`Record::Lost`]: records of the book were dropped because the ring was full; the reader
//!   must hold it Stale until its next snapshot.
//!
//! # Why a delta is exact
//! By induction the reader holds the book as it was before the message. Every price the
//! message named gets its size after the message, so those agree. A level it did not name is
//! either kept or was removed by eviction or truncation, and both remove the levels farthest
//! from the touch: an evicted level is at or beyond the side's horizon, which the side refuses
//! from then on, and truncation comes after every level of the message. So every removed level
//! is worse than every level still held, in particular than the side's worst, and every level
//! worse than the worst held was removed: dropping the levels below the floor is exactly the
//! removal. A book kept order by order (Bitfinex raw books) can lose part of a level's orders
//! to the cap without losing the level, so there a message that removed anything is sent as a
//! snapshot; so is one that left a side empty.
//!
//! # The loop never waits
//! A record that does not fit is dropped and counted, and its book is marked: before anything
//! else of that book, a `Lost` record is written as soon as there is room, and the book's next
//! view goes out as a snapshot. The reader is woken (an atomic flag, then its waker) only when
//! it said it was about to sleep.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use depthbook_core::{Book, Price, Qty, Side};
use depthbook_venues::{InstrumentId, Integrity, LevelUpdate};
use sync_wrapper::SyncWrapper;

use crate::publish::TopOfBook;
use crate::state::StaleReason;

/// Bytes of one encoded level: side, price mantissa and scale, size mantissa and scale.
const LEVEL_BYTES: usize = 1 + 8 + 1 + 8 + 1;

/// The least ring capacity [`crate::Engine::journal`] makes.
pub const MIN_JOURNAL_BYTES: usize = 64 << 10;

const KIND_SNAPSHOT: u8 = 0;
const KIND_DELTA: u8 = 1;
const KIND_STALE: u8 = 2;
const KIND_LOST: u8 = 3;

const FLAG_SEQ: u8 = 1;
const FLAG_EXCHANGE_MS: u8 = 2;
const FLAG_CROSSED: u8 = 4;
const FLAG_BID_FLOOR: u8 = 8;
const FLAG_ASK_FLOOR: u8 = 16;

/// What both ends share: the wake-up handshake, and the books whose loss the writer could
/// not announce before it was dropped.
#[derive(Debug, Default)]
struct Shared {
    /// Set by the reader before it sleeps; the writer wakes it once after a record.
    waiting: AtomicBool,
    waker: AtomicWaker,
    /// Filled once, when the writer is dropped with `Lost` records still owed (the ring was
    /// full to the end); the reader hands them out as `Lost` records after the ring's last.
    /// A lock, but never on the ingest path: only at the writer's drop and the reader's end.
    unannounced_at_close: std::sync::Mutex<Vec<InstrumentId>>,
}

/// Where the reader's copy of one book stands, as far as the writer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderCopy {
    /// Every record of the book was written.
    InSync,
    /// A record was dropped and the reader has not been told: a `Lost` record is owed.
    Unannounced,
    /// The reader knows its copy is invalid: the next view must be a snapshot.
    NeedsSnapshot,
}

/// The engine's end of the journal.
#[derive(Debug)]
pub(crate) struct JournalWriter {
    // `None` only while the writer is dropped: the producer goes first, so that the reader,
    // woken after, finds the ring abandoned.
    ring: SyncWrapper<Option<rtrb::Producer<u8>>>,
    shared: Arc<Shared>,
    scratch: Vec<u8>,
    /// Each instrument's symbol, by id (snapshots carry it).
    names: Vec<Box<str>>,
    copies: Vec<ReaderCopy>,
    /// Books in [`ReaderCopy::Unannounced`], oldest first (each listed once).
    unannounced: Vec<InstrumentId>,
    dropped: u64,
}

/// A view's fields as a record carries them.
#[derive(Debug, Clone, Copy)]
struct Head {
    seq: Option<i64>,
    exchange_ms: Option<i64>,
    recv_ns: i64,
    integrity: Integrity,
    crossed: bool,
}

impl From<&TopOfBook> for Head {
    fn from(view: &TopOfBook) -> Self {
        Head {
            seq: view.seq,
            exchange_ms: view.exchange_ms,
            recv_ns: view.recv_ns,
            integrity: view.integrity,
            crossed: view.crossed,
        }
    }
}

impl JournalWriter {
    /// A ring of `capacity` bytes (at least [`MIN_JOURNAL_BYTES`]) and its reader.
    pub(crate) fn new(capacity: usize) -> (JournalWriter, JournalReader) {
        let (producer, consumer) = rtrb::RingBuffer::new(capacity.max(MIN_JOURNAL_BYTES));
        let shared = Arc::new(Shared::default());
        let writer = JournalWriter {
            ring: SyncWrapper::new(Some(producer)),
            shared: shared.clone(),
            scratch: Vec::with_capacity(4096),
            names: Vec::new(),
            copies: Vec::new(),
            unannounced: Vec::new(),
            dropped: 0,
        };
        (writer, JournalReader { ring: consumer, shared })
    }

    /// Registers the next instrument, which starts with nothing for the reader to hold.
    pub(crate) fn add_instrument(&mut self, symbol: &str) {
        self.names.push(symbol.into());
        self.copies.push(ReaderCopy::InSync);
    }

    /// Instruments registered.
    pub(crate) fn n_instruments(&self) -> usize {
        self.names.len()
    }

    /// Marks a book the reader never saw although it is Live: its next view is a snapshot.
    pub(crate) fn needs_snapshot(&mut self, id: InstrumentId) {
        if let Some(copy) = self.copies.get_mut(id as usize) {
            *copy = ReaderCopy::NeedsSnapshot;
        }
    }

    /// Bytes free in the ring.
    pub(crate) fn room(&mut self) -> usize {
        self.ring.get_mut().as_ref().map_or(0, rtrb::Producer::slots)
    }

    /// Records dropped because the ring was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Journals a view just published: a snapshot of `book` where `delta` is `None` (the book
    /// was just made Live) or the reader's copy needs one, else the delta of the message whose
    /// levels were `delta`; `removed` says whether the message also dropped levels it did not
    /// name.
    pub(crate) fn view(
        &mut self,
        book: &Book,
        view: &TopOfBook,
        delta: Option<&[LevelUpdate]>,
        removed: bool,
    ) {
        let id = view.instrument;
        self.announce_lost();
        let in_sync = self.copies.get(id as usize) == Some(&ReaderCopy::InSync);
        let emptied = book.side(Side::Bid).is_empty() || book.side(Side::Ask).is_empty();
        let head = Head::from(view);
        match delta {
            Some(levels) if in_sync && !(removed && (book.orders().is_some() || emptied)) => {
                self.encode_delta(book, id, view.generation, head, levels, removed)
            }
            _ => {
                // Nothing else of this book may come before its owed `Lost` record; a snapshot
                // supersedes it.
                self.encode_snapshot(book, id, view.generation, head)
            }
        }
        self.commit(id, true);
    }

    /// Journals that `id`'s book went Stale.
    pub(crate) fn stale(&mut self, id: InstrumentId, generation: u64, reason: StaleReason) {
        self.announce_lost();
        let (code, expected, got) = match reason {
            StaleReason::Gap { expected, got } => (0, expected, got),
            StaleReason::ChecksumMismatch => (1, 0, 0),
            StaleReason::BadMessage => (2, 0, 0),
            StaleReason::Disconnect => (3, 0, 0),
            StaleReason::Watchdog => (4, 0, 0),
            StaleReason::MemoryBudget => (5, 0, 0),
            StaleReason::DepthExhausted => (6, 0, 0),
            StaleReason::Upstream => (7, 0, 0),
        };
        self.start(KIND_STALE, id, generation);
        self.scratch.push(code);
        self.scratch.extend_from_slice(&expected.to_le_bytes());
        self.scratch.extend_from_slice(&got.to_le_bytes());
        // A Stale record tells the reader all a `Lost` one would: it stands for it.
        self.commit(id, false);
    }

    /// Writes the `Lost` records owed, oldest first, while they fit: before every record, and
    /// whenever the engine flushes its consumers (so a reader that caught up on a quiet feed
    /// learns what it lost).
    pub(crate) fn announce_lost(&mut self) {
        while let Some(&id) = self.unannounced.first() {
            if self.copies.get(id as usize) == Some(&ReaderCopy::Unannounced) {
                self.start(KIND_LOST, id, 0);
                if !self.write_scratch() {
                    return;
                }
                self.copies[id as usize] = ReaderCopy::NeedsSnapshot;
            }
            self.unannounced.remove(0);
        }
    }

    fn start(&mut self, kind: u8, id: InstrumentId, generation: u64) {
        self.scratch.clear();
        // The length, filled in by `write_scratch`.
        self.scratch.extend_from_slice(&[0; 4]);
        self.scratch.push(kind);
        self.scratch.extend_from_slice(&id.to_le_bytes());
        self.scratch.extend_from_slice(&generation.to_le_bytes());
    }

    fn head(&mut self, head: Head, floors: [Option<Price>; 2]) {
        let mut flags = 0;
        flags |= if head.seq.is_some() { FLAG_SEQ } else { 0 };
        flags |= if head.exchange_ms.is_some() { FLAG_EXCHANGE_MS } else { 0 };
        flags |= if head.crossed { FLAG_CROSSED } else { 0 };
        flags |= if floors[0].is_some() { FLAG_BID_FLOOR } else { 0 };
        flags |= if floors[1].is_some() { FLAG_ASK_FLOOR } else { 0 };
        self.scratch.push(flags);
        self.scratch.push(integrity_code(head.integrity));
        for v in [head.seq.unwrap_or(0), head.exchange_ms.unwrap_or(0), head.recv_ns] {
            self.scratch.extend_from_slice(&v.to_le_bytes());
        }
        for floor in floors.into_iter().flatten() {
            self.scratch.extend_from_slice(&floor.mantissa().to_le_bytes());
            self.scratch.push(floor.scale());
        }
    }

    fn level(&mut self, side: Side, price: Price, qty: Qty) {
        self.scratch.push(side as u8);
        self.scratch.extend_from_slice(&price.mantissa().to_le_bytes());
        self.scratch.push(price.scale());
        self.scratch.extend_from_slice(&qty.mantissa().to_le_bytes());
        self.scratch.push(qty.scale());
    }

    fn encode_snapshot(&mut self, book: &Book, id: InstrumentId, generation: u64, head: Head) {
        self.start(KIND_SNAPSHOT, id, generation);
        self.head(head, [None, None]);
        let name = self.names.get(id as usize).map_or(&[][..], |n| n.as_bytes());
        let name_len = name.len().min(u16::MAX as usize);
        self.scratch.extend_from_slice(&(name_len as u16).to_le_bytes());
        let name = &self.names.get(id as usize).map_or(&[][..], |n| n.as_bytes())[..name_len];
        self.scratch.extend_from_slice(name);
        self.scratch.extend_from_slice(&(book.len() as u32).to_le_bytes());
        for side in [Side::Bid, Side::Ask] {
            for level in book.side(side).iter() {
                self.level(side, level.price, level.qty);
            }
        }
    }

    fn encode_delta(
        &mut self,
        book: &Book,
        id: InstrumentId,
        generation: u64,
        head: Head,
        levels: &[LevelUpdate],
        removed: bool,
    ) {
        self.start(KIND_DELTA, id, generation);
        let floor = |side| book.side(side).worst().map(|l| l.price).filter(|_| removed);
        self.head(head, [floor(Side::Bid), floor(Side::Ask)]);
        self.scratch.extend_from_slice(&(levels.len() as u32).to_le_bytes());
        for level in levels {
            let now = book.side(level.side).qty_at(level.price).unwrap_or(Qty::ZERO);
            self.level(level.side, level.price, now);
        }
    }

    /// Writes the record in `scratch` for `id`'s book, or drops it and marks the book. A
    /// snapshot (`syncs`) brings the reader's copy back in sync.
    fn commit(&mut self, id: InstrumentId, syncs: bool) {
        let Some(&copy) = self.copies.get(id as usize) else { return };
        // A book whose `Lost` record is still owed gets nothing else first, but a snapshot
        // or a Stale record, which tell the reader as much.
        if self.write_scratch() {
            self.copies[id as usize] = match (syncs, copy) {
                (true, _) => ReaderCopy::InSync,
                (false, ReaderCopy::InSync) => ReaderCopy::InSync,
                (false, _) => ReaderCopy::NeedsSnapshot,
            };
        } else {
            self.dropped += 1;
            if copy != ReaderCopy::Unannounced {
                self.copies[id as usize] = ReaderCopy::Unannounced;
                self.unannounced.push(id);
            }
        }
    }

    /// Writes `scratch` (its length first) if the ring has room, then wakes a sleeping reader.
    fn write_scratch(&mut self) -> bool {
        let len = self.scratch.len();
        let body = (len - 4) as u32;
        self.scratch[..4].copy_from_slice(&body.to_le_bytes());
        let Some(ring) = self.ring.get_mut() else { return false };
        let Ok(chunk) = ring.write_chunk_uninit(len) else { return false };
        // Commits the whole record at once: the reader never sees part of it.
        chunk.fill_from_iter(self.scratch.iter().copied());
        // Pairs with the reader's fence between raising `waiting` and looking again.
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.shared.waiting.swap(false, Ordering::SeqCst) {
            self.shared.waker.wake();
        }
        true
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.announce_lost();
        let owed: Vec<InstrumentId> = self
            .unannounced
            .iter()
            .copied()
            .filter(|&id| self.copies.get(id as usize) == Some(&ReaderCopy::Unannounced))
            .collect();
        if !owed.is_empty()
            && let Ok(mut list) = self.shared.unannounced_at_close.lock()
        {
            *list = owed;
        }
        // The ring is abandoned, then a sleeping reader is woken to see the end. Woken before
        // the producer is gone, a reader could look, find the ring still held, and sleep for
        // good (a publisher's replay never ending).
        drop(self.ring.get_mut().take());
        self.shared.waker.wake();
    }
}

/// The reader's end of the journal (see [`crate::Engine::journal`]): one thread or task.
#[derive(Debug)]
pub struct JournalReader {
    ring: rtrb::Consumer<u8>,
    shared: Arc<Shared>,
}

impl JournalReader {
    /// The next record, copied into `buf`, or `None` if there is none yet.
    pub fn try_next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Option<Record<'b>> {
        if !self.take(buf) {
            // After the ring's last record: the losses the writer could not write down.
            return self.owed_at_close().map(|instrument| Record::Lost { instrument });
        }
        Some(Record::parse(buf).unwrap_or(Record::Malformed))
    }

    /// Whether the engine (the writer) is gone and every record was read.
    pub fn is_finished(&self) -> bool {
        self.ring.is_abandoned() && self.ring.is_empty() && !self.has_owed_at_close()
    }

    fn has_owed_at_close(&self) -> bool {
        self.ring.is_abandoned()
            && self.shared.unannounced_at_close.lock().is_ok_and(|list| !list.is_empty())
    }

    fn owed_at_close(&mut self) -> Option<InstrumentId> {
        if !self.ring.is_abandoned() || !self.ring.is_empty() {
            return None;
        }
        self.shared.unannounced_at_close.lock().ok()?.pop()
    }

    /// Waits for a record: ready when one can be read with [`JournalReader::try_next`] or when
    /// the journal is finished (`Ready(false)`). For an async reader; the engine wakes it at
    /// most once per sleep.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        if !self.ring.is_empty() {
            return Poll::Ready(true);
        }
        if self.ring.is_abandoned() {
            return Poll::Ready(!self.ring.is_empty() || self.has_owed_at_close());
        }
        self.shared.waker.register(cx.waker());
        self.shared.waiting.store(true, Ordering::SeqCst);
        std::sync::atomic::fence(Ordering::SeqCst);
        if !self.ring.is_empty() || self.ring.is_abandoned() {
            self.shared.waiting.store(false, Ordering::SeqCst);
            return Poll::Ready(!self.ring.is_empty() || self.has_owed_at_close());
        }
        Poll::Pending
    }

    /// Bytes the reader has not taken yet.
    pub fn pending_bytes(&self) -> usize {
        self.ring.slots()
    }

    /// Copies the next whole record into `buf`.
    fn take(&mut self, buf: &mut Vec<u8>) -> bool {
        let mut len = [0u8; 4];
        {
            // Not committed: the length is read again with the body.
            let Ok(len_chunk) = self.ring.read_chunk(4) else { return false };
            let (a, b) = len_chunk.as_slices();
            len[..a.len()].copy_from_slice(a);
            len[a.len()..].copy_from_slice(b);
        }
        let body = u32::from_le_bytes(len) as usize;
        // The writer commits a record in one chunk, so its whole body is there.
        let Ok(chunk) = self.ring.read_chunk(4 + body) else { return false };
        buf.clear();
        let (a, b) = chunk.as_slices();
        buf.extend_from_slice(a);
        buf.extend_from_slice(b);
        chunk.commit_all();
        buf.drain(..4);
        true
    }
}

/// One journal record, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record<'a> {
    /// Every level of a Live book.
    Snapshot(BookRecord<'a>),
    /// What one message changed in a Live book.
    Delta(BookRecord<'a>),
    /// The book stopped being trusted.
    Stale {
        /// The instrument.
        instrument: InstrumentId,
        /// The book's generation.
        generation: u64,
        /// Why.
        reason: StaleReason,
    },
    /// Records of the book were dropped (the ring was full): hold it Stale until its next
    /// snapshot.
    Lost {
        /// The instrument.
        instrument: InstrumentId,
    },
    /// Bytes the engine did not write: a bug, never expected.
    Malformed,
}

/// A snapshot's or a delta's fields and levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookRecord<'a> {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The symbol, as the venue spells it (snapshots only; empty in a delta).
    pub symbol: &'a str,
    /// The book's generation (see [`TopOfBook::generation`]).
    pub generation: u64,
    /// The venue's sequence of the last message applied.
    pub seq: Option<i64>,
    /// The venue's event time of that message, in ms.
    pub exchange_ms: Option<i64>,
    /// When its frame was received, in ns.
    pub recv_ns: i64,
    /// What was checked on the message.
    pub integrity: Integrity,
    /// Best bid at or above best ask after it.
    pub crossed: bool,
    /// A delta's floor per side (bids, asks): drop every level worse than it.
    pub floors: [Option<Price>; 2],
    levels: &'a [u8],
}

impl<'a> BookRecord<'a> {
    /// The levels: a snapshot's, best first per side, bids first; a delta's prices with
    /// their sizes after the message (zero: not held), in the message's order.
    pub fn levels(&self) -> impl ExactSizeIterator<Item = (Side, Price, Qty)> + 'a {
        self.levels.chunks_exact(LEVEL_BYTES).map(|l| {
            let side = if l[0] == Side::Bid as u8 { Side::Bid } else { Side::Ask };
            let price = Price::from_scaled(le_i64(&l[1..9]), l[9]);
            let qty = Qty::from_scaled(le_i64(&l[10..18]), l[18]).unwrap_or(Qty::ZERO);
            (side, price, qty)
        })
    }
}

fn le_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_le_bytes(a)
}

/// A cursor over a record's bytes; every read is checked.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn price(&mut self) -> Option<Price> {
        let mantissa = self.i64()?;
        Some(Price::from_scaled(mantissa, self.u8()?))
    }
}

impl<'a> Record<'a> {
    fn parse(bytes: &'a [u8]) -> Option<Record<'a>> {
        let mut b = Bytes(bytes);
        let kind = b.u8()?;
        let instrument = b.u32()?;
        let generation = b.i64()? as u64;
        match kind {
            KIND_SNAPSHOT | KIND_DELTA => {
                let flags = b.u8()?;
                let integrity = integrity_of(b.u8()?)?;
                let (seq, exchange_ms, recv_ns) = (b.i64()?, b.i64()?, b.i64()?);
                let mut floors = [None, None];
                if flags & FLAG_BID_FLOOR != 0 {
                    floors[0] = Some(b.price()?);
                }
                if flags & FLAG_ASK_FLOOR != 0 {
                    floors[1] = Some(b.price()?);
                }
                let symbol = if kind == KIND_SNAPSHOT {
                    let n = b.u16()? as usize;
                    std::str::from_utf8(b.take(n)?).ok()?
                } else {
                    ""
                };
                let n = b.u32()? as usize;
                let levels = b.take(n.checked_mul(LEVEL_BYTES)?)?;
                let record = BookRecord {
                    instrument,
                    symbol,
                    generation,
                    seq: (flags & FLAG_SEQ != 0).then_some(seq),
                    exchange_ms: (flags & FLAG_EXCHANGE_MS != 0).then_some(exchange_ms),
                    recv_ns,
                    integrity,
                    crossed: flags & FLAG_CROSSED != 0,
                    floors,
                    levels,
                };
                Some(if kind == KIND_SNAPSHOT {
                    Record::Snapshot(record)
                } else {
                    Record::Delta(record)
                })
            }
            KIND_STALE => {
                let code = b.u8()?;
                let (expected, got) = (b.i64()?, b.i64()?);
                let reason = match code {
                    0 => StaleReason::Gap { expected, got },
                    1 => StaleReason::ChecksumMismatch,
                    2 => StaleReason::BadMessage,
                    3 => StaleReason::Disconnect,
                    4 => StaleReason::Watchdog,
                    5 => StaleReason::MemoryBudget,
                    6 => StaleReason::DepthExhausted,
                    7 => StaleReason::Upstream,
                    _ => return None,
                };
                Some(Record::Stale { instrument, generation, reason })
            }
            KIND_LOST => Some(Record::Lost { instrument }),
            _ => None,
        }
    }
}

fn integrity_code(integrity: Integrity) -> u8 {
    match integrity {
        Integrity::Verified => 0,
        Integrity::Sequenced => 1,
        Integrity::Checksummed => 2,
        Integrity::Unverifiable => 3,
    }
}

fn integrity_of(code: u8) -> Option<Integrity> {
    Some(match code {
        0 => Integrity::Verified,
        1 => Integrity::Sequenced,
        2 => Integrity::Checksummed,
        3 => Integrity::Unverifiable,
        _ => return None,
    })
}
