//! Model-based sync tests: the engine against the reference reconstructor
//! (`depthbook_testkit::reference`) on every real capture the reference covers, clean and with
//! proptest-chosen faults (lost, repeated, reordered, truncated and corrupted lines, lines of
//! other captures, healing snapshots). The invariants are `depthbook_testkit::sync_check`'s:
//! every view equals the reference book at that point, every fault the venue's rules can reveal
//! is detected at the first line that reveals it, a healed book equals the reference, no
//! counter goes backwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use depthbook_testkit::feeds::{Feed, REFERENCE_FEEDS};
use depthbook_testkit::mutate::{Mutation, mutate};
use depthbook_testkit::sync_check::check_against_reference;
use proptest::prelude::*;

/// Lines of each feed the mutated runs use: enough for every feed's books to go Live and move.
const WINDOW: usize = 400;

static LINES: [OnceLock<Vec<Vec<u8>>>; REFERENCE_FEEDS.len()] =
    [const { OnceLock::new() }; REFERENCE_FEEDS.len()];

fn lines(slot: usize) -> &'static [Vec<u8>] {
    LINES[slot].get_or_init(|| (REFERENCE_FEEDS[slot].load)())
}

/// Lines of the other captures, spliced in by [`Mutation::Splice`]: every feed's first lines.
fn pool() -> &'static [Vec<u8>] {
    static POOL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    POOL.get_or_init(|| {
        (0..REFERENCE_FEEDS.len()).flat_map(|slot| lines(slot).iter().take(20).cloned()).collect()
    })
}

#[test]
fn the_engine_agrees_with_the_reference_on_every_clean_feed() {
    for (slot, Feed { name, venue, .. }) in REFERENCE_FEEDS.iter().enumerate() {
        let compared =
            check_against_reference(*venue, lines(slot)).unwrap_or_else(|d| panic!("{name}: {d}"));
        assert!(compared.live > 0, "{name}: a book goes Live");
        assert!(compared.views > 10, "{name}: views compared: {compared:?}");
        eprintln!("{name}: {compared:?}");
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let line = 0..WINDOW;
    prop_oneof![
        line.clone().prop_map(Mutation::Drop),
        line.clone().prop_map(Mutation::Duplicate),
        line.clone().prop_map(Mutation::Swap),
        (line.clone(), 0u16..1000)
            .prop_map(|(line, per_mille)| Mutation::Truncate { line, per_mille }),
        (line.clone(), any::<usize>(), 1u8..10)
            .prop_map(|(line, nth, delta)| Mutation::CorruptDigit { line, nth, delta }),
        (line.clone(), any::<usize>()).prop_map(|(line, from)| Mutation::Splice { line, from }),
        (line, any::<u32>())
            .prop_map(|(line, instrument)| Mutation::InjectSnapshot { line, instrument }),
    ]
}

fn check_mutated(slot: usize, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    check_window(slot, WINDOW, mutations).map_err(TestCaseError::fail)
}

/// The first `window` lines of feed `slot`, mutated, against the reference.
fn check_window(slot: usize, window: usize, mutations: &[Mutation]) -> Result<(), String> {
    let feed = &REFERENCE_FEEDS[slot];
    let clean = lines(slot);
    let clean = &clean[..clean.len().min(window)];
    let faulty = mutate(feed.venue, clean, mutations, pool());
    check_against_reference(feed.venue, &faulty)
        .map(|_| ())
        .map_err(|d| format!("{}: {d}", feed.name))
}

/// Inputs the `capture_mutations` fuzz target found (its window is 200 lines), kept in
/// `fuzz/regressions/capture_mutations/`.
#[test]
fn fuzz_findings_stay_fixed() {
    // A digit corruption made Deribit's prev_change_id `03195894358`: not a JSON number, so
    // the frame is invalid (the reference read it as 3195894358 and saw a gap).
    let deribit_leading_zero = [
        Mutation::Duplicate(252_645_135),
        Mutation::Duplicate(2_685_341_455),
        Mutation::Drop(252_641_280),
        Mutation::Truncate { line: 4_294_967_295, per_mille: 455 },
        Mutation::CorruptDigit { line: 619_712_271, nth: 636_547_306, delta: 37 },
    ];
    check_window(7, 200, &deribit_leading_zero).unwrap();
    // A digit corruption made a Gate.io delete's price `0.0000000`: a level at price 0 is no
    // level, so the engine rejects the message (the reference applied the delete and
    // published a view).
    let gateio_zero_price = [
        Mutation::CorruptDigit { line: 303_174_162, nth: 303_174_162, delta: 18 },
        Mutation::CorruptDigit { line: 538_055_186, nth: 303_174_162, delta: 18 },
        Mutation::CorruptDigit { line: 303_174_162, nth: 85_073_938, delta: 5 },
    ];
    check_window(5, 200, &gateio_zero_price).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn binance_spot_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(0, &m)?; }
    #[test]
    fn binance_usdm_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(1, &m)?; }
    #[test]
    fn okx_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(2, &m)?; }
    #[test]
    fn okx_with_seq_ids_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(3, &m)?; }
    #[test]
    fn kraken_v1_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(4, &m)?; }
    #[test]
    fn gateio_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(5, &m)?; }
    #[test]
    fn bitget_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(6, &m)?; }
    #[test]
    fn deribit_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(7, &m)?; }
    #[test]
    fn bitfinex_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(8, &m)?; }
    #[test]
    fn coinbase_advanced_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(9, &m)?; }
    #[test]
    fn bybit_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(10, &m)?; }
    #[test]
    fn gateio_futures_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(11, &m)?; }
    #[test]
    fn kraken_v2_under_faults(m in prop::collection::vec(mutation(), 1..6)) { check_mutated(12, &m)?; }
}
