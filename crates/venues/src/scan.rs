//! The fast path's reader: one forward pass over a frame's bytes that accepts only the exact
//! compact shape a venue sends, and declines everything else.
//!
//! A venue's fast decoder is a sequence of these steps (a literal, a string, an integer, an
//! array of levels) written in the order the venue writes its keys. Every step returns `None`
//! on anything it does not expect: another key order, whitespace, an escape, a byte outside
//! ASCII, a number outside the plain grammar, a level that does not parse. The frame then goes
//! to the simd-json path, which validates it in general and reports its errors. So whatever the
//! fast path accepts is compact JSON that simd-json accepts too, read to the same values:
//! strings hold only ASCII characters from space on, other than `"` and `\`; integers are
//! `-?(0|[1-9][0-9]*)` of at most 18 digits (not `-0`, which simd-json reads as a float).

use depthbook_core::decimal::{PlainNumber, read_integer};
use depthbook_core::{LevelText, NumText, Price, Qty, Side};

use crate::event::{BookKind, LevelUpdate};
use crate::json::is_json_number;

/// Digits of the longest integer the fast path reads (anything longer might not fit an `i64`).
const MAX_DIGITS: usize = 18;

/// A level's price or size as the fast path found it: its text, and its value when the text was
/// plain and read in place (see [`PlainNumber`]); a number that was not is parsed from its text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number<'a> {
    /// Read in place.
    Plain(PlainNumber),
    /// The text alone, to be parsed when the level is built.
    Text(&'a [u8]),
}

impl Number<'_> {
    /// Zero, as a venue that deletes with a word instead of a size means it.
    pub(crate) const ZERO: Number<'static> = Number::Plain(PlainNumber::ZERO);

    /// Whether the number is a size the parsers accept (a venue's delete still names one).
    pub(crate) fn is_qty(self) -> bool {
        match self {
            Number::Plain(_) => true,
            Number::Text(text) => Qty::parse_bytes(text).is_ok(),
        }
    }

    /// The number as a price, and how it was written; `None` if it does not parse as one.
    #[inline(always)]
    fn price(self) -> Option<(Price, NumText)> {
        match self {
            Number::Plain(plain) => Some((Price::from(plain), plain.text())),
            Number::Text(text) => Price::parse_bytes(text).ok(),
        }
    }

    /// The number as a size, and how it was written; `None` if it does not parse as one.
    #[inline(always)]
    fn qty(self) -> Option<(Qty, NumText)> {
        match self {
            Number::Plain(plain) => Some((Qty::from(plain), plain.text())),
            Number::Text(text) => Qty::parse_bytes(text).ok(),
        }
    }
}

/// The level `price`/`qty` on `side`, as [`level_bytes`](crate::json::level_bytes) builds it
/// from their text; `None` where that is an error (which the simd-json path then reports).
#[inline(always)]
pub(crate) fn level_of(side: Side, price: Number<'_>, qty: Number<'_>) -> Option<LevelUpdate> {
    let (price, price_text) = price.price()?;
    if !price.is_positive() {
        return None;
    }
    let (qty, qty_text) = qty.qty()?;
    Some(LevelUpdate { side, price, qty, text: LevelText::new(price_text, qty_text), order: None })
}

/// A position in a frame.
#[derive(Debug, Clone)]
pub(crate) struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// Whether the rest of the frame starts with `lit` (nothing is consumed).
    #[inline]
    pub(crate) fn peek(&self, lit: &[u8]) -> bool {
        self.bytes.get(self.at..).is_some_and(|rest| rest.starts_with(lit))
    }

    /// Consumes `lit` exactly.
    #[inline]
    pub(crate) fn lit(&mut self, lit: &[u8]) -> Option<()> {
        if !self.peek(lit) {
            return None;
        }
        self.at += lit.len();
        Some(())
    }

    /// Consumes `lit` if it is next; says whether it was.
    #[inline]
    pub(crate) fn opt_lit(&mut self, lit: &[u8]) -> bool {
        self.lit(lit).is_some()
    }

    /// The end of the frame.
    #[inline]
    pub(crate) fn end(&self) -> Option<()> {
        (self.at == self.bytes.len()).then_some(())
    }

    /// `"snapshot"`, or the venue's word for a delta (quoted, as `br#""delta""#`): the kind.
    #[inline]
    pub(crate) fn snapshot_or(&mut self, delta: &[u8]) -> Option<BookKind> {
        if self.opt_lit(br#""snapshot""#) {
            return Some(BookKind::Snapshot);
        }
        self.lit(delta).map(|()| BookKind::Delta)
    }

    /// A string's contents: ASCII from space on, without `\`.
    #[inline]
    pub(crate) fn string(&mut self) -> Option<&'a [u8]> {
        self.lit(b"\"")?;
        self.string_tail()
    }

    /// The rest of a string whose opening quote and first bytes were matched as a literal: up
    /// to its closing quote, plain ASCII as [`Scan::string`] requires.
    #[inline]
    pub(crate) fn string_tail(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        let len = plain_string_len(rest)?;
        self.at += len + 1;
        Some(&rest[..len])
    }

    /// A string holding a number: its contents, not checked here (the number parsers accept
    /// only digits, signs, `.` and exponents, all plain string characters, and decline the
    /// rest). The closing quote is found eight bytes at a time.
    #[inline]
    pub(crate) fn number_string(&mut self) -> Option<&'a [u8]> {
        self.lit(b"\"")?;
        let rest = self.bytes.get(self.at..)?;
        let len = find_quote(rest)?;
        self.at += len + 1;
        Some(&rest[..len])
    }

    /// A string holding a level's number: read in place when plain and closed right after,
    /// else its contents as [`Scan::number_string`] finds them.
    #[inline(always)]
    pub(crate) fn quoted_number(&mut self) -> Option<Number<'a>> {
        let start = self.at + 1;
        if self.peek(b"\"")
            && let Some((plain, len)) = PlainNumber::read(self.bytes, start)
            && self.bytes.get(start + len) == Some(&b'"')
        {
            self.at = start + len + 1;
            return Some(Number::Plain(plain));
        }
        self.number_string().map(Number::Text)
    }

    /// A level's number as a JSON number token: read in place when plain and followed by
    /// `,`, `]` or `}`, else the token as [`Scan::number`] delimits it.
    #[inline(always)]
    pub(crate) fn bare_number(&mut self) -> Option<Number<'a>> {
        if let Some((plain, len)) = PlainNumber::read(self.bytes, self.at)
            && matches!(self.bytes.get(self.at + len), Some(b',' | b']' | b'}'))
        {
            self.at += len;
            return Some(Number::Plain(plain));
        }
        self.number().map(Number::Text)
    }

    /// A string's contents as `&str` (ASCII, so always UTF-8).
    #[inline]
    pub(crate) fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.string()?).ok()
    }

    /// A JSON integer.
    #[inline]
    pub(crate) fn int(&mut self) -> Option<i64> {
        let negative = self.opt_lit(b"-");
        let start = self.at;
        let (value, len) = match read_integer(self.bytes, start) {
            Some((value, len)) => (i64::try_from(value).ok()?, len),
            // 16 digits or more: one by one, to the grammar's limit.
            None => {
                let rest = self.bytes.get(start..)?;
                let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if len == 0 || len > MAX_DIGITS {
                    return None;
                }
                (rest[..len].iter().fold(0i64, |v, &d| v * 10 + i64::from(d - b'0')), len)
            }
        };
        if len > 1 && self.bytes.get(start) == Some(&b'0') {
            return None;
        }
        // Only a digit string is followed by a fraction or exponent: a float, declined.
        if matches!(self.bytes.get(start + len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        if negative && value == 0 {
            return None;
        }
        self.at += len;
        Some(if negative { -value } else { value })
    }

    /// An integer sent as a string of digits (OKX's `ts`): what `str::parse::<i64>` reads.
    #[inline]
    pub(crate) fn int_string(&mut self) -> Option<i64> {
        let mut at = self.clone();
        let text = at.string()?;
        if text.is_empty() || text.len() > MAX_DIGITS || !text.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *self = at;
        Some(text.iter().fold(0i64, |v, &d| v * 10 + i64::from(d - b'0')))
    }

    /// An array of levels on `side`, each read by `element` (its price and size), pushed to
    /// `out` as the simd-json path pushes them. Declines on an element of another shape or a
    /// level that does not parse.
    #[inline]
    pub(crate) fn levels(
        &mut self,
        side: Side,
        out: &mut Vec<LevelUpdate>,
        element: impl Fn(&mut Self) -> Option<(Number<'a>, Number<'a>)>,
    ) -> Option<()> {
        self.lit(b"[")?;
        if self.opt_lit(b"]") {
            return Some(());
        }
        loop {
            let (price, qty) = element(self)?;
            out.push(level_of(side, price, qty)?);
            if !self.opt_lit(b",") {
                return self.lit(b"]");
            }
        }
    }

    /// A level as an array of `width` strings: price, size, then strings the venue adds.
    #[inline(always)]
    pub(crate) fn string_array(&mut self, width: usize) -> Option<(Number<'a>, Number<'a>)> {
        if width == 2
            && let Some(pair) = self.plain_pair()
        {
            return Some(pair);
        }
        self.string_array_steps(width)
    }

    /// [`Scan::string_array`] step by step: any spelling of its numbers, any width.
    #[inline(always)]
    fn string_array_steps(&mut self, width: usize) -> Option<(Number<'a>, Number<'a>)> {
        self.lit(b"[")?;
        let price = self.quoted_number()?;
        self.lit(b",")?;
        let qty = self.quoted_number()?;
        for _ in 2..width {
            self.lit(b",")?;
            self.string()?;
        }
        self.lit(b"]")?;
        Some((price, qty))
    }

    /// `["price","size"]` with both numbers plain, the punctuation between them checked a few
    /// bytes at a time; `None` (nothing consumed) for anything else, which
    /// [`Scan::string_array`] then reads step by step.
    #[inline(always)]
    fn plain_pair(&mut self) -> Option<(Number<'a>, Number<'a>)> {
        let bytes = self.bytes;
        let at = self.at;
        if bytes.get(at..at + 2)? != b"[\"" {
            return None;
        }
        let (price, price_len) = PlainNumber::read(bytes, at + 2)?;
        let between = at + 2 + price_len;
        if bytes.get(between..between + 3)? != b"\",\"" {
            return None;
        }
        let (qty, qty_len) = PlainNumber::read(bytes, between + 3)?;
        let end = between + 3 + qty_len;
        if bytes.get(end..end + 2)? != b"\"]" {
            return None;
        }
        self.at = end + 2;
        Some((Number::Plain(price), Number::Plain(qty)))
    }

    /// A JSON number token, as the simd-json path's quoting copy delimits and checks it (the
    /// longest run of number characters, which must be a JSON number): its text.
    #[inline]
    pub(crate) fn number(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        if !matches!(rest.first(), Some(b'-' | b'0'..=b'9')) {
            return None;
        }
        let len = rest
            .iter()
            .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
            .count();
        let token = &rest[..len];
        if !is_json_number(token) {
            return None;
        }
        self.at += len;
        Some(token)
    }
}

/// `0x01` in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;

/// `0x80` in every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each zero byte of `word`, exact up to the first zero byte (a borrow may flag
/// bytes above it, never below): the lowest flag is the first zero byte.
#[inline(always)]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

/// Where the first byte of `bytes` that stops a scan is: eight bytes at a time, `flags`
/// marking a word's stopping bytes (exact up to the first of them, as [`zero_bytes`] is), the
/// tail byte by byte with `stops`, which must judge a byte as `flags` does.
#[inline(always)]
fn first_stop(
    bytes: &[u8],
    flags: impl Fn(u64) -> u64,
    stops: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let flagged = flags(word.try_into().map(u64::from_le_bytes).unwrap_or(0));
        if flagged != 0 {
            return Some(at + (flagged.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&b| stops(b)).map(|i| at + i)
}

/// The length of the plain string that starts `bytes`, up to its closing `"`: `None` if a byte
/// before the quote is not a plain string character (below space, `\`, DEL or past ASCII) or
/// there is no quote. Each word test flags its first match exactly, so the lowest flag of all
/// is the first byte that is a quote or not plain.
#[inline]
fn plain_string_len(bytes: &[u8]) -> Option<usize> {
    let flags = |w: u64| {
        zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\\')))
            | zero_bytes(w ^ (ONES * 0x7F))
            // Below space: subtracting 0x20 borrows there and only there (up to the first).
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS)
            | (w & HIGHS)
    };
    let plain = |b: u8| (b' '..=b'~').contains(&b) && b != b'\\';
    let first = first_stop(bytes, flags, |b| b == b'"' || !plain(b))?;
    (bytes[first] == b'"').then_some(first)
}

/// The index of the first `"` in `bytes`.
#[inline]
fn find_quote(bytes: &[u8]) -> Option<usize> {
    first_stop(bytes, |w| zero_bytes(w ^ (ONES * u64::from(b'"'))), |b| b == b'"')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::level_bytes;

    #[test]
    fn integers_follow_the_json_grammar_and_fit() {
        let int = |s: &str| Scan::new(s.as_bytes()).int();
        assert_eq!(int("0"), Some(0));
        assert_eq!(int("-12,"), Some(-12));
        assert_eq!(int("123456789012345678"), Some(123_456_789_012_345_678));
        for declined in ["", "-", "-0", "01", "1.5", "1e3", "1234567890123456789", "+1", "x"] {
            assert_eq!(int(declined), None, "{declined}");
        }
    }

    #[test]
    fn strings_are_plain_ascii() {
        let string = |s: &[u8]| Scan::new(s).string().map(<[u8]>::to_vec);
        assert_eq!(string(br#""BTC-USDT","#), Some(b"BTC-USDT".to_vec()));
        assert_eq!(string(br#""""#), Some(Vec::new()));
        for declined in [&br#""a\"b""#[..], b"\"a\tb\"", "\"é\"".as_bytes(), b"\"open", b"x"] {
            assert_eq!(string(declined), None, "{declined:?}");
        }
        let int_string = |s: &str| Scan::new(s.as_bytes()).int_string();
        assert_eq!(int_string(r#""1652459226000""#), Some(1_652_459_226_000));
        assert_eq!(int_string(r#""007""#), Some(7), "as str::parse reads it");
        for declined in [r#""""#, r#""-1""#, r#""+1""#, r#""1.0""#, "1"] {
            assert_eq!(int_string(declined), None, "{declined}");
        }
    }

    /// Every byte at every position of the words and the tail, before and after the quote, is
    /// judged as a byte-by-byte reading judges it.
    #[test]
    fn plain_strings_are_found_in_words_and_tails() {
        let reference = |bytes: &[u8]| {
            let len = bytes.iter().position(|&b| b == b'"')?;
            bytes[..len].iter().all(|&b| (b' '..=b'~').contains(&b) && b != b'\\').then_some(len)
        };
        for len in 0..20 {
            for at in 0..len + 3 {
                for byte in 0..=u8::MAX {
                    let mut bytes = vec![b'a'; len];
                    bytes.push(b'"');
                    bytes.extend_from_slice(b"xyz");
                    if let Some(slot) = bytes.get_mut(at) {
                        *slot = byte;
                    }
                    assert_eq!(plain_string_len(&bytes), reference(&bytes), "{bytes:?}");
                }
            }
        }
    }

    /// A `[price, size]` pair read whole is the pair read step by step, and anything it
    /// declines it leaves unconsumed.
    #[test]
    fn plain_pairs_read_as_steps_read_them() {
        use proptest::prelude::*;
        let number = "[0-9]{1,9}(\\.[0-9]{1,9})?|1e5|-1|\\.5|";
        // Each place's own punctuation most of the time, something else now and then.
        let place = |right: &'static str, wrong: [&'static str; 2]| {
            prop::sample::select(vec![right, right, right, wrong[0], wrong[1]])
        };
        let parts = (
            place("[\"", ["[", "\""]),
            number,
            place("\",\"", [",", "\","]),
            number,
            place("\"]", ["]", "\"}"]),
        );
        proptest!(ProptestConfig::with_cases(5_000), |((a, price, b, qty, c) in parts)| {
            let text = format!("{a}{price}{b}{qty}{c},");
            let mut whole = Scan::new(text.as_bytes());
            let read = whole.plain_pair();
            let mut step = Scan::new(text.as_bytes());
            match read {
                Some((price, qty)) => {
                    let (p, q) = step.string_array_steps(2).expect("steps read what the pair read");
                    prop_assert_eq!(whole.at, step.at);
                    prop_assert_eq!(level_of(Side::Bid, price, qty), level_of(Side::Bid, p, q));
                }
                None => prop_assert_eq!(whole.at, 0),
            }
        });
    }

    #[test]
    fn quotes_are_found_in_words_and_tails() {
        for len in 0..40 {
            for quote in 0..len {
                let mut bytes = vec![b'7'; len];
                bytes[quote] = b'"';
                if quote + 1 < len {
                    bytes[quote + 1] = b'"';
                }
                assert_eq!(find_quote(&bytes), Some(quote), "len {len}, quote at {quote}");
            }
            assert_eq!(find_quote(&vec![b'!'; len]), None);
        }
        // Bytes next to 0x22 that borrow: 0x21 and 0x23, and high bytes.
        assert_eq!(find_quote(b"\x21\x23\xa2\x22\x21\x21\x21\x21"), Some(3));
    }

    #[test]
    fn levels_parse_as_the_general_path_does() {
        let mut out = Vec::new();
        let pair = |s: &mut Scan<'static>| s.string_array(2);
        let mut scan = Scan::new(br#"[["1.50","2"],["1.4","0"]]"#);
        assert_eq!(scan.levels(Side::Bid, &mut out, pair), Some(()));
        assert_eq!(scan.end(), Some(()));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], level_bytes(Side::Bid, b"1.50", b"2", "b").unwrap());
        // A level may mix a number read in place with one parsed from its text, either way.
        out.clear();
        let mut scan = Scan::new(br#"[["1.5","1e-3"],["1.0000000001","2"],["2E1","0"]]"#);
        assert_eq!(scan.levels(Side::Bid, &mut out, pair), Some(()));
        let general = [("1.5", "1e-3"), ("1.0000000001", "2"), ("2E1", "0")]
            .map(|(p, q)| level_bytes(Side::Bid, p.as_bytes(), q.as_bytes(), "b").unwrap());
        assert_eq!(out, general);
        let mut scan = Scan::new(br#"[["1","2","0","3"]]"#);
        assert_eq!(scan.levels(Side::Ask, &mut out, |s| s.string_array(4)), Some(()));
        for declined in [&br#"[["1","2","0"]]"#[..], br#"[["-1","2"]]"#, br#"[["1",2]]"#, b"[[]]"] {
            assert_eq!(Scan::new(declined).levels(Side::Ask, &mut out, pair), None);
        }
        assert_eq!(Scan::new(b"[]").levels(Side::Ask, &mut out, pair), Some(()));
        let number = |s: &str| Scan::new(s.as_bytes()).number().map(<[u8]>::to_vec);
        assert_eq!(number("5.1e-05,"), Some(b"5.1e-05".to_vec()));
        assert_eq!(number("85592}"), Some(b"85592".to_vec()));
        for declined in ["01", "1.", "-", "1e", "1-2", "+1", "\"1\""] {
            assert_eq!(number(declined), None, "{declined}");
        }
    }
}
