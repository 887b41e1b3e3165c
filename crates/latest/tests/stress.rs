//! Many readers against a writer that never pauses: every value read must be whole (its
//! embedded checksum holds) and no reader may see values go back in time. Pass/fail only: how
//! fast it runs is the benchmarks' business.
//!
//! A plain program (`harness = false`) so that ThreadSanitizer sees only this code's threads,
//! not libtest's uninstrumented channels:
//! `RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" cargo +nightly test
//! -p depthbook-latest --test stress --target x86_64-unknown-linux-gnu`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use depthbook_latest::cell;

const WORDS: usize = 12;

/// Value number `k`: words derived from `k`, the last one a checksum of the others.
fn value(k: u64) -> [u64; WORDS] {
    let mut v = [0u64; WORDS];
    for (i, w) in v.iter_mut().enumerate().take(WORDS - 1) {
        *w = k.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32 * 5) ^ i as u64;
    }
    v[0] = k;
    v[WORDS - 1] = checksum(&v);
    v
}

fn checksum(v: &[u64; WORDS]) -> u64 {
    v[..WORDS - 1].iter().fold(0xcbf2_9ce4_8422_2325, |h, &w| (h ^ w).wrapping_mul(0x100_0000_01b3))
}

fn main() {
    readers_never_see_a_torn_or_older_value();
    println!("stress: ok");
}

fn readers_never_see_a_torn_or_older_value() {
    const WRITES: u64 = 1_000_000;
    let (mut writer, reader) = cell(value(0));
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let reader = reader.clone();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let (mut last, mut reads) = (0u64, 0u64);
                while !done.load(Ordering::Relaxed) {
                    let v = reader.read();
                    assert_eq!(v[WORDS - 1], checksum(&v), "torn value {v:?}");
                    assert!(v[0] >= last, "went back from {last} to {}", v[0]);
                    last = v[0];
                    reads += 1;
                }
                (last, reads)
            })
        })
        .collect();
    for k in 1..=WRITES {
        writer.write(&value(k));
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        let (last, reads) = r.join().unwrap();
        assert!(last <= WRITES && reads > 0);
    }
    assert_eq!(reader.read(), value(WRITES));
}
