//! Blacklists by owner, as the send path asks "has the recipient blocked the
//! sender?". Filled by [`super::service::is_blocked`]; `addToBlacklist` and
//! `removeFromBlacklist` invalidate their owner.

use std::{collections::HashSet, sync::Arc};

use crate::cache::{Cache, DEFAULT_CAPACITY};

/// The blocked userIDs of each owner loaded so far.
pub struct BlacklistCache {
    lists: Cache<String, Arc<HashSet<String>>>,
}

impl Default for BlacklistCache {
    fn default() -> Self {
        Self {
            lists: Cache::new(DEFAULT_CAPACITY),
        }
    }
}

impl BlacklistCache {
    /// The cached list of `owner`.
    pub fn get(&self, owner: &str) -> Option<Arc<HashSet<String>>> {
        self.lists.get(owner)
    }

    /// The generation to store loads under (read it before loading).
    pub fn generation(&self) -> u64 {
        self.lists.generation()
    }

    /// Store `owner`'s list loaded under `generation`.
    pub fn store(&self, generation: u64, owner: &str, list: Arc<HashSet<String>>) {
        self.lists
            .insert_if_current(generation, owner.to_owned(), list);
    }

    /// Forget one owner's list (it changed).
    pub fn invalidate_owner(&self, owner: &str) {
        self.lists.invalidate(owner);
    }

    /// Forget every list.
    pub fn invalidate_all(&self) {
        self.lists.clear();
    }
}
