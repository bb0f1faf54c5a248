//! Group read receipts from read positions (`Message.readReceiptInfo`,
//! `getGroupMessageReadMemberList`): among the members who can see a group
//! message (their history reaches it), the sender excluded, those whose read
//! position has passed it and the rest. Counted and listed with indexed
//! queries on the group's state rows, never a query per member.

use std::collections::HashMap;

use async_graphql::{Enum, SimpleObject};
use entity::{conversation_states as states, group_members};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::{
    members::member_views,
    queries::load_group,
    types::{GroupMemberView, GroupType},
};
use crate::{
    error::{AppError, AppResult},
    messages::{
        conversation_id::ConversationId, history::get_visible_message, types::ConversationType,
        view::MessageView,
    },
    state::AppState,
};

/// Most members one page of `getGroupMessageReadMemberList` returns.
pub const MAX_READ_MEMBER_PAGE: i64 = 100;

/// How many members have read a group message, and how many not yet.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "ReadReceiptInfo")]
pub struct ReadReceiptInfo {
    /// Members whose read position has passed it.
    #[graphql(name = "readCount")]
    #[serde(rename = "readCount")]
    pub read_count: i64,
    /// The other members who can see it.
    #[graphql(name = "unreadCount")]
    #[serde(rename = "unreadCount")]
    pub unread_count: i64,
}

/// Which members a read list shows.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ReadMemberFilter {
    /// Those who have read it.
    #[default]
    #[serde(rename = "READ")]
    Read,
    /// Those who have not.
    #[serde(rename = "UNREAD")]
    Unread,
}

/// One page of a group message's readers (or non-readers).
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "GroupReadMemberList")]
pub struct GroupReadMemberList {
    /// The members, by userID.
    #[graphql(name = "memberList")]
    #[serde(rename = "memberList")]
    pub member_list: Vec<GroupMemberView>,
    /// Pass back for the next page; empty once complete.
    pub cursor: String,
    /// Whether this page is the last.
    #[graphql(name = "isCompleted")]
    #[serde(rename = "isCompleted")]
    pub is_completed: bool,
}

/// The state rows of the members who can see `view`, the sender excluded.
fn audience(view: &MessageView) -> Condition {
    Condition::all()
        .add(states::Column::ConversationId.eq(ConversationId::group(&view.to).to_string()))
        .add(states::Column::UserId.ne(view.from.as_str()))
        .add(states::Column::ClearedSeq.lt(view.sequence))
}

/// Whether `view` is a sent message of a group type that keeps unread counts.
async fn has_receipts(state: &AppState, view: &MessageView) -> AppResult<bool> {
    if view.conversation_type != ConversationType::Group || view.sequence == 0 {
        return Ok(false);
    }
    let group = load_group(&state.db, &view.to).await?;
    Ok(GroupType::from(group.group_type).counts_unread())
}

/// The read receipt of a group message (`None` outside groups and in
/// ChatRooms and AVChatRooms, which keep no unread counts): two counts.
pub async fn read_receipt_info(
    state: &AppState,
    view: &MessageView,
) -> AppResult<Option<ReadReceiptInfo>> {
    if !has_receipts(state, view).await? {
        return Ok(None);
    }
    let total = states::Entity::find()
        .filter(audience(view))
        .count(&state.db)
        .await? as i64;
    let read = states::Entity::find()
        .filter(audience(view))
        .filter(states::Column::ReadSeq.gte(view.sequence))
        .count(&state.db)
        .await? as i64;
    Ok(Some(ReadReceiptInfo {
        read_count: read,
        unread_count: total - read,
    }))
}

/// One page of the members who have (`READ`) or have not (`UNREAD`) read a
/// group message the viewer can see: `count` (1 to 100) after `cursor`.
pub async fn get_group_message_read_member_list(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    filter: Option<ReadMemberFilter>,
    cursor: Option<&str>,
    count: Option<i64>,
) -> AppResult<GroupReadMemberList> {
    let count = count.unwrap_or(50);
    if !(1..=MAX_READ_MEMBER_PAGE).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_READ_MEMBER_PAGE}"),
        ));
    }
    let view = get_visible_message(state, viewer, message_id).await?;
    if !has_receipts(state, &view).await? {
        return Err(AppError::bad_input(
            "messageID",
            "read receipts are for sent messages of Private, Public and Community groups",
        ));
    }
    let mut query = states::Entity::find()
        .select_only()
        .column(states::Column::UserId)
        .filter(audience(&view));
    query = match filter.unwrap_or_default() {
        ReadMemberFilter::Read => query.filter(states::Column::ReadSeq.gte(view.sequence)),
        ReadMemberFilter::Unread => query.filter(states::Column::ReadSeq.lt(view.sequence)),
    };
    if let Some(after) = cursor.filter(|c| !c.is_empty()) {
        query = query.filter(states::Column::UserId.gt(after));
    }
    let mut ids: Vec<String> = query
        .order_by_asc(states::Column::UserId)
        .limit(count as u64 + 1)
        .into_tuple()
        .all(&state.db)
        .await?;
    let is_completed = ids.len() as i64 <= count;
    ids.truncate(count as usize);
    let mut rows: HashMap<String, group_members::Model> = group_members::Entity::find()
        .filter(group_members::Column::GroupId.eq(view.to.as_str()))
        .filter(group_members::Column::UserId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.user_id.clone(), m))
        .collect();
    let ordered = ids.iter().filter_map(|id| rows.remove(id)).collect();
    Ok(GroupReadMemberList {
        member_list: member_views(state, ordered).await?,
        cursor: if is_completed {
            String::new()
        } else {
            ids.last().cloned().unwrap_or_default()
        },
        is_completed,
    })
}
