//! Synthetic OKX `books` streams over many instruments: one snapshot per instrument of a chosen
//! depth, then updates near the touch, round-robin across the instruments, with the sequence
//! ids and checksums OKX sends. The books behind them are kept here in `BTreeMap`s and the
//! checksums computed with crc32fast over strings built here, independently of depthbook's
//! books: an engine that applies the stream correctly verifies every checksum and stays Live.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The shape of a stream.
#[derive(Debug, Clone, Copy)]
pub struct OkxShape {
    /// Instruments, each with its own book.
    pub instruments: usize,
    /// Levels a side in each snapshot (OKX's `books` channel sends 400).
    pub levels: usize,
    /// Update messages in all, spread round-robin over the instruments.
    pub updates: usize,
    /// Level changes per update message.
    pub changes_per_update: usize,
    /// Seeds the generator: the same shape and seed give the same bytes.
    pub seed: u64,
}

impl OkxShape {
    /// 1,000 instruments of 400 levels a side and 200,000 updates of 4 changes: the OKX shape of
    /// the scaling bench (the issue's "every USDT pair" case).
    pub const THOUSAND_BOOKS: OkxShape = OkxShape {
        instruments: 1_000,
        levels: 400,
        updates: 200_000,
        changes_per_update: 4,
        seed: 7,
    };

    /// Generates the stream.
    pub fn generate(&self) -> OkxStream {
        let mut rng = Rng(self.seed.max(1));
        let mut books: Vec<SyntheticBook> = (0..self.instruments)
            .map(|i| SyntheticBook::new(format!("S{i}-USDT"), self.levels, &mut rng))
            .collect();
        let snapshots = books.iter().map(|b| b.frame("snapshot", -1, &b.all_levels())).collect();
        let mut updates = Vec::with_capacity(self.updates);
        for k in 0..self.updates {
            let n = books.len();
            let Some(book) = books.get_mut(k % n.max(1)) else { break };
            updates.push(book.update(self.changes_per_update, self.levels, &mut rng));
        }
        OkxStream { symbols: books.into_iter().map(|b| b.symbol).collect(), snapshots, updates }
    }
}

/// Synthetic Binance spot streams over many instruments: one REST depth snapshot per
/// instrument, then `depthUpdate`s near the touch, round-robin, numbered as Binance numbers them
/// (each `U` the last `u` + 1), so a book bridged onto its snapshot continues without a gap.
#[derive(Debug, Clone, Copy)]
pub struct BinanceShape {
    /// Instruments, each with its own book (`S{i}USDT`).
    pub instruments: usize,
    /// Levels a side in each snapshot.
    pub levels: usize,
    /// Update messages in all, spread round-robin over the instruments.
    pub updates: usize,
    /// Level changes per update message.
    pub changes_per_update: usize,
    /// Seeds the generator.
    pub seed: u64,
}

impl BinanceShape {
    /// The stream as a capture (depthbook's own line format): every instrument's REST snapshot
    /// (`@rest` lines naming its URL), then the updates, receive times 100 µs apart.
    pub fn capture(&self) -> Vec<Vec<u8>> {
        let mut rng = Rng(self.seed.max(1));
        let mut books: Vec<SyntheticBook> = (0..self.instruments)
            .map(|i| SyntheticBook::new(format!("S{i}USDT"), self.levels, &mut rng))
            .collect();
        let mut lines = Vec::with_capacity(self.instruments + self.updates);
        let mut recv_ns: i64 = 1_723_161_253_937_085_768;
        for book in &books {
            recv_ns += 100_000;
            let url =
                format!("https://api.binance.com/api/v3/depth?symbol={}&limit=1000", book.symbol);
            let mut line = format!("{recv_ns} @rest {url} ").into_bytes();
            line.extend_from_slice(&book.binance_snapshot());
            lines.push(line);
        }
        for k in 0..self.updates {
            let n = books.len();
            let Some(book) = books.get_mut(k % n.max(1)) else { break };
            let changes = book.changes(self.changes_per_update, self.levels, &mut rng);
            recv_ns += 100_000;
            let mut line = format!("{recv_ns} ").into_bytes();
            line.extend_from_slice(&book.binance_update(&changes));
            lines.push(line);
        }
        lines
    }
}

impl OkxStream {
    /// The stream as a capture (depthbook's own line format): snapshots, then updates, receive
    /// times 100 µs apart.
    pub fn capture(&self) -> Vec<Vec<u8>> {
        let mut recv_ns: i64 = 1_723_161_253_937_085_768;
        self.snapshots
            .iter()
            .chain(&self.updates)
            .map(|frame| {
                recv_ns += 100_000;
                let mut line = format!("{recv_ns} ").into_bytes();
                line.extend_from_slice(frame);
                line
            })
            .collect()
    }
}

/// A generated stream.
#[derive(Debug, Clone)]
pub struct OkxStream {
    /// `S{i}-USDT`, in instrument order.
    pub symbols: Vec<String>,
    /// One snapshot frame per instrument, in instrument order.
    pub snapshots: Vec<Vec<u8>>,
    /// Update frames, in stream order.
    pub updates: Vec<Vec<u8>>,
}

/// xorshift64*: seeded, so every run sees the same stream.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// One instrument's book: prices in ticks of 0.1, sizes in units of 0.0001 (spelled with all
/// four decimals, so the checksum tests the original spelling).
struct SyntheticBook {
    symbol: String,
    mid: i64,
    bids: BTreeMap<i64, i64>,
    asks: BTreeMap<i64, i64>,
    seq: i64,
}

/// A level change: side (true for bids), price in ticks, size in units (0 deletes).
type Change = (bool, i64, i64);

impl SyntheticBook {
    fn new(symbol: String, levels: usize, rng: &mut Rng) -> Self {
        let mid = 600_000 + rng.below(100_000) as i64;
        let mut book =
            Self { symbol, mid, bids: BTreeMap::new(), asks: BTreeMap::new(), seq: 1_000 };
        // A quarter of the ticks near the touch are empty, as on a real book.
        let mut distance = 0;
        while book.bids.len() < levels {
            distance += 1;
            if rng.below(4) != 0 {
                book.bids.insert(mid - distance, 1 + rng.below(1_000_000) as i64);
            }
        }
        distance = 0;
        while book.asks.len() < levels {
            distance += 1;
            if rng.below(4) != 0 {
                book.asks.insert(mid + distance, 1 + rng.below(1_000_000) as i64);
            }
        }
        book
    }

    fn all_levels(&self) -> Vec<Change> {
        let bids = self.bids.iter().rev().map(|(&p, &q)| (true, p, q));
        let asks = self.asks.iter().map(|(&p, &q)| (false, p, q));
        bids.chain(asks).collect()
    }

    /// The next OKX update frame (see [`SyntheticBook::changes`]); its `seqId` moves by 1 to 3.
    fn update(&mut self, changes: usize, levels: usize, rng: &mut Rng) -> Vec<u8> {
        let out = self.changes(changes, levels, rng);
        let prev = self.seq;
        self.seq += 1 + rng.below(3) as i64;
        self.frame("update", prev, &out)
    }

    /// The next update's changes, applied: now and then the mid moves a tick or two and the
    /// levels it crosses are deleted; then `changes` changes, mostly near the touch, a fifth of
    /// them deletes.
    fn changes(&mut self, changes: usize, levels: usize, rng: &mut Rng) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::with_capacity(changes + 4);
        if rng.below(8) == 0 {
            self.mid += rng.below(5) as i64 - 2;
            let crossed_bids: Vec<i64> = self.bids.range(self.mid..).map(|(&p, _)| p).collect();
            let crossed_asks: Vec<i64> = self.asks.range(..=self.mid).map(|(&p, _)| p).collect();
            for p in crossed_bids {
                self.bids.remove(&p);
                out.push((true, p, 0));
            }
            for p in crossed_asks {
                self.asks.remove(&p);
                out.push((false, p, 0));
            }
        }
        let reach = (levels as u64 * 4 / 3).max(1);
        for _ in 0..changes {
            let bid = rng.below(2) == 0;
            let u = rng.below(1_000);
            let distance = (u * u * reach / 1_000_000) as i64 + 1;
            let price = if bid { self.mid - distance } else { self.mid + distance };
            let qty = if rng.below(5) == 0 { 0 } else { 1 + rng.below(1_000_000) as i64 };
            if out.iter().any(|&(b, p, _)| b == bid && p == price) {
                continue;
            }
            let side = if bid { &mut self.bids } else { &mut self.asks };
            if qty == 0 {
                side.remove(&price);
            } else {
                side.insert(price, qty);
            }
            out.push((bid, price, qty));
        }
        out
    }

    /// A Binance `depthUpdate` of `changes`, numbered `U` = the last id + 1 and `u` = `U`.
    fn binance_update(&mut self, changes: &[Change]) -> Vec<u8> {
        self.seq += 1;
        let mut text = String::with_capacity(96 + changes.len() * 28);
        let _ = write!(
            text,
            r#"{{"e":"depthUpdate","E":{},"s":"{}","U":{},"u":{},"b":["#,
            1_723_161_255_208i64 + self.seq,
            self.symbol,
            self.seq,
            self.seq
        );
        push_pairs(&mut text, changes.iter().filter(|c| c.0).map(|&(_, p, q)| (p, q)));
        text.push_str(r#"],"a":["#);
        push_pairs(&mut text, changes.iter().filter(|c| !c.0).map(|&(_, p, q)| (p, q)));
        text.push_str("]}");
        text.into_bytes()
    }

    /// A Binance REST depth body of the whole book at the last id.
    fn binance_snapshot(&self) -> Vec<u8> {
        let mut text = String::with_capacity(64 + (self.bids.len() + self.asks.len()) * 28);
        let _ = write!(text, r#"{{"lastUpdateId":{},"bids":["#, self.seq);
        push_pairs(&mut text, self.bids.iter().rev().map(|(&p, &q)| (p, q)));
        text.push_str(r#"],"asks":["#);
        push_pairs(&mut text, self.asks.iter().map(|(&p, &q)| (p, q)));
        text.push_str("]}");
        text.into_bytes()
    }

    /// OKX's checksum: the best 25 bids and asks interleaved, `price:size`, joined by `:`.
    fn checksum(&self) -> i32 {
        let mut text = String::with_capacity(1_200);
        let mut bids = self.bids.iter().rev();
        let mut asks = self.asks.iter();
        for _ in 0..25 {
            for level in [bids.next(), asks.next()].into_iter().flatten() {
                if !text.is_empty() {
                    text.push(':');
                }
                let _ = write!(text, "{}:{}", price(*level.0), size(*level.1));
            }
        }
        crc32fast::hash(text.as_bytes()) as i32
    }

    fn frame(&self, action: &str, prev: i64, changes: &[Change]) -> Vec<u8> {
        let mut text = String::with_capacity(64 + changes.len() * 32);
        let _ = write!(
            text,
            r#"{{"arg":{{"channel":"books","instId":"{}"}},"action":"{action}","data":[{{"asks":["#,
            self.symbol
        );
        for bid in [false, true] {
            if bid {
                text.push_str(r#"],"bids":["#);
            }
            let mut first = true;
            for &(_, p, q) in changes.iter().filter(|c| c.0 == bid) {
                if !first {
                    text.push(',');
                }
                first = false;
                let q = if q == 0 { "0".to_owned() } else { size(q) };
                let _ = write!(text, r#"["{}","{q}","0","1"]"#, price(p));
            }
        }
        let _ = write!(
            text,
            r#"],"ts":"{}","checksum":{},"prevSeqId":{prev},"seqId":{}}}]}}"#,
            1_723_161_255_208i64 + self.seq,
            self.checksum(),
            self.seq
        );
        text.into_bytes()
    }
}

/// `["price","size"],...` (a zero size spelled `0.0000`, as Binance spells it).
fn push_pairs(text: &mut String, levels: impl Iterator<Item = (i64, i64)>) {
    for (i, (p, q)) in levels.enumerate() {
        if i > 0 {
            text.push(',');
        }
        let _ = write!(text, r#"["{}","{}"]"#, price(p), size(q));
    }
}

fn price(ticks: i64) -> String {
    format!("{}.{}", ticks / 10, ticks % 10)
}

fn size(units: i64) -> String {
    format!("{}.{:04}", units / 10_000, units % 10_000)
}
