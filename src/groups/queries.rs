//! Reading groups: the row and membership loaders every group operation
//! starts from (the whole-view reads are in `listing`).

use entity::{group_members, groups};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{
    error::{AppError, AppResult},
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

/// `SELECT group_id FROM group_members WHERE user_id = user`: the groups a
/// user is in, as a subquery for `IN` (one bind whatever their number).
pub(crate) fn joined_by(user: &str) -> SelectStatement {
    Query::select()
        .column((group_members::Entity, group_members::Column::GroupId))
        .from(group_members::Entity)
        .and_where(Expr::col((group_members::Entity, group_members::Column::UserId)).eq(user))
        .to_owned()
}
