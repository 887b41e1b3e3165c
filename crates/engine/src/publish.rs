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

/// What happens when a consumer's channel is full. The loop never waits for a consumer, and a
/// state change ([`Update::Status`]) is never dropped: it takes the place of the oldest queued
/// view, and a consumer whose channel holds nothing but state changes when another comes is
/// cut off (its channel ends after the last one it was sent; counted in `consumers_cut`). So a
/// consumer that reads only the update stream sees every transition in order, or the stream's
/// end. The engine keeps a receiver of every consumer's channel (to take views out of it), so
/// a channel lives until the engine drops even if its consumer's receiver is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowConsumer {
    /// Drop the new view and count it: the consumer misses views but never gets old data late.
    DropNewest,
    /// Drop the oldest queued view to make room: the consumer always gets the latest view.
    KeepLatest,
}

#[derive(Debug)]
struct Subscriber {
    tx: Sender<Update>,
    // The loop's own receiver of the channel, to take views out when it is full.
    rx: Receiver<Update>,
    policy: SlowConsumer,
    // Receives status events only.
    statuses_only: bool,
    hung_up: bool,
}

/// What [`Publisher::send`] could not deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Undelivered {
    /// Views a full channel did not take (or gave up to make room).
    pub(crate) views: u64,
    /// Consumers cut off: their channel was full of state changes when another came.
    pub(crate) consumers_cut: u64,
}

/// The engine's consumers.
#[derive(Debug, Default)]
pub(crate) struct Publisher {
    subscribers: Vec<Subscriber>,
    // A full channel's updates while views are taken out of it; kept for its capacity.
    scratch: Vec<Update>,
}

impl Publisher {
    pub(crate) fn subscribe(&mut self, capacity: usize, policy: SlowConsumer) -> Receiver<Update> {
        self.add(capacity, policy, false)
    }

    pub(crate) fn subscribe_statuses(&mut self, capacity: usize) -> Receiver<Update> {
        self.add(capacity, SlowConsumer::DropNewest, true)
    }

    fn add(
        &mut self,
        capacity: usize,
        policy: SlowConsumer,
        statuses_only: bool,
    ) -> Receiver<Update> {
        let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
        let own = rx.clone();
        self.subscribers.push(Subscriber { tx, rx: own, policy, statuses_only, hung_up: false });
        rx
    }

    /// Offers `update` to every consumer; returns what could not be delivered.
    pub(crate) fn send(&mut self, update: Update) -> Undelivered {
        let mut lost = Undelivered::default();
        let mut any_gone = false;
        let is_status = matches!(update, Update::Status(_));
        for sub in &mut self.subscribers {
            if sub.statuses_only && !is_status {
                continue;
            }
            match sub.tx.try_send(update) {
                Ok(()) => {}
                Err(TrySendError::Full(update)) => {
                    let outcome = match (sub.policy, is_status) {
                        // The new view is the one dropped.
                        (SlowConsumer::DropNewest, false) => Full::Dropped,
                        _ => make_room(sub, update, &mut self.scratch),
                    };
                    match outcome {
                        Full::Sent { views_dropped } => lost.views += views_dropped,
                        Full::Dropped => lost.views += 1,
                        Full::Cut => {
                            lost.consumers_cut += 1;
                            sub.hung_up = true;
                            any_gone = true;
                        }
                    }
                }
                Err(TrySendError::Disconnected(_)) => {
                    sub.hung_up = true;
                    any_gone = true;
                }
            }
        }
        if any_gone {
            self.subscribers.retain(|s| !s.hung_up);
        }
        lost
    }
}

/// What became of an update offered to a full channel.
enum Full {
    /// Queued, after `views_dropped` queued views were taken out.
    Sent { views_dropped: u64 },
    /// Not queued (a view).
    Dropped,
    /// The channel holds only state changes and `update` is one: the consumer is cut off.
    Cut,
}

/// Takes the oldest views out of `sub`'s full channel to queue `update`, keeping the order of
/// every state change. The usual case is O(1): the oldest queued update is a view, and it goes.
/// Where a state change heads the queue, the queue is taken out whole and put back without its
/// oldest views, down to half the channel's capacity where there are that many, so the
/// O(capacity) pass is paid at most once per half a channel of updates.
fn make_room(sub: &Subscriber, update: Update, scratch: &mut Vec<Update>) -> Full {
    match sub.rx.try_recv() {
        Ok(Update::Book(_)) => {
            // Only this thread sends: the slot just freed is there.
            let _ = sub.tx.try_send(update);
            return Full::Sent { views_dropped: 1 };
        }
        Ok(status) => {
            scratch.clear();
            scratch.push(status);
            scratch.extend(sub.rx.try_iter());
        }
        // The consumer emptied the channel meanwhile.
        Err(_) => {
            let _ = sub.tx.try_send(update);
            return Full::Sent { views_dropped: 0 };
        }
    }
    let capacity = sub.tx.capacity().unwrap_or(usize::MAX);
    let target = capacity / 2;
    let mut excess = scratch.len().saturating_sub(target).max(1);
    let before = scratch.len();
    scratch.retain(|queued| match queued {
        Update::Book(_) if excess > 0 => {
            excess -= 1;
            false
        }
        _ => true,
    });
    let views_dropped = (before - scratch.len()) as u64;
    let outcome = if views_dropped > 0 {
        scratch.push(update);
        Full::Sent { views_dropped }
    } else if matches!(update, Update::Book(_)) {
        Full::Dropped
    } else {
        Full::Cut
    };
    // Put back what stays, in order (the channel was emptied into `scratch`, so there is room:
    // only this thread sends). A consumer that is cut off still gets everything sent before.
    for queued in scratch.drain(..) {
        let _ = sub.tx.try_send(queued);
    }
    outcome
}
