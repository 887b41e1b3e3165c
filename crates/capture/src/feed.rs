//! Handing a capture record to an engine: the one replay step every reader of captures shares.

use depthbook_engine::{Engine, StaleReason};
use depthbook_venues::Frame;

use crate::reader::{Record, RecordKind};

/// Hands `record` to `engine` as the live run did: a frame or REST body is ingested at its
/// receive time, a recorded disconnect makes every book Stale, a recorded watchdog decision makes
/// that instrument's book Stale, and anything else is ignored.
pub fn feed(engine: &mut Engine, record: &Record<'_>) {
    match record.kind {
        RecordKind::Frame(bytes) => engine.ingest(&Frame::stream(bytes), record.recv_ns),
        RecordKind::Rest { body, url } => engine.ingest(&Frame::rest(body, url), record.recv_ns),
        RecordKind::Disconnect => engine.disconnect(),
        RecordKind::Watchdog { symbol } => {
            if let Some(id) = engine.instrument(symbol) {
                engine.mark_stale(id, StaleReason::Watchdog);
            }
        }
        RecordKind::Skip => {}
    }
}
