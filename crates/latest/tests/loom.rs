//! Model checking of the seqlock's orderings: every interleaving (and every reordering the
//! memory model allows) of a writer and readers. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p depthbook-latest --test loom --release`.

#![cfg(loom)]
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use depthbook_latest::cell;

/// Every interleaving with up to three preemptions: tears need one, and the bound keeps the
/// models to seconds.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

/// A value whose words must agree: (k, k + 1, k ^ 0xff).
fn value(k: u64) -> [u64; 3] {
    [k, k + 1, k ^ 0xff]
}

fn whole(v: [u64; 3]) -> bool {
    v[1] == v[0] + 1 && v[2] == v[0] ^ 0xff
}

#[test]
fn a_reader_never_sees_a_torn_value() {
    model(|| {
        let (mut writer, reader) = cell(value(0));
        let t = loom::thread::spawn(move || {
            let mut last = 0;
            for _ in 0..2 {
                if let Some(v) = reader.try_read() {
                    assert!(whole(v), "torn: {v:?}");
                    assert!(v[0] >= last, "went back in time: {v:?}");
                    last = v[0];
                }
            }
        });
        writer.write(&value(1));
        writer.write(&value(2));
        t.join().unwrap();
    });
}

#[test]
fn two_readers_and_a_blocking_read() {
    model(|| {
        let (mut writer, reader) = cell(value(0));
        let second = reader.clone();
        let t1 = loom::thread::spawn(move || assert!(whole(reader.read())));
        let t2 = loom::thread::spawn(move || {
            if let Some(v) = second.try_read() {
                assert!(whole(v));
            }
        });
        writer.write(&value(7));
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

#[test]
fn after_the_writer_is_done_readers_see_its_last_value() {
    model(|| {
        let (mut writer, reader) = cell(value(0));
        let t = loom::thread::spawn(move || {
            writer.write(&value(1));
            writer.write(&value(2));
        });
        t.join().unwrap();
        assert_eq!(reader.read(), value(2));
    });
}
