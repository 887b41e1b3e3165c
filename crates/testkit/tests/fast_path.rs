//! The decode fast path against simd-json (`FastPathCheck`): every frame of every capture in
//! `fixtures/`, the synthetic OKX streams, and mutations of the frames the fast path reads. On
//! every input the fast path declines or decodes exactly as the general path does; and it does
//! read the frames it was written for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_testkit::fast_path::FastPathCheck;
use depthbook_testkit::feeds::okx_with_seq_ids;
use depthbook_testkit::fixtures_frames;
use depthbook_testkit::synthetic::OkxShape;
use depthbook_venues::{Frame, SymbolTable, Venue};
use proptest::prelude::*;

/// Every capture in `fixtures/`, by venue (REST captures beside their streams).
const CAPTURES: &[(Venue, &[&str])] = &[
    (
        Venue::BinanceSpot,
        &[
            "binance_spot/cryptofeed_BINANCE.ws.1.0.txt",
            "binance_spot/cryptofeed_BINANCE.http.0.0.txt",
            "binance_spot/hftbacktest_spot_btcusdt_20240808.gz",
            "binance_spot/binance_spot_BTCUSDT_sync_extract.jsonl",
        ],
    ),
    (
        Venue::BinanceUsdm,
        &[
            "binance_usdm/cryptofeed_BINANCE_FUTURES.ws.1.0.txt",
            "binance_usdm/cryptofeed_BINANCE_FUTURES.http.0.0.txt",
            "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz",
            "binance_usdm/binance_usdm_BTCUSDT_sync_extract.jsonl",
        ],
    ),
    (Venue::Okx, &["okx/cryptofeed_OKX.ws.1.0.txt", "okx/okx_books_BTC-USD-220527_extract.jsonl"]),
    (Venue::Bitfinex, &["bitfinex/cryptofeed_BITFINEX.ws.11.0.txt"]),
    (
        Venue::Bitget,
        &["bitget/cryptofeed_BITGET.ws.1.0.txt.gz", "bitget/cryptofeed_BITGET.ws.2.0.txt.gz"],
    ),
    (
        Venue::Bybit,
        &[
            "bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz",
            "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt",
        ],
    ),
    (Venue::Coinbase, &["coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz"]),
    (Venue::CoinbaseExchange, &["coinbase/cryptofeed_COINBASE.ws.28.0.txt.gz"]),
    (Venue::Deribit, &["deribit/cryptofeed_DERIBIT.ws.1.0.txt"]),
    (
        Venue::GateIo,
        &[
            "gateio/cryptofeed_GATEIO.ws.1.0.txt",
            "gateio/cryptofeed_GATEIO.http.0.0.txt",
            "gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt",
            "gateio/cryptofeed_GATEIO_FUTURES.http.0.0.txt",
        ],
    ),
    (Venue::Htx, &["htx/cryptofeed_HUOBI.ws.44.0.txt.gz"]),
    (
        Venue::KrakenV1,
        &[
            "kraken/cryptofeed_KRAKEN.ws.50.0.txt",
            "kraken/kraken_v1_book1000_XMR-USD_extract.jsonl",
        ],
    ),
    (
        Venue::Kraken,
        &[
            "kraken/kraken_v2_btcusd_depth10.ndjson",
            "kraken/kraken_v2_derived_from_v1_20210417.txt.gz",
        ],
    ),
];

fn check_all(check: &mut FastPathCheck, frames: &[(Vec<u8>, Option<String>)]) {
    for (bytes, url) in frames {
        let frame = match url {
            Some(url) => Frame::rest(bytes, Some(url)),
            None => Frame::stream(bytes),
        };
        if let Err(difference) = check.frame(&frame) {
            panic!("{difference}");
        }
    }
}

/// Stream frames that contain `needle`.
fn count(frames: &[(Vec<u8>, Option<String>)], needle: &str) -> u64 {
    let holds = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    frames.iter().filter(|(bytes, url)| url.is_none() && holds(bytes)).count() as u64
}

/// Stream frames that start with `head`.
fn count_starting(frames: &[(Vec<u8>, Option<String>)], head: &str) -> u64 {
    frames.iter().filter(|(b, url)| url.is_none() && b.starts_with(head.as_bytes())).count() as u64
}

#[test]
fn every_capture_decodes_the_same_both_ways() {
    for (venue, files) in CAPTURES {
        for file in *files {
            let frames = fixtures_frames(&[file]);
            let mut check = FastPathCheck::new(*venue);
            check_all(&mut check, &frames);
            eprintln!(
                "{file}: {} of {} frames by the fast path",
                check.fast_decoded(),
                check.frames()
            );
        }
    }
}

#[test]
fn the_fast_path_reads_every_depth_update_of_the_binance_captures() {
    for (venue, file) in [
        (Venue::BinanceSpot, "binance_spot/hftbacktest_spot_btcusdt_20240808.gz"),
        (Venue::BinanceSpot, "binance_spot/cryptofeed_BINANCE.ws.1.0.txt"),
        (Venue::BinanceUsdm, "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz"),
    ] {
        let frames = fixtures_frames(&[file]);
        let mut check = FastPathCheck::new(venue);
        check_all(&mut check, &frames);
        let updates = count(&frames, r#""e":"depthUpdate""#);
        assert!(updates > 100, "{file}");
        assert_eq!(check.fast_decoded(), updates, "{file}");
    }
}

#[test]
fn the_fast_path_reads_every_bybit_kraken_v2_and_deribit_book_message() {
    for (venue, file, head) in [
        (
            Venue::Bybit,
            "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt",
            r#"{"topic":"orderbook."#,
        ),
        (
            Venue::Bybit,
            "bybit/bybit_derived_from_binance_spot_btcusdt_20240808.txt.gz",
            r#"{"topic":"orderbook."#,
        ),
        (Venue::Kraken, "kraken/kraken_v2_derived_from_v1_20210417.txt.gz", r#"{"channel":"book""#),
        (Venue::Kraken, "kraken/kraken_v2_btcusd_depth10.ndjson", r#"{"channel":"book""#),
        (
            Venue::Deribit,
            "deribit/cryptofeed_DERIBIT.ws.1.0.txt",
            r#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book."#,
        ),
    ] {
        let frames = fixtures_frames(&[file]);
        let mut check = FastPathCheck::new(venue);
        check_all(&mut check, &frames);
        let books = count_starting(&frames, head);
        assert!(books > 0, "{file}");
        assert_eq!(check.fast_decoded(), books, "{file}");
    }
}

#[test]
fn the_fast_path_reads_every_gateio_update_spot_and_futures() {
    for file in
        ["gateio/cryptofeed_GATEIO.ws.1.0.txt", "gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt"]
    {
        let frames = fixtures_frames(&[file]);
        let mut check = FastPathCheck::new(Venue::GateIo);
        check_all(&mut check, &frames);
        let books = count(&frames, r#"order_book_update","event":"update","result""#);
        assert!(books > 0, "{file}");
        assert_eq!(check.fast_decoded(), books, "{file}");
    }
}

#[test]
fn the_fast_path_reads_every_coinbase_l2_data_message() {
    let file = "coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz";
    let frames = fixtures_frames(&[file]);
    let mut check = FastPathCheck::new(Venue::Coinbase);
    check_all(&mut check, &frames);
    let books = count_starting(&frames, r#"{"channel":"l2_data""#);
    assert!(books > 0, "{file}");
    assert_eq!(check.fast_decoded(), books, "{file}");
}

/// Found by the `fast_path` fuzz target: a book array with no object is the general path's
/// error, so the fast path must decline it.
#[test]
fn a_kraken_v1_book_without_an_object_is_refused_both_ways() {
    let mut check = FastPathCheck::new(Venue::KrakenV1);
    for frame in
        [&br#"[1360,"book-1000","XBT/USD"]"#[..], br#"[1360,{"a":[]},"book-10","XBT/USD"]"#]
    {
        check.frame(&Frame::stream(frame)).unwrap();
    }
    assert_eq!(check.fast_decoded(), 1);
}

#[test]
fn the_fast_path_reads_every_kraken_v1_book_message() {
    for file in
        ["kraken/cryptofeed_KRAKEN.ws.50.0.txt", "kraken/kraken_v1_book1000_XMR-USD_extract.jsonl"]
    {
        let frames = fixtures_frames(&[file]);
        let mut check = FastPathCheck::new(Venue::KrakenV1);
        check_all(&mut check, &frames);
        // Book messages: arrays whose channel name is `book-N`.
        let books = frames
            .iter()
            .filter(|(b, url)| {
                url.is_none() && b.starts_with(b"[") && b.windows(7).any(|w| w == br#","book-"#)
            })
            .count() as u64;
        assert!(books > 0, "{file}");
        assert_eq!(check.fast_decoded(), books, "{file}");
    }
}

#[test]
fn the_fast_path_reads_every_htx_book_push() {
    use std::io::Read;
    let file = "htx/cryptofeed_HUOBI.ws.44.0.txt.gz";
    let frames = fixtures_frames(&[file]);
    let mut check = FastPathCheck::new(Venue::Htx);
    check_all(&mut check, &frames);
    // Frames arrive gzip-compressed: a book push is one whose `ch` names a book channel.
    let books = frames
        .iter()
        .filter(|(bytes, url)| {
            let mut text = Vec::new();
            let inflated = flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut text);
            let book_channel = |name: &[u8]| text.windows(name.len()).any(|w| w == name);
            url.is_none()
                && inflated.is_ok()
                && text.starts_with(br#"{"ch":"market."#)
                && (book_channel(b".depth.") || book_channel(b".mbp."))
        })
        .count() as u64;
    assert!(books > 0, "{file}");
    assert_eq!(check.fast_decoded(), books, "{file}");
}

/// HTX's incremental `mbp` pushes as its docs show them (the capture holds `depth` pushes
/// only): both sides, one side, none. The answer to a `req` goes the general way, and so does
/// the docs' own size with 20 significant digits (which neither path can hold exactly: the
/// same error both ways).
#[test]
fn the_fast_path_reads_htx_mbp_pushes_as_documented() {
    let mut check = FastPathCheck::new(Venue::Htx);
    let frames: [&[u8]; 5] = [
        br#"{"ch":"market.btcusdt.mbp.5","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,"bids":[[645.14,1.5],[645.13,0]],"asks":[[645.2,26.755973959]]}}"#,
        br#"{"ch":"market.btcusdt.mbp.5","ts":1573199608679,"tick":{"seqNum":100020146795,"prevSeqNum":100020146794,"asks":[[645.140000000000000000,26.755973959140651643]]}}"#,
        br#"{"ch":"market.btcusdt.mbp.5","ts":1573199608680,"tick":{"seqNum":100020146796,"prevSeqNum":100020146795,"asks":[[645.2,0]]}}"#,
        br#"{"ch":"market.btcusdt.mbp.5","ts":1573199608681,"tick":{"seqNum":100020146797,"prevSeqNum":100020146796}}"#,
        br#"{"id":"1","rep":"market.btcusdt.mbp.5","status":"ok","data":{"seqNum":100020146794,"bids":[[645.14,1.5]],"asks":[[645.2,2]]}}"#,
    ];
    for frame in frames {
        check.frame(&Frame::stream(frame)).unwrap();
    }
    assert_eq!(check.fast_decoded(), 3);
}

#[test]
fn the_fast_path_reads_every_bitfinex_aggregated_book_message() {
    let file = "bitfinex/cryptofeed_BITFINEX.ws.11.0.txt";
    let frames = fixtures_frames(&[file]);
    let mut check = FastPathCheck::new(Venue::Bitfinex);
    check_all(&mut check, &frames);
    // Book channels' ids, from their `subscribed` events; their data frames are the levels
    // (not `hb` or `cs`).
    let books: Vec<String> = frames
        .iter()
        .filter_map(|(bytes, _)| {
            let text = std::str::from_utf8(bytes).ok()?;
            let at = text.find(r#""channel":"book""#).and(text.find(r#""chanId":"#))?;
            let id: String = text[at + 9..].chars().take_while(char::is_ascii_digit).collect();
            (text.contains(r#""event":"subscribed""#) && !text.contains(r#""prec":"R0""#))
                .then(|| format!("[{id},["))
        })
        .collect();
    let messages = frames
        .iter()
        .filter(|(b, url)| url.is_none() && books.iter().any(|h| b.starts_with(h.as_bytes())))
        .count() as u64;
    assert!(messages > 0, "{file}");
    assert_eq!(check.fast_decoded(), messages, "{file}");
}

#[test]
fn the_fast_path_reads_every_bitget_books_push() {
    for file in ["bitget/cryptofeed_BITGET.ws.1.0.txt.gz", "bitget/cryptofeed_BITGET.ws.2.0.txt.gz"]
    {
        let frames = fixtures_frames(&[file]);
        let mut check = FastPathCheck::new(Venue::Bitget);
        check_all(&mut check, &frames);
        let books = frames
            .iter()
            .filter(|(b, url)| {
                let holds = |needle: &[u8]| b.windows(needle.len()).any(|w| w == needle);
                url.is_none() && b.starts_with(br#"{"action":"#) && holds(br#""channel":"books","#)
            })
            .count() as u64;
        assert!(books > 0, "{file}");
        assert_eq!(check.fast_decoded(), books, "{file}");
    }
    // v2 as its docs show it: `seq` (and `pseq` on updates) in the entry, `ts` after `data`.
    let mut check = FastPathCheck::new(Venue::Bitget);
    let frames: [&[u8]; 2] = [
        br#"{"action":"snapshot","arg":{"instType":"SPOT","channel":"books","instId":"BTCUSDT"},"data":[{"asks":[["26274.9","0.0009"],["26275.0","0.0500"]],"bids":[["26274.8","0.0009"],["26274.7","0.0027"]],"checksum":0,"seq":123,"ts":"1695710946294"}],"ts":1695710946294}"#,
        br#"{"action":"update","arg":{"instType":"SPOT","channel":"books","instId":"BTCUSDT"},"data":[{"asks":[["26275.0","0"]],"bids":[],"checksum":0,"seq":124,"pseq":123,"ts":"1695710946394"}],"ts":1695710946394}"#,
    ];
    for frame in frames {
        check.frame(&Frame::stream(frame)).unwrap();
    }
    assert_eq!(check.fast_decoded(), 2);
}

#[test]
fn the_fast_path_reads_okx_books_as_okx_sends_them_today() {
    let frames: Vec<(Vec<u8>, Option<String>)> =
        okx_with_seq_ids().into_iter().map(|line| (line, None)).collect();
    let mut check = FastPathCheck::new(Venue::Okx);
    check_all(&mut check, &frames);
    assert_eq!(check.fast_decoded(), frames.len() as u64);

    let stream =
        OkxShape { instruments: 30, levels: 50, updates: 3_000, ..OkxShape::THOUSAND_BOOKS }
            .generate();
    let frames: Vec<(Vec<u8>, Option<String>)> =
        stream.snapshots.iter().chain(&stream.updates).map(|f| (f.clone(), None)).collect();
    let mut check = FastPathCheck::new(Venue::Okx);
    check_all(&mut check, &frames);
    assert_eq!(check.fast_decoded(), frames.len() as u64);
}

#[test]
fn untracked_instruments_are_skipped_the_same_way() {
    let frames = fixtures_frames(&["binance_spot/cryptofeed_BINANCE.ws.1.0.txt"]);
    let only = SymbolTable::only(&["NKNUSDT"], 8);
    let mut check = FastPathCheck::with_symbols(Venue::BinanceSpot, only);
    check_all(&mut check, &frames);
    assert!(check.fast_decoded() > 0);
    // A full table: the instrument past the cap is an error both ways.
    let full = SymbolTable::new(1);
    let mut check = FastPathCheck::with_symbols(Venue::BinanceSpot, full);
    check_all(&mut check, &frames);
}

/// Frames the fast path reads, to mutate: Binance spot and USD-M depth updates, OKX books,
/// Bybit, Kraken v2 and Deribit book messages.
fn seeds() -> Vec<(Venue, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (venue, file) in [
        (Venue::BinanceSpot, "binance_spot/hftbacktest_spot_btcusdt_20240808.gz"),
        (Venue::BinanceUsdm, "binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz"),
    ] {
        let frames = fixtures_frames(&[file]);
        let updates =
            frames.into_iter().filter(|(b, u)| u.is_none() && b.starts_with(br#"{"stream""#));
        seeds.extend(updates.take(40).map(|(b, _)| (venue, b)));
    }
    seeds.extend(okx_with_seq_ids().into_iter().map(|line| (Venue::Okx, line)));
    for (venue, file, head) in [
        (
            Venue::Bybit,
            "bybit/bybit_v5_spot_ob200_cryptofeed_20260809.txt",
            &br#"{"topic":"orderbook."#[..],
        ),
        (
            Venue::Kraken,
            "kraken/kraken_v2_derived_from_v1_20210417.txt.gz",
            br#"{"channel":"book""#,
        ),
        (
            Venue::Deribit,
            "deribit/cryptofeed_DERIBIT.ws.1.0.txt",
            br#"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book."#,
        ),
        (Venue::GateIo, "gateio/cryptofeed_GATEIO.ws.1.0.txt", br#"{"time":"#),
        (Venue::KrakenV1, "kraken/cryptofeed_KRAKEN.ws.50.0.txt", b"["),
        (Venue::Bitget, "bitget/cryptofeed_BITGET.ws.1.0.txt.gz", br#"{"action":"#),
        (
            Venue::Coinbase,
            "coinbase/coinbase_advanced_derived_from_exchange_20210417.txt.gz",
            br#"{"channel":"l2_data""#,
        ),
        (Venue::GateIo, "gateio/cryptofeed_GATEIO_FUTURES.ws.1.0.txt", br#"{"time":"#),
    ] {
        let frames = fixtures_frames(&[file]);
        let books = frames.into_iter().filter(|(b, u)| u.is_none() && b.starts_with(head));
        seeds.extend(books.take(40).map(|(b, _)| (venue, b)));
    }
    seeds
}

/// Bytes a mutation writes: the JSON punctuation and number characters the shapes turn on.
const ALPHABET: &[u8] = b"0123456789-+.eE\"\\,:[]{} \tnulltrueaUu\x7f\xc3\x01";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn prop_mutated_frames_decode_the_same_both_ways(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<prop::sample::Index>()), 1..4),
    ) {
        thread_local!(static SEEDS: Vec<(Venue, Vec<u8>)> = seeds());
        let (venue, mut frame) = SEEDS.with(|s| s[pick.index(s.len())].clone());
        for (at, op, byte) in edits {
            let at = at.index(frame.len() + 1);
            let byte = ALPHABET[byte.index(ALPHABET.len())];
            match op {
                0 if at < frame.len() => frame[at] = byte,
                1 => frame.insert(at, byte),
                2 if at < frame.len() => { frame.remove(at); }
                _ => frame.truncate(at),
            }
        }
        let mut check = FastPathCheck::new(venue);
        prop_assert_eq!(check.frame(&Frame::stream(&frame)), Ok(()));
    }
}
