//! API types of conversations.

use std::sync::Arc;

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

use crate::{
    groups::types::{GroupType, GroupView, MessageRemindType},
    messages::{conversation_id::ConversationId, types::ConversationType, view::LastMessage},
    users::types::Profile,
};

/// One conversation of the viewer.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "Conversation")]
pub struct ConversationView {
    /// `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
    #[graphql(name = "conversationID")]
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Its type.
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub kind: ConversationType,
    /// The group's type (groups only).
    #[graphql(name = "subType")]
    #[serde(rename = "subType")]
    pub sub_type: Option<GroupType>,
    /// Messages from others after the viewer's read position.
    #[graphql(name = "unreadCount")]
    #[serde(rename = "unreadCount")]
    pub unread_count: i64,
    /// The newest visible message.
    #[graphql(name = "lastMessage")]
    #[serde(rename = "lastMessage")]
    pub last_message: Option<LastMessage>,
    /// The peer (C2C).
    #[graphql(name = "userProfile")]
    #[serde(rename = "userProfile")]
    pub user_profile: Option<Profile>,
    /// The group (GROUP).
    #[graphql(name = "groupProfile")]
    #[serde(rename = "groupProfile")]
    pub group_profile: Option<GroupView>,
    /// Pinned to the top.
    #[graphql(name = "isPinned")]
    #[serde(rename = "isPinned")]
    pub is_pinned: bool,
    /// The viewer's remind type.
    #[graphql(name = "messageRemindType")]
    #[serde(rename = "messageRemindType")]
    pub message_remind_type: MessageRemindType,
    /// C2C: when the peer last read (Unix seconds, 0 never).
    #[graphql(name = "peerReadTime")]
    #[serde(rename = "peerReadTime")]
    pub peer_read_time: i64,
}

/// What `messageReadByPeer` delivers.
#[derive(SimpleObject, Clone, Debug, Serialize)]
pub struct PeerRead {
    /// The conversation from the receiver's side (`C2C<reader>`).
    #[graphql(name = "conversationID")]
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// Read up to and including this sequence.
    pub sequence: i64,
    /// Unix seconds.
    pub time: i64,
}

/// A typing status as its listeners see it.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
#[graphql(name = "TypingStatus")]
pub struct TypingStatus {
    /// The conversation, from the listener's side (`C2C<typer>` or `GROUP<groupID>`).
    #[graphql(name = "conversationID")]
    pub conversation_id: String,
    /// Who types.
    #[graphql(name = "userID")]
    pub user_id: String,
    /// Whether they are typing.
    pub typing: bool,
}

/// A typing change on the bus (built once for every listener).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TypingEvent {
    /// Who types.
    pub user: String,
    /// C2C or GROUP.
    pub kind: ConversationType,
    /// The peer (C2C) or the group.
    pub to: String,
    /// Whether they are typing.
    pub typing: bool,
    /// Users who blacklisted the typer: they are not told.
    pub hidden_from: Arc<Vec<String>>,
}

impl TypingEvent {
    /// What `viewer` is told, if anything.
    pub fn for_viewer(&self, viewer: &str) -> Option<TypingStatus> {
        if self.user == viewer || self.hidden_from.iter().any(|u| u == viewer) {
            return None;
        }
        let conversation_id = match self.kind {
            ConversationType::C2c if self.to == viewer => ConversationId::c2c(&self.user),
            ConversationType::Group => ConversationId::group(&self.to),
            _ => return None,
        };
        Some(TypingStatus {
            conversation_id: conversation_id.to_string(),
            user_id: self.user.clone(),
            typing: self.typing,
        })
    }
}
