//! Users by ID, as the send path reads them (sender nick and avatar,
//! whether a recipient exists). Filled by [`super::service::load_users`];
//! [`super::service::update_my_profile`] invalidates the changed user.

use std::sync::Arc;

use entity::users;

use crate::cache::{Cache, DEFAULT_CAPACITY};

/// Loaded user rows by userID. Only users that exist are held (a
/// registration needs no invalidation; accounts are never deleted).
pub struct UserCache {
    rows: Cache<String, Arc<users::Model>>,
}

impl Default for UserCache {
    fn default() -> Self {
        Self {
            rows: Cache::new(DEFAULT_CAPACITY),
        }
    }
}

impl UserCache {
    /// The cached row of `user_id`.
    pub fn get(&self, user_id: &str) -> Option<Arc<users::Model>> {
        self.rows.get(user_id)
    }

    /// The generation to store loads under (read it before loading).
    pub fn generation(&self) -> u64 {
        self.rows.generation()
    }

    /// Store a row loaded under `generation`.
    pub fn store(&self, generation: u64, row: Arc<users::Model>) {
        self.rows
            .insert_if_current(generation, row.user_id.clone(), row);
    }

    /// Forget one user (their profile changed).
    pub fn invalidate_user(&self, user_id: &str) {
        self.rows.invalidate(user_id);
    }

    /// Forget every user.
    pub fn invalidate_all(&self) {
        self.rows.clear();
    }
}
