//! Readers of recorded feeds: every line of a capture, classified, with its receive time.
//!
//! The principal type is [`CaptureReader`], which merges one or more capture files by receive
//! time and yields [`Record`]s. The format is detected line by line, never from the file name:
//!
//! | line | format | becomes |
//! |---|---|---|
//! | `{...}` or `[...]` | plain NDJSON | a stream frame without a time (it inherits the file's last one) |
//! | `<recv_ns> <json>` | hftbacktest collector | a stream frame |
//! | `<ISO-8601> <json>` | tardis raw | a stream frame |
//! | empty, after a tardis line | tardis disconnect | [`RecordKind::Disconnect`] |
//! | `<secs>: <json>` | cryptofeed | a stream frame |
//! | `<secs>: b'...'` | cryptofeed binary | a binary stream frame (a Python bytes literal) |
//! | `<url> -> <secs>: <json>` | cryptofeed HTTP | a REST body with its URL |
//! | `<url> <- ...`, `<url> <-> ...` | cryptofeed client frame / connect | skipped |
//! | anything else | | a stream frame, for the decoder to reject |
//!
//! Gzip files are recognised by their magic bytes; a truncated final gzip member (a collector
//! that crashed) ends the file instead of failing the replay.
//!
//! # Untrusted input
//! Lines longer than the configured cap are cut at the cap (the rest of the line is read and
//! discarded), so memory stays bounded whatever the file holds; the cut frame is longer than
//! the decoder's frame limit and is rejected there.

#![forbid(unsafe_code)]

mod feed;
mod line;
mod reader;

pub use depthbook_venues::{parse_epoch_seconds, parse_iso8601};
pub use feed::feed;
pub use line::{LineFormat, Tagged, classify, decode_hex, decode_py_bytes};
pub use reader::{CaptureError, CaptureReader, Record, RecordKind};
