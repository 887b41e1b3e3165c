//! Faults injected into captures of venues that number every message of a connection (Bitfinex
//! SEQ_ALL, Coinbase Advanced Trade `sequence_num`): a lost, repeated, reordered or unreadable
//! frame could have belonged to any channel, so the first numbered frame that reveals it must
//! make every Live book of the connection Stale at once, as one counted gap per break in the
//! chain; nothing is published after it; and a reconnect (the venues' resync) that replays the
//! subscription heals every book to exactly what a clean connection builds.
//!
//! Where a fault must be detected is not taken from the engine: a reference reads each line's
//! connection number with serde_json and names the breaks in the chain as the venues define it
//! (`n == previous + 1`). Line numbers in failure messages are 0-based indices into the faulty
//! feed.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_engine::{BookState, EngineConfig, SlowConsumer, StaleReason, Status, Update};
use depthbook_testkit::{BookLevels, Replay, fixture_lines, levels, replay};
use depthbook_venues::{Frame, Venue};
use serde_json::Value;

/// One capture of a connection-numbered venue.
struct Feed {
    venue: Venue,
    load: fn() -> Vec<Vec<u8>>,
}

const BITFINEX: Feed = Feed {
    venue: Venue::Bitfinex,
    load: || fixture_lines("bitfinex/cryptofeed_BITFINEX.ws.11.0.txt"),
};

/// Derived (reshaped) from the Coinbase Exchange capture: see fixtures/README.md.
const COINBASE_AT: Feed = Feed {
    venue: Venue::Coinbase,
    load: || fixture_lines("coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"),
};

/// The JSON payload of a capture line (`<secs>: <json>` or `<url> -> <secs>: <json>`).
fn body(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?;
    if text.contains(" <- ") || text.contains(" <-> ") {
        return None; // the client's own frames and connect markers
    }
    let at = text.find(": ")?;
    Some(&text[at + 2..])
}

/// The reference: the connection number a line carries, if any.
fn number(venue: Venue, line: &[u8]) -> Option<i64> {
    let value: Value = serde_json::from_str(body(line)?).ok()?;
    match venue {
        // SEQ_ALL appends the number to every array frame (after the payload, or after the
        // checksum's value).
        Venue::Bitfinex => {
            let frame = value.as_array().filter(|a| a.len() >= 3)?;
            frame.last()?.as_i64()
        }
        Venue::Coinbase => value.get("sequence_num")?.as_i64(),
        other => unreachable!("{other} does not number its connection"),
    }
}

/// The reference's breaks: indices of numbered lines whose number is not the previous + 1.
fn breaks(venue: Venue, lines: &[Vec<u8>]) -> Vec<usize> {
    let mut last = None;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(n) = number(venue, line) else { continue };
        if last.is_some_and(|l: i64| n != l + 1) {
            out.push(i);
        }
        last = Some(n);
    }
    out
}

/// Indices of the numbered lines.
fn numbered(venue: Venue, lines: &[Vec<u8>]) -> Vec<usize> {
    (0..lines.len()).filter(|&i| number(venue, &lines[i]).is_some()).collect()
}

/// Where every book has gone Live in a clean replay: the end of the subscription prefix.
fn all_live_at(run: &Replay) -> usize {
    let n = run.engine.n_instruments();
    let mut live = std::collections::BTreeSet::new();
    for (i, outcome) in run.outcomes.iter().enumerate() {
        live.extend(
            outcome.statuses.iter().filter(|s| s.status == Status::Live).map(|s| s.instrument),
        );
        if live.len() == n {
            return i;
        }
    }
    panic!("not every book went Live in the clean capture");
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    DropOne,
    DropThree,
    Duplicate,
    Swap,
    Truncate,
    Garbage,
}

/// `clean` with `fault` applied at the numbered line `at`.
fn inject(clean: &[Vec<u8>], at: usize, next: &[usize], fault: Fault) -> Vec<Vec<u8>> {
    let mut lines = clean.to_vec();
    match fault {
        Fault::DropOne => {
            lines.remove(at);
        }
        Fault::DropThree => {
            for &i in next[..3].iter().rev() {
                lines.remove(i);
            }
        }
        Fault::Duplicate => lines.insert(at + 1, clean[at].clone()),
        Fault::Swap => lines.swap(next[0], next[1]),
        Fault::Truncate => {
            let cut = clean[at].len() * 2 / 3;
            lines[at].truncate(cut);
        }
        Fault::Garbage => lines.insert(at, b"1618677600.0: <html>502 Bad Gateway</html>".to_vec()),
    }
    lines
}

/// Every book's best 10 levels a side.
fn all_books(run: &Replay) -> Vec<BookLevels> {
    (0..run.engine.n_instruments() as u32)
        .map(|id| levels(run.engine.book(id).unwrap(), 10))
        .collect()
}

fn check(feed: &Feed, fault: Fault) {
    let clean = (feed.load)();
    let config = || EngineConfig::new(feed.venue);
    assert!(breaks(feed.venue, &clean).is_empty(), "the clean capture's chain is whole");
    let clean_run = replay(config(), &clean, 0);
    let prefix_end = all_live_at(&clean_run);
    // The fault hits the middle of the capture, after every book is Live.
    let after: Vec<usize> =
        numbered(feed.venue, &clean).into_iter().filter(|&i| i > prefix_end).collect();
    let next = &after[after.len() / 2..];
    let at = next[0];
    let lines = inject(&clean, at, next, fault);
    let expected_breaks = breaks(feed.venue, &lines);
    let mut run = replay(config(), &lines, 0);
    let c = *run.engine.counters();
    let label = format!("{} {fault:?} at line {at}", feed.venue);

    let decode_errors = u64::from(matches!(fault, Fault::Truncate | Fault::Garbage));
    assert_eq!(c.decode_errors, decode_errors, "{label}: decode errors");
    assert_eq!(c.gaps, expected_breaks.len() as u64, "{label}: one gap per break in the chain");
    let Some(&revealed) = expected_breaks.first() else {
        // Garbage carries no number: the chain is whole and nothing else changes.
        assert!(matches!(fault, Fault::Garbage), "{label}: the reference sees no break");
        let clean_final = all_books(&clean_run);
        assert_eq!(all_books(&run), clean_final, "{label}: books as the clean run's");
        assert!(
            (0..run.engine.n_instruments() as u32)
                .all(|id| run.engine.state(id) == Some(BookState::Live)),
            "{label}: every book still Live"
        );
        return;
    };

    // Nothing goes Stale before the revealing line; at it, every book at once.
    for (i, outcome) in run.outcomes.iter().enumerate().take(revealed) {
        assert!(
            outcome.statuses.iter().all(|s| s.status == Status::Live),
            "{label}: a book went Stale at line {i}, before the revealing line {revealed}"
        );
    }
    let stale: Vec<_> = run.outcomes[revealed]
        .statuses
        .iter()
        .filter(|s| matches!(s.status, Status::Stale(StaleReason::Gap { .. })))
        .map(|s| s.instrument)
        .collect();
    assert_eq!(
        stale.len(),
        run.engine.n_instruments(),
        "{label}: every book of the connection goes Stale at line {revealed}"
    );
    for (i, outcome) in run.outcomes.iter().enumerate().skip(revealed) {
        assert!(outcome.views.is_empty(), "{label}: a view at line {i}, after the gap");
    }

    // The resync: the connection closes and the subscription is replayed on a new one.
    run.engine.disconnect();
    let rx = run.engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    for (i, line) in clean[..=prefix_end].iter().enumerate() {
        if let Some(body) = body(line) {
            run.engine.ingest(&Frame::stream(body.as_bytes()), i as i64);
        }
    }
    let healed_views = rx.try_iter().filter(|u| matches!(u, Update::Book(_))).count();
    assert!(healed_views > 0, "{label}: views again after the reconnect");
    for id in 0..run.engine.n_instruments() as u32 {
        assert_eq!(run.engine.state(id), Some(BookState::Live), "{label}: book {id} healed");
    }
    let clean_prefix = replay(config(), &clean[..=prefix_end], 0);
    assert_eq!(all_books(&run), all_books(&clean_prefix), "{label}: books as a clean connection's");
    assert_eq!(run.engine.counters().gaps, c.gaps, "{label}: the new connection's chain is whole");
}

macro_rules! matrix {
    ($($name:ident: $feed:expr, $fault:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check(&$feed, $fault);
            }
        )*
    };
}

matrix! {
    bitfinex_a_dropped_frame_is_one_gap_at_the_next_numbered_frame: BITFINEX, Fault::DropOne;
    bitfinex_three_dropped_frames_are_one_gap_at_the_next_numbered_frame: BITFINEX, Fault::DropThree;
    bitfinex_a_repeated_frame_is_a_gap_at_the_repeat: BITFINEX, Fault::Duplicate;
    bitfinex_swapped_frames_are_a_gap_at_the_first_of_them: BITFINEX, Fault::Swap;
    bitfinex_a_truncated_frame_is_a_decode_error_then_a_gap_at_the_next: BITFINEX, Fault::Truncate;
    bitfinex_a_non_json_line_is_a_decode_error_that_changes_nothing: BITFINEX, Fault::Garbage;
    coinbase_a_dropped_message_is_one_gap_at_the_next_numbered_message: COINBASE_AT, Fault::DropOne;
    coinbase_three_dropped_messages_are_one_gap_at_the_next: COINBASE_AT, Fault::DropThree;
    coinbase_a_repeated_message_is_a_gap_at_the_repeat: COINBASE_AT, Fault::Duplicate;
    coinbase_swapped_messages_are_a_gap_at_the_first_of_them: COINBASE_AT, Fault::Swap;
    coinbase_a_truncated_message_is_a_decode_error_then_a_gap_at_the_next: COINBASE_AT, Fault::Truncate;
    coinbase_a_non_json_line_is_a_decode_error_that_changes_nothing: COINBASE_AT, Fault::Garbage;
}
