//! One user's reaction to a message.

use sea_orm::entity::prelude::*;

/// One reaction row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_reactions")]
pub struct Model {
    /// Increasing: orders a reaction's users (and pages them).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The message.
    pub message_id: String,
    /// The reaction (1 to 32 bytes, the app's own names).
    pub reaction_id: String,
    /// Who reacted.
    pub user_id: String,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
