//! Numbers read in place, straight from a frame's bytes: a decoder's fast path learns where a
//! number ends and what it is worth in one pass, instead of finding its end and then parsing
//! the text it delimited.
//!
//! Both readers look at a 16-byte window that starts at the number, as two words: the point
//! and the first byte that is neither a digit nor the point are found with word arithmetic, and
//! the digits are converted as [`super::parse`]'s plain parser converts them. They accept only
//! what that parser's plain path accepts and decline the rest (`None`): the caller then
//! delimits the text itself and calls [`Price::parse_bytes`] or [`Qty::parse_bytes`], which read
//! every spelling and report every error. So a value read in place always equals the value
//! parsed from the same text.

use super::parse::plain_mantissa;
use super::swar::{ONES, lanes_and_flags, lanes_value, zero_bytes};
use super::{NumText, POW10, Price, Qty};

/// The 16 bytes from `at` as two little-endian words (byte `at` lowest in the first); bytes past
/// the end of `bytes` read as zero, which is neither a digit nor a point, so a number running to
/// the end ends there.
#[inline(always)]
fn window(bytes: &[u8], at: usize) -> Option<(u64, u64)> {
    let rest = bytes.get(at..)?;
    let chunk = match rest.first_chunk::<16>() {
        Some(chunk) => *chunk,
        None => {
            let mut padded = [0u8; 16];
            padded[..rest.len()].copy_from_slice(rest);
            padded
        }
    };
    let (lo, hi) = chunk.split_at(8);
    let word = |half: &[u8]| half.try_into().map(u64::from_le_bytes).unwrap_or(0);
    Some((word(lo), word(hi)))
}

/// Index of the byte holding the lowest flag (8 when there is none).
#[inline(always)]
fn first_flagged(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
}

/// Index of the first non-digit of the two words (16 when there is none).
#[inline(always)]
fn first_non_digit(lo_flags: u64, hi_flags: u64) -> usize {
    if lo_flags != 0 { first_flagged(lo_flags) } else { 8 + first_flagged(hi_flags) }
}

/// A plain decimal read in place: `[1-9][0-9]{0,7}` or `0`, then optionally `.` and 1 to 8
/// digits, the spelling venues use for nearly every price and size. It always fits both a
/// [`Price`] and a [`Qty`] exactly (at most 16 digits, at most 8 decimals), so the conversions
/// cannot fail.
///
/// Invariant: `mantissa × 10^-scale` is the value, normalized as [`Price`] is (no trailing zero
/// digit unless `scale` is 0); `mantissa < 10^16` and `scale <= 8`; `decimals <= 8` is how many
/// digits followed the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainNumber {
    mantissa: u64,
    /// `scale` in the low byte, `decimals` in the next, the rest zero. A whole word, not two
    /// byte fields: a decoder holding a price while it reads the size spills it to the stack,
    /// and two byte stores read back as one word cannot be forwarded (the load waits for the
    /// stores to retire, a stall measured at 3% of a Binance frame's ingest).
    scale_and_decimals: u64,
}

impl PlainNumber {
    /// Zero, written `0`.
    pub const ZERO: PlainNumber = PlainNumber { mantissa: 0, scale_and_decimals: 0 };

    /// The number whose digit lanes are `int_lanes` and `frac_lanes` (see
    /// [`plain_mantissa`]).
    #[inline(always)]
    fn of_lanes(int_lanes: u64, frac_lanes: u64, frac_len: usize) -> Self {
        let (mantissa, scale) = plain_mantissa(int_lanes, frac_lanes, frac_len);
        Self { mantissa, scale_and_decimals: u64::from(scale) | ((frac_len as u64) << 8) }
    }

    /// The plain decimal that starts at `at` in `bytes` and ends before the first byte that is
    /// neither a digit nor its point (the end of `bytes` included), with its length; `None` if
    /// the text there is not plain (a sign, an exponent, more than 8 digits either side, a
    /// leading zero, no digit after the point, ...) or runs to 16 bytes or more (the window).
    /// The byte after the number is the caller's to check: a number followed by `e` or a
    /// second `.` is longer than what was read.
    #[inline(always)]
    pub fn read(bytes: &[u8], at: usize) -> Option<(Self, usize)> {
        let (lo, hi) = window(bytes, at)?;
        // The first point among the first eight bytes, exact (only a '.' is zero after the xor,
        // and a borrow starts at the first of them): the lowest flag, isolated, is 0x80 in its
        // byte, or nothing. Read as a '0', it lets the digit check run over the whole number.
        let points = zero_bytes(lo ^ (ONES * u64::from(b'.')));
        let point_flag = points & points.wrapping_neg();
        let (lo_lanes, lo_flags) =
            lanes_and_flags(lo ^ ((point_flag >> 7) * u64::from(b'.' ^ b'0')));
        let (hi_lanes, hi_flags) = lanes_and_flags(hi);
        let end = first_non_digit(lo_flags, hi_flags);
        // Where the integer digits end: the point, unless it lies past the number (then it is not
        // the number's) or is the ninth byte (eight integer digits, the fraction in `hi`).
        let point = if points != 0 {
            first_flagged(points).min(end)
        } else if end == 8 && (hi as u8) == b'.' {
            return Self::read_after_eight_digits(lo, hi);
        } else {
            end
        };
        let frac_len = end.saturating_sub(point + 1);
        let leading_zero = point > 1 && (lo as u8) == b'0';
        // An end at 16 is a run of digits past the window; no integer digit, a point without a
        // fraction, more than eight digits either side, a leading zero: not plain.
        if end == 16 || point == 0 || point + 1 == end || point > 8 || frac_len > 8 || leading_zero
        {
            return None;
        }
        // The integer digits at the top of a word, zero lanes below them (`point` is 1..=8).
        let int_lanes = lo_lanes << (8 * (8 - point));
        // The fraction's digits likewise: the eight lanes ending at `end`, those before the
        // fraction cleared.
        let frac_lanes = if frac_len == 0 {
            0
        } else {
            let last_eight = if end <= 8 {
                lo_lanes << (8 * (8 - end))
            } else {
                // 9 <= end <= 15: both shifts are within 8..=56.
                (lo_lanes >> (8 * (end - 8))) | (hi_lanes << (8 * (16 - end)))
            };
            last_eight & (u64::MAX << (8 * (8 - frac_len)))
        };
        Some((Self::of_lanes(int_lanes, frac_lanes, frac_len), end))
    }

    /// [`PlainNumber::read`] when the first eight bytes are digits and the ninth is the point:
    /// the fraction is in the second word, after its first byte.
    #[cold]
    fn read_after_eight_digits(lo: u64, hi: u64) -> Option<(Self, usize)> {
        let (lo_lanes, _) = lanes_and_flags(lo);
        let (hi_lanes, hi_flags) = lanes_and_flags(hi ^ u64::from(b'.' ^ b'0'));
        let end = 8 + first_flagged(hi_flags);
        let frac_len = end.saturating_sub(9);
        if end == 16 || frac_len == 0 || (lo as u8) == b'0' {
            return None;
        }
        let frac_lanes = (hi_lanes << (8 * (16 - end))) & (u64::MAX << (8 * (8 - frac_len)));
        Some((Self::of_lanes(lo_lanes, frac_lanes, frac_len), end))
    }

    /// How the number was written (its count of decimals).
    #[inline(always)]
    pub fn text(self) -> NumText {
        NumText::plain((self.scale_and_decimals >> 8) as u8)
    }

    /// The value's scale (see [`Price`]).
    #[inline(always)]
    fn scale(self) -> u8 {
        self.scale_and_decimals as u8
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }
}

impl From<PlainNumber> for Price {
    /// Exact: at most 16 digits, scale at most 8, normalized alike.
    #[inline(always)]
    fn from(plain: PlainNumber) -> Self {
        Price { mantissa: plain.mantissa as i64, scale: plain.scale() }
    }
}

impl From<PlainNumber> for Qty {
    /// Exact, as for [`Price`]: 16 digits stay far below [`Qty::MAX_MANTISSA`], and zero (scale
    /// 0, normalized) packs to [`Qty::ZERO`].
    #[inline(always)]
    fn from(plain: PlainNumber) -> Self {
        Qty(((plain.mantissa as i64) << Qty::SCALE_BITS) | i64::from(plain.scale()))
    }
}

/// The unsigned integer of 1 to 15 digits that starts at `at` in `bytes`, and its length; `None`
/// if there is no digit at `at` or more than 15 follow one another (leading zeros are read as
/// digits: the caller applies its grammar). The byte after the digits is the caller's to check.
#[inline(always)]
pub fn read_integer(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let (lo, hi) = window(bytes, at)?;
    let (lo_lanes, lo_flags) = lanes_and_flags(lo);
    let (hi_lanes, hi_flags) = lanes_and_flags(hi);
    let len = first_non_digit(lo_flags, hi_flags);
    if len == 0 || len == 16 {
        return None;
    }
    let value = if len <= 8 {
        lanes_value(lo_lanes << (8 * (8 - len)))
    } else {
        let low = lanes_value(hi_lanes << (8 * (16 - len)));
        lanes_value(lo_lanes) * POW10[len - 8] as u64 + low
    };
    Some((value, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NumberError;
    use crate::decimal::parse::{PLAIN_SPELLINGS, is_plain_shape};

    /// Reads `text` at offset 3 of a frame, followed by `after`.
    fn read_in(text: &str, after: &str) -> Option<(PlainNumber, usize)> {
        let frame = format!("[\"{text}{after}");
        PlainNumber::read(frame.as_bytes(), 2)
    }

    fn parsed(text: &str) -> Result<(Price, NumText, Qty), NumberError> {
        let (price, spelling) = Price::parse(text)?;
        let (qty, _) = Qty::parse(text)?;
        Ok((price, spelling, qty))
    }

    #[test]
    fn venue_spellings_read_in_place_as_parsed() {
        // The window holds 15 bytes of number and the byte after it.
        for text in PLAIN_SPELLINGS.iter().filter(|t| t.len() < 16) {
            for after in ["\"", "\",", "]", "", ",\"1.5\"]"] {
                let (plain, len) =
                    read_in(text, after).unwrap_or_else(|| panic!("{text}{after}: declined"));
                assert_eq!(len, text.len(), "{text}{after}");
                let (price, spelling, qty) = parsed(text).unwrap();
                assert_eq!(Price::from(plain), price, "{text}");
                assert_eq!(Qty::from(plain), qty, "{text}");
                assert_eq!(plain.text(), spelling, "{text}");
                assert_eq!(plain.is_zero(), qty.is_zero(), "{text}");
            }
        }
    }

    #[test]
    fn anything_not_plain_declines() {
        for text in [
            "",
            "-1",
            "01",
            "00.5",
            "1.",
            ".5",
            "123456789",
            "0.123456789",
            "123456789.5",
            "1234567890123456",
            // Plain, but 16 bytes or more: past the window.
            "99999999.9999999",
        ] {
            assert_eq!(read_in(text, "\"").map(|(_, len)| len), None, "{text}");
        }
        // An exponent or a second point ends the read: the caller sees what follows.
        assert_eq!(read_in("1.5e-3", "\"").map(|(_, len)| len), Some(3));
        assert_eq!(read_in("1.2.3", "\"").map(|(_, len)| len), Some(3));
        // A point after the number's end belongs to what follows.
        assert_eq!(read_in("5", "\",\"0.25\"").map(|(_, len)| len), Some(1));
        assert_eq!(PlainNumber::read(b"12", 3), None);
    }

    #[test]
    fn integers_read_in_place() {
        assert_eq!(read_integer(b"1723161255208,", 0), Some((1_723_161_255_208, 13)));
        assert_eq!(read_integer(b"x7", 1), Some((7, 1)));
        assert_eq!(read_integer(b"12345678", 0), Some((12_345_678, 8)));
        assert_eq!(read_integer(b"123456789", 0), Some((123_456_789, 9)));
        assert_eq!(read_integer(b"999999999999999}", 0), Some((999_999_999_999_999, 15)));
        assert_eq!(read_integer(b"9999999999999999}", 0), None);
        assert_eq!(read_integer(b"00012", 0), Some((12, 5)));
        assert_eq!(read_integer(b"12345678901234567", 0), None);
        assert_eq!(read_integer(b"-1", 0), None);
        assert_eq!(read_integer(b"", 0), None);
    }

    /// Every text the plain parser reads is read in place to the same value, whatever follows
    /// it; and whatever is read in place is exactly a prefix the parsers accept.
    #[test]
    fn reading_in_place_agrees_with_parsing() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            6 => Just(b'0'),
            10 => b'1'..=b'9',
            3 => Just(b'.'),
            2 => prop::sample::select(b"-+eE :/\"a],}".to_vec()),
        ];
        let bytes = prop::collection::vec(byte, 0..=24);
        proptest!(ProptestConfig::with_cases(20_000), |(bytes in bytes, at in 0usize..4)| {
            let at = at.min(bytes.len());
            if let Some((plain, len)) = PlainNumber::read(&bytes, at) {
                let text = std::str::from_utf8(&bytes[at..at + len]).unwrap();
                let (price, spelling, qty) = parsed(text).unwrap();
                prop_assert_eq!(Price::from(plain), price);
                prop_assert_eq!(Qty::from(plain), qty);
                prop_assert_eq!(plain.text(), spelling);
                // The read stopped at a byte that is neither a digit nor a point.
                let next = bytes.get(at + len).copied().unwrap_or(b' ');
                prop_assert!(!next.is_ascii_digit());
            }
            if let Some((value, len)) = read_integer(&bytes, at) {
                let text = std::str::from_utf8(&bytes[at..at + len]).unwrap();
                prop_assert_eq!(text.parse::<u64>().ok(), Some(value));
                prop_assert!(!bytes.get(at + len).is_some_and(u8::is_ascii_digit));
            }
            // Declining is always allowed, but not for the plain spelling within the window.
            let run = bytes[at..].iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
            if run < 16 && is_plain_shape(&bytes[at..at + run]) {
                prop_assert_eq!(PlainNumber::read(&bytes, at).map(|(_, len)| len), Some(run));
            }
        });
    }
}
