//! Sessions: every token opens one (its `sid` claim), and `logout` revokes it.
//!
//! Revoked sessions are kept in the database (`revoked_sessions`, with the
//! token's expiry so rows can be pruned once the token is dead anyway) and in
//! memory here, loaded at start and updated by every logout of this process,
//! so checking a token costs no query. Sockets of a session wait on
//! [`Sessions::revoked`] to close (4403) the moment it is revoked.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use entity::revoked_sessions;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use tokio::sync::watch;

use crate::util::unix_now;

/// The revoked sessions of unexpired tokens; cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    inner: Arc<Inner>,
}

struct Inner {
    /// Session ID to the expiry (Unix seconds) of its token.
    revoked: RwLock<Revoked>,
    /// Bumped on every revocation; sockets wake and check their session.
    changed: watch::Sender<u64>,
}

struct Revoked {
    expiry: HashMap<String, i64>,
    /// Size after the last prune: the next prune waits until it doubles.
    pruned_at: usize,
}

impl Default for Sessions {
    fn default() -> Self {
        Self::with_revoked(std::iter::empty())
    }
}

impl Sessions {
    /// Load the revoked sessions of unexpired tokens, deleting the others.
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let now = unix_now();
        revoked_sessions::Entity::delete_many()
            .filter(revoked_sessions::Column::ExpiresAt.lt(now))
            .exec(db)
            .await?;
        let rows = revoked_sessions::Entity::find().all(db).await?;
        Ok(Self::with_revoked(
            rows.into_iter().map(|r| (r.session_id, r.expires_at)),
        ))
    }

    /// A set holding these `(session ID, token expiry)` pairs.
    pub fn with_revoked(revoked: impl IntoIterator<Item = (String, i64)>) -> Self {
        let expiry: HashMap<_, _> = revoked.into_iter().collect();
        let (changed, _) = watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                revoked: RwLock::new(Revoked {
                    pruned_at: expiry.len(),
                    expiry,
                }),
                changed,
            }),
        }
    }

    /// Whether `session_id` has been revoked.
    pub fn is_revoked(&self, session_id: &str) -> bool {
        self.inner.is_revoked(session_id)
    }

    /// Record in memory that `session_id` (whose token expires at
    /// `expires_at`) is revoked, and wake the sockets waiting on it. The
    /// caller has stored it in the database first.
    pub fn mark_revoked(&self, session_id: &str, expires_at: i64) {
        {
            let mut revoked = self
                .inner
                .revoked
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            revoked.expiry.insert(session_id.to_owned(), expires_at);
            if revoked.expiry.len() >= revoked.pruned_at.saturating_mul(2).max(64) {
                let now = unix_now();
                revoked.expiry.retain(|_, exp| *exp >= now);
                revoked.pruned_at = revoked.expiry.len();
            }
        }
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Add every revocation `other` knows (read again from the database
    /// after events between instances may have been lost).
    pub fn merge(&self, other: &Sessions) {
        let known: Vec<(String, i64)> = other
            .inner
            .revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .expiry
            .iter()
            .filter(|(id, _)| !self.is_revoked(id))
            .map(|(id, exp)| (id.clone(), *exp))
            .collect();
        for (session_id, expires_at) in known {
            self.mark_revoked(&session_id, expires_at);
        }
    }

    /// Resolves once `session_id` is revoked (at once if it already is).
    pub fn revoked(
        &self,
        session_id: String,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        // Subscribed before the first check, so no revocation slips between.
        let mut changes = inner.changed.subscribe();
        async move {
            while !inner.is_revoked(&session_id) {
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}

impl Inner {
    fn is_revoked(&self, session_id: &str) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .expiry
            .contains_key(session_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiting_socket_wakes_when_its_session_is_revoked() {
        let sessions = Sessions::default();
        let waiting = tokio::spawn(sessions.revoked("s1".into()));
        sessions.mark_revoked("s2", i64::MAX);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        sessions.mark_revoked("s1", i64::MAX);
        let woke = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert!(matches!(woke, Ok(Ok(()))));
        assert!(sessions.is_revoked("s1"));
        assert!(!sessions.is_revoked("s3"));
    }

    #[test]
    fn expired_entries_are_pruned_as_the_set_grows() {
        let sessions = Sessions::default();
        for i in 0..200 {
            sessions.mark_revoked(&format!("old{i}"), 1);
        }
        sessions.mark_revoked("live", i64::MAX);
        let size = sessions
            .inner
            .revoked
            .read()
            .map(|r| r.expiry.len())
            .unwrap_or(0);
        assert!(size < 200, "{size} entries kept");
        assert!(sessions.is_revoked("live"));
    }
}
