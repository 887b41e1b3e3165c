//! Kraken spot WebSocket `book` channel, v2 (JSON numbers) and v1 (arrays of strings).
//!
//! Wire reference: Kraken docs "Spot WebSocket v2: Book" and "v1: book"; "Book checksum". Both
//! versions truncate the book to the subscribed depth after each message and verify a CRC32 of
//! the top ten levels; v1 sends it on updates only, v2 on snapshots too.

pub(crate) mod v1;
pub(crate) mod v2;
