//! What the messaging and conversation domains ask of groups: a group's
//! identity, the sender's card, whether they may send, who manages it, its
//! history floor, and the facts a conversation list shows.

use std::{collections::HashMap, sync::Arc};

use entity::{group_members, groups};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    queries::{load_group, member_of},
    rules::is_manager,
    types::{GroupMemberRole, GroupType, GroupView},
    views::{build, floor_of, GroupSet},
};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    util::unix_now,
};

/// A group's identity as messaging needs it.
#[derive(Debug, Clone)]
pub struct GroupRef {
    /// The groupID.
    pub group_id: String,
    /// Its type.
    pub group_type: GroupType,
}

/// The group row from the cache, loaded on a miss; or `GROUP_NOT_FOUND`.
async fn cached_group(state: &AppState, group_id: &str) -> AppResult<Arc<groups::Model>> {
    if let Some(row) = state.caches.groups.group(group_id) {
        return Ok(row);
    }
    let generation = state.caches.groups.group_generation();
    let row = Arc::new(load_group(&state.db, group_id).await?);
    state.caches.groups.store_group(generation, row.clone());
    Ok(row)
}

/// The membership from the cache, loaded on a miss.
async fn cached_member(
    state: &AppState,
    group_id: &str,
    user: &str,
) -> AppResult<Option<Arc<group_members::Model>>> {
    if let Some(known) = state.caches.groups.member(group_id, user) {
        return Ok(known);
    }
    let generation = state.caches.groups.member_generation();
    let row = member_of(&state.db, group_id, user).await?.map(Arc::new);
    state
        .caches
        .groups
        .store_member(generation, group_id, user, row.clone());
    Ok(row)
}

/// The group, or `GROUP_NOT_FOUND`.
pub async fn find_group(state: &AppState, group_id: &str) -> AppResult<GroupRef> {
    let group = cached_group(state, group_id).await?;
    Ok(GroupRef {
        group_type: GroupType::from(group.group_type),
        group_id: group.group_id.clone(),
    })
}

/// The member's card in the group (empty for non-members).
pub async fn name_card_of(state: &AppState, group_id: &str, user: &str) -> AppResult<String> {
    Ok(cached_member(state, group_id, user)
        .await?
        .map(|m| m.name_card.clone())
        .unwrap_or_default())
}

/// Membership and mute checks for sending into a group: the owner and admins
/// are never muted; `muteAllMembers` mutes everyone else.
pub async fn check_can_send(state: &AppState, user: &str, group_id: &str) -> AppResult<()> {
    let group = cached_group(state, group_id).await?;
    let member = cached_member(state, group_id, user)
        .await?
        .ok_or_else(|| AppError::NotGroupMember("you are not a member of this group".into()))?;
    let role = GroupMemberRole::from(member.role);
    if role == GroupMemberRole::Member {
        if member.mute_until > unix_now() {
            return Err(AppError::Muted("you are muted in this group".into()));
        }
        if group.mute_all_members {
            return Err(AppError::Muted("everyone is muted in this group".into()));
        }
    }
    Ok(())
}

/// Whether `user` is the group's owner or an admin.
pub async fn is_owner_or_admin(state: &AppState, group_id: &str, user: &str) -> AppResult<bool> {
    Ok(cached_member(state, group_id, user)
        .await?
        .is_some_and(|m| is_manager(GroupMemberRole::from(m.role))))
}

/// The sequence up to which a group's history is hidden from everyone
/// (an AVChatRoom keeps none); per-member floors are in their state rows.
pub async fn history_floor(state: &AppState, group_id: &str, last_seq: i64) -> AppResult<i64> {
    let group = cached_group(state, group_id).await?;
    Ok(floor_of(GroupType::from(group.group_type), last_seq))
}

/// What the conversation list needs to know about a group.
#[derive(Debug, Clone)]
pub struct GroupConversationInfo {
    /// The group type.
    pub sub_type: GroupType,
    /// Whether its messages count as unread.
    pub counts_unread: bool,
    /// Sequence up to which history is hidden for everyone.
    pub history_floor: i64,
    /// The group as the viewer sees it.
    pub profile: GroupView,
}

/// Conversation-list facts of the given groups for `viewer`, in a fixed
/// number of queries whatever the number of groups. Dismissed groups are left out.
pub async fn conversation_info(
    state: &AppState,
    viewer: &str,
    group_ids: &[String],
) -> AppResult<HashMap<String, GroupConversationInfo>> {
    if group_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = groups::Entity::find()
        .filter(groups::Column::GroupId.is_in(group_ids.iter().cloned()))
        .all(&state.db)
        .await?;
    let built = build(state, viewer, rows, GroupSet::Listed(group_ids)).await?;
    Ok(built
        .into_iter()
        .map(|(view, last_seq)| {
            let info = GroupConversationInfo {
                sub_type: view.group_type,
                counts_unread: view.group_type.counts_unread(),
                history_floor: floor_of(view.group_type, last_seq),
                profile: view,
            };
            (info.profile.group_id.clone(), info)
        })
        .collect())
}

/// Which of `group_ids` count unread messages (by their type), in one query.
pub async fn groups_counting_unread(
    state: &AppState,
    group_ids: &[String],
) -> AppResult<std::collections::HashSet<String>> {
    if group_ids.is_empty() {
        return Ok(Default::default());
    }
    let mut counting = std::collections::HashSet::new();
    // Chunks keep every statement inside both databases' bind limits.
    for chunk in group_ids.chunks(500) {
        for row in groups::Entity::find()
            .filter(groups::Column::GroupId.is_in(chunk.iter().cloned()))
            .all(&state.db)
            .await?
        {
            if GroupType::from(row.group_type).counts_unread() {
                counting.insert(row.group_id);
            }
        }
    }
    Ok(counting)
}
