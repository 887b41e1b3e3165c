//! The instrument registry: venue symbol text to a dense id, plus per-symbol metadata.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::error::DecodeError;

/// A dense index of an instrument within one engine (0, 1, 2, … in order of registration).
pub type InstrumentId = u32;

/// What the feed itself says about an instrument (subscription depth, number precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SymbolMeta {
    /// The depth the book was subscribed at (Kraken truncates to it after every message).
    pub depth: Option<u32>,
    /// Decimals of the instrument's prices (Kraken v2 checksums need them).
    pub price_precision: Option<u8>,
    /// Decimals of the instrument's sizes.
    pub qty_precision: Option<u8>,
}

/// Most metadata entries kept for symbols that are not (yet) tracked: an instrument list can
/// name every pair of a venue, and memory must stay bounded whatever a feed sends.
const MAX_META_ENTRIES: usize = 65_536;

/// Maps the venue's own spelling of an instrument to an [`InstrumentId`].
///
/// Invariant: `names[id]` is the symbol of `id`, `ids[names[id]] == id`, and `metas[id]` is
/// its metadata; `meta` holds metadata only for symbols not registered.
#[derive(Debug, Clone)]
pub struct SymbolTable {
    ids: HashMap<SymbolKey, InstrumentId, foldhash::fast::RandomState>,
    names: Vec<SymbolKey>,
    // When set, only these symbols are tracked; frames for others are not book data for us.
    only: Option<Vec<Box<str>>>,
    max_instruments: usize,
    // Metadata of the registered instruments, by id: read at every message, so no hashing.
    metas: Vec<SymbolMeta>,
    // Metadata announced for symbols not registered (yet), moved to `metas` on registration.
    meta: HashMap<Box<str>, SymbolMeta>,
    // The id resolved last: feeds repeat one symbol for long runs, and comparing a few bytes
    // beats hashing them.
    last_hit: Option<InstrumentId>,
}

/// A symbol as the table holds it: its bytes inline when short (every venue's symbols are, the
/// longest seen are option names of about 25 bytes), so that finding a frame's symbol among a
/// thousand reads the table's own memory and nothing it points to.
///
/// Invariant: the bytes are the UTF-8 of the `&str` the key was made from.
#[derive(Debug, Clone)]
enum SymbolKey {
    Inline { len: u8, bytes: [u8; SymbolKey::INLINE] },
    Boxed(Box<str>),
}

const _: () = assert!(std::mem::size_of::<SymbolKey>() == 32);

impl SymbolKey {
    /// Bytes kept inline: a key is 32 bytes either way.
    const INLINE: usize = 30;

    fn new(name: &str) -> Self {
        let mut bytes = [0; Self::INLINE];
        match bytes.get_mut(..name.len()) {
            Some(head) => {
                head.copy_from_slice(name.as_bytes());
                SymbolKey::Inline { len: name.len() as u8, bytes }
            }
            None => SymbolKey::Boxed(name.into()),
        }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            SymbolKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            SymbolKey::Boxed(name) => name.as_bytes(),
        }
    }

    /// The symbol (UTF-8 by the invariant: the fallback is never taken).
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// As the bytes: a key is found by a frame's slice of them.
impl Borrow<[u8]> for SymbolKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Hashes as its bytes do (as `Borrow` requires).
impl Hash for SymbolKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialEq for SymbolKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for SymbolKey {}

impl SymbolTable {
    /// A table that accepts any symbol, up to `max_instruments`.
    pub fn new(max_instruments: usize) -> Self {
        Self {
            ids: HashMap::default(),
            names: Vec::new(),
            only: None,
            max_instruments,
            metas: Vec::new(),
            meta: HashMap::new(),
            last_hit: None,
        }
    }

    /// A table that tracks only `symbols` (registered now, in order).
    pub fn only<S: AsRef<str>>(symbols: &[S], max_instruments: usize) -> Self {
        let mut table = Self::new(max_instruments.max(symbols.len()));
        table.only = Some(symbols.iter().map(|s| Box::from(s.as_ref())).collect());
        for s in symbols {
            // Cannot fail: the cap was raised to fit.
            let _ = table.register(s.as_ref());
        }
        table
    }

    fn register(&mut self, name: &str) -> Result<InstrumentId, DecodeError> {
        if self.names.len() >= self.max_instruments {
            return Err(DecodeError::TooManyInstruments(self.max_instruments));
        }
        let id = self.names.len() as InstrumentId;
        let key = SymbolKey::new(name);
        self.ids.insert(key.clone(), id);
        self.names.push(key);
        self.metas.push(self.meta.remove(name).unwrap_or_default());
        Ok(id)
    }

    /// The id of `name`, registering it if it is new and allowed; `None` if it is not tracked.
    ///
    /// # Errors
    /// [`DecodeError::TooManyInstruments`] when a new symbol would exceed the cap.
    #[inline]
    pub fn resolve(&mut self, name: &str) -> Result<Option<InstrumentId>, DecodeError> {
        self.resolve_bytes(name.as_bytes())
    }

    /// [`SymbolTable::resolve`] for a symbol still in a frame's bytes: the last id resolved is
    /// checked byte for byte first, so a feed repeating one symbol never validates its text as
    /// UTF-8 nor hashes it.
    ///
    /// # Errors
    /// As [`SymbolTable::resolve`]; [`DecodeError::WrongType`] if `name` is not UTF-8.
    #[inline]
    pub fn resolve_bytes(&mut self, name: &[u8]) -> Result<Option<InstrumentId>, DecodeError> {
        if let Some(id) = self.last_hit
            && self.names.get(id as usize).is_some_and(|key| key.as_bytes() == name)
        {
            return Ok(Some(id));
        }
        self.resolve_missed(name)
    }

    /// [`SymbolTable::resolve_bytes`] past the last hit. A registered symbol was UTF-8 when
    /// it registered, so only a new one is checked.
    fn resolve_missed(&mut self, name: &[u8]) -> Result<Option<InstrumentId>, DecodeError> {
        if let Some(&id) = self.ids.get(name) {
            self.last_hit = Some(id);
            return Ok(Some(id));
        }
        let name = std::str::from_utf8(name).map_err(|_| DecodeError::WrongType("symbol"))?;
        if self.only.is_some() {
            return Ok(None);
        }
        self.register(name).map(Some)
    }

    /// The instrument a message that names none belongs to (a REST snapshot body): the only
    /// symbol the user asked for, else the only symbol seen so far.
    ///
    /// # Errors
    /// [`DecodeError::AmbiguousSnapshot`] when that is not exactly one symbol.
    pub fn resolve_unnamed(&self) -> Result<InstrumentId, DecodeError> {
        if self.names.len() == 1 { Ok(0) } else { Err(DecodeError::AmbiguousSnapshot) }
    }

    /// The id of `name` if it is registered.
    pub fn lookup(&self, name: &str) -> Option<InstrumentId> {
        self.ids.get(name.as_bytes()).copied()
    }

    /// The symbol of `id`.
    pub fn name(&self, id: InstrumentId) -> &str {
        self.names.get(id as usize).map_or("", SymbolKey::as_str)
    }

    /// Number of registered instruments.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no instrument is registered.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Records metadata the feed announced for `name` (registered or not).
    pub fn note_meta(&mut self, name: &str, update: impl FnOnce(&mut SymbolMeta)) {
        if let Some(meta) =
            self.ids.get(name.as_bytes()).and_then(|&id| self.metas.get_mut(id as usize))
        {
            update(meta);
        } else if let Some(meta) = self.meta.get_mut(name) {
            update(meta);
        } else if self.meta.len() < MAX_META_ENTRIES {
            let mut meta = SymbolMeta::default();
            update(&mut meta);
            self.meta.insert(Box::from(name), meta);
        }
    }

    /// Metadata the feed announced for `id`.
    pub fn meta(&self, id: InstrumentId) -> SymbolMeta {
        self.metas.get(id as usize).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_of_any_length_resolve_to_their_own_ids() {
        // Around the inline limit, and past it; names sharing prefixes; the empty name.
        let names: Vec<String> =
            (0..=40).flat_map(|len| ["x".repeat(len), format!("{}y", "x".repeat(len))]).collect();
        let mut t = SymbolTable::new(1_000);
        for (i, name) in names.iter().enumerate() {
            assert_eq!(t.resolve_bytes(name.as_bytes()).unwrap(), Some(i as InstrumentId));
        }
        // Again, in another order (no last hit to help), then each twice in a row.
        for (i, name) in names.iter().enumerate().rev() {
            assert_eq!(t.resolve(name).unwrap(), Some(i as InstrumentId), "{name}");
            assert_eq!(t.lookup(name), Some(i as InstrumentId));
            assert_eq!(t.name(i as InstrumentId), name);
        }
        for (i, name) in names.iter().enumerate() {
            assert_eq!(t.resolve(name).unwrap(), Some(i as InstrumentId));
            assert_eq!(t.resolve(name).unwrap(), Some(i as InstrumentId));
        }
        assert_eq!(t.len(), names.len());
        assert_eq!(t.resolve_bytes(b"\xff"), Err(DecodeError::WrongType("symbol")));
    }

    #[test]
    fn filter_and_cap() {
        let mut t = SymbolTable::only(&["BTCUSDT"], 8);
        assert_eq!(t.resolve("BTCUSDT").unwrap(), Some(0));
        assert_eq!(t.resolve("ETHUSDT").unwrap(), None);
        assert_eq!(t.resolve_unnamed().unwrap(), 0);
        let mut t = SymbolTable::new(1);
        assert_eq!(t.resolve("A").unwrap(), Some(0));
        assert_eq!(t.resolve("B"), Err(DecodeError::TooManyInstruments(1)));
    }

    #[test]
    fn metadata_follows_a_symbol_whether_noted_before_or_after_it_registers() {
        let depth = |d| move |m: &mut SymbolMeta| m.depth = Some(d);
        let mut t = SymbolTable::new(8);
        t.note_meta("XBT/USD", depth(10));
        t.note_meta("ETH/USD", depth(25));
        let xbt = t.resolve("XBT/USD").unwrap().unwrap();
        assert_eq!(t.meta(xbt).depth, Some(10));
        t.note_meta("XBT/USD", depth(100));
        assert_eq!(t.meta(xbt).depth, Some(100));
        let sol = t.resolve("SOL/USD").unwrap().unwrap();
        assert_eq!(t.meta(sol), SymbolMeta::default());
        let eth = t.resolve("ETH/USD").unwrap().unwrap();
        assert_eq!(t.meta(eth).depth, Some(25));
    }
}
