//! With metrics on, a live feed from the loopback exchange exports every counter and both
//! latency histograms through the `metrics` facade (here into a Prometheus recorder, rendered
//! without HTTP). One test in this file: the recorder is global to the process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use depthbook_net::{Live, LiveConfig};
use depthbook_sim::{ServeConfig, Server};
use depthbook_venues::Venue;
use metrics_exporter_prometheus::PrometheusBuilder;

/// The value of the sample line `name{venue="okx"} value`.
fn sample(text: &str, name: &str) -> Option<f64> {
    let prefix = format!("{name}{{venue=\"okx\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok())
}

#[test]
fn a_live_feed_exports_its_counters_and_latency_histograms() {
    let handle = PrometheusBuilder::new()
        .set_buckets(&[1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
        .unwrap()
        .install_recorder()
        .unwrap();
    let capture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/okx/cryptofeed_OKX.ws.1.0.txt");
    let mut sim = ServeConfig::new(Venue::Okx, vec![capture]);
    sim.start_after = 2;
    let server = Server::start(SocketAddr::from(([127, 0, 0, 1], 0)), sim).unwrap();
    let addr = server.local_addr();
    let mut config = LiveConfig::new(Venue::Okx, vec!["BTC-USDT".into(), "UNI-USD-SWAP".into()]);
    config.ws_url = Some(format!("ws://{addr}/ws"));
    config.tick = Duration::from_millis(20);
    config.metrics = true;
    let mut live = Live::start(config).unwrap();
    // A deadline, not a measurement: the loopback sends the capture in well under a second.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut text = String::new();
    while Instant::now() < deadline {
        live.step();
        text = handle.render();
        if sample(&text, "depthbook_checksums_verified_total").is_some_and(|v| v >= 191.0) {
            break;
        }
    }
    let frames = live.engine().counters().frames;
    live.shutdown().unwrap();
    server.shutdown();
    assert_eq!(sample(&text, "depthbook_checksums_verified_total"), Some(191.0), "{text}");
    assert_eq!(sample(&text, "depthbook_checksum_failures_total"), Some(0.0));
    assert_eq!(sample(&text, "depthbook_live_books"), Some(2.0));
    assert!(sample(&text, "depthbook_connects_total").is_some_and(|v| v >= 1.0), "net counters");
    let applied = sample(&text, "depthbook_apply_seconds_count").unwrap();
    assert!(applied > 0.0 && applied <= frames as f64, "{applied} of {frames} frames timed");
    assert!(sample(&text, "depthbook_frame_to_publish_seconds_count").is_some_and(|n| n > 0.0));
    assert!(text.contains("depthbook_apply_seconds_bucket{venue=\"okx\",le=\"0.001\"}"), "buckets");
}
