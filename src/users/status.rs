//! User status (`getUserStatus`, `setSelfStatus`, live `userStatusUpdated`):
//! online means at least one live socket; the custom status and the last
//! time online are stored. A user who blacklisted the viewer shows offline.

use std::{collections::HashSet, sync::Arc};

use entity::user_statuses as statuses;
use futures_util::{
    stream::{self, BoxStream},
    FutureExt, StreamExt,
};
use sea_orm::{sea_query::OnConflict, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    service as users,
    types::{UserStatus, UserStatusType},
    validate,
};
use crate::{
    blacklist::service as blacklist,
    error::{AppError, AppResult},
    events::Event,
    realtime::{stream::topic_events, PresenceGuard, Topic},
    state::AppState,
    util::unix_now,
};

/// Longest custom status, in bytes.
pub const MAX_CUSTOM_STATUS_BYTES: usize = 100;
/// Most users one `getUserStatus` or `userStatusUpdated` may name (distinct).
pub const MAX_STATUS_IDS: usize = 200;

/// The bus topic of a user's status changes. `@` never occurs in a userID,
/// so it cannot meet a user's own topic.
pub fn status_topic(user: &str) -> Topic {
    Topic::User(format!("@status:{user}"))
}

/// Keeps a socket counted as online; when the user's last one closes, their
/// last time online is stored and their watchers are told.
pub struct StatusGuard {
    presence: Option<PresenceGuard>,
    state: AppState,
    user: String,
}

/// Count a live socket of `user`; the first one (on any instance) tells
/// their watchers.
pub async fn connect(state: &AppState, user: &str) -> StatusGuard {
    // Unknown (Redis not answering) counts as offline: at worst an extra announcement.
    let was_online = state.presence.is_online(user).await.unwrap_or(false);
    let presence = state.presence.connect(user).await;
    if !was_online {
        let (state, user) = (state.clone(), user.to_owned());
        tokio::spawn(async move { announce(&state, &user).await });
    }
    StatusGuard {
        presence: Some(presence),
        state: state.clone(),
        user: user.to_owned(),
    }
}

impl Drop for StatusGuard {
    fn drop(&mut self) {
        drop(self.presence.take());
        if self.state.presence.is_local(&self.user) {
            return;
        }
        let (state, user) = (self.state.clone(), std::mem::take(&mut self.user));
        // A runtime is gone only at shutdown, when nobody is left to tell.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // The offline write must land first, or the user still
                // reads as online; another instance may still hold a socket.
                state.presence.settled().await;
                if state.presence.is_online(&user).await.unwrap_or(false) {
                    return;
                }
                if let Err(err) = store(&state, &user, None, Some(unix_now())).await {
                    err.report("recording last seen");
                }
                announce(&state, &user).await;
            });
        }
    }
}

/// Tell `user`'s watchers their status now.
async fn announce(state: &AppState, user: &str) {
    match statuses_of(state, &[user.to_owned()]).await {
        Ok(mut list) => {
            if let Some(status) = list.pop() {
                state.bus.publish(
                    status_topic(user),
                    Arc::new(Event::UserStatusChanged(status)),
                );
            }
        }
        Err(err) => err.report("announcing a status"),
    }
}

/// Upsert the stored part of a status.
async fn store(
    state: &AppState,
    user: &str,
    custom_status: Option<&str>,
    last_seen: Option<i64>,
) -> AppResult<()> {
    let mut columns = Vec::new();
    if custom_status.is_some() {
        columns.push(statuses::Column::CustomStatus);
    }
    if last_seen.is_some() {
        columns.push(statuses::Column::LastSeen);
    }
    let row = statuses::ActiveModel {
        user_id: Set(user.to_owned()),
        custom_status: Set(custom_status.unwrap_or_default().to_owned()),
        last_seen: Set(last_seen.unwrap_or(0)),
    };
    let _gate = state.write_guard().await;
    statuses::Entity::insert(row)
        .on_conflict(
            OnConflict::column(statuses::Column::UserId)
                .update_columns(columns)
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    Ok(())
}

/// The statuses of existing users among `ids`, in order (no viewer rules).
async fn statuses_of(state: &AppState, ids: &[String]) -> AppResult<Vec<UserStatus>> {
    let existing = users::load_users(state, ids).await?;
    let stored: std::collections::HashMap<String, statuses::Model> = statuses::Entity::find()
        .filter(statuses::Column::UserId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.user_id.clone(), s))
        .collect();
    let known: Vec<&str> = ids
        .iter()
        .filter(|id| existing.contains_key(*id))
        .map(String::as_str)
        .collect();
    let online = state.presence.online_of(&known).await?;
    Ok(known
        .into_iter()
        .zip(online)
        .map(|(id, online)| {
            let row = stored.get(id);
            UserStatus {
                user_id: id.to_owned(),
                status_type: if online {
                    UserStatusType::Online
                } else {
                    UserStatusType::Offline
                },
                custom_status: row.map(|r| r.custom_status.clone()).unwrap_or_default(),
                last_seen: row.map(|r| r.last_seen).unwrap_or(0),
            }
        })
        .collect())
}

/// Who among `ids` has blacklisted `viewer`.
async fn hiding_from(state: &AppState, viewer: &str, ids: &[String]) -> AppResult<HashSet<String>> {
    Ok(blacklist::blocked_by(state, viewer)
        .await?
        .into_iter()
        .filter(|owner| ids.contains(owner))
        .collect())
}

/// The statuses of the named users (unknown ones left out), as `viewer` may see them.
pub async fn get_user_status(
    state: &AppState,
    viewer: &str,
    ids: &[String],
) -> AppResult<Vec<UserStatus>> {
    let ids = validate::user_id_list("userIDList", ids, MAX_STATUS_IDS)?;
    let hidden = hiding_from(state, viewer, &ids).await?;
    Ok(statuses_of(state, &ids)
        .await?
        .into_iter()
        .map(|s| {
            if hidden.contains(&s.user_id) {
                UserStatus::hidden(&s.user_id)
            } else {
                s
            }
        })
        .collect())
}

/// Set the viewer's custom status (up to 100 bytes; empty clears it); their watchers are told.
pub async fn set_self_status(
    state: &AppState,
    viewer: &str,
    custom_status: &str,
) -> AppResult<UserStatus> {
    if custom_status.len() > MAX_CUSTOM_STATUS_BYTES {
        return Err(AppError::bad_input(
            "customStatus",
            format!("must be at most {MAX_CUSTOM_STATUS_BYTES} bytes"),
        ));
    }
    validate::text("customStatus", custom_status)?;
    store(state, viewer, Some(custom_status), None).await?;
    announce(state, viewer).await;
    statuses_of(state, &[viewer.to_owned()])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("the viewer has no user row"))
}

/// The named users' statuses now (as `viewer` may see them), then each change:
/// coming online, going offline, a new custom status. Users who blacklisted
/// the viewer (when the stream starts) show offline and are not followed.
pub async fn user_status_stream(
    state: &AppState,
    viewer: &str,
    ids: &[String],
) -> AppResult<BoxStream<'static, AppResult<UserStatus>>> {
    let ids = validate::user_id_list("userIDList", ids, MAX_STATUS_IDS)?;
    let hidden = hiding_from(state, viewer, &ids).await?;
    // Listen before reading, so a change in between is not missed.
    let topics: Vec<_> = ids
        .iter()
        .filter(|id| !hidden.contains(*id))
        .map(|id| {
            // After a lag or a bus resync, the user's status now stands in
            // for the changes that may have been missed.
            let (reader, id) = (state.clone(), id.clone());
            topic_events(state.bus.as_ref(), &status_topic(&id), move || {
                let (state, id) = (reader.clone(), id.clone());
                async move {
                    Ok(statuses_of(&state, &[id])
                        .await?
                        .pop()
                        .map(|status| Arc::new(Event::UserStatusChanged(status))))
                }
                .boxed()
            })
        })
        .collect();
    let first = get_user_status(state, viewer, &ids).await?;
    let changes = stream::select_all(topics).filter_map(|event| async move {
        match event {
            Ok(event) => match event.as_ref() {
                Event::UserStatusChanged(status) => Some(Ok(status.clone())),
                _ => None,
            },
            Err(err) => Some(Err(err)),
        }
    });
    Ok(stream::iter(first.into_iter().map(Ok))
        .chain(changes)
        .boxed())
}
