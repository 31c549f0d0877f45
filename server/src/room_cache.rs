//! Room records by name for the hot path (every `message` names its room): read from the
//! store at most once per [`TTL`] per room on each node.
//!
//! Nothing the cache could get wrong lets a message through that should not pass: whether the
//! sender still follows the room is checked in the live state (shared by the nodes), which a
//! closed room or a removed member leaves at once, and private-room membership is still read
//! from the store. A node that changes a room forgets its entry at once; other nodes see the
//! change within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use store::RoomRecord;

/// How long an entry is believed.
pub const TTL: Duration = Duration::from_secs(2);

/// Entries past this many are all dropped (a bound, not an eviction policy: rooms in use come
/// back on their next message).
const CAPACITY: usize = 10_000;

/// Room records by name key.
#[derive(Debug, Default)]
pub struct RoomCache {
    entries: Mutex<HashMap<String, (RoomRecord, Instant)>>,
}

impl RoomCache {
    /// The record under `key` if it is fresh.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<RoomRecord> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(room, _)| room.clone())
    }

    /// Remembers a record read from the store.
    pub fn put(&self, key: String, room: RoomRecord) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (room, Instant::now()));
    }

    /// Forgets a room this node just changed.
    pub fn forget(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(id: i64) -> RoomRecord {
        RoomRecord {
            id,
            name: format!("r{id}"),
            topic: None,
            private: false,
            kind: store::RoomKind::Room,
            closed: false,
            owner: None,
        }
    }

    #[test]
    fn entries_are_kept_forgotten_and_bounded() {
        let cache = RoomCache::default();
        assert_eq!(cache.get("r1"), None);
        cache.put("r1".into(), room(1));
        assert_eq!(cache.get("r1"), Some(room(1)));
        cache.forget("r1");
        assert_eq!(cache.get("r1"), None);
        for id in 0..=CAPACITY as i64 {
            cache.put(format!("r{id}"), room(id));
        }
        assert!(cache.entries.lock().unwrap().len() <= CAPACITY);
    }
}
