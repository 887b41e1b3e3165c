//! Faults injected into real captures: each must be detected exactly where the venue's rules
//! say, by the first message that can reveal it, and healed by a fresh snapshot.
//!
//! Every test replays a clean capture and a faulty copy of it and compares them line by line.
//! Where the fault must be detected is not taken from the engine: a small reference model (a
//! `BTreeMap` book per side, the venues' sequence rules as protocols.md states them, and the
//! venues' checksum strings CRC'd with `crc32fast`) replays the faulty feed on its own and names
//! the first line whose sequence or checksum does not fit. The engine must go Stale at exactly
//! that line, publish nothing for that instrument until a healing snapshot (built from the clean
//! run's book at that point) is inserted, then publish exactly what the clean run published;
//! every other instrument's output must be identical to the clean run's throughout.
//!
//! Line numbers in failure messages are 0-based indices into the faulty feed (`outcomes[i]`).

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::OnceLock;

use depthbook_core::Side;
use depthbook_engine::{
    BookState, Counters, Engine, EngineConfig, StaleReason, Status, StatusEvent, TopOfBook,
};
use depthbook_testkit::feeds::{REFERENCE_FEEDS, snapshot_line};
use depthbook_testkit::reference::{
    self, Msg, RefBook, Top, Verdict, key, rest_snapshots, verdict,
};
use depthbook_testkit::{BookLevels, LineOutcome, fixture_lines, levels, replay, replay_files};
use depthbook_venues::{InstrumentId, Venue};

// ---------------------------------------------------------------------------------------------
// Feeds
// ---------------------------------------------------------------------------------------------

/// One clean capture (as a single file) and the instrument faults are injected into.
struct Feed {
    /// Index into [`CLEAN`].
    slot: usize,
    venue: Venue,
    /// The instrument the faults hit, as the venue spells it.
    target: &'static str,
    /// Levels a side a fault must touch to be observable (the checksum's depth).
    top_n: usize,
    /// The clean lines, one file.
    load: fn() -> Vec<Vec<u8>>,
}

const BINANCE_SPOT: Feed = Feed {
    slot: 0,
    venue: Venue::BinanceSpot,
    target: "NKNUSDT",
    top_n: 10,
    load: REFERENCE_FEEDS[0].load,
};

const BINANCE_USDM: Feed = Feed {
    slot: 1,
    venue: Venue::BinanceUsdm,
    target: "SUSHIUSDT",
    top_n: 10,
    load: REFERENCE_FEEDS[1].load,
};

const OKX: Feed = Feed {
    slot: 2,
    venue: Venue::Okx,
    target: "BTC-USD-220527",
    top_n: 25,
    load: REFERENCE_FEEDS[2].load,
};

/// The OKX extract with `seqId`/`prevSeqId` added, as OKX sends them today.
const OKX_SEQ: Feed = Feed {
    slot: 3,
    venue: Venue::Okx,
    target: "BTC-USD-220527",
    top_n: 25,
    load: REFERENCE_FEEDS[3].load,
};

const KRAKEN: Feed = Feed {
    slot: 4,
    venue: Venue::KrakenV1,
    target: "XMR/USD",
    top_n: 10,
    load: REFERENCE_FEEDS[4].load,
};

/// Gate.io spot: the stream and the REST snapshots (`id`) it is bridged onto. OMG_USDT has the
/// most deltas after its snapshot (50).
const GATEIO: Feed = Feed {
    slot: 5,
    venue: Venue::GateIo,
    target: "OMG_USDT",
    top_n: 10,
    load: REFERENCE_FEEDS[5].load,
};

/// Bitget legacy v1 spot `books`: a checksum on every message, no `seq`/`pseq`.
const BITGET: Feed = Feed {
    slot: 6,
    venue: Venue::Bitget,
    target: "EOSUSDT",
    top_n: 25,
    load: REFERENCE_FEEDS[6].load,
};

/// Deribit `book.*.raw`: BTC-24SEP21-8000-P has 30 of the capture's 36 changes (the other nine
/// instruments have at most 3 each).
const DERIBIT: Feed = Feed {
    slot: 7,
    venue: Venue::Deribit,
    target: "BTC-24SEP21-8000-P",
    top_n: 10,
    load: REFERENCE_FEEDS[7].load,
};

/// Bybit v5 spot `orderbook.200`, the real 2026 recording: BTCUSDT has 299 deltas after its
/// snapshot, each `u` one more than the last.
const BYBIT: Feed = Feed {
    slot: 8,
    venue: Venue::Bybit,
    target: "BTCUSDT",
    top_n: 10,
    load: REFERENCE_FEEDS[13].load,
};

const FEEDS: [&Feed; 9] =
    [&BINANCE_SPOT, &BINANCE_USDM, &OKX, &OKX_SEQ, &KRAKEN, &GATEIO, &BITGET, &DERIBIT, &BYBIT];

/// Whether the venue's messages carry a checksum of the book (faults must then touch the
/// checksummed levels to be observable).
fn checksummed(venue: Venue) -> bool {
    matches!(venue, Venue::Okx | Venue::KrakenV1 | Venue::Bitget)
}

/// Faults are injected at or after this many of the target's deltas past its Live line.
const SETTLE: usize = 5;

// ---------------------------------------------------------------------------------------------
// The reference model (depthbook_testkit::reference), run for the target only
// ---------------------------------------------------------------------------------------------

/// The book messages of a line (empty for anything the reference cannot read).
fn parse(venue: Venue, line: &[u8]) -> Vec<Msg> {
    reference::parse(venue, line).unwrap_or_default()
}

/// What the reference saw of the target on one line.
#[derive(Debug, Clone, Default)]
struct RefLine {
    /// A delta of the target (parseable) is on this line.
    delta: bool,
    /// A level of the delta is within the top `top_n` of its side, before or after it.
    touches: bool,
    /// Levels of the delta, sized non-zero, within the top `top_n` after it (price appearing
    /// once in the message).
    visible: Vec<(String, String)>,
    /// The top of book a view must show after this line, if one is published.
    top: Option<Top>,
}

/// The reference's replay of one feed, for its target instrument.
#[derive(Debug, Default)]
struct RefRun {
    /// The first line that reveals a fault, with the reason the venue's rules give.
    detect: Option<(usize, StaleReason)>,
    lines: Vec<RefLine>,
    /// The line the target first went Live on.
    live_line: Option<usize>,
    /// Checksums of the target that matched.
    checksums: u64,
}

fn reference(feed: &Feed, lines: &[Vec<u8>]) -> RefRun {
    let venue = feed.venue;
    let mut run = RefRun::default();
    let mut book = RefBook::default();
    let (mut live, mut last, mut bridged) = (false, None, false);
    let mut buffered: Vec<Msg> = Vec::new();
    let verify = |book: &RefBook, m: &Msg| match (venue, m.checksum) {
        (_, None) => None,
        (Venue::Okx | Venue::Bitget, Some(cs)) => Some(book.okx_checksum() == cs),
        (_, Some(cs)) => Some(book.kraken_checksum() == cs),
    };
    for (i, line) in lines.iter().enumerate() {
        let mut rl = RefLine::default();
        for m in parse(venue, line).into_iter().filter(|m| m.symbol == feed.target) {
            if run.detect.is_some() {
                break;
            }
            if m.snapshot {
                book = RefBook::default();
                book.apply(&m);
                last = m.last;
                bridged = false;
                for b in std::mem::take(&mut buffered) {
                    match verdict(venue, last, bridged, &b) {
                        Verdict::Skip => {}
                        Verdict::Apply => {
                            book.apply(&b);
                            last = b.last;
                            bridged = true;
                        }
                        Verdict::Gap { expected, got } => {
                            run.detect = Some((i, StaleReason::Gap { expected, got }));
                        }
                    }
                }
                match verify(&book, &m) {
                    Some(false) => run.detect = Some((i, StaleReason::ChecksumMismatch)),
                    Some(true) => run.checksums += 1,
                    None => {}
                }
                live = true;
                run.live_line.get_or_insert(i);
                rl.top = Some(book.top());
                continue;
            }
            rl.delta = true;
            if !live {
                if rest_snapshots(venue) {
                    buffered.push(m);
                }
                continue;
            }
            if !m.valid() {
                run.detect = Some((i, StaleReason::BadMessage));
                break;
            }
            match verdict(venue, last, bridged, &m) {
                Verdict::Skip => continue,
                Verdict::Gap { expected, got } => {
                    run.detect = Some((i, StaleReason::Gap { expected, got }));
                    break;
                }
                Verdict::Apply => {}
            }
            let (bids_before, asks_before) = book.top_keys(feed.top_n);
            book.apply(&m);
            if m.last.is_some() {
                last = m.last;
            }
            bridged = true;
            let (bids_after, asks_after) = book.top_keys(feed.top_n);
            for (levels, before, after) in
                [(&m.bids, &bids_before, &bids_after), (&m.asks, &asks_before, &asks_after)]
            {
                for (p, q) in levels {
                    let k = key(p).unwrap();
                    rl.touches |= before.contains(&k) || after.contains(&k);
                    let once = levels.iter().filter(|(p2, _)| p2 == p).count() == 1;
                    if once && after.contains(&k) && key(q) != Some(0) {
                        rl.visible.push((p.clone(), q.clone()));
                    }
                }
            }
            match verify(&book, &m) {
                Some(false) => {
                    run.detect = Some((i, StaleReason::ChecksumMismatch));
                    break;
                }
                Some(true) => run.checksums += 1,
                None => {}
            }
            if m.n_levels() > 0 {
                rl.top = Some(book.top());
            }
        }
        run.lines.push(rl);
    }
    run
}

fn is_target_msg(feed: &Feed, line: &[u8]) -> bool {
    parse(feed.venue, line).iter().any(|m| m.symbol == feed.target)
}

// ---------------------------------------------------------------------------------------------
// Clean runs (computed once per feed)
// ---------------------------------------------------------------------------------------------

struct Clean {
    lines: Vec<Vec<u8>>,
    outcomes: Vec<LineOutcome>,
    counters: Counters,
    symbols: Vec<String>,
    states: Vec<Option<BookState>>,
    /// Every instrument's whole book at the end.
    books: Vec<BookLevels>,
    target: InstrumentId,
    reference: RefRun,
}

static CLEAN: [OnceLock<Clean>; FEEDS.len()] = [const { OnceLock::new() }; FEEDS.len()];

fn symbols(engine: &Engine) -> Vec<String> {
    (0..engine.n_instruments() as InstrumentId).map(|id| engine.symbol(id).to_owned()).collect()
}

fn books(engine: &Engine) -> Vec<BookLevels> {
    (0..engine.n_instruments() as InstrumentId)
        .map(|id| levels(engine.book(id).unwrap(), usize::MAX))
        .collect()
}

fn states(engine: &Engine) -> Vec<Option<BookState>> {
    (0..engine.n_instruments() as InstrumentId).map(|id| engine.state(id)).collect()
}

fn clean(feed: &Feed) -> &'static Clean {
    CLEAN[feed.slot].get_or_init(|| {
        let lines = (feed.load)();
        let run = replay(EngineConfig::new(feed.venue), &lines, 0);
        let reference = reference(feed, &lines);
        Clean {
            outcomes: run.outcomes,
            counters: *run.engine.counters(),
            symbols: symbols(&run.engine),
            states: states(&run.engine),
            books: books(&run.engine),
            target: run.engine.instrument(feed.target).expect("target in the feed"),
            lines,
            reference,
        }
    })
}

/// The part of an outcome about `id` (`mine`) or about every other instrument.
fn part(outcome: &LineOutcome, id: InstrumentId, mine: bool) -> LineOutcome {
    LineOutcome {
        views: outcome.views.iter().filter(|v| (v.instrument == id) == mine).copied().collect(),
        statuses: outcome
            .statuses
            .iter()
            .filter(|s| (s.instrument == id) == mine)
            .copied()
            .collect(),
    }
}

fn tops(views: &[TopOfBook]) -> Vec<Top> {
    views.iter().map(|v| (v.bid, v.ask)).collect()
}

// ---------------------------------------------------------------------------------------------
// Faults
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Drop this many consecutive deltas of the target.
    Drop(usize),
    /// Replace a size with this text, which is not a valid size.
    BadSize(&'static str),
    /// Replace a size within the checksummed top levels with a different valid number.
    OtherSize,
    /// Send a delta twice in a row.
    Duplicate,
    /// Swap two consecutive deltas of the target.
    Swap,
    /// Cut a delta's JSON in half.
    Truncate,
    /// Insert a line that is not JSON before a delta.
    NotJson,
}

impl Fault {
    /// Decode errors the fault causes.
    fn decode_errors(self) -> u64 {
        u64::from(matches!(self, Fault::BadSize(_) | Fault::Truncate | Fault::NotJson))
    }
}

/// The kind of detection the venue's rules call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detect {
    Gap,
    Checksum,
    BadMessage,
    /// Nothing is lost: the book equals the clean run's throughout.
    Harmless,
    /// Nothing is lost, and the repeated message is dropped as one (counted in `repeats`),
    /// not applied again.
    Repeat,
}

/// Where the detection must happen, beyond "where the reference says".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// At the faulty line itself.
    TheFault,
    /// At the target's next message after the fault.
    NextMessage,
    /// Nowhere.
    Never,
}

/// A line of a faulty feed, with the clean line it came from.
#[derive(Debug, Clone)]
struct Line {
    origin: Option<usize>,
    bytes: Vec<u8>,
}

/// A size of `bytes`' level (`price`, `size`) replaced with `new`: quoted `"price","size"`, or
/// Deribit's `[action,price,amount]` with JSON numbers.
fn replace_size(venue: Venue, bytes: &[u8], price: &str, size: &str, new: &str) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let level = |size: &str| match venue {
        Venue::Deribit => format!(",{price},{size}]"),
        _ => format!("\"{price}\",\"{size}\""),
    };
    let old = level(size);
    assert!(text.contains(&old), "level {old} in {text}");
    text.replacen(&old, &level(new), 1).into_bytes()
}

/// The message's first level (bids first) that sets a size, rather than removing the level.
fn sized_level(m: &Msg) -> Option<&(String, String)> {
    m.bids.iter().chain(&m.asks).find(|(_, q)| key(q) != Some(0))
}

/// A different valid, non-zero size: the first digit changed.
fn other_size(size: &str) -> String {
    let first = size.as_bytes()[0];
    let changed = if first == b'9' { b'8' } else { first + 1 };
    format!("{}{}", changed as char, &size[1..])
}

/// The faulty feed and the index of the line where the fault is (for a drop: the line that
/// took the dropped lines' place).
fn inject(feed: &Feed, clean: &Clean, fault: Fault) -> (Vec<Line>, usize) {
    let r = &clean.reference;
    let live = r.live_line.expect("target goes Live");
    let deltas: Vec<usize> = (live + 1..clean.lines.len()).filter(|&i| r.lines[i].delta).collect();
    // Checksum venues: a delta that touches the top levels, so that the fault is observable.
    let pick = |ok: &dyn Fn(usize) -> bool| -> usize {
        (SETTLE..deltas.len()).find(|&j| ok(deltas[j])).expect("a suitable delta")
    };
    let j = match fault {
        Fault::OtherSize => pick(&|i| !r.lines[i].visible.is_empty()),
        Fault::BadSize(_) => {
            pick(&|i| sized_level(&parse(feed.venue, &clean.lines[i])[0]).is_some())
        }
        _ if checksummed(feed.venue) => pick(&|i| r.lines[i].touches),
        _ => SETTLE,
    };
    let at = deltas[j];
    let mut lines: Vec<Line> = clean
        .lines
        .iter()
        .enumerate()
        .map(|(i, bytes)| Line { origin: Some(i), bytes: bytes.clone() })
        .collect();
    match fault {
        Fault::Drop(n) => {
            for &i in deltas[j..j + n].iter().rev() {
                lines.remove(i);
            }
        }
        Fault::BadSize(new) => {
            let m = &parse(feed.venue, &clean.lines[at])[0];
            let (p, q) = sized_level(m).unwrap();
            lines[at].bytes = replace_size(feed.venue, &clean.lines[at], p, q, new);
        }
        Fault::OtherSize => {
            let (p, q) = &r.lines[at].visible[0];
            lines[at].bytes = replace_size(feed.venue, &clean.lines[at], p, q, &other_size(q));
        }
        Fault::Duplicate => {
            let copy = lines[at].clone();
            lines.insert(at + 1, copy);
            return (lines, at + 1);
        }
        Fault::Swap => {
            let next = deltas[j + 1];
            lines.swap(at, next);
        }
        Fault::Truncate => {
            let text = std::str::from_utf8(&clean.lines[at]).unwrap();
            let start = text.find(['{', '[']).unwrap();
            let cut = start + (text.len() - start) / 2;
            lines[at].bytes = text.as_bytes()[..cut].to_vec();
        }
        Fault::NotJson => {
            lines.insert(at, Line { origin: None, bytes: b"this line is not JSON".to_vec() });
        }
    }
    (lines, at)
}

// ---------------------------------------------------------------------------------------------
// The check shared by every test
// ---------------------------------------------------------------------------------------------

fn check(feed: &Feed, fault: Fault, detect: Detect, at: At) {
    let clean = clean(feed);
    let id = clean.target;
    let (mut lines, fault_at) = inject(feed, clean, fault);
    let faulty: Vec<Vec<u8>> = lines.iter().map(|l| l.bytes.clone()).collect();

    // Where the venue's rules say the fault shows, independently of the engine.
    let reference = reference(feed, &faulty);
    let found = reference.detect;
    let next_msg = (fault_at..faulty.len()).find(|&i| is_target_msg(feed, &faulty[i]));
    match (detect, found) {
        (Detect::Harmless | Detect::Repeat, None) => assert_eq!(at, At::Never),
        (Detect::Gap, Some((_, StaleReason::Gap { .. })))
        | (Detect::Checksum, Some((_, StaleReason::ChecksumMismatch)))
        | (Detect::BadMessage, Some((_, StaleReason::BadMessage))) => {}
        _ => panic!("the reference finds {found:?}, the test expects {detect:?}"),
    }
    if let Some((line, _)) = found {
        assert!(line >= fault_at, "detected at {line}, before the fault at {fault_at}");
        match at {
            At::TheFault => assert_eq!(line, fault_at, "detected at the faulty line"),
            At::NextMessage => assert_eq!(Some(line), next_msg, "detected at the next message"),
            At::Never => panic!("a detection was expected nowhere"),
        }
    }

    // Heal: a snapshot from the clean run's book, before the target's second message after
    // the detection line (so that at least one message of the target is not published).
    let heal = found.map(|(d, _)| {
        let after: Vec<usize> =
            (d + 1..faulty.len()).filter(|&i| is_target_msg(feed, &faulty[i])).collect();
        assert!(after.len() >= 3, "room to heal after line {d}");
        let h = after[1];
        let upto = lines[h].origin.unwrap();
        let prefix = replay(EngineConfig::new(feed.venue), &clean.lines[..upto], 0);
        let book = prefix.engine.book(id).unwrap();
        let top = (
            book.best(Side::Bid).map(|l| (l.price, l.qty)),
            book.best(Side::Ask).map(|l| (l.price, l.qty)),
        );
        let line =
            snapshot_line(&prefix.engine, id, &lines[h - 1].bytes).expect("a healing snapshot");
        lines.insert(h, Line { origin: None, bytes: line });
        (h, top, prefix.engine.last_seq(id))
    });
    let faulty: Vec<Vec<u8>> = lines.iter().map(|l| l.bytes.clone()).collect();
    let run = replay(EngineConfig::new(feed.venue), &faulty, 0);
    assert_eq!(run.outcomes.len(), faulty.len());
    assert_eq!(symbols(&run.engine), clean.symbols, "same instruments, same ids");
    let generation = clean.outcomes.iter().flat_map(|o| &o.statuses).find(|s| s.instrument == id);
    let generation = generation.expect("the target goes Live in the clean run").generation;

    let mut compared_after_heal = 0;
    for (i, (line, got)) in lines.iter().zip(&run.outcomes).enumerate() {
        let want = line.origin.map(|c| &clean.outcomes[c]);
        // Every other instrument: exactly the clean run's output.
        let others = want.map(|w| part(w, id, false)).unwrap_or_default();
        assert_eq!(part(got, id, false), others, "other instruments at line {i}");
        // The target.
        let mine = part(got, id, true);
        let clean_mine = want.map(|w| part(w, id, true)).unwrap_or_default();
        let Some((d, reason)) = found else {
            if detect == Detect::Repeat && i == fault_at {
                assert_eq!(mine, LineOutcome::default(), "a repeat is dropped: line {i}");
            } else {
                assert_eq!(mine, clean_mine, "harmless fault: the target at line {i}");
            }
            continue;
        };
        let (h, heal_top, heal_seq) = heal.unwrap();
        if i < fault_at {
            assert_eq!(mine, clean_mine, "before the fault: the target at line {i}");
        } else if i < d {
            // Not yet detectable: the engine publishes the book the faulty feed leads to.
            assert_eq!(mine.statuses, vec![], "line {i}");
            let want: Vec<Top> = reference.lines[i].top.into_iter().collect();
            assert_eq!(tops(&mine.views), want, "undetected fault: the target at line {i}");
        } else if i == d {
            let stale = StatusEvent { instrument: id, status: Status::Stale(reason), generation };
            assert_eq!(mine.statuses, vec![stale], "Stale at the detection line {d}");
            assert_eq!(mine.views, vec![], "nothing published at the detection line {d}");
        } else if i < h {
            assert_eq!(mine, LineOutcome::default(), "nothing while Stale: line {i}");
        } else if i == h {
            let live =
                StatusEvent { instrument: id, status: Status::Live, generation: generation + 1 };
            assert_eq!(mine.statuses, vec![live], "Live again at the healing line {h}");
            assert_eq!(tops(&mine.views), vec![heal_top], "the snapshot's top at line {h}");
            assert_eq!(mine.views[0].seq, heal_seq);
        } else {
            let mut want = clean_mine;
            for v in &mut want.views {
                v.generation += 1;
            }
            compared_after_heal += want.views.len();
            assert_eq!(mine, want, "after healing: the target at line {i}");
        }
    }

    // Final books, states and counters.
    assert_eq!(books(&run.engine), clean.books, "every final book equals the clean run's");
    assert_eq!(states(&run.engine), clean.states);
    let (c, k) = (run.engine.counters(), &clean.counters);
    let detected = u64::from(found.is_some());
    assert_eq!(c.decode_errors, k.decode_errors + fault.decode_errors(), "decode errors");
    assert_eq!(c.gaps, k.gaps + u64::from(detect == Detect::Gap), "gaps");
    assert_eq!(
        c.checksum_failures,
        k.checksum_failures + u64::from(detect == Detect::Checksum),
        "checksum failures"
    );
    assert_eq!(c.resyncs, k.resyncs + detected, "resyncs");
    assert_eq!(c.frames, k.frames + faulty.len() as u64 - clean.lines.len() as u64);
    if found.is_some() {
        assert!(compared_after_heal > 0, "views compared after healing");
    } else {
        // Harmless: the only differences are the extra line's own.
        let repeat = detect == Detect::Repeat;
        let extra = match fault {
            Fault::Duplicate if !repeat => {
                part(&clean.outcomes[fault_at - 1], id, true).views.len() as u64
            }
            _ => 0,
        };
        let dup = u64::from(fault == Fault::Duplicate);
        let reapplied = if repeat { 0 } else { dup };
        let checksummed =
            parse(feed.venue, &faulty[fault_at]).iter().filter(|m| m.checksum.is_some()).count()
                as u64;
        let mut want = *k;
        want.frames += 1;
        want.decode_errors += fault.decode_errors();
        want.events += dup;
        want.applied += reapplied;
        want.repeats += dup - reapplied;
        want.published += extra;
        want.checksums_verified += reapplied * checksummed;
        assert_eq!(*c, want, "counters of a harmless fault");
    }
}

// ---------------------------------------------------------------------------------------------
// Sanity: the inputs and the reference model
// ---------------------------------------------------------------------------------------------

#[test]
fn merged_rest_and_stream_captures_replay_like_the_two_files() {
    for (feed, ws, http) in [
        (
            &BINANCE_SPOT,
            "binance_spot/cryptofeed_BINANCE.ws.1.0.txt",
            "binance_spot/cryptofeed_BINANCE.http.0.0.txt",
        ),
        (
            &BINANCE_USDM,
            "binance_usdm/cryptofeed_BINANCE_FUTURES.ws.1.0.txt",
            "binance_usdm/cryptofeed_BINANCE_FUTURES.http.0.0.txt",
        ),
        (&GATEIO, "gateio/cryptofeed_GATEIO.ws.1.0.txt", "gateio/cryptofeed_GATEIO.http.0.0.txt"),
    ] {
        let (ws, http) = (fixture_lines(ws), fixture_lines(http));
        let two = replay_files(EngineConfig::new(feed.venue), &[&ws, &http], 0);
        let clean = clean(feed);
        assert_eq!(clean.lines.len(), ws.len() + http.len());
        assert_eq!(clean.outcomes, two.outcomes, "{}", feed.venue);
        assert_eq!(clean.counters, *two.engine.counters());
    }
}

#[test]
fn the_reference_model_reproduces_every_clean_feed() {
    for feed in FEEDS {
        let clean = clean(feed);
        let r = &clean.reference;
        assert_eq!(r.detect, None, "{}: no fault in the clean feed", feed.target);
        let k = &clean.counters;
        assert_eq!((k.gaps, k.checksum_failures, k.decode_errors, k.resyncs), (0, 0, 0, 0));
        let mut views = 0;
        for (i, outcome) in clean.outcomes.iter().enumerate() {
            let mine = part(outcome, clean.target, true);
            let want: Vec<Top> = r.lines[i].top.into_iter().collect();
            assert_eq!(tops(&mine.views), want, "{} line {i}", feed.target);
            views += mine.views.len();
        }
        assert!(views > 30, "{}: {views} views", feed.target);
        // Every checksum the target's messages carry matched the reference book.
        let carried = (clean.lines.iter())
            .flat_map(|l| parse(feed.venue, l))
            .filter(|m| m.symbol == feed.target && m.checksum.is_some())
            .count() as u64;
        assert_eq!(r.checksums, carried, "{}", feed.target);
        if checksummed(feed.venue) {
            assert!(carried >= views as u64 - 1, "{}: {carried} checksums", feed.target);
        }
    }
    // The synthetic OKX feed chains and still verifies its 41 checksums.
    let okx_seq = clean(&OKX_SEQ);
    assert_eq!((okx_seq.counters.checksums_verified, okx_seq.reference.checksums), (41, 41));
}

// ---------------------------------------------------------------------------------------------
// Binance spot: U/u continuity (U == previous u + 1)
// ---------------------------------------------------------------------------------------------

#[test]
fn binance_spot_drop_one_delta_is_a_gap_at_the_next_delta() {
    check(&BINANCE_SPOT, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

#[test]
fn binance_spot_drop_three_deltas_is_a_gap_at_the_next_delta() {
    check(&BINANCE_SPOT, Fault::Drop(3), Detect::Gap, At::NextMessage);
}

#[test]
fn binance_spot_negative_size_makes_the_book_stale_at_that_line() {
    check(&BINANCE_SPOT, Fault::BadSize("-5"), Detect::BadMessage, At::TheFault);
}

#[test]
fn binance_spot_duplicate_delta_is_reapplied_harmlessly() {
    check(&BINANCE_SPOT, Fault::Duplicate, Detect::Harmless, At::Never);
}

#[test]
fn binance_spot_swapped_deltas_are_a_gap_at_the_first_of_them() {
    check(&BINANCE_SPOT, Fault::Swap, Detect::Gap, At::TheFault);
}

#[test]
fn binance_spot_truncated_delta_is_a_decode_error_then_a_gap_at_the_next_delta() {
    check(&BINANCE_SPOT, Fault::Truncate, Detect::Gap, At::NextMessage);
}

#[test]
fn binance_spot_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&BINANCE_SPOT, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// Binance USD-M: pu == previous u
// ---------------------------------------------------------------------------------------------

#[test]
fn binance_usdm_drop_one_delta_is_a_gap_at_the_next_delta() {
    check(&BINANCE_USDM, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

#[test]
fn binance_usdm_drop_three_deltas_is_a_gap_at_the_next_delta() {
    check(&BINANCE_USDM, Fault::Drop(3), Detect::Gap, At::NextMessage);
}

#[test]
fn binance_usdm_non_numeric_size_makes_the_book_stale_at_that_line() {
    check(&BINANCE_USDM, Fault::BadSize("abc"), Detect::BadMessage, At::TheFault);
}

#[test]
fn binance_usdm_duplicate_delta_is_a_gap_at_the_duplicate() {
    check(&BINANCE_USDM, Fault::Duplicate, Detect::Gap, At::TheFault);
}

#[test]
fn binance_usdm_swapped_deltas_are_a_gap_at_the_first_of_them() {
    check(&BINANCE_USDM, Fault::Swap, Detect::Gap, At::TheFault);
}

#[test]
fn binance_usdm_truncated_delta_is_a_decode_error_then_a_gap_at_the_next_delta() {
    check(&BINANCE_USDM, Fault::Truncate, Detect::Gap, At::NextMessage);
}

#[test]
fn binance_usdm_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&BINANCE_USDM, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// OKX, 2022 capture: a checksum on every message, no seqId
// ---------------------------------------------------------------------------------------------

#[test]
fn okx_drop_one_update_is_a_checksum_mismatch_at_the_next_update() {
    check(&OKX, Fault::Drop(1), Detect::Checksum, At::NextMessage);
}

#[test]
fn okx_drop_three_updates_is_a_checksum_mismatch_at_the_next_update() {
    check(&OKX, Fault::Drop(3), Detect::Checksum, At::NextMessage);
}

#[test]
fn okx_changed_size_is_a_checksum_mismatch_at_that_line() {
    check(&OKX, Fault::OtherSize, Detect::Checksum, At::TheFault);
}

#[test]
fn okx_duplicate_update_without_seq_ids_is_reapplied_harmlessly() {
    check(&OKX, Fault::Duplicate, Detect::Harmless, At::Never);
}

#[test]
fn okx_swapped_updates_are_a_checksum_mismatch_at_the_first_of_them() {
    check(&OKX, Fault::Swap, Detect::Checksum, At::TheFault);
}

#[test]
fn okx_truncated_update_is_a_decode_error_then_a_checksum_mismatch_at_the_next_update() {
    check(&OKX, Fault::Truncate, Detect::Checksum, At::NextMessage);
}

#[test]
fn okx_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&OKX, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// OKX with seqId/prevSeqId (the extract, chained): prevSeqId == previous seqId
// ---------------------------------------------------------------------------------------------

#[test]
fn okx_with_seq_ids_duplicate_update_is_a_gap_at_the_duplicate() {
    check(&OKX_SEQ, Fault::Duplicate, Detect::Gap, At::TheFault);
}

#[test]
fn okx_with_seq_ids_drop_one_update_is_a_gap_at_the_next_update() {
    check(&OKX_SEQ, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

// ---------------------------------------------------------------------------------------------
// Kraken v1: no sequence, a checksum on every update, books truncated to depth 1000
// ---------------------------------------------------------------------------------------------

#[test]
fn kraken_drop_one_update_is_a_checksum_mismatch_at_the_next_update() {
    check(&KRAKEN, Fault::Drop(1), Detect::Checksum, At::NextMessage);
}

#[test]
fn kraken_drop_three_updates_is_a_checksum_mismatch_at_the_next_update() {
    check(&KRAKEN, Fault::Drop(3), Detect::Checksum, At::NextMessage);
}

#[test]
fn kraken_changed_size_is_a_checksum_mismatch_at_that_line() {
    check(&KRAKEN, Fault::OtherSize, Detect::Checksum, At::TheFault);
}

#[test]
fn kraken_duplicate_update_is_reapplied_harmlessly() {
    check(&KRAKEN, Fault::Duplicate, Detect::Harmless, At::Never);
}

#[test]
fn kraken_swapped_updates_are_a_checksum_mismatch_at_the_first_of_them() {
    check(&KRAKEN, Fault::Swap, Detect::Checksum, At::TheFault);
}

#[test]
fn kraken_truncated_update_is_a_decode_error_then_a_checksum_mismatch_at_the_next_update() {
    check(&KRAKEN, Fault::Truncate, Detect::Checksum, At::NextMessage);
}

#[test]
fn kraken_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&KRAKEN, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// Gate.io spot: Binance spot's rule on the REST `id` (U == previous u + 1), no checksum. A
// changed size is applied undetected (nothing in the feed can reveal it): not tested.
// ---------------------------------------------------------------------------------------------

#[test]
fn gateio_drop_one_delta_is_a_gap_at_the_next_delta() {
    check(&GATEIO, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

#[test]
fn gateio_drop_three_deltas_is_a_gap_at_the_next_delta() {
    check(&GATEIO, Fault::Drop(3), Detect::Gap, At::NextMessage);
}

#[test]
fn gateio_negative_size_makes_the_book_stale_at_that_line() {
    check(&GATEIO, Fault::BadSize("-5"), Detect::BadMessage, At::TheFault);
}

#[test]
fn gateio_duplicate_delta_is_reapplied_harmlessly() {
    check(&GATEIO, Fault::Duplicate, Detect::Harmless, At::Never);
}

#[test]
fn gateio_swapped_deltas_are_a_gap_at_the_first_of_them() {
    check(&GATEIO, Fault::Swap, Detect::Gap, At::TheFault);
}

#[test]
fn gateio_truncated_delta_is_a_decode_error_then_a_gap_at_the_next_delta() {
    check(&GATEIO, Fault::Truncate, Detect::Gap, At::NextMessage);
}

#[test]
fn gateio_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&GATEIO, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// Bitget legacy v1 spot: OKX's checksum on every message, no seq/pseq
// ---------------------------------------------------------------------------------------------

#[test]
fn bitget_drop_one_update_is_a_checksum_mismatch_at_the_next_update() {
    check(&BITGET, Fault::Drop(1), Detect::Checksum, At::NextMessage);
}

#[test]
fn bitget_drop_three_updates_is_a_checksum_mismatch_at_the_next_update() {
    check(&BITGET, Fault::Drop(3), Detect::Checksum, At::NextMessage);
}

#[test]
fn bitget_changed_size_is_a_checksum_mismatch_at_that_line() {
    check(&BITGET, Fault::OtherSize, Detect::Checksum, At::TheFault);
}

#[test]
fn bitget_duplicate_update_is_reapplied_harmlessly() {
    check(&BITGET, Fault::Duplicate, Detect::Harmless, At::Never);
}

#[test]
fn bitget_swapped_updates_are_a_checksum_mismatch_at_the_first_of_them() {
    check(&BITGET, Fault::Swap, Detect::Checksum, At::TheFault);
}

#[test]
fn bitget_truncated_update_is_a_decode_error_then_a_checksum_mismatch_at_the_next_update() {
    check(&BITGET, Fault::Truncate, Detect::Checksum, At::NextMessage);
}

#[test]
fn bitget_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&BITGET, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// Deribit: prev_change_id == previous change_id, no checksum. The target's 30 changes (one
// new/delete pair at the best ask, repeated) leave room for every fault below and its healing.
// A changed amount is applied undetected (nothing in the feed can reveal it): not tested. A
// negative amount is injected into a `new` level: a `delete` removes the level whatever amount
// it carries.
// ---------------------------------------------------------------------------------------------

#[test]
fn deribit_drop_one_change_is_a_gap_at_the_next_change() {
    check(&DERIBIT, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

#[test]
fn deribit_drop_three_changes_is_a_gap_at_the_next_change() {
    check(&DERIBIT, Fault::Drop(3), Detect::Gap, At::NextMessage);
}

#[test]
fn deribit_negative_amount_makes_the_book_stale_at_that_line() {
    check(&DERIBIT, Fault::BadSize("-5"), Detect::BadMessage, At::TheFault);
}

#[test]
fn deribit_duplicate_change_is_a_gap_at_the_duplicate() {
    check(&DERIBIT, Fault::Duplicate, Detect::Gap, At::TheFault);
}

#[test]
fn deribit_swapped_changes_are_a_gap_at_the_first_of_them() {
    check(&DERIBIT, Fault::Swap, Detect::Gap, At::TheFault);
}

#[test]
fn deribit_truncated_change_is_a_decode_error_then_a_gap_at_the_next_change() {
    check(&DERIBIT, Fault::Truncate, Detect::Gap, At::NextMessage);
}

#[test]
fn deribit_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&DERIBIT, Fault::NotJson, Detect::Harmless, At::Never);
}

// ---------------------------------------------------------------------------------------------
// Bybit v5 (real 2026 spot recording): every delta's `u` is the previous one plus 1; a repeat
// (`u <=` the book's) is dropped; anything else is a loss. No checksum: a changed size is
// applied undetected (nothing in the feed can reveal it): not tested.
// ---------------------------------------------------------------------------------------------

#[test]
fn bybit_drop_one_delta_is_a_gap_at_the_next_delta() {
    check(&BYBIT, Fault::Drop(1), Detect::Gap, At::NextMessage);
}

#[test]
fn bybit_drop_three_deltas_is_a_gap_at_the_next_delta() {
    check(&BYBIT, Fault::Drop(3), Detect::Gap, At::NextMessage);
}

#[test]
fn bybit_negative_size_makes_the_book_stale_at_that_line() {
    check(&BYBIT, Fault::BadSize("-5"), Detect::BadMessage, At::TheFault);
}

#[test]
fn bybit_duplicate_delta_is_dropped_as_a_repeat() {
    check(&BYBIT, Fault::Duplicate, Detect::Repeat, At::Never);
}

#[test]
fn bybit_swapped_deltas_are_a_gap_at_the_first_of_them() {
    check(&BYBIT, Fault::Swap, Detect::Gap, At::TheFault);
}

#[test]
fn bybit_truncated_delta_is_a_decode_error_then_a_gap_at_the_next_delta() {
    check(&BYBIT, Fault::Truncate, Detect::Gap, At::NextMessage);
}

#[test]
fn bybit_non_json_line_is_a_decode_error_that_changes_nothing() {
    check(&BYBIT, Fault::NotJson, Detect::Harmless, At::Never);
}
