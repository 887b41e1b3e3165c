//! One book per channel. A connection, or a capture a third party recorded, may carry one
//! symbol on several of a venue's book channels at once: OKX `books` beside `bbo-tbt`, Bybit
//! `orderbook.200` beside `orderbook.1` (the venues' best-bid-and-offer streams are channels of
//! the same family). Each channel is a book of its own, numbered on its own: merged into one,
//! every top-of-book push would wipe the deep book and every numbering would look broken to
//! the other.
//!
//! So a symbol's plain name names the book of one channel, and every other channel's book is
//! named `{symbol}@{channel}` (`BTC-USDT@bbo-tbt`, `BTCUSDT@orderbook.1`), an instrument of its
//! own (a filter on the plain symbol leaves it untracked). The plain name goes to the first
//! channel that sends the symbol; a top-of-book channel (a few levels pushed whole) holds it
//! only until an incremental channel sends the symbol, which then takes it over (the deep book
//! is what the symbol means; its first message, its snapshot, replaces what the top-of-book
//! pushes left). A feed of one channel, as depthbook's own connections subscribe, is named
//! exactly as before.

use crate::error::DecodeError;
use crate::symbols::{InstrumentId, SymbolTable};

/// A book channel as a decoder names it: OKX's `channel`, Bybit's topic without its symbol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookChannel<'a> {
    /// The channel's name, as the frame spells it.
    pub(crate) name: &'a [u8],
    /// Whether it pushes only the top few levels, each push whole (it yields the plain name).
    pub(crate) top: bool,
}

/// Which channel each symbol's plain name belongs to (see the module docs). Bounded: one byte
/// for each of the symbol table's instruments, and the venue's few channel names (at most
/// [`ChannelClaims::MAX_CHANNELS`]; a frame on a channel past them is not tracked).
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelClaims {
    /// The channels seen, in order.
    channels: Vec<Channel>,
    /// For each instrument: 0 if its plain name is unclaimed, else 1 + the index in `channels`
    /// of the channel holding it. A byte, not the name: read at every message, for thousands
    /// of instruments.
    claims: Vec<u8>,
}

/// A channel's name, held inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Channel {
    len: u8,
    name: [u8; Channel::MAX],
    top: bool,
}

impl Channel {
    /// The longest channel name held; the venues' are at most 16 bytes (`orderbook.1000`,
    /// `books50-l2-tbt`).
    const MAX: usize = 30;

    fn of(channel: BookChannel<'_>) -> Option<Channel> {
        let mut name = [0; Channel::MAX];
        name.get_mut(..channel.name.len())?.copy_from_slice(channel.name);
        Some(Channel { len: channel.name.len() as u8, name, top: channel.top })
    }

    fn names(&self, channel: &[u8]) -> bool {
        self.name.get(..usize::from(self.len)) == Some(channel)
    }
}

impl ChannelClaims {
    /// The most distinct channel names kept.
    pub(crate) const MAX_CHANNELS: usize = 64;

    /// The instrument of `symbol`'s book on `channel`, registering it if new; `None` when it
    /// is not tracked (a filter on symbols; a channel name too long, or one too many).
    ///
    /// # Errors
    /// As [`SymbolTable::resolve_bytes`].
    pub(crate) fn resolve(
        &mut self,
        symbols: &mut SymbolTable,
        symbol: &[u8],
        channel: BookChannel<'_>,
    ) -> Result<Option<InstrumentId>, DecodeError> {
        let Some(plain) = symbols.resolve_bytes(symbol)? else { return Ok(None) };
        let Some(mark) = self.mark_of(channel) else { return Ok(None) };
        let index = plain as usize;
        if self.claims.len() <= index {
            self.claims.resize(index + 1, 0);
        }
        let held = self.claims[index];
        if held == mark {
            return Ok(Some(plain));
        }
        // Unclaimed, or held by a top-of-book channel that gives it up to an incremental one.
        let yields = held != 0 && self.channels[usize::from(held - 1)].top && !channel.top;
        if held == 0 || yields {
            self.claims[index] = mark;
            return Ok(Some(plain));
        }
        alias(symbols, symbol, channel.name)
    }

    /// 1 + the index of `channel` in `channels`, added if new; `None` past the bounds.
    fn mark_of(&mut self, channel: BookChannel<'_>) -> Option<u8> {
        let found = self.channels.iter().position(|c| c.names(channel.name));
        let index = match found {
            Some(index) => index,
            None if self.channels.len() < Self::MAX_CHANNELS => {
                self.channels.push(Channel::of(channel)?);
                self.channels.len() - 1
            }
            None => return None,
        };
        u8::try_from(index + 1).ok()
    }
}

/// The longest `{symbol}@{channel}` name built (longer ones are not tracked).
const MAX_ALIAS: usize = 96;

/// The instrument named `{symbol}@{channel}`, built without allocating.
fn alias(
    symbols: &mut SymbolTable,
    symbol: &[u8],
    channel: &[u8],
) -> Result<Option<InstrumentId>, DecodeError> {
    let len = symbol.len() + 1 + channel.len();
    let mut name = [0u8; MAX_ALIAS];
    let Some(buf) = name.get_mut(..len) else { return Ok(None) };
    let (head, tail) = buf.split_at_mut(symbol.len());
    head.copy_from_slice(symbol);
    tail[0] = b'@';
    tail[1..].copy_from_slice(channel);
    symbols.resolve_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(name: &str, top: bool) -> BookChannel<'_> {
        BookChannel { name: name.as_bytes(), top }
    }

    #[test]
    fn each_channel_has_a_book_and_the_deep_one_keeps_the_plain_name() {
        let mut symbols = SymbolTable::new(16);
        let mut claims = ChannelClaims::default();
        let mut on = |symbol: &str, name, top| {
            let id = claims.resolve(&mut symbols, symbol.as_bytes(), channel(name, top));
            id.ok().flatten()
        };
        // A top-of-book channel first: it holds the plain name...
        assert_eq!(on("BTC-USDT", "bbo-tbt", true), Some(0));
        // ... until the incremental channel comes, which takes it.
        assert_eq!(on("BTC-USDT", "books", false), Some(0));
        assert_eq!(on("BTC-USDT", "bbo-tbt", true), Some(1));
        assert_eq!(on("BTC-USDT", "books", false), Some(0));
        // A second incremental channel and another top channel: books of their own.
        assert_eq!(on("BTC-USDT", "books-l2-tbt", false), Some(2));
        assert_eq!(on("BTC-USDT", "books5", true), Some(3));
        // Another symbol starts afresh.
        assert_eq!(on("ETH-USDT", "books5", true), Some(4));
        assert_eq!(on("ETH-USDT", "books5", true), Some(4));
        let names: Vec<&str> = (0..5).map(|id| symbols.name(id)).collect();
        assert_eq!(
            names,
            [
                "BTC-USDT",
                "BTC-USDT@bbo-tbt",
                "BTC-USDT@books-l2-tbt",
                "BTC-USDT@books5",
                "ETH-USDT"
            ]
        );
    }

    #[test]
    fn a_filter_on_the_plain_symbol_leaves_the_other_channels_untracked() {
        let mut symbols = SymbolTable::only(&["BTCUSDT"], 16);
        let mut claims = ChannelClaims::default();
        let mut on = |symbol: &str, name, top| {
            claims.resolve(&mut symbols, symbol.as_bytes(), channel(name, top)).ok().flatten()
        };
        assert_eq!(on("BTCUSDT", "orderbook.200", false), Some(0));
        assert_eq!(on("BTCUSDT", "orderbook.1", true), None);
        assert_eq!(on("BTCUSDT", "orderbook.50", false), None);
        assert_eq!(on("ETHUSDT", "orderbook.200", false), None);
        assert_eq!(on("BTCUSDT", "orderbook.200", false), Some(0));
    }

    #[test]
    fn names_too_long_to_hold_are_not_tracked() {
        let mut symbols = SymbolTable::new(16);
        let mut claims = ChannelClaims::default();
        let long = "c".repeat(Channel::MAX + 1);
        let found = claims.resolve(&mut symbols, b"BTCUSDT", channel(&long, false));
        assert_eq!(found.ok().flatten(), None);
        assert_eq!(
            claims.resolve(&mut symbols, b"BTCUSDT", channel("books", false)).ok(),
            Some(Some(0))
        );
        let symbol = "S".repeat(MAX_ALIAS);
        let found = claims.resolve(&mut symbols, symbol.as_bytes(), channel("books", false));
        assert!(found.is_ok_and(|id| id.is_some()), "the plain name of any length");
        let found = claims.resolve(&mut symbols, symbol.as_bytes(), channel("bbo", true));
        assert_eq!(found.ok().flatten(), None, "its alias is too long to build");
    }
}
