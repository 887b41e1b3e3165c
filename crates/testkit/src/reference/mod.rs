//! A reference reconstructor for the venues whose sequence and checksum rules it knows: an
//! independent reading of the captures (serde_json, `BTreeMap` books, the checksums CRC'd with
//! crc32fast) against which the fault-injection tests, the model-based sync tests and the
//! capture-mutation fuzz target judge the engine.

mod bitfinex;
mod book;
mod coinbase;
mod kraken;
mod messages;
mod model;
mod rules;

pub use book::{RefBook, Top};
pub use kraken::{PairMeta, spelled};
pub use messages::{Frame, Msg, Unreadable, key, parse, payload, quoted_numbers, stamp};
pub use model::{MAX_BUFFERED, Model, Reading, RefState, Statuses, Step, Views};
pub use rules::{Verdict, precedes_snapshot, rest_snapshots, verdict};
