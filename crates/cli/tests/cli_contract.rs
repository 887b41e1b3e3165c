//! The `depthbook` command-line contract that scripts and automated checks parse.

// Helpers of a test file panic on broken fixtures by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

mod support;

use support::{depthbook, fixture, json_lines, live_config_final, serve};

fn counters(output: &Output) -> serde_json::Value {
    support::last_json_line(&output.stderr)
}

const COUNTERS: [&str; 13] = [
    "lines",
    "frames",
    "skipped",
    "events",
    "applied",
    "gaps",
    "checksums_verified",
    "checksum_failures",
    "resyncs",
    "decode_errors",
    "crossed",
    "evicted",
    "published",
];

#[test]
fn replay_emits_one_tob_line_per_applied_message_and_counters_on_stderr() {
    let out = depthbook(&[
        "replay",
        "--venue",
        "okx",
        "--emit",
        "tob",
        &fixture("okx/cryptofeed_OKX.ws.1.0.txt"),
    ]);
    assert!(out.status.success());
    let first = String::from_utf8_lossy(&out.stdout).lines().next().unwrap().to_owned();
    assert!(
        first.starts_with(
            r#"{"line":29,"venue":"okx","symbol":"BTC-USD-220527","seq":null,"bid":["#
        ),
        "{first}"
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 290);
    assert_eq!(lines[0]["line"], 29, "1-based physical line, skipped lines counted");
    assert_eq!(lines[0]["symbol"], "BTC-USD-220527");
    assert_eq!(lines[0]["bid"], serde_json::json!(["30233.6", "3"]));
    assert!(lines[0]["seq"].is_null(), "the 2022 OKX feed has no seqId");
    let c = counters(&out);
    for key in COUNTERS {
        assert!(c[key].is_u64(), "counter {key}");
    }
    // Past the contract's, every other engine counter follows.
    for key in ["buffer_overflows", "views_dropped", "unconfirmed_breaks", "over_budget"] {
        assert!(c[key].is_u64(), "counter {key}");
    }
    assert_eq!(c["lines"], 414);
    assert_eq!(c["published"], 290);
    assert_eq!(c["checksums_verified"], 290);
}

#[test]
fn depth_emission_and_final_books() {
    let out = depthbook(&[
        "replay",
        "--venue",
        "kraken-v1",
        "--emit",
        "depth:3",
        "--final",
        &fixture("kraken/kraken_v1_book1000_XMR-USD_extract.jsonl"),
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out.stdout);
    let (views, finals): (Vec<_>, Vec<_>) = lines.iter().partition(|l| l.get("line").is_some());
    assert!(!views.is_empty());
    for view in &views {
        assert_eq!(view["bids"].as_array().unwrap().len(), 3);
        assert_eq!(view["asks"].as_array().unwrap().len(), 3);
        assert!(view["seq"].is_null());
        assert!(view.get("bid").is_none());
    }
    assert_eq!(finals.len(), 1);
    assert_eq!(finals[0]["symbol"], "XMR/USD");
    assert_eq!(finals[0]["state"], "live");
    assert!(finals[0]["asks"].as_array().unwrap().len() > 3);
    assert_eq!(counters(&out)["checksum_failures"], 0);
}

#[test]
fn several_files_merge_by_time_and_name_their_file() {
    let out = depthbook(&[
        "replay",
        "--venue",
        "binance-spot",
        "--emit",
        "tob",
        &fixture("binance_spot/cryptofeed_BINANCE.ws.1.0.txt"),
        &fixture("binance_spot/cryptofeed_BINANCE.http.0.0.txt"),
    ]);
    assert!(out.status.success());
    let lines = json_lines(&out.stdout);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["file"].is_u64()));
    // Snapshots come from the REST file (1), deltas from the stream file (0).
    assert!(lines.iter().any(|l| l["file"] == 1) && lines.iter().any(|l| l["file"] == 0));
    let c = counters(&out);
    assert_eq!(c["gaps"], 0);
}

#[test]
fn standard_input_and_gzip_are_read() {
    let gz = std::fs::read(fixture("binance_usdm/hftbacktest_usdm_btcusdt_20240808.gz")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_depthbook"))
        .args(["replay", "--venue", "binance-usdm", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &gz));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "--emit none prints nothing on stdout");
    let c = counters(&out);
    assert_eq!(c["lines"], 93954);
    assert_eq!(c["gaps"], 0);
}

#[test]
fn bad_invocations_fail_with_one_line() {
    for args in [
        vec!["replay", "--venue", "okx", "no-such-file.txt"],
        vec!["replay", "--venue", "nasdaq", "x"],
        vec!["replay", "--venue", "okx", "--emit", "depth:0", "x"],
        vec!["replay", "--venue", "kraken", "--precision", "1-8", "x"],
        vec!["replay", "--venue", "okx"],
        vec!["replay", "--bogus"],
    ] {
        let out = depthbook(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn default_run_shows_the_ladder_and_counters() {
    let out = depthbook(&[]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("BTCUSDT  live"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.ends_with(" ask")).count(), 10);
    assert_eq!(stdout.lines().filter(|l| l.ends_with(" bid")).count(), 10);
    assert!(stdout.contains("gaps                 0"));
}

#[test]
fn venues_table_lists_every_venue() {
    let out = depthbook(&["venues"]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    for venue in depthbook_venues::Venue::ALL {
        let row = format!("| `{}` |", venue.name());
        assert_eq!(stdout.matches(&row).count(), 1, "{row}");
    }
    // The README holds the very table the code prints: docs cannot drift from the rules.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(
        readme.contains(&stdout),
        "README.md's venue table differs from `depthbook venues`; paste this:\n{stdout}"
    );
}

#[test]
fn live_emits_the_replay_lines_and_its_recording_replays_to_the_same_lines() {
    live_and_its_recording_agree(&[]);
}

/// The same with the loop busy-polling its input rings, pinned, and the network thread on the
/// other core (where there are two).
#[test]
fn a_busy_polling_pinned_live_run_emits_the_same_contract() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores >= 2 {
        live_and_its_recording_agree(&["--busy-poll", "--pin-loop", "1", "--pin-net", "0"]);
    } else {
        live_and_its_recording_agree(&["--busy-poll"]);
    }
}

fn live_and_its_recording_agree(extra: &[&str]) {
    let server =
        serve(&["--port", "0", "--venue", "okx", &fixture("okx/cryptofeed_OKX.ws.1.0.txt")]);
    let dir = std::env::temp_dir().join(format!(
        "depthbook-cli-live-{}-{}",
        std::process::id(),
        extra.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let capture = dir.join("live.txt");
    let url = format!("ws://{}/ws/v5/public", server.addr);
    let mut args = vec![
        "live",
        "--venue",
        "okx",
        "--symbol",
        "BTC-USD-220527",
        "--symbol",
        "BTC-USDT",
        "--url",
        &url,
        "--emit",
        "tob",
        "--max-frames",
        "100",
        "--duration",
        "60",
        "--record",
        capture.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let live = depthbook(&args);
    assert!(live.status.success(), "{}", String::from_utf8_lossy(&live.stderr));
    let lines = json_lines(&live.stdout);
    assert!(lines.len() >= 50, "{} lines", lines.len());
    for line in &lines {
        assert!(line["recv_ns"].as_i64().unwrap() > 1_600_000_000_000_000_000);
        assert!(line.get("line").is_none());
        assert_eq!(line["venue"], "okx");
        assert!(line["bid"].is_array() && line["ask"].is_array());
    }
    let counters = counters(&live);
    for key in COUNTERS.iter().chain(&["connects", "rest_requests", "watchdog_fired"]) {
        assert!(counters.get(*key).is_some(), "no `{key}` in {counters}");
    }
    assert_eq!(counters["lines"], 100, "--max-frames ends the run");
    assert_eq!(counters["checksum_failures"], 0);

    let replay =
        depthbook(&["replay", "--venue", "okx", "--emit", "tob", capture.to_str().unwrap()]);
    assert!(replay.status.success());
    let strip = |mut v: serde_json::Value| {
        let map = v.as_object_mut().unwrap();
        map.remove("line");
        map.remove("recv_ns");
        v
    };
    let replayed: Vec<_> = json_lines(&replay.stdout).into_iter().map(strip).collect();
    let lived: Vec<_> = lines.into_iter().map(strip).collect();
    assert_eq!(replayed, lived);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn live_and_record_refuse_bad_arguments_in_one_line() {
    for args in [
        &["live", "--venue", "nowhere", "--symbol", "X"][..],
        &["live", "--venue", "okx"][..],
        &["record", "--venue", "okx", "--symbol", "BTC-USDT"][..],
        &["live", "--venue", "okx", "--symbol", "BTC\"USDT", "--duration", "1"][..],
        &["live", "--venue", "okx", "--symbol", "BTC-USDT", "--url", "http://x"][..],
        &["live", "--venue", "okx", "--symbol", "BTC-USDT", "--pin-loop", "100000"][..],
        &["live", "--venue", "okx", "--symbol", "BTC-USDT", "--pin-net", "100000"][..],
    ] {
        let out = depthbook(args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("depthbook: "), "{stderr}");
    }
}

/// `live --config`: two venues, five connections (each venue's symbols split by
/// `per_connection`), two shards; every book ends Live with the loopback exchanges' truth (a
/// replay of the captures they serve), every checksum verified.
#[test]
fn live_config_reads_many_venues_in_shards_and_ends_with_the_truth() {
    let okx_capture = fixture("okx/cryptofeed_OKX.ws.1.0.txt");
    let binance_stream = fixture("binance_spot/cryptofeed_BINANCE.ws.1.0.txt");
    let binance_rest = fixture("binance_spot/cryptofeed_BINANCE.http.0.0.txt");
    let okx = serve(&["--port", "0", "--venue", "okx", &okx_capture]);
    let binance =
        serve(&["--port", "0", "--venue", "binance-spot", &binance_stream, &binance_rest]);
    let dir = std::env::temp_dir().join(format!("depthbook-cli-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("books.toml");
    std::fs::write(
        &config,
        format!(
            r#"shards = 2

[[feed]]
venue = "okx"
symbols = ["BTC-USD-220527", "BTC-USDT", "UNI-USD-SWAP"]
url = "ws://{okx}/ws/v5/public"
per_connection = 2
watchdog = 0

[[feed]]
venue = "binance-spot"
symbols = ["NKNUSDT", "LRCBTC", "BLZETH"]
url = "ws://{binance}/ws"
rest_url = "http://{binance}"
per_connection = 1
watchdog = 0
"#,
            okx = okx.addr,
            binance = binance.addr
        ),
    )
    .unwrap();
    // Binance's three connections are a second apart, and a book whose deltas the loopback's
    // replay already played waits 2 s before it asks for its snapshot: 5 s of quiet ends it.
    let run = live_config_final(&config, &["--emit", "tob"], "5", "60");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let counters = counters(&run);
    assert_eq!(counters["connections"], 5, "{counters}");
    assert_eq!(counters["books"], 6, "{counters}");
    assert_eq!(counters["books_live"], 6, "{counters}");
    assert_eq!(counters["checksum_failures"], 0, "{counters}");
    assert!(counters["checksums_verified"].as_u64().unwrap() > 0, "{counters}");
    let lines = json_lines(&run.stdout);
    let finals: Vec<_> = lines.iter().filter(|l| l.get("state").is_some()).cloned().collect();
    assert!(lines.iter().any(|l| l.get("recv_ns").is_some()), "tob lines as live prints them");

    // The truth: each capture replayed whole.
    let mut truth = Vec::new();
    for (venue, files) in [
        ("okx", vec![okx_capture.as_str()]),
        ("binance-spot", vec![&binance_stream, &binance_rest]),
    ] {
        let mut args = vec!["replay", "--venue", venue, "--final"];
        args.extend(files);
        truth.extend(json_lines(&depthbook(&args).stdout));
    }
    for line in &finals {
        let same =
            truth.iter().find(|t| t["venue"] == line["venue"] && t["symbol"] == line["symbol"]);
        assert_eq!(Some(line), same, "{} {}", line["venue"], line["symbol"]);
    }
    assert_eq!(finals.len(), 6);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_live_config_fails_in_one_line() {
    let dir = std::env::temp_dir().join(format!("depthbook-cli-badfleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in [
        ("unknown-key.toml", "[[feed]]\nvenue = \"okx\"\nsymbols = [\"BTC-USDT\"]\ncolour = 1\n"),
        ("unknown-venue.toml", "[[feed]]\nvenue = \"nowhere\"\nsymbols = [\"X\"]\n"),
        ("no-symbols.toml", "[[feed]]\nvenue = \"okx\"\nsymbols = []\n"),
        ("not-toml.toml", "shards = \n"),
        ("no-feeds.toml", "feed = []\n"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = depthbook(&["live", "--config", path.to_str().unwrap(), "--duration", "1"]);
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("depthbook: "), "{name}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{name}: {stderr}");
    }
    // --config excludes --venue and --symbol.
    let out = depthbook(&["live", "--config", "x.toml", "--venue", "okx"]);
    assert!(!out.status.success());
    std::fs::remove_dir_all(dir).unwrap();
}

/// `symbols = "all"` in a config: every instrument the venue's list endpoint names, only those
/// quoted in `quote` when it is given (the loopback OKX lists its capture's three books: one in
/// USDT, two in USD; the loopback Gate.io its ten pairs).
#[test]
fn live_config_reads_every_listed_instrument_of_a_quote() {
    let dir = std::env::temp_dir().join(format!("depthbook-cli-all-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The books a `live --config` of this one feed ends with, each Live, by name.
    let listed = |feed: String| -> Vec<String> {
        let config = dir.join("all.toml");
        std::fs::write(&config, format!("[[feed]]\n{feed}watchdog = 0\n")).unwrap();
        let run = live_config_final(&config, &[], "3", "30");
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let mut symbols: Vec<String> = json_lines(&run.stdout)
            .iter()
            .map(|l| {
                assert_eq!(l["state"], "live", "{l}");
                l["symbol"].as_str().unwrap().to_owned()
            })
            .collect();
        symbols.sort();
        symbols
    };
    let okx = serve(&["--port", "0", "--venue", "okx", &fixture("okx/cryptofeed_OKX.ws.1.0.txt")]);
    for (quote, expected) in [
        (Some("usdt"), vec!["BTC-USDT"]),
        (None, vec!["BTC-USD-220527", "BTC-USDT", "UNI-USD-SWAP"]),
    ] {
        let quote_line = quote.map(|q| format!("quote = \"{q}\"\n")).unwrap_or_default();
        let feed = format!(
            "venue = \"okx\"\nsymbols = \"all\"\n{quote_line}url = \"ws://{a}/ws/v5/public\"\ninstruments_url = \"http://{a}\"\n",
            a = okx.addr
        );
        assert_eq!(listed(feed), expected, "quote {quote:?}");
    }

    // Gate.io lists every pair of a market at once too: its REST-bridged books, the six quoted
    // in USDT among the ten of the capture.
    let gate = serve(&[
        "--port",
        "0",
        "--venue",
        "gateio",
        &fixture("gateio/cryptofeed_GATEIO.ws.1.0.txt"),
        &fixture("gateio/cryptofeed_GATEIO.http.0.0.txt"),
    ]);
    let feed = format!(
        "venue = \"gateio\"\nsymbols = \"all\"\nquote = \"USDT\"\nurl = \"ws://{a}/ws/v4/\"\nrest_url = \"http://{a}\"\n",
        a = gate.addr
    );
    let usdt = ["DIS_USDT", "FAST_USDT", "INK_USDT", "NANO_USDT", "OMG_USDT", "QTUM3S_USDT"];
    assert_eq!(listed(feed), usdt);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `export --format csv`: tardis's `book_snapshot_N` columns, one row per view of `replay
/// --emit tob` (same order, same best levels), then `seq,generation,state,integrity`; a book
/// gone Stale is a row of its own, flagged, never missing; `--interval` rows every book at
/// each boundary.
#[test]
fn export_writes_tardis_book_snapshot_rows() {
    let dir = std::env::temp_dir().join(format!("depthbook-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("books.csv");
    let capture = fixture("binance_spot/hftbacktest_spot_btcusdt_20240808.gz");
    let text =
        export(&["--venue", "binance-spot", "--format", "csv", "--depth", "2"], &out, &capture);
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,asks[1].price,\
         asks[1].amount,bids[0].price,bids[0].amount,bids[1].price,bids[1].amount,seq,\
         generation,state,integrity"
    );
    let rows: Vec<Vec<&str>> = rows.map(|r| r.split(',').collect()).collect();
    let tob = json_lines(
        &depthbook(&["replay", "--venue", "binance-spot", "--emit", "tob", &capture]).stdout,
    );
    assert_eq!(rows.len(), tob.len());
    for (row, line) in rows.iter().zip(&tob) {
        assert_eq!(row.len(), 16);
        assert_eq!((row[0], row[1]), ("binance-spot", "BTCUSDT"));
        assert_eq!(
            [row[4], row[5]],
            [line["ask"][0].as_str().unwrap(), line["ask"][1].as_str().unwrap()]
        );
        assert_eq!(
            [row[8], row[9]],
            [line["bid"][0].as_str().unwrap(), line["bid"][1].as_str().unwrap()]
        );
        assert_eq!(row[12], line["seq"].to_string());
        assert_eq!((row[14], row[15]), ("live", line["integrity"].as_str().unwrap()));
        // Microseconds, as tardis writes them.
        assert!(row[3].parse::<i64>().unwrap() > 1_600_000_000_000_000);
    }

    // An OKX capture with one update lost: its checksum fails there, the book goes Stale,
    // and that is a row of its own until the resubscribe's snapshot.
    let faulty = okx_capture_with_a_lost_update(&dir);
    let out = dir.join("okx.csv");
    let okx_csv = ["--venue", "okx", "--format", "csv", "--depth", "1"];
    let text =
        export(&[&okx_csv[..], &["--every-update"]].concat(), &out, faulty.to_str().unwrap());
    let stale: Vec<&str> = text.lines().filter(|r| r.contains(",stale,")).collect();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert!(stale[0].contains(",,,,"), "a Stale row has no levels: {}", stale[0]);

    // One row a book every second of receive time.
    let okx = fixture("okx/cryptofeed_OKX.ws.1.0.txt");
    let text = export(&[&okx_csv[..], &["--interval", "1000"]].concat(), &out, &okx);
    let times: Vec<i64> =
        text.lines().skip(1).map(|r| r.split(',').nth(3).unwrap().parse().unwrap()).collect();
    assert!(times.len() > 3);
    assert!(times.iter().all(|t| t % 1_000_000 == 0), "rows on whole seconds");
    std::fs::remove_dir_all(dir).unwrap();
}

/// `depthbook export ARGS... --out OUT FILE`, which must succeed; the file written, as text
/// (lossy for Parquet, which is read with arrow-rs).
fn export(args: &[&str], out: &std::path::Path, file: &str) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend(["--out", out.to_str().unwrap(), file]);
    let run = depthbook(&all);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&std::fs::read(out).unwrap()).into_owned()
}

/// The OKX capture with its 41st update left out: the book's checksum fails there and it goes
/// Stale until the resubscribe's snapshot.
fn okx_capture_with_a_lost_update(dir: &std::path::Path) -> std::path::PathBuf {
    let lines: Vec<String> = std::fs::read_to_string(fixture("okx/cryptofeed_OKX.ws.1.0.txt"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let dropped = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains("\"action\":\"update\""))
        .nth(40)
        .unwrap()
        .0;
    let faulty = dir.join("okx_faulty.txt");
    let kept: Vec<&str> =
        lines.iter().enumerate().filter(|(i, _)| *i != dropped).map(|(_, l)| l.as_str()).collect();
    std::fs::write(&faulty, kept.join("\n") + "\n").unwrap();
    faulty
}

/// `export --format parquet`: the CSV's columns and rows, typed (UTC microsecond timestamps,
/// int64 `seq`, uint64 `generation`, exact decimal strings, nulls where the CSV is empty), on
/// a capture with a Stale interval; read back with arrow-rs's own reader.
#[test]
fn export_parquet_holds_the_csv_rows() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMicrosecondType, UInt64Type};
    use arrow_schema::{DataType, TimeUnit};

    let dir = std::env::temp_dir().join(format!("depthbook-cli-parquet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let faulty = okx_capture_with_a_lost_update(&dir);
    let faulty = faulty.to_str().unwrap();
    let (csv, parquet) = (dir.join("books.csv"), dir.join("books.parquet"));
    let csv = export(&["--venue", "okx", "--format", "csv", "--depth", "3"], &csv, faulty);
    export(&["--venue", "okx", "--format", "parquet", "--depth", "3"], &parquet, faulty);
    let mut csv_rows = csv.lines();
    let header: Vec<&str> = csv_rows.next().unwrap().split(',').collect();

    let file = std::fs::File::open(&parquet).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let schema = batch.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, header, "the CSV's columns, in its order");
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let mut columns: Vec<Vec<String>> = Vec::new();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            let text = |v: Option<String>| v.unwrap_or_default();
            columns.push(match field.name().as_str() {
                "timestamp" | "local_timestamp" => {
                    assert_eq!(field.data_type(), &utc);
                    let a = column.as_primitive::<TimestampMicrosecondType>();
                    a.iter().map(|v| text(v.map(|v| v.to_string()))).collect()
                }
                "seq" => {
                    let a = column.as_primitive::<Int64Type>();
                    a.iter().map(|v| text(v.map(|v| v.to_string()))).collect()
                }
                "generation" => {
                    let a = column.as_primitive::<UInt64Type>();
                    a.iter().map(|v| text(v.map(|v| v.to_string()))).collect()
                }
                _ => {
                    assert_eq!(field.data_type(), &DataType::Utf8, "{}", field.name());
                    let a = column.as_string::<i32>();
                    a.iter().map(|v| text(v.map(str::to_owned))).collect()
                }
            });
        }
        for i in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[i].clone()).collect());
        }
    }
    let csv_rows: Vec<Vec<&str>> = csv_rows.map(|r| r.split(',').collect()).collect();
    assert_eq!(rows.len(), csv_rows.len());
    let state = header.iter().position(|&h| h == "state").unwrap();
    assert_eq!(csv_rows.iter().filter(|r| r[state] == "stale").count(), 1);
    for (parquet_row, csv_row) in rows.iter().zip(&csv_rows) {
        assert_eq!(parquet_row, csv_row);
    }
    std::fs::remove_dir_all(dir).unwrap();
}
