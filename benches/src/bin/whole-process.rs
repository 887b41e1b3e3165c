//! Times whole processes on one capture: `depthbook replay --emit none` against the peers'
//! `sonic-replay` (sonic-rs + `BTreeMap`, with `f64` and with exact decimal numbers), after
//! checking that every program ends with the same book.
//!
//! ```text
//! whole-process DEPTHBOOK SONIC_REPLAY CAPTURE [RUNS]
//! ```
//!
//! The programs run in turn, `RUNS` rounds (default 11), output discarded; each figure is the
//! median wall time of its runs (the machine is shared: interleaving spreads its noise over
//! every program alike). Writes `target/depthbook-bench/whole_process.json` for `bench-report`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use depthbook_benches::report_dir;

/// One program under test: a name and its command line.
struct Program {
    name: &'static str,
    argv: Vec<String>,
}

fn run_quiet(argv: &[String]) -> Result<f64, String> {
    let start = Instant::now();
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", argv[0]))?;
    let seconds = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("{argv:?}: {status}"));
    }
    Ok(seconds)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [depthbook, peer, capture, rest @ ..] = &args[..] else {
        return Err("usage: whole-process DEPTHBOOK SONIC_REPLAY CAPTURE [RUNS]".into());
    };
    let runs: usize =
        rest.first().map_or(Ok(11), |r| r.parse()).map_err(|e| format!("RUNS: {e}"))?;
    if runs == 0 {
        return Err("RUNS: at least one".into());
    }
    let bytes = std::fs::metadata(capture).map_err(|e| format!("{capture}: {e}"))?.len();

    // The same work: depthbook's final book, then each peer mode checked against it.
    let final_path = report_dir().join("whole_process_final.json");
    let out = Command::new(depthbook)
        .args(["replay", "--venue", "binance-spot", "--final", capture])
        .output()
        .map_err(|e| format!("{depthbook}: {e}"))?;
    if !out.status.success() {
        return Err(format!("depthbook replay --final: {}", out.status));
    }
    std::fs::write(&final_path, &out.stdout).map_err(|e| e.to_string())?;
    let counters = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_owned();
    let expect = final_path.display().to_string();
    for numbers in ["f64", "decimal"] {
        let status = Command::new(peer)
            .args(["--numbers", numbers, "--expect", &expect, capture])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("{peer}: {e}"))?;
        if !status.success() {
            return Err(format!("sonic-replay --numbers {numbers} ends with another book"));
        }
    }

    let programs = [
        Program {
            name: "depthbook",
            argv: [depthbook, "replay", "--venue", "binance-spot", "--emit", "none", capture]
                .map(String::from)
                .to_vec(),
        },
        Program {
            name: "sonic_btreemap_f64",
            argv: [peer, "--numbers", "f64", capture].map(String::from).to_vec(),
        },
        Program {
            name: "sonic_btreemap_decimal",
            argv: [peer, "--numbers", "decimal", capture].map(String::from).to_vec(),
        },
    ];
    let mut times = vec![Vec::with_capacity(runs); programs.len()];
    // One warm-up round (page cache, binaries), not counted.
    for p in &programs {
        run_quiet(&p.argv)?;
    }
    for _ in 0..runs {
        for (p, t) in programs.iter().zip(&mut times) {
            t.push(run_quiet(&p.argv)?);
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let fastest_peer = medians[1..].iter().copied().fold(f64::MAX, f64::min);
    let ratio = fastest_peer / medians[0];
    let mut json = format!(
        "{{\"capture\":\"{}\",\"bytes\":{bytes},\"runs\":{runs},\"counters\":{counters},\"seconds\":{{",
        Path::new(capture)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    );
    for (i, (p, m)) in programs.iter().zip(&medians).enumerate() {
        json.push_str(&format!("{}\"{}\":{m:.6}", if i > 0 { "," } else { "" }, p.name));
    }
    json.push_str(&format!("}},\"ratio_to_fastest_peer\":{ratio:.4}}}\n"));
    let path = report_dir().join("whole_process.json");
    std::fs::write(&path, &json).map_err(|e| format!("{}: {e}", path.display()))?;
    for (p, m) in programs.iter().zip(&medians) {
        println!("{:<24} {:>8.1} ms  {:>6.0} MB/s", p.name, m * 1e3, bytes as f64 / m / 1e6);
    }
    println!(
        "depthbook is {ratio:.2}x the fastest peer ({runs} rounds, medians); same final book checked"
    );
    Ok(())
}
