//! The memory floor under the scaling bench: what touching a book's cache lines costs once there
//! are many books, with no work on them at all.
//!
//! ```text
//! memory-floor [LINES] [BOOK_BYTES]     # defaults: 60 lines of a 23,000-byte book
//! ```
//!
//! Each message picks a book at random and touches `LINES` distinct cache lines of it (read and
//! write one word each, independent loads: the most overlap the core can give), as the scaling
//! bench's OKX messages touch their book. Defaults from the engine as measured: 23.2 MB of heap
//! for 1,000 books of 400 levels a side, and about 61 last-level misses a message at 1,000 books
//! in callgrind's cache model (`--cache-sim=yes`, 2 MB last level). It prints the time a message
//! for 1, 10, 100 and 1,000 books: the extra at 1,000 books is a floor for the engine's own
//! extra on this machine, unless a message touches fewer lines.

use std::hint::black_box;
use std::time::Instant;

use depthbook_benches::Rng;

/// Messages timed per pass.
const MESSAGES: usize = 200_000;

/// Line patterns to draw from (each message takes one at random).
const PATTERNS: usize = 256;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let lines = args.next().and_then(Result::ok).unwrap_or(60).max(1);
    let book_bytes = args.next().and_then(Result::ok).unwrap_or(23_000).max(64 * lines);
    let words = book_bytes / 8;
    let mut rng = Rng::new(7);
    // Which lines a message touches: the first eight (a book's fixed fields), the rest drawn
    // from the whole book, all distinct.
    let patterns: Vec<Vec<usize>> = (0..PATTERNS)
        .map(|_| {
            let mut chosen: Vec<usize> = (0..lines.min(8)).collect();
            while chosen.len() < lines {
                let line = (rng.next_u64() % (words as u64 / 8)) as usize;
                if !chosen.contains(&line) {
                    chosen.push(line);
                }
            }
            chosen.iter().map(|line| line * 8).collect()
        })
        .collect();
    println!("memory floor: {lines} lines a message, books of {book_bytes} bytes");
    let mut one = None;
    for books in [1usize, 10, 100, 1_000] {
        let mut memory: Vec<Box<[u64]>> = (0..books).map(|_| vec![1u64; words].into()).collect();
        let draws: Vec<(usize, usize)> = (0..MESSAGES)
            .map(|_| {
                (
                    (rng.next_u64() % books as u64) as usize,
                    (rng.next_u64() % PATTERNS as u64) as usize,
                )
            })
            .collect();
        let mut best = f64::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            black_box(touch(&mut memory, &patterns, &draws));
            best = best.min(start.elapsed().as_nanos() as f64 / MESSAGES as f64);
        }
        let base = *one.get_or_insert(best);
        println!("{books:>6} books: {best:7.1} ns a message ({:+.1} ns)", best - base);
    }
}

/// Touches each drawn book's pattern of lines; returns a sum so that nothing is optimized out.
#[inline(never)]
fn touch(memory: &mut [Box<[u64]>], patterns: &[Vec<usize>], draws: &[(usize, usize)]) -> u64 {
    let mut sum = 0u64;
    for &(book, pattern) in draws {
        let book = &mut memory[book];
        for &word in &patterns[pattern] {
            sum = sum.wrapping_add(book[word]);
            book[word] ^= 1;
        }
    }
    sum
}
