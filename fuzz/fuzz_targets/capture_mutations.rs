//! Structure-aware: a real capture from `fixtures/` (one of the feeds the reference
//! reconstructor covers), faulted by fuzzer-chosen mutations (drop, duplicate, swap, truncate,
//! corrupt a digit, splice a line of another capture, inject a healing snapshot), then run
//! through the engine beside the reference. Any divergence from `sync_check`'s invariants
//! (views equal the reference book, faults detected at the first line that reveals them, healed
//! books equal the reference, counters never backwards) or any panic is a finding.
//!
//! Input: one byte picks the feed; then 9 bytes a mutation (kind, 4 bytes line, 4 bytes
//! parameter), at most 8 of them.

#![no_main]

use std::sync::OnceLock;

use depthbook_testkit::feeds::REFERENCE_FEEDS;
use depthbook_testkit::mutate::{Mutation, mutate};
use depthbook_testkit::sync_check::check_against_reference;
use libfuzzer_sys::fuzz_target;

/// Lines of each capture the target runs: enough for books to go Live and move, few enough
/// for a few hundred runs a second.
const WINDOW: usize = 200;
const MAX_MUTATIONS: usize = 8;

fn feeds() -> &'static [Vec<Vec<u8>>] {
    static FEEDS: OnceLock<Vec<Vec<Vec<u8>>>> = OnceLock::new();
    FEEDS.get_or_init(|| {
        REFERENCE_FEEDS
            .iter()
            .map(|f| {
                let mut lines = (f.load)();
                lines.truncate(WINDOW);
                lines
            })
            .collect()
    })
}

/// The first lines of every feed: what splices insert.
fn pool() -> &'static [Vec<u8>] {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| feeds().iter().flat_map(|lines| lines.iter().take(16).cloned()).collect())
}

fn decode(chunk: &[u8]) -> Mutation {
    let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let (line, param) = (word(&chunk[1..5]) as usize, word(&chunk[5..9]));
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
    let Some((&pick, rest)) = data.split_first() else { return };
    let slot = usize::from(pick) % REFERENCE_FEEDS.len();
    let mutations: Vec<Mutation> = rest.chunks_exact(9).take(MAX_MUTATIONS).map(decode).collect();
    let feed = &REFERENCE_FEEDS[slot];
    let faulty = mutate(feed.venue, &feeds()[slot], &mutations, pool());
    if let Err(divergence) = check_against_reference(feed.venue, &faulty) {
        panic!("{} with {mutations:?}: {divergence}", feed.name);
    }
});
