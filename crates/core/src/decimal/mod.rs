//! Exact fixed-point prices and sizes, parsed from the text an exchange sent.
//!
//! # Representation
//!
//! | type | value | range | storage |
//! |---|---|---|---|
//! | [`Price`] | `mantissa × 10^-scale`, normalized | 10^-18 ..= 9.2 × 10^18, 18 significant digits | `i64` + `u8` |
//! | [`Qty`] | `mantissa × 10^-scale`, normalized | 10^-18 ..= 2.8 × 10^17, 17 significant digits | one packed `i64` |
//!
//! Prices span more than an `i64` at any one fixed scale: Kraken's XBT/CHF book holds a
//! `9999999997.00000` ask, while meme-coin ticks on Gate.io and Bitfinex reach 10^-10 and below.
//! So a price carries its own decimal scale, normalized (no trailing zero digits), which makes
//! every value's representation unique: equality and hashing are plain field comparisons, and a
//! price ladder can key its levels by the `i64` mantissa at the ladder's scale (see
//! [`Price::scaled_to`]), which for a venue's tick grid is the tick index itself. No arithmetic on
//! the hot path divides. Sizes are normalized the same way (Gate.io sends sizes with 10
//! decimals, meme-coin books sizes above 10^10), packed with their scale into one `i64`.
//!
//! A value that is not exactly representable is a [`NumberError`], never rounded.
//!
//! # Text form
//! Checksums of OKX, Bitget and Kraken v1 are computed over the strings the venue sent, trailing
//! zeros included. Instead of keeping the strings, each parsed value records its [`NumText`]:
//! the number of decimals it was written with. Rendering the value with those decimals gives back
//! the exact original text for every plain decimal (the only form those venues use).

use std::fmt;

use thiserror::Error;

mod in_place;
mod parse;
mod swar;

pub use in_place::{PlainNumber, read_integer};
use parse::parse_decimal;

/// Most decimal places a [`Price`] carries.
pub const PRICE_DECIMALS: u32 = 18;
/// Most decimal places a [`Qty`] carries.
pub const QTY_DECIMALS: u32 = 18;

/// Longest number text accepted, in bytes. Longer text cannot be an exact value at our scales
/// unless it is padded with zeros, which no venue does; refusing it bounds the parser's work.
const MAX_TEXT_LEN: usize = 64;

/// Why a decimal text was rejected. The caller should count the frame as a decode error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NumberError {
    /// The text is empty.
    #[error("empty number")]
    Empty,
    /// The text is not a JSON number (`NaN`, `inf`, `+1`, `1.`, ` 1`, `0x1`, …).
    #[error("not a decimal number")]
    Syntax,
    /// The text is longer than any exact value could be.
    #[error("number text longer than {MAX_TEXT_LEN} bytes")]
    TooLong,
    /// The value has more decimals than the fixed-point unit holds.
    #[error("value needs more than {decimals} decimals")]
    TooPrecise {
        /// Decimals the fixed-point type holds.
        decimals: u32,
    },
    /// The value does not fit the fixed-point type.
    #[error("value out of range")]
    OutOfRange,
    /// The value is negative where only non-negative values are allowed.
    #[error("negative value")]
    Negative,
}

/// How a number was written, so that its original text can be rebuilt for checksums.
///
/// Invariant: `decimals` is the count of digits after the point in the original text (at most
/// [`NumText::MAX_DECIMALS`]), or a marker value when the text used an exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NumText {
    decimals: u8,
}

impl NumText {
    /// Marker for text that used an exponent (`5.1e-05`): it cannot be rebuilt verbatim.
    const NOT_PLAIN: u8 = u8::MAX;

    /// Most digits after the point a plain text records: no accepted text has more.
    pub const MAX_DECIMALS: u8 = MAX_TEXT_LEN as u8;

    /// A plain decimal written with `decimals` digits after the point, at most
    /// [`NumText::MAX_DECIMALS`]: more is clamped, so a rendering always fits a [`NumBuf`]
    /// (a venue that announces a wider precision gets a checksum that does not match, never a
    /// panic).
    pub const fn plain(decimals: u8) -> Self {
        Self { decimals: if decimals > Self::MAX_DECIMALS { Self::MAX_DECIMALS } else { decimals } }
    }

    /// Digits after the point in the original text, `None` if it used an exponent.
    pub const fn decimals(self) -> Option<u8> {
        if self.decimals == Self::NOT_PLAIN { None } else { Some(self.decimals) }
    }
}

/// A price: an exact decimal, `mantissa × 10^-scale`.
///
/// Invariant: normalized. The mantissa has no trailing zero digit unless the scale is 0, and zero
/// is `0 × 10^0`; so each value has exactly one representation and the derived `Eq` and `Hash`
/// are value equality. `scale <= 18`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Price {
    mantissa: i64,
    scale: u8,
}
/// A size: an exact non-negative decimal, `mantissa × 10^-scale`, normalized like [`Price`],
/// packed into one `i64` as `mantissa << 5 | scale` so that a ladder stores a size in 8 bytes.
///
/// Invariant: `0 <= mantissa <= MAX_MANTISSA` (17 significant digits), `scale <= 18`, no
/// trailing zero digit in the mantissa unless the scale is 0, and zero is the packed `0`. So
/// each value has exactly one packed form: the derived `Eq` and `Hash` are value equality.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qty(i64);

/// Powers of ten that fit an `i64`.
const POW10: [i64; 19] = {
    let mut table = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

impl Price {
    /// Zero.
    pub const ZERO: Price = Price { mantissa: 0, scale: 0 };

    /// `mantissa × 10^-scale`, normalized.
    ///
    /// # Errors
    /// [`NumberError::TooPrecise`] for a scale above 18.
    pub const fn new(mantissa: i64, scale: u8) -> Result<Self, NumberError> {
        if scale as u32 > PRICE_DECIMALS {
            return Err(NumberError::TooPrecise { decimals: PRICE_DECIMALS });
        }
        let (mut mantissa, mut scale) = (mantissa, scale);
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Ok(Self { mantissa, scale })
    }

    /// The normalized mantissa.
    pub const fn mantissa(self) -> i64 {
        self.mantissa
    }

    /// The normalized scale: decimals after the point, trailing zeros dropped.
    pub const fn scale(self) -> u8 {
        self.scale
    }

    /// Whether the price is above zero.
    pub const fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    /// The value as a count of 10^-`scale` (the key of a ladder at that scale); `None` if
    /// `scale` is coarser than the price or the count overflows an `i64`.
    #[inline]
    pub const fn scaled_to(self, scale: u8) -> Option<i64> {
        if scale < self.scale || scale as u32 > PRICE_DECIMALS {
            return None;
        }
        self.mantissa.checked_mul(POW10[(scale - self.scale) as usize])
    }

    /// The price `count × 10^-scale` (the inverse of [`Price::scaled_to`]); a scale above 18
    /// is taken as 18.
    #[inline]
    pub const fn from_scaled(count: i64, scale: u8) -> Self {
        let (mut mantissa, mut scale) =
            (count, if scale as u32 > PRICE_DECIMALS { PRICE_DECIMALS as u8 } else { scale });
        // Usually one test: a price on its ladder's finest grid rarely ends in a zero.
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        Self { mantissa, scale }
    }

    /// Parses exchange text (a JSON number or the content of a JSON string).
    ///
    /// # Errors
    /// A [`NumberError`] if the text is not a number or not exactly representable.
    #[inline]
    pub fn parse(text: &str) -> Result<(Self, NumText), NumberError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Price::parse`] of text as bytes (a decoder reading the frame's bytes directly).
    ///
    /// # Errors
    /// A [`NumberError`] if the text is not a number or not exactly representable.
    pub fn parse_bytes(text: &[u8]) -> Result<(Self, NumText), NumberError> {
        let parsed = parse_decimal(text)?;
        // value = digits × 10^exp, with no trailing zeros in digits.
        let (mantissa, scale) = if parsed.exp >= 0 {
            let factor = usize::try_from(parsed.exp)
                .ok()
                .and_then(|e| POW10.get(e))
                .ok_or(NumberError::OutOfRange)?;
            (parsed.digits.checked_mul(*factor).ok_or(NumberError::OutOfRange)?, 0)
        } else {
            let scale = parsed.exp.unsigned_abs();
            if scale > PRICE_DECIMALS {
                return Err(NumberError::TooPrecise { decimals: PRICE_DECIMALS });
            }
            (parsed.digits, scale as u8)
        };
        Ok((Self { mantissa, scale }, parsed.text))
    }

    /// `self - other`, exactly; `None` on overflow.
    pub fn checked_sub(self, other: Price) -> Option<Price> {
        let scale = self.scale.max(other.scale);
        let a = self.scaled_to(scale)?;
        let b = other.scaled_to(scale)?;
        Price::new(a.checked_sub(b)?, scale).ok()
    }

    /// Writes the value with `decimals` digits after the point (the venue's own spelling).
    pub fn write_text(self, text: NumText, out: &mut NumBuf) -> &[u8] {
        out.render(self.mantissa, u32::from(self.scale), text)
    }

    /// The value as a `rust_decimal::Decimal`, exact.
    pub fn to_decimal(self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(self.mantissa, u32::from(self.scale))
    }
}

impl Ord for Price {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        // At the finer scale in i128: |mantissa| × 10^18 stays far below 2^127.
        let scale = self.scale.max(other.scale);
        let a = i128::from(self.mantissa) * i128::from(POW10[usize::from(scale - self.scale)]);
        let b = i128::from(other.mantissa) * i128::from(POW10[usize::from(scale - other.scale)]);
        a.cmp(&b)
    }
}

impl PartialOrd for Price {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Qty {
    /// Zero: the size that deletes a level.
    pub const ZERO: Qty = Qty(0);

    /// Bits of the packed form that hold the scale.
    const SCALE_BITS: u32 = 5;
    /// The largest mantissa: 58 bits, at least 17 significant digits.
    pub const MAX_MANTISSA: i64 = (1 << (63 - Self::SCALE_BITS)) - 1;

    /// `mantissa × 10^-scale`, normalized.
    ///
    /// # Errors
    /// [`NumberError::Negative`] for a negative mantissa, [`NumberError::TooPrecise`] for a
    /// scale above 18, [`NumberError::OutOfRange`] for a mantissa above [`Qty::MAX_MANTISSA`].
    pub const fn new(mantissa: i64, scale: u8) -> Result<Self, NumberError> {
        if mantissa < 0 {
            return Err(NumberError::Negative);
        }
        if scale as u32 > QTY_DECIMALS {
            return Err(NumberError::TooPrecise { decimals: QTY_DECIMALS });
        }
        let (mut mantissa, mut scale) = (mantissa, scale);
        while scale > 0 && mantissa % 10 == 0 {
            mantissa /= 10;
            scale -= 1;
        }
        if mantissa == 0 {
            return Ok(Qty::ZERO);
        }
        if mantissa > Self::MAX_MANTISSA {
            return Err(NumberError::OutOfRange);
        }
        Ok(Self((mantissa << Self::SCALE_BITS) | scale as i64))
    }

    /// The size `count × 10^-scale` (the inverse of [`Qty::to_scaled`]).
    ///
    /// # Errors
    /// As [`Qty::new`].
    pub const fn from_scaled(count: i64, scale: u8) -> Result<Self, NumberError> {
        Self::new(count, scale)
    }

    /// The value as a count of 10^-`scale`; `None` if `scale` is coarser than the size or the
    /// count overflows an `i64`.
    pub const fn to_scaled(self, scale: u8) -> Option<i64> {
        if scale < self.scale() || scale as u32 > QTY_DECIMALS {
            return None;
        }
        self.mantissa().checked_mul(POW10[(scale - self.scale()) as usize])
    }

    /// `self + other`, exact; `None` if the sum does not fit a [`Qty`].
    pub const fn checked_add(self, other: Qty) -> Option<Qty> {
        let scale = if self.scale() > other.scale() { self.scale() } else { other.scale() };
        let (Some(a), Some(b)) = (self.to_scaled(scale), other.to_scaled(scale)) else {
            return None;
        };
        let Some(sum) = a.checked_add(b) else { return None };
        match Self::new(sum, scale) {
            Ok(q) => Some(q),
            Err(_) => None,
        }
    }

    /// Rebuilds a size from [`Qty::raw`].
    ///
    /// # Errors
    /// [`NumberError::OutOfRange`] for a value [`Qty::raw`] never returns.
    pub const fn from_raw(raw: i64) -> Result<Self, NumberError> {
        let mantissa = raw >> Self::SCALE_BITS;
        let scale = raw & ((1 << Self::SCALE_BITS) - 1);
        let normalized = if mantissa == 0 { scale == 0 } else { scale == 0 || mantissa % 10 != 0 };
        if raw < 0 || scale > QTY_DECIMALS as i64 || !normalized {
            return Err(NumberError::OutOfRange);
        }
        Ok(Self(raw))
    }

    /// The packed form, `mantissa << 5 | scale`: one `i64`, zero only for zero, equal only for
    /// equal sizes (ladders store sizes this way).
    pub const fn raw(self) -> i64 {
        self.0
    }

    /// The normalized mantissa.
    pub const fn mantissa(self) -> i64 {
        self.0 >> Self::SCALE_BITS
    }

    /// The normalized scale: decimals after the point, trailing zeros dropped.
    pub const fn scale(self) -> u8 {
        (self.0 & ((1 << Self::SCALE_BITS) - 1)) as u8
    }

    /// Whether this size deletes a level.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses exchange text; negative sizes are rejected.
    ///
    /// # Errors
    /// A [`NumberError`] if the text is not a non-negative number or not exactly representable.
    #[inline]
    pub fn parse(text: &str) -> Result<(Self, NumText), NumberError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Qty::parse`] of text as bytes (a decoder reading the frame's bytes directly).
    ///
    /// # Errors
    /// A [`NumberError`] if the text is not a non-negative number or not exactly representable.
    pub fn parse_bytes(text: &[u8]) -> Result<(Self, NumText), NumberError> {
        if text.starts_with(b"-") {
            // Includes "-0": a venue never spells a size that way, so it is not trusted either.
            return Err(NumberError::Negative);
        }
        let parsed = parse_decimal(text)?;
        Ok((Self::from_parsed(parsed.digits, parsed.exp)?, parsed.text))
    }

    /// Parses exchange text that may carry a sign (Bitfinex puts the side in the sign), returning
    /// the magnitude and whether the text was negative.
    ///
    /// # Errors
    /// A [`NumberError`] if the text is not a number or not exactly representable.
    pub fn parse_signed(text: &str) -> Result<(Self, bool, NumText), NumberError> {
        let parsed = parse_decimal(text.as_bytes())?;
        let negative = text.starts_with('-');
        let digits = parsed.digits.checked_abs().ok_or(NumberError::OutOfRange)?;
        Ok((Self::from_parsed(digits, parsed.exp)?, negative, parsed.text))
    }

    /// `digits × 10^exp`, `digits` non-negative without trailing zeros.
    #[inline]
    fn from_parsed(digits: i64, exp: i32) -> Result<Self, NumberError> {
        if digits == 0 {
            return Ok(Qty::ZERO);
        }
        if exp >= 0 {
            let factor = usize::try_from(exp)
                .ok()
                .and_then(|e| POW10.get(e))
                .ok_or(NumberError::OutOfRange)?;
            Self::new(digits.checked_mul(*factor).ok_or(NumberError::OutOfRange)?, 0)
        } else if exp.unsigned_abs() > QTY_DECIMALS {
            Err(NumberError::TooPrecise { decimals: QTY_DECIMALS })
        } else {
            Self::new(digits, exp.unsigned_abs() as u8)
        }
    }

    /// Writes the value with the venue's own spelling.
    pub fn write_text(self, text: NumText, out: &mut NumBuf) -> &[u8] {
        out.render(self.mantissa(), u32::from(self.scale()), text)
    }

    /// The value as a `rust_decimal::Decimal`, exact.
    pub fn to_decimal(self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(self.mantissa(), u32::from(self.scale()))
    }
}

impl Ord for Qty {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.scale() == other.scale() {
            return self.mantissa().cmp(&other.mantissa());
        }
        // At the finer scale in i128: a 58-bit mantissa × 10^18 stays far below 2^127.
        let scale = self.scale().max(other.scale());
        let widen =
            |q: &Qty| i128::from(q.mantissa()) * i128::from(POW10[usize::from(scale - q.scale())]);
        widen(self).cmp(&widen(other))
    }
}

impl PartialOrd for Qty {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Price {
    /// The shortest exact decimal: no trailing zeros, no exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_canonical(self.mantissa, u32::from(self.scale), f)
    }
}

impl fmt::Debug for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Price({self})")
    }
}

impl fmt::Display for Qty {
    /// The shortest exact decimal: no trailing zeros, no exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_canonical(self.mantissa(), u32::from(self.scale()), f)
    }
}

impl fmt::Debug for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Qty({self})")
    }
}

fn write_canonical(raw: i64, scale: u32, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut buf = NumBuf::new();
    let text = buf.render(raw, scale, NumText { decimals: NumText::NOT_PLAIN });
    // The buffer holds only ASCII digits, '-' and '.'.
    f.write_str(std::str::from_utf8(text).map_err(|_| fmt::Error)?)
}

/// A stack buffer for rendering one number without allocating.
#[derive(Debug, Clone)]
pub struct NumBuf {
    bytes: [u8; 128],
}

impl Default for NumBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl NumBuf {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self { bytes: [0; 128] }
    }

    /// Renders `raw × 10^-scale` with the decimals recorded in `text`. Text that used an
    /// exponent is rendered in the shortest plain form.
    fn render(&mut self, raw: i64, scale: u32, text: NumText) -> &[u8] {
        let (decimals, shortest) = match text.decimals() {
            Some(d) => (u32::from(d), false),
            None => (scale, true),
        };
        let mut m = raw.unsigned_abs();
        // Built right to left. Capacity: 20 integer digits, a sign, a point and at most
        // NumText::MAX_DECIMALS (64) decimals, which NumText guarantees: 86 of the 128 bytes.
        let mut pos = self.bytes.len();
        let mut end = self.bytes.len();
        // Decimals written beyond the value's own scale are zeros by construction of the parse;
        // decimals the text did not write are zero digits of the value.
        for _ in scale..decimals {
            pos -= 1;
            self.bytes[pos] = b'0';
        }
        let shown = decimals.min(scale);
        if shown < scale {
            // The spelling shows fewer decimals than the value holds (a precision narrower than
            // a level the venue sent): the digits past it are dropped, and the checksum judges.
            // Rare enough that the division's cost does not matter.
            m /= POW10[(scale - shown) as usize] as u64;
        }
        for _ in 0..shown {
            pos -= 1;
            self.bytes[pos] = b'0' + (m % 10) as u8;
            m /= 10;
        }
        if decimals > 0 {
            pos -= 1;
            self.bytes[pos] = b'.';
            if shortest {
                while self.bytes[end - 1] == b'0' {
                    end -= 1;
                }
                if self.bytes[end - 1] == b'.' {
                    end -= 1;
                }
            }
        }
        loop {
            pos -= 1;
            self.bytes[pos] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if raw < 0 {
            pos -= 1;
            self.bytes[pos] = b'-';
        }
        &self.bytes[pos..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(s: &str) -> (i64, u8) {
        let (p, _) = Price::parse(s).unwrap();
        (p.mantissa(), p.scale())
    }
    /// A size in 10^-8 units.
    fn qty(s: &str) -> i64 {
        Qty::parse(s).unwrap().0.to_scaled(8).unwrap()
    }

    #[test]
    fn venue_spellings_are_exact() {
        assert_eq!(qty("0"), 0);
        assert_eq!(qty("0.00000000"), 0);
        assert_eq!(qty("0.000"), 0);
        assert_eq!(qty("5.1e-05"), 5_100);
        assert_eq!(qty("5e-05"), 5_000);
        assert_eq!(price("85592"), (85_592, 0));
        assert_eq!(qty("0.5666"), 56_660_000);
        assert_eq!(price("61837.63000000"), (6_183_763, 2));
        assert_eq!(price("0.000022900"), (229, 7));
        assert_eq!(price("1.7e-8"), (17, 9));
        assert_eq!(price("1E5"), (100_000, 0));
        assert_eq!(price("1.5E+2"), (150, 0));
        assert_eq!(price("0.0000000000000000010000"), (1, 18));
        assert_eq!(price("9999999997.00000"), (9_999_999_997, 0));
        assert_eq!(price("0.00"), (0, 0));
        assert_eq!(price("-0"), (0, 0));
    }

    #[test]
    fn inexact_and_malformed_text_is_rejected() {
        assert_eq!(
            Price::parse("0.0000000000000000001"),
            Err(NumberError::TooPrecise { decimals: 18 })
        );
        assert_eq!(
            Qty::parse("0.0000000000000000001"),
            Err(NumberError::TooPrecise { decimals: 18 })
        );
        assert_eq!(Qty::parse("-1"), Err(NumberError::Negative));
        assert_eq!(Price::parse("99999999999999999999"), Err(NumberError::OutOfRange));
        assert_eq!(Price::parse("1e19"), Err(NumberError::OutOfRange));
        assert_eq!(Qty::parse("1e18"), Err(NumberError::OutOfRange));
        assert_eq!(Qty::parse("288230376151711744"), Err(NumberError::OutOfRange));
        assert_eq!(Price::parse("1e400"), Err(NumberError::OutOfRange));
        for bad in [
            "", "NaN", "inf", "+1", "1.", ".5", "01", " 1", "1 ", "1e", "1e+", "--1", "0x10",
            "1.2.3",
        ] {
            assert!(Price::parse(bad).is_err(), "{bad:?} must be rejected");
        }
        let long = "1".repeat(4_000);
        assert_eq!(Price::parse(&long), Err(NumberError::TooLong));
    }

    #[test]
    fn original_text_is_rebuilt() {
        let cases = ["6.40", "0.00003530", "30316", "3366.1", "354.80000000", "0", "0.00", "-2.50"];
        for s in cases.into_iter().chain(["0.000022900", "0.0000000000000", "9999999997.00000"]) {
            let (p, pt) = Price::parse(s).unwrap();
            assert_eq!(p.write_text(pt, &mut NumBuf::new()), s.as_bytes(), "price {s}");
        }
        for s in cases.into_iter().filter(|s| !s.starts_with('-')) {
            let (q, qt) = Qty::parse(s).unwrap();
            assert_eq!(q.write_text(qt, &mut NumBuf::new()), s.as_bytes(), "qty {s}");
        }
        let (q, qt) = Qty::parse("5.1e-05").unwrap();
        assert_eq!(q.write_text(qt, &mut NumBuf::new()), b"0.000051");
    }

    #[test]
    fn sizes_keep_every_decimal_a_venue_sends_and_pack_uniquely() {
        // Gate.io spot sizes carry 10 decimals; meme-coin books hold sizes above 10^10.
        let (q, qt) = Qty::parse("349.0420934694").unwrap();
        assert_eq!((q.mantissa(), q.scale()), (3_490_420_934_694, 10));
        assert_eq!(q.write_text(qt, &mut NumBuf::new()), b"349.0420934694");
        let big = Qty::parse("50000000000.5").unwrap().0;
        assert_eq!(big.to_string(), "50000000000.5");
        assert_eq!(Qty::parse("287230376151711743").unwrap().0.mantissa(), 287_230_376_151_711_743);
        // One packed form per value, whatever the spelling.
        let forms = ["1.5", "1.50", "1.500000000", "15e-1"];
        let raws: Vec<i64> = forms.iter().map(|f| Qty::parse(f).unwrap().0.raw()).collect();
        assert!(raws.windows(2).all(|w| w[0] == w[1]), "{raws:?}");
        assert_eq!(Qty::from_raw(raws[0]), Ok(Qty::parse("1.5").unwrap().0));
        assert!(Qty::from_raw(-1).is_err());
        assert!(Qty::from_raw(10 << 5 | 1).is_err(), "10 × 10^-1 is not normalized");
        assert!(Qty::from_raw(19).is_err(), "zero with a scale");
        // Order across scales.
        let q = |s: &str| Qty::parse(s).unwrap().0;
        assert!(q("0.5") < q("1") && q("1") < q("1.0000000001") && q("2") > q("1.99"));
        assert_eq!(q("0.00000001").to_scaled(8), Some(1));
        assert_eq!(q("0.000000001").to_scaled(8), None);
        assert_eq!(Qty::from_scaled(150, 2).unwrap(), q("1.5"));
    }

    #[test]
    fn display_is_shortest_exact() {
        assert_eq!(Price::parse("61837.63000000").unwrap().0.to_string(), "61837.63");
        assert_eq!(Qty::parse("5.1e-05").unwrap().0.to_string(), "0.000051");
        assert_eq!(Price::parse("30316").unwrap().0.to_string(), "30316");
        assert_eq!(Price::new(-15, 1).unwrap().to_string(), "-1.5");
        assert_eq!(Price::new(1_500, 3).unwrap(), Price::new(15, 1).unwrap());
        assert_eq!(Qty::ZERO.to_string(), "0");
    }

    #[test]
    fn fixed_spellings_clamp_to_what_a_buffer_holds() {
        // A precision announced by a feed is any byte: the widest values render in the widest
        // spelling, and a byte equal to the exponent marker is still a plain spelling.
        let max = usize::from(NumText::MAX_DECIMALS);
        for decimals in [NumText::MAX_DECIMALS, 65, 200, u8::MAX] {
            let text = NumText::plain(decimals);
            assert_eq!(text.decimals(), Some(NumText::MAX_DECIMALS));
            let mut buf = NumBuf::new();
            let price = Price::new(-i64::MAX, 18).unwrap().write_text(text, &mut buf).to_vec();
            assert_eq!(price.len(), 1 + 1 + 1 + max, "-9.223372036854775807 and zeros");
            assert!(price.starts_with(b"-9.223372036854775807000"));
            let qty = Qty::parse("0.000000000000000001").unwrap().0;
            assert_eq!(qty.write_text(text, &mut buf).len(), 2 + max);
        }
        let mut buf = NumBuf::new();
        let narrow = Price::parse("61837.637").unwrap().0.write_text(NumText::plain(1), &mut buf);
        assert_eq!(narrow, b"61837.6", "digits past a narrower precision are dropped");
    }

    #[test]
    fn decimal_edge_conversion_is_exact() {
        let (p, _) = Price::parse("0.000022900").unwrap();
        assert_eq!(p.to_decimal().to_string(), "0.0000229");
        let big = Price::new(i64::MAX, 0).unwrap();
        assert_eq!(big.to_decimal().to_string(), i64::MAX.to_string());
    }

    #[test]
    fn order_and_scaling_across_scales() {
        let p = |s: &str| Price::parse(s).unwrap().0;
        assert!(p("1.5") < p("1.51"));
        assert!(p("-1.5") < p("-1.49"));
        assert!(p("9999999997") > p("0.000000001"));
        assert_eq!(p("61837.63").scaled_to(8), Some(6_183_763_000_000));
        assert_eq!(p("61837.63").scaled_to(1), None);
        assert_eq!(Price::from_scaled(6_183_763_000_000, 8), p("61837.63"));
        assert_eq!(p("61837.64").checked_sub(p("61837.63")), Some(p("0.01")));
    }
}
