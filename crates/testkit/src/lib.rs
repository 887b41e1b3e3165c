//! Test support: fixtures, in-memory replays through the real capture reader and engine, and
//! builders of snapshot frames from a book (to heal a faulty feed in tests).

#![forbid(unsafe_code)]
// Test support: a missing or broken fixture must fail the test that asked for it, loudly.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod fast_path;
pub mod feeds;
pub mod mutate;
pub mod nats_server;
pub mod reference;
pub mod sync_check;
pub mod synthetic;

use std::io::{Read, Write as _};
use std::path::PathBuf;

use depthbook_capture::CaptureReader;
use depthbook_core::decimal::NumBuf;
use depthbook_core::{Book, Side};
use depthbook_engine::{Engine, EngineConfig, SlowConsumer, StatusEvent, TopOfBook, Update};

/// The path of a file under `fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(relative)
}

/// A fixture's frames and REST bodies (with their URLs), read through the capture reader: what
/// the engine is fed, without the lines' prefixes.
pub fn fixture_frames(relative: &str) -> Vec<(Vec<u8>, Option<String>)> {
    fixtures_frames(&[relative])
}

/// The frames and REST bodies of several fixtures merged by receive time (a stream capture and
/// the capture of its REST snapshots), as [`fixture_frames`] reads one.
pub fn fixtures_frames(relative: &[&str]) -> Vec<(Vec<u8>, Option<String>)> {
    let paths: Vec<PathBuf> = relative.iter().map(|r| fixture(r)).collect();
    let mut reader = CaptureReader::open(&paths, 16 << 20).expect("fixture opens");
    let mut frames = Vec::new();
    while let Some(record) = reader.next().expect("fixture reads") {
        match record.kind {
            depthbook_capture::RecordKind::Frame(bytes) => frames.push((bytes.to_vec(), None)),
            depthbook_capture::RecordKind::Rest { body, url } => {
                frames.push((body.to_vec(), url.map(str::to_owned)));
            }
            _ => {}
        }
    }
    frames
}

/// The lines of a fixture (gunzipped if needed), without terminators.
pub fn fixture_lines(relative: &str) -> Vec<Vec<u8>> {
    let path = fixture(relative);
    let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gzip fixture");
        out
    } else {
        raw
    };
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    lines
}

/// What one input line produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineOutcome {
    /// Views published while processing the line.
    pub views: Vec<TopOfBook>,
    /// State changes announced while processing the line.
    pub statuses: Vec<StatusEvent>,
}

/// A finished in-memory replay.
#[derive(Debug)]
pub struct Replay {
    /// The engine after the last line.
    pub engine: Engine,
    /// `outcomes[i]` is what line `i + 1` (1-based, as in the replay contract) produced.
    pub outcomes: Vec<LineOutcome>,
    /// `books[i]`: every instrument's top `depth_kept` levels a side after line `i + 1`, when
    /// requested.
    pub books: Vec<Vec<BookLevels>>,
}

/// Bids and asks, best first, as (price, size) text.
pub type BookLevels = (Vec<(String, String)>, Vec<(String, String)>);

/// Replays `lines` (one capture file) through the real capture reader and a fresh engine.
/// With `depth_kept > 0`, also records every book's best `depth_kept` levels after each line.
pub fn replay(config: EngineConfig, lines: &[Vec<u8>], depth_kept: usize) -> Replay {
    replay_files(config, &[lines], depth_kept)
}

/// The real capture reader over in-memory files (each a list of lines without terminators),
/// merging them by receive time as `depthbook replay` does; lines longer than `max_line` are
/// cut.
///
/// # Errors
/// What [`CaptureReader::from_readers`] refuses.
pub fn capture_reader<L: AsRef<[u8]>>(
    files: &[&[L]],
    max_line: usize,
) -> Result<CaptureReader, depthbook_capture::CaptureError> {
    let readers: Vec<Box<dyn Read>> = files
        .iter()
        .map(|lines| {
            let mut text = Vec::with_capacity(lines.iter().map(|l| l.as_ref().len() + 1).sum());
            for line in lines.iter() {
                text.extend_from_slice(line.as_ref());
                text.push(b'\n');
            }
            Box::new(std::io::Cursor::new(text)) as Box<dyn Read>
        })
        .collect();
    CaptureReader::from_readers(readers, max_line)
}

/// Replays several capture files merged by receive time, as `depthbook replay` does.
pub fn replay_files(config: EngineConfig, files: &[&[Vec<u8>]], depth_kept: usize) -> Replay {
    let max_line = config.limits.max_frame_bytes + 1;
    let mut engine = Engine::new(config);
    let rx = engine.subscribe(1 << 16, SlowConsumer::DropNewest);
    let mut reader = capture_reader(files, max_line).expect("in-memory capture");
    let mut outcomes = Vec::new();
    let mut books = Vec::new();
    while let Some(record) = reader.next().expect("in-memory read") {
        depthbook_capture::feed(&mut engine, &record);
        let mut outcome = LineOutcome::default();
        for update in rx.try_iter() {
            match update {
                Update::Book(view) => outcome.views.push(view),
                Update::Status(status) => outcome.statuses.push(status),
            }
        }
        outcomes.push(outcome);
        if depth_kept > 0 {
            let all = (0..engine.n_instruments() as u32)
                .map(|id| engine.book(id).map(|b| levels(b, depth_kept)).unwrap_or_default())
                .collect();
            books.push(all);
        }
    }
    Replay { engine, outcomes, books }
}

/// Feeds `lines` (one capture file) through the real capture reader into `engine`, as
/// `depthbook replay` does; returns the number of records fed.
pub fn replay_into(engine: &mut Engine, lines: &[Vec<u8>]) -> u64 {
    let max_line = EngineConfig::new(engine.venue()).limits.max_frame_bytes + 1;
    let mut reader = capture_reader(&[lines], max_line).expect("in-memory capture");
    let mut records = 0;
    while let Some(record) = reader.next().expect("in-memory read") {
        depthbook_capture::feed(engine, &record);
        records += 1;
    }
    records
}

/// A book's best `n` levels a side, as canonical (price, size) text.
pub fn levels(book: &Book, n: usize) -> BookLevels {
    let side =
        |s| book.side(s).iter().take(n).map(|l| (l.price.to_string(), l.qty.to_string())).collect();
    (side(Side::Bid), side(Side::Ask))
}

/// Levels of one side in the venue's own spelling, best first.
fn spelled(book: &Book, side: Side) -> Vec<(String, String)> {
    spelled_best(book, side, usize::MAX)
}

/// The best `n` levels of one side in the venue's own spelling, best first.
pub(crate) fn spelled_best(book: &Book, side: Side, n: usize) -> Vec<(String, String)> {
    let mut buf = NumBuf::new();
    book.side(side)
        .iter()
        .take(n)
        .map(|l| {
            let p =
                String::from_utf8_lossy(l.price.write_text(l.text.price, &mut buf)).into_owned();
            let q = String::from_utf8_lossy(l.qty.write_text(l.text.qty, &mut buf)).into_owned();
            (p, q)
        })
        .collect()
}

fn json_pairs(levels: &[(String, String)], extra: &str) -> String {
    let items: Vec<String> =
        levels.iter().map(|(p, q)| format!("[\"{p}\",\"{q}\"{extra}]")).collect();
    format!("[{}]", items.join(","))
}

/// A Binance REST depth body holding `book` as of `last_update_id`.
pub fn binance_snapshot(book: &Book, last_update_id: i64) -> Vec<u8> {
    format!(
        "{{\"lastUpdateId\":{last_update_id},\"bids\":{},\"asks\":{}}}",
        json_pairs(&spelled(book, Side::Bid), ""),
        json_pairs(&spelled(book, Side::Ask), "")
    )
    .into_bytes()
}

/// An OKX `books` snapshot push of `book` (checksum 0: absent).
pub fn okx_snapshot(inst_id: &str, book: &Book, seq_id: Option<i64>) -> Vec<u8> {
    let seq = seq_id.map_or(String::new(), |s| format!(",\"prevSeqId\":-1,\"seqId\":{s}"));
    books_push(
        &format!("{{\"channel\":\"books\",\"instId\":\"{inst_id}\"}}"),
        book,
        ",\"0\",\"1\"",
        &seq,
    )
}

/// A Bitget `books` snapshot push of `book` (spot, legacy v1 shape; checksum 0: absent).
pub fn bitget_snapshot(inst_id: &str, book: &Book) -> Vec<u8> {
    let arg = format!("{{\"instType\":\"sp\",\"channel\":\"books\",\"instId\":\"{inst_id}\"}}");
    books_push(&arg, book, "", "")
}

/// A `books` snapshot push in the shape OKX and Bitget share: `arg`, then one data entry with
/// `extra` after each level's price and size and `tail` after the checksum.
fn books_push(arg: &str, book: &Book, extra: &str, tail: &str) -> Vec<u8> {
    format!(
        "{{\"arg\":{arg},\"action\":\"snapshot\",\"data\":[{{\"asks\":{},\"bids\":{},\"ts\":\"0\",\"checksum\":0{tail}}}]}}",
        json_pairs(&spelled(book, Side::Ask), extra),
        json_pairs(&spelled(book, Side::Bid), extra)
    )
    .into_bytes()
}

/// A Kraken v1 book snapshot of `book` for `pair` on channel `book-{depth}`.
pub fn kraken_v1_snapshot(pair: &str, book: &Book, depth: usize) -> Vec<u8> {
    format!(
        "[0,{{\"as\":{},\"bs\":{}}},\"book-{depth}\",\"{pair}\"]",
        json_pairs(&spelled(book, Side::Ask), ",\"0.0\""),
        json_pairs(&spelled(book, Side::Bid), ",\"0.0\"")
    )
    .into_bytes()
}

/// A Kraken v2 `book` snapshot of `book`'s levels as `{"price", "qty"}` JSON numbers, spelled as
/// the feed spelled them; no checksum (the next update's verifies the book).
pub fn kraken_v2_snapshot(pair: &str, book: &Book) -> Vec<u8> {
    let side = |side| {
        let items: Vec<String> = spelled(book, side)
            .iter()
            .map(|(p, q)| format!("{{\"price\":{p},\"qty\":{q}}}"))
            .collect();
        format!("[{}]", items.join(","))
    };
    format!(
        "{{\"channel\":\"book\",\"type\":\"snapshot\",\"data\":[{{\"symbol\":\"{pair}\",\"bids\":{},\"asks\":{}}}]}}",
        side(Side::Bid),
        side(Side::Ask)
    )
    .into_bytes()
}

/// A Gate.io REST order book body (`with_id=true`) holding `book` as of update `id`.
pub fn gateio_snapshot(book: &Book, id: i64) -> Vec<u8> {
    format!(
        "{{\"id\":{id},\"asks\":{},\"bids\":{}}}",
        json_pairs(&spelled(book, Side::Ask), ""),
        json_pairs(&spelled(book, Side::Bid), "")
    )
    .into_bytes()
}

/// A Deribit `book.{instrument}.raw` snapshot notification of `book` at `change_id`: levels
/// `["new", price, amount]` with JSON numbers, as Deribit sends them.
pub fn deribit_snapshot(instrument: &str, book: &Book, change_id: i64) -> Vec<u8> {
    let side = |side| {
        let items: Vec<String> =
            spelled(book, side).iter().map(|(p, q)| format!("[\"new\",{p},{q}]")).collect();
        format!("[{}]", items.join(","))
    };
    format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{{\"channel\":\"book.{instrument}.raw\",\"data\":{{\"type\":\"snapshot\",\"timestamp\":0,\"instrument_name\":\"{instrument}\",\"change_id\":{change_id},\"bids\":{},\"asks\":{}}}}}}}",
        side(Side::Bid),
        side(Side::Ask)
    )
    .into_bytes()
}

/// A Bybit v5 `orderbook.{depth}` snapshot push of `book` for `symbol` at update id `u`.
pub fn bybit_snapshot(symbol: &str, book: &Book, depth: u32, u: i64) -> Vec<u8> {
    format!(
        "{{\"topic\":\"orderbook.{depth}.{symbol}\",\"type\":\"snapshot\",\"ts\":0,\"data\":{{\"s\":\"{symbol}\",\"b\":{},\"a\":{},\"u\":{u},\"seq\":0}}}}",
        json_pairs(&spelled(book, Side::Bid), ""),
        json_pairs(&spelled(book, Side::Ask), "")
    )
    .into_bytes()
}

/// The head of a Coinbase Advanced Trade `l2_data` snapshot frame of `product` at connection
/// number `seq`; its updates follow, comma-separated ([`coinbase_advanced_update`]), then
/// [`COINBASE_ADVANCED_TAIL`].
pub fn coinbase_advanced_head(product: &str, seq: u64) -> String {
    format!(
        "{{\"channel\":\"l2_data\",\"client_id\":\"\",\"timestamp\":\"2026-08-09T00:00:00.000000Z\",\"sequence_num\":{seq},\"events\":[{{\"type\":\"snapshot\",\"product_id\":\"{product}\",\"updates\":["
    )
}

/// What closes a frame begun by [`coinbase_advanced_head`].
pub const COINBASE_ADVANCED_TAIL: &str = "]}]}";

/// Update `i` of a generated Coinbase Advanced Trade snapshot of `per_side` levels a side:
/// bids from 60000 down by a cent, then asks from 60000.01 up, sizes varied.
pub fn coinbase_advanced_update(i: usize, per_side: usize) -> String {
    let (side, cents) = if i < per_side {
        ("bid", 6_000_000 - i as i64)
    } else {
        ("offer", 6_000_001 + (i - per_side) as i64)
    };
    format!(
        "{{\"side\":\"{side}\",\"event_time\":\"2026-08-09T00:00:00.000000Z\",\"price_level\":\"{}.{:02}\",\"new_quantity\":\"0.{:08}\"}}",
        cents / 100,
        cents % 100,
        1 + i % 99_999_999
    )
}

/// A whole generated Coinbase Advanced Trade snapshot frame (see [`coinbase_advanced_update`]).
pub fn coinbase_advanced_snapshot(product: &str, per_side: usize, seq: u64) -> String {
    let updates: Vec<String> =
        (0..2 * per_side).map(|i| coinbase_advanced_update(i, per_side)).collect();
    format!("{}{}{COINBASE_ADVANCED_TAIL}", coinbase_advanced_head(product, seq), updates.join(","))
}

/// Writes `lines` as a gzip capture file under a fresh temporary directory; returns its path.
pub fn write_temp_capture(name: &str, lines: &[Vec<u8>]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("depthbook-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).expect("temp file");
    for line in lines {
        file.write_all(line).and_then(|()| file.write_all(b"\n")).expect("write temp capture");
    }
    path
}
