//! Pinned group messages: owners and admins pin (any member in a Private
//! group), at most [`MAX_PINNED`] per group; members are told through
//! `groupUpdated`.

use entity::{group_pinned_messages as pins, messages};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use super::{
    change::Change,
    queries::{load_group, require_member},
    rules::is_manager,
    types::{GroupMemberRole, GroupType},
};
use crate::{
    error::{AppError, AppResult},
    messages::{store, view::MessageView},
    state::AppState,
    util::unix_now,
};

/// Most messages pinned in one group at a time.
pub const MAX_PINNED: u64 = 10;

/// Pin or unpin a message of a group (idempotent); returns the pinned list.
pub async fn pin_group_message(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    message_id: &str,
    is_pinned: bool,
) -> AppResult<Vec<MessageView>> {
    let group = load_group(&state.db, group_id).await?;
    let member = require_member(&state.db, group_id, viewer).await?;
    let group_type = GroupType::from(group.group_type);
    let role = GroupMemberRole::from(member.role);
    if group_type != GroupType::Private && !is_manager(role) {
        return Err(AppError::Forbidden(
            "only the owner and admins may pin messages in this group".into(),
        ));
    }
    let row = messages::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .filter(|m| m.channel_id == group.channel_id && m.seq.is_some())
        .ok_or_else(|| AppError::NotFound(format!("no such message: {message_id}")))?;
    if is_pinned && row.is_revoked {
        return Err(AppError::Forbidden(
            "a revoked message cannot be pinned".into(),
        ));
    }
    let mut change = Change::begin(state, &[group.channel_id]).await?;
    let tx = change.tx()?;
    let already = pins::Entity::find_by_id((group_id.to_owned(), message_id.to_owned()))
        .one(tx)
        .await?
        .is_some();
    match (is_pinned, already) {
        (true, false) => {
            // Counted inside the change, which holds the group's lock: two
            // concurrent pins cannot both pass the limit.
            if pins::Entity::find()
                .filter(pins::Column::GroupId.eq(group_id))
                .count(tx)
                .await?
                >= MAX_PINNED
            {
                return Err(AppError::bad_input(
                    "messageID",
                    format!("a group has at most {MAX_PINNED} pinned messages"),
                ));
            }
            pins::Entity::insert(pins::ActiveModel {
                group_id: Set(group_id.to_owned()),
                message_id: Set(message_id.to_owned()),
                pinned_by: Set(viewer.to_owned()),
                pinned_at: Set(unix_now()),
            })
            .on_conflict(
                OnConflict::columns([pins::Column::GroupId, pins::Column::MessageId])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
            change.announce(group_id);
        }
        (false, true) => {
            pins::Entity::delete_many()
                .filter(pins::Column::GroupId.eq(group_id))
                .filter(pins::Column::MessageId.eq(message_id))
                .exec(tx)
                .await?;
            change.announce(group_id);
        }
        // Nothing to change: nobody is told.
        _ => {}
    }
    change.commit().await?;
    pinned_messages(state, viewer, group_id).await
}

/// The pinned messages of a group as `viewer` sees them, in pinning order.
pub async fn pinned_messages(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Vec<MessageView>> {
    let ids = pinned_ids(&state.db, group_id).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = messages::Entity::find()
        .filter(messages::Column::Id.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    store::views_of(state, viewer, rows).await
}

async fn pinned_ids<C: ConnectionTrait>(conn: &C, group_id: &str) -> AppResult<Vec<String>> {
    Ok(pins::Entity::find()
        .filter(pins::Column::GroupId.eq(group_id))
        .order_by_asc(pins::Column::PinnedAt)
        .order_by_asc(pins::Column::MessageId)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| p.message_id)
        .collect())
}
