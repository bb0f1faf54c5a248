//! In-memory read caches for the send path, and the one handle that drops
//! them all.
//!
//! Each cache is owned by the service that changes what it holds (users,
//! blacklist, channels, groups): that service fills it on a miss and calls
//! its `invalidate_*` method after every committed change. A cache never
//! outlives a change it missed: a reader that loaded a value before a change
//! committed cannot store it after the change's invalidation, because every
//! invalidation bumps a generation the reader checked before loading (see
//! [`Cache::insert_if_current`]). `state::Caches::invalidate_all` is the hook
//! for invalidation from elsewhere (another instance, through the bus).

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::Hash,
    sync::{Mutex, MutexGuard},
};

/// Entries one cache holds before it starts over (a bound on memory, not a
/// policy: the hot set refills in one query per entry).
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A map of loaded values with a generation that every invalidation bumps.
pub struct Cache<K, V> {
    inner: Mutex<Inner<K, V>>,
    capacity: usize,
}

struct Inner<K, V> {
    map: HashMap<K, V>,
    generation: u64,
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    /// An empty cache holding at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                generation: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // A panic while holding this lock cannot leave the map inconsistent
        // (every operation is one map call), so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock().map.get(key).cloned()
    }

    /// The generation to pass to [`Cache::insert_if_current`]: read it
    /// before loading from the database.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Store a value loaded after [`Cache::generation`] returned `generation`,
    /// unless something was invalidated since (the value may then be stale).
    pub fn insert_if_current(&self, generation: u64, key: K, value: V) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.map.len() >= self.capacity {
            inner.map.clear();
        }
        inner.map.insert(key, value);
    }

    /// Forget `key`.
    pub fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.map.remove(key);
    }

    /// Forget every entry whose key matches.
    pub fn invalidate_where(&self, matches: impl Fn(&K) -> bool) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.map.retain(|k, _| !matches(k));
    }

    /// Forget everything.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.map.clear();
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::Cache;

    #[test]
    fn a_value_loaded_before_an_invalidation_is_not_stored() {
        let cache: Cache<String, i64> = Cache::new(10);
        let generation = cache.generation();
        cache.invalidate("a");
        cache.insert_if_current(generation, "a".to_owned(), 1);
        assert_eq!(cache.get("a"), None);
        let generation = cache.generation();
        cache.insert_if_current(generation, "a".to_owned(), 2);
        assert_eq!(cache.get("a"), Some(2));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache: Cache<i64, i64> = Cache::new(2);
        for k in 0..3 {
            let generation = cache.generation();
            cache.insert_if_current(generation, k, k);
        }
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&2), Some(2));
    }
}
