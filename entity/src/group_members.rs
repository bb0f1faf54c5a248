//! A member of a group.

use sea_orm::entity::prelude::*;

use crate::kinds::GroupMemberRole;

/// One membership with the member's role and group-specific profile.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// `Owner`, `Admin` or `Member`.
    pub role: GroupMemberRole,
    pub join_time: i64,
    pub name_card: String,
    /// Unix seconds; muted while in the future.
    pub mute_until: i64,
    /// JSON array of `{key, value}` pairs.
    pub custom_field: String,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
