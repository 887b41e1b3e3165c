//! What consumers receive, and how the loop hands it over without ever blocking.

use std::collections::VecDeque;

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

/// What happens to views when a consumer falls behind. The loop never waits for a consumer,
/// and a state change ([`Update::Status`]) is never dropped.
///
/// A consumer's channel holds `capacity` views and, beyond them, a reserve of as many state
/// changes again (at least [`STATUS_RESERVE`]): views are queued only while fewer than
/// `capacity` updates are queued, state changes while the channel has room at all. The
/// channel's order is never changed after the fact (the loop never takes anything back out
/// of it), so a consumer that reads only the update stream sees every book's views and state
/// changes in the order they happened. A consumer that falls more than the reserve behind
/// on state changes is cut off: its channel ends after the last update it was sent (counted
/// in `consumers_cut`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlowConsumer {
    /// Drop the new view and count it: the consumer misses views but never gets old data late.
    DropNewest,
    /// Hold each book's newest view back while the channel is full, and queue it as soon as
    /// there is room (a newer view of the book replaces it, counted as dropped; a state change
    /// of the book discards it, since a view from before a state change is not to be traded
    /// on): the consumer gets every book's latest view.
    KeepLatest,
}

/// The least number of state changes a consumer's channel holds beyond its views.
pub const STATUS_RESERVE: usize = 256;

#[derive(Debug)]
struct Subscriber {
    tx: Sender<Update>,
    // Views are queued while fewer than this many updates are.
    views_capacity: usize,
    policy: SlowConsumer,
    // Receives status events only.
    statuses_only: bool,
    hung_up: bool,
    // KeepLatest: the newest view of each book held back by a full channel, and the books
    // that have one (each listed once), oldest first.
    held: Vec<Option<TopOfBook>>,
    held_books: VecDeque<InstrumentId>,
}

/// What [`Publisher::send`] could not deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Undelivered {
    /// Views a full channel did not take (or that a newer view or a state change replaced).
    pub(crate) views: u64,
    /// Consumers cut off: their channel was full of state changes when another came.
    pub(crate) consumers_cut: u64,
}

/// The engine's consumers.
#[derive(Debug, Default)]
pub(crate) struct Publisher {
    subscribers: Vec<Subscriber>,
    // Views held back over all subscribers (0: nothing to flush).
    held_total: usize,
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
        let views_capacity = capacity.max(1);
        let reserve = views_capacity.max(STATUS_RESERVE);
        let (tx, rx) = crossbeam_channel::bounded(views_capacity + reserve);
        self.subscribers.push(Subscriber {
            tx,
            views_capacity,
            policy,
            statuses_only,
            hung_up: false,
            held: Vec::new(),
            held_books: VecDeque::new(),
        });
        rx
    }

    /// Queues the views held back for consumers whose channels have room again. O(1) when none
    /// is held; called before every frame.
    pub(crate) fn flush(&mut self) -> Undelivered {
        let mut lost = Undelivered::default();
        if self.held_total == 0 {
            return lost;
        }
        for sub in &mut self.subscribers {
            self.held_total -= sub.release_held(&mut lost);
        }
        self.forget_hung_up();
        lost
    }

    /// Offers `update` to every consumer; returns what could not be delivered.
    pub(crate) fn send(&mut self, update: Update) -> Undelivered {
        let mut lost = Undelivered::default();
        for sub in &mut self.subscribers {
            match update {
                Update::Book(view) => {
                    if sub.statuses_only {
                        continue;
                    }
                    self.held_total -= sub.release_held(&mut lost);
                    self.held_total += sub.offer_view(view, &mut lost);
                }
                Update::Status(status) => {
                    // A view held from before the state change is not to be traded on.
                    self.held_total -= sub.discard_held(status.instrument, &mut lost);
                    self.held_total -= sub.release_held(&mut lost);
                    sub.offer(update, &mut lost);
                }
            }
        }
        self.forget_hung_up();
        lost
    }

    fn forget_hung_up(&mut self) {
        if self.subscribers.iter().any(|s| s.hung_up) {
            for sub in self.subscribers.iter().filter(|s| s.hung_up) {
                self.held_total -= sub.held_books.len();
            }
            self.subscribers.retain(|s| !s.hung_up);
        }
    }
}

impl Subscriber {
    /// Whether a view may be queued now.
    fn room_for_a_view(&self) -> bool {
        self.tx.len() < self.views_capacity
    }

    /// Queues `update` if the channel takes it; a full channel cuts the consumer off (only a
    /// state change gets here with the channel full: views wait within `views_capacity`).
    fn offer(&mut self, update: Update, lost: &mut Undelivered) {
        match self.tx.try_send(update) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                lost.consumers_cut += 1;
                self.hung_up = true;
            }
            Err(TrySendError::Disconnected(_)) => self.hung_up = true,
        }
    }

    /// Offers a view: queued if there is room, else dropped or held by the policy. Returns
    /// how many books newly have a held view (0 or 1).
    fn offer_view(&mut self, view: TopOfBook, lost: &mut Undelivered) -> usize {
        if self.room_for_a_view() {
            self.offer(Update::Book(view), lost);
            return 0;
        }
        if self.policy == SlowConsumer::DropNewest {
            lost.views += 1;
            return 0;
        }
        let book = view.instrument as usize;
        if self.held.len() <= book {
            self.held.resize(book + 1, None);
        }
        match self.held[book].replace(view) {
            // The view it replaces is the one dropped.
            Some(_) => {
                lost.views += 1;
                0
            }
            None => {
                self.held_books.push_back(view.instrument);
                1
            }
        }
    }

    /// Queues held views, oldest book first, while there is room; returns how many left.
    fn release_held(&mut self, lost: &mut Undelivered) -> usize {
        let mut released = 0;
        while let Some(&book) = self.held_books.front() {
            if self.hung_up || !self.room_for_a_view() {
                break;
            }
            self.held_books.pop_front();
            released += 1;
            if let Some(view) = self.held.get_mut(book as usize).and_then(Option::take) {
                self.offer(Update::Book(view), lost);
            }
        }
        released
    }

    /// Drops `book`'s held view (a state change of the book supersedes it); returns how many
    /// books no longer have one (0 or 1).
    fn discard_held(&mut self, book: InstrumentId, lost: &mut Undelivered) -> usize {
        let Some(slot) = self.held.get_mut(book as usize) else { return 0 };
        if slot.take().is_none() {
            return 0;
        }
        lost.views += 1;
        self.held_books.retain(|&b| b != book);
        1
    }
}
