//! Quote replies: a new message may quote a sent message of the same
//! conversation that its sender can see. The reply keeps a snapshot of the
//! quoted message (so a later edit does not change it); once the quoted
//! message is revoked, the snapshot shows [`REVOKED_FOR_SHOW`] instead, so the
//! revoked text does not live on in replies.

use std::collections::HashMap;

use entity::{message_replies, messages};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::{
    history::get_visible_message,
    types::MessageType,
    view::{MessageReply, MessageView},
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a reply shows of a quoted message that was revoked.
pub const REVOKED_FOR_SHOW: &str = "[Message revoked]";

/// The text of a message, or the placeholder of its kind.
pub fn message_for_show(kind: MessageType, payload: &serde_json::Value) -> String {
    if kind == MessageType::TextElem {
        payload
            .get("text")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned()
    } else {
        kind.placeholder().to_owned()
    }
}

/// Check that `viewer` may quote `reply_to` in the conversation of
/// `channel_id`, and take its snapshot.
pub async fn check_reply(
    state: &AppState,
    viewer: &str,
    reply_to: &str,
    channel_id: i64,
) -> AppResult<MessageReply> {
    let original = get_visible_message(state, viewer, reply_to).await?;
    let row = messages::Entity::find_by_id(reply_to)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no such message: {reply_to}")))?;
    if row.channel_id != channel_id {
        return Err(AppError::bad_input(
            "replyTo",
            "must be a message of the same conversation",
        ));
    }
    if row.seq.is_none() {
        return Err(AppError::bad_input("replyTo", "must be a sent message"));
    }
    Ok(snapshot(&original))
}

/// The snapshot a reply keeps of `original`.
fn snapshot(original: &MessageView) -> MessageReply {
    MessageReply {
        message_id: original.id.clone(),
        from: original.from.clone(),
        sequence: original.sequence,
        message_for_show: if original.is_revoked {
            REVOKED_FOR_SHOW.to_owned()
        } else {
            message_for_show(original.msg_type, &original.payload)
        },
    }
}

/// Record that `message_id` quotes `reply` (once: a retried create keeps the first).
pub async fn record_reply<C: ConnectionTrait>(
    conn: &C,
    message_id: &str,
    reply: &MessageReply,
) -> AppResult<()> {
    message_replies::Entity::insert(message_replies::ActiveModel {
        message_id: Set(message_id.to_owned()),
        reply_to_id: Set(reply.message_id.clone()),
        reply_from: Set(reply.from.clone()),
        reply_seq: Set(reply.sequence),
        message_for_show: Set(reply.message_for_show.clone()),
    })
    .on_conflict(
        OnConflict::column(message_replies::Column::MessageId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// What `message_id` quotes, if anything (as [`replies_of`] shows it).
pub async fn reply_of(state: &AppState, message_id: &str) -> AppResult<Option<MessageReply>> {
    Ok(replies_of(state, &[message_id.to_owned()])
        .await?
        .remove(message_id))
}

/// The quoted messages of `ids` by quoting message, a revoked original
/// shown as [`REVOKED_FOR_SHOW`]: one query, and a second only when some
/// of them quote.
pub async fn replies_of(
    state: &AppState,
    ids: &[String],
) -> AppResult<HashMap<String, MessageReply>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = message_replies::Entity::find()
        .filter(message_replies::Column::MessageId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let quoted: Vec<String> = rows.iter().map(|r| r.reply_to_id.clone()).collect();
    let revoked: Vec<String> = messages::Entity::find()
        .select_only()
        .column(messages::Column::Id)
        .filter(messages::Column::Id.is_in(quoted))
        .filter(messages::Column::IsRevoked.eq(true))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let is_revoked = revoked.contains(&row.reply_to_id);
            let reply = MessageReply {
                message_id: row.reply_to_id,
                from: row.reply_from,
                sequence: row.reply_seq,
                message_for_show: if is_revoked {
                    REVOKED_FOR_SHOW.to_owned()
                } else {
                    row.message_for_show
                },
            };
            (row.message_id, reply)
        })
        .collect())
}
