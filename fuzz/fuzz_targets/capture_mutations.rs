//! Structure-aware: a real capture from `fixtures/` (one of the feeds the reference
//! reconstructor covers), faulted by fuzzer-chosen mutations (drop, duplicate, swap, truncate,
//! corrupt a digit, splice a line of another capture, inject a healing snapshot), then run
//! through the engine beside the reference. Any divergence from `sync_check`'s invariants
//! (views equal the reference book, faults detected at the first line that reveals them, healed
//! books equal the reference, counters never backwards) or any panic is a finding.
//!
//! Input: one byte picks the feed, two (little-endian) a base line; then 6 bytes a mutation
//! (kind, line offset from the base, 4 bytes parameter), at most 8 of them. The run is checked
//! from the reference's last checkpoint before the first fault to some lines after the last
//! one (`Checkpoints::check`): the lines before it were judged by the clean check, once.

#![no_main]

use std::sync::OnceLock;

use depthbook_testkit::feeds::REFERENCE_FEEDS;
use depthbook_testkit::mutate::{Mutation, mutate_with};
use depthbook_testkit::sync_check::Checkpoints;
use libfuzzer_sys::fuzz_target;

/// The reference reconstructor allocates per JSON value and per level (it is written to be
/// plain, not fast): about 30% of a run was glibc's malloc and free; mimalloc takes a sixth off
/// a run (17.1 s against 20.8 s for the 4044-input corpus, `-runs=0`, median of four). Under
/// AddressSanitizer (the CI smoke's build) the Rust heap is then out of ASan's sight: this
/// target's own code is safe Rust, and the `engine` target runs the decoders' unsafe
/// dependencies (simd-json) under ASan on the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Lines of each capture the target draws from: enough for books to go Live, fault and heal.
const WINDOW: usize = 200;
/// The reference's state is kept every this many lines of the clean window; a run starts at the
/// last one before its first fault.
const EVERY: usize = 8;
/// All of one input's faults fall within this many lines from its base line.
const SPAN: usize = 16;
/// Lines checked after the last fault: for the fault to be revealed, buffered deltas to meet
/// their snapshot, a healed book to publish.
const TAIL: usize = 48;
const MAX_MUTATIONS: usize = 8;
/// Bytes of one mutation: kind, line offset from the base, a 4-byte parameter.
const MUTATION_BYTES: usize = 6;

/// Each feed's clean window, checked once, with the reference's checkpoints.
fn checkpoints(slot: usize) -> &'static Checkpoints {
    static ALL: [OnceLock<Checkpoints>; REFERENCE_FEEDS.len()] =
        [const { OnceLock::new() }; REFERENCE_FEEDS.len()];
    ALL[slot].get_or_init(|| {
        let feed = &REFERENCE_FEEDS[slot];
        let mut lines = (feed.load)();
        lines.truncate(WINDOW);
        Checkpoints::new(feed.venue, lines, EVERY)
            .unwrap_or_else(|d| panic!("{}, clean: {d}", feed.name))
    })
}

/// The first lines of every feed: what splices insert.
fn pool() -> &'static [Vec<u8>] {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..REFERENCE_FEEDS.len())
            .flat_map(|slot| checkpoints(slot).clean().iter().take(16).cloned())
            .collect()
    })
}

fn decode(base: usize, chunk: &[u8]) -> Mutation {
    let line = base + usize::from(chunk[1]) % SPAN;
    let param = u32::from_le_bytes([chunk[2], chunk[3], chunk[4], chunk[5]]);
    match chunk[0] % 7 {
        0 => Mutation::Drop(line),
        1 => Mutation::Duplicate(line),
        2 => Mutation::Swap(line),
        3 => Mutation::Truncate { line, per_mille: (param % 1000) as u16 },
        4 => Mutation::CorruptDigit { line, nth: param as usize, delta: (param >> 24) as u8 },
        5 => Mutation::Splice { line, from: param as usize },
        _ => Mutation::InjectSnapshot { line, instrument: param },
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, base_lo, base_hi, rest @ ..] = data else { return };
    let slot = usize::from(*pick) % REFERENCE_FEEDS.len();
    let feed = &REFERENCE_FEEDS[slot];
    let checkpoints = checkpoints(slot);
    let clean = checkpoints.clean();
    let base = usize::from(u16::from_le_bytes([*base_lo, *base_hi])) % clean.len().max(1);
    let mutations: Vec<Mutation> = rest
        .chunks_exact(MUTATION_BYTES)
        .take(MAX_MUTATIONS)
        .map(|chunk| decode(base, chunk))
        .collect();
    let faulty = mutate_with(clean, &mutations, pool(), &|upto| checkpoints.engine_after(upto));
    if let Err(divergence) = checkpoints.check(&faulty, TAIL) {
        panic!("{} with {mutations:?}: {divergence}", feed.name);
    }
});
