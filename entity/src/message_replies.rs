//! A quote reply's snapshot of the message it quotes.

use sea_orm::entity::prelude::*;

/// One reply's snapshot.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "message_replies")]
pub struct Model {
    /// The reply.
    #[sea_orm(primary_key, auto_increment = false)]
    pub message_id: String,
    /// The quoted message.
    pub reply_to_id: String,
    /// Its sender.
    pub reply_from: String,
    /// Its sequence.
    pub reply_seq: i64,
    /// Its text (or placeholder) when the reply was made.
    pub message_for_show: String,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
