//! Receive times as written by capture tools, to integer nanoseconds without floats.

/// Parses decimal epoch seconds (`1652459225.5073643`) to nanoseconds; digits past the ninth
/// decimal are dropped (below a nanosecond).
pub fn parse_epoch_seconds(text: &[u8]) -> Option<i64> {
    let (int_part, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    if int_part.is_empty() || int_part.len() > 12 || !int_part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let secs = digits_value(int_part)?;
    let mut nanos = 0i64;
    for i in 0..9 {
        nanos = nanos * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0'));
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

fn digits_value(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |acc, &d| acc.checked_mul(10)?.checked_add(i64::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds() {
        assert_eq!(parse_epoch_seconds(b"1652459225.5073643"), Some(1_652_459_225_507_364_300));
        assert_eq!(parse_epoch_seconds(b"1618678132"), Some(1_618_678_132_000_000_000));
        assert_eq!(parse_epoch_seconds(b"12a"), None);
        assert_eq!(parse_epoch_seconds(b""), None);
    }
}
