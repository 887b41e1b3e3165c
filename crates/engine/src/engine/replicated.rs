//! Books fed by another engine's published changes instead of by frames: what a bus subscriber
//! holds (the facade's `Feed::nats`). They are published through the same path as every book
//! (views, latest-value and depth readers, the update stream), so a strategy reads a replicated
//! book exactly as it reads one it ingests.
//!
//! The source has already checked sequences and checksums: a replicated change carries the
//! integrity its source established, and the replica only applies it. Whether the chain of
//! changes is unbroken is the caller's to decide (the bus subscriber checks it), and a break is
//! reported with [`Engine::mark_stale`].

use depthbook_core::{LevelText, Price, Qty, Side};
use depthbook_venues::{InstrumentId, Integrity};

use super::{Engine, StaleReason};
use crate::publish::{Status, StatusEvent, Update};
use crate::state::BookState;

/// The fields of a view another engine published, as its replica receives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicatedHead {
    /// The source's generation of the book.
    pub generation: u64,
    /// The venue's sequence of the last message applied.
    pub seq: Option<i64>,
    /// The venue's event time of that message, in ms.
    pub exchange_ms: Option<i64>,
    /// When the source received its frame, ns since the Unix epoch.
    pub recv_ns: i64,
    /// What the source checked on it.
    pub integrity: Integrity,
}

impl Engine {
    /// The id of `symbol`'s book, made if the engine tracks the symbol (every symbol, or those
    /// of [`crate::EngineConfig::symbols`]); `None` otherwise or past the instrument cap.
    pub fn replica_instrument(&mut self, symbol: &str) -> Option<InstrumentId> {
        let id = self.symbols.resolve(symbol).ok().flatten()?;
        self.books.grow_to(self.symbols.len());
        Some(id)
    }

    /// Replaces `id`'s book with `levels` (sizes above zero, any order) and makes it Live,
    /// publishing its view: a replicated snapshot. Returns false, the book Stale
    /// (`bad_message`), if a level cannot be held (a price the ladder cannot share).
    pub fn replicate_snapshot(
        &mut self,
        id: InstrumentId,
        levels: impl IntoIterator<Item = (Side, Price, Qty)>,
        head: ReplicatedHead,
    ) -> bool {
        let books = &mut self.books;
        let Some(inst) = books.instruments.get_mut(id as usize) else { return false };
        inst.book.clear();
        for (side, price, qty) in levels {
            if inst.book.set(side, price, qty, LevelText::default()).is_err() {
                books.counters.decode_errors += 1;
                books.go_stale(id, StaleReason::BadMessage);
                return false;
            }
        }
        let was_stale = matches!(inst.state, BookState::Stale(_));
        let went_live = !inst.state.is_live();
        inst.state = BookState::Live;
        inst.cursor.last = head.seq;
        inst.last_exchange_ms = head.exchange_ms;
        inst.integrity = head.integrity;
        inst.generation = head.generation;
        inst.last_data_ns = Some(head.recv_ns);
        if went_live {
            books.counters.resyncs += u64::from(was_stale);
            books.send(Update::Status(StatusEvent {
                instrument: id,
                status: Status::Live,
                generation: head.generation,
            }));
        }
        books.counters.applied += 1;
        books.publish_view(id, head.recv_ns, None);
        books.account(id);
        true
    }

    /// Applies a replicated delta to `id`'s Live book: each level's size after the source's
    /// message (zero deletes), then each side's floor (every level worse than it is dropped),
    /// and publishes its view. Returns false, and changes nothing, if the book is not Live;
    /// false, the book Stale (`bad_message`), if a level cannot be held.
    pub fn replicate_delta(
        &mut self,
        id: InstrumentId,
        levels: impl IntoIterator<Item = (Side, Price, Qty)>,
        floors: [Option<Price>; 2],
        head: ReplicatedHead,
    ) -> bool {
        let books = &mut self.books;
        let Some(inst) = books.instruments.get_mut(id as usize) else { return false };
        if !inst.state.is_live() {
            return false;
        }
        for (side, price, qty) in levels {
            if inst.book.set(side, price, qty, LevelText::default()).is_err() {
                books.counters.decode_errors += 1;
                books.go_stale(id, StaleReason::BadMessage);
                return false;
            }
        }
        for (side, floor) in [Side::Bid, Side::Ask].into_iter().zip(floors) {
            if let Some(floor) = floor {
                inst.book.drop_worse_than(side, floor);
            }
        }
        inst.cursor.last = head.seq;
        inst.last_exchange_ms = head.exchange_ms;
        inst.integrity = head.integrity;
        inst.generation = head.generation;
        inst.last_data_ns = Some(head.recv_ns);
        books.counters.applied += 1;
        // A journal, if any, gets the book whole (the replica has no venue message's levels).
        books.publish_view(id, head.recv_ns, None);
        books.account(id);
        true
    }
}
