//! Reading one or more capture files as one stream of records, merged by receive time.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;
use thiserror::Error;

use crate::line::{LineFormat, Tagged, classify, decode_hex, decode_py_bytes};

/// Why a capture could not be read.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// A file could not be opened.
    #[error("cannot open {path}")]
    Open {
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A file could not be read.
    #[error("cannot read file {file} after line {line}")]
    Read {
        /// Index of the file on the command line.
        file: usize,
        /// The last line read.
        line: u64,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

/// One line of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Index of the file among those opened together (0-based).
    pub file: usize,
    /// The 1-based physical line in its (decompressed) file.
    pub line: u64,
    /// Receive time in ns: the line's own, else the file's last one (0 before any).
    pub recv_ns: i64,
    /// What the line holds.
    pub kind: RecordKind<'a>,
}

/// What a capture line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind<'a> {
    /// A frame from the venue's stream.
    Frame(&'a [u8]),
    /// A REST response body, with its request URL when the capture has it.
    Rest {
        /// The body.
        body: &'a [u8],
        /// The request URL.
        url: Option<&'a str>,
    },
    /// The recorded connection was interrupted (tardis: an empty line; depthbook: `@close`).
    Disconnect,
    /// The recording live driver's watchdog made this instrument's book Stale here.
    Watchdog {
        /// The instrument, as the venue spells it.
        symbol: &'a str,
    },
    /// Nothing for the engine (client frames, connect markers, blank lines).
    Skip,
}

struct Source {
    reader: Box<dyn BufRead>,
    gzip: bool,
    // The line read ahead, without its terminator; valid while `ready`.
    buf: Vec<u8>,
    // The decoded bytes of a hex-encoded record.
    unhexed: Vec<u8>,
    ready: bool,
    line_no: u64,
    last_ns: i64,
    seen_tardis: bool,
    truncated: bool,
}

impl Source {
    fn new(reader: Box<dyn BufRead>, gzip: bool) -> Self {
        Self {
            reader,
            gzip,
            buf: Vec::new(),
            unhexed: Vec::new(),
            ready: false,
            line_no: 0,
            last_ns: 0,
            seen_tardis: false,
            truncated: false,
        }
    }

    /// Reads the next line into `buf`; at end of input `ready` stays false. With `timed`, the
    /// line's receive time is read now (the merge of several files orders by it); otherwise it
    /// is read when the line is handed out.
    fn advance(&mut self, max_line: usize, timed: bool) -> io::Result<()> {
        self.ready = false;
        match read_line_bounded(self.reader.as_mut(), &mut self.buf, max_line) {
            Ok(true) => {
                self.ready = true;
                self.line_no += 1;
                if timed {
                    note_time(&classify(&self.buf), &mut self.last_ns, &mut self.seen_tardis);
                }
                Ok(())
            }
            Ok(false) => Ok(()),
            // A collector that crashed leaves a truncated gzip member: the file ends there.
            Err(e)
                if self.gzip
                    && matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof
                            | io::ErrorKind::InvalidInput
                            | io::ErrorKind::InvalidData
                    ) =>
            {
                self.truncated = true;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Takes a line's receive time, if it carries one, as its file's latest (a line without one
/// keeps the time of the line before it), and notes a tardis line.
fn note_time(format: &LineFormat<'_>, last_ns: &mut i64, seen_tardis: &mut bool) {
    match *format {
        LineFormat::Collector { recv_ns, .. }
        | LineFormat::Cryptofeed { recv_ns, .. }
        | LineFormat::CryptofeedBytes { recv_ns, .. }
        | LineFormat::CryptofeedRest { recv_ns, .. }
        | LineFormat::Recorder { recv_ns, .. } => *last_ns = recv_ns,
        LineFormat::Tardis { recv_ns, .. } => {
            *seen_tardis = true;
            *last_ns = recv_ns;
        }
        _ => {}
    }
}

/// Reads one line into `buf` (without `\n`), keeping at most `max` bytes of it; returns false at
/// end of input.
fn read_line_bounded(reader: &mut dyn BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(any);
        }
        any = true;
        let room = max.saturating_sub(buf.len());
        match memchr::memchr(b'\n', available) {
            Some(i) => {
                buf.extend_from_slice(&available[..i.min(room)]);
                reader.consume(i + 1);
                return Ok(true);
            }
            None => {
                let n = available.len();
                buf.extend_from_slice(&available[..n.min(room)]);
                reader.consume(n);
            }
        }
    }
}

/// Wraps `reader`, decompressing it if it starts with the gzip magic bytes.
fn open_maybe_gzip(reader: Box<dyn Read>) -> io::Result<(Box<dyn BufRead>, bool)> {
    let mut buffered = BufReader::with_capacity(1 << 16, reader);
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(buffered))), true))
    } else {
        Ok((Box::new(buffered), false))
    }
}

/// Capture files read together, merged by receive time (ties go to the earlier file).
pub struct CaptureReader {
    sources: Vec<Source>,
    max_line: usize,
    // The source whose line was handed out last and must advance before the next pick.
    yielded: Option<usize>,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader").field("files", &self.sources.len()).finish_non_exhaustive()
    }
}

impl CaptureReader {
    /// Opens `paths` (`-` is standard input); lines longer than `max_line` bytes are cut there.
    ///
    /// # Errors
    /// [`CaptureError`] if a file cannot be opened or its first line cannot be read.
    pub fn open<P: AsRef<Path>>(paths: &[P], max_line: usize) -> Result<Self, CaptureError> {
        let mut readers: Vec<Box<dyn Read>> = Vec::with_capacity(paths.len());
        for path in paths {
            let path = path.as_ref();
            if path == Path::new("-") {
                readers.push(Box::new(io::stdin()));
            } else {
                let file = File::open(path)
                    .map_err(|source| CaptureError::Open { path: path.to_owned(), source })?;
                readers.push(Box::new(file));
            }
        }
        Self::from_readers(readers, max_line)
    }

    /// Reads from already open readers (files, pipes, in-memory captures).
    ///
    /// # Errors
    /// [`CaptureError::Read`] if the first line of a reader cannot be read.
    pub fn from_readers(
        readers: Vec<Box<dyn Read>>,
        max_line: usize,
    ) -> Result<Self, CaptureError> {
        let mut sources = Vec::with_capacity(readers.len());
        for (file, reader) in readers.into_iter().enumerate() {
            let (reader, gzip) = open_maybe_gzip(reader).map_err(|source| CaptureError::Read {
                file,
                line: 0,
                source,
            })?;
            let mut source = Source::new(reader, gzip);
            source.advance(max_line, true).map_err(|e| CaptureError::Read {
                file,
                line: 0,
                source: e,
            })?;
            sources.push(source);
        }
        Ok(Self { sources, max_line, yielded: None })
    }

    /// The next record in receive-time order, or `None` at the end of every file.
    ///
    /// # Errors
    /// [`CaptureError::Read`] when a file fails to read (a truncated gzip tail is not an error).
    #[allow(clippy::should_implement_trait)] // A lending iterator: records borrow the reader.
    pub fn next(&mut self) -> Result<Option<Record<'_>>, CaptureError> {
        // One file needs no merge order: its line is classified once, when handed out.
        let timed = self.sources.len() > 1;
        if let Some(i) = self.yielded.take() {
            let source = &mut self.sources[i];
            source.advance(self.max_line, timed).map_err(|e| CaptureError::Read {
                file: i,
                line: source.line_no,
                source: e,
            })?;
        }
        let Some(i) = (0..self.sources.len())
            .filter(|&i| self.sources[i].ready)
            .min_by_key(|&i| (self.sources[i].last_ns, i))
        else {
            return Ok(None);
        };
        self.yielded = Some(i);
        let source = &mut self.sources[i];
        let format = classify(&source.buf);
        note_time(&format, &mut source.last_ns, &mut source.seen_tardis);
        let kind = match format {
            LineFormat::Json { payload }
            | LineFormat::Collector { payload, .. }
            | LineFormat::Tardis { payload, .. }
            | LineFormat::Cryptofeed { payload, .. }
            | LineFormat::Unknown { payload } => RecordKind::Frame(payload),
            LineFormat::CryptofeedBytes { escaped, .. } => {
                if decode_py_bytes(escaped, &mut source.unhexed) {
                    RecordKind::Frame(&source.unhexed)
                } else {
                    RecordKind::Frame(escaped)
                }
            }
            LineFormat::CryptofeedRest { url, payload, .. } => {
                RecordKind::Rest { body: payload, url: Some(url) }
            }
            LineFormat::Recorder { tagged, .. } => match tagged {
                Tagged::HexFrame(hex) => {
                    if decode_hex(hex, &mut source.unhexed) {
                        RecordKind::Frame(&source.unhexed)
                    } else {
                        RecordKind::Frame(hex)
                    }
                }
                Tagged::Rest { url, body } => RecordKind::Rest { body, url: Some(url) },
                Tagged::RestHex { url, hex } => {
                    if decode_hex(hex, &mut source.unhexed) {
                        RecordKind::Rest { body: &source.unhexed, url: Some(url) }
                    } else {
                        RecordKind::Rest { body: hex, url: Some(url) }
                    }
                }
                Tagged::Close => RecordKind::Disconnect,
                Tagged::Watchdog { symbol } => RecordKind::Watchdog { symbol },
                Tagged::Note => RecordKind::Skip,
            },
            LineFormat::CryptofeedClient => RecordKind::Skip,
            LineFormat::Empty if source.seen_tardis => RecordKind::Disconnect,
            LineFormat::Empty => RecordKind::Skip,
        };
        Ok(Some(Record { file: i, line: source.line_no, recv_ns: source.last_ns, kind }))
    }

    /// Indices of files whose gzip stream ended early (a collector that crashed mid-write).
    pub fn truncated_files(&self) -> impl Iterator<Item = usize> + '_ {
        self.sources.iter().enumerate().filter(|(_, s)| s.truncated).map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn reader(parts: &[&[u8]], max_line: usize) -> CaptureReader {
        let readers: Vec<Box<dyn Read>> =
            parts.iter().map(|p| Box::new(io::Cursor::new(p.to_vec())) as Box<dyn Read>).collect();
        CaptureReader::from_readers(readers, max_line).unwrap()
    }

    fn collect(r: &mut CaptureReader) -> Vec<(usize, u64, i64, String)> {
        let mut out = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            let what = match rec.kind {
                RecordKind::Frame(b) => String::from_utf8_lossy(b).into_owned(),
                RecordKind::Rest { body, url } => {
                    format!("REST {} {}", url.unwrap_or("-"), String::from_utf8_lossy(body))
                }
                RecordKind::Disconnect => "DISCONNECT".into(),
                RecordKind::Watchdog { symbol } => format!("WATCHDOG {symbol}"),
                RecordKind::Skip => "SKIP".into(),
            };
            out.push((rec.file, rec.line, rec.recv_ns, what));
        }
        out
    }

    #[test]
    fn files_merge_by_receive_time() {
        let ws = b"wss://x <-> 1.0\n2.0: {\"a\":1}\n4.0: {\"a\":2}\n";
        let http = b"https://x/depth?symbol=A -> 3.0: {\"r\":1}\n";
        let got = collect(&mut reader(&[ws, http], 1 << 20));
        let lines: Vec<_> = got.iter().map(|(f, l, _, w)| (*f, *l, w.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (0, 1, "SKIP"),
                (0, 2, "{\"a\":1}"),
                (1, 1, "REST https://x/depth?symbol=A {\"r\":1}"),
                (0, 3, "{\"a\":2}")
            ]
        );
    }

    #[test]
    fn tardis_empty_line_is_a_disconnect() {
        let got = collect(&mut reader(&[b"\n2019-10-01T00:00:00Z {}\n\n{}\n"], 1 << 20));
        let kinds: Vec<_> = got.iter().map(|(_, _, _, w)| w.as_str()).collect();
        assert_eq!(kinds, vec!["SKIP", "{}", "DISCONNECT", "{}"]);
        assert_eq!(got[3].2, 1_569_888_000_000_000_000, "an NDJSON line inherits the last time");
    }

    #[test]
    fn long_lines_are_cut_and_counted_as_lines() {
        let mut data = vec![b'x'; 1000];
        data.extend_from_slice(b"\n{}\n");
        let got = collect(&mut reader(&[&data], 100));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].3.len(), 100);
        assert_eq!(got[1].1, 2);
    }

    #[test]
    fn gzip_is_detected_and_a_truncated_tail_ends_the_file() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for i in 0..2000 {
            writeln!(enc, "{} {{\"n\":{i}}}", 1_000_000_000_000_000_000i64 + i).unwrap();
        }
        let gz = enc.finish().unwrap();
        let full = collect(&mut reader(&[&gz], 1 << 20));
        assert_eq!(full.len(), 2000);
        let cut = &gz[..gz.len() / 2];
        let mut r = reader(&[cut], 1 << 20);
        let partial = collect(&mut r);
        assert!(!partial.is_empty() && partial.len() < 2000);
        assert_eq!(r.truncated_files().collect::<Vec<_>>(), vec![0]);
    }
}
