//! A session ended by `logout`: tokens carrying its ID are refused until they expire.

use sea_orm::entity::prelude::*;

/// One revoked session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revoked_sessions")]
pub struct Model {
    /// The token's `sid` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: String,
    /// The user whose session it was.
    pub user_id: String,
    /// When the token expires (Unix seconds): the row may go after that.
    pub expires_at: i64,
    /// When `logout` ended it (Unix seconds).
    pub revoked_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
