//! Workloads shared by the benches: a seeded synthetic Binance-style diff stream and the real
//! captures from `fixtures/`.

#![forbid(unsafe_code)]

use std::io::Read;
use std::path::PathBuf;

use depthbook_capture::{CaptureReader, RecordKind};
use depthbook_core::{LevelText, Price, Qty, Side};

/// One level change of the synthetic stream.
#[derive(Debug, Clone, Copy)]
pub struct LevelChange {
    /// The side.
    pub side: Side,
    /// The price.
    pub price: Price,
    /// The new size; zero deletes.
    pub qty: Qty,
    /// The spelling (8 decimals, as Binance spot writes them).
    pub text: LevelText,
}

/// A small, fast, seeded generator (xorshift64*), so every run sees the same stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The shape of a synthetic diff stream.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Events in the stream.
    pub events: usize,
    /// Level changes per event.
    pub levels_per_event: usize,
    /// Percentage of changes that delete a level.
    pub delete_percent: u64,
    /// Largest distance from the mid, in ticks; changes cluster near the touch (the distance is
    /// the square of a uniform draw, scaled).
    pub max_distance: u64,
}

impl Workload {
    /// The issue's reference stream: BTCUSDT-like, 9 changes per event, 20% deletions,
    /// concentrated near the top.
    pub const BINANCE_LIKE: Workload = Workload {
        events: 1_000_000,
        levels_per_event: 9,
        delete_percent: 20,
        max_distance: 1_000,
    };

    /// Generates the stream's level changes. The mid drifts by a tick or two now and then, and
    /// the levels it crosses are deleted (extra changes in that event), so the book stays
    /// uncrossed like a venue's.
    pub fn generate(&self, seed: u64) -> Vec<LevelChange> {
        let mut rng = Rng::new(seed);
        // Prices in cents (scale 2), as BTCUSDT's 0.01 tick.
        let mut mid: i64 = 6_000_000; // 60 000.00
        let text =
            LevelText::new(depthbook_core::NumText::plain(8), depthbook_core::NumText::plain(8));
        let mut out = Vec::with_capacity(self.events * self.levels_per_event);
        // The levels the stream has created, so that a moving mid can delete the ones it crosses,
        // as a venue does: the book never ends up crossed.
        let mut live_bids = std::collections::BTreeSet::new();
        let mut live_asks = std::collections::BTreeSet::new();
        let change = |side, ticks, qty: i64| LevelChange {
            side,
            price: Price::from_scaled(ticks, 2),
            qty: Qty::from_scaled(qty, 8).unwrap_or(Qty::ZERO),
            text,
        };
        for _ in 0..self.events {
            if rng.below(8) == 0 {
                mid += rng.below(5) as i64 - 2;
                for ticks in live_bids.split_off(&mid) {
                    out.push(change(Side::Bid, ticks, 0));
                }
                let keep = live_asks.split_off(&(mid + 1));
                for ticks in std::mem::replace(&mut live_asks, keep) {
                    out.push(change(Side::Ask, ticks, 0));
                }
            }
            for _ in 0..self.levels_per_event {
                let side = if rng.below(2) == 0 { Side::Bid } else { Side::Ask };
                let u = rng.below(1_000);
                let distance = (u * u * self.max_distance / 1_000_000) as i64 + 1;
                let (ticks, live) = match side {
                    Side::Bid => (mid - distance, &mut live_bids),
                    Side::Ask => (mid + distance, &mut live_asks),
                };
                let qty = if rng.below(100) < self.delete_percent {
                    0
                } else {
                    rng.below(100_000_000) as i64 + 1
                };
                if qty == 0 {
                    live.remove(&ticks);
                } else {
                    live.insert(ticks);
                }
                out.push(change(side, ticks, qty));
            }
        }
        out
    }
}

/// The path of a file under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(relative)
}

/// A fixture's bytes, gunzipped if needed.
///
/// # Panics
/// If the fixture is missing or corrupt: a bench without its input has nothing to measure.
pub fn fixture_bytes(relative: &str) -> Vec<u8> {
    let path = fixture(relative);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if let Err(e) = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out) {
            panic!("{}: {e}", path.display());
        }
        out
    } else {
        raw
    }
}

/// One frame of a capture, split from its line prefix.
#[derive(Debug, Clone)]
pub struct RecordedFrame {
    /// The frame exactly as received.
    pub bytes: Vec<u8>,
    /// The request URL, for a REST body.
    pub url: Option<String>,
}

/// A capture's frames and their total size in bytes, split from the line prefixes before
/// anything is measured.
pub fn capture_frames(relative: &str) -> (Vec<RecordedFrame>, u64) {
    let bytes = fixture_bytes(relative);
    let mut frames = Vec::new();
    let mut total = 0;
    let readers: Vec<Box<dyn Read>> = vec![Box::new(std::io::Cursor::new(bytes))];
    let mut reader = CaptureReader::from_readers(readers, 16 << 20)
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    while let Some(record) = reader.next().unwrap_or_else(|e| panic!("{relative}: {e}")) {
        let (payload, url) = match record.kind {
            RecordKind::Frame(payload) => (payload, None),
            RecordKind::Rest { body, url } => (body, url.map(str::to_owned)),
            _ => continue,
        };
        total += payload.len() as u64;
        frames.push(RecordedFrame { bytes: payload.to_vec(), url });
    }
    (frames, total)
}

/// Renders level changes as Binance spot `depthUpdate` frames of `per_event` changes each, with
/// contiguous update ids from `first_id`, plus a REST snapshot body at `first_id - 1` holding
/// nothing (every change then lands on a live book).
pub fn binance_frames(
    changes: &[LevelChange],
    per_event: usize,
    first_id: i64,
) -> (Vec<Vec<u8>>, Vec<u8>) {
    binance_frames_for("BTCUSDT", changes, per_event, first_id)
}

/// [`binance_frames`] for the instrument `symbol`.
pub fn binance_frames_for(
    symbol: &str,
    changes: &[LevelChange],
    per_event: usize,
    first_id: i64,
) -> (Vec<Vec<u8>>, Vec<u8>) {
    use std::fmt::Write as _;
    let mut frames = Vec::with_capacity(changes.len() / per_event.max(1) + 1);
    let mut id = first_id;
    let mut buf = depthbook_core::decimal::NumBuf::new();
    for event in changes.chunks(per_event.max(1)) {
        let mut text = String::with_capacity(512);
        let _ = write!(
            text,
            r#"{{"e":"depthUpdate","E":1723161255208,"s":"{symbol}","U":{id},"u":{},"b":["#,
            id + 2
        );
        let mut first = true;
        for side in [Side::Bid, Side::Ask] {
            if side == Side::Ask {
                text.push_str(r#"],"a":["#);
                first = true;
            }
            for ch in event.iter().filter(|c| c.side == side) {
                if !first {
                    text.push(',');
                }
                first = false;
                let price = String::from_utf8_lossy(ch.price.write_text(ch.text.price, &mut buf))
                    .into_owned();
                let qty =
                    String::from_utf8_lossy(ch.qty.write_text(ch.text.qty, &mut buf)).into_owned();
                let _ = write!(text, r#"["{price}","{qty}"]"#);
            }
        }
        text.push_str("]}");
        frames.push(text.into_bytes());
        id += 3;
    }
    let snapshot =
        format!(r#"{{"lastUpdateId":{},"bids":[],"asks":[]}}"#, first_id - 1).into_bytes();
    (frames, snapshot)
}

/// Where the benches write their reports and plots: `target/depthbook-bench/`.
pub fn report_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/depthbook-bench");
    let _ = std::fs::create_dir_all(&dir);
    dir
}
