//! Structural faults applied to a clean feed: what a lossy, reordering, corrupting network or a
//! hostile peer does to a capture. Shared by the model-based sync tests (proptest picks the
//! mutations) and the capture-mutation fuzz target (libFuzzer picks them).

use std::borrow::Cow;

use depthbook_engine::{Engine, EngineConfig};
use depthbook_venues::{InstrumentId, Venue};

use crate::feeds::snapshot_line;
use crate::reference::payload;
use crate::replay_into;

/// One fault. Line indices are taken modulo the feed's length at the time the mutation is
/// applied, so any value is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Lose a line.
    Drop(usize),
    /// Receive a line twice in a row.
    Duplicate(usize),
    /// Receive a line after the next one.
    Swap(usize),
    /// Cut a line's payload: keep `per_mille` thousandths of it (at least its first byte).
    Truncate {
        /// The line.
        line: usize,
        /// How much of the payload is kept.
        per_mille: u16,
    },
    /// Change one digit of a line's payload (a price, a size, a sequence id, a checksum, a
    /// symbol...) into another digit.
    CorruptDigit {
        /// The line.
        line: usize,
        /// Which digit of the payload (modulo their number).
        nth: usize,
        /// Added to the digit, modulo 10 (0 is taken as 1).
        delta: u8,
    },
    /// Insert, before `line`, a line of another capture (`pool[from % pool.len()]`).
    Splice {
        /// Where.
        line: usize,
        /// Which line of the pool.
        from: usize,
    },
    /// Insert, before `line`, a snapshot of one instrument's book as the clean feed has it at
    /// that point (a healing resync); nothing if that book is not Live in the clean feed there.
    InjectSnapshot {
        /// Where.
        line: usize,
        /// Which instrument (modulo the clean feed's number of instruments).
        instrument: u32,
    },
}

/// `clean` with `mutations` applied in order. `pool` supplies spliced lines (may be empty:
/// splices are then skipped).
pub fn mutate(
    venue: Venue,
    clean: &[Vec<u8>],
    mutations: &[Mutation],
    pool: &[Vec<u8>],
) -> Vec<Vec<u8>> {
    let replayed = |upto: usize| {
        let mut engine = Engine::new(EngineConfig::new(venue));
        replay_into(&mut engine, &clean[..=upto]);
        engine
    };
    mutate_with(clean, mutations, pool, &replayed).into_iter().map(Cow::into_owned).collect()
}

/// [`mutate`], with the engine that has replayed the clean feed through line `upto` (which a
/// healing snapshot is taken from) given by `clean_after(upto)`: a caller holding engines at
/// points of the feed need not replay it from the start. Lines left as they were are borrowed.
pub fn mutate_with<'a>(
    clean: &'a [Vec<u8>],
    mutations: &[Mutation],
    pool: &'a [Vec<u8>],
    clean_after: &dyn Fn(usize) -> Engine,
) -> Vec<Cow<'a, [u8]>> {
    // Each line with the index of the clean line it came from (`None`: inserted).
    let mut lines: Vec<(Cow<'a, [u8]>, Option<usize>)> =
        clean.iter().enumerate().map(|(i, l)| (Cow::Borrowed(l.as_slice()), Some(i))).collect();
    for &mutation in mutations {
        apply(&mut lines, mutation, pool, clean_after);
    }
    lines.into_iter().map(|(line, _)| line).collect()
}

fn apply<'a>(
    lines: &mut Vec<(Cow<'a, [u8]>, Option<usize>)>,
    mutation: Mutation,
    pool: &'a [Vec<u8>],
    clean_after: &dyn Fn(usize) -> Engine,
) {
    let n = lines.len();
    if n == 0 {
        return;
    }
    match mutation {
        Mutation::Drop(i) => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let copy = lines[i % n].clone();
            lines.insert(i % n + 1, copy);
        }
        Mutation::Swap(i) => {
            if n > 1 {
                let i = i % (n - 1);
                lines.swap(i, i + 1);
            }
        }
        Mutation::Truncate { line, per_mille } => {
            let bytes = lines[line % n].0.to_mut();
            let start = payload_start(bytes);
            let body = bytes.len() - start;
            if body > 1 {
                let keep = 1 + (body - 1) * usize::from(per_mille.min(999)) / 1000;
                bytes.truncate(start + keep);
            }
        }
        Mutation::CorruptDigit { line, nth, delta } => {
            let bytes = lines[line % n].0.to_mut();
            let start = payload_start(bytes);
            let digits: Vec<usize> =
                (start..bytes.len()).filter(|&k| bytes[k].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let k = digits[nth % digits.len()];
                let delta = if delta % 10 == 0 { 1 } else { delta % 10 };
                bytes[k] = b'0' + (bytes[k] - b'0' + delta) % 10;
            }
        }
        Mutation::Splice { line, from } => {
            if !pool.is_empty() {
                lines.insert(
                    line % (n + 1),
                    (Cow::Borrowed(pool[from % pool.len()].as_slice()), None),
                );
            }
        }
        Mutation::InjectSnapshot { line, instrument } => {
            let at = line % (n + 1);
            // The clean feed up to the last clean line before `at`.
            let Some(upto) = lines[..at].iter().rev().find_map(|l| l.1) else { return };
            let engine = &clean_after(upto);
            if engine.n_instruments() == 0 {
                return;
            }
            let id = (instrument as usize % engine.n_instruments()) as InstrumentId;
            if !engine.state(id).is_some_and(|s| s.is_live()) {
                return;
            }
            let prev = &lines[at.saturating_sub(1)].0;
            if let Some(snapshot) = snapshot_line(engine, id, prev) {
                lines.insert(at, (Cow::Owned(snapshot), None));
            }
        }
    }
}

/// Where a line's payload starts (after its receive-time or URL prefix).
fn payload_start(line: &[u8]) -> usize {
    match payload(line) {
        Some((_, body)) => line.len() - body.len(),
        None => 0,
    }
}
