//! Reading groups: the row and membership loaders every group operation
//! starts from, and the read-only operations (`getGroupList`,
//! `getGroupProfile`, `searchGroupByID`).

use std::collections::HashMap;

use entity::{group_members, groups};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    types::{GroupType, GroupView},
    views::{build, views_for, GroupSet},
};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    users::types::CustomField,
};

/// A group row, or `GROUP_NOT_FOUND`.
pub(crate) async fn load_group<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
) -> AppResult<groups::Model> {
    if group_id.is_empty() {
        return Err(AppError::bad_input("groupID", "is required"));
    }
    groups::Entity::find_by_id(group_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::GroupNotFound(format!("no such group: {group_id}")))
}

/// The membership of `user`, if any.
pub(crate) async fn member_of<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<Option<group_members::Model>> {
    Ok(
        group_members::Entity::find_by_id((group_id.to_owned(), user.to_owned()))
            .one(conn)
            .await?,
    )
}

/// The viewer's membership, or `NOT_GROUP_MEMBER`.
pub(crate) async fn require_member<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<group_members::Model> {
    member_of(conn, group_id, user)
        .await?
        .ok_or_else(|| AppError::NotGroupMember("you are not a member of this group".into()))
}

/// Another user's membership, or `NOT_GROUP_MEMBER` naming them.
pub(crate) async fn require_target<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<group_members::Model> {
    member_of(conn, group_id, user)
        .await?
        .ok_or_else(|| AppError::NotGroupMember(format!("{user} is not a member of this group")))
}

/// The owner and admins of a group.
pub(crate) async fn managers<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
) -> AppResult<Vec<String>> {
    Ok(group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::Role.is_in([
            entity::kinds::GroupMemberRole::Owner,
            entity::kinds::GroupMemberRole::Admin,
        ]))
        .order_by_asc(group_members::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Every member's userID.
pub(crate) async fn member_ids<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
) -> AppResult<Vec<String>> {
    Ok(group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .filter(group_members::Column::GroupId.eq(group_id))
        .into_tuple()
        .all(conn)
        .await?)
}

/// Custom fields stored as JSON text (empty when unreadable).
pub(crate) fn custom_fields(json: &str) -> Vec<CustomField> {
    serde_json::from_str(json).unwrap_or_default()
}

/// JSON text of a stored value (custom fields).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

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

/// `SELECT group_id FROM group_members WHERE user_id = user`: the groups a
/// user is in, as a subquery for `IN` (one bind whatever their number).
pub(crate) fn joined_by(user: &str) -> SelectStatement {
    Query::select()
        .column((group_members::Entity, group_members::Column::GroupId))
        .from(group_members::Entity)
        .and_where(Expr::col((group_members::Entity, group_members::Column::UserId)).eq(user))
        .to_owned()
}

/// A group's profile: everything for members, the public fields for others
/// (work groups are visible to members only).
pub async fn get_group_profile(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    if !GroupType::from(row.group_type).searchable()
        && member_of(&state.db, group_id, viewer).await?.is_none()
    {
        return Err(AppError::NotGroupMember(
            "you are not a member of this group".into(),
        ));
    }
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no view of a loaded group"))
}

/// Find a group by ID (public fields; work groups are not searchable).
pub async fn search_group_by_id(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    if !GroupType::from(row.group_type).searchable()
        && member_of(&state.db, group_id, viewer).await?.is_none()
    {
        return Err(AppError::GroupNotFound(format!(
            "no such group: {group_id}"
        )));
    }
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no view of a loaded group"))
}
