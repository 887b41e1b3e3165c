//! One symbol on several of a venue's book channels in one capture (as recorders that take a
//! venue's best-bid-and-offer stream beside its book write them): each channel keeps a book of
//! its own, the deep channel keeps the plain symbol, and neither disturbs the other.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_core::{Book, Price, Qty, Side};
use depthbook_engine::{BookState, EngineConfig};
use depthbook_testkit::{Replay, fixture_lines, levels, replay};
use depthbook_venues::Venue;

/// A level as the venue spelled it... as text: (price, size).
type Text = (String, String);

/// `relative`'s capture, and the same capture with a top-of-book push made by `push` after
/// every message that published a view, holding that view's best bid and ask; one more push
/// comes before everything (for `first`, at prices no book has), so a top-of-book channel is
/// the first to name a symbol.
fn with_top_pushes(
    venue: Venue,
    relative: &str,
    first: &str,
    push: impl Fn(&str, &str, Text, Text, i64) -> String,
) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let lines = fixture_lines(relative);
    let plain = replay(EngineConfig::new(venue), &lines, 0);
    let mut mixed = Vec::new();
    let mut before_all = true;
    for (line, outcome) in lines.iter().zip(&plain.outcomes) {
        let text = String::from_utf8_lossy(line);
        // Capture lines start with their receive time (`<url> <- <time>: ` or `<time>: `).
        let head = text.split(": ").next().unwrap_or_default();
        let stamp = head.rsplit(' ').next().unwrap_or_default().to_owned();
        let prefix = &head[..head.len() - stamp.len()];
        // Before the first frame received (a line that is just `<time>: {...}`).
        if before_all && prefix.is_empty() && stamp.parse::<f64>().is_ok() {
            let one = (String::from("1"), String::from("1"));
            let two = (String::from("2"), String::from("1"));
            mixed.push(
                format!("{prefix}{stamp}: {}", push(&stamp, first, one, two, 1)).into_bytes(),
            );
            before_all = false;
        }
        mixed.push(line.clone());
        for (k, view) in outcome.views.iter().enumerate() {
            let (Some(bid), Some(ask)) = (view.bid, view.ask) else { continue };
            let symbol = plain.engine.symbol(view.instrument);
            let text = |(price, qty): (Price, Qty)| (price.to_string(), qty.to_string());
            let seq = view.seq.unwrap_or_default() * 10 + k as i64;
            let frame = push(&stamp, symbol, text(bid), text(ask), seq);
            mixed.push(format!("{prefix}{stamp}: {frame}").into_bytes());
        }
    }
    (lines, mixed)
}

/// OKX's `books` capture (3 instruments, 290 checksums) with `bbo-tbt` pushes.
fn okx_with_bbo() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    with_top_pushes(
        Venue::Okx,
        "okx/cryptofeed_OKX.ws.1.0.txt",
        "BTC-USDT",
        |_, symbol, bid, ask, seq| {
            format!(
                r#"{{"arg":{{"channel":"bbo-tbt","instId":"{symbol}"}},"data":[{{"asks":[["{}","{}","0","1"]],"bids":[["{}","{}","0","1"]],"ts":"1652459225600","seqId":{seq}}}]}}"#,
                ask.0, ask.1, bid.0, bid.1
            )
        },
    )
}

/// The checks of both venues: each deep book ends as the plain replay's, Live; each symbol's
/// top-of-book book holds one level a side, the deep book's best.
fn assert_a_book_each(plain: &Replay, run: &Replay, top_channel: &str) {
    for id in 0..plain.engine.n_instruments() as u32 {
        let symbol = plain.engine.symbol(id);
        let deep = run.engine.instrument(symbol).unwrap();
        assert_eq!(run.engine.state(deep), Some(BookState::Live), "{symbol}");
        assert_eq!(
            levels(run.engine.book(deep).unwrap(), usize::MAX),
            levels(plain.engine.book(id).unwrap(), usize::MAX),
            "{symbol}: the deep book is the plain replay's"
        );
        let name = format!("{symbol}@{top_channel}");
        let top = run.engine.instrument(&name).unwrap();
        assert_eq!(run.engine.state(top), Some(BookState::Live), "{name}");
        for side in [Side::Bid, Side::Ask] {
            let best = |book: &Book| book.best(side).map(|l| (l.price, l.qty));
            assert_eq!(
                best(run.engine.book(top).unwrap()),
                best(plain.engine.book(id).unwrap()),
                "{name} {side:?}"
            );
            assert_eq!(run.engine.book(top).unwrap().side(side).len(), 1, "{name} {side:?}");
        }
    }
    assert_eq!(run.engine.n_instruments(), 2 * plain.engine.n_instruments());
}

#[test]
fn okx_books_and_bbo_tbt_in_one_capture_keep_a_book_each() {
    let (lines, mixed) = okx_with_bbo();
    let plain = replay(EngineConfig::new(Venue::Okx), &lines, 0);
    let run = replay(EngineConfig::new(Venue::Okx), &mixed, 0);
    let (c, p) = (run.engine.counters(), plain.engine.counters());
    // The deep books: every checksum verified as without the top-of-book pushes, no gap.
    assert_eq!((c.checksums_verified, c.checksum_failures, c.gaps), (290, 0, 0));
    assert_eq!(c.decode_errors, 0);
    assert!(mixed.len() > lines.len() + 200, "the bbo-tbt pushes are many");
    assert!(p.checksums_verified == 290 && p.gaps == 0);
    assert_a_book_each(&plain, &run, "bbo-tbt");
}

#[test]
fn bybit_orderbook_200_and_orderbook_1_in_one_capture_keep_a_book_each() {
    let relative = "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt";
    let (lines, mixed) = with_top_pushes(
        Venue::Bybit,
        relative,
        "BTCUSDT",
        |_, symbol, bid, ask, u| {
            format!(
                r#"{{"topic":"orderbook.1.{symbol}","ts":1786310820000,"type":"snapshot","data":{{"s":"{symbol}","b":[["{}","{}"]],"a":[["{}","{}"]],"u":{u},"seq":{u}}},"cts":1786310819999}}"#,
                bid.0, bid.1, ask.0, ask.1
            )
        },
    );
    let plain = replay(EngineConfig::new(Venue::Bybit), &lines, 0);
    let run = replay(EngineConfig::new(Venue::Bybit), &mixed, 0);
    let (c, p) = (run.engine.counters(), plain.engine.counters());
    assert!(mixed.len() > lines.len() + 200, "the orderbook.1 pushes are many");
    assert_eq!((c.gaps, c.decode_errors), (0, 0));
    assert_eq!(c.applied, p.applied + (mixed.len() - lines.len()) as u64, "every push applied");
    assert_a_book_each(&plain, &run, "orderbook.1");
}

#[test]
fn a_filter_on_the_symbol_keeps_the_deep_book_only() {
    let (_, mixed) = okx_with_bbo();
    let config = EngineConfig {
        symbols: Some(vec!["BTC-USDT".to_owned()]),
        ..EngineConfig::new(Venue::Okx)
    };
    let run = replay(config, &mixed, 0);
    assert_eq!(run.engine.n_instruments(), 1);
    assert_eq!(run.engine.symbol(0), "BTC-USDT");
    assert_eq!(run.engine.state(0), Some(BookState::Live));
    assert!(run.engine.book(0).unwrap().side(Side::Bid).len() > 1, "the deep book");
    let c = run.engine.counters();
    assert_eq!((c.checksum_failures, c.gaps, c.decode_errors), (0, 0, 0));
}
