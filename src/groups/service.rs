//! Group rules used by messaging. The groups table arrives with the groups
//! domain; until a group can be created, every groupID is unknown.

use std::collections::HashMap;

use crate::{
    app::AppState,
    error::{AppError, AppResult},
};

/// A group's identity as messaging needs it.
#[derive(Debug, Clone)]
pub struct GroupRef {
    /// The groupID.
    pub group_id: String,
}

/// The group, or `GROUP_NOT_FOUND`.
pub async fn find_group(_state: &AppState, group_id: &str) -> AppResult<GroupRef> {
    Err(AppError::GroupNotFound(format!("no such group: {group_id}")))
}

/// The member's card in the group.
pub async fn name_card_of(_state: &AppState, _group_id: &str, _user: &str) -> AppResult<String> {
    Ok(String::new())
}

/// Membership and mute checks for sending into a group.
pub async fn check_can_send(_state: &AppState, _user: &str, group_id: &str) -> AppResult<()> {
    Err(AppError::GroupNotFound(format!("no such group: {group_id}")))
}

/// Whether `user` is the group's owner or an admin.
pub async fn is_owner_or_admin(_state: &AppState, _group_id: &str, _user: &str) -> AppResult<bool> {
    Ok(false)
}

/// The sequence up to which a group's history is hidden from everyone.
pub async fn history_floor(_state: &AppState, _group_id: &str, _last_seq: i64) -> AppResult<i64> {
    Ok(0)
}

/// What the conversation list needs to know about a group.
#[derive(Debug, Clone)]
pub struct GroupConversationInfo {
    /// The group type's constant.
    pub sub_type: String,
    /// Whether its messages count as unread.
    pub counts_unread: bool,
    /// Sequence up to which history is hidden for everyone.
    pub history_floor: i64,
}

/// Conversation-list facts of the given groups, in one query.
pub async fn conversation_info(_state: &AppState, _group_ids: &[String]) -> AppResult<HashMap<String, GroupConversationInfo>> {
    Ok(HashMap::new())
}
