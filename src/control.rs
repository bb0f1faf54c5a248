//! Cache control across instances: invalidation events on the bus's control
//! topic, and the resync hook.
//!
//! A service that changes something another instance may cache publishes an
//! [`Invalidation`] with [`publish`]; every instance (this one included)
//! hands it to the hooks registered with [`Control::on_invalidate`]. When the
//! bus may have lost events (a Redis reconnect, a gap in the numbered control
//! events), the hooks registered with [`Control::on_resync`] run: drop every
//! cache and read memberships again. Live feeds follow the same resync
//! signal themselves (see `messages::feed`). Revoked sessions are applied
//! here: a logout on one instance ends the session on all of them.

use std::sync::{Arc, RwLock};

use crate::{
    messages::events::{Event, Invalidation},
    realtime::Topic,
    state::AppState,
};

/// Called with every invalidation, from any instance.
pub type InvalidateHook = Arc<dyn Fn(&Invalidation) + Send + Sync>;
/// Called after a resync: drop caches and re-read memberships.
pub type ResyncHook = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Hooks {
    invalidate: Vec<InvalidateHook>,
    resync: Vec<ResyncHook>,
}

/// The registered hooks; cheap to clone.
#[derive(Clone, Default)]
pub struct Control {
    hooks: Arc<RwLock<Hooks>>,
}

impl Control {
    /// Run `hook` for every invalidation received.
    pub fn on_invalidate(&self, hook: InvalidateHook) {
        self.write().invalidate.push(hook);
    }

    /// Run `hook` after every resync of the bus.
    pub fn on_resync(&self, hook: ResyncHook) {
        self.write().resync.push(hook);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Hooks> {
        self.hooks
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Hooks> {
        self.hooks
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Tell every instance to drop what `invalidation` names (after commit).
pub fn publish(state: &AppState, invalidation: Invalidation) {
    state
        .bus
        .publish(Topic::Control, Arc::new(Event::Invalidate(invalidation)));
}

/// Listen to the control topic and the resync signal for as long as the
/// state lives, applying revoked sessions and running the hooks.
pub fn spawn(state: &AppState) -> tokio::task::JoinHandle<()> {
    let mut events = state.bus.subscribe(&Topic::Control);
    let mut resyncs = state.bus.resyncs();
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                received = events.recv() => match received {
                    Ok(event) => {
                        if let Event::Invalidate(invalidation) = event.as_ref() {
                            apply(&state, invalidation);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        resync(&state).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                changed = resyncs.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    resync(&state).await;
                }
            }
        }
    })
}

fn apply(state: &AppState, invalidation: &Invalidation) {
    if let Invalidation::SessionRevoked {
        session_id,
        expires_at,
    } = invalidation
    {
        state.sessions.mark_revoked(session_id, *expires_at);
    }
    drop_cached(state, invalidation);
    let hooks = state.control.read().invalidate.clone();
    for hook in hooks {
        hook(invalidation);
    }
}

/// Forget what this instance caches about what `invalidation` names. The
/// instance that made the change has already done so; this is for the others.
fn drop_cached(state: &AppState, invalidation: &Invalidation) {
    let caches = &state.caches;
    match invalidation {
        Invalidation::Profile { user } => caches.users.invalidate_user(user),
        Invalidation::Blacklist { owner } => caches.blacklist.invalidate_owner(owner),
        Invalidation::Memberships { group_id } => {
            caches.groups.invalidate_group(group_id);
            // A dismissed group's channel is gone with it.
            caches.channels.invalidate_group_channels();
        }
        Invalidation::SessionRevoked { .. } => {}
    }
}

/// Events may have been lost: drop every cache, read revoked sessions again
/// and run the hooks.
async fn resync(state: &AppState) {
    tracing::info!("control: resync (caches dropped, memberships re-read)");
    match crate::auth::Sessions::load(&state.db).await {
        Ok(fresh) => state.sessions.merge(&fresh),
        Err(err) => tracing::warn!(error = %err, "control: cannot re-read revoked sessions"),
    }
    state.caches.invalidate_all();
    let hooks = state.control.read().resync.clone();
    for hook in hooks {
        hook();
    }
}
