//! The one decoder shape: frame in, normalized events out, dispatched per venue.

use crate::book_channels::{BookChannel, ChannelClaims};
use crate::channels::ChannelMap;
use crate::error::DecodeError;
use crate::event::{BookEvent, BookKind, Checksum, Decoded, Frame, FrameKind, Origin, Seq};
use crate::gzip::{Inflater, is_gzip};
use crate::json::JsonParser;
use crate::scan::Scan;
use crate::symbols::{InstrumentId, SymbolTable};
use crate::venue::Venue;
use crate::{binance, bitfinex, bitget, bybit, coinbase, deribit, gateio, htx, kraken, okx};

/// Bounds on what a decoder accepts from the network or a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest frame parsed; longer frames are [`DecodeError::FrameTooLarge`]. Per venue
    /// ([`Limits::for_venue`]): the largest real frame of its book channels with headroom.
    pub max_frame_bytes: usize,
    /// Most JSON tokens a frame may hold; more is [`DecodeError::TooManyTokens`]. A token is
    /// what simd-json indexes and reserves a tape node for before it validates anything: a
    /// structural character (`{ } [ ] , :`), a string or a scalar. Parsing takes about 32
    /// bytes a token besides three copies of the frame, so this bounds what one frame takes
    /// whatever its shape. Counted only for frames over [`Limits::COUNT_TOKENS_FROM`] bytes
    /// (none smaller can hold more).
    pub max_tokens: usize,
    /// Deepest JSON nesting accepted; venue messages nest at most 6 levels.
    pub max_json_depth: usize,
}

impl Limits {
    /// Frames up to this length are not counted: even one made only of tokens holds fewer
    /// than [`Limits::max_tokens`] of any venue.
    pub const COUNT_TOKENS_FROM: usize = 1 << 20;

    /// The limits of `venue`'s frames: 4 MiB and 2 Mi tokens for every venue whose largest
    /// real book frame is a few hundred KB (a Binance REST snapshot of 5000 levels a side is
    /// about 300 KB; a Bybit `full_orderbook` of 10 000 about 600 KB; 4 MiB of OKX's densest
    /// levels hold 1.6 Mi tokens). Coinbase sends the whole book in one snapshot: Advanced
    /// Trade's BTC-USD `level2` snapshot was 5.08 MB of text in August 2026, about 46 000
    /// levels of 17 tokens. Its frames may be 32 MiB and hold 3 Mi tokens (185 000 levels,
    /// 21 MB of its shape, four times the largest real snapshot), so parsing the largest takes
    /// under 230 MiB; Coinbase Exchange's `[price, size]` snapshots (7 tokens a level) 16 MiB
    /// within the same tokens.
    pub const fn for_venue(venue: Venue) -> Limits {
        let (max_frame_bytes, max_tokens) = match venue {
            Venue::Coinbase => (32 << 20, 3 << 20),
            Venue::CoinbaseExchange => (16 << 20, 3 << 20),
            _ => (4 << 20, 2 << 20),
        };
        Limits { max_frame_bytes, max_tokens, max_json_depth: 32 }
    }
}

impl Default for Limits {
    /// The limits most venues share (see [`Limits::for_venue`]).
    fn default() -> Self {
        Limits::for_venue(Venue::BinanceSpot)
    }
}

/// An upper bound on the tokens simd-json indexes in `bytes`: outside strings every structural
/// character (`{ } [ ] , :`) and the start of every run of other non-blank characters (a
/// scalar, or garbage simd-json indexes the same way); each string once. One pass, only for
/// frames over [`Limits::COUNT_TOKENS_FROM`] bytes.
fn tokens_at_most(bytes: &[u8]) -> usize {
    let (mut tokens, mut in_string, mut escaped, mut in_scalar) = (0, false, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => {
                tokens += 1;
                in_string = true;
                in_scalar = false;
            }
            b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                tokens += 1;
                in_scalar = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' => in_scalar = false,
            _ => {
                tokens += usize::from(!in_scalar);
                in_scalar = true;
            }
        }
    }
    tokens
}

/// Decodes one venue's frames into [`Decoded`] output.
#[derive(Debug)]
pub struct VenueDecoder {
    venue: Venue,
    limits: Limits,
    parser: JsonParser,
    inflater: Option<Inflater>,
    session: Session,
    // Whether frames are first offered to the venue's fast path (see `decode`).
    fast_path: bool,
    // Frames the fast path decoded.
    fast_decoded: u64,
}

/// What a decoder remembers of the connection between frames (only venues that name books by
/// a connection-local id need it). Bounded: see [`ChannelMap`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Session {
    /// Bitfinex channel ids, from `subscribed` events.
    pub(crate) channels: ChannelMap,
    /// Bitfinex `conf` flags the server confirmed (`None` until a `conf` reply is seen).
    pub(crate) flags: Option<i64>,
    /// Which book channel each symbol's plain name names (kept across reconnections, as the
    /// instruments are).
    pub(crate) claims: ChannelClaims,
}

impl VenueDecoder {
    /// A decoder for `venue` with its [`Limits::for_venue`].
    pub fn new(venue: Venue) -> Self {
        Self::with_limits(venue, Limits::for_venue(venue))
    }

    /// A decoder for `venue` with the given limits.
    pub fn with_limits(venue: Venue, limits: Limits) -> Self {
        let parser = JsonParser::new(venue.numbers_as_json_numbers(), limits.max_json_depth);
        let inflater = venue.compressed_frames().then(Inflater::new);
        Self {
            venue,
            limits,
            parser,
            inflater,
            session: Session::default(),
            fast_path: true,
            fast_decoded: 0,
        }
    }

    /// A decoder in this one's connection state (the channel ids and flags it has seen), with
    /// buffers of its own: it goes on reading the same connection independently.
    pub fn fork(&self) -> Self {
        Self {
            session: self.session.clone(),
            fast_path: self.fast_path,
            ..Self::with_limits(self.venue, self.limits)
        }
    }

    /// Turns the fast path on (the default) or off. Off, every frame goes through simd-json:
    /// the reference the fast path is tested against, event for event.
    pub fn set_fast_path(&mut self, on: bool) {
        self.fast_path = on;
    }

    /// Frames the fast path has decoded (the rest went through simd-json).
    pub fn fast_decoded(&self) -> u64 {
        self.fast_decoded
    }

    /// The venue this decoder reads.
    pub fn venue(&self) -> Venue {
        self.venue
    }

    /// Forgets what the decoder learned of the connection (channel ids, confirmed flags): the
    /// connection ended, and the next one names its own.
    pub fn reset_session(&mut self) {
        // Cleared in place: the next connection's ids reuse the memory.
        self.session.channels.clear();
        self.session.flags = None;
    }

    /// The connection-local channel id carrying `instrument`'s book, where the venue numbers
    /// its subscriptions (Bitfinex, whose unsubscribe names the id); `None` elsewhere or before
    /// the subscription was acknowledged.
    pub fn channel_of(&self, instrument: InstrumentId) -> Option<i64> {
        self.session.channels.of_instrument(instrument)
    }

    /// Frees the buffers an outlier frame grew past `retain` bytes (the parser's copy of the
    /// frame and its tape, the inflated text), so one huge frame does not stay resident.
    /// Within `retain` nothing is freed or allocated: call it after every frame.
    pub fn trim(&mut self, retain: usize) {
        self.parser.trim(retain);
        if let Some(inflater) = &mut self.inflater {
            inflater.trim(retain);
        }
    }

    /// Decodes `frame` into `out` (cleared first), registering new instruments in `symbols`.
    ///
    /// # Errors
    /// A [`DecodeError`] when the frame is malformed; `out.failed_instrument` then names the
    /// instrument whose book message was rejected, if it was identified.
    pub fn decode(
        &mut self,
        frame: &Frame<'_>,
        symbols: &mut SymbolTable,
        out: &mut Decoded,
    ) -> Result<(), DecodeError> {
        out.clear();
        let bytes = frame.bytes;
        if bytes.len() > self.limits.max_frame_bytes {
            return Err(DecodeError::FrameTooLarge {
                len: bytes.len(),
                max: self.limits.max_frame_bytes,
            });
        }
        let bytes = match &mut self.inflater {
            Some(inflater) if is_gzip(bytes) => {
                inflater.inflate(bytes, self.limits.max_frame_bytes)?
            }
            _ => bytes,
        };
        let bytes = bytes.trim_ascii();
        if bytes.len() > Limits::COUNT_TOKENS_FROM {
            let tokens = tokens_at_most(bytes);
            if tokens > self.limits.max_tokens {
                return Err(DecodeError::TooManyTokens { tokens, max: self.limits.max_tokens });
            }
        }
        match bytes.first() {
            Some(b'{' | b'[') => {}
            _ if is_keepalive_word(bytes) => {
                out.kind = FrameKind::NotBook("keepalive");
                return Ok(());
            }
            _ => return Err(DecodeError::NotJson),
        }
        let venue = self.venue;
        let origin = frame.origin;
        let session = &mut self.session;
        if self.fast_path && origin == Origin::Stream {
            let mut ctx = Ctx { symbols: &mut *symbols, out: &mut *out, origin, session };
            if fast_decode(venue, bytes, &mut ctx).is_some() {
                self.fast_decoded += 1;
                return Ok(());
            }
            // Declined: whatever it had pushed goes, and the general path starts afresh.
            out.clear();
        }
        let session = &mut self.session;
        self.parser.parse(bytes, |root| {
            let mut ctx = Ctx { symbols, out, origin, session };
            match venue {
                Venue::BinanceSpot | Venue::BinanceUsdm => binance::decode(root, venue, &mut ctx),
                Venue::Okx => okx::decode(root, &mut ctx),
                Venue::Kraken => kraken::v2::decode(root, &mut ctx),
                Venue::KrakenV1 => kraken::v1::decode(root, &mut ctx),
                Venue::Bybit => bybit::decode(root, &mut ctx),
                Venue::Coinbase => coinbase::advanced::decode(root, &mut ctx),
                Venue::CoinbaseExchange => coinbase::exchange::decode(root, &mut ctx),
                Venue::Bitfinex => bitfinex::decode(root, &mut ctx),
                Venue::Deribit => deribit::decode(root, &mut ctx),
                Venue::GateIo => gateio::decode(root, &mut ctx),
                Venue::Bitget => bitget::decode(root, &mut ctx),
                Venue::Htx => htx::decode(root, &mut ctx),
            }
        })?;
        out.failed_instrument = None;
        Ok(())
    }
}

/// The venue's fast path over a stream frame: `Some` when it decoded the frame into `ctx`
/// exactly as the general path would; `None` when the frame is not in a shape it reads (it
/// resolved no symbol then, and the caller clears what it pushed).
fn fast_decode(venue: Venue, bytes: &[u8], ctx: &mut Ctx<'_>) -> Option<()> {
    let mut scan = Scan::new(bytes);
    match venue {
        Venue::BinanceSpot | Venue::BinanceUsdm => binance::fast(&mut scan, venue, ctx),
        Venue::Okx => okx::fast(&mut scan, ctx),
        Venue::Bybit => bybit::fast(&mut scan, ctx),
        Venue::Kraken => kraken::v2::fast(&mut scan, ctx),
        Venue::Deribit => deribit::fast(&mut scan, ctx),
        Venue::GateIo => gateio::fast(&mut scan, ctx),
        Venue::Coinbase => coinbase::advanced::fast(&mut scan, ctx),
        Venue::KrakenV1 => kraken::v1::fast(&mut scan, ctx),
        Venue::Htx => htx::fast(&mut scan, ctx),
        Venue::Bitfinex => bitfinex::fast(&mut scan, ctx),
        Venue::Bitget => bitget::fast(&mut scan, ctx),
        _ => None,
    }
}

/// Text keepalives some venues send outside JSON (OKX and Bitget answer `ping` with `pong`).
fn is_keepalive_word(bytes: &[u8]) -> bool {
    matches!(bytes, b"ping" | b"pong")
}

/// What a venue's `decode` function works with: the symbol table and the output.
pub(crate) struct Ctx<'a> {
    pub(crate) symbols: &'a mut SymbolTable,
    pub(crate) out: &'a mut Decoded,
    pub(crate) origin: Origin<'a>,
    pub(crate) session: &'a mut Session,
}

impl Ctx<'_> {
    /// Marks the frame as not book data.
    pub(crate) fn not_book(&mut self, what: &'static str) -> Result<(), DecodeError> {
        self.out.kind = FrameKind::NotBook(what);
        Ok(())
    }

    /// The instrument a REST body belongs to: the one its URL's `key` query parameter names,
    /// else the only one there is.
    pub(crate) fn rest_instrument(
        &mut self,
        key: &str,
    ) -> Result<Option<InstrumentId>, DecodeError> {
        let named = match self.origin {
            Origin::Rest { url: Some(url) } => query_param(url, key),
            _ => None,
        };
        match named {
            Some(name) => self.resolve(name),
            None => self.symbols.resolve_unnamed().map(Some),
        }
    }

    /// Resolves a symbol; `None` means the instrument is not tracked.
    pub(crate) fn resolve(&mut self, name: &str) -> Result<Option<InstrumentId>, DecodeError> {
        self.symbols.resolve(name)
    }

    /// Resolves `symbol`'s book on `channel`, where a venue may send one symbol on several
    /// book channels (see [`crate::book_channels`]); `None` means it is not tracked.
    pub(crate) fn resolve_on(
        &mut self,
        symbol: &[u8],
        channel: BookChannel<'_>,
    ) -> Result<Option<InstrumentId>, DecodeError> {
        self.session.claims.resolve(self.symbols, symbol, channel)
    }

    /// A fast path's resolution of its frame's symbol, once the whole frame is read and its
    /// levels pushed from `start`: `Some(Some(id))` to go on; `Some(None)` for an untracked
    /// instrument (the frame is then not book data and its levels are dropped, as the general
    /// path never pushes them); `None` when resolving fails (the fast path declines, and the
    /// general path reports the error).
    pub(crate) fn resolve_read(
        &mut self,
        name: &[u8],
        start: usize,
    ) -> Option<Option<InstrumentId>> {
        let resolved = self.symbols.resolve_bytes(name).ok()?;
        self.read_resolved(resolved, start)
    }

    /// [`Ctx::resolve_read`] of what a resolution found.
    fn read_resolved(
        &mut self,
        resolved: Option<InstrumentId>,
        start: usize,
    ) -> Option<Option<InstrumentId>> {
        if resolved.is_none() {
            self.out.levels.truncate(start);
            self.not_book("untracked instrument").ok()?;
        }
        Some(resolved)
    }

    /// The end of every fast path, once the whole frame is read: resolves `symbol` and
    /// finishes the event whose levels were pushed from `start` with `head` of the instrument;
    /// an untracked instrument makes the frame not book data ([`Ctx::resolve_read`]). `None`:
    /// resolving failed, and the fast path declines.
    pub(crate) fn finish_read(
        &mut self,
        symbol: &[u8],
        start: usize,
        head: impl FnOnce(InstrumentId) -> EventHead,
    ) -> Option<()> {
        if let Some(instrument) = self.resolve_read(symbol, start)? {
            self.finish(head(instrument), start);
        }
        Some(())
    }

    /// [`Ctx::finish_read`] for `symbol`'s book on `channel` ([`Ctx::resolve_on`]).
    pub(crate) fn finish_read_on(
        &mut self,
        symbol: &[u8],
        channel: BookChannel<'_>,
        start: usize,
        head: impl FnOnce(InstrumentId) -> EventHead,
    ) -> Option<()> {
        let resolved = self.resolve_on(symbol, channel).ok()?;
        if let Some(instrument) = self.read_resolved(resolved, start)? {
            self.finish(head(instrument), start);
        }
        Some(())
    }

    /// Starts an event for `instrument`: returns where its levels begin.
    pub(crate) fn begin(&mut self, instrument: InstrumentId) -> usize {
        self.out.failed_instrument = Some(instrument);
        self.out.levels.len()
    }

    /// Finishes the event started at `start`.
    pub(crate) fn finish(&mut self, event: EventHead, start: usize) {
        self.out.events.push(BookEvent {
            instrument: event.instrument,
            kind: event.kind,
            seq: event.seq,
            checksum: event.checksum,
            levels: start..self.out.levels.len(),
            exchange_ms: event.exchange_ms,
            depth: event.depth,
            rule: event.rule,
        });
    }
}

/// The value of `key` in a URL's query string.
pub(crate) fn query_param<'u>(url: &'u str, key: &str) -> Option<&'u str> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then_some(v)
    })
}

/// Everything about an event except its levels.
pub(crate) struct EventHead {
    pub(crate) instrument: InstrumentId,
    pub(crate) kind: BookKind,
    pub(crate) seq: Seq,
    pub(crate) checksum: Option<Checksum>,
    pub(crate) exchange_ms: Option<i64>,
    pub(crate) depth: Option<u32>,
    pub(crate) rule: Option<crate::SeqRule>,
}

impl EventHead {
    /// An event without checksum, exchange time, depth or rule of its own (set those by struct
    /// update).
    pub(crate) const fn new(instrument: InstrumentId, kind: BookKind, seq: Seq) -> Self {
        Self { instrument, kind, seq, checksum: None, exchange_ms: None, depth: None, rule: None }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_counted_as_simd_json_indexes_them() {
        // { "a" : [ 1 , 2 ] , "t" : "..." }: strings once, their contents never.
        assert_eq!(super::tokens_at_most(br#"{"a":[1,2],"t":"00:00:00,\"[{"}"#), 13);
        assert_eq!(super::tokens_at_most(b"0"), 1);
        // Closers and scalars separated by blanks count too: what the tape reserves for.
        assert_eq!(super::tokens_at_most(b"[]]]]"), 5);
        assert_eq!(super::tokens_at_most(b"1 2 3 true"), 4);
    }
}
