//! Word-at-a-time (SWAR) digit arithmetic: eight ASCII bytes checked and converted in a few
//! integer operations, no branch per byte.

/// Eight bytes of `bytes` from `at`, little-endian (one load).
#[inline(always)]
pub(super) fn load_word(bytes: &[u8], at: usize) -> Option<u64> {
    let word: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(word))
}

/// `0x01` in every byte.
pub(super) const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of each byte of `word` that is zero, exact up to the first zero byte (a byte
/// above it may be flagged by the borrow): the lowest flag is the first zero byte.
#[inline(always)]
pub(super) fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & 0x8080_8080_8080_8080
}

/// Up to eight ASCII digits, right-aligned in a little-endian `u64` padded with `'0'`, minus
/// `'0'` in every byte (so each byte holds its digit's value and the padding is zero); `None`
/// if any byte is not a digit.
#[inline]
pub(super) fn digit_lanes(digits: &[u8]) -> Option<u64> {
    if digits.len() > 8 {
        return None;
    }
    // Shifting each byte in leaves the last digit lowest; one byte swap right-aligns them
    // first-digit-lowest. (A shift loop, not a copy into a buffer: a copy of variable length
    // is a call to memmove.)
    let reversed = digits.iter().fold(0x3030_3030_3030_3030u64, |v, &b| (v << 8) | u64::from(b));
    check_lanes(reversed.swap_bytes())
}

/// Eight ASCII bytes (digits right-aligned, `'0'` padding below them) minus `'0'` in every
/// byte; `None` if any byte is not a digit.
#[inline(always)]
pub(super) fn check_lanes(ascii: u64) -> Option<u64> {
    let (lanes, flags) = lanes_and_flags(ascii);
    (flags == 0).then_some(lanes)
}

/// `word`'s bytes minus `'0'`, and the high bit of every byte that is not an ASCII digit. A byte
/// below '0' wraps to >= 0x80; a byte above '9' reaches >= 0x80 once 0x76 is added. A digit
/// (0..=9) does neither and carries into no neighbour, so the flags are exact up to the first
/// non-digit (a neighbour's borrow or carry only ever follows one): the lowest flag is it.
#[inline(always)]
pub(super) fn lanes_and_flags(word: u64) -> (u64, u64) {
    let lanes = word.wrapping_sub(0x3030_3030_3030_3030);
    let flags = (lanes | lanes.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
    (lanes, flags)
}

/// The value of eight digit lanes (the first digit in the lowest byte): pairs, then quads,
/// then the whole, each step a multiply-add that cannot carry across lanes.
#[inline]
pub(super) fn lanes_value(lanes: u64) -> u64 {
    let pairs = (lanes.wrapping_mul(10).wrapping_add(lanes >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs.wrapping_mul(100).wrapping_add(pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    (quads.wrapping_mul(10_000).wrapping_add(quads >> 32)) & 0xFFFF_FFFF
}
