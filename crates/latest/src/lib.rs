//! A latest-value cell for one writer and any number of readers, built only from atomics.
//!
//! The writer (the ingest loop) publishes a value of `N` words; a reader gets the last value
//! published, whole: never a mix of two writes. It is a sequence lock in which the protected
//! words are themselves atomics, so no access is a data race and the Rust memory model gives
//! the guarantee (a seqlock over plain memory, read while it is written, is undefined behaviour
//! in Rust however it is fenced). The orderings are those of H.-J. Boehm, "Can seqlocks get
//! along with programming language memory models?" (MSPC 2012), figure 6:
//!
//! - writer: `seq` to odd (relaxed), release fence, words (relaxed), `seq` to even (release);
//! - reader: `seq` (acquire), words (relaxed), acquire fence, `seq` again (relaxed); the value
//!   is whole if both reads of `seq` are equal and even.
//!
//! If a reader saw any word of a later write, the fences order the writer's odd `seq` before
//! the reader's second `seq` load, which then differs from the first: the reader retries. The
//! writer never waits for readers; a reader retries only while a write overlaps its read (a few
//! nanoseconds), and [`Reader::try_read`] gives up after a bounded number of attempts.
//!
//! The single-writer rule is the API's: [`cell`] returns one [`Writer`], which is not `Clone`.
//! Checked with loom (`tests/loom.rs`) and by a many-thread stress test whose values carry a
//! checksum (`tests/stress.rs`).

#![forbid(unsafe_code)]

#[cfg(loom)]
use loom::sync::Arc;
#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering, fence};
#[cfg(not(loom))]
use std::sync::Arc;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering, fence};

/// The shared cell: a sequence number (odd while a write is in progress) and the words.
#[derive(Debug)]
struct Cell<const N: usize> {
    seq: AtomicU64,
    words: [AtomicU64; N],
}

/// A new cell holding `initial`: its one writer and a first reader.
pub fn cell<const N: usize>(initial: [u64; N]) -> (Writer<N>, Reader<N>) {
    let cell = Arc::new(Cell { seq: AtomicU64::new(0), words: initial.map(AtomicU64::new) });
    (Writer { cell: Arc::clone(&cell), seq: 0 }, Reader { cell })
}

/// The one writer of a cell. Writing never blocks, never allocates, and makes no syscall.
#[derive(Debug)]
pub struct Writer<const N: usize> {
    cell: Arc<Cell<N>>,
    /// The cell's sequence number as this writer (its only writer) last left it: even.
    seq: u64,
}

impl<const N: usize> Writer<N> {
    /// Publishes `value`: readers from now on get it (or a later one), whole.
    #[inline]
    pub fn write(&mut self, value: &[u64; N]) {
        let cell = &*self.cell;
        cell.seq.store(self.seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (word, &v) in cell.words.iter().zip(value) {
            word.store(v, Ordering::Relaxed);
        }
        self.seq = self.seq.wrapping_add(2);
        cell.seq.store(self.seq, Ordering::Release);
    }

    /// A new reader of this cell.
    pub fn reader(&self) -> Reader<N> {
        Reader { cell: Arc::clone(&self.cell) }
    }

    /// How many values were written.
    pub fn writes(&self) -> u64 {
        self.seq / 2
    }
}

/// A reader of a cell. Cheap to clone; `Send` and `Sync`.
#[derive(Debug, Clone)]
pub struct Reader<const N: usize> {
    cell: Arc<Cell<N>>,
}

/// Attempts [`Reader::read`] makes before yielding the thread between attempts.
const SPINS: u32 = 64;

impl<const N: usize> Reader<N> {
    /// One attempt: the value, if no write overlapped the read.
    #[inline]
    pub fn try_read(&self) -> Option<[u64; N]> {
        let cell = &*self.cell;
        let before = cell.seq.load(Ordering::Acquire);
        if before & 1 == 1 {
            return None;
        }
        let value = std::array::from_fn(|i| cell.words[i].load(Ordering::Relaxed));
        fence(Ordering::Acquire);
        let after = cell.seq.load(Ordering::Relaxed);
        (after == before).then_some(value)
    }

    /// The last value written, whole. Retries while writes overlap the read: spinning a few
    /// times, then yielding the thread between attempts (a writer that never stops writing could
    /// keep a reader retrying; the ingest loop writes a book at most once per message).
    #[inline]
    pub fn read(&self) -> [u64; N] {
        let mut attempts = 0u32;
        loop {
            if let Some(value) = self.try_read() {
                return value;
            }
            attempts = attempts.saturating_add(1);
            if attempts < SPINS && cfg!(not(loom)) {
                std::hint::spin_loop();
            } else {
                // Under loom every retry yields, so that the model schedules the writer.
                yield_now();
            }
        }
    }
}

#[cfg(loom)]
fn yield_now() {
    loom::thread::yield_now();
}

#[cfg(not(loom))]
fn yield_now() {
    std::thread::yield_now();
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn readers_see_the_initial_then_the_last_value() {
        let (mut writer, reader) = cell([1, 2, 3]);
        assert_eq!(reader.read(), [1, 2, 3]);
        writer.write(&[4, 5, 6]);
        writer.write(&[7, 8, 9]);
        let other = writer.reader();
        assert_eq!(reader.read(), [7, 8, 9]);
        assert_eq!(other.try_read(), Some([7, 8, 9]));
        assert_eq!(writer.writes(), 2);
    }

    #[test]
    fn a_read_during_a_write_is_refused() {
        let (writer, reader) = cell([0u64; 2]);
        // What a reader sees between the writer's first and last store.
        writer.cell.seq.store(1, Ordering::Relaxed);
        assert_eq!(reader.try_read(), None);
        writer.cell.seq.store(2, Ordering::Release);
        assert_eq!(reader.try_read(), Some([0, 0]));
    }
}
