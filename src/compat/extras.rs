//! The compat routes of the features beyond TIM v2, each named after its TIM
//! SDK method: `/message/*` (reactions, edits, replies, read receipts),
//! `/conversation/*` (typing, pins, total unread), `/group/*` (pinned
//! messages) and `/user/*` (status). Thin adapters over the services.

use axum::{
    extract::{FromRef, State},
    routing::post,
    Router,
};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{ok, parse_body, CompatJson, CompatResult, CompatViewer, LooseInt};
use crate::{
    conversations::{pins as conversation_pins, typing, unread},
    groups::{
        pins as group_pins,
        receipts::{self, ReadMemberFilter},
    },
    messages::{edits, reactions, types::MessageType},
    state::AppState,
    users::status,
};

/// The routes of this module.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/conversation/pinConversation", post(pin_conversation))
        .route("/group/pinGroupMessage", post(pin_group_message))
        .route("/conversation/setTypingStatus", post(set_typing_status))
        .route("/message/addMessageReaction", post(add_message_reaction))
        .route(
            "/message/removeMessageReaction",
            post(remove_message_reaction),
        )
        .route("/message/modifyMessage", post(modify_message))
        .route("/user/getUserStatus", post(get_user_status))
        .route("/user/setSelfStatus", post(set_self_status))
        .route(
            "/message/getGroupMessageReadMemberList",
            post(get_group_message_read_member_list),
        )
        .route(
            "/message/getMessageEditHistory",
            post(get_message_edit_history),
        )
        .route(
            "/message/getAllUserListOfMessageReaction",
            post(get_all_user_list_of_message_reaction),
        )
        .route(
            "/conversation/getTotalUnreadMessageCount",
            post(get_total_unread_message_count),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinConversationBody {
    #[serde(rename = "conversationID")]
    conversation_id: String,
    #[serde(rename = "isPinned")]
    is_pinned: bool,
}

async fn pin_conversation(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<PinConversationBody>,
) -> CompatResult {
    let conversation = conversation_pins::pin_conversation(
        &state,
        &viewer.user_id,
        &body.conversation_id,
        body.is_pinned,
    )
    .await?;
    ok(json!({ "conversation": conversation }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PinGroupMessageBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
    #[serde(rename = "isPinned")]
    is_pinned: bool,
}

async fn pin_group_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<PinGroupMessageBody>,
) -> CompatResult {
    let list = group_pins::pin_group_message(
        &state,
        &viewer.user_id,
        &body.group_id,
        &body.message_id,
        body.is_pinned,
    )
    .await?;
    ok(json!({ "pinnedMessageList": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingBody {
    #[serde(rename = "conversationID")]
    conversation_id: String,
    typing: bool,
}

async fn set_typing_status(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<TypingBody>,
) -> CompatResult {
    typing::set_typing_status(&state, &viewer.user_id, &body.conversation_id, body.typing).await?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

async fn get_total_unread_message_count(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(EmptyBody {}): CompatJson<EmptyBody>,
) -> CompatResult {
    ok(unread::get_total_unread_message_count(&state, &viewer.user_id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactionBody {
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
    #[serde(rename = "reactionID")]
    reaction_id: String,
}

async fn add_message_reaction(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ReactionBody>,
) -> CompatResult {
    let message = reactions::add_message_reaction(
        &state,
        &viewer.user_id,
        &body.message_id,
        &body.reaction_id,
    )
    .await?;
    ok(json!({ "message": message }))
}

async fn remove_message_reaction(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ReactionBody>,
) -> CompatResult {
    let message = reactions::remove_message_reaction(
        &state,
        &viewer.user_id,
        &body.message_id,
        &body.reaction_id,
    )
    .await?;
    ok(json!({ "message": message }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReactionUsersBody {
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
    #[serde(rename = "reactionID")]
    reaction_id: String,
    #[serde(rename = "nextSeq")]
    next_seq: Option<LooseInt>,
    count: Option<LooseInt>,
}

async fn get_all_user_list_of_message_reaction(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ReactionUsersBody>,
) -> CompatResult {
    ok(reactions::get_all_user_list_of_message_reaction(
        &state,
        &viewer.user_id,
        &body.message_id,
        &body.reaction_id,
        body.next_seq.map(|n| n.0),
        body.count.map(|n| n.0),
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModifyBody {
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
    payload: serde_json::Map<String, serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<MessageType>,
    version: Option<LooseInt>,
}

async fn modify_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ModifyBody>,
) -> CompatResult {
    let spec = super::messages::payload_spec(body.kind, &body.payload)?;
    let message = edits::modify_message(
        &state,
        &viewer.user_id,
        &body.message_id,
        &spec,
        body.version.map(|v| v.0),
    )
    .await?;
    ok(json!({ "message": message }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIdBody {
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
}

async fn get_message_edit_history(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<MessageIdBody>,
) -> CompatResult {
    ok(edits::get_message_edit_history(&state, &viewer.user_id, &body.message_id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadMembersBody {
    #[serde(rename = "messageID", alias = "ID")]
    message_id: String,
    filter: Option<ReadMemberFilter>,
    cursor: Option<String>,
    count: Option<LooseInt>,
}

async fn get_group_message_read_member_list(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ReadMembersBody>,
) -> CompatResult {
    ok(receipts::get_group_message_read_member_list(
        &state,
        &viewer.user_id,
        &body.message_id,
        body.filter,
        body.cursor.as_deref(),
        body.count.map(|n| n.0),
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserStatusBody {
    #[serde(rename = "userIDList")]
    user_id_list: Vec<String>,
}

async fn get_user_status(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UserStatusBody>,
) -> CompatResult {
    ok(status::get_user_status(&state, &viewer.user_id, &body.user_id_list).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelfStatusBody {
    #[serde(rename = "customStatus")]
    custom_status: String,
}

async fn set_self_status(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<SelfStatusBody>,
) -> CompatResult {
    ok(status::set_self_status(&state, &viewer.user_id, &body.custom_status).await?)
}

/// Parse `bytes` as every request body of these routes (the compat fuzz
/// target's entry point; a panic here is a bug).
pub fn parse_every_body(bytes: &[u8]) {
    let _ = parse_body::<PinConversationBody>(bytes, Some(true));
    let _ = parse_body::<PinGroupMessageBody>(bytes, Some(true));
    let _ = parse_body::<EmptyBody>(bytes, Some(true));
    let _ = parse_body::<TypingBody>(bytes, Some(true));
    let _ = parse_body::<ReactionBody>(bytes, Some(true));
    if let Ok(body) = parse_body::<ModifyBody>(bytes, Some(true)) {
        let _ = super::messages::payload_spec(body.kind, &body.payload);
    }
    let _ = parse_body::<MessageIdBody>(bytes, Some(true));
    let _ = parse_body::<ReadMembersBody>(bytes, Some(true));
    let _ = parse_body::<UserStatusBody>(bytes, Some(true));
    let _ = parse_body::<SelfStatusBody>(bytes, Some(true));
    let _ = parse_body::<ReactionUsersBody>(bytes, Some(true));
}
