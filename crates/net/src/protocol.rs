//! What each venue's connection looks like on the wire: endpoints, subscribe and unsubscribe
//! messages, heartbeats, limits and how a book is resynced.
//!
//! One table-driven shape for every venue: [`Protocol`] is plain data plus message builders that
//! `match` on the venue, so a new venue is a new arm, never a new copy of the connection code.

use std::time::Duration;

use depthbook_venues::Venue;

use crate::error::NetError;

/// How a venue's book is brought back after a gap, a checksum failure or a silent stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncMethod {
    /// Fetch a REST snapshot and bridge it with the buffered stream (the stream stays open).
    RestSnapshot,
    /// Unsubscribe and subscribe the instrument again: the venue pushes a fresh snapshot.
    Resubscribe,
    /// Venues that number every message of a connection (Bitfinex SEQ_ALL, Coinbase Advanced
    /// Trade `sequence_num`): a break of that numbering concerns every book and is answered by
    /// reconnecting (every book subscribed again); a need of one book alone (its checksum, a
    /// bad message, its silence) by unsubscribing and subscribing it (Bitfinex by channel id).
    Reconnect,
    /// Ask for a snapshot on the stream itself and bridge it with the buffered deltas, like a
    /// REST one (HTX `mbp`: `{"req": topic}`, answered on the same connection).
    StreamRequest,
}

/// Which of a venue's markets a connection reads, where one venue name covers several with the
/// same message shapes (Gate.io spot and USDT futures: other endpoints, channels and REST paths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Market {
    /// Spot, or the only market the venue's name covers.
    #[default]
    Spot,
    /// USDT-margined futures (Gate.io `futures.order_book_update`, sizes in contracts).
    UsdtFutures,
}

impl Market {
    /// The name `--market` takes.
    pub const fn name(self) -> &'static str {
        match self {
            Market::Spot => "spot",
            Market::UsdtFutures => "usdt-futures",
        }
    }
}

/// Which of a venue's book channels a connection reads, where the venue offers more than one
/// with other sequencing (the decoder reads them all; the choice changes the subscription, the
/// endpoint and how a book is resynced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BookChannel {
    /// The venue's usual book channel (HTX `depth.step0` whole books, Bybit
    /// `orderbook.{depth}`).
    #[default]
    Default,
    /// HTX `market.{symbol}.mbp.{levels}` on `/feed`: diffs chained by `prevSeqNum`, the
    /// snapshot asked with a `req` on the stream and bridged with them.
    Mbp,
    /// Bybit `orderbook.full.{symbol}`: every level of the book as deltas chained strictly by
    /// `u`, bridged onto REST `/v5/market/full_orderbook`.
    Full,
}

impl BookChannel {
    /// Every channel choice, in `--channel` order.
    pub const ALL: [BookChannel; 3] = [BookChannel::Default, BookChannel::Mbp, BookChannel::Full];

    /// The name `--channel` takes.
    pub const fn name(self) -> &'static str {
        match self {
            BookChannel::Default => "default",
            BookChannel::Mbp => "mbp",
            BookChannel::Full => "full",
        }
    }

    /// The channel with that name.
    pub fn from_name(name: &str) -> Option<BookChannel> {
        Self::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What the client sends when the connection has been quiet for [`Protocol::ping_after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingStyle {
    /// A WebSocket Ping control frame (Binance: the server answers with a Pong).
    WebSocket,
    /// The text frame `ping`; the server answers `pong` (OKX).
    TextPing,
    /// `{"method":"ping","req_id":N}` (Kraken v2).
    KrakenV2,
    /// `{"event":"ping","reqid":N}` (Kraken v1).
    KrakenV1,
    /// `{"jsonrpc":"2.0","id":N,"method":"public/test","params":{}}` (Deribit).
    DeribitTest,
    /// `{"time":N,"channel":"spot.ping"}` (Gate.io spot).
    GateSpot,
    /// `{"time":N,"channel":"futures.ping"}` (Gate.io futures).
    GateFutures,
    /// `{"ping":N}` (HTX; the server answers `{"pong":N}`, and pings us the same way).
    HtxPing,
    /// `{"event":"ping","cid":N}` (Bitfinex).
    BitfinexPing,
    /// `{"req_id":"N","op":"ping"}` (Bybit).
    BybitPing,
}

/// A venue's connection rules. Durations and limits are the venue's documented ones, taken
/// conservatively (protocols.md; reliability.md section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Protocol {
    /// The venue.
    pub venue: Venue,
    /// The venue's market this connection reads.
    pub market: Market,
    /// The book channel this connection reads.
    pub channel: BookChannel,
    /// Production WebSocket URL.
    pub ws_url: &'static str,
    /// Production REST base URL, for venues whose snapshots come from REST.
    pub rest_url: Option<&'static str>,
    /// How a book is resynced.
    pub resync: ResyncMethod,
    /// The client's keepalive.
    pub ping: PingStyle,
    /// Whether the venue sends book data in binary frames (HTX's gzip); where it does not, a
    /// binary frame is rejected and counted before it reaches the decoder.
    pub binary_frames: bool,
    /// Send a ping after this long without receiving anything.
    pub ping_after: Duration,
    /// Give the connection up after this long without receiving anything (pings sent included).
    pub dead_after: Duration,
    /// Book silence that makes a Live book Stale (the venue's normal cadence, with margin).
    pub book_watchdog: Duration,
    /// Least time between two control messages we send (subscribe, unsubscribe, ping).
    pub control_spacing: Duration,
    /// Least time between two connection attempts, whatever the backoff says (the venue's
    /// connection-rate limit per IP, e.g. Binance's 300 per 5 minutes).
    pub min_connect_interval: Duration,
    /// Most instruments per subscribe message.
    pub subscribe_batch: usize,
    /// Most instruments per connection.
    pub max_instruments: usize,
    /// REST request weight one snapshot costs, and the weight budget per minute we allow
    /// ourselves (about half the venue's limit, leaving room for the user's own requests).
    pub rest_weight: u32,
    /// See [`Protocol::rest_weight`].
    pub rest_budget_per_minute: u32,
}

/// Levels asked of a REST snapshot: deep enough for any strategy, light enough in weight.
const REST_LIMIT: u32 = 1000;

impl Protocol {
    /// The rules of `venue`.
    pub const fn of(venue: Venue) -> Protocol {
        let base = Protocol {
            venue,
            market: Market::Spot,
            channel: BookChannel::Default,
            ws_url: "",
            rest_url: None,
            resync: ResyncMethod::Resubscribe,
            ping: PingStyle::WebSocket,
            binary_frames: false,
            ping_after: Duration::from_secs(20),
            dead_after: Duration::from_secs(30),
            book_watchdog: Duration::from_secs(120),
            control_spacing: Duration::from_millis(100),
            min_connect_interval: Duration::from_secs(1),
            subscribe_batch: 20,
            max_instruments: 200,
            rest_weight: 0,
            rest_budget_per_minute: 0,
        };
        match venue {
            // Server pings every 20 s; 5 incoming messages/s; 1024 streams per connection;
            // snapshot weight 50 at limit 1000 of 6000/min.
            Venue::BinanceSpot => Protocol {
                ws_url: "wss://stream.binance.com:9443/stream",
                rest_url: Some("https://api.binance.com"),
                resync: ResyncMethod::RestSnapshot,
                ping_after: Duration::from_secs(30),
                dead_after: Duration::from_secs(60),
                book_watchdog: Duration::from_secs(60),
                control_spacing: Duration::from_millis(250),
                subscribe_batch: 100,
                max_instruments: 1000,
                rest_weight: 50,
                rest_budget_per_minute: 3000,
                ..base
            },
            // Server pings every 3 min; 10 incoming messages/s; weight 20 at limit 1000 of
            // 2400/min.
            Venue::BinanceUsdm => Protocol {
                ws_url: "wss://fstream.binance.com/stream",
                rest_url: Some("https://fapi.binance.com"),
                resync: ResyncMethod::RestSnapshot,
                ping_after: Duration::from_secs(30),
                dead_after: Duration::from_secs(60),
                book_watchdog: Duration::from_secs(60),
                control_spacing: Duration::from_millis(150),
                subscribe_batch: 100,
                max_instruments: 200,
                rest_weight: 20,
                rest_budget_per_minute: 1200,
                ..base
            },
            // Closes after 30 s of silence; text ping/pong; `books` sends an empty update
            // every ~60 s when nothing changes, so 90 s of silence is a broken book. 3 new
            // connections per second per IP.
            Venue::Okx => Protocol {
                min_connect_interval: Duration::from_millis(400),
                ws_url: "wss://ws.okx.com:8443/ws/v5/public",
                ping: PingStyle::TextPing,
                ping_after: Duration::from_secs(20),
                dead_after: Duration::from_secs(30),
                book_watchdog: Duration::from_secs(90),
                subscribe_batch: 20,
                max_instruments: 30,
                ..base
            },
            // Heartbeat every second while subscribed.
            Venue::Kraken => Protocol {
                ws_url: "wss://ws.kraken.com/v2",
                ping: PingStyle::KrakenV2,
                ping_after: Duration::from_secs(5),
                dead_after: Duration::from_secs(15),
                subscribe_batch: 50,
                ..base
            },
            Venue::KrakenV1 => Protocol {
                ws_url: "wss://ws.kraken.com",
                ping: PingStyle::KrakenV1,
                ping_after: Duration::from_secs(5),
                dead_after: Duration::from_secs(15),
                subscribe_batch: 50,
                ..base
            },
            // Text ping at least every 30 s or the server drops the connection after 2 minutes;
            // 10 messages a second per connection; 300 connection requests per 5 minutes;
            // fewer than 50 channels per connection recommended; a full book update at least
            // every few seconds on an active book.
            Venue::Bitget => Protocol {
                ws_url: "wss://ws.bitget.com/v2/ws/public",
                ping: PingStyle::TextPing,
                ping_after: Duration::from_secs(25),
                dead_after: Duration::from_secs(60),
                book_watchdog: Duration::from_secs(90),
                control_spacing: Duration::from_millis(110),
                subscribe_batch: 10,
                max_instruments: 48,
                ..base
            },
            // JSON-RPC; `public/test` doubles as the keepalive (no `set_heartbeat`, so the server
            // sends no test requests that would need answering). `book.*.100ms` pushes every
            // 100 ms while the book changes.
            Venue::Deribit => Protocol {
                ws_url: "wss://www.deribit.com/ws/api/v2",
                ping: PingStyle::DeribitTest,
                ping_after: Duration::from_secs(15),
                dead_after: Duration::from_secs(30),
                subscribe_batch: 50,
                ..base
            },
            // 8 connection requests a second per IP, 100 client messages a second; `heartbeat`
            // (subscribed with the book) sends one message a second per product, so silence is
            // noticed fast.
            Venue::CoinbaseExchange => Protocol {
                ws_url: "wss://ws-feed.exchange.coinbase.com",
                ping_after: Duration::from_secs(10),
                dead_after: Duration::from_secs(30),
                min_connect_interval: Duration::from_millis(250),
                control_spacing: Duration::from_millis(50),
                subscribe_batch: 50,
                max_instruments: 100,
                ..base
            },
            // Spot book updates every 100 ms; REST snapshots bridged by `id` like Binance's.
            // Public REST: 200 requests per 10 s per endpoint; we allow ourselves half.
            // One currency pair per subscribe message (the payload is `[pair, interval]`).
            Venue::GateIo => Protocol {
                ws_url: "wss://api.gateio.ws/ws/v4/",
                rest_url: Some("https://api.gateio.ws"),
                resync: ResyncMethod::RestSnapshot,
                ping: PingStyle::GateSpot,
                ping_after: Duration::from_secs(20),
                dead_after: Duration::from_secs(40),
                book_watchdog: Duration::from_secs(60),
                subscribe_batch: 1,
                max_instruments: 100,
                rest_weight: 1,
                rest_budget_per_minute: 600,
                ..base
            },
            // Every frame gzip-compressed (binary). The server pings every 5 s and drops a
            // client that misses two; `depth.step0` pushes a whole book about once a second.
            Venue::Htx => Protocol {
                ws_url: "wss://api.huobi.pro/ws",
                ping: PingStyle::HtxPing,
                binary_frames: true,
                ping_after: Duration::from_secs(10),
                dead_after: Duration::from_secs(30),
                book_watchdog: Duration::from_secs(30),
                subscribe_batch: 1,
                max_instruments: 100,
                ..base
            },
            // 20 connections a minute, 25 channel subscriptions per connection; every channel
            // sends `hb` every 15 s, which are not book data: an illiquid book can be quiet for
            // minutes, so the book watchdog is long. conf flags SEQ_ALL | OB_CHECKSUM.
            Venue::Bitfinex => Protocol {
                ws_url: "wss://api-pub.bitfinex.com/ws/2",
                resync: ResyncMethod::Reconnect,
                ping: PingStyle::BitfinexPing,
                ping_after: Duration::from_secs(10),
                dead_after: Duration::from_secs(30),
                book_watchdog: Duration::from_secs(300),
                min_connect_interval: Duration::from_secs(3),
                subscribe_batch: 1,
                max_instruments: 25,
                ..base
            },
            // A JSON ping every 20 s (the server drops idle connections); spot takes 10 args
            // per subscribe request; 500 connections per 5 minutes per domain; orderbook.50
            // pushes every 20 ms while the book changes.
            Venue::Bybit => Protocol {
                ws_url: "wss://stream.bybit.com/v5/public/spot",
                ping: PingStyle::BybitPing,
                ping_after: Duration::from_secs(20),
                dead_after: Duration::from_secs(40),
                book_watchdog: Duration::from_secs(60),
                min_connect_interval: Duration::from_millis(600),
                subscribe_batch: 10,
                max_instruments: 100,
                ..base
            },
            // One channel per subscribe message, sent within 5 s of connecting; `heartbeats`
            // keeps quiet channels open and numbers the connection every second. Every
            // message carries the connection's `sequence_num`: a break concerns every book,
            // so a resync reconnects.
            // Coinbase's limits, as for the Exchange feed.
            Venue::Coinbase => Protocol {
                venue,
                ws_url: "wss://advanced-trade-ws.coinbase.com",
                resync: ResyncMethod::Reconnect,
                ..Protocol::of(Venue::CoinbaseExchange)
            },
        }
    }

    /// The rules of `venue`'s `market`.
    ///
    /// # Errors
    /// [`NetError::NoSuchMarket`] for a market the venue does not offer here.
    pub fn of_market(venue: Venue, market: Market) -> Result<Protocol, NetError> {
        match (venue, market) {
            (_, Market::Spot) => Ok(Protocol::of(venue)),
            // Same limits and cadence as spot, its own endpoint, channel and REST path.
            (Venue::GateIo, Market::UsdtFutures) => Ok(Protocol {
                market,
                ws_url: "wss://fx-ws.gateio.ws/v4/ws/usdt",
                ping: PingStyle::GateFutures,
                ..Protocol::of(venue)
            }),
            (_, market) => {
                Err(NetError::NoSuchMarket { venue: venue.name(), market: market.name() })
            }
        }
    }

    /// These rules, reading `channel` instead of the venue's default book channel.
    ///
    /// # Errors
    /// [`NetError::NoSuchChannel`] for a channel the venue does not offer here.
    pub fn with_channel(self, channel: BookChannel) -> Result<Protocol, NetError> {
        match (self.venue, self.market, channel) {
            (_, _, BookChannel::Default) => Ok(self),
            // Same keepalive and limits as `/ws`; the incremental feed has its own endpoint.
            (Venue::Htx, Market::Spot, BookChannel::Mbp) => Ok(Protocol {
                channel,
                ws_url: "wss://api.huobi.pro/feed",
                resync: ResyncMethod::StreamRequest,
                ..self
            }),
            // Public market REST: 600 requests per 5 s per IP; we allow ourselves far less.
            (Venue::Bybit, Market::Spot, BookChannel::Full) => Ok(Protocol {
                channel,
                rest_url: Some("https://api.bybit.com"),
                resync: ResyncMethod::RestSnapshot,
                rest_weight: 1,
                rest_budget_per_minute: 300,
                ..self
            }),
            (venue, _, channel) => {
                Err(NetError::NoSuchChannel { venue: venue.name(), channel: channel.name() })
            }
        }
    }

    /// The depth a subscription asks for when none is given: the venue's default, or the
    /// channel's (HTX `mbp`: 150 levels).
    pub fn default_depth(&self) -> Option<u32> {
        match self.channel {
            BookChannel::Mbp => Some(150),
            _ => self.venue.default_depth(),
        }
    }

    /// The message that asks for `symbol`'s snapshot on the stream, for a venue that resyncs
    /// by [`ResyncMethod::StreamRequest`] (HTX `mbp`).
    pub fn snapshot_request(&self, symbol: &str, depth: u32, req: &mut u64) -> Option<String> {
        if self.resync != ResyncMethod::StreamRequest {
            return None;
        }
        *req += 1;
        Some(format!(r#"{{"req":"market.{symbol}.mbp.{depth}","id":"{req}"}}"#))
    }

    /// The messages that subscribe `symbols` at `depth` (Kraken; ignored elsewhere), batched
    /// within the venue's limits, in the order to send them. `req` numbers requests.
    ///
    /// # Errors
    /// [`NetError::BadSymbol`] for a symbol with characters no venue uses (it would otherwise
    /// be spliced into JSON); [`NetError::BadDepth`] for a depth the venue does not offer (the
    /// venue would refuse the subscription, and the book would never go Live).
    pub fn subscribe(
        &self,
        symbols: &[String],
        depth: u32,
        req: &mut u64,
    ) -> Result<Vec<String>, NetError> {
        for symbol in symbols {
            check_symbol(symbol)?;
        }
        if let Some(allowed) = self.depths()
            && !allowed.contains(&depth)
        {
            return Err(NetError::BadDepth { venue: self.venue.name(), depth, allowed });
        }
        let mut out = Vec::new();
        if self.venue == Venue::Bitfinex {
            // Flags before any subscription: SEQ_ALL (65536) numbers every frame of the
            // connection, OB_CHECKSUM (131072) adds the book checksums.
            out.push(r#"{"event":"conf","flags":196608}"#.to_owned());
        }
        if self.venue == Venue::Kraken {
            // Instrument precisions first: Kraken v2 checksums are spelled with them.
            *req += 1;
            out.push(format!(
                r#"{{"method":"subscribe","params":{{"channel":"instrument","snapshot":true}},"req_id":{req}}}"#
            ));
        }
        for batch in symbols.chunks(self.subscribe_batch.max(1)) {
            *req += 1;
            out.push(self.message(Action::Subscribe, batch, depth, *req));
        }
        if self.venue == Venue::Coinbase {
            // Heartbeats keep every channel of the connection open and numbered.
            out.push(r#"{"type":"subscribe","channel":"heartbeats"}"#.to_owned());
        }
        Ok(out)
    }

    /// The book depths a subscription may ask for, where the venue takes one.
    pub fn depths(&self) -> Option<&'static [u32]> {
        match self.channel {
            BookChannel::Mbp => return Some(&[5, 20, 150, 400]),
            BookChannel::Full => return None,
            BookChannel::Default => {}
        }
        match self.venue {
            Venue::Kraken | Venue::KrakenV1 => Some(&[10, 25, 100, 500, 1000]),
            Venue::Bitfinex => Some(&[1, 25, 100, 250]),
            Venue::Bybit => Some(&[1, 50, 200, 1000]),
            _ => None,
        }
    }

    /// The messages that unsubscribe and subscribe `symbol` again, for a venue that resyncs by
    /// resubscribing (Binance streams are resubscribed the same way when they fall silent).
    /// Bitfinex unsubscribes by the connection's channel id of the book (`channel`).
    pub fn resubscribe(
        &self,
        symbol: &str,
        channel: Option<i64>,
        depth: u32,
        req: &mut u64,
    ) -> Vec<String> {
        let one = [symbol.to_owned()];
        *req += 1;
        let unsubscribe = match (self.venue, channel) {
            (Venue::Bitfinex, Some(id)) => format!(r#"{{"event":"unsubscribe","chanId":{id}}}"#),
            _ => self.message(Action::Unsubscribe, &one, depth, *req),
        };
        *req += 1;
        let subscribe = self.message(Action::Subscribe, &one, depth, *req);
        vec![unsubscribe, subscribe]
    }

    /// The keepalive text message, if the venue's ping is one (`None`: a WebSocket Ping frame).
    pub fn ping_text(&self, req: u64) -> Option<String> {
        match self.ping {
            PingStyle::WebSocket => None,
            PingStyle::TextPing => Some("ping".to_owned()),
            PingStyle::KrakenV2 => Some(format!(r#"{{"method":"ping","req_id":{req}}}"#)),
            PingStyle::KrakenV1 => Some(format!(r#"{{"event":"ping","reqid":{req}}}"#)),
            PingStyle::GateSpot => Some(format!(r#"{{"time":{req},"channel":"spot.ping"}}"#)),
            PingStyle::GateFutures => Some(format!(r#"{{"time":{req},"channel":"futures.ping"}}"#)),
            PingStyle::HtxPing => Some(format!(r#"{{"ping":{req}}}"#)),
            PingStyle::BitfinexPing => Some(format!(r#"{{"event":"ping","cid":{req}}}"#)),
            PingStyle::BybitPing => Some(format!(r#"{{"req_id":"{req}","op":"ping"}}"#)),
            PingStyle::DeribitTest => Some(format!(
                r#"{{"jsonrpc":"2.0","id":{req},"method":"public/test","params":{{}}}}"#
            )),
        }
    }

    /// The answer to a ping the venue sent in `frame`, if it is one (HTX: a gzip frame holding
    /// `{"ping":n}`, answered `{"pong":n}`). Only small frames are looked into, so book data
    /// is never inflated here; the ingest loop's decoder does that.
    pub fn pong_for(&self, frame: &[u8]) -> Option<String> {
        if self.ping != PingStyle::HtxPing || frame.len() > 128 {
            return None;
        }
        let mut text = Vec::with_capacity(64);
        let decoder = flate2::read::GzDecoder::new(frame);
        std::io::Read::read_to_end(&mut std::io::Read::take(decoder, 128), &mut text).ok()?;
        let text = std::str::from_utf8(&text).ok()?;
        let number = text.trim().strip_prefix(r#"{"ping":"#)?.strip_suffix('}')?;
        number.bytes().all(|b| b.is_ascii_digit()).then(|| format!(r#"{{"pong":{number}}}"#))
    }

    /// The REST snapshot URL of `symbol` under `base` (the production base unless overridden).
    pub fn rest_snapshot_url(&self, base: &str, symbol: &str) -> Option<String> {
        let base = base.trim_end_matches('/');
        match self.venue {
            Venue::BinanceSpot => {
                Some(format!("{base}/api/v3/depth?symbol={symbol}&limit={REST_LIMIT}"))
            }
            Venue::BinanceUsdm => {
                Some(format!("{base}/fapi/v1/depth?symbol={symbol}&limit={REST_LIMIT}"))
            }
            // 100 levels: Gate.io's `with_id` books go no deeper.
            Venue::GateIo if self.market == Market::UsdtFutures => Some(format!(
                "{base}/api/v4/futures/usdt/order_book?contract={symbol}&limit=100&with_id=true"
            )),
            Venue::GateIo => Some(format!(
                "{base}/api/v4/spot/order_book?currency_pair={symbol}&limit=100&with_id=true"
            )),
            Venue::Bybit if self.channel == BookChannel::Full => {
                Some(format!("{base}/v5/market/full_orderbook?category=spot&symbol={symbol}"))
            }
            _ => None,
        }
    }

    fn message(&self, action: Action, symbols: &[String], depth: u32, req: u64) -> String {
        let quoted = |f: &dyn Fn(&str) -> String| -> String {
            symbols.iter().map(|s| f(s)).collect::<Vec<_>>().join(",")
        };
        match self.venue {
            Venue::BinanceSpot | Venue::BinanceUsdm => {
                let method = match action {
                    Action::Subscribe => "SUBSCRIBE",
                    Action::Unsubscribe => "UNSUBSCRIBE",
                };
                let streams = quoted(&|s| format!("\"{}\"", binance_stream(s)));
                format!(r#"{{"method":"{method}","params":[{streams}],"id":{req}}}"#)
            }
            Venue::Okx => {
                let args = quoted(&|s| format!(r#"{{"channel":"books","instId":"{s}"}}"#));
                format!(r#"{{"id":"{req}","op":"{}","args":[{args}]}}"#, action.lower())
            }
            Venue::Kraken => {
                let list = quoted(&|s| format!("\"{s}\""));
                let snapshot = match action {
                    Action::Subscribe => r#","snapshot":true"#,
                    Action::Unsubscribe => "",
                };
                format!(
                    r#"{{"method":"{}","params":{{"channel":"book","symbol":[{list}],"depth":{depth}{snapshot}}},"req_id":{req}}}"#,
                    action.lower()
                )
            }
            Venue::KrakenV1 => {
                let list = quoted(&|s| format!("\"{s}\""));
                format!(
                    r#"{{"event":"{}","pair":[{list}],"subscription":{{"name":"book","depth":{depth}}},"reqid":{req}}}"#,
                    action.lower()
                )
            }
            Venue::Bitget => {
                let args = quoted(&|s| {
                    format!(r#"{{"instType":"SPOT","channel":"books","instId":"{s}"}}"#)
                });
                format!(r#"{{"op":"{}","args":[{args}]}}"#, action.lower())
            }
            Venue::Deribit => {
                let channels = quoted(&|s| format!(r#""book.{s}.100ms""#));
                format!(
                    r#"{{"jsonrpc":"2.0","id":{req},"method":"public/{}","params":{{"channels":[{channels}]}}}}"#,
                    action.lower()
                )
            }
            Venue::Coinbase => {
                let products = quoted(&|s| format!("\"{s}\""));
                format!(
                    r#"{{"type":"{}","product_ids":[{products}],"channel":"level2"}}"#,
                    action.lower()
                )
            }
            Venue::Bybit if self.channel == BookChannel::Full => {
                let topics = quoted(&|s| format!(r#""orderbook.full.{s}""#));
                format!(r#"{{"req_id":"{req}","op":"{}","args":[{topics}]}}"#, action.lower())
            }
            Venue::Bybit => {
                let topics = quoted(&|s| format!(r#""orderbook.{depth}.{s}""#));
                format!(r#"{{"req_id":"{req}","op":"{}","args":[{topics}]}}"#, action.lower())
            }
            Venue::Bitfinex => {
                // `subscribe_batch` is 1. Unsubscribing names the channel id, which only the
                // decoder learns: see `resubscribe`.
                let symbol = symbols.first().map_or("", String::as_str);
                format!(
                    r#"{{"event":"{}","channel":"book","symbol":"{symbol}","prec":"P0","freq":"F0","len":"{depth}"}}"#,
                    action.lower()
                )
            }
            Venue::Htx => {
                // `subscribe_batch` is 1: one topic per message.
                let symbol = symbols.first().map_or("", String::as_str);
                let verb = match action {
                    Action::Subscribe => "sub",
                    Action::Unsubscribe => "unsub",
                };
                if self.channel == BookChannel::Mbp {
                    format!(r#"{{"{verb}":"market.{symbol}.mbp.{depth}","id":"{req}"}}"#)
                } else {
                    format!(r#"{{"{verb}":"market.{symbol}.depth.step0","id":"{req}"}}"#)
                }
            }
            Venue::GateIo => {
                // `subscribe_batch` is 1: one pair per message.
                let pair = symbols.first().map_or("", String::as_str);
                let market = match self.market {
                    Market::Spot => "spot",
                    Market::UsdtFutures => "futures",
                };
                format!(
                    r#"{{"time":{req},"channel":"{market}.order_book_update","event":"{}","payload":["{pair}","100ms"]}}"#,
                    action.lower()
                )
            }
            Venue::CoinbaseExchange => {
                let products = quoted(&|s| format!("\"{s}\""));
                format!(
                    r#"{{"type":"{}","product_ids":[{products}],"channels":["level2_batch","heartbeat"]}}"#,
                    action.lower()
                )
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Subscribe,
    Unsubscribe,
}

impl Action {
    const fn lower(self) -> &'static str {
        match self {
            Action::Subscribe => "subscribe",
            Action::Unsubscribe => "unsubscribe",
        }
    }
}

/// Binance's diff-depth stream name for `symbol` (streams are lowercase).
fn binance_stream(symbol: &str) -> String {
    format!("{}@depth@100ms", symbol.to_ascii_lowercase())
}

/// Symbols are spliced into JSON and URLs: allow only what venues use.
pub(crate) fn check_symbol(symbol: &str) -> Result<(), NetError> {
    let ok = !symbol.is_empty()
        && symbol.len() <= 64
        && symbol.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.:".contains(&b));
    if ok { Ok(()) } else { Err(NetError::BadSymbol(symbol.to_owned())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscribe(venue: Venue, symbols: &[&str], depth: u32) -> Vec<String> {
        let symbols: Vec<String> = symbols.iter().map(|s| s.to_string()).collect();
        Protocol::of(venue).subscribe(&symbols, depth, &mut 0).unwrap()
    }

    #[test]
    fn gateio_usdt_futures_has_its_endpoint_channel_ping_and_rest_path() {
        let futures = Protocol::of_market(Venue::GateIo, Market::UsdtFutures).unwrap();
        assert_eq!(futures.ws_url, "wss://fx-ws.gateio.ws/v4/ws/usdt");
        assert_eq!(
            futures.subscribe(&["BTC_USDT".to_owned()], 0, &mut 0).unwrap(),
            [
                r#"{"time":1,"channel":"futures.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}"#
            ]
        );
        assert_eq!(futures.ping_text(4).as_deref(), Some(r#"{"time":4,"channel":"futures.ping"}"#));
        assert_eq!(
            futures.rest_snapshot_url("https://api.gateio.ws", "BTC_USDT").as_deref(),
            Some(
                "https://api.gateio.ws/api/v4/futures/usdt/order_book?contract=BTC_USDT&limit=100&with_id=true"
            )
        );
        assert_eq!(
            Protocol::of_market(Venue::Okx, Market::Spot).ok(),
            Some(Protocol::of(Venue::Okx))
        );
        assert!(matches!(
            Protocol::of_market(Venue::Okx, Market::UsdtFutures),
            Err(NetError::NoSuchMarket { venue: "okx", market: "usdt-futures" })
        ));
    }

    #[test]
    fn htx_mbp_and_bybit_full_have_their_subscriptions_resyncs_and_snapshots() {
        let mbp = Protocol::of(Venue::Htx).with_channel(BookChannel::Mbp).unwrap();
        assert_eq!(mbp.ws_url, "wss://api.huobi.pro/feed");
        assert_eq!(mbp.resync, ResyncMethod::StreamRequest);
        assert_eq!(mbp.default_depth(), Some(150));
        assert_eq!(
            mbp.subscribe(&["btcusdt".to_owned()], 400, &mut 0).unwrap(),
            [r#"{"sub":"market.btcusdt.mbp.400","id":"1"}"#]
        );
        assert!(matches!(
            mbp.subscribe(&["btcusdt".to_owned()], 100, &mut 0),
            Err(NetError::BadDepth { .. })
        ));
        let mut req = 4;
        assert_eq!(
            mbp.snapshot_request("btcusdt", 400, &mut req).as_deref(),
            Some(r#"{"req":"market.btcusdt.mbp.400","id":"5"}"#)
        );
        assert_eq!(Protocol::of(Venue::Htx).snapshot_request("btcusdt", 0, &mut req), None);

        let full = Protocol::of(Venue::Bybit).with_channel(BookChannel::Full).unwrap();
        assert_eq!(full.resync, ResyncMethod::RestSnapshot);
        assert_eq!(
            full.subscribe(&["BTCUSDT".to_owned()], 0, &mut 0).unwrap(),
            [r#"{"req_id":"1","op":"subscribe","args":["orderbook.full.BTCUSDT"]}"#]
        );
        assert_eq!(
            full.rest_snapshot_url("https://api.bybit.com", "BTCUSDT").as_deref(),
            Some("https://api.bybit.com/v5/market/full_orderbook?category=spot&symbol=BTCUSDT")
        );
        assert!(matches!(
            Protocol::of(Venue::Okx).with_channel(BookChannel::Mbp),
            Err(NetError::NoSuchChannel { venue: "okx", channel: "mbp" })
        ));
        assert!(Protocol::of(Venue::Htx).with_channel(BookChannel::Full).is_err());
        for channel in BookChannel::ALL {
            assert_eq!(BookChannel::from_name(channel.name()), Some(channel));
        }
    }

    #[test]
    fn kraken_depths_outside_the_offered_ones_are_refused() {
        let symbols = vec!["BTC/USD".to_owned()];
        for venue in [Venue::Kraken, Venue::KrakenV1] {
            for depth in [0, 5, 50, 1001] {
                let got = Protocol::of(venue).subscribe(&symbols, depth, &mut 0);
                assert!(matches!(got, Err(NetError::BadDepth { .. })), "{venue:?} {depth}");
            }
            assert!(Protocol::of(venue).subscribe(&symbols, 25, &mut 0).is_ok());
        }
    }

    #[test]
    fn bitget_deribit_gateio_and_coinbase_exchange_messages_are_the_documented_ones() {
        assert_eq!(
            subscribe(Venue::Bitget, &["BTCUSDT"], 0),
            [
                r#"{"op":"subscribe","args":[{"instType":"SPOT","channel":"books","instId":"BTCUSDT"}]}"#
            ]
        );
        assert_eq!(
            subscribe(Venue::Deribit, &["BTC-PERPETUAL", "ETH-PERPETUAL"], 0),
            [
                r#"{"jsonrpc":"2.0","id":1,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.100ms","book.ETH-PERPETUAL.100ms"]}}"#
            ]
        );
        assert_eq!(
            subscribe(Venue::CoinbaseExchange, &["ETH-USD"], 0),
            [
                r#"{"type":"subscribe","product_ids":["ETH-USD"],"channels":["level2_batch","heartbeat"]}"#
            ]
        );
        assert_eq!(
            Protocol::of(Venue::Deribit).ping_text(7).as_deref(),
            Some(r#"{"jsonrpc":"2.0","id":7,"method":"public/test","params":{}}"#)
        );
        assert_eq!(Protocol::of(Venue::Bitget).ping_text(1).as_deref(), Some("ping"));
        assert_eq!(
            subscribe(Venue::GateIo, &["BTC_USDT", "ETH_USDT"], 0),
            [
                r#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","payload":["BTC_USDT","100ms"]}"#,
                r#"{"time":2,"channel":"spot.order_book_update","event":"subscribe","payload":["ETH_USDT","100ms"]}"#
            ]
        );
        assert_eq!(
            Protocol::of(Venue::GateIo)
                .rest_snapshot_url("https://api.gateio.ws/", "BTC_USDT")
                .as_deref(),
            Some(
                "https://api.gateio.ws/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=100&with_id=true"
            )
        );
        assert_eq!(
            subscribe(Venue::Htx, &["btcusdt"], 0),
            [r#"{"sub":"market.btcusdt.depth.step0","id":"1"}"#]
        );

        assert_eq!(
            subscribe(Venue::Bitfinex, &["tBTCUSD"], 25),
            [
                r#"{"event":"conf","flags":196608}"#,
                r#"{"event":"subscribe","channel":"book","symbol":"tBTCUSD","prec":"P0","freq":"F0","len":"25"}"#
            ]
        );
        assert_eq!(Protocol::of(Venue::Bitfinex).resync, ResyncMethod::Reconnect);
        assert_eq!(
            subscribe(Venue::Bybit, &["BTCUSDT", "ETHUSDT"], 50),
            [
                r#"{"req_id":"1","op":"subscribe","args":["orderbook.50.BTCUSDT","orderbook.50.ETHUSDT"]}"#
            ]
        );
        assert_eq!(
            Protocol::of(Venue::Bybit).ping_text(3).as_deref(),
            Some(r#"{"req_id":"3","op":"ping"}"#)
        );
        assert_eq!(
            subscribe(Venue::Coinbase, &["BTC-USD", "ETH-USD"], 0),
            [
                r#"{"type":"subscribe","product_ids":["BTC-USD","ETH-USD"],"channel":"level2"}"#,
                r#"{"type":"subscribe","channel":"heartbeats"}"#
            ]
        );
        assert_eq!(Protocol::of(Venue::Coinbase).resync, ResyncMethod::Reconnect);
        assert!(Venue::ALL.iter().all(|&v| !Protocol::of(v).ws_url.is_empty()));
    }

    #[test]
    fn htx_pings_in_gzip_frames_are_answered_and_nothing_else_is() {
        use std::io::Write as _;
        let gzip = |text: &str| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let htx = Protocol::of(Venue::Htx);
        assert_eq!(
            htx.pong_for(&gzip(r#"{"ping":1492420473027}"#)).as_deref(),
            Some(r#"{"pong":1492420473027}"#)
        );
        assert_eq!(htx.pong_for(&gzip(r#"{"ping":"x"}"#)), None);
        assert_eq!(htx.pong_for(&gzip(r#"{"ch":"market.btcusdt.depth.step0"}"#)), None);
        assert_eq!(htx.pong_for(b"not gzip"), None);
        assert_eq!(
            htx.pong_for(&gzip(&"x".repeat(4_000))),
            None,
            "large frames are not looked into"
        );
        assert_eq!(Protocol::of(Venue::Okx).pong_for(&gzip(r#"{"ping":1}"#)), None);
    }

    #[test]
    fn subscribe_messages_are_the_documented_ones() {
        assert_eq!(
            subscribe(Venue::BinanceSpot, &["BTCUSDT", "ETHUSDT"], 0),
            [
                r#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","ethusdt@depth@100ms"],"id":1}"#
            ]
        );
        assert_eq!(
            subscribe(Venue::Okx, &["BTC-USDT"], 0),
            [r#"{"id":"1","op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]}"#]
        );
        assert_eq!(
            subscribe(Venue::Kraken, &["BTC/USD"], 10),
            [
                r#"{"method":"subscribe","params":{"channel":"instrument","snapshot":true},"req_id":1}"#,
                r#"{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":10,"snapshot":true},"req_id":2}"#
            ]
        );
        assert_eq!(
            subscribe(Venue::KrakenV1, &["XMR/USD"], 1000),
            [
                r#"{"event":"subscribe","pair":["XMR/USD"],"subscription":{"name":"book","depth":1000},"reqid":1}"#
            ]
        );
    }

    #[test]
    fn subscriptions_are_batched_within_the_limit() {
        let symbols: Vec<String> = (0..45).map(|i| format!("S{i}-USDT")).collect();
        let msgs = Protocol::of(Venue::Okx).subscribe(&symbols, 0, &mut 0).unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[2].matches("instId").count(), 5);
    }

    #[test]
    fn resubscribe_is_unsubscribe_then_subscribe() {
        let msgs = Protocol::of(Venue::Okx).resubscribe("BTC-USDT", None, 0, &mut 7);
        assert!(msgs[0].contains(r#""op":"unsubscribe""#) && msgs[0].contains(r#""id":"8""#));
        assert!(msgs[1].contains(r#""op":"subscribe""#) && msgs[1].contains(r#""id":"9""#));
    }

    #[test]
    fn symbols_that_would_break_json_are_refused() {
        let bad = vec![r#"BTC","x"#.to_string()];
        assert!(Protocol::of(Venue::Okx).subscribe(&bad, 0, &mut 0).is_err());
        assert!(Protocol::of(Venue::Okx).subscribe(&[String::new()], 0, &mut 0).is_err());
    }

    #[test]
    fn rest_urls_name_the_symbol_and_limit() {
        let p = Protocol::of(Venue::BinanceSpot);
        assert_eq!(
            p.rest_snapshot_url("http://127.0.0.1:9/", "BTCUSDT").unwrap(),
            "http://127.0.0.1:9/api/v3/depth?symbol=BTCUSDT&limit=1000"
        );
        assert!(Protocol::of(Venue::Okx).rest_snapshot_url("x", "BTC-USDT").is_none());
        assert_eq!(Protocol::of(Venue::Okx).ping_text(1).as_deref(), Some("ping"));
        assert_eq!(Protocol::of(Venue::BinanceUsdm).ping_text(1), None);
    }
}
