//! What consumers receive, and how the loop hands it over without ever blocking.

use crossbeam_channel::{Receiver, Sender, TrySendError};
use depthbook_core::{Price, Qty};
use depthbook_venues::{InstrumentId, Integrity};

use crate::state::StaleReason;

/// Top of book of a Live book right after a message was applied. `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopOfBook {
    /// The instrument.
    pub instrument: InstrumentId,
    /// The venue's sequence of the last applied message (`None` where the venue has none).
    pub seq: Option<i64>,
    /// The venue's event time of that message, in ms, if sent.
    pub exchange_ms: Option<i64>,
    /// When the frame was received, in ns (as the caller reported it).
    pub recv_ns: i64,
    /// Best bid price and size.
    pub bid: Option<(Price, Qty)>,
    /// Best ask price and size.
    pub ask: Option<(Price, Qty)>,
    /// Increments each time the book is rebuilt from a snapshot.
    pub generation: u64,
    /// Best bid at or above best ask (legitimate in some auctions; flagged, still published).
    pub crossed: bool,
    /// What was checked on the message that produced this view.
    pub integrity: Integrity,
}

impl TopOfBook {
    /// Whether this view may be traded on: it is published only while its book is Live, and
    /// it is not crossed.
    pub const fn is_tradeable(&self) -> bool {
        !self.crossed
    }
}

/// A change of a book's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The book became Live.
    Live,
    /// The book stopped being trusted.
    Stale(StaleReason),
}

/// A state change of one instrument's book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusEvent {
    /// The instrument.
    pub instrument: InstrumentId,
    /// Its new state.
    pub status: Status,
    /// The book's generation.
    pub generation: u64,
}

/// What a consumer receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Update {
    /// A view of a Live book.
    Book(TopOfBook),
    /// A state change.
    Status(StatusEvent),
}

/// What happens when a consumer's channel is full. The loop never waits for a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowConsumer {
    /// Drop the new update and count it: the consumer misses views but never gets old data late.
    DropNewest,
    /// Drop the oldest queued update to make room: the consumer always gets the latest.
    /// (The engine holds a receiver of such a channel, so it is kept until the engine drops.)
    KeepLatest,
}

#[derive(Debug)]
struct Subscriber {
    tx: Sender<Update>,
    // Held for KeepLatest only: the loop pops the oldest update to make room.
    rx: Option<Receiver<Update>>,
    // Receives status events only.
    statuses_only: bool,
    hung_up: bool,
}

/// The engine's consumers.
#[derive(Debug, Default)]
pub(crate) struct Publisher {
    subscribers: Vec<Subscriber>,
}

impl Publisher {
    pub(crate) fn subscribe(&mut self, capacity: usize, policy: SlowConsumer) -> Receiver<Update> {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let keep = matches!(policy, SlowConsumer::KeepLatest).then(|| rx.clone());
        self.subscribers.push(Subscriber { tx, rx: keep, statuses_only: false, hung_up: false });
        rx
    }

    pub(crate) fn subscribe_statuses(&mut self, capacity: usize) -> Receiver<Update> {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        self.subscribers.push(Subscriber { tx, rx: None, statuses_only: true, hung_up: false });
        rx
    }

    /// Offers `update` to every consumer; returns how many did not take it.
    pub(crate) fn send(&mut self, update: Update) -> u64 {
        let mut dropped = 0;
        let mut any_hung_up = false;
        let is_status = matches!(update, Update::Status(_));
        for sub in &mut self.subscribers {
            if sub.statuses_only && !is_status {
                continue;
            }
            match sub.tx.try_send(update) {
                Ok(()) => {}
                Err(TrySendError::Full(update)) => match &sub.rx {
                    Some(rx) => {
                        let _ = rx.try_recv();
                        if sub.tx.try_send(update).is_err() {
                            dropped += 1;
                        }
                    }
                    None => dropped += 1,
                },
                Err(TrySendError::Disconnected(_)) => {
                    sub.hung_up = true;
                    any_hung_up = true;
                }
            }
        }
        if any_hung_up {
            self.subscribers.retain(|s| !s.hung_up);
        }
        dropped
    }
}
