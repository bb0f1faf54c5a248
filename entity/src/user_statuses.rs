//! A user's custom status and last time online.

use sea_orm::entity::prelude::*;

/// One user's status row (absent until they set a status or go offline once).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_statuses")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// Up to 100 bytes.
    pub custom_status: String,
    /// When their last live socket closed (Unix seconds; 0 never).
    pub last_seen: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
