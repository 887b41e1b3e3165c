//! Inflating gzip frames (HTX compresses every WebSocket frame) without allocating in steady
//! state: one decompressor and one output buffer, reused frame after frame.
//!
//! The member is checked as RFC 1952 says: magic, method, reserved flag bits, the optional
//! header fields, then the trailer's CRC32 and length against what was inflated. The output is
//! capped; a frame that would inflate past the cap is refused as soon as it gets there.

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::DecodeError;

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xE0;

/// Whether `bytes` starts like a gzip member.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// A reusable gzip inflater.
pub(crate) struct Inflater {
    decompress: Decompress,
    out: Vec<u8>,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater").field("capacity", &self.out.capacity()).finish_non_exhaustive()
    }
}

impl Inflater {
    pub(crate) fn new() -> Self {
        Self { decompress: Decompress::new(false), out: Vec::with_capacity(4096) }
    }

    /// Frees the output buffer if an outlier frame grew it past `retain` bytes.
    pub(crate) fn trim(&mut self, retain: usize) {
        if self.out.capacity() > retain {
            self.out = Vec::with_capacity(4096);
        }
    }

    /// Inflates the gzip member `gz`, refusing output longer than `max` bytes.
    pub(crate) fn inflate(&mut self, gz: &[u8], max: usize) -> Result<&[u8], DecodeError> {
        let bad = DecodeError::Inflate;
        let body_start = header_len(gz).ok_or(bad("bad gzip header"))?;
        let trailer_at = gz.len().checked_sub(8).filter(|&t| t >= body_start);
        let trailer_at = trailer_at.ok_or(bad("gzip frame too short"))?;
        let word = |at: usize| u32::from_le_bytes([gz[at], gz[at + 1], gz[at + 2], gz[at + 3]]);
        let (crc, size) = (word(trailer_at), word(trailer_at + 4) as usize);
        if size > max {
            return Err(DecodeError::FrameTooLarge { len: size, max });
        }
        let body = &gz[body_start..trailer_at];
        self.decompress.reset(false);
        self.out.clear();
        // The trailer's size is the usual length: one reservation in steady state.
        self.out.reserve(size.saturating_add(1).min(max.saturating_add(1)));
        loop {
            let (read, written) = (self.decompress.total_in(), self.out.len());
            let input = body.get(read as usize..).unwrap_or(&[]);
            let status = self
                .decompress
                .decompress_vec(input, &mut self.out, FlushDecompress::Finish)
                .map_err(|_| bad("corrupt deflate data"))?;
            if self.out.len() > max {
                return Err(DecodeError::FrameTooLarge { len: self.out.len(), max });
            }
            if status == Status::StreamEnd {
                break;
            }
            if self.out.len() == self.out.capacity() {
                // Out of room: grow, never past the cap (plus one byte to see it exceeded).
                let more = self.out.capacity().max(4096).min(max + 1 - self.out.len());
                self.out.reserve(more);
            } else if self.decompress.total_in() == read && self.out.len() == written {
                // Room to write, and yet no progress: the deflate stream ended early.
                return Err(bad("truncated deflate data"));
            }
        }
        if self.out.len() != size || crc32fast::hash(&self.out) != crc {
            return Err(bad("gzip trailer does not match the data"));
        }
        Ok(&self.out)
    }
}

/// The length of the member's header, if it is a valid deflate gzip header.
fn header_len(gz: &[u8]) -> Option<usize> {
    if gz.len() < 10 || !is_gzip(gz) || gz[2] != 8 || gz[3] & RESERVED != 0 {
        return None;
    }
    let flags = gz[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let xlen = usize::from(u16::from_le_bytes([*gz.get(at)?, *gz.get(at + 1)?]));
        at += 2 + xlen;
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            at += gz.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    (at <= gz.len()).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflates_and_checks_the_trailer() {
        let mut inflater = Inflater::new();
        let data = br#"{"ch":"market.btcusdt.depth.step0","tick":{"bids":[[1,2]],"asks":[]}}"#;
        assert_eq!(inflater.inflate(&gzip(data), 1 << 20).unwrap(), data);
        let big = vec![b'x'; 100_000];
        assert_eq!(inflater.inflate(&gzip(&big), 1 << 20).unwrap(), &big[..]);
        // Reused: a second frame inflates the same way.
        assert_eq!(inflater.inflate(&gzip(data), 1 << 20).unwrap(), data);
    }

    #[test]
    fn refuses_corrupt_truncated_and_oversized_members() {
        let mut inflater = Inflater::new();
        let good = gzip(&vec![b'y'; 10_000]);
        let mut flipped = good.clone();
        let n = flipped.len();
        flipped[n - 9] ^= 0x40;
        assert!(inflater.inflate(&flipped, 1 << 20).is_err());
        let mut crc = good.clone();
        crc[n - 8] ^= 1;
        assert!(inflater.inflate(&crc, 1 << 20).is_err());
        assert!(inflater.inflate(&good[..good.len() / 2], 1 << 20).is_err());
        assert!(inflater.inflate(&good[..5], 1 << 20).is_err());
        assert!(matches!(inflater.inflate(&good, 1000), Err(DecodeError::FrameTooLarge { .. })));
        // A lying trailer cannot make the output exceed the cap either.
        let mut lying = good.clone();
        lying[n - 4..].copy_from_slice(&10u32.to_le_bytes());
        assert!(inflater.inflate(&lying, 1000).is_err());
        let mut reserved = good;
        reserved[3] = 0x80;
        assert!(inflater.inflate(&reserved, 1 << 20).is_err());
        // Still usable after errors.
        assert_eq!(inflater.inflate(&gzip(b"{}"), 1 << 20).unwrap(), b"{}");
    }
}
