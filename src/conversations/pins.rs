//! Pinned conversations: a flag on the viewer's state row; the list shows
//! pinned conversations first.

use std::sync::Arc;

use entity::conversation_states;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

use super::{service::get_conversation_profile, types::ConversationView};
use crate::{
    error::{AppError, AppResult},
    events::Event,
    messages::{store, targets, types::ConversationType},
    realtime::Topic,
    state::AppState,
    util::unix_now,
};

/// Pin or unpin one of the viewer's conversations (idempotent); a C2C
/// conversation with no messages yet gains its row. The viewer's sessions
/// are told through `conversationUpdated` when the flag changes.
pub async fn pin_conversation(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    is_pinned: bool,
) -> AppResult<ConversationView> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let channel_id = match &conv.state {
        Some(row) => row.channel_id,
        None if conv.kind == ConversationType::C2c => {
            store::ensure_channel(state, &conv.channel_key, store::channel_kind(conv.kind)).await?
        }
        None => {
            return Err(AppError::NotFound(format!(
                "no such conversation: {conversation_id}"
            )))
        }
    };
    let unit = store::UnitOfWork::begin(state, &[channel_id]).await?;
    let now = unix_now();
    if conv.state.is_none() {
        store::touch_state(unit.tx(), viewer, conversation_id, channel_id, None, now).await?;
    }
    // Conditional, so a call that changes nothing tells nobody.
    let changed = conversation_states::Entity::update_many()
        .col_expr(conversation_states::Column::Pinned, Expr::value(is_pinned))
        .col_expr(conversation_states::Column::UpdatedAt, Expr::value(now))
        .filter(conversation_states::Column::UserId.eq(viewer))
        .filter(conversation_states::Column::ConversationId.eq(conversation_id))
        .filter(conversation_states::Column::Pinned.ne(is_pinned))
        .exec(unit.tx())
        .await?
        .rows_affected;
    let committed = unit.commit().await?;
    if changed > 0 {
        committed.publish(
            Topic::User(viewer.to_owned()),
            Arc::new(Event::ConversationChanged {
                user: viewer.to_owned(),
                conversation_id: conversation_id.to_owned(),
            }),
        );
    }
    drop(committed);
    get_conversation_profile(state, viewer, conversation_id).await
}
