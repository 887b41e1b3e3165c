//! The reference reconstructor: every instrument of one venue's feed, book and sync state, by
//! the venue's documented rules, in the simplest code that states them. Tests and the fuzz
//! targets run it beside the engine and compare what each says after every line.

use std::collections::BTreeMap;

use depthbook_engine::StaleReason;
use depthbook_venues::Venue;

use super::book::{RefBook, Top};
use super::kraken::{self, PairMeta};
use super::messages::{Frame, Msg, Unreadable, parse, payload};
use super::rules::{Verdict, precedes_snapshot, rest_snapshots, verdict};
use super::{bitfinex, coinbase};

/// Most deltas buffered per book while it awaits a REST snapshot (the newest are kept), as the
/// engine's default configuration has it.
pub const MAX_BUFFERED: usize = 4_096;

/// An instrument's sync state, as design.md's table has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefState {
    /// Never trusted yet.
    Awaiting,
    /// Consistent with the venue.
    Live,
    /// Was Live; no longer trusted, for this reason.
    Stale(StaleReason),
}

/// One instrument.
#[derive(Debug, Clone)]
struct Instrument {
    state: RefState,
    book: RefBook,
    /// Last update id applied (or of the snapshot).
    last: Option<i64>,
    /// A delta was applied since the last snapshot.
    bridged: bool,
    /// Deltas awaiting a REST snapshot, oldest first.
    buffered: Vec<Msg>,
}

impl Default for Instrument {
    fn default() -> Self {
        Self {
            state: RefState::Awaiting,
            book: RefBook::default(),
            last: None,
            bridged: false,
            buffered: Vec::new(),
        }
    }
}

/// Views published, in order: (symbol, top of book).
pub type Views = Vec<(String, Top)>;

/// State changes announced, in order: (symbol, new state).
pub type Statuses = Vec<(String, RefState)>;

/// What one line did, by the reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    /// Views published.
    pub views: Views,
    /// State changes announced.
    pub statuses: Statuses,
    /// The line could not be read ([`Unreadable`]), or held a book message with a number that
    /// is not a valid price or size (`Some(symbol)` names it). The reference applies nothing of
    /// such a line: whether the engine makes a book Stale for it is the engine's choice, which
    /// the caller mirrors with [`Model::reject`].
    pub rejected: Option<Option<String>>,
}

/// What a capture line says read on its own ([`Model::read_alone`]): its book messages (or that
/// it cannot be read) and the Kraken v2 pair metadata it announces.
#[derive(Debug, Clone)]
pub struct Reading {
    frame: Result<Frame, Unreadable>,
    kraken: Vec<(String, PairMeta)>,
}

/// The reference reconstructor of one venue's feed.
#[derive(Debug, Clone)]
pub struct Model {
    venue: Venue,
    instruments: BTreeMap<String, Instrument>,
    /// Bitfinex: the connection's channels and flags.
    bitfinex: bitfinex::Session,
    /// The last connection-wide sequence number (Bitfinex SEQ_ALL, Coinbase `sequence_num`).
    conn_last: Option<i64>,
    /// Kraken v2: each pair's depth and precisions, as the feed announced them.
    kraken: BTreeMap<String, PairMeta>,
    /// The channel each symbol's plain name belongs to (and whether it is top-of-book): the
    /// first to send it, a top-of-book one giving way to the first other; a message of another
    /// channel is the book `{symbol}@{channel}`.
    claims: BTreeMap<String, (String, bool)>,
}

impl Model {
    /// A model of `venue` with no instrument yet.
    ///
    /// # Panics
    /// If the reference does not know `venue`'s rules (see [`Model::covers`]).
    pub fn new(venue: Venue) -> Self {
        assert!(Self::covers(venue), "{venue}: no reference rules");
        Self {
            venue,
            instruments: BTreeMap::new(),
            bitfinex: bitfinex::Session::default(),
            conn_last: None,
            kraken: BTreeMap::new(),
            claims: BTreeMap::new(),
        }
    }

    /// Whether the reference knows `venue`'s message shapes and rules.
    pub fn covers(venue: Venue) -> bool {
        matches!(
            venue,
            Venue::BinanceSpot
                | Venue::BinanceUsdm
                | Venue::Okx
                | Venue::Kraken
                | Venue::KrakenV1
                | Venue::GateIo
                | Venue::Bitget
                | Venue::Deribit
                | Venue::Bitfinex
                | Venue::Coinbase
                | Venue::Bybit
        )
    }

    /// Symbols seen so far.
    pub fn symbols(&self) -> impl Iterator<Item = &str> {
        self.instruments.keys().map(String::as_str)
    }

    /// The state of `symbol`'s book.
    pub fn state(&self, symbol: &str) -> Option<RefState> {
        self.instruments.get(symbol).map(|i| i.state)
    }

    /// The book of `symbol`.
    pub fn book(&self, symbol: &str) -> Option<&RefBook> {
        self.instruments.get(symbol).map(|i| &i.book)
    }

    /// Deltas buffered for `symbol`.
    pub fn buffered(&self, symbol: &str) -> usize {
        self.instruments.get(symbol).map_or(0, |i| i.buffered.len())
    }

    /// Processes one capture line.
    pub fn step(&mut self, line: &[u8]) -> Step {
        self.step_read(line, None)
    }

    /// Reads `line` on its own, as [`Model::step`] would: `None` for a venue whose lines read
    /// against what the connection said before (Bitfinex's channel numbers). A caller that
    /// steps many models over the same lines reads each once and passes the reading to
    /// [`Model::step_read`].
    pub fn read_alone(venue: Venue, line: &[u8]) -> Option<Reading> {
        let plain = |frame| Reading { frame, kraken: Vec::new() };
        let body = || payload(line).map(|(_, body)| body);
        Some(match venue {
            Venue::Bitfinex => return None,
            Venue::Kraken => match body().map(kraken::read) {
                None => plain(Ok(Frame::default())),
                Some(Some((frame, kraken))) => Reading { frame: Ok(frame), kraken },
                Some(None) => plain(Err(Unreadable)),
            },
            Venue::Coinbase => plain(
                body().map_or(Ok(Frame::default()), |body| coinbase::read(body).ok_or(Unreadable)),
            ),
            _ => plain(parse(venue, line).map(|msgs| Frame { msgs, ..Frame::default() })),
        })
    }

    /// Names `m`'s book by its channel (see `claims`).
    fn name_by_channel(&mut self, m: &mut Msg) {
        let Some((channel, top)) = m.channel.clone() else { return };
        match self.claims.get(&m.symbol) {
            Some((held, _)) if *held == channel => {}
            Some((_, held_top)) if !*held_top || top => {
                m.symbol = format!("{}@{channel}", m.symbol);
            }
            _ => {
                self.claims.insert(m.symbol.clone(), (channel, top));
            }
        }
    }

    /// [`Model::step`] of `line`, given its [`Model::read_alone`] reading if the caller has it
    /// (it must be this line's, of this model's venue).
    pub fn step_read(&mut self, line: &[u8], reading: Option<&Reading>) -> Step {
        let mut step = Step::default();
        let mut frame = match self.read(line, reading) {
            Ok(frame) => frame,
            Err(Unreadable) => {
                step.rejected = Some(None);
                return step;
            }
        };
        // A frame's connection-wide number is checked before its messages are read.
        if let Some(seq) = frame.conn_seq {
            self.on_conn_seq(seq, &mut step);
        }
        if frame.broken {
            step.rejected = Some(None);
            return step;
        }
        for m in &mut frame.msgs {
            self.name_by_channel(m);
        }
        // A frame with one bad number is rejected whole.
        if let Some(bad) = frame.msgs.iter().find(|m| !m.valid()) {
            step.rejected = Some(Some(bad.symbol.clone()));
            return step;
        }
        for mut m in frame.msgs {
            self.instruments.entry(m.symbol.clone()).or_default();
            if self.venue == Venue::Kraken {
                let depth = self.kraken.get(&m.symbol).and_then(|meta| meta.depth);
                m.depth = Some(depth.unwrap_or(kraken::DEFAULT_DEPTH));
            }
            if m.snapshot {
                self.on_snapshot(&m, &mut step);
            } else {
                self.on_delta(m, &mut step);
            }
        }
        step
    }

    fn read(&mut self, line: &[u8], reading: Option<&Reading>) -> Result<Frame, Unreadable> {
        let Some(reading) = reading.cloned().or_else(|| Self::read_alone(self.venue, line)) else {
            // Bitfinex: book frames name the channels subscribed before.
            let Some((_, body)) = payload(line) else { return Ok(Frame::default()) };
            return self.bitfinex.read(body).ok_or(Unreadable);
        };
        for (symbol, announced) in reading.kraken {
            let known = self.kraken.entry(symbol).or_default();
            known.depth = announced.depth.or(known.depth);
            known.precision = announced.precision.or(known.precision);
        }
        reading.frame
    }

    /// A connection-wide number that does not follow the last one: a frame was lost, and it
    /// could have been any book's, so every Live book turns Stale.
    fn on_conn_seq(&mut self, seq: i64, step: &mut Step) {
        if let Some(last) = self.conn_last
            && seq != last.saturating_add(1)
        {
            let reason = StaleReason::Gap { expected: last.saturating_add(1), got: seq };
            let symbols: Vec<String> = self.instruments.keys().cloned().collect();
            for symbol in symbols {
                self.go_stale(&symbol, reason, step);
            }
        }
        self.conn_last = Some(seq);
    }

    /// Mirrors what the engine did with a rejected line for `symbol`: made its book Stale (the
    /// message was recognised as this instrument's), and dropped its buffered deltas.
    pub fn reject(&mut self, symbol: &str, step: &mut Step) {
        let inst = self.instruments.entry(symbol.to_owned()).or_default();
        inst.buffered.clear();
        if inst.state == RefState::Live {
            self.go_stale(symbol, StaleReason::BadMessage, step);
        }
    }

    /// The connection was interrupted: every Live book turns Stale.
    pub fn disconnect(&mut self, step: &mut Step) {
        self.conn_last = None;
        let symbols: Vec<String> = self.instruments.keys().cloned().collect();
        for symbol in symbols {
            self.go_stale(&symbol, StaleReason::Disconnect, step);
        }
    }

    fn on_snapshot(&mut self, m: &Msg, step: &mut Step) {
        let venue = self.venue;
        let rest = rest_snapshots(venue);
        let Some(inst) = self.instruments.get_mut(&m.symbol) else { return };
        // A REST snapshot no newer than a Live book tells nothing.
        if rest
            && inst.state == RefState::Live
            && let (Some(book_at), Some(snap_at)) = (inst.last, m.last)
            && snap_at <= book_at
        {
            return;
        }
        inst.book = RefBook::default();
        inst.book.apply(m);
        inst.last = m.last;
        inst.bridged = false;
        let buffered = std::mem::take(&mut inst.buffered);
        let mut broken = None;
        for b in buffered.iter().filter(|_| rest) {
            if m.last.is_some_and(|at| precedes_snapshot(venue, at, b)) {
                continue;
            }
            match verdict(venue, inst.last, inst.bridged, b) {
                Verdict::Skip => {}
                Verdict::Apply => {
                    inst.book.apply(b);
                    inst.last = b.last.or(inst.last);
                    inst.bridged = true;
                }
                Verdict::Gap { expected, got } => {
                    broken = Some(StaleReason::Gap { expected, got });
                    break;
                }
            }
        }
        if let Some(reason) = broken {
            self.go_stale(&m.symbol, reason, step);
            return;
        }
        if !self.checksum_holds(m, step) {
            return;
        }
        let Some(inst) = self.instruments.get_mut(&m.symbol) else { return };
        if inst.state != RefState::Live {
            inst.state = RefState::Live;
            step.statuses.push((m.symbol.clone(), RefState::Live));
        }
        step.views.push((m.symbol.clone(), inst.book.top()));
    }

    fn on_delta(&mut self, m: Msg, step: &mut Step) {
        let venue = self.venue;
        let rest = rest_snapshots(venue);
        let Some(inst) = self.instruments.get_mut(&m.symbol) else { return };
        if inst.state != RefState::Live {
            if rest {
                if inst.buffered.len() == MAX_BUFFERED {
                    inst.buffered.remove(0);
                }
                inst.buffered.push(m);
            }
            return;
        }
        match verdict(venue, inst.last, inst.bridged, &m) {
            Verdict::Skip => {}
            Verdict::Gap { expected, got } => {
                self.go_stale(&m.symbol, StaleReason::Gap { expected, got }, step);
                if rest && let Some(inst) = self.instruments.get_mut(&m.symbol) {
                    inst.buffered.push(m);
                }
            }
            Verdict::Apply => {
                inst.book.apply(&m);
                inst.last = m.last.or(inst.last);
                inst.bridged = true;
                if self.checksum_holds(&m, step) && m.n_levels() > 0 {
                    let top = self.instruments.get(&m.symbol).map(|i| i.book.top());
                    step.views.extend(top.map(|top| (m.symbol.clone(), top)));
                }
            }
        }
    }

    /// Verifies `m`'s checksum (if it carries one) against its book; a mismatch makes the book
    /// Stale.
    fn checksum_holds(&mut self, m: &Msg, step: &mut Step) -> bool {
        let Some(expected) = m.checksum else { return true };
        let Some(inst) = self.instruments.get(&m.symbol) else { return true };
        let actual = match self.venue {
            Venue::Okx | Venue::Bitget => inst.book.okx_checksum(),
            Venue::Kraken => {
                let precision = self.kraken.get(&m.symbol).and_then(|meta| meta.precision);
                inst.book.kraken_v2_checksum(precision)
            }
            _ => inst.book.kraken_checksum(),
        };
        if actual == expected {
            return true;
        }
        self.go_stale(&m.symbol, StaleReason::ChecksumMismatch, step);
        false
    }

    /// The book is no longer trusted: buffered deltas go, and a Live book turns Stale (a book
    /// not Live keeps its state).
    fn go_stale(&mut self, symbol: &str, reason: StaleReason, step: &mut Step) {
        let Some(inst) = self.instruments.get_mut(symbol) else { return };
        inst.buffered.clear();
        if inst.state == RefState::Live {
            inst.state = RefState::Stale(reason);
            step.statuses.push((symbol.to_owned(), RefState::Stale(reason)));
        }
    }
}
