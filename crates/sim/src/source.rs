//! The capture, read on a thread of its own into a bounded queue of owned records.
//!
//! The reader does blocking file IO (and gzip) and is not `Send`, so it lives on a plain thread
//! and hands records to the replay through a bounded channel: memory is bounded by the queue
//! length times the line cap. The thread ends at the end of the capture, or as soon as the
//! replay is gone (the channel closes).

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;

use depthbook_capture::{CaptureReader, RecordKind};
use tokio::sync::mpsc;

use crate::error::SimError;

/// Records read ahead of the replay.
const READ_AHEAD: usize = 64;

/// What a capture record holds, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordData {
    /// A frame of the venue's stream.
    Frame(Vec<u8>),
    /// A REST response body with its request URL, if the capture has it.
    Rest {
        /// The body.
        body: Vec<u8>,
        /// The request URL.
        url: Option<String>,
    },
    /// The recorded connection was interrupted.
    Disconnect,
}

/// One capture record the replay processes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedRecord {
    /// Receive time in ns.
    pub(crate) recv_ns: i64,
    /// What it holds.
    pub(crate) data: RecordData,
}

/// What the reader thread sends: a record, or why reading stopped early.
#[derive(Debug)]
pub(crate) enum SourceItem {
    /// The next record.
    Record(OwnedRecord),
    /// A read error; the capture ends here.
    Failed(String),
}

/// Opens `files` and starts the reader thread. Returns once the files are open (so a missing
/// file is reported to the caller); records then flow into the returned channel, which closes
/// at the end of the capture.
pub(crate) fn spawn(
    files: Vec<PathBuf>,
    max_line: usize,
) -> Result<mpsc::Receiver<SourceItem>, SimError> {
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    let (opened_tx, opened_rx) = std_mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("depthbook-sim-capture".into())
        .spawn(move || {
            let mut reader = match CaptureReader::open(&files, max_line) {
                Ok(reader) => {
                    let _ = opened_tx.send(Ok(()));
                    reader
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                    return;
                }
            };
            read_all(&mut reader, &tx);
            for file in reader.truncated_files() {
                tracing::warn!(file = %files[file].display(), "capture ends in a truncated gzip member");
            }
        })
        .map_err(SimError::Runtime)?;
    match opened_rx.recv() {
        Ok(Ok(())) => Ok(rx),
        Ok(Err(e)) => Err(SimError::Capture(e)),
        Err(_) => Err(SimError::Config("the capture reader thread ended before opening the files")),
    }
}

/// Sends every record the replay needs (skipped lines are not sent), until the end or until the
/// replay stops listening.
fn read_all(reader: &mut CaptureReader, tx: &mpsc::Sender<SourceItem>) {
    loop {
        let item = match reader.next() {
            Ok(None) => return,
            Ok(Some(record)) => {
                let data = match record.kind {
                    RecordKind::Frame(bytes) => RecordData::Frame(bytes.to_vec()),
                    RecordKind::Rest { body, url } => {
                        RecordData::Rest { body: body.to_vec(), url: url.map(str::to_owned) }
                    }
                    RecordKind::Disconnect => RecordData::Disconnect,
                    // Skipped lines, and any kind this crate does not know yet.
                    _ => continue,
                };
                SourceItem::Record(OwnedRecord { recv_ns: record.recv_ns, data })
            }
            Err(e) => SourceItem::Failed(e.to_string()),
        };
        let failed = matches!(item, SourceItem::Failed(_));
        if tx.blocking_send(item).is_err() || failed {
            return;
        }
    }
}
