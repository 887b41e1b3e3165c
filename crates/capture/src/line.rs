//! Classifying one capture line.

use crate::time::{parse_epoch_seconds, parse_iso8601};

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
    /// An empty line.
    Empty,
    /// Anything else: handed on as a frame for the decoder to judge.
    Unknown {
        /// The line.
        payload: &'a [u8],
    },
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
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return LineFormat::Unknown { payload: line };
    };
    let (head, rest) = (&line[..space], &line[space + 1..]);
    if is_json_start(rest) {
        if (10..=19).contains(&head.len()) && head.iter().all(u8::is_ascii_digit) {
            return LineFormat::Collector { recv_ns: digits(head), payload: rest };
        }
        if let Some(recv_ns) = parse_iso8601(head) {
            return LineFormat::Tardis { recv_ns, payload: rest };
        }
        if let Some(recv_ns) = head.strip_suffix(b":").and_then(parse_epoch_seconds) {
            return LineFormat::Cryptofeed { recv_ns, payload: rest };
        }
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

fn digits(d: &[u8]) -> i64 {
    // Caller checked: at most 19 ASCII digits; saturate rather than wrap on the largest.
    d.iter().fold(0i64, |acc, &b| acc.saturating_mul(10).saturating_add(i64::from(b - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(classify(b""), LineFormat::Empty);
        assert_eq!(classify(b"\r"), LineFormat::Empty);
        assert_eq!(classify(b"garbage here"), LineFormat::Unknown { payload: b"garbage here" });
    }
}
