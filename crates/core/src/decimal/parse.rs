//! Decimal text to `digits × 10^exp`: the plain spelling eight digits at a time, every other
//! spelling (and every error) by the general parser.

use super::swar::{ONES, check_lanes, digit_lanes, lanes_value, load_word, zero_bytes};
use super::{MAX_TEXT_LEN, NumText, NumberError, POW10};

/// A decimal as written: `digits × 10^exp`, with no trailing zero in `digits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parsed {
    pub(super) digits: i64,
    pub(super) exp: i32,
    pub(super) text: NumText,
}

/// Parses the JSON number grammar, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, exactly.
/// Values with more than 18 significant digits are out of range for every type here.
///
/// The spelling venues send almost always (`61737.63000000`, `0.5`, `85592`: no sign, no
/// exponent, at most 8 digits either side of the point) takes [`parse_plain`], eight digits at
/// a time; anything else, and every error, goes through [`parse_general`].
// Always inlined, with `parse_plain`: returned through memory, the parsed value was written in
// pieces and read back whole, and the store-forwarding stall was most of a size's parse.
#[inline(always)]
pub(super) fn parse_decimal(text: &[u8]) -> Result<Parsed, NumberError> {
    match parse_plain(text) {
        Some(parsed) => Ok(parsed),
        None => parse_general(text),
    }
}

/// `[1-9][0-9]{0,7}` or `0`, then optionally `.` and 1 to 8 digits: the value, normalized as
/// [`parse_general`] normalizes it; `None` for any other text (valid or not).
///
/// Each side's digits are right-aligned in a `u64` padded with `'0'` (see [`digit_lanes`]),
/// checked and converted with SWAR arithmetic (three multiply-adds for eight digits). Trailing
/// zeros are found as the chunk's high zero bytes and shifted out before conversion, so the
/// result needs no division. A text of eight bytes or more is read with two word loads (its
/// first and its last eight bytes), a shorter one byte by byte.
#[inline(always)]
fn parse_plain(text: &[u8]) -> Option<Parsed> {
    let (int_lanes, frac_lanes, frac_len) =
        if text.len() >= 8 { split_wide(text)? } else { split_narrow(text)? };
    Some(plain_value(int_lanes, frac_lanes, frac_len))
}

/// The value of a plain number from its digit lanes: `int_lanes` the integer part's digits
/// right-aligned (first digit lowest, `0` lanes below it), `frac_lanes` the fraction's
/// `frac_len` digits the same way (zero without a fraction). At most 16 digits: always within an
/// `i64`.
#[inline(always)]
pub(super) fn plain_value(int_lanes: u64, frac_lanes: u64, frac_len: usize) -> Parsed {
    let text = NumText::plain(frac_len as u8);
    let (digits, exp) = if frac_lanes != 0 {
        let (mantissa, scale) = plain_fraction(int_lanes, frac_lanes, frac_len);
        (mantissa, -i32::from(scale))
    } else if int_lanes != 0 {
        // Without a fraction the integer part is the whole text (or its fraction is zeros):
        // its trailing zeros are the high zero bytes of its right-aligned lanes.
        let int_len = 8 - (int_lanes.trailing_zeros() / 8) as usize;
        let zeros = ((int_lanes.leading_zeros() / 8) as usize).min(int_len);
        (lanes_value(int_lanes << (8 * zeros)), zeros as i32)
    } else {
        (0, 0)
    };
    Parsed { digits: digits as i64, exp, text }
}

/// A plain number's value as a normalized mantissa and scale (see [`Price`](super::Price)):
/// the integer part's lanes are worth their value at scale 0, and a fraction that is not all
/// zeros adds its significant digits.
#[inline(always)]
pub(super) fn plain_mantissa(int_lanes: u64, frac_lanes: u64, frac_len: usize) -> (u64, u8) {
    if frac_lanes != 0 {
        plain_fraction(int_lanes, frac_lanes, frac_len)
    } else {
        (lanes_value(int_lanes), 0)
    }
}

/// [`plain_mantissa`] when the fraction has a digit other than zero (`frac_lanes != 0`): its
/// trailing zeros, the high zero bytes of its right-aligned lanes, are shifted out before
/// conversion, so the result needs no division.
#[inline(always)]
fn plain_fraction(int_lanes: u64, frac_lanes: u64, frac_len: usize) -> (u64, u8) {
    // Fewer than `frac_len`: a digit of the fraction is not zero.
    let zeros = (frac_lanes.leading_zeros() / 8) as usize;
    let significant = frac_len - zeros;
    let frac_value = lanes_value(frac_lanes << (8 * zeros));
    // `significant` is 1..=8: masked, the index needs no bounds check.
    (lanes_value(int_lanes) * POW10[significant & 15] as u64 + frac_value, significant as u8)
}

/// The digit lanes of a plain number's integer and fractional parts (see [`digit_lanes`]) and
/// the fraction's length; `None` unless the shape is `[1-9][0-9]{0,7}|0` then optionally `.`
/// and 1 to 8 digits. Byte by byte: for texts shorter than eight bytes.
#[inline(always)]
fn split_narrow(text: &[u8]) -> Option<(u64, u64, usize)> {
    if text.is_empty() {
        return None;
    }
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &text[text.len()..]),
    };
    let has_point = int.len() < text.len();
    if int.is_empty() || (has_point && frac.is_empty()) || (int.len() > 1 && int[0] == b'0') {
        return None;
    }
    let int_lanes = digit_lanes(int)?;
    let frac_lanes = if frac.is_empty() { 0 } else { digit_lanes(frac)? };
    Some((int_lanes, frac_lanes, frac.len()))
}

/// As [`split_narrow`], for texts of 8 to 17 bytes: the point is found among the first nine
/// bytes with one word compare, the integer digits are the first word shifted up to the point,
/// the fraction's digits the last word with the bytes before the point masked to `'0'`.
#[inline(always)]
fn split_wide(text: &[u8]) -> Option<(u64, u64, usize)> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let len = text.len();
    if len > 17 {
        return None;
    }
    let head = load_word(text, 0)?;
    let dots = zero_bytes(head ^ (ONES * u64::from(b'.')));
    let dot = if dots != 0 {
        (dots.trailing_zeros() / 8) as usize
    } else if text.get(8) == Some(&b'.') {
        8
    } else if len == 8 {
        // Eight bytes without a point: an integer of eight digits.
        return Some((check_lanes(head)?, 0, 0)).filter(|_| text[0] != b'0');
    } else {
        return None;
    };
    let frac_len = len - dot - 1;
    if dot == 0 || frac_len == 0 || frac_len > 8 || (dot > 1 && text[0] == b'0') {
        return None;
    }
    // The first `dot` bytes, moved to the top of the word, `'0'` below them (a shift by 64 is
    // not a shift, hence the checked forms for `dot == 8`).
    let int_raw = head.checked_shl(8 * (8 - dot) as u32).unwrap_or(head)
        | ZEROS.checked_shr(8 * dot as u32).unwrap_or(0);
    // The last eight bytes end with the fraction's digits; the bytes before them become `'0'`.
    let keep = u64::MAX << (8 * (8 - frac_len));
    let frac_raw = (load_word(text, len - 8)? & keep) | (ZEROS & !keep);
    Some((check_lanes(int_raw)?, check_lanes(frac_raw)?, frac_len))
}

/// The general parser: every spelling of the grammar, and every error.
///
/// Two short passes: one finds the digit runs, the other accumulates the significant digits
/// (from the first non-zero digit to the last) with one multiply-add each.
fn parse_general(text: &[u8]) -> Result<Parsed, NumberError> {
    if text.is_empty() {
        return Err(NumberError::Empty);
    }
    if text.len() > MAX_TEXT_LEN {
        return Err(NumberError::TooLong);
    }
    let negative = text[0] == b'-';
    let int_start = usize::from(negative);
    let mut i = int_start;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
    }
    let int_end = i;
    if int_end == int_start || (int_end - int_start > 1 && text[int_start] == b'0') {
        return Err(NumberError::Syntax);
    }
    let mut frac_end = int_end;
    if i < text.len() && text[i] == b'.' {
        i += 1;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        if i == int_end + 1 {
            return Err(NumberError::Syntax);
        }
        frac_end = i;
    }
    let frac_len = frac_end.saturating_sub(int_end + 1);
    let mut exponent: i32 = 0;
    let has_exponent = i < text.len() && (text[i] | 0x20) == b'e';
    if has_exponent {
        i += 1;
        let exp_negative = text.get(i) == Some(&b'-');
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            // Bounded by MAX_TEXT_LEN; saturating keeps absurd exponents absurd, not wrapped.
            exponent = exponent.saturating_mul(10).saturating_add(i32::from(text[i] - b'0'));
            i += 1;
        }
        if i == start {
            return Err(NumberError::Syntax);
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != text.len() {
        return Err(NumberError::Syntax);
    }
    // The significant digits run from the first non-zero digit to the last, across the point.
    let digits_region = &text[int_start..frac_end];
    let first = digits_region.iter().position(|&b| b != b'0' && b != b'.');
    let mut digits: i64 = 0;
    let mut exp = 0;
    if let Some(first) = first {
        let last = digits_region.iter().rposition(|&b| b != b'0' && b != b'.').unwrap_or(first);
        let mut n_significant = 0u32;
        for &b in &digits_region[first..=last] {
            if b != b'.' {
                n_significant += 1;
                if n_significant > 18 {
                    return Err(NumberError::OutOfRange);
                }
                digits = digits * 10 + i64::from(b - b'0');
            }
        }
        // Digits after the last significant one: trailing zeros, minus the point if among them.
        let point = int_end - int_start;
        let after_last = digits_region.len() - 1 - last;
        let trailing_zeros =
            if frac_end > int_end && last < point { after_last - 1 } else { after_last };
        exp = exponent.saturating_sub(frac_len as i32).saturating_add(trailing_zeros as i32);
    }
    // MAX_TEXT_LEN keeps the count of decimals below NOT_PLAIN.
    let text = if has_exponent {
        NumText { decimals: NumText::NOT_PLAIN }
    } else {
        NumText::plain(frac_len as u8)
    };
    Ok(Parsed { digits: if negative { -digits } else { digits }, exp, text })
}

/// Plain spellings venues send, and the edges of the plain shape (tests).
#[cfg(test)]
pub(super) const PLAIN_SPELLINGS: &[&str] = &[
    "0",
    "0.0",
    "0.00000000",
    "1",
    "9",
    "10",
    "100",
    "85592",
    "61700",
    "99999999",
    "0.5",
    "0.50",
    "0.05",
    "61837.63000000",
    "61737.63",
    "1.00000001",
    "12345678.87654321",
    "99999999.99999999",
    "0.00000001",
    "10.10",
    "3366.1",
    "8476.98",
    "20000000.0",
    "20000000",
    "61737.63000000",
    "9999999.9999999",
    "12345678",
    "12345678.5",
    "12345678.123456",
];

/// `[1-9][0-9]{0,7}|0`, then optionally `.` and 1 to 8 digits: the shape a plain reader must
/// not decline (tests).
#[cfg(test)]
pub(super) fn is_plain_shape(text: &[u8]) -> bool {
    let (int, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], Some(&text[dot + 1..])),
        None => (text, None),
    };
    let digits = |d: &[u8]| (1..=8).contains(&d.len()) && d.iter().all(u8::is_ascii_digit);
    digits(int) && (int.len() == 1 || int[0] != b'0') && frac.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_fast_path_agrees_with_the_general_parser() {
        for text in PLAIN_SPELLINGS {
            let fast =
                parse_plain(text.as_bytes()).unwrap_or_else(|| panic!("{text}: no fast path"));
            let general = parse_general(text.as_bytes()).unwrap();
            assert_eq!(
                (fast.digits, fast.exp, fast.text),
                (general.digits, general.exp, general.text),
                "{text}"
            );
        }
        for text in [
            "",
            "-1",
            "01",
            "1.",
            ".5",
            "1e5",
            "1.2.3",
            "123456789",
            "0.123456789",
            "1a",
            "1.a",
            "1 ",
            "+1",
            "1/2",
            ":",
            "1.0:",
        ] {
            assert!(parse_plain(text.as_bytes()).is_none(), "{text}");
        }
        // Every byte value in every position of a short number: a non-digit never passes.
        for pos in 0..8 {
            for byte in 0..=255u8 {
                let mut text = *b"12345.678";
                let at = if pos < 5 { pos } else { pos + 1 };
                text[at] = byte;
                let fast = parse_plain(&text);
                let general = parse_general(&text).ok();
                match (fast, general) {
                    (Some(f), Some(g)) => {
                        assert_eq!((f.digits, f.exp, f.text), (g.digits, g.exp, g.text))
                    }
                    (Some(f), None) => panic!("{:?} accepted as {}e{}", text, f.digits, f.exp),
                    (None, _) => {}
                }
            }
        }
    }

    /// Both halves of the plain parser (byte by byte below eight bytes, word loads from eight
    /// on) against the general parser, on number-like texts of every length up to 20: digits
    /// (zeros often), points, signs, exponent letters and a stray byte now and then.
    #[test]
    fn the_plain_parser_agrees_with_the_general_one_at_every_length() {
        use proptest::prelude::*;
        let byte = prop_oneof![
            6 => Just(b'0'),
            10 => b'1'..=b'9',
            3 => Just(b'.'),
            1 => prop::sample::select(b"-+eE :/\"a".to_vec()),
        ];
        // Digits, a point and digits: the shapes that reach the word loads' every branch.
        let shaped = (0usize..=10, 0usize..=10, any::<bool>(), any::<u64>()).prop_map(
            |(int, frac, point, seed)| {
                let mut text = Vec::new();
                let mut x = seed | 1;
                for i in 0..int + frac {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if i == int && point {
                        text.push(b'.');
                    }
                    text.push(b'0' + (x % 10) as u8);
                }
                text
            },
        );
        let text = prop_oneof![prop::collection::vec(byte, 0..=20), shaped];
        proptest!(ProptestConfig::with_cases(20_000), |(text in text)| {
            let general = parse_general(&text).ok().map(|g| (g.digits, g.exp, g.text));
            match parse_plain(&text) {
                Some(f) => prop_assert_eq!(Some((f.digits, f.exp, f.text)), general),
                // Declining is always allowed; it must not be the common shapes' fate.
                None => prop_assert!(
                    general.is_none() || !is_plain_shape(&text),
                    "{:?} declined", String::from_utf8_lossy(&text)
                ),
            }
        });
    }
}
