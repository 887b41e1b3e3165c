//! Bounded memory under hostile input: one engine, with its default limits, fed through the
//! real capture reader the inputs an attacker or a broken feed would send, must stay under
//! 256 MiB of heap, whatever the input (issue 6). The allocator itself enforces the bound: an
//! allocation past it fails and aborts the test.
//!
//! The inputs are generated as they are read (the 100 MB line and the deep nesting in chunks,
//! never whole; each snapshot line is built alone and counts in the peak like the engine's):
//! - a REST snapshot of one million levels (past the frame cap: rejected) and one of 150 000
//!   (within it: applied, the book evicting past its per-side cap);
//! - a 100 MB line;
//! - JSON nested one million deep;
//! - 10^6 distinct prices in deltas to a Live book;
//! - endless deltas (200 000) for a book that never gets its snapshot;
//! - as many instruments as the engine takes (4096), each with a small book: each book's dense
//!   window alone would add up past the bound, so the engine-wide memory budget refuses the
//!   books that would take it over (Stale, `memory_budget`, their memory given back);
//! - deltas of 150 000 levels each for thirty books that await their snapshots: per-book buffer
//!   caps times books, held by the same budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::io::Read;

use cap::Cap;
use depthbook_capture::CaptureReader;
use depthbook_engine::{BookState, Engine, EngineConfig, SlowConsumer, StaleReason};
use depthbook_venues::Venue;

/// The bound: 256 MiB of heap for the whole test process.
const BOUND: usize = 256 << 20;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, BOUND);

/// Lines produced on demand by a generator, `\n`-terminated.
struct Lines<I: Iterator<Item = Vec<u8>>> {
    lines: I,
    current: Vec<u8>,
    at: usize,
}

impl<I: Iterator<Item = Vec<u8>>> Read for Lines<I> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.lines.next() {
                Some(mut line) => {
                    line.push(b'\n');
                    self.current = line;
                    self.at = 0;
                }
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.at);
        out[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// One long line produced in chunks, never whole.
struct LongLine {
    prefix: &'static [u8],
    fill: u8,
    left: usize,
}

impl Read for LongLine {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if !self.prefix.is_empty() {
            let n = out.len().min(self.prefix.len());
            out[..n].copy_from_slice(&self.prefix[..n]);
            self.prefix = &self.prefix[n..];
            return Ok(n);
        }
        let n = out.len().min(self.left);
        out[..n].fill(self.fill);
        self.left -= n;
        Ok(n)
    }
}

/// Feeds `input` through the capture reader into `engine`; returns the lines read.
fn feed(engine: &mut Engine, input: impl Read + 'static) -> u64 {
    let max_line = EngineConfig::new(engine.venue()).limits.max_frame_bytes + 1;
    let mut reader = CaptureReader::from_readers(vec![Box::new(input)], max_line).unwrap();
    let mut lines = 0;
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(engine, &record);
        lines += 1;
    }
    lines
}

/// A Binance spot REST snapshot line of `n` bid levels at distinct prices, as of update `id`.
fn snapshot(symbol: &str, id: u64, n: usize) -> impl Iterator<Item = Vec<u8>> {
    let head = format!(
        "https://api.binance.com/api/v3/depth?symbol={symbol}&limit=5000 -> 1.0: {{\"lastUpdateId\":{id},\"bids\":["
    );
    let mut line = head.into_bytes();
    for i in 0..n {
        let sep = if i + 1 == n { "" } else { "," };
        line.extend_from_slice(
            format!("[\"{}.{:06}\",\"1\"]{sep}", 1 + i / 1_000_000, i % 1_000_000).as_bytes(),
        );
    }
    line.extend_from_slice(b"],\"asks\":[[\"9999\",\"1\"]]}");
    std::iter::once(line)
}

/// Binance spot deltas `first..first+count` for `symbol`, each setting `levels` bids at fresh
/// prices (delta `k`'s prices follow delta `k-1`'s).
fn deltas(
    symbol: &'static str,
    first: u64,
    count: u64,
    levels: u64,
) -> impl Iterator<Item = Vec<u8>> {
    (first..first + count).map(move |u| {
        let bids: Vec<String> = (0..levels)
            .map(|j| {
                let p = (u - first) * levels + j;
                format!("[\"{}.{:06}\",\"2\"]", 2 + p / 1_000_000, p % 1_000_000)
            })
            .collect();
        format!(
            "2.0: {{\"stream\":\"{}@depth@100ms\",\"data\":{{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"{symbol}\",\"U\":{u},\"u\":{u},\"b\":[{}],\"a\":[]}}}}",
            symbol.to_lowercase(),
            bids.join(",")
        )
        .into_bytes()
    })
}

/// A symbol that lives as long as the generators reading it.
fn leak(symbol: String) -> &'static str {
    Box::leak(symbol.into_boxed_str())
}

fn lines<I: Iterator<Item = Vec<u8>>>(lines: I) -> Lines<I> {
    Lines { lines, current: Vec::new(), at: 0 }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

#[test]
fn one_engine_stays_under_256_mib_whatever_the_input() {
    let baseline = HEAP.allocated();
    let mut engine = Engine::new(EngineConfig::new(Venue::BinanceSpot));
    let views = engine.subscribe(1 << 10, SlowConsumer::DropNewest);
    let config = EngineConfig::new(Venue::BinanceSpot);
    let mut report = Vec::new();
    let mut step = |name: &str, engine: &mut Engine, input: Box<dyn Read>| {
        let decode_errors = engine.counters().decode_errors;
        let n = feed(engine, input);
        views.try_iter().for_each(drop);
        let now = HEAP.allocated() - baseline;
        report.push(format!(
            "{name}: {n} lines, +{} decode errors, heap now {:.1} MiB, peak so far {:.1} MiB",
            engine.counters().decode_errors - decode_errors,
            mib(now),
            mib(HEAP.max_allocated() - baseline)
        ));
        engine.counters().decode_errors - decode_errors
    };

    // A million-level snapshot is longer than the frame cap: cut by the reader, rejected whole.
    let errors =
        step("1M-level snapshot", &mut engine, Box::new(lines(snapshot("AAA", 10, 1_000_000))));
    assert_eq!(errors, 1);
    let live = |e: &Engine, s: &str| {
        e.instrument(s).and_then(|id| e.state(id)).is_some_and(BookState::is_live)
    };
    assert!(!live(&engine, "AAA"));

    // 150 000 levels fit in a frame: applied, the book keeping its per-side cap.
    step("150k-level snapshot", &mut engine, Box::new(lines(snapshot("AAA", 10, 150_000))));
    let aaa = engine.instrument("AAA").unwrap();
    assert_eq!(engine.state(aaa), Some(BookState::Live));
    let book = engine.book(aaa).unwrap();
    assert_eq!(book.side(depthbook_core::Side::Bid).len(), config.max_levels_per_side);

    // A 100 MB line: read in bounded pieces, cut at the frame cap, rejected.
    let line =
        LongLine { prefix: b"3.0: {\"stream\":\"x\",\"data\":[", fill: b'1', left: 100 << 20 };
    assert_eq!(step("100 MB line", &mut engine, Box::new(line)), 1);

    // Nesting a million deep: refused at the parser's depth limit.
    let line = LongLine { prefix: b"4.0: ", fill: b'[', left: 1 << 20 };
    assert_eq!(step("1M-deep JSON", &mut engine, Box::new(line)), 1);

    // 10^6 distinct prices in deltas to the Live book: far levels evicted, the cap held.
    step("10^6 distinct prices", &mut engine, Box::new(lines(deltas("AAA", 11, 1_000, 1_000))));
    assert_eq!(engine.state(aaa), Some(BookState::Live));
    let book = engine.book(aaa).unwrap();
    assert_eq!(book.side(depthbook_core::Side::Bid).len(), config.max_levels_per_side);
    assert!(engine.counters().evicted >= 1_000_000 - 2 * config.max_levels_per_side as u64);

    // Endless deltas for a book that never gets a snapshot: the newest are kept, the rest
    // dropped and counted.
    step("endless deltas, no snapshot", &mut engine, Box::new(lines(deltas("BBB", 1, 200_000, 3))));
    let bbb = engine.instrument("BBB").unwrap();
    assert_eq!(engine.state(bbb), Some(BookState::AwaitingSnapshot));
    assert_eq!(engine.buffered_deltas(bbb), config.max_buffered_deltas);
    assert_eq!(engine.counters().buffer_overflows, 200_000 - config.max_buffered_deltas as u64);

    // Thirty books awaiting snapshots, each buffering one 150 000-level delta: within each
    // book's cap, past the engine's budget together.
    let big = (0..30).flat_map(|i| deltas(leak(format!("D{i}")), 1, 1, 150_000));
    step("30 x 150k buffered levels", &mut engine, Box::new(lines(big)));
    let refused = engine.counters().over_budget;
    assert!(refused > 0, "thirty full buffers exceed the budget: {}", engine.heap_bytes());
    assert!(engine.heap_bytes() <= config.max_heap_bytes);
    assert!(engine.buffered_deltas(engine.instrument("D0").unwrap()) == 1);

    // Every instrument the engine takes, each with a two-level book: their dense windows
    // alone would add up past the bound.
    let symbols: Vec<&'static str> = (0..config.max_instruments - engine.n_instruments())
        .map(|i| leak(format!("S{i:04}")))
        .collect();
    let small = symbols.clone().into_iter().flat_map(|s| snapshot(s, 5, 1));
    step("a book for every instrument left", &mut engine, Box::new(lines(small)));
    assert_eq!(engine.n_instruments(), config.max_instruments);
    assert!(engine.counters().over_budget > refused, "the windows exceed the budget");
    assert!(engine.heap_bytes() <= config.max_heap_bytes);
    let stale_over = |s: &str| {
        engine.instrument(s).and_then(|id| engine.state(id))
            == Some(BookState::Stale(StaleReason::MemoryBudget))
    };
    let refused_books = symbols.iter().filter(|s| stale_over(s)).count();
    assert!(refused_books > 0);
    assert!(live(&engine, symbols[0]), "the first books, within the budget, stay Live");

    let peak = HEAP.max_allocated() - baseline;
    for line in &report {
        eprintln!("{line}");
    }
    eprintln!("peak heap: {:.1} MiB (bound {} MiB)", mib(peak), BOUND >> 20);
    assert!(peak < BOUND, "peak {peak} bytes");
}
