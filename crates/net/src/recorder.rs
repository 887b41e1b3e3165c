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
//! `FILE.1`, `FILE.2`, ... (replay them together: files merge by receive time). A run that
//! appends to an existing file first ends a torn last line and writes `@close new-run`, so
//! the replay never bridges one run's book into the next.
//!
//! The queue to the writer is bounded in records and in bytes; when the disk cannot keep up,
//! records are dropped and counted rather than stalling the ingest loop, and the next record
//! that fits is preceded by `@close recorder-overflow`: a replay then marks every book Stale
//! there instead of applying deltas around a hole. A write error stops the writer; it is
//! logged at once and every later record counts as dropped.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::counters::{NetCounters, bump};
use crate::error::NetError;
use crate::input::now_ns;

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
/// Bytes waiting for the writer; beyond this the newest records are dropped and counted.
const QUEUE_BYTES: u64 = 256 << 20;

impl Entry {
    pub(crate) fn recv_ns(&self) -> i64 {
        match self {
            Entry::Frame { recv_ns, .. }
            | Entry::Rest { recv_ns, .. }
            | Entry::Note { recv_ns, .. } => *recv_ns,
        }
    }

    /// Roughly what the entry holds in memory.
    fn weight(&self) -> u64 {
        let n = match self {
            Entry::Frame { bytes, .. } => bytes.len(),
            Entry::Rest { url, body, .. } => url.len() + body.len(),
            Entry::Note { text, .. } => text.len(),
        };
        n as u64 + 64
    }
}

/// The handle the ingest loop records through.
#[derive(Debug)]
pub(crate) struct Recorder {
    tx: Option<Sender<Entry>>,
    writer: Option<JoinHandle<Result<(), NetError>>>,
    counters: Arc<NetCounters>,
    // Bytes queued and not yet written (the writer subtracts).
    queued_bytes: Arc<AtomicU64>,
    // Records were dropped since the last one queued: mark the hole before the next.
    hole: u64,
    // The writer is gone (a write error): said once.
    failed: bool,
}

impl Recorder {
    /// Opens the first segment and starts the writer thread.
    pub(crate) fn start(
        config: RecordConfig,
        counters: Arc<NetCounters>,
    ) -> Result<Self, NetError> {
        let mut segment = Segment::open(&config.path, 0)?;
        segment.start_run()?;
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let queued_bytes = Arc::new(AtomicU64::new(0));
        let drained = Arc::clone(&queued_bytes);
        let writer = std::thread::Builder::new()
            .name("depthbook-recorder".into())
            .spawn(move || write_loop(config, segment, rx, &drained))
            .map_err(NetError::Runtime)?;
        Ok(Self {
            tx: Some(tx),
            writer: Some(writer),
            counters,
            queued_bytes,
            hole: 0,
            failed: false,
        })
    }

    pub(crate) fn record(&mut self, entry: Entry) {
        if self.hole > 0 {
            let recv_ns = entry.recv_ns();
            let text = format!("recorder-overflow: {} records lost", self.hole);
            if !self.enqueue(Entry::Note { recv_ns, tag: "close", text }) {
                self.drop_one();
                return;
            }
            self.hole = 0;
        }
        if !self.enqueue(entry) {
            self.drop_one();
        }
    }

    fn drop_one(&mut self) {
        self.hole += 1;
        bump(&self.counters.record_dropped);
    }

    /// Queues `entry` if the queue has room in records and bytes.
    fn enqueue(&mut self, entry: Entry) -> bool {
        let Some(tx) = &self.tx else { return false };
        let weight = entry.weight();
        if self.queued_bytes.load(Ordering::Acquire).saturating_add(weight) > QUEUE_BYTES {
            return false;
        }
        self.queued_bytes.fetch_add(weight, Ordering::AcqRel);
        match tx.try_send(entry) {
            Ok(()) => true,
            Err(error) => {
                self.queued_bytes.fetch_sub(weight, Ordering::AcqRel);
                if matches!(error, TrySendError::Disconnected(_)) && !self.failed {
                    self.failed = true;
                    tracing::error!("the recorder stopped (a write failed): records are lost");
                }
                false
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

    /// A run appending to a file that already holds records: end a torn last line, then say
    /// that a new run starts (a replay marks every book Stale there).
    fn start_run(&mut self) -> Result<(), NetError> {
        if self.written == 0 {
            return Ok(());
        }
        let mut line = Vec::with_capacity(64);
        if !ends_with_newline(&self.path)? {
            line.push(b'\n');
        }
        let note = Entry::Note { recv_ns: now_ns(), tag: "close", text: "new-run".into() };
        encode(&note, &mut line);
        self.write(&line)
    }

    fn write(&mut self, line: &[u8]) -> Result<(), NetError> {
        self.file
            .write_all(line)
            .map_err(|source| NetError::Record { path: self.path.clone(), source })?;
        self.written += line.len() as u64;
        Ok(())
    }
}

fn ends_with_newline(path: &Path) -> Result<bool, NetError> {
    use std::io::{Read, Seek, SeekFrom};
    let record = |source| NetError::Record { path: path.to_owned(), source };
    let mut file = File::open(path).map_err(record)?;
    file.seek(SeekFrom::End(-1)).map_err(record)?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last).map_err(record)?;
    Ok(last[0] == b'\n')
}

fn write_loop(
    config: RecordConfig,
    mut segment: Segment,
    rx: Receiver<Entry>,
    queued_bytes: &AtomicU64,
) -> Result<(), NetError> {
    let mut line = Vec::with_capacity(1 << 16);
    let mut index = 0;
    for entry in rx {
        line.clear();
        encode(&entry, &mut line);
        queued_bytes.fetch_sub(entry.weight(), Ordering::AcqRel);
        drop(entry);
        if let Err(error) = segment.write(&line) {
            tracing::error!(%error, "the capture cannot be written: recording stops");
            return Err(error);
        }
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
    fn a_full_queue_drops_records_and_marks_the_hole_before_the_next() {
        let (tx, rx) = crossbeam_channel::bounded(2);
        let counters = Arc::new(NetCounters::default());
        let mut rec = Recorder {
            tx: Some(tx),
            writer: None,
            counters: counters.clone(),
            queued_bytes: Arc::new(AtomicU64::new(0)),
            hole: 0,
            failed: false,
        };
        let frame = |n: i64| Entry::Frame { recv_ns: n, bytes: Bytes::from_static(b"{}") };
        for n in 1..=4 {
            rec.record(frame(n));
        }
        assert_eq!(counters.snapshot().record_dropped, 2);
        let first: Vec<i64> = rx.try_iter().map(|e| e.recv_ns()).collect();
        assert_eq!(first, [1, 2]);
        rec.record(frame(5));
        let next: Vec<Entry> = rx.try_iter().collect();
        assert!(
            matches!(&next[0], Entry::Note { recv_ns: 5, tag: "close", text }
                if text == "recorder-overflow: 2 records lost"),
            "{next:?}"
        );
        assert!(matches!(next[1], Entry::Frame { recv_ns: 5, .. }), "{next:?}");
        assert_eq!(next.len(), 2);
    }

    #[test]
    fn a_run_appending_to_a_torn_file_ends_the_line_and_starts_a_new_run() {
        let dir = std::env::temp_dir().join(format!("depthbook-rec-app-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cap.txt");
        // A crash left half a line behind.
        std::fs::write(&path, "1700000000000000000 {\"a\":1}\n1700000000000000001 {\"a\"").unwrap();
        let mut rec =
            Recorder::start(RecordConfig::new(&path), Arc::new(NetCounters::default())).unwrap();
        rec.record(Entry::Frame {
            recv_ns: 1_800_000_000_000_000_000,
            bytes: Bytes::from_static(b"{\"b\":2}"),
        });
        rec.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[1], "1700000000000000001 {\"a\"");
        assert!(lines[2].ends_with(" @close new-run"), "{text}");
        assert_eq!(lines[3], "1800000000000000000 {\"b\":2}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn segments_rotate_by_age() {
        let dir = std::env::temp_dir().join(format!("depthbook-rec-age-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cap.txt");
        let config =
            RecordConfig { rotate_every: Some(Duration::ZERO), ..RecordConfig::new(&path) };
        let mut rec = Recorder::start(config, Arc::new(NetCounters::default())).unwrap();
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
        let mut rec = Recorder::start(config, counters.clone()).unwrap();
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
