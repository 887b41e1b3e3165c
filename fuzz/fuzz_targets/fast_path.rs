//! The decode fast path against simd-json: the first byte picks the venue, the rest is split
//! at newlines into stream frames, each decoded by two decoders of that venue (fast path on and
//! off, each with its own symbol table). On every frame both must return the same result and
//! output and register the same instruments (`depthbook_testkit::fast_path::FastPathCheck`):
//! the fast path declines or decodes exactly as the general path does.

#![no_main]

use depthbook_testkit::fast_path::FastPathCheck;
use depthbook_venues::{Frame, Venue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let venue = Venue::ALL[usize::from(pick) % Venue::ALL.len()];
    let mut check = FastPathCheck::new(venue);
    for bytes in rest.split(|&b| b == b'\n') {
        if let Err(difference) = check.frame(&Frame::stream(bytes)) {
            panic!("{venue}: {difference}");
        }
    }
});
