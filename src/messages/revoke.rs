//! Revoking a sent message: by its sender within the time limit, or by a
//! group's owner or admin at any time.

use std::sync::Arc;

use entity::messages;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

use super::{
    history::get_visible_message,
    store::{self, UnitOfWork},
    targets,
    types::{ConversationType, MessageStatus, MessageType},
    view::MessageView,
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    realtime::Topic,
    state::AppState,
    util::unix_now,
};

/// Revoke a sent message: by its sender within the limit, or by a group's owner or admin.
pub async fn revoke_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<MessageView> {
    let view = get_visible_message(state, viewer, message_id).await?;
    if view.conversation_type == ConversationType::System
        || matches!(
            view.msg_type,
            MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem
        )
    {
        return Err(AppError::Forbidden(
            "system notices and tips cannot be revoked".into(),
        ));
    }
    if view.status != MessageStatus::Success {
        return Err(AppError::bad_input(
            "messageID",
            "only sent messages can be revoked",
        ));
    }
    if view.is_revoked {
        return Err(AppError::bad_input(
            "messageID",
            "this message is already revoked",
        ));
    }
    let moderator = targets::can_moderate(state, viewer, view.conversation_type, &view.to).await?;
    if !moderator {
        if view.from != viewer {
            return Err(AppError::Forbidden(
                "only the sender may revoke this message".into(),
            ));
        }
        if unix_now() - view.time > state.config.revoke_limit {
            return Err(AppError::RevokeTimeLimit {
                message: format!(
                    "messages can only be revoked within {} seconds",
                    state.config.revoke_limit
                ),
                group: view.conversation_type == ConversationType::Group,
            });
        }
    }
    let row = messages::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("revoked message row missing"))?;
    let unit = UnitOfWork::begin(state, &[row.channel_id]).await?;
    // Conditional, so two concurrent revokes publish once.
    let updated = messages::Entity::update_many()
        .col_expr(messages::Column::IsRevoked, Expr::value(true))
        .col_expr(
            messages::Column::Payload,
            Expr::value(store::to_json_string(&MessageView::revoked_payload())?),
        )
        .filter(messages::Column::Id.eq(message_id))
        .filter(messages::Column::IsRevoked.eq(false))
        .exec_with_returning(unit.tx())
        .await?;
    let Some(updated) = updated.into_iter().next() else {
        return Err(AppError::bad_input(
            "messageID",
            "this message is already revoked",
        ));
    };
    let committed = unit.commit().await?;
    let view = store::view_of(state, viewer, updated).await?;
    let topics = match view.conversation_type {
        ConversationType::Group => vec![Topic::Group(view.to.clone())],
        _ => {
            let mut users = vec![view.from.clone()];
            if view.to != view.from {
                users.push(view.to.clone());
            }
            users.into_iter().map(Topic::User).collect()
        }
    };
    let event = Arc::new(Event::MessageRevoked(Arc::new(view.clone())));
    for topic in topics {
        committed.publish(topic, event.clone());
    }
    Ok(view)
}
