//! The engine and the reference reconstructor side by side over one feed, line by line: the
//! invariants every model-based test and the capture-mutation fuzz target hold the engine to.
//!
//! After every line:
//! - the views the engine published, per instrument and in order, are the reference's (the same
//!   best bid and ask), and each instrument that published has the reference's best 25 levels a
//!   side (prices and sizes compared by value; their spelling is the checksums' business);
//! - the engine announced exactly the reference's state changes (Live, or Stale with the
//!   reason the venue's rules give): a fault is detected at the first line that reveals it;
//! - the deltas each book holds buffered for a REST snapshot are as many as the reference's;
//! - no counter went backwards.
//!
//! At the end every book's state is the reference's and every Live book equals the reference's
//! level for level.
//!
//! Where the venue's rules leave the engine a choice, the reference follows the engine: of a
//! line it cannot read (not JSON, a shape the venue never sends) or that holds a number that is
//! not a valid price or size, it applies nothing, and the engine may (where its decoder could
//! tell whose message it was) make that book Stale as a bad message, dropping its buffered
//! deltas. Nothing else about such a line may differ.

use std::collections::HashMap;
use std::fmt;

use depthbook_capture::{Record, RecordKind};
use depthbook_core::decimal::NumBuf;
use depthbook_core::{Book, Side};
use depthbook_engine::{
    BookState, Engine, EngineConfig, SlowConsumer, StaleReason, Status, TopOfBook, Update,
};
use depthbook_venues::{InstrumentId, Venue};

use crate::BookLevels;
use crate::reference::{Model, Reading, RefState, Statuses, Step, Views, key};

/// Levels a side compared after each line that published.
const COMPARED_DEPTH: usize = 25;

/// Where and how the engine and the reference disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    /// 0-based index of the line after which they disagree (`usize::MAX`: at the end).
    pub line: usize,
    /// What differs.
    pub what: String,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}

/// What a run compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Compared {
    /// Lines fed.
    pub lines: usize,
    /// Views compared.
    pub views: usize,
    /// Stale transitions seen (both sides agreeing).
    pub stale: usize,
    /// Live transitions seen.
    pub live: usize,
    /// Lines the reference rejected.
    pub rejected: usize,
}

/// Feeds `lines` (one capture file) to a fresh engine of `venue` with its default
/// configuration and to the reference, and checks the invariants above.
///
/// # Panics
/// If the reference does not cover `venue` ([`Model::covers`]).
pub fn check_against_reference(venue: Venue, lines: &[Vec<u8>]) -> Result<Compared, Divergence> {
    let mut run = Run::new(Engine::new(EngineConfig::new(venue)), Model::new(venue));
    run.lines(lines, 0, usize::MAX, &Readings::default(), |_, _, _| {})?;
    run.finish()
}

/// The reference's readings of a feed's lines ([`Model::read_alone`]), by the address and
/// length of the line's bytes, so that a faulty copy that borrows the line reads it without
/// parsing it again (JSON parsing was a sixth of the fuzz target's time).
///
/// Sound while the feed's buffers are alive and unchanged: a non-empty slice at a live buffer's
/// address and of its length can only be that buffer, as live allocations do not overlap.
#[derive(Debug, Default)]
struct Readings(HashMap<(usize, usize), Reading>);

impl Readings {
    fn new(venue: Venue, lines: &[Vec<u8>]) -> Self {
        let read = |line: &Vec<u8>| Some((address(line)?, Model::read_alone(venue, line)?));
        Self(lines.iter().filter_map(read).collect())
    }

    fn of(&self, line: &[u8]) -> Option<&Reading> {
        self.0.get(&address(line)?)
    }
}

/// A non-empty slice's address and length; `None` for an empty one, whose address is no
/// allocation's.
fn address(line: &[u8]) -> Option<(usize, usize)> {
    (!line.is_empty()).then(|| (line.as_ptr().addr(), line.len()))
}

/// The engine's and the reference's state before every `every`-th line of a clean feed, taken
/// while the whole feed is checked. A faulty copy of the feed agrees with it up to its first
/// fault, so its check can start from the last checkpoint before that fault (a fork of the
/// engine there, a copy of the reference) instead of the first line: the lines before it were
/// judged by the clean check. The fuzz target's runs then cost the lines around their faults,
/// not the whole feed.
#[derive(Debug)]
pub struct Checkpoints {
    /// Never changed: [`Readings`] holds its buffers' addresses.
    clean: Vec<Vec<u8>>,
    readings: Readings,
    every: usize,
    /// `points[k]`: the engine (without consumers) and the reference after lines
    /// `0..k * every`.
    points: Vec<(Engine, Model)>,
}

impl Checkpoints {
    /// Checks `clean` as [`check_against_reference`] does, keeping both sides' state every
    /// `every` lines (at least 1).
    ///
    /// # Errors
    /// The clean feed's own divergence, if any.
    ///
    /// # Panics
    /// If the reference does not cover `venue` ([`Model::covers`]).
    pub fn new(venue: Venue, clean: Vec<Vec<u8>>, every: usize) -> Result<Self, Divergence> {
        let every = every.max(1);
        let mut points = Vec::new();
        let readings = Readings::new(venue, &clean);
        let mut run = Run::new(Engine::new(EngineConfig::new(venue)), Model::new(venue));
        run.lines(&clean, 0, usize::MAX, &readings, |i, engine, model| {
            while points.len() * every <= i {
                points.push((engine.fork(), model.clone()));
            }
        })?;
        run.finish()?;
        if points.is_empty() {
            points.push((Engine::new(EngineConfig::new(venue)), Model::new(venue)));
        }
        Ok(Self { clean, readings, every, points })
    }

    /// The clean feed.
    pub fn clean(&self) -> &[Vec<u8>] {
        &self.clean
    }

    /// The engine that has replayed the clean feed through line `upto` (0-based), from the
    /// last checkpoint at or before it: what [`crate::mutate::mutate_with`] takes healing
    /// snapshots from.
    pub fn engine_after(&self, upto: usize) -> Engine {
        let upto = upto.min(self.clean.len().saturating_sub(1));
        let k = ((upto + 1) / self.every).min(self.points.len() - 1);
        let mut engine = self.points[k].0.fork();
        crate::replay_into(&mut engine, &self.clean[k * self.every..=upto]);
        engine
    }

    /// Checks `faulty`, a copy of the clean feed with faults in it, as
    /// [`check_against_reference`] does, over its lines from the last checkpoint at or before
    /// the first line that differs from the clean feed to `tail` lines after the last one that
    /// differs (the end-of-feed checks then hold there). A copy without a fault is checked from
    /// the last checkpoint.
    ///
    /// # Errors
    /// The first divergence.
    pub fn check<L: AsRef<[u8]>>(&self, faulty: &[L], tail: usize) -> Result<Compared, Divergence> {
        let clean = &self.clean;
        // Lines left as they were are mostly the clean feed's own (borrowed): same address.
        let same = |(f, c): &(&L, &Vec<u8>)| {
            let f = f.as_ref();
            std::ptr::eq(f, c.as_slice()) || f == c.as_slice()
        };
        let first = faulty.iter().zip(clean).take_while(same).count();
        let same_end =
            faulty[first..].iter().rev().zip(clean[first..].iter().rev()).take_while(same).count();
        let last = faulty.len() - same_end;
        let k = (first / self.every).min(self.points.len() - 1);
        let (engine, model) = &self.points[k];
        let mut run = Run::new(engine.fork(), model.clone());
        let until = last.saturating_add(tail);
        run.lines(faulty, k * self.every, until, &self.readings, |_, _, _| {})?;
        run.finish()
    }
}

/// The engine and the reference fed the same lines, and what has been compared.
struct Run {
    engine: Engine,
    rx: crossbeam_channel::Receiver<Update>,
    model: Model,
    compared: Compared,
    max_line: usize,
}

impl Run {
    /// A run from this engine's and this reference's state (both having read the same lines).
    fn new(mut engine: Engine, model: Model) -> Self {
        let max_line = EngineConfig::new(engine.venue()).limits.max_frame_bytes + 1;
        // Drained after every line, which publishes a few updates per message at most.
        let rx = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
        Self { engine, rx, model, compared: Compared::default(), max_line }
    }

    /// Feeds `lines[from..until]` through the capture reader to both sides, checking each
    /// line (the reference reading a line of `readings` from there); `before_line(i, engine,
    /// model)` sees both before line `i`. Both must have read `lines[..from]`. The reader reads
    /// each line on its own but for receive times carried over from the line before, which only
    /// stamp views (not compared), so starting it at `from` changes nothing that is checked.
    fn lines<L: AsRef<[u8]>>(
        &mut self,
        lines: &[L],
        from: usize,
        until: usize,
        readings: &Readings,
        mut before_line: impl FnMut(usize, &Engine, &Model),
    ) -> Result<(), Divergence> {
        let part = &lines[from.min(lines.len())..until.min(lines.len())];
        let mut reader = crate::capture_reader(&[part], self.max_line)
            .map_err(|e| Divergence { line: from, what: format!("capture reader: {e}") })?;
        loop {
            let record = match reader.next() {
                Ok(Some(record)) => record,
                Ok(None) => return Ok(()),
                Err(e) => {
                    let line = from + self.compared.lines;
                    return Err(Divergence { line, what: format!("read: {e}") });
                }
            };
            let i = from.saturating_add(
                usize::try_from(record.line).unwrap_or(usize::MAX).saturating_sub(1),
            );
            before_line(i, &self.engine, &self.model);
            let line = lines[i].as_ref();
            self.line(&record, line, readings.of(line))
                .map_err(|what| Divergence { line: i, what })?;
        }
    }

    /// Feeds one record to both and checks the invariants that hold after every line.
    fn line(
        &mut self,
        record: &Record<'_>,
        line: &[u8],
        reading: Option<&Reading>,
    ) -> Result<(), String> {
        let (engine, model, compared) = (&mut self.engine, &mut self.model, &mut self.compared);
        let counters = *engine.counters();
        let before: Vec<(BookState, usize)> = (0..engine.n_instruments() as InstrumentId)
            .map(|id| {
                (
                    engine.state(id).unwrap_or(BookState::AwaitingSnapshot),
                    engine.buffered_deltas(id),
                )
            })
            .collect();
        depthbook_capture::feed(engine, record);
        let (views, statuses) = drain(engine, &self.rx);
        let mut step = match record.kind {
            RecordKind::Frame(_) | RecordKind::Rest { .. } => model.step_read(line, reading),
            RecordKind::Disconnect => {
                let mut step = Step::default();
                model.disconnect(&mut step);
                step
            }
            RecordKind::Watchdog { .. } | RecordKind::Skip => Step::default(),
        };
        if let Some(whose) = step.rejected.clone() {
            compared.rejected += 1;
            follow_rejection(engine, model, &before, whose.as_deref(), &mut step)?;
        }
        compared.lines += 1;
        compared.views += views.len();
        if views != step.views {
            return Err(format!("views: engine {views:?}, reference {:?}", step.views));
        }
        // Across instruments, the order of one line's state changes is not specified (a lost
        // Bitfinex frame makes every book Stale at once): compared by symbol, in order within one.
        let (mut statuses, mut want) = (statuses, step.statuses);
        statuses.sort_by(|a, b| a.0.cmp(&b.0));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        if statuses != want {
            return Err(format!("states: engine {statuses:?}, reference {want:?}"));
        }
        for (_, state) in &statuses {
            match state {
                RefState::Live => compared.live += 1,
                _ => compared.stale += 1,
            }
        }
        if let Some(name) = engine.counters().went_backwards_from(&counters) {
            return Err(format!("counter {name} went backwards"));
        }
        for symbol in model.symbols() {
            let id = engine.instrument(symbol);
            let engine_buffered = id.map_or(0, |id| engine.buffered_deltas(id));
            if engine_buffered != model.buffered(symbol) {
                return Err(format!(
                    "{symbol}: {engine_buffered} deltas buffered, the reference has {}",
                    model.buffered(symbol)
                ));
            }
        }
        for symbol in views.iter().map(|v| &v.0) {
            compare_books(engine, model, symbol, COMPARED_DEPTH)?;
        }
        Ok(())
    }

    /// The end-of-feed checks: every book's state is the reference's and every Live book
    /// equals the reference's level for level.
    fn finish(self) -> Result<Compared, Divergence> {
        let (engine, model) = (&self.engine, &self.model);
        let fail = |what: String| Divergence { line: usize::MAX, what };
        for id in 0..engine.n_instruments() as InstrumentId {
            let symbol = engine.symbol(id);
            let want = model.state(symbol).unwrap_or(RefState::Awaiting);
            let got = to_ref_state(engine.state(id).unwrap_or(BookState::AwaitingSnapshot));
            if got != want {
                return Err(fail(format!("{symbol}: engine {got:?}, reference {want:?}")));
            }
            if got == RefState::Live {
                compare_books(engine, model, symbol, usize::MAX).map_err(fail)?;
            }
        }
        Ok(self.compared)
    }
}

/// The engine's views and state changes since the last call, by symbol.
fn drain(engine: &Engine, rx: &crossbeam_channel::Receiver<Update>) -> (Views, Statuses) {
    let (mut views, mut statuses) = (Vec::new(), Vec::new());
    for update in rx.try_iter() {
        match update {
            Update::Book(TopOfBook { instrument, bid, ask, .. }) => {
                views.push((engine.symbol(instrument).to_owned(), (bid, ask)));
            }
            Update::Status(event) => {
                let state = match event.status {
                    Status::Live => RefState::Live,
                    Status::Stale(reason) => RefState::Stale(reason),
                };
                statuses.push((engine.symbol(event.instrument).to_owned(), state));
            }
        }
    }
    (views, statuses)
}

fn to_ref_state(state: BookState) -> RefState {
    match state {
        BookState::AwaitingSnapshot => RefState::Awaiting,
        BookState::Live => RefState::Live,
        BookState::Stale(reason) => RefState::Stale(reason),
    }
}

/// Mirrors into the reference what the engine did with a line the reference rejected: which
/// books it made Stale as bad messages and which dropped their buffered deltas. Fails if the
/// engine did anything else with it. Books whose state the reference itself changed on the line
/// are left to the comparison of states (a Bitfinex frame's SEQ_ALL reveals a lost frame before
/// its bad number rejects it: every Live book is Stale by the gap, not by the bad message).
fn follow_rejection(
    engine: &Engine,
    model: &mut Model,
    before: &[(BookState, usize)],
    whose: Option<&str>,
    step: &mut Step,
) -> Result<(), String> {
    for id in 0..engine.n_instruments() as InstrumentId {
        let symbol = engine.symbol(id);
        let (state, buffered) =
            before.get(id as usize).copied().unwrap_or((BookState::AwaitingSnapshot, 0));
        let now = engine.state(id).unwrap_or(BookState::AwaitingSnapshot);
        let went_stale = state.is_live() && !now.is_live();
        let dropped = buffered > 0 && engine.buffered_deltas(id) == 0;
        let judged = step.statuses.iter().any(|(s, _)| s == symbol);
        if judged || (!went_stale && !dropped) {
            continue;
        }
        if went_stale && now != BookState::Stale(StaleReason::BadMessage) {
            return Err(format!("{symbol}: {now:?} on a rejected line"));
        }
        if whose.is_some_and(|w| w != symbol) {
            return Err(format!("{symbol}: changed by a rejected message of {whose:?}"));
        }
        model.reject(symbol, step);
    }
    Ok(())
}

/// The engine's and the reference's best `depth` levels a side of `symbol` must hold the same
/// prices and sizes (compared by value: the engine renders `1.1e-7` as `0.00000011`; the
/// spelling checksums need is judged by the venues' checksums themselves).
fn compare_books(engine: &Engine, model: &Model, symbol: &str, depth: usize) -> Result<(), String> {
    let book = engine.instrument(symbol).and_then(|id| engine.book(id));
    let (Some(book), Some(reference)) = (book, model.book(symbol)) else {
        return Err(format!("{symbol}: no book on one side"));
    };
    let same = |side: Side, want: &mut dyn Iterator<Item = &(String, String)>| {
        let (mut buf, mut got) = (NumBuf::new(), book.side(side).iter().take(depth));
        loop {
            match (got.next(), want.next()) {
                (None, None) => return true,
                (Some(level), Some((p, q))) => {
                    let equal = |text: &[u8], want: &str| {
                        // The same text is the same value; only differing spellings need parsing.
                        text == want.as_bytes()
                            || std::str::from_utf8(text)
                                .ok()
                                .and_then(key)
                                .is_some_and(|k| key(want) == Some(k))
                    };
                    if !equal(level.price.write_text(level.text.price, &mut buf), p)
                        || !equal(level.qty.write_text(level.text.qty, &mut buf), q)
                    {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    };
    let bids_same = same(Side::Bid, &mut reference.best_bids().take(depth).map(|l| l.1));
    if bids_same && same(Side::Ask, &mut reference.best_asks().take(depth).map(|l| l.1)) {
        return Ok(());
    }
    let (got, want) = (spelled_levels(book, depth), reference.levels(depth));
    Err(format!("{symbol}: book\n  engine    {got:?}\n  reference {want:?}"))
}

/// A book's best `n` levels a side in the venue's own spelling, best first.
pub fn spelled_levels(book: &Book, n: usize) -> BookLevels {
    (crate::spelled_best(book, Side::Bid, n), crate::spelled_best(book, Side::Ask, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::REFERENCE_FEEDS;

    /// A check from a checkpoint compares from there: with the reference's state at one
    /// checkpoint replaced by a fresh reference's, the engine's first view after it diverges.
    #[test]
    fn a_check_from_a_checkpoint_compares_from_there() {
        let feed = &REFERENCE_FEEDS[2]; // OKX: views from the first line
        let mut clean = (feed.load)();
        clean.truncate(120);
        let mut checkpoints = Checkpoints::new(feed.venue, clean, 8).unwrap();
        let faulty: Vec<Vec<u8>> = checkpoints.clean().to_vec();
        assert!(checkpoints.check(&faulty, usize::MAX).is_ok());
        let k = checkpoints.points.len() / 2;
        checkpoints.points[k].1 = Model::new(feed.venue);
        // A faulty copy whose first fault is in checkpoint k's stretch starts there.
        let mut faulty = faulty;
        faulty.insert(k * 8 + 1, faulty[k * 8 + 1].clone());
        let divergence = checkpoints.check(&faulty, usize::MAX).unwrap_err();
        assert!(divergence.line >= k * 8, "{divergence}");
        assert!(divergence.line < k * 8 + 8, "at the first line that publishes: {divergence}");
    }

    /// The reference reads a line borrowed from the clean feed from its reading, and any other
    /// (a copy, a shorter borrow) afresh; a line's reading steps the reference as the line does.
    #[test]
    fn readings_serve_the_clean_lines_only_and_step_as_their_lines() {
        for feed in REFERENCE_FEEDS.iter() {
            let mut clean = (feed.load)();
            clean.truncate(60);
            let readings = Readings::new(feed.venue, &clean);
            let (mut fresh, mut memo) = (Model::new(feed.venue), Model::new(feed.venue));
            for line in &clean {
                let reading = readings.of(line);
                let readable = feed.venue != Venue::Bitfinex && !line.is_empty();
                assert_eq!(reading.is_some(), readable, "{}", feed.name);
                assert!(readings.of(&line.clone()).is_none());
                assert!(readings.of(&line[..line.len().saturating_sub(1)]).is_none());
                assert_eq!(memo.step_read(line, reading), fresh.step(line), "{}", feed.name);
            }
        }
    }
}
