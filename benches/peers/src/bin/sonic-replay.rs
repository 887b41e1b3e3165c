//! The whole-process peer: a Binance spot order book replayed from a capture file by the program
//! a Rust user would write with the fastest serde JSON decoder and the standard library's
//! ordered map: sonic-rs into borrowed strings, numbers parsed, a `BTreeMap` per side, Binance's
//! update-id rules checked.
//!
//! ```text
//! sonic-replay [--numbers decimal|f64] [--expect FINAL] CAPTURE
//! ```
//!
//! It reads depthbook's capture format as written by `binance-stream` (`<recv_ns> <frame>` lines
//! and one `<recv_ns> @rest <url> <snapshot>` line), so it and `depthbook replay --venue
//! binance-spot --emit none` read the very same bytes. Numbers:
//! - `decimal` (default): `rust_decimal::Decimal` prices and sizes, exact, as depthbook's;
//! - `f64`: `str::parse::<f64>` (hftbacktest's choice), prices keyed by rounded cents.
//!
//! `--expect FINAL` compares the final book with `depthbook replay --final`'s line for the same
//! capture and exits with status 1 if any level differs: the two programs did the same work.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::ExitCode;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

/// A Binance spot `depthUpdate`, strings borrowed from the frame.
#[derive(Deserialize)]
struct DepthUpdate<'a> {
    #[serde(rename = "U")]
    first_id: u64,
    #[serde(rename = "u")]
    last_id: u64,
    #[serde(rename = "b", borrow)]
    bids: Vec<(&'a str, &'a str)>,
    #[serde(rename = "a", borrow)]
    asks: Vec<(&'a str, &'a str)>,
}

/// A Binance spot REST depth snapshot.
#[derive(Deserialize)]
struct Snapshot<'a> {
    #[serde(rename = "lastUpdateId")]
    last_update_id: u64,
    #[serde(borrow)]
    bids: Vec<(&'a str, &'a str)>,
    #[serde(borrow)]
    asks: Vec<(&'a str, &'a str)>,
}

/// `depthbook replay --final`'s line: every level, normalised decimal strings.
#[derive(Deserialize)]
struct FinalLine {
    bids: Vec<(String, String)>,
    asks: Vec<(String, String)>,
}

/// One side's levels keyed by price.
trait SideBook: Default {
    fn set(&mut self, price: &str, qty: &str) -> Result<(), String>;
    /// Every level best-last (ascending price), as exact decimals.
    fn levels(&self) -> Vec<(Decimal, Decimal)>;
}

#[derive(Default)]
struct DecimalSide(BTreeMap<Decimal, Decimal>);

impl SideBook for DecimalSide {
    #[inline]
    fn set(&mut self, price: &str, qty: &str) -> Result<(), String> {
        let price = Decimal::from_str(price).map_err(|e| format!("price {price}: {e}"))?;
        let qty = Decimal::from_str(qty).map_err(|e| format!("size {qty}: {e}"))?;
        if qty.is_zero() {
            self.0.remove(&price);
        } else {
            self.0.insert(price, qty);
        }
        Ok(())
    }

    fn levels(&self) -> Vec<(Decimal, Decimal)> {
        self.0.iter().map(|(p, q)| (*p, *q)).collect()
    }
}

/// Cents per unit of price: the workload's tick (a user of floats keys by tick count).
const TICKS_PER_UNIT: f64 = 100.0;

#[derive(Default)]
struct FloatSide(BTreeMap<i64, f64>);

impl SideBook for FloatSide {
    #[inline]
    fn set(&mut self, price: &str, qty: &str) -> Result<(), String> {
        let price: f64 = price.parse().map_err(|e| format!("price {price}: {e}"))?;
        let qty: f64 = qty.parse().map_err(|e| format!("size {qty}: {e}"))?;
        let ticks = (price * TICKS_PER_UNIT).round() as i64;
        if qty == 0.0 {
            self.0.remove(&ticks);
        } else {
            self.0.insert(ticks, qty);
        }
        Ok(())
    }

    fn levels(&self) -> Vec<(Decimal, Decimal)> {
        self.0
            .iter()
            .map(|(t, q)| {
                let qty = Decimal::from_str(&format!("{q:.8}")).unwrap_or_default();
                (Decimal::new(*t, 2), qty)
            })
            .collect()
    }
}

/// The book and Binance's rules for applying updates after a snapshot.
#[derive(Default)]
struct Replica<S> {
    bids: S,
    asks: S,
    // The last update id applied (the snapshot's, then each event's `u`); `None` before the
    // snapshot.
    last_id: Option<u64>,
    applied: u64,
    gaps: u64,
}

impl<S: SideBook> Replica<S> {
    fn snapshot(&mut self, body: &mut [u8]) -> Result<(), String> {
        let snap: Snapshot<'_> = sonic_rs::from_slice(body).map_err(|e| e.to_string())?;
        (self.bids, self.asks) = (S::default(), S::default());
        for (p, q) in &snap.bids {
            self.bids.set(p, q)?;
        }
        for (p, q) in &snap.asks {
            self.asks.set(p, q)?;
        }
        self.last_id = Some(snap.last_update_id);
        Ok(())
    }

    fn update(&mut self, frame: &[u8]) -> Result<(), String> {
        let event: DepthUpdate<'_> = sonic_rs::from_slice(frame).map_err(|e| e.to_string())?;
        let Some(last) = self.last_id else { return Ok(()) };
        if event.last_id <= last {
            return Ok(());
        }
        if event.first_id > last + 1 {
            // A gap: a real client would fetch a new snapshot; the stream has none.
            self.gaps += 1;
            self.last_id = None;
            return Ok(());
        }
        for (p, q) in &event.bids {
            self.bids.set(p, q)?;
        }
        for (p, q) in &event.asks {
            self.asks.set(p, q)?;
        }
        self.last_id = Some(event.last_id);
        self.applied += 1;
        Ok(())
    }
}

fn run<S: SideBook>(path: &str, expect: Option<&str>) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::with_capacity(1 << 12);
    let mut book = Replica::<S>::default();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(|e| e.to_string())? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let Some(space) = line.iter().position(|&b| b == b' ') else { continue };
        let rest = &mut line[space + 1..];
        if let Some(tagged) = rest.strip_prefix(b"@rest ") {
            let Some(url_end) = tagged.iter().position(|&b| b == b' ') else { continue };
            let start = space + 1 + b"@rest ".len() + url_end + 1;
            book.snapshot(&mut line[start..])?;
        } else {
            book.update(rest)?;
        }
    }
    let bids = book.bids.levels();
    let asks = book.asks.levels();
    eprintln!(
        "{{\"applied\":{},\"gaps\":{},\"bids\":{},\"asks\":{},\"bid\":\"{}\",\"ask\":\"{}\"}}",
        book.applied,
        book.gaps,
        bids.len(),
        asks.len(),
        bids.last().map_or_else(String::new, |l| l.0.normalize().to_string()),
        asks.first().map_or_else(String::new, |l| l.0.normalize().to_string()),
    );
    if let Some(expect) = expect {
        let text = std::fs::read_to_string(expect).map_err(|e| format!("{expect}: {e}"))?;
        let want: FinalLine =
            sonic_rs::from_str(text.trim()).map_err(|e| format!("{expect}: {e}"))?;
        let parse = |levels: &[(String, String)]| -> Result<Vec<(Decimal, Decimal)>, String> {
            levels
                .iter()
                .map(|(p, q)| {
                    Ok((
                        Decimal::from_str(p).map_err(|e| e.to_string())?,
                        Decimal::from_str(q).map_err(|e| e.to_string())?,
                    ))
                })
                .collect()
        };
        let mut want_bids = parse(&want.bids)?;
        want_bids.reverse();
        if want_bids != bids || parse(&want.asks)? != asks {
            return Err(format!("the final book differs from {expect}"));
        }
        eprintln!("same final book as {expect}: {} bids, {} asks", bids.len(), asks.len());
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut numbers = String::from("decimal");
    let mut expect = None;
    let mut path = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--numbers" => numbers = args.next().unwrap_or_default(),
            "--expect" => expect = args.next(),
            _ => path = Some(arg),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: sonic-replay [--numbers decimal|f64] [--expect FINAL] CAPTURE");
        return ExitCode::from(2);
    };
    let result = match numbers.as_str() {
        "decimal" => run::<DecimalSide>(&path, expect.as_deref()),
        "f64" => run::<FloatSide>(&path, expect.as_deref()),
        other => Err(format!("--numbers {other}: decimal or f64")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sonic-replay: {e}");
            ExitCode::FAILURE
        }
    }
}
