//! A message pinned in a group by one of its members.

use sea_orm::entity::prelude::*;

/// One pinned message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_pinned_messages")]
pub struct Model {
    /// The group.
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: String,
    /// The pinned message.
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: String,
    /// Who pinned it.
    pub pinned_by: String,
    /// When (Unix seconds).
    pub pinned_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
