//! Blacklist rules and queries.

use std::{collections::HashSet, sync::Arc};

use entity::blacklist;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{
    error::{AppError, AppResult},
    events::Event,
    realtime::Topic,
    state::AppState,
    users::{service as users, types::Profile, validate},
    util::unix_now,
};

/// Most IDs one call may name.
pub const MAX_IDS_PER_CALL: usize = 1000;

/// The userIDs `owner` has blacklisted, oldest first.
pub async fn list_ids(state: &AppState, owner: &str) -> AppResult<Vec<String>> {
    Ok(blacklist::Entity::find()
        .filter(blacklist::Column::OwnerId.eq(owner))
        .order_by_asc(blacklist::Column::CreatedAt)
        .order_by_asc(blacklist::Column::BlockedId)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| row.blocked_id)
        .collect())
}

/// The profiles `owner` has blacklisted.
pub async fn list_profiles(state: &AppState, owner: &str) -> AppResult<Vec<Profile>> {
    let ids = list_ids(state, owner).await?;
    let rows = users::load_users(state, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.get(id).map(Profile::public))
        .collect())
}

fn checked_ids(owner: &str, ids: &[String]) -> AppResult<Vec<String>> {
    let ids = validate::user_id_list("userIDList", ids, MAX_IDS_PER_CALL)?;
    if ids.is_empty() {
        return Err(AppError::bad_input(
            "userIDList",
            "must name at least one user",
        ));
    }
    if ids.iter().any(|id| id == owner) {
        return Err(AppError::bad_input(
            "userIDList",
            "cannot blacklist yourself",
        ));
    }
    Ok(ids)
}

/// Add users to `owner`'s blacklist; returns the whole list after.
pub async fn add(state: &AppState, owner: &str, ids: &[String]) -> AppResult<Vec<String>> {
    let ids = checked_ids(owner, ids)?;
    users::require_users(state, &ids).await?;
    let now = unix_now();
    let write = state.begin_write().await?;
    let tx = write.conn();
    let existing: Vec<String> = blacklist::Entity::find()
        .filter(blacklist::Column::OwnerId.eq(owner))
        .filter(blacklist::Column::BlockedId.is_in(ids.iter().cloned()))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.blocked_id)
        .collect();
    let rows: Vec<blacklist::ActiveModel> = ids
        .iter()
        .filter(|id| !existing.contains(id))
        .map(|id| blacklist::ActiveModel {
            owner_id: Set(owner.to_owned()),
            blocked_id: Set(id.clone()),
            created_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        blacklist::Entity::insert_many(rows)
            .on_conflict_do_nothing()
            .exec(tx)
            .await?;
    }
    write.commit().await?;
    state.caches.blacklist.invalidate_owner(owner);
    announce(state, owner).await
}

/// Remove users from `owner`'s blacklist; returns the whole list after.
pub async fn remove(state: &AppState, owner: &str, ids: &[String]) -> AppResult<Vec<String>> {
    let ids = checked_ids(owner, ids)?;
    users::require_users(state, &ids).await?;
    {
        let _gate = state.write_guard().await;
        blacklist::Entity::delete_many()
            .filter(blacklist::Column::OwnerId.eq(owner))
            .filter(blacklist::Column::BlockedId.is_in(ids))
            .exec(&state.db)
            .await?;
    }
    state.caches.blacklist.invalidate_owner(owner);
    announce(state, owner).await
}

async fn announce(state: &AppState, owner: &str) -> AppResult<Vec<String>> {
    let list = list_ids(state, owner).await?;
    state.bus.publish(
        Topic::User(owner.to_owned()),
        Arc::new(Event::BlacklistUpdated {
            owner: owner.to_owned(),
            list: list.clone(),
        }),
    );
    crate::control::publish(
        state,
        crate::events::Invalidation::Blacklist {
            owner: owner.to_owned(),
        },
    );
    Ok(list)
}

/// Whether `owner` has blacklisted `other`.
/// The whole list comes from the cache, loaded in one query on a miss.
pub async fn is_blocked(state: &AppState, owner: &str, other: &str) -> AppResult<bool> {
    if let Some(list) = state.caches.blacklist.get(owner) {
        return Ok(list.contains(other));
    }
    let generation = state.caches.blacklist.generation();
    let list: Arc<HashSet<String>> = Arc::new(list_ids(state, owner).await?.into_iter().collect());
    state
        .caches
        .blacklist
        .store(generation, owner, list.clone());
    Ok(list.contains(other))
}

/// Who among everyone has blacklisted `user` (one indexed query).
pub async fn blocked_by(state: &AppState, user: &str) -> AppResult<Vec<String>> {
    use sea_orm::QuerySelect;
    Ok(blacklist::Entity::find()
        .select_only()
        .column(blacklist::Column::OwnerId)
        .filter(blacklist::Column::BlockedId.eq(user))
        .into_tuple()
        .all(&state.db)
        .await?)
}
