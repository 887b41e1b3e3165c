//! The single-threaded ingest loop: decode, sync, apply, verify, publish.
//!
//! The principal type is [`Engine`]. It owns every book of one venue; frames go in through
//! [`Engine::ingest`], consumers read [`Update`]s from crossbeam channels obtained with
//! [`Engine::subscribe`]. Each book follows the state machine of design.md: `AwaitingSnapshot`
//! until a snapshot (bridged with buffered deltas where the venue needs it) makes it `Live`; a
//! gap, a checksum mismatch, a bad message or a disconnect makes it `Stale` until the next
//! snapshot. Only Live books are published. The engine reads no clock and does no IO.
//!
//! ```
//! use depthbook_engine::{Engine, EngineConfig, SlowConsumer, Update};
//! use depthbook_venues::{Frame, Venue};
//!
//! let mut engine = Engine::new(EngineConfig::new(Venue::Okx));
//! let views = engine.subscribe(1024, SlowConsumer::KeepLatest);
//! let snapshot = br#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":0,"prevSeqId":-1,"seqId":123456}]}"#;
//! engine.ingest(&Frame::stream(snapshot), 0);
//! let Ok(Update::Status(_)) = views.try_recv() else { panic!("the book went Live") };
//! let Ok(Update::Book(top)) = views.try_recv() else { panic!("a view was published") };
//! assert_eq!(top.seq, Some(123456));
//! assert_eq!(top.bid.map(|(p, _)| p.to_string()), Some("8476.97".to_string()));
//! ```
//!
//! # Untrusted input
//! Bounded by [`EngineConfig`]: instruments per engine, levels per side (farthest evicted,
//! counted), buffered deltas and their levels (oldest dropped, counted), and the decoder's frame
//! size and nesting limits. A malformed frame is counted and changes no state; a malformed book
//! message for a known instrument makes that book Stale.

#![forbid(unsafe_code)]

mod counters;
mod depth;
mod engine;
pub mod journal;
mod latest;
mod publish;
mod replica;
mod ring;
mod state;

pub use counters::Counters;
pub use depth::{DEPTH_LEVELS, DepthReader, DepthView};
pub use depthbook_venues::Integrity;
pub use engine::{Engine, EngineConfig, ReplicatedHead};
pub use journal::{BookRecord, JournalReader, MIN_JOURNAL_BYTES, Record};
pub use latest::{LatestTop, TopReader};
pub use publish::{STATUS_RESERVE, SlowConsumer, Status, StatusEvent, TopOfBook, Update};
pub use replica::{OverCap, Replica};
pub use state::{BookState, SnapshotRequest, StaleReason};
