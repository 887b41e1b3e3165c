//! 2,000 books across two venues in one process: `depthbook live --config` against two
//! loopback exchanges serving synthetic streams derived from seeded books (1,000 OKX
//! instruments with their checksums, 1,000 Binance spot instruments with REST snapshots),
//! split into connections within each venue's limit and dealt to two shards. At the end every
//! book is Live and equal to the exchange's truth (a replay of the stream it served), every
//! checksum verified. The venues' own limits are kept (Binance: 30 symbols a connection, one
//! connection a second, REST snapshots within its weight budget), so it takes about three
//! minutes of wall time, little of it CPU: ignored by `cargo test`, run by `.ci/run`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use depthbook_testkit::synthetic::{BinanceShape, OkxShape};
use depthbook_testkit::write_temp_capture;

const BOOKS_A_VENUE: usize = 1_000;

mod support;

use support::{depthbook, json_lines, live_config_final, serve};

#[test]
#[ignore = "about three minutes of wall time (Binance's REST weight budget paces its 1,000 \
            snapshots, its connection rate its 34 connections): .ci/run runs it with --ignored"]
fn two_thousand_books_on_two_venues_end_live_and_equal_to_the_truth() {
    let okx = OkxShape {
        instruments: BOOKS_A_VENUE,
        levels: 50,
        updates: 6_000,
        changes_per_update: 4,
        seed: 11,
    }
    .generate();
    let okx_capture = write_temp_capture("many_okx.txt", &okx.capture());
    let binance = BinanceShape {
        instruments: BOOKS_A_VENUE,
        levels: 50,
        updates: 6_000,
        changes_per_update: 4,
        seed: 12,
    };
    let binance_capture = write_temp_capture("many_binance.txt", &binance.capture());
    let (okx_path, binance_path) =
        (okx_capture.to_str().unwrap(), binance_capture.to_str().unwrap());

    let okx_server = serve(&["--port", "0", "--venue", "okx", okx_path]);
    let binance_server = serve(&["--port", "0", "--venue", "binance-spot", binance_path]);
    let quoted = |symbols: Vec<String>| {
        symbols.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ")
    };
    let okx_symbols = quoted(okx.symbols.clone());
    let binance_symbols = quoted((0..BOOKS_A_VENUE).map(|i| format!("S{i}USDT")).collect());
    let config = okx_capture.with_file_name("many.toml");
    std::fs::write(
        &config,
        format!(
            r#"shards = 2

[[feed]]
venue = "okx"
symbols = [{okx_symbols}]
url = "ws://{okx}/ws/v5/public"
per_connection = 200
watchdog = 0

[[feed]]
venue = "binance-spot"
symbols = [{binance_symbols}]
url = "ws://{binance}/ws"
rest_url = "http://{binance}"
per_connection = 200
watchdog = 0
"#,
            okx = okx_server.addr,
            binance = binance_server.addr
        ),
    )
    .unwrap();
    // Ends 3 s after the last input: the exchanges go quiet once their streams are played and
    // every REST snapshot was served (Binance's are paced by its weight budget, and its
    // connections by its connection rate: about a minute in all).
    let run = live_config_final(&config, &[], "5", "240");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let counters: serde_json::Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    // OKX: 200 a connection; Binance: its own limit, 30 a connection.
    assert_eq!(counters["connections"], 5 + 34, "{counters}");
    assert_eq!(counters["books"], 2 * BOOKS_A_VENUE, "{counters}");
    assert_eq!(counters["books_live"], 2 * BOOKS_A_VENUE, "{counters}");
    assert_eq!(counters["checksum_failures"], 0, "{counters}");
    assert_eq!(counters["gaps"], 0, "{counters}");
    assert!(counters["checksums_verified"].as_u64().unwrap() >= BOOKS_A_VENUE as u64);

    let finals = json_lines(&run.stdout);
    assert_eq!(finals.len(), 2 * BOOKS_A_VENUE);
    let mut truth =
        json_lines(&depthbook(&["replay", "--venue", "okx", "--final", okx_path]).stdout);
    truth.extend(json_lines(
        &depthbook(&["replay", "--venue", "binance-spot", "--final", binance_path]).stdout,
    ));
    let key = |v: &serde_json::Value| format!("{}/{}", v["venue"], v["symbol"]);
    let truth: std::collections::HashMap<String, serde_json::Value> =
        truth.into_iter().map(|v| (key(&v), v)).collect();
    for line in &finals {
        assert_eq!(line["state"], "live", "{}", key(line));
        assert_eq!(Some(line), truth.get(&key(line)), "{}", key(line));
    }
    let _ = std::fs::remove_dir_all(okx_capture.parent().unwrap());
    let _ = std::fs::remove_dir_all(binance_capture.parent().unwrap());
}
