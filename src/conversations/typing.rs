//! Typing status (`setTypingStatus`, `typingStatusChanged`): nothing is
//! stored; the tracker (`typing_tracker`) holds the statuses and tells them.

use std::sync::Arc;

use super::typing_tracker::Audience;
use crate::{
    blacklist::service as blacklist,
    error::{AppError, AppResult},
    messages::{targets, types::ConversationType},
    realtime::Topic,
    state::AppState,
};

/// Say whether the viewer is typing in a C2C or group conversation they are in.
pub async fn set_typing_status(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    typing: bool,
) -> AppResult<bool> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let (topic, to) = match conv.kind {
        ConversationType::C2c => (Topic::User(conv.target.clone()), conv.target.clone()),
        ConversationType::Group => (Topic::Group(conv.target.clone()), conv.target.clone()),
        ConversationType::System => {
            return Err(AppError::bad_input(
                "conversationID",
                "typing is for C2C and group conversations",
            ))
        }
    };
    let audience = Audience {
        topic,
        kind: conv.kind,
        to,
        hidden_from: Arc::new(blacklist::blocked_by(state, viewer).await?),
    };
    state
        .typing
        .update(state.bus.clone(), viewer, conversation_id, audience, typing);
    Ok(true)
}
