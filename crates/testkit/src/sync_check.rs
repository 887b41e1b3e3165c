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

use std::fmt;

use depthbook_capture::RecordKind;
use depthbook_core::{Book, Side};
use depthbook_engine::{
    BookState, Engine, EngineConfig, SlowConsumer, StaleReason, Status, TopOfBook, Update,
};
use depthbook_venues::{InstrumentId, Venue};

use crate::BookLevels;
use crate::reference::{Model, RefState, Statuses, Step, Views, key};

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
    let config = EngineConfig::new(venue);
    let max_line = config.limits.max_frame_bytes + 1;
    let mut engine = Engine::new(config);
    // Drained after every line, which publishes a few updates per message at most.
    let rx = engine.subscribe(1 << 12, SlowConsumer::DropNewest);
    let mut model = Model::new(venue);
    let mut compared = Compared::default();
    let mut reader = crate::capture_reader(&[lines], max_line)
        .map_err(|e| Divergence { line: 0, what: format!("capture reader: {e}") })?;
    loop {
        let record = match reader.next() {
            Ok(Some(record)) => record,
            Ok(None) => break,
            Err(e) => return Err(Divergence { line: compared.lines, what: format!("read: {e}") }),
        };
        let i = usize::try_from(record.line).unwrap_or(usize::MAX).saturating_sub(1);
        let fail = |what: String| Divergence { line: i, what };
        let counters = *engine.counters();
        let before: Vec<(BookState, usize)> = (0..engine.n_instruments() as InstrumentId)
            .map(|id| {
                (
                    engine.state(id).unwrap_or(BookState::AwaitingSnapshot),
                    engine.buffered_deltas(id),
                )
            })
            .collect();
        depthbook_capture::feed(&mut engine, &record);
        let (views, statuses) = drain(&engine, &rx);
        let mut step = match record.kind {
            RecordKind::Frame(_) | RecordKind::Rest { .. } => model.step(&lines[i]),
            RecordKind::Disconnect => {
                let mut step = Step::default();
                model.disconnect(&mut step);
                step
            }
            RecordKind::Watchdog { .. } | RecordKind::Skip => Step::default(),
        };
        if let Some(whose) = step.rejected.clone() {
            compared.rejected += 1;
            follow_rejection(&engine, &mut model, &before, whose.as_deref(), &mut step)
                .map_err(fail)?;
        }
        compared.lines += 1;
        compared.views += views.len();
        if views != step.views {
            return Err(fail(format!("views: engine {views:?}, reference {:?}", step.views)));
        }
        // Across instruments, the order of one line's state changes is not specified (a lost
        // Bitfinex frame makes every book Stale at once): compared by symbol, in order within one.
        let (mut statuses, mut want) = (statuses, step.statuses.clone());
        statuses.sort_by(|a, b| a.0.cmp(&b.0));
        want.sort_by(|a, b| a.0.cmp(&b.0));
        if statuses != want {
            return Err(fail(format!("states: engine {statuses:?}, reference {want:?}")));
        }
        for (_, state) in &statuses {
            match state {
                RefState::Live => compared.live += 1,
                _ => compared.stale += 1,
            }
        }
        if let Some(name) = engine.counters().went_backwards_from(&counters) {
            return Err(fail(format!("counter {name} went backwards")));
        }
        for symbol in model.symbols() {
            let id = engine.instrument(symbol);
            let engine_buffered = id.map_or(0, |id| engine.buffered_deltas(id));
            if engine_buffered != model.buffered(symbol) {
                return Err(fail(format!(
                    "{symbol}: {engine_buffered} deltas buffered, the reference has {}",
                    model.buffered(symbol)
                )));
            }
        }
        for symbol in views.iter().map(|v| &v.0) {
            compare_books(&engine, &model, symbol, COMPARED_DEPTH).map_err(fail)?;
        }
    }
    let fail = |what: String| Divergence { line: usize::MAX, what };
    for id in 0..engine.n_instruments() as InstrumentId {
        let symbol = engine.symbol(id);
        let want = model.state(symbol).unwrap_or(RefState::Awaiting);
        let got = to_ref_state(engine.state(id).unwrap_or(BookState::AwaitingSnapshot));
        if got != want {
            return Err(fail(format!("{symbol}: engine {got:?}, reference {want:?}")));
        }
        if got == RefState::Live {
            compare_books(&engine, &model, symbol, usize::MAX).map_err(fail)?;
        }
    }
    Ok(compared)
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
/// engine did anything else with it.
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
        if !went_stale && !dropped {
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
    let got = spelled_levels(book, depth);
    let want = reference.levels(depth);
    if got == want {
        // The same text is the same value; only differing spellings need parsing.
        return Ok(());
    }
    let values = |side: &[(String, String)]| -> Vec<(Option<u128>, Option<u128>)> {
        side.iter().map(|(p, q)| (key(p), key(q))).collect()
    };
    if values(&got.0) != values(&want.0) || values(&got.1) != values(&want.1) {
        return Err(format!("{symbol}: book\n  engine    {got:?}\n  reference {want:?}"));
    }
    Ok(())
}

/// A book's best `n` levels a side in the venue's own spelling, best first.
pub fn spelled_levels(book: &Book, n: usize) -> BookLevels {
    (crate::spelled_best(book, Side::Bid, n), crate::spelled_best(book, Side::Ask, n))
}
