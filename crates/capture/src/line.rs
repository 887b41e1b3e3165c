//! Classifying one capture line.

use depthbook_venues::{parse_epoch_seconds, parse_iso8601};

/// What one line of a capture is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat<'a> {
    /// A raw message with no receive time (plain NDJSON).
    Json {
        /// The message.
        payload: &'a [u8],
    },
    /// `<recv_ns> <json>` (hftbacktest collector).
    Collector {
        /// Receive time in ns.
        recv_ns: i64,
        /// The message.
        payload: &'a [u8],
    },
    /// `<ISO-8601> <json>` (tardis raw).
    Tardis {
        /// Receive time in ns.
        recv_ns: i64,
        /// The message.
        payload: &'a [u8],
    },
    /// `<secs>: <json>` (cryptofeed, a frame from the server).
    Cryptofeed {
        /// Receive time in ns.
        recv_ns: i64,
        /// The message.
        payload: &'a [u8],
    },
    /// `<secs>: b'...'` (cryptofeed, a binary frame from the server, written as a Python bytes
    /// literal: HTX's gzip frames). Decode the literal with [`decode_py_bytes`].
    CryptofeedBytes {
        /// Receive time in ns.
        recv_ns: i64,
        /// The literal's body, between its quotes, still escaped.
        escaped: &'a [u8],
    },
    /// `<url> -> <secs>: <json>` (cryptofeed, an HTTP response body).
    CryptofeedRest {
        /// The request URL.
        url: &'a str,
        /// Receive time in ns.
        recv_ns: i64,
        /// The body.
        payload: &'a [u8],
    },
    /// `<url> <- ...` or `<url> <-> ...` (cryptofeed, a client frame or a connect marker).
    CryptofeedClient,
    /// `<recv_ns> @<tag> <rest>`: a depthbook recorder line other than a plain frame (see
    /// [`Tagged`]).
    Recorder {
        /// Receive time in ns.
        recv_ns: i64,
        /// What the line records.
        tagged: Tagged<'a>,
    },
    /// An empty line.
    Empty,
    /// Anything else: handed on as a frame for the decoder to judge.
    Unknown {
        /// The line.
        payload: &'a [u8],
    },
}

/// The records of depthbook's own capture format besides plain `<recv_ns> <json>` frames.
///
/// Frames whose bytes cannot sit on one line as they are (binary frames, text with a line break
/// or not starting with `{` or `[`) are written in hex, so every frame replays bit for bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged<'a> {
    /// `@hex <hex digits>`: a frame, hex-encoded.
    HexFrame(&'a [u8]),
    /// `@rest <url> <body>`: a REST response body and its request URL.
    Rest {
        /// The request URL.
        url: &'a str,
        /// The body as received.
        body: &'a [u8],
    },
    /// `@resthex <url> <hex digits>`: a REST body that cannot sit on one line, hex-encoded.
    RestHex {
        /// The request URL.
        url: &'a str,
        /// The body's hex digits.
        hex: &'a [u8],
    },
    /// `@close <reason>`: the connection closed; every book of it goes Stale.
    Close,
    /// `@watchdog <symbol>`: the live driver's watchdog found the book silent too long and made
    /// it Stale; a replay repeats the decision at the same point.
    Watchdog {
        /// The instrument, as the venue spells it.
        symbol: &'a str,
    },
    /// Any other tag (`@open`, `@sent`, `@stale`, `@live`, `@resync`, ...): a note for people
    /// and tools, which the engine itself reproduces or does not need.
    Note,
}

fn is_json_start(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(b'{' | b'['))
}

/// Classifies one line (without its line terminator).
pub fn classify(line: &[u8]) -> LineFormat<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return LineFormat::Empty;
    }
    if is_json_start(line) {
        return LineFormat::Json { payload: line };
    }
    let Some(space) = memchr::memchr(b' ', line) else {
        return LineFormat::Unknown { payload: line };
    };
    let (head, rest) = (&line[..space], &line[space + 1..]);
    let epoch_ns = epoch_ns(head);
    if rest.starts_with(b"@")
        && let Some(recv_ns) = epoch_ns
    {
        return LineFormat::Recorder { recv_ns, tagged: tagged(rest) };
    }
    if is_json_start(rest) {
        if let Some(recv_ns) = epoch_ns {
            return LineFormat::Collector { recv_ns, payload: rest };
        }
        if let Some(recv_ns) = parse_iso8601(head) {
            return LineFormat::Tardis { recv_ns, payload: rest };
        }
        if let Some(recv_ns) = head.strip_suffix(b":").and_then(parse_epoch_seconds) {
            return LineFormat::Cryptofeed { recv_ns, payload: rest };
        }
    }
    if let Some(escaped) = py_bytes_body(rest)
        && let Some(recv_ns) = head.strip_suffix(b":").and_then(parse_epoch_seconds)
    {
        return LineFormat::CryptofeedBytes { recv_ns, escaped };
    }
    if head.windows(3).any(|w| w == b"://") {
        if rest.starts_with(b"<- ") || rest.starts_with(b"<-> ") {
            return LineFormat::CryptofeedClient;
        }
        if let Some(after) = rest.strip_prefix(b"-> ")
            && let Some(colon) = after.windows(2).position(|w| w == b": ")
            && let (Some(recv_ns), Ok(url)) =
                (parse_epoch_seconds(&after[..colon]), std::str::from_utf8(head))
        {
            return LineFormat::CryptofeedRest { url, recv_ns, payload: &after[colon + 2..] };
        }
    }
    LineFormat::Unknown { payload: line }
}

/// A receive time in ns: 10 to 19 ASCII digits (saturating at `i64::MAX` rather than
/// wrapping on the largest), in one pass without a branch per digit (19 digits always fit a
/// `u64`).
fn epoch_ns(head: &[u8]) -> Option<i64> {
    if !(10..=19).contains(&head.len()) {
        return None;
    }
    let (value, bad) = head.iter().fold((0u64, false), |(value, bad), &b| {
        let digit = b.wrapping_sub(b'0');
        (value.wrapping_mul(10).wrapping_add(u64::from(digit)), bad | (digit > 9))
    });
    (!bad).then(|| i64::try_from(value).unwrap_or(i64::MAX))
}

/// Splits `@tag rest` (the caller checked the `@`).
fn tagged(line: &[u8]) -> Tagged<'_> {
    let (tag, rest) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[1..i], &line[i + 1..]),
        None => (&line[1..], &line[line.len()..]),
    };
    let url_and_rest = || {
        let i = rest.iter().position(|&b| b == b' ')?;
        Some((std::str::from_utf8(&rest[..i]).ok()?, &rest[i + 1..]))
    };
    match tag {
        b"hex" => Tagged::HexFrame(rest),
        b"close" => Tagged::Close,
        b"rest" => match url_and_rest() {
            Some((url, body)) => Tagged::Rest { url, body },
            None => Tagged::Note,
        },
        b"resthex" => match url_and_rest() {
            Some((url, hex)) => Tagged::RestHex { url, hex },
            None => Tagged::Note,
        },
        b"watchdog" => match std::str::from_utf8(rest) {
            Ok(symbol) if !symbol.is_empty() => Tagged::Watchdog { symbol },
            _ => Tagged::Note,
        },
        _ => Tagged::Note,
    }
}

/// Decodes hex digits into `out` (cleared first); false if `hex` is not an even run of them.
pub fn decode_hex(hex: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    if !hex.len().is_multiple_of(2) {
        return false;
    }
    for pair in hex.chunks_exact(2) {
        match (hex_value(pair[0]), hex_value(pair[1])) {
            (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
            _ => return false,
        }
    }
    true
}

/// The value of one hex digit.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The body of a Python bytes literal `b'...'` or `b"..."`, still escaped.
fn py_bytes_body(text: &[u8]) -> Option<&[u8]> {
    let quote = match text {
        [b'b', q @ (b'\'' | b'"'), ..] => *q,
        _ => return None,
    };
    let body = text.get(2..text.len().checked_sub(1)?)?;
    (text.last() == Some(&quote) && text.len() >= 3).then_some(body)
}

/// Decodes the escaped body of a Python bytes literal (what `repr(bytes)` prints: `\\`,
/// `\'`, `\"`, `\t`, `\n`, `\r`, `\xHH`, other bytes as themselves) into `out` (cleared
/// first). False, with `out` unspecified, for an escape Python never prints.
pub fn decode_py_bytes(escaped: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    out.reserve(escaped.len());
    let mut i = 0;
    while i < escaped.len() {
        let b = escaped[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&e) = escaped.get(i + 1) else { return false };
        i += 2;
        let byte = match e {
            b'\\' | b'\'' | b'"' => e,
            b't' => b'\t',
            b'n' => b'\n',
            b'r' => b'\r',
            b'x' => {
                let (Some(hi), Some(lo)) = (
                    escaped.get(i).and_then(|&h| hex_value(h)),
                    escaped.get(i + 1).and_then(|&l| hex_value(l)),
                ) else {
                    return false;
                };
                i += 2;
                hi << 4 | lo
            }
            _ => return false,
        };
        out.push(byte);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_bytes_literals_decode_exactly() {
        let line = br#"1618678070.733454: b'\x1f\x8b\x08\x00\r\x8aA\n\'"\\z'"#;
        let LineFormat::CryptofeedBytes { recv_ns, escaped } = classify(line) else {
            panic!("{:?}", classify(line));
        };
        assert_eq!(recv_ns, 1_618_678_070_733_454_000);
        let mut out = Vec::new();
        assert!(decode_py_bytes(escaped, &mut out));
        assert_eq!(out, b"\x1f\x8b\x08\x00\r\x8aA\n'\"\\z");
        assert!(!decode_py_bytes(br"\x1", &mut out));
        assert!(!decode_py_bytes(br"\q", &mut out));
        assert!(!decode_py_bytes(b"\\", &mut out));
    }

    #[test]
    fn receive_times_are_digits_only_and_saturate() {
        let ns = |line: &[u8]| match classify(line) {
            LineFormat::Collector { recv_ns, .. } => Some(recv_ns),
            _ => None,
        };
        assert_eq!(ns(b"1723161253937085768 {}"), Some(1_723_161_253_937_085_768));
        assert_eq!(ns(b"1723161253 {}"), Some(1_723_161_253));
        assert_eq!(ns(b"9999999999999999999 {}"), Some(i64::MAX));
        for not_ns in
            [&b"172316125 {}"[..], b"17231612539370857680 {}", b"172316125/ {}", b"17231612:3 {}"]
        {
            assert_eq!(ns(not_ns), None, "{}", String::from_utf8_lossy(not_ns));
        }
    }

    #[test]
    fn every_format_is_recognised() {
        assert_eq!(classify(b"{\"a\":1}"), LineFormat::Json { payload: b"{\"a\":1}" });
        assert_eq!(
            classify(b"1723161253937085768 {\"x\":1}"),
            LineFormat::Collector { recv_ns: 1_723_161_253_937_085_768, payload: b"{\"x\":1}" }
        );
        assert_eq!(
            classify(b"2019-10-01T00:00:00.000Z [1]"),
            LineFormat::Tardis { recv_ns: 1_569_888_000_000_000_000, payload: b"[1]" }
        );
        assert_eq!(
            classify(b"1652459225.5: {\"x\":1}"),
            LineFormat::Cryptofeed { recv_ns: 1_652_459_225_500_000_000, payload: b"{\"x\":1}" }
        );
        assert_eq!(
            classify(b"https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000 -> 1633998512.320639: {\"l\":1}"),
            LineFormat::CryptofeedRest {
                url: "https://api.binance.com/api/v3/depth?symbol=NKNUSDT&limit=1000",
                recv_ns: 1_633_998_512_320_639_000,
                payload: b"{\"l\":1}"
            }
        );
        assert_eq!(
            classify(b"wss://ws.okx.com:8443/ws/v5/public <-> 1652459224.53"),
            LineFormat::CryptofeedClient
        );
        assert_eq!(
            classify(b"wss://x <- 1.5: {\"op\":\"subscribe\"}"),
            LineFormat::CryptofeedClient
        );
        assert_eq!(
            classify(b"1723161253937085768 @rest https://h/api/v3/depth?symbol=A {\"l\":1}"),
            LineFormat::Recorder {
                recv_ns: 1_723_161_253_937_085_768,
                tagged: Tagged::Rest { url: "https://h/api/v3/depth?symbol=A", body: b"{\"l\":1}" }
            }
        );
        let tag = |line: &'static [u8]| match classify(line) {
            LineFormat::Recorder { tagged, .. } => tagged,
            other => panic!("{other:?}"),
        };
        assert_eq!(tag(b"1723161253937085768 @hex 706f6e67"), Tagged::HexFrame(b"706f6e67"));
        assert_eq!(tag(b"1723161253937085768 @close 1006 reset"), Tagged::Close);
        assert_eq!(
            tag(b"1723161253937085768 @watchdog BTC-USDT"),
            Tagged::Watchdog { symbol: "BTC-USDT" }
        );
        assert_eq!(tag(b"1723161253937085768 @watchdog"), Tagged::Note);
        assert_eq!(tag(b"1723161253937085768 @open wss://x"), Tagged::Note);
        assert_eq!(tag(b"1723161253937085768 @rest nourl"), Tagged::Note);
        let mut out = Vec::new();
        assert!(decode_hex(b"706F6e67", &mut out) && out == b"pong");
        assert!(!decode_hex(b"7", &mut out) && !decode_hex(b"zz", &mut out));
        assert_eq!(classify(b""), LineFormat::Empty);
        assert_eq!(classify(b"\r"), LineFormat::Empty);
        assert_eq!(classify(b"garbage here"), LineFormat::Unknown { payload: b"garbage here" });
    }
}
