//! A user's view of one conversation.

use sea_orm::entity::prelude::*;

/// Read position, deletion point and settings of one user in one conversation.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    /// `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub conversation_id: String,
    pub channel_id: i64,
    /// Read up to and including this sequence.
    pub read_seq: i64,
    /// Unix seconds of the last `setMessageRead`.
    pub read_at: i64,
    /// History up to and including this sequence is hidden for the user.
    pub cleared_seq: i64,
    /// Deleted from the list until a message newer than `cleared_seq` arrives.
    pub deleted: bool,
    pub pinned: bool,
    pub remind_type: String,
    pub updated_at: i64,
}

/// The channel a conversation views (joined for the conversation list).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The conversation's channel.
    #[sea_orm(
        belongs_to = "super::channels::Entity",
        from = "Column::ChannelId",
        to = "super::channels::Column::Id"
    )]
    Channel,
}

impl Related<super::channels::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
