//! How far each view can be trusted, on real captures: every view carries what was checked on
//! the message behind it (`integrity`), and a checksum that fails on one instrument makes that
//! instrument Stale and no other (the failure ccxt #24461 reported: one pair's checksum tearing
//! down every book of the connection).

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use depthbook_engine::{BookState, EngineConfig, Integrity, StaleReason, TopOfBook};
use depthbook_testkit::feeds::{REFERENCE_FEEDS, okx_with_seq_ids};
use depthbook_testkit::{Replay, fixture_lines, replay};
use depthbook_venues::Venue;

fn replay_lines(venue: Venue, lines: &[Vec<u8>]) -> Replay {
    replay(EngineConfig::new(venue), lines, 0)
}

fn views(run: &Replay) -> impl Iterator<Item = &TopOfBook> {
    run.outcomes.iter().flat_map(|o| &o.views)
}

/// How many views carry each integrity level.
fn census(run: &Replay) -> BTreeMap<Integrity, usize> {
    let mut out = BTreeMap::new();
    for view in views(run) {
        *out.entry(view.integrity).or_default() += 1;
    }
    out
}

/// The census of the views that follow a book's first in its generation (views of deltas),
/// and of those first views (views of snapshots, with what was checked against them).
fn census_by_kind(run: &Replay) -> (BTreeMap<Integrity, usize>, BTreeMap<Integrity, usize>) {
    let (mut deltas, mut snapshots) = (BTreeMap::new(), BTreeMap::new());
    let mut seen = std::collections::HashSet::new();
    for view in views(run) {
        let first = seen.insert((view.instrument, view.generation));
        let census = if first { &mut snapshots } else { &mut deltas };
        *census.entry(view.integrity).or_default() += 1;
    }
    (deltas, snapshots)
}

/// The feed of the reference reconstructor named `name`.
fn feed(name: &str) -> (Venue, Vec<Vec<u8>>) {
    let feed = REFERENCE_FEEDS.iter().find(|f| f.name == name).expect("a reference feed");
    (feed.venue, (feed.load)())
}

#[test]
fn every_view_carries_what_its_message_was_checked_by() {
    // (feed, the only level its views may carry)
    for (name, want) in [
        ("binance_spot", Integrity::Sequenced),
        ("binance_usdm", Integrity::Sequenced),
        // 2022: checksums, no seqId yet.
        ("okx", Integrity::Checksummed),
        // seqId chain and checksums.
        ("okx_seq", Integrity::Verified),
        ("gateio", Integrity::Sequenced),
        ("gateio_futures", Integrity::Sequenced),
        // Legacy v1: checksums, no seq/pseq.
        ("bitget", Integrity::Checksummed),
        ("deribit", Integrity::Sequenced),
        // SEQ_ALL; the capture asked for no checksums.
        ("bitfinex", Integrity::Sequenced),
        ("coinbase_advanced", Integrity::Sequenced),
        ("bybit", Integrity::Sequenced),
        ("bybit_real", Integrity::Sequenced),
    ] {
        let (venue, lines) = feed(name);
        let run = replay_lines(venue, &lines);
        let (deltas, snapshots) = census_by_kind(&run);
        assert_eq!(deltas.keys().copied().collect::<Vec<_>>(), vec![want], "{name}: {deltas:?}");
        assert!(deltas[&want] > 30, "{name}: {deltas:?}");
        // A snapshot's view claims no more than its deltas': the sequence only where the
        // connection's numbering or bridged deltas were checked on it.
        let unsequenced = Integrity::of(false, want.checksummed());
        for level in snapshots.keys() {
            assert!([want, unsequenced].contains(level), "{name}: snapshots {snapshots:?}");
        }
    }
}

#[test]
fn kraken_snapshots_without_a_checksum_are_unverifiable_and_its_updates_checksummed() {
    // Kraken v1 snapshots carry no checksum; neither do the reshaped v2 capture's (real v2
    // snapshots do: see `real_feeds.rs`).
    for name in ["kraken_v1", "kraken_v2"] {
        let (venue, lines) = feed(name);
        let run = replay_lines(venue, &lines);
        let census = census(&run);
        // One snapshot per pair: nothing to check it by.
        assert_eq!(census.get(&Integrity::Unverifiable), Some(&10), "{name}: {census:?}");
        assert_eq!(census.len(), 2, "{name}: {census:?}");
        assert!(census[&Integrity::Checksummed] > 4000, "{name}: {census:?}");
    }
}

#[test]
fn coinbase_exchange_views_and_htx_whole_books_are_unverifiable() {
    let coinbase = fixture_lines("coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz");
    let run = replay_lines(Venue::CoinbaseExchange, &coinbase);
    assert_eq!(census(&run).keys().copied().collect::<Vec<_>>(), vec![Integrity::Unverifiable]);
    assert_eq!(Venue::CoinbaseExchange.integrity(), Integrity::Unverifiable);
    // `depth.step0` pushes are whole books: nothing checks one against another.
    let htx = fixture_lines("htx/cryptofeed_HUOBI.ws.44.0.txt.gz");
    let run = replay_lines(Venue::Htx, &htx);
    assert_eq!(census(&run).keys().copied().collect::<Vec<_>>(), vec![Integrity::Unverifiable]);
    assert_eq!(Venue::Htx.integrity(), Integrity::Unverifiable);
}

/// OKX sends `"checksum":0` on every message in 2026 (ccxt #30299): 0 means absent, the
/// `seqId` chain is the check, and the views are `sequenced`.
#[test]
fn okx_checksum_0_is_absent_and_seq_ids_make_the_views_sequenced() {
    let lines: Vec<Vec<u8>> = okx_with_seq_ids()
        .into_iter()
        .map(|line| {
            let text = String::from_utf8(line).unwrap();
            let start = text.find("\"checksum\":").unwrap() + "\"checksum\":".len();
            let end = start + text[start..].find(',').unwrap();
            format!("{}0{}", &text[..start], &text[end..]).into_bytes()
        })
        .collect();
    let run = replay_lines(Venue::Okx, &lines);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.gaps), (0, 0, 0));
    assert_eq!(c.published, 41);
    // The snapshot is checked by nothing; each update's `prevSeqId` is.
    let levels: Vec<Integrity> = views(&run).map(|v| v.integrity).collect();
    assert_eq!(levels[0], Integrity::Unverifiable);
    assert!(levels[1..].iter().all(|&l| l == Integrity::Sequenced), "{levels:?}");
    assert_eq!(Venue::Okx.integrity(), Integrity::Sequenced);
}

/// `text` with the number after the first `key` (an integer, possibly quoted or negative)
/// changed by one.
fn corrupt_number_after(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let digits_from = start + text[start..].find(|c: char| c.is_ascii_digit())?;
    let digits_to =
        digits_from + text[digits_from..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    let n: u64 = text[digits_from..digits_to].parse().ok()?;
    let changed = if n == 0 { 1 } else { n - 1 };
    Some(format!("{}{changed}{}", &text[..digits_from], &text[digits_to..]))
}

/// Corrupts the checksum of one update of one instrument (one that has others beside it on
/// the feed, Live at that point) and checks that only that instrument goes Stale: the others
/// publish exactly what the clean feed made them publish.
fn one_instrument_checksum_fails(venue: Venue, lines: &[Vec<u8>], key: &str) {
    let clean = replay_lines(venue, lines);
    assert!(clean.engine.n_instruments() >= 2, "{venue}: a feed of several instruments");
    // The first line, well into the feed, whose message is one instrument's checksummed update.
    let (at, target) = (lines.len() / 3..lines.len())
        .find_map(|i| {
            let views = &clean.outcomes[i].views;
            let text = std::str::from_utf8(&lines[i]).ok()?;
            (views.len() == 1 && views[0].integrity.checksummed() && text.contains(key))
                .then_some((i, views[0].instrument))
        })
        .expect("a checksummed update");
    let mut faulty = lines.to_vec();
    let text = std::str::from_utf8(&lines[at]).unwrap();
    faulty[at] = corrupt_number_after(text, key).unwrap().into_bytes();
    let run = replay_lines(venue, &faulty);
    let c = run.engine.counters();
    assert_eq!((c.checksum_failures, c.gaps), (1, 0), "{venue}: {c:?}");
    assert_eq!(
        run.engine.state(target),
        Some(BookState::Stale(StaleReason::ChecksumMismatch)),
        "{venue}"
    );
    for id in 0..run.engine.n_instruments() as u32 {
        if id == target {
            continue;
        }
        let of = |r: &Replay| -> Vec<TopOfBook> {
            views(r).filter(|v| v.instrument == id).copied().collect()
        };
        assert_eq!(of(&run), of(&clean), "{venue}: {} untouched", run.engine.symbol(id));
        assert_eq!(run.engine.state(id), clean.engine.state(id), "{venue}");
    }
    // Only the failing instrument asked for a snapshot.
    let mut engine = run.engine;
    let requests: Vec<_> = engine.drain_snapshot_requests().collect();
    assert_eq!(requests.len(), 1, "{venue}: {requests:?}");
    assert_eq!(requests[0].instrument, target);
}

#[test]
fn a_checksum_failure_resyncs_that_instrument_only_on_okx_kraken_and_bitget() {
    for (name, key) in [
        ("okx", "\"checksum\":"),
        ("kraken_v1", "\"c\":\""),
        ("kraken_v2", "\"checksum\":"),
        ("bitget", "\"checksum\":"),
    ] {
        let (venue, lines) = feed(name);
        one_instrument_checksum_fails(venue, &lines, key);
    }
}

#[test]
fn a_checksum_failure_resyncs_that_instrument_only_on_bitfinex() {
    // Two books on one connection (SEQ_ALL and checksums asked for), each verified by its
    // checksum; then BTC's book changes and its checksum does not follow: BTC alone goes
    // Stale, ETH's next checksum and delta go through.
    let frames = [
        r#"{"event":"conf","status":"OK","flags":196608}"#,
        r#"{"event":"subscribed","channel":"book","chanId":17,"symbol":"tBTCUSD","prec":"P0","freq":"F0","len":"25"}"#,
        r#"{"event":"subscribed","channel":"book","chanId":18,"symbol":"tETHUSD","prec":"P0","freq":"F0","len":"25"}"#,
        r#"[17,[[6000,1,1],[5900,1,2],[6100,1,-3],[6200,1,-4]],1]"#,
        r#"[18,[[6000,1,1],[5900,1,2],[6100,1,-3],[6200,1,-4]],2]"#,
        r#"[17,"cs",1756193398,3]"#,
        r#"[18,"cs",1756193398,4]"#,
        r#"[17,[5900,0,1],5]"#,
        r#"[17,"cs",1756193398,6]"#,
        r#"[18,"cs",1756193398,7]"#,
        r#"[18,[5800,1,1],8]"#,
    ];
    let lines: Vec<Vec<u8>> = frames.iter().map(|f| f.as_bytes().to_vec()).collect();
    let mut run = replay_lines(Venue::Bitfinex, &lines);
    let c = run.engine.counters();
    assert_eq!((c.checksums_verified, c.checksum_failures, c.gaps), (3, 1, 0), "{c:?}");
    let (btc, eth) =
        (run.engine.instrument("tBTCUSD").unwrap(), run.engine.instrument("tETHUSD").unwrap());
    assert_eq!(run.engine.state(btc), Some(BookState::Stale(StaleReason::ChecksumMismatch)));
    assert_eq!(run.engine.state(eth), Some(BookState::Live));
    assert_eq!(run.outcomes[10].views.len(), 1, "ETH still publishes");
    assert_eq!(run.outcomes[10].views[0].instrument, eth);
    let requests: Vec<_> = run.engine.drain_snapshot_requests().collect();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].instrument, btc);
}
