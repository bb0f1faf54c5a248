//! Whole group views for API reads: the viewer's group list, a group's
//! profile and the search by ID (the loaders are in `queries`, the view
//! building in `views`).

use std::collections::HashMap;

use entity::{group_members, groups};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    queries::{joined_by, load_group, member_of},
    types::{GroupType, GroupView},
    views::{build, view_of_row, GroupSet},
};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

/// The viewer's groups (AVChatRoom included), by join time.
pub async fn get_group_list(state: &AppState, viewer: &str) -> AppResult<Vec<GroupView>> {
    let ids: Vec<String> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::GroupId)
        .filter(group_members::Column::UserId.eq(viewer))
        .order_by_asc(group_members::Column::JoinTime)
        .order_by_asc(group_members::Column::GroupId)
        .into_tuple()
        .all(&state.db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // The rows by a subquery on the memberships: no bind per group.
    let mut rows: HashMap<String, groups::Model> = groups::Entity::find()
        .filter(groups::Column::GroupId.in_subquery(joined_by(viewer)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| (g.group_id.clone(), g))
        .collect();
    let ordered = ids.iter().filter_map(|id| rows.remove(id)).collect();
    Ok(build(state, viewer, ordered, GroupSet::Joined)
        .await?
        .into_iter()
        .map(|(view, _)| view)
        .collect())
}

/// A group's profile: everything for members, the public fields for others
/// (work groups are visible to members only).
pub async fn get_group_profile(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    visible_group(state, viewer, group_id, || {
        AppError::NotGroupMember("you are not a member of this group".into())
    })
    .await
}

/// Find a group by ID (public fields; work groups are not searchable).
pub async fn search_group_by_id(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    visible_group(state, viewer, group_id, || {
        AppError::GroupNotFound(format!("no such group: {group_id}"))
    })
    .await
}

/// The group's view when `viewer` may see it (a searchable type, or a
/// member), else the error `hidden` makes.
async fn visible_group(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    hidden: impl FnOnce() -> AppError,
) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    if !GroupType::from(row.group_type).searchable()
        && member_of(&state.db, group_id, viewer).await?.is_none()
    {
        return Err(hidden());
    }
    view_of_row(state, viewer, row).await
}
