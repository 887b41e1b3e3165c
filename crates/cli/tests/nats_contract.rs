//! The bus's command-line contract against a real nats-server (Debian's `nats-server`):
//! `depthbook replay --nats` publishes, `depthbook subscribe` prints, for every view the
//! replay publishes, the same line (without `line`, with `generation`), and ends with the same
//! final books, whether it started before the replay or after it ended.
//!
//! Ignored by default (the README's `cargo test` needs no server): `.ci/run` installs
//! nats-server and runs it with `cargo test -p depthbook-cli --test nats_contract -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command, Stdio};

use depthbook_testkit::nats_server::NatsServer;

mod support;

use support::{depthbook, json_lines, last_json_line, live_config_final, repo, serve};

/// A subscriber started in the background, returned once it said it is subscribed.
fn subscribe(url: &str, extra: &[&str]) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_depthbook"))
        .args(["subscribe", "--nats", url, "--venue", "binance-spot"])
        .args(extra)
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("subscribed"), "the subscriber said `{first}`");
    // The rest of stderr (the counters line) is read after it exits.
    child.stderr = Some(stderr.into_inner());
    child
}

fn finish(mut child: std::process::Child) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut stdout = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut stdout).unwrap();
    let mut stderr = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
    assert!(child.wait().unwrap().success(), "{}", String::from_utf8_lossy(&stderr));
    (json_lines(&stdout), last_json_line(&stderr))
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn subscribers_print_what_the_replay_publishes() {
    let server = NatsServer::start();
    let url = server.url();
    let capture = "fixtures/binance_spot/hftbacktest_spot_btcusdt_20240808.gz";
    let before = subscribe(&url, &["--emit", "tob", "--final", "--idle-exit", "5"]);

    let replay = depthbook(&[
        "replay",
        "--venue",
        "binance-spot",
        "--emit",
        "tob",
        "--final",
        "--nats",
        &url,
        // The stream reserves this much of the test server's storage (the default is 1 GiB).
        "--stream-max-bytes",
        "67108864",
        capture,
    ]);
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let counters = last_json_line(&replay.stderr);
    assert_eq!(counters["bus_failed"], 0, "{counters}");
    assert_eq!(counters["bus_acked"], counters["bus_messages"], "{counters}");
    // Publishing changes nothing the replay prints.
    let plain =
        depthbook(&["replay", "--venue", "binance-spot", "--emit", "tob", "--final", capture]);
    assert_eq!(plain.stdout, replay.stdout);

    let replayed = json_lines(&replay.stdout);
    let (views, finals): (Vec<_>, Vec<_>) =
        replayed.into_iter().partition(|line| line.get("line").is_some());
    assert!(views.len() > 3_000, "{} views", views.len());

    let (printed, sub_counters) = finish(before);
    let (sub_views, sub_finals): (Vec<_>, Vec<_>) =
        printed.into_iter().partition(|line| line.get("generation").is_some());
    assert_eq!(sub_views.len(), views.len(), "one line per view the replay published");
    for (i, (mine, theirs)) in sub_views.iter().zip(&views).enumerate() {
        let mut mine = mine.clone();
        let mut theirs = theirs.clone();
        assert!(mine["generation"].as_u64().unwrap() >= 1);
        mine.as_object_mut().unwrap().remove("generation");
        theirs.as_object_mut().unwrap().remove("line");
        assert_eq!(mine, theirs, "view {i}");
    }
    assert_eq!(sub_finals, finals, "the same final books");
    assert_eq!(sub_counters["gaps"], 0, "{sub_counters}");

    // Started after the replay ended: the same final books, from the kept snapshot and the
    // messages after it.
    let after = subscribe(&url, &["--emit", "none", "--final", "--idle-exit", "2"]);
    let (late_finals, late_counters) = finish(after);
    assert_eq!(late_finals, finals, "the same final books, started late");
    assert!(late_counters["kept"].as_u64().unwrap() >= 1, "{late_counters}");

    // depth:N lines carry the replay's levels.
    let depth = subscribe(&url, &["--emit", "depth:5", "--idle-exit", "2", "--duration", "30"]);
    let (depth_lines, _) = finish(depth);
    for line in &depth_lines {
        assert!(line["bids"].as_array().unwrap().len() <= 5);
        assert!(line["asks"].as_array().unwrap().len() <= 5);
    }
}

#[test]
fn subscribe_refuses_bad_arguments_in_one_line() {
    for args in [
        &["subscribe", "--venue", "binance-spot"][..],
        &["subscribe", "--nats", "nats://127.0.0.1:1", "--venue", "nowhere"],
        &["subscribe", "--nats", "nats://127.0.0.1:1", "--venue", "okx", "--emit", "depth:0"],
        &["subscribe", "--nats", "nats://127.0.0.1:1", "--venue", "okx", "--idle-exit", "-1"],
        // A stream size means nothing without a stream.
        &["replay", "--venue", "okx", "--stream-max-bytes", "67108864", "x.txt"],
    ] {
        let out = depthbook(args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
    // No server: a clear error, not a hang.
    let out = depthbook(&["subscribe", "--nats", "nats://127.0.0.1:1", "--venue", "okx"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot"));
}

#[test]
#[ignore = "needs nats-server (Debian's package): .ci/run runs it with --ignored"]
fn a_live_config_publishes_every_connection_s_books_through_one_publisher() {
    let server = NatsServer::start();
    let url = server.url();
    let okx = serve(&["--port", "0", "--venue", "okx", "fixtures/okx/cryptofeed_OKX.ws.1.0.txt"]);
    let binance = serve(&[
        "--port",
        "0",
        "--venue",
        "binance-spot",
        "fixtures/binance_spot/cryptofeed_BINANCE.ws.1.0.txt",
        "fixtures/binance_spot/cryptofeed_BINANCE.http.0.0.txt",
    ]);
    let dir = std::env::temp_dir().join(format!("depthbook-nats-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("books.toml");
    std::fs::write(
        &config,
        format!(
            "shards = 2\nnats = \"{url}\"\n\n[[feed]]\nvenue = \"okx\"\nsymbols = [\"BTC-USD-220527\", \"BTC-USDT\", \"UNI-USD-SWAP\"]\nurl = \"ws://{o}/ws/v5/public\"\nper_connection = 2\nwatchdog = 0\n\n[[feed]]\nvenue = \"binance-spot\"\nsymbols = [\"NKNUSDT\", \"LRCBTC\"]\nurl = \"ws://{b}/ws\"\nrest_url = \"http://{b}\"\nper_connection = 1\nwatchdog = 0\n",
            o = okx.addr,
            b = binance.addr
        ),
    )
    .unwrap();
    // 5 s of quiet ends it: longer than a REST book's wait for its first snapshot when no
    // delta comes (2 s), as the loopback's replay may be over before the second Binance
    // connection subscribes.
    let live = live_config_final(&config, &[], "5", "60");
    assert!(live.status.success(), "{}", String::from_utf8_lossy(&live.stderr));
    let counters = last_json_line(&live.stderr);
    assert_eq!(counters["connections"], 4, "{counters}");
    assert_eq!(counters["books_live"], 5, "{counters}");
    assert_eq!(counters["bus_failed"], 0, "{counters}");
    assert_eq!(counters["bus_acked"], counters["bus_messages"], "{counters}");
    let finals = json_lines(&live.stdout);
    // Each venue's books, read back from the bus by a subscriber started afterwards.
    for venue in ["okx", "binance-spot"] {
        let mut args = vec!["subscribe", "--nats", url.as_str(), "--venue", venue];
        args.extend(["--emit", "none", "--final", "--idle-exit", "2"]);
        let out = depthbook(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut held = json_lines(&out.stdout);
        let mut published: Vec<_> =
            finals.iter().filter(|f| f["venue"] == venue).cloned().collect();
        let by_symbol = |v: &serde_json::Value| v["symbol"].as_str().unwrap_or_default().to_owned();
        held.sort_by_key(by_symbol);
        published.sort_by_key(by_symbol);
        assert_eq!(held, published, "{venue}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
