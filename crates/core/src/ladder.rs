//! One side of a book: a dense window of price slots around the touch, deeper levels in a
//! sorted overflow.
//!
//! Every level is keyed by its price as an `i64` count of the ladder's smallest unit
//! (10^-scale, where scale is the most decimals any of its prices needs; for a venue's tick grid
//! the key is the tick index). Keys become *ranks*, `key` for bids and `-key` for asks, so that
//! on both sides a higher rank is a better price.
//!
//! Updates cluster at the touch, so the ranks `base .. base + window` live in a dense array
//! indexed by `rank - base`, with a bitset of occupied slots: setting, updating or deleting a
//! level there is an index computation and a store, and finding the next best level after the
//! best is deleted is a scan of a few bitset words. Levels ranked below the window sit in
//! sorted chunks of 64 (`deep.rs`): a binary search over the chunks, then a move of at
//! most one chunk's levels. When a better price arrives above the window, the window moves up
//! (rare: it keeps a quarter of its width above the touch); when the window empties, it moves
//! down to the new touch. The window starts small and doubles while the levels near the touch
//! fill it, so a side's memory follows its levels rather than a fixed width (about 10 bytes a
//! slot, 24 a deep level).
//!
//! Checksum fragments are not kept here: the venue's checksum reads only the best few levels,
//! and [`crate::checksum::FragmentCache`] keeps those.

use crate::decimal::{NumText, NumberError, Price, Qty};
use crate::deep::{DeepLevel, DeepLevels, Pos};

/// Which side of the book a level is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Buy orders; best is the highest price.
    Bid,
    /// Sell orders; best is the lowest price.
    Ask,
}

impl Side {
    /// The other side.
    pub const fn opposite(self) -> Side {
        match self {
            Side::Bid => Side::Ask,
            Side::Ask => Side::Bid,
        }
    }
}

/// How a level's price and size were spelled by the venue (for checksums over original text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LevelText {
    /// The price's spelling.
    pub price: crate::decimal::NumText,
    /// The size's spelling.
    pub qty: crate::decimal::NumText,
}

impl LevelText {
    /// Pairs a price's and a size's spelling.
    pub const fn new(price: crate::decimal::NumText, qty: crate::decimal::NumText) -> Self {
        Self { price, qty }
    }
}

/// One price level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Level {
    /// The level's price.
    pub price: Price,
    /// The total size resting at that price; never zero inside a ladder.
    pub qty: Qty,
    /// The venue's spelling of price and size.
    pub text: LevelText,
}

/// What [`Ladder::set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// A new level was added.
    Inserted,
    /// An existing level got a new size.
    Updated,
    /// An existing level was removed (size zero).
    Deleted,
    /// Size zero for a price the ladder did not hold: normal on every venue, nothing changed.
    DeletedAbsent,
}

/// The most slots the dense window grows to unless configured otherwise (a multiple of 64).
pub const DEFAULT_WINDOW: usize = 2_048;

/// Slots the dense window starts with: it doubles while the levels near the touch fill it
/// (see [`Ladder`]), so a book's memory follows its levels.
pub const MIN_WINDOW: usize = 64;

/// Keys are kept within ±2^62 so rank arithmetic (`rank - base`, window moves) cannot overflow.
const MAX_KEY: i64 = 1 << 62;

/// The levels of one side.
///
/// The dense window starts at [`MIN_WINDOW`] slots and doubles, up to its configured maximum,
/// when a level is inserted within one window's width below it while at least a quarter of its
/// slots are occupied; it grows downward, taking in the deep levels it now covers. So a window
/// is never more than eight times the levels it held when it last grew, and a sparse side keeps
/// most of its levels in the compact deep chunks. [`Ladder::clear`] starts the window small
/// again but keeps its memory, so the next snapshot grows it without allocating;
/// [`Ladder::release`] gives the memory back.
#[derive(Debug)]
pub struct Ladder {
    side: Side,
    // Keys count 10^-scale. Only ever raised (every key rescaled) when a finer price arrives.
    scale: u8,
    // The most slots the window may grow to (a multiple of 64, at least `MIN_WINDOW`).
    max_window: usize,
    // Slot i of the dense window holds the level ranked `base + i`.
    base: i64,
    // The window's slots in use: a multiple of 64 from `MIN_WINDOW` to `max_window` (0 before
    // the first level); back to `MIN_WINDOW` at each clear, so a ladder's layout depends only
    // on the levels set since it was last cleared.
    width: usize,
    // The window's memory: `slots.len()` slots, at least `width` (the widest the window has
    // been). Invariant: `slots[i].qty == 0` exactly when bit i of `occupied` is clear, and
    // every slot from `width` on is clear; `occupied` is sized with `slots`.
    slots: Box<[Slot]>,
    occupied: Box<[u64]>,
    // Number of occupied slots.
    n_window: usize,
    // The best occupied slot, meaningful while `n_window > 0`.
    top: usize,
    // Invariant: every level ranked below `base` is here, strictly ascending by rank (the best
    // last); every level ranked `base` or higher is in the window; no zero sizes anywhere.
    deep: DeepLevels,
    // The best rank whose level was set, removed or evicted since the last `take_changed`
    // (`i64::MAX` after a clear or a rescale: anything may have changed); `None`: nothing.
    changed: Option<i64>,
    // Names this ladder's history of changes: unique to each ladder made or cloned.
    lineage: u64,
    // How many times `take_changed` was called.
    takes: u64,
}

/// Hands out lineages.
static LINEAGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next_lineage() -> u64 {
    LINEAGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Clone for Ladder {
    /// A copy of the levels with a lineage of its own: what a checksum cache learned of the
    /// original's changes says nothing of the copy's.
    fn clone(&self) -> Self {
        Self {
            side: self.side,
            scale: self.scale,
            max_window: self.max_window,
            base: self.base,
            width: self.width,
            slots: self.slots.clone(),
            occupied: self.occupied.clone(),
            n_window: self.n_window,
            top: self.top,
            deep: self.deep.clone(),
            changed: Some(i64::MAX),
            lineage: next_lineage(),
            takes: 0,
        }
    }
}

impl Ladder {
    /// An empty ladder for `side` whose window grows to at most [`DEFAULT_WINDOW`] slots.
    pub fn new(side: Side) -> Self {
        Self::with_window(side, DEFAULT_WINDOW)
    }

    /// An empty ladder whose dense window grows to at most `window` slots (rounded up to a
    /// multiple of 64, at least [`MIN_WINDOW`]).
    pub fn with_window(side: Side, window: usize) -> Self {
        let max_window = window.max(MIN_WINDOW).div_ceil(64) * 64;
        Self {
            side,
            scale: 0,
            max_window,
            base: 0,
            width: 0,
            slots: Box::default(),
            occupied: Box::default(),
            n_window: 0,
            top: 0,
            deep: DeepLevels::default(),
            changed: Some(i64::MAX),
            lineage: next_lineage(),
            takes: 0,
        }
    }

    /// The side this ladder holds.
    pub fn side(&self) -> Side {
        self.side
    }

    /// Number of levels.
    pub fn len(&self) -> usize {
        self.n_window + self.deep.len()
    }

    /// Whether the ladder has no levels.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn price_of(&self, rank: i64) -> Price {
        price_at(self.side, self.scale, rank)
    }

    /// The rank of `price` at the current scale, if it can be expressed there.
    #[inline]
    fn rank_at_scale(&self, price: Price) -> Option<i64> {
        let key = price.scaled_to(self.scale).filter(|k| k.unsigned_abs() < MAX_KEY as u64)?;
        Some(match self.side {
            Side::Bid => key,
            Side::Ask => -key,
        })
    }

    /// The rank of `price`, raising the ladder's scale first if the price is finer.
    #[inline]
    fn rank_of(&mut self, price: Price) -> Result<i64, NumberError> {
        if price.scale() > self.scale {
            self.rescale(price.scale())?;
        }
        self.rank_at_scale(price).ok_or(NumberError::OutOfRange)
    }

    /// Re-keys every level at a finer scale (rare: a venue's first finer price).
    #[cold]
    fn rescale(&mut self, scale: u8) -> Result<(), NumberError> {
        let levels: Vec<Level> = self.iter().collect();
        let old = self.scale;
        self.scale = scale;
        if levels.iter().any(|l| self.rank_at_scale(l.price).is_none()) {
            self.scale = old;
            return Err(NumberError::OutOfRange);
        }
        self.clear();
        for level in levels {
            // Cannot fail: every rank was checked at the new scale above.
            let _ = self.set(level.price, level.qty, level.text);
        }
        Ok(())
    }

    /// The window's current number of slots (0 before the first level).
    #[inline]
    fn width(&self) -> usize {
        self.width
    }

    #[inline]
    fn ensure_window(&mut self) {
        if self.width == 0 {
            self.width = MIN_WINDOW.min(self.max_window);
            if self.slots.len() < self.width {
                self.allocate_window(self.width);
            }
        }
    }

    fn allocate_window(&mut self, slots: usize) {
        self.slots = vec![Slot::EMPTY; slots].into_boxed_slice();
        self.occupied = vec![0; slots / 64].into_boxed_slice();
    }

    /// Sets the size at `price`; size zero deletes the level (deleting an absent level is fine).
    ///
    /// # Errors
    /// [`NumberError::OutOfRange`] if the price cannot share this ladder with the prices already
    /// in it (they would need more than 18 significant digits together); nothing changes.
    #[inline]
    pub fn set(
        &mut self,
        price: Price,
        qty: Qty,
        text: LevelText,
    ) -> Result<SetOutcome, NumberError> {
        let rank = self.rank_of(price)?;
        self.ensure_window();
        let window = self.width() as i64;
        if self.n_window == 0 {
            if qty.is_zero() && rank >= self.base {
                // Nothing in the window to delete, and the deep levels are all below `base`.
                return Ok(SetOutcome::DeletedAbsent);
            }
            let empty = self.deep.len() == 0;
            if !qty.is_zero() && (empty || rank >= self.base + window || rank < self.base) {
                // An empty window goes where the action is: this level at three quarters of it,
                // and never below a deep level (which must stay below the window). An empty
                // ladder always places it so, so that its layout depends only on the levels set
                // since it was last cleared (a rebuilt book reuses the memory the last one did).
                let top = self.deep.back().map_or(rank, |d| d.rank.max(rank));
                self.move_window(top - window * 3 / 4);
            }
        } else if rank >= self.base + window {
            if qty.is_zero() {
                return Ok(SetOutcome::DeletedAbsent);
            }
            self.move_window(rank - window * 3 / 4);
        } else if rank < self.base && !qty.is_zero() && self.should_grow(rank) {
            self.grow();
        }
        let outcome = if rank >= self.base {
            self.set_slot((rank - self.base) as usize, qty, text)
        } else {
            self.set_deep(rank, qty, text)
        };
        if outcome != SetOutcome::DeletedAbsent {
            self.note_changed(rank);
        }
        Ok(outcome)
    }

    #[inline]
    fn note_changed(&mut self, rank: i64) {
        self.changed = Some(self.changed.map_or(rank, |c| c.max(rank)));
    }

    /// The best rank changed since the last call (`None`: nothing changed; `i64::MAX`: anything
    /// may have), and forgets it: what a checksum cache that saw the ladder at the last call
    /// must look at again.
    pub(crate) fn take_changed(&mut self) -> Taken {
        let taken = Taken { lineage: self.lineage, take: self.takes, changed: self.changed.take() };
        self.takes += 1;
        taken
    }

    /// Where the ladder's change tracking stands: its lineage, the number of the next take,
    /// and the best rank changed since the last take (not taken).
    pub(crate) fn tracking(&self) -> Taken {
        Taken { lineage: self.lineage, take: self.takes, changed: self.changed }
    }

    /// Whether a level arriving at `rank`, below the window, should make the window grow: it
    /// lands within one width of it, the window is at least a quarter full, and it may grow.
    #[inline]
    fn should_grow(&self, rank: i64) -> bool {
        let width = self.width();
        width < self.max_window && rank >= self.base - width as i64 && self.n_window * 4 >= width
    }

    /// Doubles the window downward (at most to its maximum): slot `i` becomes slot `i + added`,
    /// and the deep levels it now covers move into it. O(width), in memory the window already
    /// has if it was ever this wide; at most log2(max / min) times between two clears.
    #[cold]
    fn grow(&mut self) {
        let width = self.width;
        let added = (width * 2).min(self.max_window) - width;
        if self.slots.len() < width + added {
            let (slots, occupied) =
                (std::mem::take(&mut self.slots), std::mem::take(&mut self.occupied));
            self.allocate_window(width + added);
            self.slots[added..added + width].copy_from_slice(&slots[..width]);
            self.occupied[added / 64..(added + width) / 64]
                .copy_from_slice(&occupied[..width / 64]);
        } else {
            // Ranges overlap when `added < width`: `copy_within` moves them like memmove.
            self.slots.copy_within(..width, added);
            self.occupied.copy_within(..width / 64, added / 64);
            self.slots[..added].fill(Slot::EMPTY);
            self.occupied[..added / 64].fill(0);
        }
        self.width = width + added;
        self.base -= added as i64;
        self.top += added;
        while let Some(deep) = self.deep.back().copied() {
            if deep.rank < self.base {
                break;
            }
            self.deep.pop_back();
            let i = (deep.rank - self.base) as usize;
            self.slots[i] = Slot::of(deep.qty, deep.text);
            self.occupied[i / 64] |= 1 << (i % 64);
            self.n_window += 1;
            // Deep levels are all below the window's old slots, so `top` stays the best (it was
            // meaningful only with levels in the window; if there were none, this is the best).
            if self.n_window == 1 {
                self.top = i;
            }
        }
    }

    #[inline]
    fn set_slot(&mut self, i: usize, qty: Qty, text: LevelText) -> SetOutcome {
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        let was = self.slots[i].qty();
        if qty.is_zero() {
            if was == 0 {
                return SetOutcome::DeletedAbsent;
            }
            self.slots[i].clear();
            self.occupied[word] &= !bit;
            self.n_window -= 1;
            if i == self.top && self.n_window > 0 {
                self.top = self.occupied_below(i).unwrap_or(0);
            }
            return SetOutcome::Deleted;
        }
        self.slots[i] = Slot::of(qty, text);
        if was != 0 {
            return SetOutcome::Updated;
        }
        self.occupied[word] |= bit;
        self.n_window += 1;
        if self.n_window == 1 || i > self.top {
            self.top = i;
        }
        SetOutcome::Inserted
    }

    fn set_deep(&mut self, rank: i64, qty: Qty, text: LevelText) -> SetOutcome {
        match self.deep.find(rank) {
            Ok(pos) if qty.is_zero() => {
                self.deep.remove(pos);
                SetOutcome::Deleted
            }
            Ok(pos) => {
                self.deep.update(pos, qty, text);
                SetOutcome::Updated
            }
            Err(_) if qty.is_zero() => SetOutcome::DeletedAbsent,
            Err(pos) => {
                self.deep.insert(pos, DeepLevel { rank, qty, text });
                SetOutcome::Inserted
            }
        }
    }

    /// The highest occupied slot below `i`.
    #[inline]
    fn occupied_below(&self, i: usize) -> Option<usize> {
        let mut word = i / 64;
        let mut bits = self.occupied[word] & ((1u64 << (i % 64)) - 1);
        loop {
            if bits != 0 {
                return Some(word * 64 + 63 - bits.leading_zeros() as usize);
            }
            if word == 0 {
                return None;
            }
            word -= 1;
            bits = self.occupied[word];
        }
    }

    /// The lowest occupied slot.
    fn lowest_occupied(&self) -> Option<usize> {
        self.occupied[..self.width / 64]
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .map(|(i, w)| i * 64 + w.trailing_zeros() as usize)
    }

    /// Moves the window to start at `new_base`, moving levels between it and the deep deque so
    /// that the invariant holds again. O(width).
    #[cold]
    fn move_window(&mut self, new_base: i64) {
        let window = self.width() as i64;
        if new_base > self.base {
            // Levels now below the window go to the deep deque, in ascending order.
            let shift = new_base - self.base;
            let keep_from = shift.min(window) as usize;
            for i in 0..keep_from {
                let slot = self.slots[i];
                if slot.qty() != 0 {
                    let qty = Qty::from_raw(slot.qty()).unwrap_or(Qty::ZERO);
                    self.deep.push_back(DeepLevel {
                        rank: self.base + i as i64,
                        qty,
                        text: slot.text(),
                    });
                    self.slots[i].clear();
                }
            }
            self.slots.copy_within(keep_from..self.width, 0);
            let vacated = self.width - keep_from;
            self.slots[vacated..self.width].fill(Slot::EMPTY);
        } else if new_base < self.base {
            // The window is empty when it moves down; deep levels at or above the new base
            // come up into it.
            debug_assert_eq!(self.n_window, 0, "Invariant: the window only moves down when empty");
            self.slots[..self.width].fill(Slot::EMPTY);
        }
        self.base = new_base;
        while let Some(deep) = self.deep.back().copied() {
            if deep.rank < new_base {
                break;
            }
            self.deep.pop_back();
            let i = (deep.rank - new_base) as usize;
            self.slots[i] = Slot::of(deep.qty, deep.text);
        }
        self.rebuild_occupancy();
    }

    fn rebuild_occupancy(&mut self) {
        self.occupied.fill(0);
        self.n_window = 0;
        for (i, slot) in self.slots[..self.width].iter().enumerate() {
            if slot.qty() != 0 {
                self.occupied[i / 64] |= 1 << (i % 64);
                self.n_window += 1;
                self.top = i;
            }
        }
    }

    #[inline]
    fn slot_level(&self, i: usize) -> Level {
        Level {
            price: self.price_of(self.base + i as i64),
            qty: Qty::from_raw(self.slots[i].qty()).unwrap_or(Qty::ZERO),
            text: self.slots[i].text(),
        }
    }

    #[inline]
    fn deep_level(&self, d: &DeepLevel) -> Level {
        Level { price: self.price_of(d.rank), qty: d.qty, text: d.text }
    }

    /// The best level, if any.
    #[inline]
    pub fn best(&self) -> Option<Level> {
        if self.n_window > 0 {
            Some(self.slot_level(self.top))
        } else {
            self.deep.back().map(|d| self.deep_level(d))
        }
    }

    /// The best level's price as a count of 10^-scale, and that scale (the ladder's): what
    /// [`Ladder::best`] would build its price from.
    #[inline]
    pub fn best_price_key(&self) -> Option<(i64, u8)> {
        let rank =
            if self.n_window > 0 { self.base + self.top as i64 } else { self.deep.back()?.rank };
        let key = match self.side {
            Side::Bid => rank,
            Side::Ask => -rank,
        };
        Some((key, self.scale))
    }

    /// The level farthest from the touch, if any: the one [`Ladder::evict_farthest`] would
    /// remove. O(window / 64) when no level is deep.
    pub fn worst(&self) -> Option<Level> {
        if let Some(d) = self.deep.front() {
            return Some(self.deep_level(d));
        }
        self.lowest_occupied().map(|i| self.slot_level(i))
    }

    /// The `n`-th best level (0 is the best). O(n).
    pub fn nth_best(&self, n: usize) -> Option<Level> {
        self.iter().nth(n)
    }

    /// The levels, best first.
    pub fn iter(&self) -> Levels<'_> {
        Levels { ranked: self.ranked() }
    }

    /// The levels as stored, best first: without building their prices.
    pub(crate) fn ranked(&self) -> Ranked<'_> {
        Ranked {
            ladder: self,
            next_slot: (self.n_window > 0).then_some(self.top),
            deep_next: self.deep.last_pos(),
        }
    }

    /// The levels ranked `rank` or worse, as stored, best first: [`Ladder::ranked`] without
    /// reading the levels above `rank`.
    pub(crate) fn ranked_from(&self, rank: i64) -> Ranked<'_> {
        if self.n_window > 0 && rank >= self.base + self.top as i64 {
            return self.ranked();
        }
        if rank < self.base {
            return Ranked {
                ladder: self,
                next_slot: None,
                deep_next: self.deep.at_or_below(rank),
            };
        }
        // At or above the window's base and below its best level, if it has levels: the best
        // occupied slot at or below `rank`'s (`rank - base < top < width`, so the slot after it
        // is inside the window). Without levels in the window, only the deep ones are below.
        let next_slot = if self.n_window > 0 {
            self.occupied_below((rank - self.base) as usize + 1)
        } else {
            None
        };
        Ranked { ladder: self, next_slot, deep_next: self.deep.last_pos() }
    }

    /// The scale ranks count in (10^-scale).
    pub(crate) fn scale(&self) -> u8 {
        self.scale
    }

    /// The size at `price`, if the ladder holds it.
    pub fn qty_at(&self, price: Price) -> Option<Qty> {
        let rank = self.rank_at_scale(price)?;
        if rank >= self.base && rank < self.base + self.width() as i64 {
            let q = self.slots.get((rank - self.base) as usize)?.qty();
            (q != 0).then(|| Qty::from_raw(q).unwrap_or(Qty::ZERO))
        } else {
            self.deep.find(rank).ok().map(|pos| self.deep.get(pos).qty)
        }
    }

    /// Keeps the best `depth` levels and drops the rest; returns how many were dropped.
    pub fn truncate(&mut self, depth: usize) -> usize {
        let len = self.len();
        if len <= depth {
            return 0;
        }
        self.note_changed(i64::MAX);
        if depth > self.n_window {
            let drop = len - depth;
            self.deep.drain_front(drop);
            return drop;
        }
        self.deep.clear();
        // Keep the top `depth` window slots: clear every occupied slot below the depth-th best.
        let mut kept = 0;
        let mut slot = (self.n_window > 0).then_some(self.top);
        while let Some(i) = slot {
            if kept == depth {
                self.slots[i].clear();
                self.occupied[i / 64] &= !(1u64 << (i % 64));
                self.n_window -= 1;
            } else {
                kept += 1;
            }
            slot = self.occupied_below(i);
        }
        len - depth
    }

    /// Removes the level farthest from the touch; returns its price, if there was one.
    pub fn evict_farthest(&mut self) -> Option<Price> {
        if let Some(deep) = self.deep.pop_front() {
            self.note_changed(deep.rank);
            return Some(self.price_of(deep.rank));
        }
        let i = self.lowest_occupied()?;
        self.slots[i].clear();
        self.occupied[i / 64] &= !(1u64 << (i % 64));
        self.n_window -= 1;
        let rank = self.base + i as i64;
        self.note_changed(rank);
        Some(self.price_of(rank))
    }

    /// Removes every level, keeping the allocations (and the scale).
    pub fn clear(&mut self) {
        for (w, word) in self.occupied[..self.width / 64].iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                self.slots[w * 64 + bits.trailing_zeros() as usize].clear();
                bits &= bits - 1;
            }
            *word = 0;
        }
        self.n_window = 0;
        self.width = 0;
        self.deep.clear();
        self.changed = Some(i64::MAX);
    }

    /// Bytes the ladder holds on the heap, in O(1): the dense window once allocated (sizes,
    /// spellings and occupancy bits, as wide as it has ever been) and the deep levels' chunks.
    /// [`Ladder::clear`] keeps all of it for reuse; [`Ladder::release`] gives it back.
    pub fn heap_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
            + self.occupied.len() * std::mem::size_of::<u64>()
            + self.deep.heap_bytes()
    }

    /// Removes every level and frees every allocation, keeping the side and the window's
    /// maximum: the ladder is as new (the next level allocates the smallest window again).
    pub fn release(&mut self) {
        *self = Ladder::with_window(self.side, self.max_window);
    }
}

/// One take of a ladder's changes ([`Ladder::take_changed`]), or where its tracking stands
/// ([`Ladder::tracking`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Taken {
    /// The ladder's lineage.
    pub(crate) lineage: u64,
    /// The take's number (the first is 0).
    pub(crate) take: u64,
    /// The best rank changed since the take before it.
    pub(crate) changed: Option<i64>,
}

/// The price of `rank` on a ladder of `side` at `scale`.
#[inline]
fn price_at(side: Side, scale: u8, rank: i64) -> Price {
    let key = match side {
        Side::Bid => rank,
        Side::Ask => -rank,
    };
    Price::from_scaled(key, scale)
}

/// A level as the ladder stores it: its rank at the ladder's scale, its size's raw bits and its
/// spelling. Two levels of ladders of the same side and scale are the same level exactly when
/// these are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RankedLevel {
    pub(crate) rank: i64,
    pub(crate) qty: i64,
    pub(crate) text: LevelText,
}

impl RankedLevel {
    /// The level, on a ladder of `side` at `scale`.
    #[inline]
    pub(crate) fn level(self, side: Side, scale: u8) -> Level {
        Level {
            price: price_at(side, scale, self.rank),
            qty: Qty::from_raw(self.qty).unwrap_or(Qty::ZERO),
            text: self.text,
        }
    }
}

/// One slot of a ladder's dense window: a level's size (raw [`Qty`] bits, 0 for no level) and
/// spelling, side by side, so that setting a level writes one place in memory (with the two in
/// arrays of their own, a change to a cold book missed twice). Packed, 10 bytes: the checksum
/// cache's refresh reads the best levels' slots in a row, and 16-byte slots would be 60% more
/// lines. Fields are read and written whole, never borrowed.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed)]
struct Slot {
    qty: i64,
    text: LevelText,
}

impl Slot {
    const EMPTY: Slot = Slot { qty: 0, text: LevelText::new(NumText::plain(0), NumText::plain(0)) };

    #[inline(always)]
    fn of(qty: Qty, text: LevelText) -> Self {
        Slot { qty: qty.raw(), text }
    }

    #[inline(always)]
    fn qty(self) -> i64 {
        self.qty
    }

    #[inline(always)]
    fn text(self) -> LevelText {
        self.text
    }

    #[inline(always)]
    fn clear(&mut self) {
        self.qty = 0;
    }
}

/// A ladder's levels as it stores them, best first (see [`Ladder::ranked`]).
#[derive(Debug, Clone)]
pub(crate) struct Ranked<'a> {
    ladder: &'a Ladder,
    // The next window slot to yield, if any remain.
    next_slot: Option<usize>,
    // The next deep level to yield (they come after the window, best first).
    deep_next: Option<Pos>,
}

impl Iterator for Ranked<'_> {
    type Item = RankedLevel;

    // Always inlined into the checksum cache's refresh: a call per level, returning the level
    // through the stack, was a third of a warm checksum's time.
    #[inline(always)]
    fn next(&mut self) -> Option<RankedLevel> {
        let ladder = self.ladder;
        if let Some(i) = self.next_slot {
            self.next_slot = ladder.occupied_below(i);
            return Some(RankedLevel {
                rank: ladder.base + i as i64,
                qty: ladder.slots[i].qty(),
                text: ladder.slots[i].text(),
            });
        }
        let pos = self.deep_next?;
        self.deep_next = ladder.deep.prev(pos);
        let deep = ladder.deep.get(pos);
        Some(RankedLevel { rank: deep.rank, qty: deep.qty.raw(), text: deep.text })
    }
}

/// The levels of a ladder, best first.
#[derive(Debug, Clone)]
pub struct Levels<'a> {
    ranked: Ranked<'a>,
}

impl Iterator for Levels<'_> {
    type Item = Level;

    #[inline]
    fn next(&mut self) -> Option<Level> {
        let ladder = self.ranked.ladder;
        self.ranked.next().map(|r| r.level(ladder.side, ladder.scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Price {
        Price::parse(s).unwrap().0
    }
    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap().0
    }
    fn prices(l: &Ladder) -> Vec<String> {
        l.iter().map(|l| l.price.to_string()).collect()
    }

    #[test]
    fn bids_best_is_highest_asks_best_is_lowest() {
        let mut bids = Ladder::new(Side::Bid);
        let mut asks = Ladder::new(Side::Ask);
        for px in ["10", "12", "11"] {
            bids.set(p(px), q("1"), LevelText::default()).unwrap();
            asks.set(p(px), q("1"), LevelText::default()).unwrap();
        }
        assert_eq!(bids.best().unwrap().price, p("12"));
        assert_eq!(asks.best().unwrap().price, p("10"));
        assert_eq!(prices(&bids), ["12", "11", "10"]);
        assert_eq!(prices(&asks), ["10", "11", "12"]);
    }

    #[test]
    fn zero_deletes_and_absent_delete_is_harmless() {
        let mut bids = Ladder::new(Side::Bid);
        assert_eq!(bids.set(p("1"), q("2"), LevelText::default()), Ok(SetOutcome::Inserted));
        assert_eq!(bids.set(p("1"), q("3"), LevelText::default()), Ok(SetOutcome::Updated));
        assert_eq!(bids.qty_at(p("1")), Some(q("3")));
        assert_eq!(bids.set(p("1"), Qty::ZERO, LevelText::default()), Ok(SetOutcome::Deleted));
        assert_eq!(
            bids.set(p("1"), Qty::ZERO, LevelText::default()),
            Ok(SetOutcome::DeletedAbsent)
        );
        assert!(bids.is_empty());
    }

    #[test]
    fn truncate_keeps_the_best() {
        let mut asks = Ladder::with_window(Side::Ask, 64);
        for i in 1..=200 {
            asks.set(Price::new(i, 0).unwrap(), q("1"), LevelText::default()).unwrap();
        }
        assert_eq!(asks.truncate(5), 195);
        assert_eq!(prices(&asks), ["1", "2", "3", "4", "5"]);
    }

    #[test]
    fn a_finer_price_rescales_the_ladder() {
        let mut bids = Ladder::with_window(Side::Bid, 64);
        for px in ["100", "99", "98.5"] {
            bids.set(p(px), q("1"), LevelText::default()).unwrap();
        }
        bids.set(p("99.25"), q("2"), LevelText::default()).unwrap();
        assert_eq!(prices(&bids), ["100", "99.25", "99", "98.5"]);
        assert_eq!(bids.qty_at(p("99.25")), Some(q("2")));
    }

    #[test]
    fn ranked_from_a_rank_is_ranked_without_the_levels_above_it() {
        // Levels in the window and deep below it, on both sides, with gaps.
        for side in [Side::Bid, Side::Ask] {
            let mut ladder = Ladder::with_window(side, 64);
            for i in (0..400).filter(|i| i % 3 != 0) {
                ladder
                    .set(Price::new(1_000 + i, 0).unwrap(), q("1"), LevelText::default())
                    .unwrap();
            }
            assert!(ladder.deep.len() > 0 && ladder.n_window > 0);
            let check = |ladder: &Ladder| {
                let all: Vec<RankedLevel> = ladder.ranked().collect();
                let (worst, best) = (all.last().unwrap().rank, all[0].rank);
                for rank in worst - 3..=best + 3 {
                    let want: Vec<RankedLevel> =
                        all.iter().copied().filter(|l| l.rank <= rank).collect();
                    let got: Vec<RankedLevel> = ladder.ranked_from(rank).collect();
                    assert_eq!(got, want, "{side:?} {rank}");
                }
                assert_eq!(ladder.ranked_from(i64::MAX).count(), all.len());
            };
            check(&ladder);
            // The window emptied, the deep levels left.
            let window: Vec<i64> = (0..ladder.width)
                .filter(|&i| ladder.slots[i].qty() != 0)
                .map(|i| ladder.base + i as i64)
                .collect();
            for rank in window {
                let price = ladder.price_of(rank);
                ladder.set(price, Qty::ZERO, LevelText::default()).unwrap();
            }
            assert!(ladder.deep.len() > 0 && ladder.n_window == 0);
            check(&ladder);
            assert_eq!(Ladder::new(side).ranked_from(7).count(), 0);
        }
    }

    #[test]
    fn the_window_follows_the_touch_both_ways() {
        let mut bids = Ladder::with_window(Side::Bid, 64);
        for i in 0..1_000 {
            bids.set(Price::new(i, 0).unwrap(), q("1"), LevelText::default()).unwrap();
        }
        assert_eq!(bids.len(), 1_000);
        assert_eq!(bids.best().unwrap().price, Price::new(999, 0).unwrap());
        // Crash: delete everything from the top down; the best follows.
        for i in (500..1_000).rev() {
            bids.set(Price::new(i, 0).unwrap(), Qty::ZERO, LevelText::default()).unwrap();
            assert_eq!(bids.best().unwrap().price, Price::new(i - 1, 0).unwrap());
        }
        let expected: Vec<String> = (0..500).rev().map(|i| i.to_string()).collect();
        assert_eq!(prices(&bids), expected);
    }

    #[test]
    fn a_rebuilt_side_reuses_its_memory_and_layout() {
        let mut bids = Ladder::new(Side::Bid);
        let fill = |bids: &mut Ladder| {
            for i in 0..4_000 {
                // A quarter of the ticks empty: the window grows, and the deepest levels stay
                // in the deep chunks.
                if i % 4 != 3 {
                    bids.set(Price::new(100_000 - i, 0).unwrap(), q("1"), LevelText::default())
                        .unwrap();
                }
            }
        };
        fill(&mut bids);
        let (heap, width, deep) = (bids.heap_bytes(), bids.width, bids.deep.len());
        assert!(width > MIN_WINDOW && deep > 0, "width {width}, {deep} deep levels");
        bids.clear();
        assert_eq!(bids.width, 0, "a cleared side starts small again");
        fill(&mut bids);
        assert_eq!((bids.heap_bytes(), bids.width, bids.deep.len()), (heap, width, deep));
        assert_eq!(bids.len(), 3_000);
        assert_eq!(bids.best().unwrap().price, Price::new(100_000, 0).unwrap());
    }

    #[test]
    fn extreme_prices_keep_their_order() {
        let mut asks = Ladder::new(Side::Ask);
        for s in ["9999999997", "0.0001", "1", "-5", "1e12"] {
            asks.set(p(s), q("1"), LevelText::default()).unwrap();
        }
        assert_eq!(prices(&asks), ["-5", "0.0001", "1", "9999999997", "1000000000000"]);
        assert_eq!(asks.set(p("1e18"), q("1"), LevelText::default()), Err(NumberError::OutOfRange));
        assert_eq!(asks.len(), 5, "a rejected price changes nothing");
        assert_eq!(
            asks.set(p("1e-18"), q("1"), LevelText::default()),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(
            prices(&asks),
            ["-5", "0.0001", "1", "9999999997", "1000000000000"],
            "nor does a failed rescale"
        );
    }
}
