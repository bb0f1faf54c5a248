//! Cache control across instances: invalidation events on the bus's control
//! topic, and what a resync does.
//!
//! A service that changes something another instance may cache publishes an
//! [`Invalidation`] with [`publish`]; every instance (this one included)
//! drops its cached copy. When the bus may have lost events (a Redis
//! reconnect, a gap in the numbered control events), every cache is dropped
//! and revoked sessions are read again; live feeds follow the same resync
//! signal themselves and re-read their memberships (see `messages::feed`).
//! Revoked sessions are applied here: a logout on one instance ends the
//! session on all of them.

use std::sync::Arc;

use crate::{
    events::{Event, Invalidation},
    realtime::Topic,
    state::AppState,
};

/// Tell every instance to drop what `invalidation` names (after commit).
pub fn publish(state: &AppState, invalidation: Invalidation) {
    state
        .bus
        .publish(Topic::Control, Arc::new(Event::Invalidate(invalidation)));
}

/// Listen to the control topic and the resync signal for as long as the
/// state lives, applying revoked sessions and dropping cached copies.
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

/// Events may have been lost: drop every cache and read revoked sessions again.
async fn resync(state: &AppState) {
    tracing::info!("control: resync (caches dropped, memberships re-read)");
    match crate::auth::Sessions::load(&state.db).await {
        Ok(fresh) => state.sessions.merge(&fresh),
        Err(err) => tracing::warn!(error = %err, "control: cannot re-read revoked sessions"),
    }
    state.caches.invalidate_all();
}
