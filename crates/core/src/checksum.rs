//! Venue checksum builders: the exact strings each venue CRCs, fed straight into CRC32.
//!
//! The strings are never allocated on the hot path: each level's text is rendered into a stack
//! buffer that is handed to a `crc32fast::Hasher` in large chunks (its SIMD kernel wants long
//! inputs; one call per number would cost more than the CRC itself). The same walk can fill a
//! `Vec<u8>` instead, so tests compare the very bytes hashed against published check strings.

use crate::book::Book;
use crate::decimal::{NumBuf, NumText};
use crate::ladder::{Level, Side};

/// Where a checksum walk writes its bytes.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

/// A CRC32 fed through a 2 KiB stack buffer (a 25-level OKX string is about 1 KiB).
struct BufferedCrc {
    hasher: crc32fast::Hasher,
    buf: [u8; 2048],
    len: usize,
}

impl BufferedCrc {
    fn new() -> Self {
        Self { hasher: crc32fast::Hasher::new(), buf: [0; 2048], len: 0 }
    }

    fn finalize(mut self) -> u32 {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize()
    }
}

impl Sink for BufferedCrc {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// OKX and Bitget: the best `levels` bids and asks interleaved `bid1:ask1:bid2:ask2…`, each level
/// `price:size` in the venue's original spelling (trailing zeros kept), joined by `:`; a side that
/// runs out is skipped. The venue compares the CRC32 as a signed 32-bit integer.
pub fn interleaved_crc32(book: &Book, levels: usize) -> i32 {
    let mut crc = BufferedCrc::new();
    interleaved_walk(book, levels, &mut crc);
    crc.finalize() as i32
}

/// The string [`interleaved_crc32`] hashes, for tests and diagnostics.
pub fn interleaved_string(book: &Book, levels: usize) -> String {
    let mut out = Vec::new();
    interleaved_walk(book, levels, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn interleaved_walk(book: &Book, levels: usize, sink: &mut impl Sink) {
    let mut buf = NumBuf::new();
    let (mut bids, mut asks) = (book.side(Side::Bid).iter(), book.side(Side::Ask).iter());
    let mut first = true;
    for _ in 0..levels {
        let (bid, ask) = (bids.next(), asks.next());
        if bid.is_none() && ask.is_none() {
            break;
        }
        for level in [bid, ask].into_iter().flatten() {
            if !first {
                sink.put(b":");
            }
            first = false;
            put_level(level, &mut buf, sink);
        }
    }
}

fn put_level(level: Level, buf: &mut NumBuf, sink: &mut impl Sink) {
    sink.put(level.price.write_text(level.text.price, buf));
    sink.put(b":");
    sink.put(level.qty.write_text(level.text.qty, buf));
}

/// How Kraken levels are spelled before the `.` and leading zeros are stripped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KrakenSpelling {
    /// As the venue wrote them (v1 sends strings with full precision).
    AsSent,
    /// With the instrument's precisions (v2 sends JSON numbers, whose text drops trailing zeros).
    Precision {
        /// Decimals of the price.
        price: u8,
        /// Decimals of the size.
        qty: u8,
    },
}

/// Kraken (WebSocket v1 and v2): the best 10 asks from the lowest, then the best 10 bids from the
/// highest; each level is its price then its size with the `.` removed and leading zeros
/// stripped, all concatenated. The venue compares the CRC32 unsigned.
pub fn kraken_crc32(book: &Book, spelling: KrakenSpelling) -> u32 {
    let mut crc = BufferedCrc::new();
    kraken_walk(book, spelling, &mut crc);
    crc.finalize()
}

/// The string [`kraken_crc32`] hashes, for tests and diagnostics.
pub fn kraken_string(book: &Book, spelling: KrakenSpelling) -> String {
    let mut out = Vec::new();
    kraken_walk(book, spelling, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

const KRAKEN_LEVELS: usize = 10;

fn kraken_walk(book: &Book, spelling: KrakenSpelling, sink: &mut impl Sink) {
    let mut buf = NumBuf::new();
    for side in [Side::Ask, Side::Bid] {
        for level in book.side(side).iter().take(KRAKEN_LEVELS) {
            let (price_text, qty_text) = match spelling {
                KrakenSpelling::AsSent => (level.text.price, level.text.qty),
                KrakenSpelling::Precision { price, qty } => {
                    (NumText::plain(price), NumText::plain(qty))
                }
            };
            put_kraken_digits(level.price.write_text(price_text, &mut buf), sink);
            put_kraken_digits(level.qty.write_text(qty_text, &mut buf), sink);
        }
    }
}

/// Writes `text` without its `.` and without leading zeros.
fn put_kraken_digits(text: &[u8], sink: &mut impl Sink) {
    let start = text.iter().position(|&b| b != b'0' && b != b'.').unwrap_or(text.len());
    let rest = &text[start..];
    match rest.iter().position(|&b| b == b'.') {
        Some(dot) => {
            sink.put(&rest[..dot]);
            sink.put(&rest[dot + 1..]);
        }
        None => sink.put(rest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::{Price, Qty};
    use crate::ladder::LevelText;

    fn book_of(bids: &[(&str, &str)], asks: &[(&str, &str)]) -> Book {
        let mut book = Book::new(1_000);
        for (side, levels) in [(Side::Bid, bids), (Side::Ask, asks)] {
            for (px, sz) in levels {
                let (p, pt) = Price::parse(px).unwrap();
                let (q, qt) = Qty::parse(sz).unwrap();
                book.set(side, p, q, LevelText::new(pt, qt)).unwrap();
            }
        }
        book
    }

    #[test]
    fn okx_docs_examples() {
        let book = book_of(&[("3366.1", "7"), ("3366", "6")], &[("3366.8", "9"), ("3368", "8")]);
        assert_eq!(interleaved_string(&book, 25), "3366.1:7:3366.8:9:3366:6:3368:8");
        assert_eq!(interleaved_crc32(&book, 25), -1_881_014_294);
        let book = book_of(&[("3366.1", "7")], &[("3366.8", "9"), ("3368", "8"), ("3372", "8")]);
        assert_eq!(interleaved_string(&book, 25), "3366.1:7:3366.8:9:3368:8:3372:8");
        assert_eq!(interleaved_crc32(&book, 25), 831_078_360);
    }

    #[test]
    fn bitget_keeps_trailing_zeros() {
        let book = book_of(&[("6.40", "0.00003530")], &[("6.50", "12.000")]);
        assert_eq!(interleaved_string(&book, 25), "6.40:0.00003530:6.50:12.000");
    }

    #[test]
    fn strings_longer_than_the_stack_buffer_hash_the_same() {
        let long = format!("1.{}", "0".repeat(60));
        let levels: Vec<(String, String)> =
            (1..=30).map(|i| (format!("{i}.{}", "0".repeat(60)), long.clone())).collect();
        let refs: Vec<(&str, &str)> =
            levels.iter().map(|(p, q)| (p.as_str(), q.as_str())).collect();
        let book = book_of(&refs, &refs);
        let text = interleaved_string(&book, 25);
        assert!(text.len() > 2048);
        assert_eq!(interleaved_crc32(&book, 25), crc32fast::hash(text.as_bytes()) as i32);
    }

    #[test]
    fn empty_book_hashes_the_empty_string() {
        let book = Book::new(10);
        assert_eq!(interleaved_crc32(&book, 25), 0);
        assert_eq!(kraken_crc32(&book, KrakenSpelling::AsSent), 0);
    }

    #[test]
    fn kraken_strips_point_and_leading_zeros() {
        let book = book_of(&[], &[("0.05000", "0.00000304")]);
        assert_eq!(kraken_string(&book, KrakenSpelling::AsSent), "5000304");
        let book = book_of(&[], &[("45285.2", "0.001")]);
        let spelling = KrakenSpelling::Precision { price: 1, qty: 8 };
        assert_eq!(kraken_string(&book, spelling), "452852100000");
    }
}
