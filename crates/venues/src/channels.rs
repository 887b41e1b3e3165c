//! Connection-local channel ids (Bitfinex numbers each subscription and then sends only the
//! number), mapped to what they carry.

use crate::symbols::InstrumentId;

/// What one channel id carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channel {
    /// An aggregated book of a tracked instrument.
    Book(InstrumentId),
    /// A book published order by order (Bitfinex `R0`) of a tracked instrument.
    RawBook(InstrumentId),
    /// Something this decoder does not maintain: another channel (trades, ticker), or an
    /// instrument that is not tracked.
    Other(&'static str),
}

/// Channel ids seen in `subscribed` events. Bounded: a venue caps subscriptions per connection
/// (Bitfinex: 25 to 30), so more than [`ChannelMap::MAX`] live ids means a hostile or broken
/// feed, and the oldest ids are forgotten (their frames then count as unknown channels).
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelMap {
    entries: Vec<(i64, Channel)>,
}

impl ChannelMap {
    /// Most channel ids remembered.
    pub(crate) const MAX: usize = 1024;

    /// Records that `id` now carries `channel` (a resubscribe reuses or replaces ids).
    pub(crate) fn insert(&mut self, id: i64, channel: Channel) {
        if let Some(entry) = self.entries.iter_mut().find(|(i, _)| *i == id) {
            entry.1 = channel;
            return;
        }
        if self.entries.len() >= Self::MAX {
            self.entries.remove(0);
        }
        self.entries.push((id, channel));
    }

    /// Forgets `id` (an `unsubscribed` event).
    pub(crate) fn remove(&mut self, id: i64) {
        self.entries.retain(|(i, _)| *i != id);
    }

    /// What `id` carries, if it was announced.
    #[inline]
    pub(crate) fn get(&self, id: i64) -> Option<Channel> {
        self.entries.iter().find(|(i, _)| *i == id).map(|(_, c)| *c)
    }

    /// Forgets every id (the connection ended), keeping the memory.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The latest id carrying `instrument`'s book, if one does.
    pub(crate) fn of_instrument(&self, instrument: InstrumentId) -> Option<i64> {
        self.entries.iter().rev().find_map(|(id, channel)| match channel {
            Channel::Book(i) | Channel::RawBook(i) if *i == instrument => Some(*id),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_replaced_forgotten_and_bounded() {
        let mut map = ChannelMap::default();
        map.insert(7, Channel::Book(0));
        map.insert(7, Channel::Book(1));
        assert_eq!(map.get(7), Some(Channel::Book(1)));
        map.remove(7);
        assert_eq!(map.get(7), None);
        for id in 0..(ChannelMap::MAX as i64 + 10) {
            map.insert(id, Channel::Other("trades"));
        }
        assert_eq!(map.entries.len(), ChannelMap::MAX);
        assert_eq!(map.get(0), None, "the oldest were forgotten");
        assert!(map.get(ChannelMap::MAX as i64 + 9).is_some());
    }
}
