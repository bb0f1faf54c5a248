//! One message stream: a C2C pair, a group, or a user's system notices.

use sea_orm::entity::prelude::*;

/// A channel and its sequence counter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `c2c:<a>|<b>` (ordered), `group:<groupID>` or `system:<userID>`.
    #[sea_orm(unique)]
    pub channel_key: String,
    /// `c2c`, `group` or `system`.
    pub kind: String,
    /// Sequence of the newest sent message (0 when empty).
    pub last_seq: i64,
    /// Unix seconds of the newest message.
    pub last_activity: i64,
    pub created_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
