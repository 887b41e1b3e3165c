//! Where books live on the bus: the stream, the key-value bucket, subjects and keys.

/// The names a publisher and its subscribers agree on.
///
/// Subjects are `<prefix>.<venue>.<symbol>` and keys `<venue>.<symbol>`, the symbol escaped by
/// [`escape_token`] (a symbol may hold a `.`, which separates subject tokens, or a `:`, which
/// key-value keys do not allow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusNames {
    /// The JetStream stream that holds every message (`DEPTHBOOK`).
    pub stream: String,
    /// The key-value bucket of each book's latest snapshot (`depthbook_snapshots`).
    pub bucket: String,
    /// The first token of every subject (`depthbook`).
    pub prefix: String,
}

impl Default for BusNames {
    fn default() -> Self {
        BusNames {
            stream: "DEPTHBOOK".to_owned(),
            bucket: "depthbook_snapshots".to_owned(),
            prefix: "depthbook".to_owned(),
        }
    }
}

impl BusNames {
    /// Names for a separate namespace, `tag` in every name (tests, several publishers on one
    /// server): stream `DEPTHBOOK_<tag>`, bucket `depthbook_snapshots_<tag>`, prefix
    /// `depthbook_<tag>`. `tag` is escaped like a symbol.
    pub fn tagged(tag: &str) -> Self {
        let tag = escape_token(tag).replace(['=', '/'], "_");
        BusNames {
            stream: format!("DEPTHBOOK_{tag}"),
            bucket: format!("depthbook_snapshots_{tag}"),
            prefix: format!("depthbook_{tag}"),
        }
    }

    /// The subject of `symbol`'s book on `venue`.
    pub fn subject(&self, venue: &str, symbol: &str) -> String {
        format!("{}.{}.{}", self.prefix, escape_token(venue), escape_token(symbol))
    }

    /// Every subject of `venue` (a filter).
    pub fn venue_filter(&self, venue: &str) -> String {
        format!("{}.{}.>", self.prefix, escape_token(venue))
    }

    /// Every subject of the namespace (the stream's subjects).
    pub fn all_subjects(&self) -> String {
        format!("{}.>", self.prefix)
    }

    /// The key of `symbol`'s latest snapshot on `venue`.
    pub fn key(&self, venue: &str, symbol: &str) -> String {
        format!("{}.{}", escape_token(venue), escape_token(symbol))
    }

    /// The venue and symbol a subject names, if it is one of this namespace's.
    pub fn parse_subject(&self, subject: &str) -> Option<(String, String)> {
        let rest = subject.strip_prefix(&self.prefix)?.strip_prefix('.')?;
        let (venue, symbol) = rest.split_once('.')?;
        Some((unescape_token(venue)?, unescape_token(symbol)?))
    }
}

/// Whether `b` stands for itself in a subject token and a key.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/')
}

/// `text` as one subject token and key part: bytes outside `[A-Za-z0-9_/-]` become `=XX`
/// (two uppercase hex digits), so `tBTCF0:USTF0` is `tBTCF0=3AUSTF0` and `BTC.USDT` is
/// `BTC=2EUSDT`. An empty text is `=`.
pub fn escape_token(text: &str) -> String {
    if text.is_empty() {
        return "=".to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if plain(b) {
            out.push(b as char);
        } else {
            out.push('=');
            out.push(char::from(b"0123456789ABCDEF"[(b >> 4) as usize]));
            out.push(char::from(b"0123456789ABCDEF"[(b & 15) as usize]));
        }
    }
    out
}

/// The text [`escape_token`] wrote `token` from; `None` if it is not such a token.
pub fn unescape_token(token: &str) -> Option<String> {
    if token == "=" {
        return Some(String::new());
    }
    let bytes = token.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'=' {
            let hex = token.get(i + 1..i + 3)?;
            if !hex.bytes().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(&h)) {
                return None;
            }
            let byte = u8::from_str_radix(hex, 16).ok()?;
            if plain(byte) {
                return None;
            }
            out.push(byte);
            i += 3;
        } else if plain(b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_become_tokens_and_back() {
        for (symbol, token) in [
            ("BTCUSDT", "BTCUSDT"),
            ("XBT/USD", "XBT/USD"),
            ("BTC-PERPETUAL", "BTC-PERPETUAL"),
            ("tBTCF0:USTF0", "tBTCF0=3AUSTF0"),
            ("BTC.USDT", "BTC=2EUSDT"),
            ("a b*>", "a=20b=2A=3E"),
            ("", "="),
            ("é", "=C3=A9"),
        ] {
            assert_eq!(escape_token(symbol), token);
            assert_eq!(unescape_token(token).as_deref(), Some(symbol));
        }
        for bad in ["=", "=4", "=41", "=zz", "a.b", "a b", "=2e"] {
            if bad != "=" {
                assert_eq!(unescape_token(bad), None, "{bad}");
            }
        }
    }

    #[test]
    fn subjects_name_venue_and_symbol() {
        let names = BusNames::default();
        let subject = names.subject("binance-spot", "BTC.USDT");
        assert_eq!(subject, "depthbook.binance-spot.BTC=2EUSDT");
        assert_eq!(
            names.parse_subject(&subject),
            Some(("binance-spot".to_owned(), "BTC.USDT".to_owned()))
        );
        assert_eq!(names.key("kraken", "XBT/USD"), "kraken.XBT/USD");
        assert_eq!(names.venue_filter("okx"), "depthbook.okx.>");
        assert_eq!(BusNames::tagged("t1").stream, "DEPTHBOOK_t1");
    }
}
