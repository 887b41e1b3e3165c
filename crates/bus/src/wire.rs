//! Between the engine's journal records and the wire schema's messages, both ways; every
//! number read off the wire is checked before it reaches a book.

use depthbook_core::{Price, Qty, Side};
use depthbook_engine::{BookRecord, Replica, StaleReason};
use depthbook_venues::Integrity;
use prost::Message as _;

use crate::error::BusError;
use crate::schema::{self, book_message::Body};

/// The schema version this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The `reason` of a book the publisher lost messages of.
pub(crate) const PUBLISHER_OVERFLOW: &str = "publisher_overflow";

/// The `reason` of a book whose full message is larger than the server takes.
pub(crate) const TOO_LARGE_FOR_BUS: &str = "too_large_for_bus";

/// Appends levels to a side's columns.
pub(crate) fn push_levels(side: &mut schema::Side, levels: impl Iterator<Item = (Price, Qty)>) {
    for (price, qty) in levels {
        side.price.push(price.mantissa());
        side.price_scale.push(u32::from(price.scale()));
        side.size.push(qty.mantissa().unsigned_abs());
        side.size_scale.push(u32::from(qty.scale()));
    }
}

/// Every level of `replica`, best first.
pub(crate) fn levels_of(replica: &Replica) -> schema::Levels {
    let mut levels =
        schema::Levels { bids: Some(schema::Side::default()), asks: Some(schema::Side::default()) };
    if let Some(bids) = &mut levels.bids {
        push_levels(bids, replica.levels(Side::Bid));
    }
    if let Some(asks) = &mut levels.asks {
        push_levels(asks, replica.levels(Side::Ask));
    }
    levels
}

/// A journal delta as a wire delta.
pub(crate) fn delta_of(record: &BookRecord<'_>) -> schema::Delta {
    let (mut bids, mut asks) = (schema::Side::default(), schema::Side::default());
    for (side, price, qty) in record.levels() {
        let columns = match side {
            Side::Bid => &mut bids,
            Side::Ask => &mut asks,
        };
        push_levels(columns, std::iter::once((price, qty)));
    }
    let decimal =
        |p: Price| schema::Decimal { mantissa: p.mantissa(), scale: u32::from(p.scale()) };
    schema::Delta {
        bids: Some(bids),
        asks: Some(asks),
        bid_floor: record.floors[0].map(decimal),
        ask_floor: record.floors[1].map(decimal),
    }
}

/// A Stale status for `reason` (an engine reason, or `None` for [`PUBLISHER_OVERFLOW`]).
pub(crate) fn stale_status(reason: Option<StaleReason>) -> schema::Status {
    let (gap_expected, gap_got) = match reason {
        Some(StaleReason::Gap { expected, got }) => (Some(expected), Some(got)),
        _ => (None, None),
    };
    schema::Status {
        state: schema::State::Stale as i32,
        reason: reason.map_or(PUBLISHER_OVERFLOW, StaleReason::name).to_owned(),
        gap_expected,
        gap_got,
    }
}

/// The Stale status of a book too large for the server's messages.
pub(crate) fn too_large_status() -> schema::Status {
    schema::Status {
        state: schema::State::Stale as i32,
        reason: TOO_LARGE_FOR_BUS.to_owned(),
        gap_expected: None,
        gap_got: None,
    }
}

pub(crate) fn integrity_to_wire(integrity: Integrity) -> schema::Integrity {
    match integrity {
        Integrity::Verified => schema::Integrity::Verified,
        Integrity::Sequenced => schema::Integrity::Sequenced,
        Integrity::Checksummed => schema::Integrity::Checksummed,
        Integrity::Unverifiable => schema::Integrity::Unverifiable,
    }
}

/// The integrity a wire message claims; an unknown value claims nothing.
pub(crate) fn integrity_from_wire(value: i32) -> Integrity {
    match schema::Integrity::try_from(value) {
        Ok(schema::Integrity::Verified) => Integrity::Verified,
        Ok(schema::Integrity::Sequenced) => Integrity::Sequenced,
        Ok(schema::Integrity::Checksummed) => Integrity::Checksummed,
        _ => Integrity::Unverifiable,
    }
}

/// A wire message, checked: a schema version this crate reads and a body.
///
/// # Errors
/// [`BusError::BadMessage`] for bytes that are not a book message of version
/// [`SCHEMA_VERSION`].
pub(crate) fn decode(bytes: &[u8]) -> Result<schema::BookMessage, BusError> {
    let message = schema::BookMessage::decode(bytes)
        .map_err(|e| BusError::BadMessage(format!("not a book message: {e}")))?;
    if message.version != SCHEMA_VERSION {
        return Err(BusError::BadMessage(format!("schema version {}", message.version)));
    }
    if message.body.is_none() {
        return Err(BusError::BadMessage("no body".to_owned()));
    }
    Ok(message)
}

fn price(mantissa: i64, scale: u32) -> Result<Price, BusError> {
    let scale = u8::try_from(scale).map_err(|_| BusError::BadMessage("price scale".to_owned()))?;
    Price::new(mantissa, scale).map_err(|e| BusError::BadMessage(format!("price: {e}")))
}

fn qty(mantissa: u64, scale: u32) -> Result<Qty, BusError> {
    let scale = u8::try_from(scale).map_err(|_| BusError::BadMessage("size scale".to_owned()))?;
    let mantissa =
        i64::try_from(mantissa).map_err(|_| BusError::BadMessage("size too large".to_owned()))?;
    Qty::new(mantissa, scale).map_err(|e| BusError::BadMessage(format!("size: {e}")))
}

/// A side's levels, each checked; the columns must be as long as each other.
pub(crate) fn side_levels(
    side: Option<&schema::Side>,
) -> Result<impl Iterator<Item = Result<(Price, Qty), BusError>> + '_, BusError> {
    let columns = side.map_or((&[][..], &[][..], &[][..], &[][..]), |s| {
        (&s.price[..], &s.price_scale[..], &s.size[..], &s.size_scale[..])
    });
    let n = columns.0.len();
    if columns.1.len() != n || columns.2.len() != n || columns.3.len() != n {
        return Err(BusError::BadMessage("level columns of different lengths".to_owned()));
    }
    Ok((0..n)
        .map(move |i| Ok((price(columns.0[i], columns.1[i])?, qty(columns.2[i], columns.3[i])?))))
}

/// A floor, checked.
pub(crate) fn floor(decimal: Option<&schema::Decimal>) -> Result<Option<Price>, BusError> {
    decimal.map(|d| price(d.mantissa, d.scale)).transpose()
}

/// The last change a subscriber applied to a book: the whole book (a snapshot, a refresh, a
/// kept snapshot), or a delta's levels (each price with its size after the source's message,
/// zero: gone) and floors (every level worse than a side's floor is gone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookChange {
    /// The whole book was replaced (the replica holds it).
    pub full: bool,
    /// A delta's levels, in the message's order (empty for a whole book).
    pub levels: Vec<(Side, Price, Qty)>,
    /// A delta's floors, bids then asks.
    pub floors: [Option<Price>; 2],
}

/// Applies a snapshot's, refresh's or delta's levels to `replica` (a snapshot or refresh
/// replaces it), and records what changed in `change`.
///
/// # Errors
/// [`BusError::BadMessage`] for a number that is not exact or a side over the replica's cap;
/// the replica is then partly changed and must be held Stale until the next snapshot.
pub(crate) fn apply(
    replica: &mut Replica,
    body: &Body,
    change: &mut BookChange,
) -> Result<(), BusError> {
    let over_cap = |_| BusError::BadMessage("more levels than the subscriber holds".to_owned());
    change.levels.clear();
    change.floors = [None, None];
    match body {
        Body::Snapshot(levels) | Body::Refresh(levels) => {
            change.full = true;
            replica.clear();
            for (side, columns) in [(Side::Bid, &levels.bids), (Side::Ask, &levels.asks)] {
                for level in side_levels(columns.as_ref())? {
                    let (price, qty) = level?;
                    replica.set(side, price, qty).map_err(over_cap)?;
                }
            }
        }
        Body::Delta(delta) => {
            change.full = false;
            for (side, columns) in [(Side::Bid, &delta.bids), (Side::Ask, &delta.asks)] {
                for level in side_levels(columns.as_ref())? {
                    let (price, qty) = level?;
                    replica.set(side, price, qty).map_err(over_cap)?;
                    change.levels.push((side, price, qty));
                }
            }
            let sides = [(Side::Bid, &delta.bid_floor), (Side::Ask, &delta.ask_floor)];
            for (i, (side, decimal)) in sides.into_iter().enumerate() {
                if let Some(floor) = floor(decimal.as_ref())? {
                    replica.drop_below(side, floor);
                    change.floors[i] = Some(floor);
                }
            }
        }
        Body::Status(_) => {}
    }
    Ok(())
}
