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
use depthbook_testkit::mutate::{Mutation, mutate, mutate_with};
use depthbook_testkit::sync_check::{Checkpoints, Compared, check_against_reference};
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
    check_window(slot, WINDOW, mutations).map(|_| ()).map_err(TestCaseError::fail)
}

/// The first `window` lines of feed `slot`, mutated, against the reference.
fn check_window(slot: usize, window: usize, mutations: &[Mutation]) -> Result<Compared, String> {
    let feed = &REFERENCE_FEEDS[slot];
    let clean = lines(slot);
    let clean = &clean[..clean.len().min(window)];
    let faulty = mutate(feed.venue, clean, mutations, pool());
    check_against_reference(feed.venue, &faulty).map_err(|d| format!("{}: {d}", feed.name))
}

/// Faults the `capture_mutations` fuzz target found (its window is 200 lines), kept in
/// `fuzz/regressions/capture_mutations/` (as the target's input: feed, base line, mutations).
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
    let compared = check_window(7, 200, &deribit_leading_zero).unwrap();
    assert!(compared.rejected >= 1, "the corrupted frame is rejected: {compared:?}");
    // A digit corruption made a Gate.io delete's price `0.0000000`: a level at price 0 is no
    // level, so the engine rejects the message (the reference applied the delete and
    // published a view).
    // Line 162 holds `["0.00000089","0"]`; its 78th and 79th digits become `0.00000000`.
    let gateio_zero_price = [
        Mutation::CorruptDigit { line: 162, nth: 78, delta: 2 },
        Mutation::CorruptDigit { line: 162, nth: 79, delta: 1 },
    ];
    assert_eq!(rejected_and_stale(5, &gateio_zero_price), (1, 1), "rejected, its book Stale");
    // Bitfinex: the frame after a lost one (SEQ_ALL 50 after 48) holds a price made `0e-8`.
    // Its SEQ_ALL reveals the loss before its bad number rejects it: every Live book is Stale
    // by the gap (the harness took any Stale on a rejected line for a bad message's).
    let bitfinex_gap_then_bad_number = [
        Mutation::Drop(92),
        Mutation::CorruptDigit { line: 92, nth: 3_830_863_446, delta: 228 },
        Mutation::CorruptDigit { line: 91, nth: 0, delta: 0 },
    ];
    assert_eq!(
        rejected_and_stale(8, &bitfinex_gap_then_bad_number),
        (1, 5),
        "rejected, the five Live books Stale by the gap"
    );
    // A digit corruption in a Bybit topic (`orderbook.200` made another depth) names another
    // channel: a book of its own, awaiting its snapshot, on both sides (the reference applied
    // the delta to the symbol's book and published a view).
    let bybit_other_channel =
        [Mutation::CorruptDigit { line: 274, nth: 3_097_212_005_271_625_745, delta: 1 }];
    check_window(10, WINDOW, &bybit_other_channel).unwrap();
}

#[test]
fn kraken_v2_instrument_precisions_past_18_decimals_are_refused_by_both() {
    // The instrument line announces each pair's decimals; one wider than a price can carry makes
    // it a rejected line on both sides. Without any pair's decimals, this derived capture's
    // re-serialised numbers (`5e-05`) fail their checksums: those books go Stale on both sides.
    let (slot, venue) = (12, REFERENCE_FEEDS[12].venue);
    let mut faulty = lines(slot)[..200].to_vec();
    let at = faulty.iter().position(|l| l.windows(10).any(|w| w == b"instrument")).unwrap();
    let text = String::from_utf8(faulty[at].clone()).unwrap();
    assert!(text.contains(r#""price_precision":9,"#));
    faulty[at] = text.replacen(r#""price_precision":9,"#, r#""price_precision":190,"#, 1).into();
    let compared = check_against_reference(venue, &faulty).unwrap();
    assert_eq!((compared.rejected, compared.lines), (1, 200), "{compared:?}");
    assert!(compared.stale > 0 && compared.views > 0, "{compared:?}");
}

/// Lines rejected and Stale transitions in the check of a finding (the target's 200 lines).
fn rejected_and_stale(slot: usize, mutations: &[Mutation]) -> (usize, usize) {
    let compared = check_window(slot, 200, mutations).unwrap();
    (compared.rejected, compared.stale)
}

/// Each feed's first 200 lines with checkpoints every 8, as the fuzz target holds them.
fn checkpoints(slot: usize) -> &'static Checkpoints {
    static ALL: [OnceLock<Checkpoints>; REFERENCE_FEEDS.len()] =
        [const { OnceLock::new() }; REFERENCE_FEEDS.len()];
    ALL[slot].get_or_init(|| {
        let feed = &REFERENCE_FEEDS[slot];
        let clean = lines(slot)[..lines(slot).len().min(200)].to_vec();
        Checkpoints::new(feed.venue, clean, 8).unwrap_or_else(|d| panic!("{}: {d}", feed.name))
    })
}

#[test]
fn a_feed_cut_short_by_its_last_line_has_nothing_to_check() {
    // Found by the proptest below: okx_seq holds 41 lines; losing the last leaves a clean prefix.
    let slot = 3;
    let clean = checkpoints(slot).clean();
    let faulty = mutate(REFERENCE_FEEDS[slot].venue, clean, &[Mutation::Drop(40)], pool());
    assert_eq!(faulty.len(), 40);
    assert!(clean.starts_with(&faulty));
    let part = checkpoints(slot).check(&faulty, usize::MAX).unwrap();
    assert_eq!(part.lines, 0);
    assert!(check_against_reference(REFERENCE_FEEDS[slot].venue, &faulty).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// What the fuzz target relies on: a check from the checkpoint before the first fault finds
    /// what the check from the first line finds (the same verdict, at the same line), and the
    /// healing snapshots taken from checkpoints are those of a replay from the start.
    #[test]
    fn a_check_from_a_checkpoint_is_the_check_from_the_start(
        slot in 0..REFERENCE_FEEDS.len(),
        m in prop::collection::vec(mutation(), 0..6),
    ) {
        let feed = &REFERENCE_FEEDS[slot];
        let checkpoints = checkpoints(slot);
        let clean = checkpoints.clean();
        let faulty = mutate(feed.venue, clean, &m, pool());
        let from_checkpoints = mutate_with(clean, &m, pool(), &|upto| checkpoints.engine_after(upto));
        prop_assert!(faulty.iter().map(Vec::as_slice).eq(from_checkpoints.iter().map(|l| &**l)));
        let whole = check_against_reference(feed.venue, &faulty);
        let part = checkpoints.check(&from_checkpoints, usize::MAX);
        match (&whole, &part) {
            (Ok(whole), Ok(part)) => {
                prop_assert!(part.lines <= whole.lines && part.views <= whole.views);
                // Only a faulty feed that is a clean prefix (the last line dropped) has no line
                // to check.
                let prefix = clean.starts_with(&faulty);
                prop_assert!(prefix || part.lines > 0, "{}: nothing checked", feed.name);
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "{}: from the start {whole:?}, from a checkpoint {part:?}", feed.name),
        }
    }
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
