//! One version of an edited message's payload.

use sea_orm::entity::prelude::*;

/// One version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_revisions")]
pub struct Model {
    /// The message.
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: String,
    /// 0 for the original, then 1, 2, ...
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    /// The payload of this version (compat JSON).
    pub payload: String,
    /// When this version was made (Unix seconds; the send time for version 0).
    pub edit_time: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
