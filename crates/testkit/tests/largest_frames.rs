//! Bounded memory at each venue's frame limit: one engine per venue, fed through the capture
//! reader (lines capped as `depthbook replay` caps them) the largest frames its limits admit,
//! must stay under 256 MiB of heap (issue 18). The allocator enforces the bound: an allocation
//! past it fails and aborts the test.
//!
//! Per venue:
//! - frames of nothing but tokens as long as the venue's frame limit: bare values
//!   (`{"x":[0,0,...]}`), and an opener followed by closers (`[]]]...`, which simd-json indexes
//!   and reserves tape for before it finds the frame invalid); the token limit refuses both
//!   before parsing (a 32 MiB Coinbase frame of either holds 16 to 32 Mi tokens);
//! - a frame of long strings at the length limit, within the token limit: parsed (and
//!   rejected as not book data), its copies the most a frame's length can cost;
//! - the venue's own snapshot shape at its token limit where its frames may be larger than
//!   the shared 4 MiB (Coinbase Advanced Trade `l2_data`, Coinbase Exchange): parsed and
//!   applied, the per-side cap keeping the best levels.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::io::Read;

use cap::Cap;
use depthbook_capture::CaptureReader;
use depthbook_engine::{BookState, Engine, EngineConfig, SlowConsumer};
use depthbook_testkit::{COINBASE_ADVANCED_TAIL, coinbase_advanced_head, coinbase_advanced_update};
use depthbook_venues::{Limits, Venue};

/// The bound: 256 MiB of heap for the whole test process.
const BOUND: usize = 256 << 20;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, BOUND);

/// The line cap `depthbook replay` uses for a venue (twice the frame limit, for prefixes and
/// escaped frames).
fn max_line(venue: Venue) -> usize {
    Limits::for_venue(venue).max_frame_bytes.saturating_mul(2).saturating_add(64 << 10)
}

/// One line produced in pieces, never whole: `prefix`, then `unit` repeated `count` times with
/// `sep` between, then `suffix`.
struct Repeated {
    parts: Vec<Vec<u8>>,
    unit: Box<dyn FnMut(usize) -> Vec<u8>>,
    sep: &'static [u8],
    count: usize,
    at: usize,
    pending: Vec<u8>,
    suffix: Option<Vec<u8>>,
}

impl Repeated {
    fn new(
        prefix: String,
        unit: impl FnMut(usize) -> Vec<u8> + 'static,
        sep: &'static [u8],
        count: usize,
        suffix: String,
    ) -> Self {
        Self {
            parts: vec![prefix.into_bytes()],
            unit: Box::new(unit),
            sep,
            count,
            at: 0,
            pending: Vec::new(),
            suffix: Some(format!("{suffix}\n").into_bytes()),
        }
    }
}

impl Read for Repeated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            if let Some(part) = self.parts.pop() {
                self.pending = part;
            } else if self.at < self.count {
                let mut piece = if self.at > 0 { self.sep.to_vec() } else { Vec::new() };
                // Units in batches, so the generator is not called per byte read.
                for _ in 0..64 {
                    if self.at == self.count {
                        break;
                    }
                    if !piece.is_empty() && self.at > 0 && piece.len() > self.sep.len() {
                        piece.extend_from_slice(self.sep);
                    }
                    piece.extend((self.unit)(self.at));
                    self.at += 1;
                }
                self.pending = piece;
            } else if let Some(suffix) = self.suffix.take() {
                self.pending = suffix;
            } else {
                return Ok(0);
            }
        }
        let n = out.len().min(self.pending.len());
        out[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

/// Feeds one input through the capture reader into `engine`.
fn feed(engine: &mut Engine, input: impl Read + 'static) {
    let mut reader =
        CaptureReader::from_readers(vec![Box::new(input)], max_line(engine.venue())).unwrap();
    while let Some(record) = reader.next().unwrap() {
        depthbook_capture::feed(engine, &record);
    }
}

/// A line of `{"x":[0,0,...]}` about `len` bytes long.
fn dense(len: usize) -> Repeated {
    Repeated::new("1.0: {\"x\":[".to_owned(), |_| b"0".to_vec(), b",", len / 2, "]}".to_owned())
}

/// A line of `[` and then `len` closers.
fn closers(len: usize) -> Repeated {
    Repeated::new("1.0: [".to_owned(), |_| b"]".to_vec(), b"", len, String::new())
}

/// A line of `{"x":["...","...",...]}` about `len` bytes long, of 64 KiB strings.
fn long_strings(len: usize) -> Repeated {
    let unit = |_| {
        let mut s = vec![b'"'];
        s.extend(std::iter::repeat_n(b'a', (64 << 10) - 2));
        s.push(b'"');
        s
    };
    Repeated::new("1.0: {\"x\":[".to_owned(), unit, b",", len / (64 << 10), "]}".to_owned())
}

/// A Coinbase Advanced Trade `l2_data` snapshot line of `per_side` levels a side.
fn advanced_snapshot(product: &'static str, per_side: usize, seq: u64) -> Repeated {
    let prefix = format!("1.0: {}", coinbase_advanced_head(product, seq));
    let unit = move |i: usize| coinbase_advanced_update(i, per_side).into_bytes();
    Repeated::new(prefix, unit, b",", 2 * per_side, COINBASE_ADVANCED_TAIL.to_owned())
}

/// A Coinbase Exchange `snapshot` of `per_side` `[price, size]` levels a side.
fn exchange_snapshot(per_side: usize) -> Repeated {
    let prefix = "1.0: {\"type\":\"snapshot\",\"product_id\":\"BTC-USD\",\"bids\":[".to_owned();
    let unit = move |i: usize| {
        let cents = if i < per_side { 6_000_000 - i as i64 } else { 6_000_001 + i as i64 };
        let sep = match i {
            0 => "",
            _ if i == per_side => "],\"asks\":[",
            _ => ",",
        };
        format!("{sep}[\"{}.{:02}\",\"0.5\"]", cents / 100, cents % 100).into_bytes()
    };
    Repeated::new(prefix, unit, b"", 2 * per_side, "]}".to_owned())
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

#[test]
fn every_venue_at_its_frame_limit_stays_under_256_mib() {
    let baseline = HEAP.allocated();
    let mut report = Vec::new();
    for venue in Venue::ALL {
        let limits = Limits::for_venue(venue);
        let mut engine = Engine::new(EngineConfig::new(venue));
        let rx = engine.subscribe(16, SlowConsumer::KeepLatest);
        feed(&mut engine, dense(limits.max_frame_bytes - 64));
        feed(&mut engine, closers(limits.max_frame_bytes - 64));
        feed(&mut engine, long_strings(limits.max_frame_bytes - (128 << 10)));
        let c = engine.counters();
        // Bare values and closers are refused unparsed; the strings parse and are not a book.
        assert_eq!(c.decode_errors + c.skipped, 3, "{venue}: {c:?}");
        match venue {
            Venue::Coinbase => {
                // As many levels of Advanced Trade's shape as the token limit takes (18 tokens
                // a level): about 185 000, 21 MB (the real BTC-USD snapshot of August 2026
                // was 5.08 MB).
                let per_side = (limits.max_tokens - 32) / 18 / 2;
                feed(&mut engine, advanced_snapshot("BTC-USD", per_side, 1));
                let id = engine.instrument("BTC-USD").unwrap();
                assert_eq!(engine.state(id), Some(BookState::Live), "{:?}", engine.counters());
            }
            Venue::CoinbaseExchange => {
                let per_side = (limits.max_tokens - 32) / 8 / 2;
                feed(&mut engine, exchange_snapshot(per_side));
                let id = engine.instrument("BTC-USD").unwrap();
                assert_eq!(engine.state(id), Some(BookState::Live), "{:?}", engine.counters());
            }
            _ => {}
        }
        rx.try_iter().for_each(drop);
        report.push(format!(
            "{venue}: limit {:.0} MiB, peak so far {:.1} MiB",
            mib(limits.max_frame_bytes),
            mib(HEAP.max_allocated() - baseline)
        ));
        drop(engine);
    }
    let peak = HEAP.max_allocated() - baseline;
    for line in &report {
        eprintln!("{line}");
    }
    eprintln!("peak heap: {:.1} MiB (bound {} MiB)", mib(peak), BOUND >> 20);
    assert!(peak < BOUND, "peak {peak} bytes");
}
