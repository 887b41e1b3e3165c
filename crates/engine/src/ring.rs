//! A bounded buffer of deltas awaiting a snapshot, keeping the newest.

use std::collections::VecDeque;

use depthbook_venues::{LevelUpdate, Seq};

/// One buffered delta; its levels live in the ring's shared level buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BufferedDelta {
    pub(crate) seq: Seq,
    pub(crate) exchange_ms: Option<i64>,
    start: usize,
    len: usize,
}

/// Deltas received while a book awaits its snapshot, oldest first.
///
/// Invariant: at most `max_deltas` deltas holding at most `max_levels` levels are buffered;
/// pushing beyond either drops the oldest deltas (each drop counted by the caller). All levels
/// sit in one vector that is appended to and consumed from the front; the consumed prefix is
/// reclaimed when the ring empties or outgrows the live part, so the vector's length stays under
/// twice the level cap and, once warm, buffering allocates nothing.
#[derive(Debug, Clone)]
pub(crate) struct DeltaRing {
    deltas: VecDeque<BufferedDelta>,
    levels: Vec<LevelUpdate>,
    // Index in `levels` of the first level of the oldest buffered delta.
    head: usize,
    max_deltas: usize,
    max_levels: usize,
}

impl DeltaRing {
    pub(crate) fn new(max_deltas: usize, max_levels: usize) -> Self {
        Self {
            deltas: VecDeque::new(),
            levels: Vec::new(),
            head: 0,
            max_deltas: max_deltas.max(1),
            max_levels,
        }
    }

    fn live_levels(&self) -> usize {
        self.levels.len() - self.head
    }

    /// Buffers a delta; returns how many deltas were dropped to respect the caps (the oldest, or
    /// this one alone when it exceeds the level cap by itself).
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
        while self.deltas.len() >= self.max_deltas
            || self.live_levels() + levels.len() > self.max_levels
        {
            if self.pop().is_none() {
                break;
            }
            dropped += 1;
        }
        if self.deltas.is_empty() {
            self.levels.clear();
            self.head = 0;
        } else if self.head > self.live_levels() {
            // Reclaim the consumed prefix in place (a move, not an allocation).
            let head = self.head;
            self.levels.drain(..head);
            for delta in &mut self.deltas {
                delta.start -= head;
            }
            self.head = 0;
        }
        let start = self.levels.len();
        self.levels.extend_from_slice(levels);
        self.deltas.push_back(BufferedDelta { seq, exchange_ms, start, len: levels.len() });
        dropped
    }

    /// Takes the oldest delta. Its levels stay readable with [`DeltaRing::levels_of`] until the
    /// next push or clear.
    pub(crate) fn pop(&mut self) -> Option<BufferedDelta> {
        let delta = self.deltas.pop_front()?;
        self.head = delta.start + delta.len;
        Some(delta)
    }

    /// The levels of a delta taken with [`DeltaRing::pop`].
    pub(crate) fn levels_of(&self, delta: &BufferedDelta) -> &[LevelUpdate] {
        &self.levels[delta.start..delta.start + delta.len]
    }

    /// Drops everything buffered, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.deltas.clear();
        self.levels.clear();
        self.head = 0;
    }

    /// Bytes the ring holds on the heap (kept by [`DeltaRing::clear`]).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.deltas.capacity() * std::mem::size_of::<BufferedDelta>()
            + self.levels.capacity() * std::mem::size_of::<LevelUpdate>()
    }

    /// Drops everything buffered and frees the allocations.
    pub(crate) fn release(&mut self) {
        self.deltas = VecDeque::new();
        self.levels = Vec::new();
        self.head = 0;
    }

    /// Deltas buffered.
    pub(crate) fn len(&self) -> usize {
        self.deltas.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: i64) -> Seq {
        Seq { first: Some(n), last: Some(n), prev: None }
    }

    fn level(raw: i64) -> LevelUpdate {
        LevelUpdate {
            side: depthbook_core::Side::Bid,
            price: depthbook_core::Price::new(raw, 0).unwrap(),
            qty: depthbook_core::Qty::ZERO,
            text: Default::default(),
            order: None,
        }
    }

    #[test]
    fn keeps_the_newest_within_both_caps() {
        let mut ring = DeltaRing::new(3, 10);
        let mut dropped = 0;
        for n in 0..5 {
            dropped += ring.push(seq(n), None, &[level(n); 4]);
        }
        // The level cap of 10 holds two 4-level deltas.
        assert_eq!(ring.len(), 2);
        assert_eq!(dropped, 3);
        let oldest = ring.pop().unwrap();
        assert_eq!(oldest.seq, seq(3));
        assert_eq!(ring.levels_of(&oldest), &[level(3); 4]);
        assert_eq!(
            ring.push(seq(9), None, &[level(9); 11]),
            1,
            "a delta above the level cap is refused"
        );
    }

    #[test]
    fn consumed_levels_are_reclaimed_and_order_is_kept() {
        let mut ring = DeltaRing::new(1_000, 10_000);
        let mut next_out = 0;
        for n in 0..500i64 {
            ring.push(seq(n), None, &[level(n); 3]);
            if n % 3 == 0 {
                let d = ring.pop().unwrap();
                assert_eq!(d.seq, seq(next_out));
                assert_eq!(ring.levels_of(&d), &[level(next_out); 3]);
                next_out += 1;
            }
            // The consumed prefix never outgrows the live part by more than one delta.
            assert!(ring.levels.len() <= 2 * ring.live_levels() + 3);
        }
        while let Some(d) = ring.pop() {
            assert_eq!(ring.levels_of(&d), &[level(d.seq.last.unwrap()); 3]);
        }
    }
}
