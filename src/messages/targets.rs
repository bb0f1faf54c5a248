//! Who a message goes to and who may see a conversation: the one place where
//! conversation kinds differ. Group rules live in the groups domain.

use entity::conversation_states;
use sea_orm::EntityTrait;

use super::{
    conversation_id::ConversationId,
    store::{c2c_channel_key, group_channel_key, system_channel_key},
    types::ConversationType,
};
use crate::{
    blacklist::service as blacklist,
    error::{AppError, AppResult},
    groups::hooks as groups,
    realtime::Topic,
    state::AppState,
    users::{service as users, validate},
};

/// Where a new message goes.
#[derive(Debug, Clone)]
pub struct SendTarget {
    /// C2C, GROUP or SYSTEM.
    pub kind: ConversationType,
    /// Recipient userID or groupID.
    pub to: String,
    /// The channel's unique key.
    pub channel_key: String,
    /// Users whose conversation list gains the message (C2C: both parties).
    pub participants: Vec<String>,
    /// Bus topics that carry it live.
    pub topics: Vec<Topic>,
    /// The sender's card in the group.
    pub name_card: String,
}

/// Resolve where `viewer`'s message to `to` goes. Errors here mean the message
/// cannot exist at all (nothing is stored).
pub async fn resolve_send_target(
    state: &AppState,
    viewer: &str,
    kind: ConversationType,
    to: &str,
) -> AppResult<SendTarget> {
    match kind {
        ConversationType::C2c => {
            validate::user_id("to", to)?;
            if !users::exists(state, to).await? {
                return Err(AppError::NotFound(format!("no such user: {to}")));
            }
            let mut participants = vec![viewer.to_owned()];
            if to != viewer {
                participants.push(to.to_owned());
            }
            Ok(SendTarget {
                kind,
                to: to.to_owned(),
                channel_key: c2c_channel_key(viewer, to),
                topics: participants
                    .iter()
                    .map(|u| Topic::User(u.clone()))
                    .collect(),
                participants,
                name_card: String::new(),
            })
        }
        ConversationType::Group => {
            let group = groups::find_group(state, to).await?;
            let name_card = groups::name_card_of(state, &group.group_id, viewer).await?;
            Ok(SendTarget {
                kind,
                to: group.group_id.clone(),
                channel_key: group_channel_key(&group.group_id),
                participants: vec![viewer.to_owned()],
                topics: vec![Topic::Group(group.group_id)],
                name_card,
            })
        }
        ConversationType::System => Err(AppError::bad_input(
            "conversationType",
            "system notices are made by the server",
        )),
    }
}

/// Rules checked when a message is sent. A refusal here stores the message
/// with status `fail` so that it may be resent later.
pub async fn check_send_rules(
    state: &AppState,
    viewer: &str,
    target: &SendTarget,
) -> AppResult<()> {
    match target.kind {
        ConversationType::C2c => {
            if target.to != viewer && blacklist::is_blocked(state, &target.to, viewer).await? {
                return Err(AppError::Blocked(
                    "the recipient does not accept your messages".into(),
                ));
            }
            Ok(())
        }
        ConversationType::Group => groups::check_can_send(state, viewer, &target.to).await,
        ConversationType::System => Err(AppError::Forbidden(
            "system notices are made by the server".into(),
        )),
    }
}

/// A conversation as named by a client, checked for the viewer.
#[derive(Debug, Clone)]
pub struct ConversationRef {
    /// As given: `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
    pub conversation_id: String,
    /// Its type.
    pub kind: ConversationType,
    /// The peer (C2C), the group (GROUP) or the viewer (SYSTEM).
    pub target: String,
    /// The channel's key.
    pub channel_key: String,
    /// The viewer's state row, when they have one.
    pub state: Option<conversation_states::Model>,
}

/// Parse a conversation ID and make sure the viewer may look at it.
pub async fn resolve_conversation(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<ConversationRef> {
    let row =
        conversation_states::Entity::find_by_id((viewer.to_owned(), conversation_id.to_owned()))
            .one(&state.db)
            .await?;
    let parsed: ConversationId = conversation_id.parse()?;
    let (target, channel_key) = match parsed.kind() {
        ConversationType::System => (viewer, system_channel_key(viewer)),
        ConversationType::C2c => {
            let peer = parsed.target();
            validate::user_id(ConversationId::FIELD, peer)?;
            if row.is_none() && !users::exists(state, peer).await? {
                return Err(AppError::NotFound(format!(
                    "no such conversation: {conversation_id}"
                )));
            }
            (peer, c2c_channel_key(viewer, peer))
        }
        ConversationType::Group => {
            let group_id = parsed.target();
            groups::find_group(state, group_id).await?;
            if row.is_none() {
                return Err(AppError::NotGroupMember(
                    "you are not a member of this group".into(),
                ));
            }
            (group_id, group_channel_key(group_id))
        }
    };
    Ok(ConversationRef {
        conversation_id: conversation_id.to_owned(),
        kind: parsed.kind(),
        target: target.to_owned(),
        channel_key,
        state: row,
    })
}

/// Whether `viewer` may revoke others' messages in the message's group (owner or admin).
pub async fn can_moderate(
    state: &AppState,
    viewer: &str,
    kind: ConversationType,
    to: &str,
) -> AppResult<bool> {
    match kind {
        ConversationType::Group => groups::is_owner_or_admin(state, to, viewer).await,
        _ => Ok(false),
    }
}

/// The lowest sequence hidden from `conv`'s viewer by the conversation's kind
/// (groups that show no history from before joining, or none at all).
pub async fn history_floor(
    state: &AppState,
    conv: &ConversationRef,
    last_seq: i64,
) -> AppResult<i64> {
    match conv.kind {
        ConversationType::Group => groups::history_floor(state, &conv.target, last_seq).await,
        _ => Ok(0),
    }
}
