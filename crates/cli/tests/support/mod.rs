//! What the command-line test files share: the repository, the binary, its JSON lines, and the
//! loopback exchange (`depthbook serve`) on a free port.

// Each test file uses a part of it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn fixture(relative: &str) -> String {
    repo().join("fixtures").join(relative).to_string_lossy().into_owned()
}

pub(crate) fn depthbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_depthbook")).args(args).current_dir(repo()).output().unwrap()
}

/// `depthbook live --config CONFIG --final`, ending `idle_exit` seconds after its last input
/// (at most `duration` seconds in all), with `extra` arguments before those.
pub(crate) fn live_config_final(
    config: &std::path::Path,
    extra: &[&str],
    idle_exit: &str,
    duration: &str,
) -> Output {
    let config = config.to_str().unwrap();
    let mut args = vec!["live", "--config", config];
    args.extend_from_slice(extra);
    args.extend(["--final", "--idle-exit", idle_exit, "--duration", duration]);
    depthbook(&args)
}

pub(crate) fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The last line of `bytes` as JSON: the counters line a run prints on stderr.
pub(crate) fn last_json_line(bytes: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(text.lines().last().expect("a counters line")).unwrap()
}

/// `depthbook serve` on a free port; its address is read from its first stderr line. Killed on
/// drop.
pub(crate) struct Served {
    pub(crate) child: std::process::Child,
    pub(crate) addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `depthbook serve ARGS...` (`--port 0 --venue V FILE...`).
pub(crate) fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_depthbook"))
        .arg("serve")
        .args(args)
        .current_dir(repo())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap()).read_line(&mut first).unwrap();
    let addr = first
        .split("ws://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_owned();
    Served { child, addr }
}
