//! API types of conversations.

use async_graphql::{ComplexObject, Enum, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::{
    groups::types::{GroupType, GroupView},
    messages::{
        payload::MessagePayload,
        types::{ConversationType, MessageType},
        view::MessageView,
    },
    users::types::Profile,
};

/// How a member wants a group's messages (TIM's constants verbatim).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[graphql(rename_items = "PascalCase")]
pub enum MessageRemindType {
    /// Delivered live and counted as unread.
    #[default]
    AcceptAndNotify,
    /// Delivered live, not counted.
    AcceptNotNotify,
    /// Neither delivered live nor counted.
    Discard,
}

impl MessageRemindType {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAndNotify => "AcceptAndNotify",
            Self::AcceptNotNotify => "AcceptNotNotify",
            Self::Discard => "Discard",
        }
    }

    /// Parse the stored constant.
    pub fn parse(value: &str) -> Self {
        match value {
            "AcceptNotNotify" => Self::AcceptNotNotify,
            "Discard" => Self::Discard,
            _ => Self::AcceptAndNotify,
        }
    }
}

/// The newest message of a conversation, as a list shows it.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(complex)]
pub struct LastMessage {
    /// Unix seconds.
    #[graphql(name = "lastTime")]
    #[serde(rename = "lastTime")]
    pub last_time: i64,
    /// Its sequence.
    #[graphql(name = "lastSequence")]
    #[serde(rename = "lastSequence")]
    pub last_sequence: i64,
    /// The sender.
    #[graphql(name = "fromAccount")]
    #[serde(rename = "fromAccount")]
    pub from_account: String,
    /// The kind.
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub msg_type: MessageType,
    /// The payload (compat JSON; GraphQL union).
    #[graphql(skip)]
    pub payload: serde_json::Value,
    /// The text, or a placeholder such as `[Image]`.
    #[graphql(name = "messageForShow")]
    #[serde(rename = "messageForShow")]
    pub message_for_show: String,
    /// Whether it was revoked.
    #[graphql(name = "isRevoked")]
    #[serde(rename = "isRevoked")]
    pub is_revoked: bool,
    /// C2C: whether the peer has read it.
    #[graphql(name = "isPeerRead")]
    #[serde(rename = "isPeerRead")]
    pub is_peer_read: bool,
    /// Sender's nickname.
    pub nick: String,
    /// Sender's group card.
    #[graphql(name = "nameCard")]
    #[serde(rename = "nameCard")]
    pub name_card: String,
    /// Custom data.
    #[graphql(name = "cloudCustomData")]
    #[serde(rename = "cloudCustomData")]
    pub cloud_custom_data: String,
}

#[ComplexObject]
impl LastMessage {
    /// What it carries; null once revoked.
    async fn payload(&self) -> Option<MessagePayload> {
        if self.is_revoked {
            return None;
        }
        MessagePayload::from_json(self.msg_type, &self.payload)
    }
}

impl From<&MessageView> for LastMessage {
    fn from(view: &MessageView) -> Self {
        let message_for_show = if view.is_revoked {
            "[Message Recalled]".to_owned()
        } else if view.msg_type == MessageType::TextElem {
            view.payload
                .get("text")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_owned()
        } else {
            view.msg_type.placeholder().to_owned()
        };
        Self {
            last_time: view.time,
            last_sequence: view.sequence,
            from_account: view.from.clone(),
            msg_type: view.msg_type,
            payload: view.payload.clone(),
            message_for_show,
            is_revoked: view.is_revoked,
            is_peer_read: view.is_peer_read,
            nick: view.nick.clone(),
            name_card: view.name_card.clone(),
            cloud_custom_data: view.cloud_custom_data.clone(),
        }
    }
}

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
