//! A message, stored once per channel.

use sea_orm::entity::prelude::*;

use crate::kinds::{ConversationType, MessagePriority, MessageStatus, MessageType};

/// One message row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    /// Server-made, time-ordered (UUIDv7 text).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub channel_id: i64,
    /// Position in the channel; `None` until sent.
    pub seq: Option<i64>,
    pub sender_id: String,
    /// `C2C`, `GROUP` or `@TIM#SYSTEM`.
    pub conversation_type: ConversationType,
    /// Recipient userID or groupID.
    pub to_id: String,
    pub msg_type: MessageType,
    /// JSON payload as the compat surface shows it.
    pub payload: String,
    pub priority: MessagePriority,
    pub status: MessageStatus,
    pub is_revoked: bool,
    /// JSON array of userIDs.
    pub at_user_list: String,
    pub cloud_custom_data: String,
    pub name_card: String,
    pub client_msg_id: Option<String>,
    pub time: i64,
    pub created_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
