//! The decimal parser against rust_decimal: every text both accept has the same value, and a
//! plain decimal renders back to exactly its text. The in-place reader against the parser: a
//! number it reads anywhere in the input is the one the parser reads from the same bytes.

#![no_main]

use std::str::FromStr;

use depthbook_core::decimal::{NumBuf, PlainNumber, read_integer};
use depthbook_core::{Price, Qty};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;

fuzz_target!(|data: &[u8]| {
    for at in 0..data.len().min(24) {
        if let Some((plain, len)) = PlainNumber::read(data, at) {
            let text = &data[at..at + len];
            assert_eq!(Price::parse_bytes(text).map(|(p, _)| p), Ok(Price::from(plain)), "{text:?}");
            assert_eq!(Qty::parse_bytes(text), Ok((Qty::from(plain), plain.text())), "{text:?}");
        }
        if let Some((value, len)) = read_integer(data, at) {
            let text = std::str::from_utf8(&data[at..at + len]).ok();
            assert_eq!(text.and_then(|t| t.parse::<u64>().ok()), Some(value));
        }
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    // rust_decimal is exact only within 28 digits: it rounds a longer mantissa before
    // applying an exponent (`0.…081001001E20` became 0.000081), so only such texts are judged.
    let mantissa = text.split(['e', 'E']).next().unwrap_or("");
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let decimals = mantissa.split_once('.').map_or(0, |(_, f)| f.len());
    let reference = (digits <= 28 && decimals <= 28)
        .then(|| Decimal::from_str(text).ok().or_else(|| Decimal::from_scientific(text).ok()))
        .flatten();
    if let Ok((price, spelling)) = Price::parse(text) {
        if let Some(d) = reference {
            assert_eq!(price.to_decimal(), d.normalize(), "price {text:?}");
        }
        let plain = !text.contains(['e', 'E']);
        if plain && !text.starts_with('-') && !text.starts_with("-0") {
            assert_eq!(price.write_text(spelling, &mut NumBuf::new()), text.as_bytes(), "{text:?}");
        }
    }
    if let Ok((qty, spelling)) = Qty::parse(text) {
        if let Some(d) = reference {
            assert_eq!(qty.to_decimal(), d.normalize(), "qty {text:?}");
        }
        if !text.contains(['e', 'E']) {
            assert_eq!(qty.write_text(spelling, &mut NumBuf::new()), text.as_bytes(), "{text:?}");
        }
        assert!(Qty::from_raw(qty.raw()) == Ok(qty), "packed form round-trips");
    }
});
