//! The MESSAGE object (seed appendix 1) as both surfaces show it.

use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

use super::{
    conversation_id::ConversationId,
    types::{ConversationType, MessageFlow, MessagePriority, MessageStatus, MessageType},
};
use entity::{messages, users};

/// A message as one viewer sees it. `conversationID` and `flow` are relative
/// to the viewer; everything else is the same for everyone.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(name = "Message", complex)]
pub struct MessageView {
    /// Server-made, unique and time-ordered.
    #[graphql(name = "ID")]
    #[serde(rename = "ID")]
    pub id: String,
    /// The kind.
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub msg_type: MessageType,
    /// The payload as compat JSON; GraphQL shows it as the `MessagePayload` union.
    #[graphql(skip)]
    pub payload: serde_json::Value,
    /// `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`, from the viewer's side.
    #[graphql(name = "conversationID")]
    #[serde(rename = "conversationID")]
    pub conversation_id: String,
    /// The conversation's type.
    #[graphql(name = "conversationType")]
    #[serde(rename = "conversationType")]
    pub conversation_type: ConversationType,
    /// Recipient userID (C2C) or groupID.
    pub to: String,
    /// Sender userID.
    pub from: String,
    /// `out` when the viewer sent it.
    pub flow: MessageFlow,
    /// Unix seconds (send time once sent).
    pub time: i64,
    /// `unSend`, `success` or `fail`.
    pub status: MessageStatus,
    /// Whether it was revoked (its payload is then empty).
    #[graphql(name = "isRevoked")]
    #[serde(rename = "isRevoked")]
    pub is_revoked: bool,
    /// Priority.
    pub priority: MessagePriority,
    /// Sender's nickname.
    pub nick: String,
    /// Sender's avatar.
    pub avatar: String,
    /// C2C: whether the recipient has read it.
    #[graphql(name = "isPeerRead")]
    #[serde(rename = "isPeerRead")]
    pub is_peer_read: bool,
    /// Sender's card in the group.
    #[graphql(name = "nameCard")]
    #[serde(rename = "nameCard")]
    pub name_card: String,
    /// Mentioned members (groups).
    #[graphql(name = "atUserList")]
    #[serde(rename = "atUserList")]
    pub at_user_list: Vec<String>,
    /// Custom data for the app.
    #[graphql(name = "cloudCustomData")]
    #[serde(rename = "cloudCustomData")]
    pub cloud_custom_data: String,
    /// Position in its conversation (1, 2, 3, ...), 0 until sent.
    pub sequence: i64,
    /// The sender's idempotency key, when given.
    #[graphql(name = "clientMsgID")]
    #[serde(rename = "clientMsgID")]
    pub client_msg_id: Option<String>,
    /// The message this one quotes, as it was when quoted.
    #[graphql(name = "replyTo")]
    #[serde(rename = "replyTo", default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageReply>,
    /// Its reactions, by first use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<MessageReaction>,
    /// 0 until edited, then 1, 2, ...
    #[serde(default, skip_serializing_if = "is_zero")]
    pub version: i64,
    /// When it was last edited (Unix seconds); null until edited.
    #[graphql(name = "editTime")]
    #[serde(rename = "editTime", default, skip_serializing_if = "Option::is_none")]
    pub edit_time: Option<i64>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl MessageView {
    /// Build from a stored row; `sender` gives nick and avatar, `peer_read_seq`
    /// the recipient's read position (C2C) for `isPeerRead`.
    pub fn from_row(
        row: &messages::Model,
        sender: Option<&users::Model>,
        viewer: &str,
        peer_read_seq: Option<i64>,
    ) -> Self {
        let conversation_type = ConversationType::from(row.conversation_type);
        let msg_type = MessageType::from(row.msg_type);
        let seq = row.seq.unwrap_or(0);
        let view = Self {
            id: row.id.clone(),
            msg_type,
            payload: serde_json::from_str(&row.payload)
                .unwrap_or(serde_json::Value::Object(Default::default())),
            conversation_id: String::new(),
            conversation_type,
            to: row.to_id.clone(),
            from: row.sender_id.clone(),
            flow: MessageFlow::In,
            time: row.time,
            status: row.status.into(),
            is_revoked: row.is_revoked,
            priority: row.priority.into(),
            nick: sender.map(|u| u.nick.clone()).unwrap_or_default(),
            avatar: sender.map(|u| u.avatar.clone()).unwrap_or_default(),
            is_peer_read: conversation_type == ConversationType::C2c
                && seq > 0
                && peer_read_seq.is_some_and(|read| read >= seq),
            name_card: row.name_card.clone(),
            at_user_list: serde_json::from_str(&row.at_user_list).unwrap_or_default(),
            cloud_custom_data: row.cloud_custom_data.clone(),
            sequence: seq,
            client_msg_id: row.client_msg_id.clone(),
            // Filled for a batch by `extras::attach`.
            reply_to: None,
            reactions: Vec::new(),
            version: 0,
            edit_time: None,
        };
        view.for_viewer(viewer)
    }

    /// The same message as `viewer` sees it.
    pub fn for_viewer(&self, viewer: &str) -> Self {
        let mut view = self.clone();
        view.flow = if self.from == viewer && self.conversation_type != ConversationType::System {
            MessageFlow::Out
        } else {
            MessageFlow::In
        };
        view.conversation_id = self.conversation_id_of(viewer);
        if view.flow == MessageFlow::In {
            // The idempotency key is the sender's business.
            view.client_msg_id = None;
        }
        view
    }

    /// The conversation ID of this message from `viewer`'s side (what
    /// [`Self::for_viewer`] sets), without copying the message.
    pub fn conversation_id_of(&self, viewer: &str) -> String {
        conversation_id_for(self.conversation_type, &self.from, &self.to, viewer)
    }

    /// Whether `viewer` takes part in this message's conversation by its
    /// addressing alone (C2C parties, the system notice's owner).
    pub fn addressed_to(&self, viewer: &str) -> bool {
        match self.conversation_type {
            ConversationType::C2c => self.from == viewer || self.to == viewer,
            ConversationType::System => self.to == viewer,
            ConversationType::Group => true,
        }
    }

    /// The emptied payload a revoked message keeps.
    pub fn revoked_payload() -> serde_json::Value {
        serde_json::Value::Object(Default::default())
    }
}

/// The conversation ID of a message from `viewer`'s side.
pub fn conversation_id_for(kind: ConversationType, from: &str, to: &str, viewer: &str) -> String {
    match kind {
        ConversationType::C2c if from == viewer => ConversationId::c2c(to),
        ConversationType::C2c => ConversationId::c2c(from),
        ConversationType::Group => ConversationId::group(to),
        ConversationType::System => ConversationId::system(),
    }
    .to_string()
}

/// One page of history.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "MessageList")]
pub struct MessagePage {
    /// Oldest first.
    #[graphql(name = "messageList")]
    #[serde(rename = "messageList")]
    pub message_list: Vec<MessageView>,
    /// Pass back for the next older page; `""` when complete.
    #[graphql(name = "nextReqMessageID")]
    #[serde(rename = "nextReqMessageID")]
    pub next_req_message_id: String,
    /// Whether this page reaches the start of the visible history.
    #[graphql(name = "isCompleted")]
    #[serde(rename = "isCompleted")]
    pub is_completed: bool,
}

/// One reaction of a message.
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[graphql(name = "MessageReaction", complex)]
pub struct MessageReaction {
    /// The app's name for it (1 to 32 bytes).
    #[graphql(name = "reactionID")]
    #[serde(rename = "reactionID")]
    pub reaction_id: String,
    /// How many users reacted so.
    #[graphql(name = "totalUserCount")]
    #[serde(rename = "totalUserCount")]
    pub total_user_count: i64,
    /// The first 10 of them, by time.
    #[graphql(name = "partialUserList")]
    #[serde(rename = "partialUserList")]
    pub partial_user_list: Vec<String>,
    /// Whether the user the view was built for reacted so (compat; GraphQL
    /// answers for its own viewer).
    #[graphql(skip)]
    #[serde(rename = "reactedByMyself")]
    pub reacted_by_viewer: bool,
    /// The message (to answer `reactedByMyself` for another viewer).
    #[graphql(skip)]
    #[serde(skip)]
    pub message_id: String,
    /// Whom `reacted_by_viewer` is about.
    #[graphql(skip)]
    #[serde(skip)]
    pub viewer: String,
}

/// The quoted message as a reply shows it.
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[graphql(name = "MessageReply")]
pub struct MessageReply {
    /// The quoted message.
    #[graphql(name = "messageID")]
    #[serde(rename = "messageID")]
    pub message_id: String,
    /// Its sender.
    pub from: String,
    /// Its sequence.
    pub sequence: i64,
    /// Its text or placeholder when quoted; `[Message revoked]` once revoked.
    #[graphql(name = "messageForShow")]
    #[serde(rename = "messageForShow")]
    pub message_for_show: String,
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
