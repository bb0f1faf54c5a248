//! Channel IDs by channel key: a channel keeps its ID for life, so the only
//! invalidation is a deleted channel (a dismissed group, whose change
//! invalidates the group channels after commit).

use crate::cache::{Cache, DEFAULT_CAPACITY};

/// Channel IDs of the channel keys looked up so far.
pub struct ChannelCache {
    ids: Cache<String, i64>,
}

impl Default for ChannelCache {
    fn default() -> Self {
        Self {
            ids: Cache::new(DEFAULT_CAPACITY),
        }
    }
}

impl ChannelCache {
    /// The cached ID of the channel `key`.
    pub fn get(&self, key: &str) -> Option<i64> {
        self.ids.get(key)
    }

    /// The generation to store loads under (read it before loading).
    pub fn generation(&self) -> u64 {
        self.ids.generation()
    }

    /// Store the ID of `key` loaded under `generation`.
    pub fn store(&self, generation: u64, key: &str, id: i64) {
        self.ids.insert_if_current(generation, key.to_owned(), id);
    }

    /// Forget one channel (it was deleted).
    pub fn invalidate_channel(&self, key: &str) {
        self.ids.invalidate(key);
    }

    /// Forget every group channel (a group change committed).
    pub fn invalidate_group_channels(&self) {
        self.ids.invalidate_where(|key| key.starts_with("group:"));
    }

    /// Forget every channel.
    pub fn invalidate_all(&self) {
        self.ids.clear();
    }
}
