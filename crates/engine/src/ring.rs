//! A bounded buffer of deltas awaiting a snapshot, keeping the newest.

use std::collections::VecDeque;

use depthbook_venues::{LevelUpdate, Seq};

/// Levels a slot keeps allocated after it is recycled; larger vectors are shrunk so that one
/// burst of huge deltas cannot pin memory for the life of the engine.
const RETAINED_SLOT_LEVELS: usize = 1_024;

/// One buffered delta.
#[derive(Debug, Default)]
pub(crate) struct BufferedDelta {
    pub(crate) seq: Seq,
    pub(crate) exchange_ms: Option<i64>,
    pub(crate) levels: Vec<LevelUpdate>,
}

/// Deltas received while a book awaits its snapshot, oldest first.
///
/// Invariant: at most `max_deltas` deltas and `max_levels` levels are held; pushing beyond either
/// drops the oldest deltas (each drop counted by the caller). Recycled slots keep their
/// allocation, so a steady stream of buffering allocates nothing.
#[derive(Debug)]
pub(crate) struct DeltaRing {
    queue: VecDeque<BufferedDelta>,
    spare: Vec<BufferedDelta>,
    n_levels: usize,
    max_deltas: usize,
    max_levels: usize,
}

impl DeltaRing {
    pub(crate) fn new(max_deltas: usize, max_levels: usize) -> Self {
        Self {
            queue: VecDeque::new(),
            spare: Vec::new(),
            n_levels: 0,
            max_deltas: max_deltas.max(1),
            max_levels,
        }
    }

    /// Buffers a delta; returns how many older deltas were dropped to make room (or 1 if this one
    /// alone exceeds the level cap and was not kept).
    pub(crate) fn push(
        &mut self,
        seq: Seq,
        exchange_ms: Option<i64>,
        levels: &[LevelUpdate],
    ) -> u64 {
        if levels.len() > self.max_levels {
            return 1;
        }
        let mut dropped = 0;
        while self.queue.len() >= self.max_deltas || self.n_levels + levels.len() > self.max_levels
        {
            match self.queue.pop_front() {
                Some(old) => {
                    self.recycle(old);
                    dropped += 1;
                }
                None => break,
            }
        }
        let mut slot = self.spare.pop().unwrap_or_default();
        slot.seq = seq;
        slot.exchange_ms = exchange_ms;
        slot.levels.extend_from_slice(levels);
        self.n_levels += levels.len();
        self.queue.push_back(slot);
        dropped
    }

    fn recycle(&mut self, mut slot: BufferedDelta) {
        self.n_levels -= slot.levels.len();
        slot.levels.clear();
        slot.levels.shrink_to(RETAINED_SLOT_LEVELS);
        if self.spare.len() < self.max_deltas {
            self.spare.push(slot);
        }
    }

    /// Takes the oldest delta; hand it back with [`DeltaRing::give_back`] once used.
    pub(crate) fn pop(&mut self) -> Option<BufferedDelta> {
        let slot = self.queue.pop_front()?;
        self.n_levels -= slot.levels.len();
        Some(slot)
    }

    /// Returns a slot taken with [`DeltaRing::pop`] for reuse.
    pub(crate) fn give_back(&mut self, mut slot: BufferedDelta) {
        slot.levels.clear();
        slot.levels.shrink_to(RETAINED_SLOT_LEVELS);
        if self.spare.len() < self.max_deltas {
            self.spare.push(slot);
        }
    }

    /// Drops everything buffered.
    pub(crate) fn clear(&mut self) {
        while let Some(slot) = self.pop() {
            self.give_back(slot);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: i64) -> Seq {
        Seq { first: Some(n), last: Some(n), prev: None }
    }

    #[test]
    fn keeps_the_newest_within_both_caps() {
        let mut ring = DeltaRing::new(3, 10);
        let lv = [LevelUpdate {
            side: depthbook_core::Side::Bid,
            price: depthbook_core::Price::from_raw(1),
            qty: depthbook_core::Qty::ZERO,
            text: Default::default(),
        }; 4];
        let mut dropped = 0;
        for n in 0..5 {
            dropped += ring.push(seq(n), None, &lv);
        }
        // Level cap 10 holds two 4-level deltas.
        assert_eq!(ring.len(), 2);
        assert_eq!(dropped, 3);
        assert_eq!(ring.pop().unwrap().seq, seq(3));
        assert_eq!(
            ring.push(seq(9), None, &[lv[0]; 11]),
            1,
            "a delta above the level cap is refused"
        );
    }
}
