//! The committed Rust code of the wire schema is what prost-build generates from
//! `proto/depthbook_bus_v1.proto` (compiled by protox: no protoc needed). After changing the
//! schema, regenerate with `UPDATE_SCHEMA=1 cargo test -p depthbook-bus --test schema`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn the_generated_code_is_the_schema_s() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let descriptors = protox::compile(["depthbook_bus_v1.proto"], [root.join("proto")])
        .expect("the schema compiles");
    let out = std::env::temp_dir().join(format!("depthbook-bus-schema-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    prost_build::Config::new().out_dir(&out).compile_fds(descriptors).expect("prost-build");
    let generated = std::fs::read_to_string(out.join("depthbook.bus.v1.rs")).unwrap();
    std::fs::remove_dir_all(&out).ok();
    let committed_path = root.join("src/schema/depthbook.bus.v1.rs");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "src/schema/depthbook.bus.v1.rs is not what the schema generates: run \
         UPDATE_SCHEMA=1 cargo test -p depthbook-bus --test schema"
    );
}
