//! Creating and sending user messages: `createMessage`, `sendMessage` (of a
//! created message, or create-and-send), `resendMessage`, with `clientMsgID`
//! idempotency. Every send goes through the store's [`UnitOfWork`].

use std::sync::Arc;

use entity::{conversation_states, messages};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};

use super::{
    compose,
    conversation_id::ConversationId,
    input::NewMessage,
    replies,
    store::{self, UnitOfWork},
    targets::{self, SendTarget},
    types::{ConversationType, MessageStatus, MessageType},
    view::{MessageReply, MessageView},
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    files::service as files,
    realtime::Topic,
    state::AppState,
    users::service as users_service,
    util::unix_now,
};

/// The first message of `sender` with `client_msg_id`, if any.
async fn find_by_client_id(
    state: &AppState,
    sender: &str,
    client_msg_id: Option<&str>,
) -> AppResult<Option<messages::Model>> {
    let Some(client_msg_id) = client_msg_id else {
        return Ok(None);
    };
    Ok(messages::Entity::find()
        .filter(messages::Column::SenderId.eq(sender))
        .filter(messages::Column::ClientMsgId.eq(client_msg_id))
        .one(&state.db)
        .await?)
}

/// Store a new message as `unSend` (visible only to its sender).
pub async fn create_message(
    state: &AppState,
    viewer: &str,
    new: NewMessage,
) -> AppResult<MessageView> {
    state.rate_limits.send_by(viewer)?;
    let row = create_row(state, viewer, &new).await?;
    store::view_of(state, viewer, row).await
}

/// A validated new message, not yet stored.
struct Prepared {
    row: messages::ActiveModel,
    target: SendTarget,
    channel_id: i64,
    file_ids: Vec<String>,
    reply: Option<MessageReply>,
}

/// Validate the message, resolve where it goes and build its payload.
async fn prepare(state: &AppState, viewer: &str, new: &NewMessage) -> AppResult<Prepared> {
    let at_users = compose::check_envelope(new)?;
    let target =
        targets::resolve_send_target(state, viewer, new.conversation_type, &new.to).await?;
    let payload = compose::build_payload(state, viewer, &new.payload).await?;
    let stored = store::to_json_string(&payload.json)?;
    compose::check_stored_size(
        stored.len() + new.cloud_custom_data.len(),
        state.config.max_message_bytes,
    )?;
    let now = unix_now();
    let channel_id =
        store::ensure_channel(state, &target.channel_key, store::channel_kind(target.kind)).await?;
    let reply = match &new.reply_to {
        Some(id) => Some(replies::check_reply(state, viewer, id, channel_id).await?),
        None => None,
    };
    let row = messages::ActiveModel {
        id: Set(store::new_message_id()),
        channel_id: Set(channel_id),
        seq: Set(None),
        sender_id: Set(viewer.to_owned()),
        conversation_type: Set(target.kind.into()),
        to_id: Set(target.to.clone()),
        msg_type: Set(payload.kind.into()),
        payload: Set(stored),
        priority: Set(new.priority.into()),
        status: Set(MessageStatus::UnSend.into()),
        is_revoked: Set(false),
        at_user_list: Set(store::to_json_string(&at_users)?),
        cloud_custom_data: Set(new.cloud_custom_data.clone()),
        name_card: Set(target.name_card.clone()),
        client_msg_id: Set(new.client_msg_id.clone()),
        time: Set(now),
        created_at: Set(now),
    };
    Ok(Prepared {
        row,
        target,
        channel_id,
        file_ids: compose::carried_files(payload.kind, &payload.json),
        reply,
    })
}

/// Insert a prepared row as it is; a concurrent retry with the same
/// `clientMsgID` that won the race gives back the first message instead.
async fn insert_prepared(
    state: &AppState,
    viewer: &str,
    row: messages::ActiveModel,
    client_msg_id: Option<&str>,
) -> AppResult<messages::Model> {
    let inserted = {
        let _gate = state.write_guard().await;
        messages::Entity::insert(row)
            .exec_with_returning(&state.db)
            .await
    };
    match inserted {
        Ok(row) => Ok(row),
        Err(err) if users_service::is_unique_violation(&err) => {
            find_by_client_id(state, viewer, client_msg_id)
                .await?
                .ok_or_else(|| AppError::internal("duplicate message not found by client ID"))
        }
        Err(err) => Err(err.into()),
    }
}

/// Validate, build and store the unsent row; a repeated `clientMsgID` returns the first.
async fn create_row(
    state: &AppState,
    viewer: &str,
    new: &NewMessage,
) -> AppResult<messages::Model> {
    if let Some(existing) = find_by_client_id(state, viewer, new.client_msg_id.as_deref()).await? {
        return Ok(existing);
    }
    let prepared = prepare(state, viewer, new).await?;
    let row = insert_prepared(state, viewer, prepared.row, new.client_msg_id.as_deref()).await?;
    if let Some(reply) = &prepared.reply {
        let _gate = state.write_guard().await;
        replies::record_reply(&state.db, &row.id, reply).await?;
    }
    Ok(row)
}

/// Send a message created earlier by `createMessage`.
pub async fn send_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<MessageView> {
    state.rate_limits.send_by(viewer)?;
    let row = own_message(state, viewer, message_id).await?;
    match MessageStatus::from(row.status) {
        MessageStatus::UnSend => deliver(state, viewer, row).await,
        MessageStatus::Success => store::view_of(state, viewer, row).await,
        MessageStatus::Fail => Err(AppError::bad_input(
            "messageID",
            "this message failed: use resendMessage",
        )),
    }
}

/// Create and send in one step (one write transaction); a repeated
/// `clientMsgID` returns the first message and sends nothing new.
pub async fn send_new_message(
    state: &AppState,
    viewer: &str,
    new: NewMessage,
) -> AppResult<MessageView> {
    state.rate_limits.send_by(viewer)?;
    let client_msg_id = new.client_msg_id.as_deref();
    if let Some(existing) = find_by_client_id(state, viewer, client_msg_id).await? {
        if existing.status == entity::kinds::MessageStatus::UnSend {
            return deliver(state, viewer, existing).await;
        }
        return store::view_of(state, viewer, existing).await;
    }
    let Prepared {
        mut row,
        target,
        channel_id,
        file_ids,
        reply,
    } = prepare(state, viewer, &new).await?;
    if let Err(err) = targets::check_send_rules(state, viewer, &target).await {
        // Refused by a rule of the moment: kept as `fail` so it can be resent.
        row.status = Set(MessageStatus::Fail.into());
        let failed = insert_prepared(state, viewer, row, client_msg_id).await?;
        if let Some(reply) = &reply {
            let _gate = state.write_guard().await;
            replies::record_reply(&state.db, &failed.id, reply).await?;
        }
        return Err(err);
    }
    let mut unit = UnitOfWork::begin(state, &[channel_id]).await?;
    let Some(sent) = unit
        .send_new(row, channel_id, target.topics.clone())
        .await?
    else {
        // A concurrent retry won: dropping the unit rolls the sequence back.
        drop(unit);
        let first = find_by_client_id(state, viewer, client_msg_id)
            .await?
            .ok_or_else(|| AppError::internal("winning retry not found by client ID"))?;
        return store::view_of(state, viewer, first).await;
    };
    record_send(unit.tx(), &sent, &target, &file_ids).await?;
    if let Some(reply) = &reply {
        replies::record_reply(unit.tx(), &sent.id, reply).await?;
    }
    publish_own(unit, viewer, &target, reply).await
}

/// Commit a unit holding one user message, publish it, and return it as its
/// sender sees it. Sending marks the conversation read for the sender, so a
/// C2C peer is told, as `setMessageRead` tells them. `reply` is what the
/// message quotes, known to the sender, so it is not read back.
async fn publish_own(
    unit: UnitOfWork<'_>,
    viewer: &str,
    target: &SendTarget,
    reply: Option<MessageReply>,
) -> AppResult<MessageView> {
    let mut committed = unit.commit().await?;
    let view = committed
        .publish_sent(viewer, reply)
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no view of a published message"))?;
    if target.kind == ConversationType::C2c && target.to != viewer {
        committed.publish(
            Topic::User(target.to.clone()),
            Arc::new(Event::PeerRead {
                reader: viewer.to_owned(),
                peer: target.to.clone(),
                sequence: view.sequence,
                time: view.time,
            }),
        );
    }
    Ok(view)
}

/// Retry a message whose send failed.
pub async fn resend_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<MessageView> {
    state.rate_limits.send_by(viewer)?;
    let row = own_message(state, viewer, message_id).await?;
    if row.status != entity::kinds::MessageStatus::Fail {
        return Err(AppError::bad_input(
            "messageID",
            "only failed messages can be resent",
        ));
    }
    deliver(state, viewer, row).await
}

async fn own_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<messages::Model> {
    messages::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .filter(|m| m.sender_id == viewer)
        .ok_or_else(|| AppError::NotFound(format!("no such message: {message_id}")))
}

/// Check the rules of the moment and send a stored message: allocate the
/// sequence and publish after commit, or store `fail` and return the refusal.
/// Of concurrent sends of one message exactly one allocates a sequence; the
/// others get the sent message back.
async fn deliver(state: &AppState, viewer: &str, row: messages::Model) -> AppResult<MessageView> {
    let kind = ConversationType::from(row.conversation_type);
    let target = match targets::resolve_send_target(state, viewer, kind, &row.to_id).await {
        Ok(target) => target,
        Err(err) => return fail(state, row, err).await,
    };
    if let Err(err) = targets::check_send_rules(state, viewer, &target).await {
        return fail(state, row, err).await;
    }
    // The payload names its files, so an unsent message needs no side table.
    let msg_type = MessageType::from(row.msg_type);
    let payload: serde_json::Value =
        serde_json::from_str(&row.payload).map_err(AppError::internal)?;
    let file_ids = compose::carried_files(msg_type, &payload);
    let mut unit = UnitOfWork::begin(state, &[row.channel_id]).await?;
    let Some(sent) = unit
        .send_stored(&row, &target.name_card, target.topics.clone())
        .await?
    else {
        drop(unit);
        let current = own_message(state, viewer, &row.id).await?;
        return store::view_of(state, viewer, current).await;
    };
    record_send(unit.tx(), &sent, &target, &file_ids).await?;
    // A quote was recorded when the message was created.
    let reply = replies::reply_of(state, &row.id).await?;
    publish_own(unit, viewer, &target, reply).await
}

/// The rest of a send inside its transaction: participants' state rows and file links.
async fn record_send(
    tx: &DatabaseTransaction,
    sent: &messages::Model,
    target: &SendTarget,
    file_ids: &[String],
) -> AppResult<()> {
    let now = sent.time;
    let seq = sent.seq.unwrap_or(0);
    if target.kind == ConversationType::Group {
        // A group conversation row is the membership itself: move the
        // sender's read position but never re-create a row that a removal
        // committed since the membership check deleted.
        let conversation_id = ConversationId::group(&sent.to_id).to_string();
        conversation_states::Entity::update_many()
            .col_expr(conversation_states::Column::ReadSeq, Expr::value(seq))
            .col_expr(conversation_states::Column::UpdatedAt, Expr::value(now))
            .filter(conversation_states::Column::UserId.eq(sent.sender_id.as_str()))
            .filter(conversation_states::Column::ConversationId.eq(conversation_id))
            .exec(tx)
            .await?;
    } else {
        touch_participants(tx, sent, target, seq, now).await?;
    }
    files::attach_files(tx, file_ids, sent.channel_id, seq).await?;
    Ok(())
}

/// C2C participants gain the conversation, and the sender has read
/// everything up to their own message: one multi-row upsert. A row's read
/// position only moves forward (the recipient's row is inserted at 0 and
/// keeps its own), so one statement serves both sides.
async fn touch_participants(
    tx: &DatabaseTransaction,
    sent: &messages::Model,
    target: &SendTarget,
    seq: i64,
    now: i64,
) -> AppResult<()> {
    let rows = target.participants.iter().map(|user| {
        let conversation_id =
            super::view::conversation_id_for(target.kind, &sent.sender_id, &sent.to_id, user);
        let read_seq = if *user == sent.sender_id { seq } else { 0 };
        store::new_state_row(user, &conversation_id, sent.channel_id, read_seq, now)
    });
    let forward = Expr::cust(
        "CASE WHEN excluded.read_seq > conversation_states.read_seq \
         THEN excluded.read_seq ELSE conversation_states.read_seq END",
    );
    conversation_states::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                conversation_states::Column::UserId,
                conversation_states::Column::ConversationId,
            ])
            .value(conversation_states::Column::ReadSeq, forward)
            .update_column(conversation_states::Column::UpdatedAt)
            .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// Store `fail` on a message refused by a rule, and return the refusal. Only
/// an unsent row changes: a message that a concurrent send delivered stays sent.
async fn fail(state: &AppState, row: messages::Model, err: AppError) -> AppResult<MessageView> {
    if row.status != entity::kinds::MessageStatus::Fail {
        let _gate = state.write_guard().await;
        messages::Entity::update_many()
            .col_expr(
                messages::Column::Status,
                Expr::value(MessageStatus::Fail.as_str()),
            )
            .filter(messages::Column::Id.eq(row.id.as_str()))
            .filter(messages::Column::Seq.is_null())
            .exec(&state.db)
            .await?;
    }
    Err(err)
}
