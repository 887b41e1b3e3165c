//! Timestamps as text (Coinbase's `time`, capture tools' receive times) to epoch nanoseconds,
//! without floats.

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
    secs.checked_mul(1_000_000_000)?.checked_add(fraction_nanos(frac))
}

/// Parses an ISO-8601 UTC timestamp (`2019-10-01T00:00:00.1234567Z`) to epoch nanoseconds.
pub fn parse_iso8601(text: &[u8]) -> Option<i64> {
    // YYYY-MM-DDTHH:MM:SS[.f+]Z
    if text.len() < 20
        || text[4] != b'-'
        || text[7] != b'-'
        || text[10] != b'T'
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        if digits.iter().all(u8::is_ascii_digit) { digits_value(digits) } else { None }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let rest = &text[19..];
    let (frac, zone) = match rest.first() {
        Some(b'.') => {
            let end =
                rest.iter().skip(1).position(|b| !b.is_ascii_digit()).map_or(rest.len(), |p| p + 1);
            (&rest[1..end], &rest[end..])
        }
        _ => (&[][..], rest),
    };
    if zone != b"Z" {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    secs.checked_mul(1_000_000_000)?.checked_add(fraction_nanos(frac))
}

/// The value of ASCII `digits` (the caller checked they are digits), `None` on overflow.
fn digits_value(digits: &[u8]) -> Option<i64> {
    digits.iter().try_fold(0i64, |acc, &d| acc.checked_mul(10)?.checked_add(i64::from(d - b'0')))
}

/// Nanoseconds of the ASCII digits after a seconds' point (checked by the caller): the first
/// nine, zero-padded; later ones are below a nanosecond and dropped.
fn fraction_nanos(frac: &[u8]) -> i64 {
    (0..9).fold(0, |nanos, i| nanos * 10 + frac.get(i).map_or(0, |d| i64::from(d - b'0')))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601() {
        assert_eq!(parse_iso8601(b"1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601(b"2019-10-01T00:00:00.1234567Z"), Some(1_569_888_000_123_456_700));
        assert_eq!(parse_iso8601(b"2024-02-29T12:00:00.5Z"), Some(1_709_208_000_500_000_000));
        assert_eq!(parse_iso8601(b"2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_iso8601(b"not a time"), None);
    }

    #[test]
    fn epoch_seconds() {
        assert_eq!(parse_epoch_seconds(b"1652459225.5073643"), Some(1_652_459_225_507_364_300));
        assert_eq!(parse_epoch_seconds(b"1618678132"), Some(1_618_678_132_000_000_000));
        assert_eq!(parse_epoch_seconds(b"1.0000000019"), Some(1_000_000_001));
        assert_eq!(parse_epoch_seconds(b"12a"), None);
        assert_eq!(parse_epoch_seconds(b"1.2e3"), None);
        assert_eq!(parse_epoch_seconds(b""), None);
    }
}
