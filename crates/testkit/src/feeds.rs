//! The real captures the reference reconstructor covers, as single feeds (several capture files
//! merged by receive time, as `depthbook replay` reads them), and the snapshot lines that heal a
//! book of one of them.

use depthbook_engine::Engine;
use depthbook_venues::{InstrumentId, Venue};

use crate::reference::stamp;
use crate::{
    binance_snapshot, bitget_snapshot, bybit_snapshot, capture_reader, deribit_snapshot,
    fixture_lines, gateio_snapshot, kraken_v1_snapshot, kraken_v2_snapshot, okx_snapshot,
};

/// A feed: its name, venue and lines.
#[derive(Debug, Clone, Copy)]
pub struct Feed {
    /// A short name for messages.
    pub name: &'static str,
    /// The venue.
    pub venue: Venue,
    /// Loads the lines (one merged file).
    pub load: fn() -> Vec<Vec<u8>>,
}

/// Every feed the reference reconstructor covers: one per venue it knows, OKX twice (the real
/// capture without sequence ids, and its extract with the `seqId` chain OKX sends today) and
/// Gate.io twice (spot and USDT futures), Bybit twice (the real 2026 spot capture, and the
/// Binance spot capture reshaped, which is longer).
pub const REFERENCE_FEEDS: [Feed; 14] = [
    Feed {
        name: "binance_spot",
        venue: Venue::BinanceSpot,
        load: || {
            stream_and_rest(
                "binance_spot/cryptofeed_BINANCE.ws.1.0.txt",
                "binance_spot/cryptofeed_BINANCE.http.0.0.txt",
            )
        },
    },
    Feed {
        name: "binance_usdm",
        venue: Venue::BinanceUsdm,
        load: || {
            stream_and_rest(
                "binance_usdm/cryptofeed_BINANCE_FUTURES.ws.1.0.txt",
                "binance_usdm/cryptofeed_BINANCE_FUTURES.http.0.0.txt",
            )
        },
    },
    Feed {
        name: "okx",
        venue: Venue::Okx,
        load: || fixture_lines("okx/cryptofeed_OKX.ws.1.0.txt"),
    },
    Feed { name: "okx_seq", venue: Venue::Okx, load: okx_with_seq_ids },
    Feed {
        name: "kraken_v1",
        venue: Venue::KrakenV1,
        load: || fixture_lines("kraken/cryptofeed_KRAKEN.ws.50.0.txt"),
    },
    Feed {
        name: "gateio",
        venue: Venue::GateIo,
        load: || {
            stream_and_rest(
                "gateio/cryptofeed_GATEIO.ws.1.0.txt",
                "gateio/cryptofeed_GATEIO.http.0.0.txt",
            )
        },
    },
    Feed {
        name: "bitget",
        venue: Venue::Bitget,
        load: || fixture_lines("bitget/cryptofeed_BITGET.ws.1.0.txt.gz"),
    },
    Feed {
        name: "deribit",
        venue: Venue::Deribit,
        load: || fixture_lines("deribit/cryptofeed_DERIBIT.ws.1.0.txt"),
    },
    Feed {
        name: "bitfinex",
        venue: Venue::Bitfinex,
        load: || fixture_lines("bitfinex/cryptofeed_BITFINEX.ws.11.0.txt"),
    },
    // Reshaped from the Coinbase Exchange capture (fixtures/README.md): no real l2_data
    // stream exists in the samples.
    Feed {
        name: "coinbase_advanced",
        venue: Venue::Coinbase,
        load: || fixture_lines("coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"),
    },
    // Reshaped from the Binance spot capture (fixtures/README.md), for its length (1500 deltas of
    // one book); `bybit_real` below is a real recording.
    Feed {
        name: "bybit",
        venue: Venue::Bybit,
        load: || fixture_lines("bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz"),
    },
    Feed {
        name: "gateio_futures",
        venue: Venue::GateIo,
        load: || {
            stream_and_rest(
                "gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt",
                "gateio/cryptofeed_GATEIO_FUTURES.http.0.0.txt",
            )
        },
    },
    // Reshaped from the Kraken v1 capture (fixtures/kraken/reshape_v1_to_v2.py): the real v2
    // recording in the samples has 4 messages.
    Feed {
        name: "kraken_v2",
        venue: Venue::Kraken,
        load: || fixture_lines("kraken/kraken_v2_derived_from_v1_20210417.txt.gz"),
    },
    // Real, 2026-08-09: spot `orderbook.200` BTCUSDT and ETHUSDT, with tickers, trades and
    // klines on the same connection.
    Feed {
        name: "bybit_real",
        venue: Venue::Bybit,
        load: || fixture_lines("bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt"),
    },
];

/// A stream capture and the REST capture of its snapshots (`fixtures/` paths), merged.
fn stream_and_rest(stream: &str, rest: &str) -> Vec<Vec<u8>> {
    merged(&[&fixture_lines(stream), &fixture_lines(rest)])
}

/// Several capture files merged into one, in the order the capture reader replays them (by
/// receive time, ties to the earlier file): each line then has one line number.
///
/// # Panics
/// If the files cannot be read as captures.
pub fn merged(files: &[&[Vec<u8>]]) -> Vec<Vec<u8>> {
    let mut reader = capture_reader(files, 16 << 20).expect("in-memory capture");
    let mut out = Vec::new();
    while let Some(record) = reader.next().expect("in-memory read") {
        out.push(files[record.file][record.line as usize - 1].clone());
    }
    out
}

/// The OKX extract (1 snapshot + 40 updates) with a `prevSeqId`/`seqId` chain: the snapshot
/// has `prevSeqId` -1, every update's `prevSeqId` is the previous `seqId`.
pub fn okx_with_seq_ids() -> Vec<Vec<u8>> {
    let mut prev = -1;
    fixture_lines("okx/okx_books_BTC-USD-220527_extract.jsonl")
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            let text = String::from_utf8(line).expect("UTF-8 fixture");
            let seq = 1000 + 7 * i as i64;
            let body = text.strip_suffix("}]}").expect("one data entry per line");
            let out = format!("{body},\"prevSeqId\":{prev},\"seqId\":{seq}}}]}}");
            prev = seq;
            out.into_bytes()
        })
        .collect()
}

/// A line carrying a snapshot of `id`'s book in `engine` (which replayed the clean feed up to
/// the healing point), stamped with `prev`'s receive time: a REST body for REST-snapshot
/// venues, a pushed snapshot otherwise. `None` if the venue has no builder here or the book
/// has no sequence id where its snapshot needs one. Bitfinex and Coinbase Advanced Trade have
/// none: their snapshots carry the connection's sequence number, so one cannot be inserted
/// without renumbering the rest.
pub fn snapshot_line(engine: &Engine, id: InstrumentId, prev: &[u8]) -> Option<Vec<u8>> {
    let book = engine.book(id)?;
    let secs = stamp(prev);
    let stamped = |body: Vec<u8>| match &secs {
        Some(secs) => [format!("{secs}: ").into_bytes(), body].concat(),
        None => body,
    };
    let sym = engine.symbol(id);
    let rest = |url: String, body: Vec<u8>| {
        Some([format!("{url} -> {}: ", secs.clone()?).into_bytes(), body].concat())
    };
    match engine.venue() {
        Venue::BinanceSpot => rest(
            format!("https://api.binance.com/api/v3/depth?symbol={sym}&limit=1000"),
            binance_snapshot(book, engine.last_seq(id)?),
        ),
        Venue::BinanceUsdm => rest(
            format!("https://fapi.binance.com/fapi/v1/depth?symbol={sym}&limit=1000"),
            binance_snapshot(book, engine.last_seq(id)?),
        ),
        Venue::GateIo => rest(
            format!(
                "https://api.gateio.ws/api/v4/spot/order_book?currency_pair={sym}&limit=100&with_id=true"
            ),
            gateio_snapshot(book, engine.last_seq(id)?),
        ),
        Venue::Okx => Some(stamped(okx_snapshot(sym, book, engine.last_seq(id)))),
        Venue::Bitget => Some(stamped(bitget_snapshot(sym, book))),
        Venue::Deribit => Some(stamped(deribit_snapshot(sym, book, engine.last_seq(id)?))),
        Venue::KrakenV1 => Some(stamped(kraken_v1_snapshot(sym, book, 1000))),
        Venue::Kraken => Some(stamped(kraken_v2_snapshot(sym, book))),
        Venue::Bybit => Some(stamped(bybit_snapshot(sym, book, 200, engine.last_seq(id)?))),
        _ => None,
    }
}
