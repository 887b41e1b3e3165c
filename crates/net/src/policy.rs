//! When and how books are resynced: the live loop's decisions, as a sans-IO state machine.
//!
//! [`ResyncPolicy`] takes what happened (a connection opened or closed, book data arrived, a
//! book went Live or Stale, the engine asked for a snapshot, time passed) with the time on a
//! monotonic clock ([`Mono`]), and answers with [`Action`]s for [`crate::Live`] to carry out
//! (fetch a REST snapshot, ask one on the stream, resubscribe, reconnect, fire the watchdog).
//! It owns no socket, reads no clock and sleeps never, so its policies are tested by driving
//! it with a virtual clock. The wall clock never reaches it: a step of the system clock (NTP,
//! a VM resumed) moves no timer (`tests/live_clock.rs` drives `Live` itself with a virtual
//! clock through steps of an hour), and recorded receive times stay wall-clock.
//!
//! The rules (see the crate docs' resync policy):
//! - a snapshot request is acted on by the venue's method, spaced per book by its own
//!   exponential backoff with jitter (reset after the book stays Live `healthy` long);
//! - a book not back within `resync_timeout` is resynced again;
//! - where snapshots are asked for, a book that has not asked `first_snapshot` after its
//!   subscription asks anyway (an illiquid book goes Live from the snapshot alone);
//! - a Live book without data for `watchdog` is made Stale and resynced (its stream is
//!   suspect: a snapshot-asking venue resubscribes it), no sooner than its backoff allows, so
//!   a book quiet by nature is resubscribed ever less often;
//! - a venue that numbers the whole connection (Bitfinex, Coinbase Advanced Trade) reconnects
//!   for a break of that numbering (every book of the connection went Stale with it) and
//!   resubscribes a book alone for what concerns that book (its checksum, a message that could
//!   not be applied, its silence while the connection's numbering goes on, a snapshot that
//!   never came);
//! - while disconnected nothing is asked: the reconnect resubscribes every book.

use std::time::Duration;

use depthbook_engine::StaleReason;
use depthbook_venues::InstrumentId;

use crate::backoff::Backoff;
use crate::protocol::ResyncMethod;

/// A time on a monotonic clock, in ns from an origin of the caller's choosing. Only ever
/// compared with other `Mono`s: never a wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mono(pub i64);

impl Mono {
    fn since(self, earlier: Mono) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    fn after(self, ns: i64) -> Mono {
        Mono(self.0.saturating_add(ns))
    }
}

/// A monotonic clock: [`Mono`] times from when it was made, or a virtual one that moves only
/// when told (tests of [`crate::Live`] driven without sleeping).
#[derive(Debug, Clone)]
pub struct MonoClock {
    source: ClockSource,
}

#[derive(Debug, Clone)]
enum ClockSource {
    Real(std::time::Instant),
    Virtual(std::sync::Arc<std::sync::atomic::AtomicI64>),
}

/// The hand that moves a virtual [`MonoClock`].
#[derive(Debug, Clone)]
pub struct ClockHand(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl ClockHand {
    /// Moves the clock `ns` forward.
    pub fn advance(&self, ns: i64) {
        self.0.fetch_add(ns.max(0), std::sync::atomic::Ordering::Relaxed);
    }
}

impl MonoClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self { source: ClockSource::Real(std::time::Instant::now()) }
    }

    /// A virtual clock at 0, and the hand that moves it.
    pub fn virtual_clock() -> (Self, ClockHand) {
        let time = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(0));
        (Self { source: ClockSource::Virtual(time.clone()) }, ClockHand(time))
    }

    /// Now.
    pub fn now(&self) -> Mono {
        match &self.source {
            ClockSource::Real(origin) => {
                Mono(i64::try_from(origin.elapsed().as_nanos()).unwrap_or(i64::MAX))
            }
            ClockSource::Virtual(time) => Mono(time.load(std::sync::atomic::Ordering::Relaxed)),
        }
    }
}

impl Default for MonoClock {
    fn default() -> Self {
        Self::new()
    }
}

/// What the policy asks the live loop to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The book has had no data for the watchdog interval: make it Stale (recorded as a
    /// `@watchdog` decision, so a replay repeats it). Its resync follows in the same answer.
    Watchdog(InstrumentId),
    /// Fetch a REST snapshot of the book, bridged with the buffered stream.
    Fetch(InstrumentId),
    /// Ask for the book's snapshot on the stream (HTX `req`), bridged the same way.
    Request(InstrumentId),
    /// Unsubscribe and subscribe the book again: the venue pushes a fresh snapshot.
    Resubscribe(InstrumentId),
    /// Reconnect: every book is subscribed again (asked once until the connection reopens).
    Reconnect,
    /// A resync of the book started (for the counters and the record): how, and why (`None`
    /// for a book that has not had a snapshot yet).
    Started {
        /// The book.
        book: InstrumentId,
        /// The method, in words (`rest`, `resubscribe`, `reconnect`, ...).
        how: &'static str,
        /// What made the book want a snapshot.
        why: Option<StaleReason>,
    },
}

/// The policy's settings.
#[derive(Debug, Clone, Copy)]
pub struct PolicyConfig {
    /// The venue's resync method.
    pub method: ResyncMethod,
    /// Whether REST snapshots can be fetched (a REST URL is configured).
    pub rest: bool,
    /// Silence after which a Live book is made Stale; `None` turns the watchdog off.
    pub watchdog: Option<Duration>,
    /// A resync that has not brought the book back within this starts again.
    pub resync_timeout: Duration,
    /// Where snapshots are asked for: a book asks this long after its subscription even
    /// without a buffered delta.
    pub first_snapshot: Duration,
    /// A book Live this long has its backoff reset.
    pub healthy: Duration,
    /// Resync backoff of each book: first step and cap.
    pub backoff: (Duration, Duration),
    /// Seed of the backoffs' jitter (tests); `None` seeds from the OS.
    pub seed: Option<u64>,
}

/// One book's resync bookkeeping.
#[derive(Debug)]
struct BookTimer {
    backoff: Backoff,
    // No resync of this book before this.
    next_allowed: Mono,
    // A resync was wanted before `next_allowed`.
    deferred: bool,
    // Since when the book has been waiting for a snapshot: the last resync, or the
    // connection's (re)subscribe. `None` while Live.
    waiting_since: Option<Mono>,
    // Since when the book has been Live.
    live_since: Option<Mono>,
    // A resync was started since the connection (re)opened.
    asked: bool,
    // The last time book data for it arrived (any state).
    last_data: Option<Mono>,
    // Whether the book is Live, and if not why it is Stale (as the engine last said).
    live: bool,
    stale: Option<StaleReason>,
}

/// Why a resync starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// The engine asked for a snapshot, or a resync timed out.
    Request,
    /// The book watchdog found the stream silent.
    Watchdog,
    /// A book of a snapshot-asking venue has not asked since its subscription.
    FirstSnapshot,
}

/// The live loop's resync decisions for the books of one connection. See the module docs.
#[derive(Debug)]
pub struct ResyncPolicy {
    config: PolicyConfig,
    watchdog_ns: Option<i64>,
    resync_timeout_ns: i64,
    first_snapshot_ns: i64,
    healthy_ns: i64,
    books: Vec<BookTimer>,
    connected: bool,
    reconnect_requested: bool,
}

fn ns(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

impl ResyncPolicy {
    /// A policy for `books` books (ids `0..books`), disconnected.
    pub fn new(config: PolicyConfig, books: usize) -> Self {
        let books = (0..books)
            .map(|i| {
                let (base, cap) = config.backoff;
                let backoff = match config.seed {
                    Some(seed) => Backoff::with_seed(base, cap, seed.wrapping_add(i as u64)),
                    None => Backoff::new(base, cap),
                };
                BookTimer {
                    backoff,
                    next_allowed: Mono(i64::MIN),
                    deferred: false,
                    waiting_since: None,
                    live_since: None,
                    asked: false,
                    last_data: None,
                    live: false,
                    stale: None,
                }
            })
            .collect();
        Self {
            watchdog_ns: config.watchdog.filter(|w| !w.is_zero()).map(ns),
            resync_timeout_ns: ns(config.resync_timeout),
            first_snapshot_ns: ns(config.first_snapshot),
            healthy_ns: ns(config.healthy),
            config,
            books,
            connected: false,
            reconnect_requested: false,
        }
    }

    /// The connection opened and subscribed every book: each gets a full timeout to get its
    /// snapshot.
    pub fn on_opened(&mut self, now: Mono) {
        self.connected = true;
        self.reconnect_requested = false;
        self.restart_waits(now);
    }

    /// The connection closed: every book went Stale; the reconnect will resubscribe them.
    pub fn on_closed(&mut self, now: Mono) {
        self.connected = false;
        self.restart_waits(now);
        for book in &mut self.books {
            book.live = false;
            book.live_since = None;
        }
    }

    fn restart_waits(&mut self, now: Mono) {
        for book in &mut self.books {
            book.waiting_since = Some(now);
            book.deferred = false;
            book.asked = false;
        }
    }

    /// Book data for `book` arrived (whatever its state).
    pub fn on_data(&mut self, book: InstrumentId, now: Mono) {
        if let Some(timer) = self.books.get_mut(book as usize) {
            timer.last_data = Some(now);
        }
    }

    /// `book` went Live.
    pub fn on_live(&mut self, book: InstrumentId, now: Mono) {
        if let Some(timer) = self.books.get_mut(book as usize) {
            timer.live = true;
            timer.stale = None;
            timer.waiting_since = None;
            timer.deferred = false;
            timer.live_since = Some(now);
        }
    }

    /// `book` went Stale for `reason`.
    pub fn on_stale(&mut self, book: InstrumentId, reason: StaleReason) {
        if let Some(timer) = self.books.get_mut(book as usize) {
            timer.live = false;
            timer.stale = Some(reason);
            timer.live_since = None;
        }
    }

    /// The engine asked for a snapshot of `book` (`why`: the fault, `None` for a first one).
    pub fn on_request(
        &mut self,
        book: InstrumentId,
        why: Option<StaleReason>,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        let Some(timer) = self.books.get_mut(book as usize) else { return };
        // One request per snapshot the engine needs: only the spacing between resyncs of one
        // book applies.
        if now < timer.next_allowed {
            timer.deferred = true;
            return;
        }
        self.resync(book, why, Trigger::Request, now, out);
    }

    /// Time passed: backoff resets, the watchdog, resync timeouts and first snapshots.
    pub fn on_tick(&mut self, now: Mono, out: &mut Vec<Action>) {
        // While disconnected, the reconnect will resubscribe every book.
        if !self.connected {
            return;
        }
        for index in 0..self.books.len() {
            let book = index as InstrumentId;
            let timer = &mut self.books[index];
            if timer.live {
                let since = *timer.live_since.get_or_insert(now);
                if now.since(since) >= self.healthy_ns {
                    timer.backoff.reset();
                }
                // Within the book's resync spacing the watchdog waits too: a book that is quiet
                // by nature (an illiquid pair) is resubscribed ever less often, not in a storm.
                if let (Some(limit), Some(last)) = (self.watchdog_ns, timer.last_data)
                    && now.since(last) > limit
                    && now >= timer.next_allowed
                {
                    // Stale now, so the watchdog fires once per silence, not on every tick.
                    timer.live = false;
                    timer.stale = Some(StaleReason::Watchdog);
                    timer.live_since = None;
                    out.push(Action::Watchdog(book));
                    self.resync(book, Some(StaleReason::Watchdog), Trigger::Watchdog, now, out);
                }
                continue;
            }
            let since = *timer.waiting_since.get_or_insert(now);
            if now < timer.next_allowed {
                continue;
            }
            let timed_out = now.since(since) > self.resync_timeout_ns;
            let asks = matches!(
                self.config.method,
                ResyncMethod::RestSnapshot | ResyncMethod::StreamRequest
            );
            let first_due = asks && !timer.asked && now.since(since) >= self.first_snapshot_ns;
            if timer.deferred || timed_out || first_due {
                let why = timer.stale;
                let trigger = if timer.deferred || timed_out {
                    Trigger::Request
                } else {
                    Trigger::FirstSnapshot
                };
                self.resync(book, why, trigger, now, out);
            }
        }
    }

    /// Starts a resync of `book` by the venue's method, and spaces the next one. After the
    /// watchdog found the book's stream silent, a snapshot-asking venue resubscribes instead of
    /// asking (its first buffered delta then asks for the snapshot, which comes back as a
    /// request); a book that has not asked since its subscription only asks (its stream may
    /// just be quiet). While disconnected nothing is asked.
    fn resync(
        &mut self,
        book: InstrumentId,
        why: Option<StaleReason>,
        trigger: Trigger,
        now: Mono,
        out: &mut Vec<Action>,
    ) {
        if !self.connected {
            return;
        }
        let Some(timer) = self.books.get_mut(book as usize) else { return };
        let wait = ns(timer.backoff.next_wait());
        timer.next_allowed = now.after(wait);
        timer.waiting_since = Some(now);
        timer.deferred = false;
        timer.asked = true;
        let stream_flowing =
            timer.last_data.is_some_and(|t| now.since(t) <= self.resync_timeout_ns);
        if self.config.method == ResyncMethod::Reconnect && concerns_connection(why) {
            // One reconnect answers every book's need: it resubscribes them all.
            if !self.reconnect_requested {
                self.reconnect_requested = true;
                out.push(Action::Reconnect);
            }
            out.push(Action::Started { book, how: "reconnect", why });
            return;
        }
        let (fetch, resubscribe) = match (self.config.method, self.config.rest) {
            (ResyncMethod::RestSnapshot, true) | (ResyncMethod::StreamRequest, _) => {
                match trigger {
                    Trigger::Watchdog => (false, true),
                    Trigger::FirstSnapshot => (true, false),
                    Trigger::Request => (true, !stream_flowing),
                }
            }
            _ => (false, true),
        };
        let stream = self.config.method == ResyncMethod::StreamRequest;
        if resubscribe {
            out.push(Action::Resubscribe(book));
        }
        if fetch {
            out.push(if stream { Action::Request(book) } else { Action::Fetch(book) });
        }
        let how = match (fetch, resubscribe, stream) {
            (true, true, true) => "resubscribe+request",
            (true, false, true) => "request",
            (true, true, false) => "resubscribe+rest",
            (true, false, false) => "rest",
            _ => "resubscribe",
        };
        out.push(Action::Started { book, how, why });
    }
}

/// Whether a book's need for a snapshot concerns its whole connection, on a venue that
/// numbers the connection: a break of that numbering (every book went Stale with it). A
/// book's own checksum, a message of its own that could not be applied, its silence (the
/// connection's numbering going on shows nothing was lost on it) or a snapshot that never
/// came concern that book alone.
fn concerns_connection(why: Option<StaleReason>) -> bool {
    matches!(why, Some(StaleReason::Gap { .. } | StaleReason::Disconnect))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    const S: i64 = 1_000 * MS;

    fn config(method: ResyncMethod) -> PolicyConfig {
        PolicyConfig {
            method,
            rest: method == ResyncMethod::RestSnapshot,
            watchdog: Some(Duration::from_secs(1)),
            resync_timeout: Duration::from_secs(15),
            first_snapshot: Duration::from_secs(2),
            healthy: Duration::from_secs(60),
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            seed: Some(7),
        }
    }

    /// A policy of `books` Live books on an open connection at `t0`.
    fn live(method: ResyncMethod, books: u32, t0: Mono) -> ResyncPolicy {
        let mut p = ResyncPolicy::new(config(method), books as usize);
        p.on_opened(t0);
        for book in 0..books {
            p.on_data(book, t0);
            p.on_live(book, t0);
        }
        p
    }

    fn ticks(p: &mut ResyncPolicy, from: Mono, to: Mono, every: i64) -> Vec<(Mono, Action)> {
        let mut out = Vec::new();
        let mut actions = Vec::new();
        let mut t = from;
        while t <= to {
            p.on_tick(t, &mut actions);
            out.extend(actions.drain(..).map(|a| (t, a)));
            t = t.after(every);
        }
        out
    }

    #[test]
    fn a_silent_live_book_fires_the_watchdog_once_and_is_resubscribed() {
        let t0 = Mono(5 * S);
        let mut p = live(ResyncMethod::Resubscribe, 2, t0);
        // Book 1 keeps getting data; book 0 falls silent.
        let mut actions = Vec::new();
        let mut fired = Vec::new();
        for k in 1..=50 {
            let now = t0.after(k * 100 * MS);
            p.on_data(1, now);
            p.on_tick(now, &mut actions);
            fired.extend(actions.drain(..).map(|a| (now, a)));
        }
        assert_eq!(
            fired,
            vec![
                (Mono(t0.0 + 1_100 * MS), Action::Watchdog(0)),
                (Mono(t0.0 + 1_100 * MS), Action::Resubscribe(0)),
                (
                    Mono(t0.0 + 1_100 * MS),
                    Action::Started {
                        book: 0,
                        how: "resubscribe",
                        why: Some(StaleReason::Watchdog)
                    }
                ),
            ],
            "one watchdog, after the interval, for the silent book only"
        );
    }

    #[test]
    fn a_book_quiet_by_nature_is_resubscribed_ever_less_often() {
        // An illiquid book: each resubscription brings a snapshot, then nothing for minutes.
        let mut p = live(ResyncMethod::Resubscribe, 1, Mono(0));
        let mut actions = Vec::new();
        let mut watchdogs = Vec::new();
        for k in 1..=1_200 {
            let now = Mono(k * 100 * MS);
            p.on_tick(now, &mut actions);
            for action in actions.drain(..) {
                if action == Action::Watchdog(0) {
                    watchdogs.push(now);
                }
                if action == Action::Resubscribe(0) {
                    // The venue answers with a snapshot at once.
                    p.on_data(0, now);
                    p.on_live(0, now);
                }
            }
        }
        // Two minutes: not one watchdog a second, but spaced by a doubling backoff.
        assert!(watchdogs.len() >= 3 && watchdogs.len() <= 12, "{watchdogs:?}");
        let gaps: Vec<i64> = watchdogs.windows(2).map(|w| w[1].since(w[0])).collect();
        assert!(gaps.last() > gaps.first(), "{gaps:?}");
    }

    #[test]
    fn requests_are_spaced_by_each_books_backoff_and_retried_after_the_timeout() {
        let t0 = Mono(0);
        let mut p = live(ResyncMethod::Resubscribe, 1, t0);
        let mut out = Vec::new();
        let gap = Some(StaleReason::Gap { expected: 2, got: 3 });
        p.on_stale(0, StaleReason::Gap { expected: 2, got: 3 });
        p.on_request(0, gap, t0, &mut out);
        assert_eq!(out[0], Action::Resubscribe(0));
        out.clear();
        // The book comes back and fails again at once: within its backoff, deferred.
        p.on_live(0, Mono(10 * MS));
        p.on_stale(0, StaleReason::ChecksumMismatch);
        p.on_request(0, Some(StaleReason::ChecksumMismatch), Mono(20 * MS), &mut out);
        assert!(out.is_empty(), "deferred within the backoff: {out:?}");
        // A tick after the backoff ran out starts it.
        let started = ticks(&mut p, Mono(30 * MS), Mono(3 * S), 10 * MS);
        assert_eq!(started.len(), 2, "{started:?}");
        assert_eq!(started[0].1, Action::Resubscribe(0));
        assert!(started[0].0 <= Mono(2 * S), "within the first two backoff steps");
        // Nothing brings it back: started again only after the resync timeout, not before.
        let again = ticks(&mut p, started[0].0.after(10 * MS), started[0].0.after(16 * S), 10 * MS);
        assert_eq!(again.len(), 2, "{again:?}");
        assert!(again[0].0.since(started[0].0) > 15 * S);
    }

    #[test]
    fn rest_venues_ask_a_quiet_books_first_snapshot_and_resubscribe_a_silent_stream() {
        let t0 = Mono(0);
        let mut p = ResyncPolicy::new(config(ResyncMethod::RestSnapshot), 1);
        p.on_opened(t0);
        // No delta buffered: the first snapshot is asked for after 2 s.
        let asked = ticks(&mut p, t0, Mono(3 * S), 100 * MS);
        assert_eq!(asked[0], (Mono(2 * S), Action::Fetch(0)));
        assert_eq!(asked[1].1, Action::Started { book: 0, how: "rest", why: None });
        assert_eq!(asked.len(), 2);
        // Live, then silent: the watchdog resubscribes (the stream is suspect), no fetch.
        p.on_data(0, Mono(3 * S));
        p.on_live(0, Mono(3 * S));
        let fired = ticks(&mut p, Mono(3 * S), Mono(5 * S), 100 * MS);
        let kinds: Vec<Action> = fired.iter().map(|(_, a)| *a).collect();
        assert_eq!(kinds[..2], [Action::Watchdog(0), Action::Resubscribe(0)]);
        // A gap after the stream was quiet past the resync timeout: resubscribed and fetched.
        let gap = StaleReason::Gap { expected: 1, got: 3 };
        let mut out = Vec::new();
        p.on_data(0, Mono(20 * S));
        p.on_live(0, Mono(20 * S));
        p.on_stale(0, gap);
        p.on_request(0, Some(gap), Mono(80 * S), &mut out);
        assert_eq!(out[..2], [Action::Resubscribe(0), Action::Fetch(0)], "{out:?}");
        // A gap while the stream flows: a REST snapshot bridges it, no resubscribe.
        let mut out = Vec::new();
        p.on_data(0, Mono(200 * S));
        p.on_live(0, Mono(200 * S));
        p.on_stale(0, gap);
        p.on_request(0, Some(gap), Mono(200 * S), &mut out);
        assert_eq!(
            out,
            vec![Action::Fetch(0), Action::Started { book: 0, how: "rest", why: Some(gap) }]
        );
    }

    #[test]
    fn connection_numbered_venues_reconnect_once_for_a_gap_and_resubscribe_one_book_for_its_own() {
        let t0 = Mono(0);
        let mut p = live(ResyncMethod::Reconnect, 3, t0);
        let mut out = Vec::new();
        let gap = StaleReason::Gap { expected: 10, got: 12 };
        for book in 0..3 {
            p.on_stale(book, gap);
            p.on_request(book, Some(gap), Mono(MS), &mut out);
        }
        let reconnects = out.iter().filter(|a| **a == Action::Reconnect).count();
        assert_eq!(reconnects, 1, "one reconnect for every book: {out:?}");
        assert!(!out.iter().any(|a| matches!(a, Action::Resubscribe(_))));
        // Reopened, Live again; one book's checksum fails: that book alone is resubscribed.
        p.on_opened(Mono(S));
        for book in 0..3 {
            p.on_live(book, Mono(S));
        }
        let mut out = Vec::new();
        p.on_stale(1, StaleReason::ChecksumMismatch);
        p.on_request(1, Some(StaleReason::ChecksumMismatch), Mono(100 * S), &mut out);
        assert_eq!(
            out,
            vec![
                Action::Resubscribe(1),
                Action::Started {
                    book: 1,
                    how: "resubscribe",
                    why: Some(StaleReason::ChecksumMismatch)
                }
            ]
        );
        // One book falls silent while the others flow: the watchdog resubscribes it alone.
        p.on_data(1, Mono(150 * S));
        p.on_live(1, Mono(150 * S));
        let mut fired = Vec::new();
        for k in 1..=30 {
            let now = Mono(200 * S + k * 100 * MS);
            p.on_data(0, now);
            p.on_data(2, now);
            p.on_tick(now, &mut fired);
        }
        assert!(fired.contains(&Action::Watchdog(1)), "{fired:?}");
        assert!(fired.contains(&Action::Resubscribe(1)), "{fired:?}");
        assert!(!fired.contains(&Action::Reconnect), "{fired:?}");
    }

    #[test]
    fn nothing_is_asked_while_disconnected() {
        let mut p = live(ResyncMethod::Resubscribe, 2, Mono(0));
        p.on_closed(Mono(S));
        let mut out = Vec::new();
        p.on_request(0, Some(StaleReason::Disconnect), Mono(2 * S), &mut out);
        assert!(out.is_empty());
        assert!(ticks(&mut p, Mono(S), Mono(100 * S), S).is_empty());
        // Reopened: every book gets a full timeout before it is resynced.
        p.on_opened(Mono(100 * S));
        let later = ticks(&mut p, Mono(100 * S), Mono(130 * S), S);
        assert_eq!(later.len(), 4, "{later:?}");
        assert_eq!(later[0].0, Mono(116 * S));
    }
}
