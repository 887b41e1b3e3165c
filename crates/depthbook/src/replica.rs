//! A bus subscriber's books into the facade's engine ([`crate::Feed::nats`]): each change the
//! subscriber applies is replicated into the engine's book, which publishes it through the
//! same readers and update stream as a live feed.

use depthbook_bus::{BookView, SubscriberEvent};
use depthbook_core::Side;
use depthbook_engine::{Engine, ReplicatedHead, StaleReason};

/// Applies one subscriber event to `engine`.
pub(crate) fn apply(engine: &mut Engine, event: &SubscriberEvent<'_>) {
    match event {
        SubscriberEvent::Update(view) => replicate(engine, view, false),
        // Live again without a new view: the whole book, as the subscriber holds it.
        SubscriberEvent::Live(view) => replicate(engine, view, true),
        SubscriberEvent::Stale(view) => {
            if let Some(id) = engine.replica_instrument(view.symbol) {
                engine.mark_stale(id, reason(view));
            }
        }
        SubscriberEvent::Tick => {}
    }
}

fn replicate(engine: &mut Engine, view: &BookView<'_>, whole: bool) {
    let Some(id) = engine.replica_instrument(view.symbol) else { return };
    let book = view.book;
    let head = ReplicatedHead {
        generation: book.generation,
        seq: book.venue_seq,
        exchange_ms: book.exchange_ms,
        recv_ns: book.recv_ns,
        integrity: book.integrity,
    };
    let live = engine.state(id).is_some_and(|s| s.is_live());
    if whole || book.change.full || !live {
        let replica = &book.replica;
        let bids = replica.levels(Side::Bid).map(|(p, q)| (Side::Bid, p, q));
        let asks = replica.levels(Side::Ask).map(|(p, q)| (Side::Ask, p, q));
        engine.replicate_snapshot(id, bids.chain(asks), head);
    } else {
        engine.replicate_delta(id, book.change.levels.iter().copied(), book.change.floors, head);
    }
}

/// The engine's reason for a book the subscriber holds Stale: the publisher's, by name, where
/// it is one of the engine's; [`StaleReason::Disconnect`] for the bus's own connection; else
/// [`StaleReason::Upstream`] (the publisher lost it, or its chain of messages broke).
fn reason(view: &BookView<'_>) -> StaleReason {
    match view.book.stale_reason.as_deref() {
        Some("gap") => match view.book.gap {
            Some((expected, got)) => StaleReason::Gap { expected, got },
            None => StaleReason::Upstream,
        },
        Some("checksum") => StaleReason::ChecksumMismatch,
        Some("bad_message") => StaleReason::BadMessage,
        Some("disconnect") => StaleReason::Disconnect,
        Some("watchdog") => StaleReason::Watchdog,
        Some("memory_budget") => StaleReason::MemoryBudget,
        Some("depth_exhausted") => StaleReason::DepthExhausted,
        _ => StaleReason::Upstream,
    }
}
