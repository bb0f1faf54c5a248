//! Groups as a viewer sees them: [`GroupView`]s built in batches (public
//! fields for non-members), the viewer's own part (`selfInfo`,
//! `lastMessage`), and the viewer-free snapshot live events carry.

use std::collections::HashMap;

use entity::{channels, conversation_states, group_members, groups};
use sea_orm::{
    sea_query::{Expr, IntoColumnRef, Query, SimpleExpr},
    ColumnTrait, Condition, EntityTrait, QueryFilter,
};

use super::{
    queries::{custom_fields, load_group},
    types::{GroupJoinOption, GroupSelfInfo, GroupType, GroupView, ViewerPart},
};
use crate::{
    error::{AppError, AppResult},
    groups::types::MessageRemindType,
    messages::view::LastMessage,
    messages::{conversation_id::ConversationId, store},
    state::AppState,
};

/// The fields everyone may see, plus (for members) the members-only ones.
fn base_view(row: &groups::Model, last_seq: i64, full: bool) -> GroupView {
    GroupView {
        group_id: row.group_id.clone(),
        name: row.name.clone(),
        avatar: row.avatar.clone(),
        group_type: GroupType::from(row.group_type),
        introduction: row.introduction.clone(),
        notification: if full {
            row.notification.clone()
        } else {
            String::new()
        },
        owner_id: row.owner_id.clone(),
        create_time: row.create_time,
        last_info_time: row.last_info_time,
        member_count: row.member_count,
        max_member_count: row.max_member_count,
        join_option: GroupJoinOption::from(row.join_option),
        mute_all_members: row.mute_all_members,
        group_custom_field: if full {
            custom_fields(&row.custom_field)
        } else {
            Vec::new()
        },
        next_message_seq: if full { last_seq + 1 } else { 0 },
        viewer: None,
    }
}

/// Which groups a batch of views is about, for the queries loading their parts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GroupSet<'a> {
    /// These groups: a bounded list (one request's IDs or one page of a list).
    Listed(&'a [String]),
    /// Every group the viewer is in: selected by a subquery on the viewer's
    /// memberships, never one bind per group (a user may be in thousands).
    Joined,
}

impl GroupSet<'_> {
    /// `column IN (...)` over this set's group IDs, for `viewer`.
    fn contains(self, column: impl IntoColumnRef, viewer: &str) -> SimpleExpr {
        use sea_orm::sea_query::ExprTrait as _;
        match self {
            Self::Listed(ids) => Expr::col(column).is_in(ids.iter().cloned()),
            Self::Joined => Expr::col(column).in_subquery(
                Query::select()
                    .column((group_members::Entity, group_members::Column::GroupId))
                    .from(group_members::Entity)
                    .and_where(
                        Expr::col((group_members::Entity, group_members::Column::UserId))
                            .eq(viewer),
                    )
                    .to_owned(),
            ),
        }
    }

    /// `channels.id IN (the channels of this set's groups)`.
    fn channels(self, viewer: &str) -> Condition {
        use sea_orm::sea_query::ExprTrait as _;
        Condition::all().add(
            Expr::col((channels::Entity, channels::Column::Id)).in_subquery(
                Query::select()
                    .column((groups::Entity, groups::Column::ChannelId))
                    .from(groups::Entity)
                    .and_where(self.contains((groups::Entity, groups::Column::GroupId), viewer))
                    .to_owned(),
            ),
        )
    }
}

/// Groups as `viewer` sees them, each with its channel's last sequence, in a
/// fixed number of queries (memberships, read states, channels, last
/// messages) whose size does not grow with `set`.
pub(super) async fn build(
    state: &AppState,
    viewer: &str,
    rows: Vec<groups::Model>,
    set: GroupSet<'_>,
) -> AppResult<Vec<(GroupView, i64)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let memberships: HashMap<String, group_members::Model> = group_members::Entity::find()
        .filter(group_members::Column::UserId.eq(viewer))
        .filter(set.contains(
            (group_members::Entity, group_members::Column::GroupId),
            viewer,
        ))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.group_id.clone(), m))
        .collect();
    let states =
        conversation_states::Entity::find().filter(conversation_states::Column::UserId.eq(viewer));
    let states = match set {
        GroupSet::Listed(ids) => states.filter(
            conversation_states::Column::ConversationId
                .is_in(ids.iter().map(|g| ConversationId::group(g).to_string())),
        ),
        GroupSet::Joined => states.filter(
            conversation_states::Column::ConversationId.starts_with(ConversationId::GROUP_PREFIX),
        ),
    };
    let read_states: HashMap<String, conversation_states::Model> = states
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|s| Some((ConversationId::group_of(&s.conversation_id)?, s)))
        .collect();
    let channel_rows: HashMap<i64, channels::Model> = channels::Entity::find()
        .filter(set.channels(viewer))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // The newest message of each group, kept where the viewer is a member
    // and it is above their cleared point and the group's history floor.
    let by_channel: HashMap<i64, &groups::Model> = rows.iter().map(|g| (g.channel_id, g)).collect();
    let last_rows = store::last_messages(state, set.channels(viewer))
        .await?
        .into_iter()
        .filter(|m| {
            let Some(row) = by_channel.get(&m.channel_id) else {
                return false;
            };
            let (Some(read), Some(channel), true) = (
                read_states.get(&row.group_id),
                channel_rows.get(&row.channel_id),
                memberships.contains_key(&row.group_id),
            ) else {
                return false;
            };
            let floor = read
                .cleared_seq
                .max(floor_of(GroupType::from(row.group_type), channel.last_seq));
            m.seq.is_some_and(|seq| seq > floor)
        })
        .collect();
    let last_views = store::views_of(state, viewer, last_rows).await?;
    let mut last_by_group: HashMap<String, LastMessage> = last_views
        .iter()
        .map(|v| (v.to.clone(), LastMessage::from(v)))
        .collect();
    Ok(rows
        .iter()
        .map(|row| {
            let last_seq = channel_rows
                .get(&row.channel_id)
                .map(|c| c.last_seq)
                .unwrap_or(0);
            let member = memberships.get(&row.group_id);
            let mut view = base_view(row, last_seq, member.is_some());
            view.viewer = Some(match member {
                Some(m) => ViewerPart {
                    self_info: Some(GroupSelfInfo {
                        role: m.role.into(),
                        join_time: m.join_time,
                        name_card: m.name_card.clone(),
                        message_remind_type: read_states
                            .get(&row.group_id)
                            .map(|s| MessageRemindType::parse(&s.remind_type))
                            .unwrap_or_default(),
                    }),
                    last_message: last_by_group.remove(&row.group_id),
                },
                None => ViewerPart::default(),
            });
            (view, last_seq)
        })
        .collect())
}

/// Groups as `viewer` sees them (public fields only where not a member).
pub async fn views_for(
    state: &AppState,
    viewer: &str,
    rows: Vec<groups::Model>,
) -> AppResult<Vec<GroupView>> {
    let ids: Vec<String> = rows.iter().map(|g| g.group_id.clone()).collect();
    Ok(build(state, viewer, rows, GroupSet::Listed(&ids))
        .await?
        .into_iter()
        .map(|(view, _)| view)
        .collect())
}

/// One group as `viewer` sees it.
pub async fn view_for(state: &AppState, viewer: &str, group_id: &str) -> AppResult<GroupView> {
    view_of_row(state, viewer, load_group(&state.db, group_id).await?).await
}

/// The view of a loaded group row for `viewer`.
pub async fn view_of_row(
    state: &AppState,
    viewer: &str,
    row: groups::Model,
) -> AppResult<GroupView> {
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no view of a loaded group"))
}

/// One group as `viewer` sees it, or `None` once it is gone.
pub async fn find_view(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<GroupView>> {
    let Some(row) = groups::Entity::find_by_id(group_id).one(&state.db).await? else {
        return Ok(None);
    };
    Ok(views_for(state, viewer, vec![row]).await?.pop())
}

/// The group as every member sees it, without anyone's own part (live
/// events: built once, `selfInfo` and `lastMessage` resolve per viewer).
pub async fn snapshot(state: &AppState, group_id: &str) -> AppResult<Option<GroupView>> {
    let Some(row) = groups::Entity::find_by_id(group_id).one(&state.db).await? else {
        return Ok(None);
    };
    let last_seq = channels::Entity::find_by_id(row.channel_id)
        .one(&state.db)
        .await?
        .map(|c| c.last_seq)
        .unwrap_or(0);
    Ok(Some(base_view(&row, last_seq, true)))
}

/// `viewer`'s own membership of a group (null when not a member or gone).
pub async fn self_info(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<GroupSelfInfo>> {
    Ok(viewer_part(state, viewer, group_id)
        .await?
        .and_then(|p| p.self_info))
}

/// The newest message of a group `viewer` can see.
pub async fn last_message(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<LastMessage>> {
    Ok(viewer_part(state, viewer, group_id)
        .await?
        .and_then(|p| p.last_message))
}

/// `viewer`'s part of a group, built on its own (null when the group is gone).
async fn viewer_part(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<ViewerPart>> {
    Ok(find_view(state, viewer, group_id)
        .await?
        .and_then(|v| v.viewer))
}

/// The sequence up to which a group's history is hidden from everyone: all
/// of it for a type that keeps none.
pub(super) fn floor_of(group_type: GroupType, last_seq: i64) -> i64 {
    if group_type.keeps_history() {
        0
    } else {
        last_seq
    }
}
