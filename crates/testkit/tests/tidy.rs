//! Architecture invariants of ARCHITECTURE.md, checked on the source tree (rust-analyzer's
//! "tidy" tests): which crate may depend on which, which crates do no IO, one crate with
//! `anyhow`, no `unsafe` anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Each workspace crate's folder name and the names of its normal (not dev) dependencies.
fn dependencies() -> BTreeMap<String, Vec<String>> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                in_deps = line == "[dependencies]";
                continue;
            }
            if in_deps && !line.is_empty() && !line.starts_with('#') {
                let name = line.split(['=', '.', ' ']).next().unwrap().trim();
                deps.push(name.to_owned());
            }
        }
        all.insert(dir.file_name().unwrap().to_string_lossy().into_owned(), deps);
    }
    all
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn dependencies_flow_one_way() {
    let deps = dependencies();
    // The crates each crate may depend on, of the workspace's (ARCHITECTURE.md, Invariants).
    let allowed: &[(&str, &[&str])] = &[
        ("core", &[]),
        ("latest", &[]),
        ("venues", &["depthbook-core"]),
        ("engine", &["depthbook-core", "depthbook-venues", "depthbook-latest"]),
        ("capture", &["depthbook-core", "depthbook-venues", "depthbook-engine"]),
        ("net", &["depthbook-core", "depthbook-venues", "depthbook-engine", "depthbook-capture"]),
        (
            "sim",
            &[
                "depthbook-core",
                "depthbook-venues",
                "depthbook-engine",
                "depthbook-capture",
                "depthbook-net",
            ],
        ),
        ("bus", &["depthbook-core", "depthbook-venues", "depthbook-engine"]),
    ];
    for (krate, may) in allowed {
        let Some(actual) = deps.get(*krate) else { panic!("no crate {krate}") };
        for dep in actual.iter().filter(|d| d.starts_with("depthbook")) {
            assert!(may.contains(&dep.as_str()), "crates/{krate} depends on {dep}");
        }
    }
}

#[test]
fn the_core_crates_do_no_io() {
    let deps = dependencies();
    let io = ["tokio", "tokio-tungstenite", "reqwest", "axum", "async-nats", "rustls"];
    for krate in ["core", "venues", "engine", "latest"] {
        for dep in &deps[krate] {
            assert!(!io.contains(&dep.as_str()), "crates/{krate} depends on {dep}, which does IO");
        }
        let mut files = Vec::new();
        rust_files(&crates_dir().join(krate).join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for forbidden in ["std::fs", "std::net", "SystemTime::now", "Instant::now"] {
                assert!(!text.contains(forbidden), "{} uses {forbidden}", file.display());
            }
        }
    }
}

#[test]
fn anyhow_only_in_the_binary() {
    for (krate, deps) in dependencies() {
        if krate != "cli" {
            assert!(!deps.iter().any(|d| d == "anyhow"), "crates/{krate} depends on anyhow");
        }
    }
}

#[test]
fn every_crate_forbids_unsafe_code() {
    for krate in dependencies().keys() {
        let src = crates_dir().join(krate).join("src");
        let root = ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.exists());
        let root = root.unwrap_or_else(|| panic!("crates/{krate} has no lib.rs or main.rs"));
        let text = std::fs::read_to_string(&root).unwrap();
        assert!(
            text.contains("#![forbid(unsafe_code)]"),
            "{} does not forbid unsafe",
            root.display()
        );
    }
}
