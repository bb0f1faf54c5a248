//! Who is online: counted from open WebSocket connections.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Live connection counts per user.
#[derive(Clone, Default)]
pub struct Presence {
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

impl Presence {
    /// Mark one more connection of `user_id` as open until the guard drops.
    pub fn connect(&self, user_id: &str) -> PresenceGuard {
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(user_id.to_owned()).or_default() += 1;
        }
        PresenceGuard {
            presence: self.clone(),
            user_id: user_id.to_owned(),
        }
    }

    /// Whether `user_id` has at least one open connection.
    pub fn is_online(&self, user_id: &str) -> bool {
        self.counts
            .lock()
            .map(|c| c.get(user_id).is_some_and(|n| *n > 0))
            .unwrap_or(false)
    }

    /// How many of `user_ids` are online.
    pub fn count_online<'a>(&self, user_ids: impl IntoIterator<Item = &'a str>) -> usize {
        let Ok(counts) = self.counts.lock() else {
            return 0;
        };
        user_ids
            .into_iter()
            .filter(|u| counts.get(*u).is_some_and(|n| *n > 0))
            .count()
    }
}

/// Keeps a connection counted as online while alive.
pub struct PresenceGuard {
    presence: Presence,
    user_id: String,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.presence.counts.lock() {
            if let Some(n) = counts.get_mut(&self.user_id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&self.user_id);
                }
            }
        }
    }
}
