//! The capture writer: every input of a live run, one line each, in the order the ingest loop
//! processed it, so that `depthbook replay` of the file repeats the run's decisions exactly.
//!
//! # Format (read back by `depthbook_capture`)
//! ```text
//! <recv_ns> <frame>                    a text frame starting with { or [, without line breaks
//! <recv_ns> @hex <hex>                 any other frame (binary, or text that cannot sit on a line)
//! <recv_ns> @rest <url> <body>         a REST snapshot body (@resthex <url> <hex> if it has line breaks)
//! <recv_ns> @open <url>                a connection opened
//! <recv_ns> @sent <text>               a subscribe/unsubscribe we sent
//! <recv_ns> @close <reason>            the connection closed: every book goes Stale
//! <recv_ns> @watchdog <symbol>         the book watchdog made <symbol> Stale
//! <recv_ns> @stale <symbol> <reason>   the engine found a gap, a checksum mismatch, ... (a note)
//! <recv_ns> @live <symbol> <gen>       the book went Live (a resync ended; a note)
//! <recv_ns> @resync <symbol> <how>     a resync started (a note)
//! ```
//! Frames keep their bytes exactly; `recv_ns` is ns since the Unix epoch. A plain frame line is
//! also an hftbacktest collector line.
//!
//! # Durability
//! One thread writes; each record is one `write` of a whole line to a file opened for append,
//! so a crash of the process loses only records not yet handed to the OS, and a torn last line
//! is rejected by the reader as one bad frame. Segments rotate by size or age: `FILE`, then
//! `FILE.1`, `FILE.2`, ... (replay them together: files merge by receive time). The queue to
//! the writer is bounded; when the disk cannot keep up, records are dropped and counted
//! rather than stalling the ingest loop.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::counters::{NetCounters, bump};
use crate::error::NetError;

/// Where and how to record.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// The first segment's path.
    pub path: PathBuf,
    /// Start a new segment once this many bytes are written (`None`: never).
    pub rotate_bytes: Option<u64>,
    /// Start a new segment after this long (`None`: never).
    pub rotate_every: Option<Duration>,
}

impl RecordConfig {
    /// One segment at `path`, never rotated.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), rotate_bytes: None, rotate_every: None }
    }
}

/// One record.
#[derive(Debug)]
pub(crate) enum Entry {
    Frame { recv_ns: i64, bytes: Bytes },
    Rest { recv_ns: i64, url: String, body: Bytes },
    Note { recv_ns: i64, tag: &'static str, text: String },
}

/// Records waiting for the writer; beyond this the newest are dropped and counted.
const QUEUE: usize = 1 << 16;

/// The handle the ingest loop records through.
#[derive(Debug)]
pub(crate) struct Recorder {
    tx: Option<Sender<Entry>>,
    writer: Option<JoinHandle<Result<(), NetError>>>,
    counters: Arc<NetCounters>,
}

impl Recorder {
    /// Opens the first segment and starts the writer thread.
    pub(crate) fn start(
        config: RecordConfig,
        counters: Arc<NetCounters>,
    ) -> Result<Self, NetError> {
        let segment = Segment::open(&config.path, 0)?;
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let writer = std::thread::Builder::new()
            .name("depthbook-recorder".into())
            .spawn(move || write_loop(config, segment, rx))
            .map_err(NetError::Runtime)?;
        Ok(Self { tx: Some(tx), writer: Some(writer), counters })
    }

    pub(crate) fn record(&self, entry: Entry) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                bump(&self.counters.record_dropped);
            }
        }
    }

    /// Writes out everything queued and closes the file.
    pub(crate) fn finish(mut self) -> Result<(), NetError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), NetError> {
        drop(self.tx.take());
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => {
                Err(NetError::Runtime(std::io::Error::other("recorder thread panicked")))
            }
            None => Ok(()),
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Err(error) = self.stop() {
            tracing::error!(%error, "the capture was not finished");
        }
    }
}

struct Segment {
    file: File,
    path: PathBuf,
    written: u64,
    opened: Instant,
}

impl Segment {
    /// Segment `index` of `base`: `base` itself, then `base.1`, `base.2`, ...
    fn open(base: &Path, index: u32) -> Result<Segment, NetError> {
        let path = if index == 0 {
            base.to_owned()
        } else {
            let mut name = base.as_os_str().to_owned();
            name.push(format!(".{index}"));
            PathBuf::from(name)
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| NetError::Record { path: path.clone(), source })?;
        let written = file.metadata().map_or(0, |m| m.len());
        Ok(Segment { file, path, written, opened: Instant::now() })
    }
}

fn write_loop(
    config: RecordConfig,
    mut segment: Segment,
    rx: Receiver<Entry>,
) -> Result<(), NetError> {
    let mut line = Vec::with_capacity(1 << 16);
    let mut index = 0;
    for entry in rx {
        line.clear();
        encode(&entry, &mut line);
        segment
            .file
            .write_all(&line)
            .map_err(|source| NetError::Record { path: segment.path.clone(), source })?;
        segment.written += line.len() as u64;
        let too_big = config.rotate_bytes.is_some_and(|max| segment.written >= max);
        let too_old = config.rotate_every.is_some_and(|age| segment.opened.elapsed() >= age);
        if too_big || too_old {
            index += 1;
            segment = Segment::open(&config.path, index)?;
        }
    }
    segment.file.sync_data().map_err(|source| NetError::Record { path: segment.path, source })
}

/// Appends one record's line, newline included.
pub(crate) fn encode(entry: &Entry, out: &mut Vec<u8>) {
    match entry {
        Entry::Frame { recv_ns, bytes } => {
            push_ns(out, *recv_ns);
            if fits_on_a_line(bytes) {
                out.extend_from_slice(bytes);
            } else {
                out.extend_from_slice(b"@hex ");
                push_hex(out, bytes);
            }
        }
        Entry::Rest { recv_ns, url, body } => {
            push_ns(out, *recv_ns);
            let url_ok = !url.is_empty() && !url.bytes().any(|b| b.is_ascii_whitespace());
            let url = if url_ok { url.as_str() } else { "-" };
            if body.contains(&b'\n') || body.contains(&b'\r') {
                out.extend_from_slice(b"@resthex ");
                out.extend_from_slice(url.as_bytes());
                out.push(b' ');
                push_hex(out, body);
            } else {
                out.extend_from_slice(b"@rest ");
                out.extend_from_slice(url.as_bytes());
                out.push(b' ');
                out.extend_from_slice(body);
            }
        }
        Entry::Note { recv_ns, tag, text } => {
            push_ns(out, *recv_ns);
            out.push(b'@');
            out.extend_from_slice(tag.as_bytes());
            out.push(b' ');
            // Notes are for people: keep them on one line.
            out.extend(text.bytes().map(|b| if b == b'\n' || b == b'\r' { b' ' } else { b }));
        }
    }
    out.push(b'\n');
}

fn fits_on_a_line(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(b'{' | b'[')) && !bytes.iter().any(|&b| b == b'\n' || b == b'\r')
}

fn push_ns(out: &mut Vec<u8>, ns: i64) {
    // Receive times are after 1970; a clock before it records as 0.
    let _ = write!(out, "{} ", ns.max(0));
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use depthbook_capture::{CaptureReader, RecordKind};

    fn encoded(entries: &[Entry]) -> Vec<u8> {
        let mut out = Vec::new();
        for e in entries {
            encode(e, &mut out);
        }
        out
    }

    #[test]
    fn every_record_reads_back_exactly() {
        let ns = 1_723_161_253_937_085_768;
        let entries = [
            Entry::Note { recv_ns: ns, tag: "open", text: "wss://x/ws".into() },
            Entry::Frame { recv_ns: ns + 1, bytes: Bytes::from_static(b"{\"a\":1}") },
            Entry::Frame { recv_ns: ns + 2, bytes: Bytes::from_static(b"pong") },
            Entry::Frame { recv_ns: ns + 3, bytes: Bytes::from_static(b"{\"a\":\n2}") },
            Entry::Frame { recv_ns: ns + 4, bytes: Bytes::from_static(&[0x1f, 0x8b, 0, 255]) },
            Entry::Rest {
                recv_ns: ns + 5,
                url: "http://h/api/v3/depth?symbol=A".into(),
                body: Bytes::from_static(b"{\"lastUpdateId\":1}"),
            },
            Entry::Rest {
                recv_ns: ns + 6,
                url: "http://h/x".into(),
                body: Bytes::from_static(b"{\n}"),
            },
            Entry::Note { recv_ns: ns + 7, tag: "watchdog", text: "BTC-USDT".into() },
            Entry::Note { recv_ns: ns + 8, tag: "close", text: "1006 reset\nby peer".into() },
        ];
        let file = encoded(&entries);
        assert_eq!(file.iter().filter(|&&b| b == b'\n').count(), entries.len());
        let mut reader =
            CaptureReader::from_readers(vec![Box::new(std::io::Cursor::new(file))], 1 << 20)
                .unwrap();
        let mut got = Vec::new();
        while let Some(r) = reader.next().unwrap() {
            let kind = match r.kind {
                RecordKind::Frame(b) => format!("frame {b:?}"),
                RecordKind::Rest { body, url } => format!("rest {url:?} {body:?}"),
                RecordKind::Disconnect => "disconnect".into(),
                RecordKind::Watchdog { symbol } => format!("watchdog {symbol}"),
                RecordKind::Skip => "skip".into(),
            };
            got.push((r.recv_ns - ns, kind));
        }
        let want = [
            (0, "skip".to_string()),
            (1, format!("frame {:?}", b"{\"a\":1}")),
            (2, format!("frame {:?}", b"pong")),
            (3, format!("frame {:?}", b"{\"a\":\n2}")),
            (4, format!("frame {:?}", [0x1fu8, 0x8b, 0, 255])),
            (
                5,
                format!(
                    "rest {:?} {:?}",
                    Some("http://h/api/v3/depth?symbol=A"),
                    b"{\"lastUpdateId\":1}"
                ),
            ),
            (6, format!("rest {:?} {:?}", Some("http://h/x"), b"{\n}")),
            (7, "watchdog BTC-USDT".to_string()),
            (8, "disconnect".to_string()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn segments_rotate_by_age() {
        let dir = std::env::temp_dir().join(format!("depthbook-rec-age-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cap.txt");
        let config =
            RecordConfig { rotate_every: Some(Duration::ZERO), ..RecordConfig::new(&path) };
        let rec = Recorder::start(config, Arc::new(NetCounters::default())).unwrap();
        for i in 0..3 {
            rec.record(Entry::Frame {
                recv_ns: 1_700_000_000_000_000_000 + i,
                bytes: Bytes::from_static(b"{}"),
            });
        }
        rec.finish().unwrap();
        for name in ["cap.txt", "cap.txt.1", "cap.txt.2"] {
            assert_eq!(
                std::fs::read_to_string(dir.join(name)).unwrap().lines().count(),
                1,
                "{name}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn segments_rotate_by_size_and_append() {
        let dir = std::env::temp_dir().join(format!("depthbook-rec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cap.txt");
        let counters = Arc::new(NetCounters::default());
        let config = RecordConfig { rotate_bytes: Some(100), ..RecordConfig::new(&path) };
        let rec = Recorder::start(config, counters.clone()).unwrap();
        for i in 0..10 {
            rec.record(Entry::Frame {
                recv_ns: 1_700_000_000_000_000_000 + i,
                bytes: Bytes::from(format!(
                    "{{\"n\":{i},\"pad\":\"................................\"}}"
                )),
            });
        }
        rec.finish().unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert!(names.len() >= 4, "{names:?}");
        assert_eq!(names[0], "cap.txt");
        let lines: usize = names
            .iter()
            .map(|n| std::fs::read_to_string(dir.join(n)).unwrap().lines().count())
            .sum();
        assert_eq!(lines, 10);
        assert_eq!(counters.snapshot().record_dropped, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
