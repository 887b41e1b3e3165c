//! Fault injection: which forwarded frames are dropped, duplicated, reordered or corrupted,
//! which connection is cut or stalled, which REST requests are refused or delayed.
//!
//! Frame numbers count the delta book frames of the one global replay, 1-based, whether or not
//! anyone is subscribed to their symbol; so a fault hits every subscriber of that frame's
//! symbol the same way, and a test can find frame N in the capture itself.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Faults to inject; the default injects none.
///
/// Frame faults name delta frames by their 1-based number among the frames of the capture's
/// own channel, and separately among the frames of each stream the server derives (HTX `mbp`,
/// Bybit `orderbook.full`): `drop: vec![5]` drops the fifth of each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// Delta frames never sent.
    pub drop: Vec<u64>,
    /// Delta frames sent twice in a row.
    pub duplicate: Vec<u64>,
    /// Delta frames N swapped with frame N+1 (N is held back and sent right after N+1, or at
    /// the end of the capture if there is no N+1).
    pub reorder: Vec<u64>,
    /// Delta frames in which one level's size text is changed to another valid number of the
    /// same length (the last non-zero digit bumped), preferring a level near the touch so that
    /// a checksum venue detects it. Binance cannot detect it.
    pub corrupt: Vec<u64>,
    /// The first connection to have received this many delta frames is dropped abruptly: the
    /// TCP connection closes without a WebSocket close frame. Once per server run.
    pub disconnect_after: Option<u64>,
    /// The first connection to have received this many delta frames stops sending anything and
    /// stops reading (so it answers no pings), keeping its TCP connection open until the server
    /// shuts down. Once per server run.
    pub stall_after: Option<u64>,
    /// The first connection to have received this many delta frames (the first number) sends
    /// no book data for the given time, then goes on where it stopped. It keeps reading and
    /// answering pings meanwhile, so only a per-book watchdog can tell. Once per server run.
    pub pause_after: Option<(u64, Duration)>,
    /// The first this-many REST requests are answered 429 with `Retry-After: 1`.
    pub refuse_rest: u32,
    /// Every REST answer waits this long.
    pub delay_rest: Duration,
}

/// What happens to one delta frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FrameFaults {
    pub(crate) drop: bool,
    pub(crate) duplicate: bool,
    pub(crate) reorder: bool,
    pub(crate) corrupt: bool,
}

/// What happens to a connection that just received a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionFault {
    /// Close the TCP connection without a close frame.
    Disconnect,
    /// Stop reading and writing, keep the connection open.
    Stall,
    /// Send no book data for this long, keep answering.
    Pause(Duration),
}

/// [`Faults`] ready for lookups, with the once-per-run flags. Shared by every task of a server.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    drop: HashSet<u64>,
    duplicate: HashSet<u64>,
    reorder: HashSet<u64>,
    corrupt: HashSet<u64>,
    disconnect_after: Option<u64>,
    stall_after: Option<u64>,
    pause_after: Option<(u64, Duration)>,
    disconnect_used: AtomicBool,
    stall_used: AtomicBool,
    pause_used: AtomicBool,
    refuse_rest: u64,
    rest_requests: AtomicU64,
    pub(crate) delay_rest: Duration,
}

impl FaultPlan {
    pub(crate) fn new(faults: &Faults) -> Self {
        let set = |v: &[u64]| v.iter().copied().collect::<HashSet<_>>();
        Self {
            drop: set(&faults.drop),
            duplicate: set(&faults.duplicate),
            reorder: set(&faults.reorder),
            corrupt: set(&faults.corrupt),
            disconnect_after: faults.disconnect_after,
            stall_after: faults.stall_after,
            pause_after: faults.pause_after,
            disconnect_used: AtomicBool::new(false),
            stall_used: AtomicBool::new(false),
            pause_used: AtomicBool::new(false),
            refuse_rest: u64::from(faults.refuse_rest),
            rest_requests: AtomicU64::new(0),
            delay_rest: faults.delay_rest,
        }
    }

    /// The faults for delta frame `n` (1-based).
    pub(crate) fn for_frame(&self, n: u64) -> FrameFaults {
        FrameFaults {
            drop: self.drop.contains(&n),
            duplicate: self.duplicate.contains(&n),
            reorder: self.reorder.contains(&n),
            corrupt: self.corrupt.contains(&n),
        }
    }

    /// Called by a connection after it wrote its `received`-th delta frame: claims the
    /// disconnect, stall or pause fault if this is the first connection to get that far.
    pub(crate) fn after_frames(&self, received: u64) -> Option<ConnectionFault> {
        let claim = |flag: &AtomicBool| !flag.swap(true, Ordering::AcqRel);
        if self.disconnect_after == Some(received) && claim(&self.disconnect_used) {
            return Some(ConnectionFault::Disconnect);
        }
        if self.stall_after == Some(received) && claim(&self.stall_used) {
            return Some(ConnectionFault::Stall);
        }
        if let Some((after, pause)) = self.pause_after
            && after == received
            && claim(&self.pause_used)
        {
            return Some(ConnectionFault::Pause(pause));
        }
        None
    }

    /// Counts a REST request; true if it is one of the first `refuse_rest`, to be refused.
    pub(crate) fn refuse_rest(&self) -> bool {
        self.rest_requests.fetch_add(1, Ordering::AcqRel) < self.refuse_rest
    }
}

/// One level's price and size text inside a raw frame.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LevelSpan {
    price: Range<usize>,
    size: Range<usize>,
}

/// Changes one level's size text in `frame` to another valid number of the same length: its
/// last non-zero mantissa digit is bumped (9 becomes 8), or an all-zero size gets a final 1.
/// The level is the first whose price text `prefer` accepts, else the first with a non-zero
/// size, else the first. Returns false when the frame holds no level (nothing is changed).
///
/// Levels are found by their spelling on the wire, so every venue's frame works: string pairs
/// `["price","size",...]` (Binance, OKX, Kraken v1) and `"price":p,"qty":q` (Kraken v2).
pub(crate) fn corrupt_size(frame: &mut [u8], prefer: impl Fn(&str) -> bool) -> bool {
    let spans = level_spans(frame);
    let text = |r: &Range<usize>| std::str::from_utf8(&frame[r.clone()]).unwrap_or("");
    let nonzero = |r: &Range<usize>| frame[r.clone()].iter().any(|b| matches!(b, b'1'..=b'9'));
    let chosen = spans
        .iter()
        .find(|s| prefer(text(&s.price)))
        .or_else(|| spans.iter().find(|s| nonzero(&s.size)))
        .or_else(|| spans.first());
    let Some(span) = chosen else { return false };
    let size = &mut frame[span.size.clone()];
    let mantissa_end = size.iter().position(|b| matches!(b, b'e' | b'E')).unwrap_or(size.len());
    let mantissa = &mut size[..mantissa_end];
    if let Some(digit) = mantissa.iter_mut().rev().find(|b| matches!(b, b'1'..=b'9')) {
        *digit = if *digit == b'9' { b'8' } else { *digit + 1 };
        return true;
    }
    if let Some(digit) = mantissa.iter_mut().rev().find(|b| b.is_ascii_digit()) {
        *digit = b'1';
        return true;
    }
    false
}

/// Every level found in `frame`, in wire order.
fn level_spans(frame: &[u8]) -> Vec<LevelSpan> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < frame.len() {
        let found = if frame[i..].starts_with(b"[\"") {
            string_pair(frame, i + 2)
        } else if frame[i..].starts_with(b"\"price\":") {
            number_pair(frame, i + 8)
        } else {
            None
        };
        match found {
            Some(span) => {
                i = span.size.end;
                spans.push(span);
            }
            None => i += 1,
        }
    }
    spans
}

/// `price","size"` starting at `at`.
fn string_pair(frame: &[u8], at: usize) -> Option<LevelSpan> {
    let price = number(frame, at)?;
    let rest = frame.get(price.end..)?;
    if !rest.starts_with(b"\",\"") {
        return None;
    }
    let size = number(frame, price.end + 3)?;
    (frame.get(size.end) == Some(&b'"')).then_some(LevelSpan { price, size })
}

/// `p,"qty":q` starting at `at` (Kraken v2 levels, numbers unquoted).
fn number_pair(frame: &[u8], at: usize) -> Option<LevelSpan> {
    let price = number(frame, at)?;
    let rest = frame.get(price.end..)?;
    if !rest.starts_with(b",\"qty\":") {
        return None;
    }
    let size = number(frame, price.end + 7)?;
    Some(LevelSpan { price, size })
}

/// The number token starting at `at`: JSON number characters holding at least one digit.
fn number(frame: &[u8], at: usize) -> Option<Range<usize>> {
    let len = frame
        .get(at..)?
        .iter()
        .take_while(|b| matches!(b, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'))
        .count();
    let range = at..at + len;
    frame[range.clone()].iter().any(u8::is_ascii_digit).then_some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrupt(frame: &str, prefer: &str) -> String {
        let mut bytes = frame.as_bytes().to_vec();
        assert!(corrupt_size(&mut bytes, |p| p == prefer));
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn bumps_the_preferred_level_keeping_the_length() {
        let okx = r#"{"data":[{"asks":[["30249.4","0","0","0"],["30261","4","0","1"]],"bids":[["30182.6","459","0","1"]]}]}"#;
        assert_eq!(
            corrupt(okx, "30182.6"),
            okx.replace(r#"["30182.6","459""#, r#"["30182.6","458""#)
        );
        // No preferred level: the first non-zero size.
        assert_eq!(corrupt(okx, "1"), okx.replace(r#"["30261","4""#, r#"["30261","5""#));
        let binance = r#"{"b":[["61737.63000000","0.00000000"]],"a":[]}"#;
        assert_eq!(corrupt(binance, "x"), binance.replace("0.00000000", "0.00000001"));
        let kraken_v2 = r#"{"asks":[{"price":85601.6,"qty":0.0435},{"price":85608,"qty":2}]}"#;
        assert_eq!(corrupt(kraken_v2, "85608"), kraken_v2.replace("\"qty\":2", "\"qty\":3"));
        assert_eq!(
            corrupt(r#"[1,{"a":[["1.5","5.1e-05","1.0"]]}]"#, "1.5"),
            r#"[1,{"a":[["1.5","5.2e-05","1.0"]]}]"#
        );
    }

    #[test]
    fn a_frame_without_levels_is_left_alone() {
        let mut bytes = br#"{"event":"subscribe","arg":["x"]}"#.to_vec();
        let before = bytes.clone();
        assert!(!corrupt_size(&mut bytes, |_| true));
        assert_eq!(bytes, before);
    }

    #[test]
    fn connection_faults_fire_once() {
        let plan = FaultPlan::new(&Faults {
            disconnect_after: Some(3),
            stall_after: Some(3),
            refuse_rest: 2,
            ..Faults::default()
        });
        assert_eq!(plan.after_frames(2), None);
        assert_eq!(plan.after_frames(3), Some(ConnectionFault::Disconnect));
        assert_eq!(plan.after_frames(3), Some(ConnectionFault::Stall));
        assert_eq!(plan.after_frames(3), None);
        assert!(plan.refuse_rest() && plan.refuse_rest() && !plan.refuse_rest());
    }
}
