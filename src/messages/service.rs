//! Message rules and queries: create, send, resend, revoke, history, read.

use std::{collections::HashMap, sync::Arc};

use entity::{channels, conversation_states, messages, users};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{
    input::{NewMessage, PayloadSpec},
    targets::{self, SendTarget},
    types::{ConversationType, MessageStatus, MessageType, AT_ALL},
    view::{MessagePage, MessageView},
};
use crate::{
    error::{AppError, AppResult},
    files::service::{self as files, MediaKind, MediaRequest},
    realtime::{Event, Topic},
    state::AppState,
    users::{service as users_service, validate},
    util::unix_now,
};

/// Largest text payload in bytes.
pub const MAX_TEXT_BYTES: usize = 12_000;
/// Largest `cloudCustomData` in bytes.
pub const MAX_CLOUD_CUSTOM_DATA_BYTES: usize = 8 * 1024;
/// Most members one message may mention.
pub const MAX_AT_USERS: usize = 30;
/// Most messages one merged record may carry.
pub const MAX_MERGED: usize = 100;
/// Most messages one history page may hold.
pub const MAX_PAGE: u64 = 100;

/// A checked payload ready to store (its files are named inside it).
struct BuiltPayload {
    kind: MessageType,
    json: serde_json::Value,
}

fn new_message_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn to_json_string(value: &impl serde::Serialize) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// Check everything about a new message that does not depend on rules of the
/// moment (those are checked when it is sent).
fn check_envelope(new: &NewMessage) -> AppResult<Vec<String>> {
    validate::max_bytes(
        "cloudCustomData",
        &new.cloud_custom_data,
        MAX_CLOUD_CUSTOM_DATA_BYTES,
    )?;
    if let Some(id) = &new.client_msg_id {
        if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "clientMsgID",
                "must be 1 to 64 bytes without control characters",
            ));
        }
    }
    let mut at = Vec::new();
    for user in &new.at_user_list {
        if user != AT_ALL {
            validate::user_id("atUserList", user)?;
        }
        if !at.contains(user) {
            at.push(user.clone());
        }
    }
    if !at.is_empty() && new.conversation_type != ConversationType::Group {
        return Err(AppError::bad_input(
            "atUserList",
            "mentions are for group messages only",
        ));
    }
    if at.len() > MAX_AT_USERS {
        return Err(AppError::bad_input(
            "atUserList",
            format!("at most {MAX_AT_USERS} users"),
        ));
    }
    Ok(at)
}

async fn build_payload(
    state: &AppState,
    viewer: &str,
    spec: &PayloadSpec,
) -> AppResult<BuiltPayload> {
    use serde_json::json;
    let plain = |kind, json| BuiltPayload { kind, json };
    Ok(match spec {
        PayloadSpec::Text { text } => {
            if text.is_empty() || text.len() > MAX_TEXT_BYTES {
                return Err(AppError::bad_input(
                    "payload.text",
                    format!("must be 1 to {MAX_TEXT_BYTES} bytes"),
                ));
            }
            plain(MessageType::TextElem, json!({ "text": text }))
        }
        PayloadSpec::Custom {
            data,
            description,
            extension,
        } => {
            if data.is_empty() && description.is_empty() && extension.is_empty() {
                return Err(AppError::bad_input(
                    "payload",
                    "data, description or extension must be given",
                ));
            }
            if data.len() + description.len() + extension.len() > MAX_TEXT_BYTES {
                return Err(AppError::bad_input(
                    "payload",
                    format!("custom data is over {MAX_TEXT_BYTES} bytes"),
                ));
            }
            plain(
                MessageType::CustomElem,
                json!({ "data": data, "description": description, "extension": extension }),
            )
        }
        PayloadSpec::Face { index, data } => {
            if *index < 0 || *index > i64::from(i32::MAX) {
                return Err(AppError::bad_input(
                    "payload.index",
                    "must be a non-negative 32-bit number",
                ));
            }
            validate::max_bytes("payload.data", data, MAX_TEXT_BYTES)?;
            plain(
                MessageType::FaceElem,
                json!({ "index": index, "data": data }),
            )
        }
        PayloadSpec::Location {
            description,
            longitude,
            latitude,
        } => {
            if !longitude.is_finite() || !(-180.0..=180.0).contains(longitude) {
                return Err(AppError::bad_input(
                    "payload.longitude",
                    "must be between -180 and 180",
                ));
            }
            if !latitude.is_finite() || !(-90.0..=90.0).contains(latitude) {
                return Err(AppError::bad_input(
                    "payload.latitude",
                    "must be between -90 and 90",
                ));
            }
            validate::max_bytes("payload.description", description, 1000)?;
            plain(
                MessageType::LocationElem,
                json!({ "description": description, "longitude": longitude, "latitude": latitude }),
            )
        }
        PayloadSpec::Merger {
            message_ids,
            title,
            abstract_list,
            compatible_text,
        } => {
            if message_ids.is_empty() || message_ids.len() > MAX_MERGED {
                return Err(AppError::bad_input(
                    "payload.messageIDList",
                    format!("must name 1 to {MAX_MERGED} messages"),
                ));
            }
            if title.is_empty() {
                return Err(AppError::bad_input("payload.title", "must not be empty"));
            }
            validate::max_bytes("payload.title", title, 200)?;
            validate::max_bytes("payload.compatibleText", compatible_text, 1000)?;
            if abstract_list.len() > 20 || abstract_list.iter().any(|a| a.len() > 200) {
                return Err(AppError::bad_input(
                    "payload.abstractList",
                    "at most 20 lines of 200 bytes",
                ));
            }
            let mut copies = Vec::with_capacity(message_ids.len());
            for id in message_ids {
                copies.push(forwardable(state, viewer, id, "payload.messageIDList").await?);
            }
            BuiltPayload {
                kind: MessageType::RelayElem,
                json: json!({
                    "title": title,
                    "abstractList": abstract_list,
                    "compatibleText": compatible_text,
                    "messageList": copies,
                }),
            }
        }
        PayloadSpec::Forward { message_id } => {
            let original = forwardable(state, viewer, message_id, "payload.messageID").await?;
            BuiltPayload {
                kind: original.msg_type,
                json: original.payload,
            }
        }
        PayloadSpec::Image { file_id } => {
            media(state, viewer, MediaKind::Image, file_id, None, None).await?
        }
        PayloadSpec::Audio { file_id, second } => {
            media(
                state,
                viewer,
                MediaKind::Audio,
                file_id,
                Some(*second),
                None,
            )
            .await?
        }
        PayloadSpec::Video {
            file_id,
            second,
            thumb_file_id,
        } => {
            media(
                state,
                viewer,
                MediaKind::Video,
                file_id,
                Some(*second),
                thumb_file_id.clone(),
            )
            .await?
        }
        PayloadSpec::File { file_id } => {
            media(state, viewer, MediaKind::File, file_id, None, None).await?
        }
    })
}

async fn media(
    state: &AppState,
    viewer: &str,
    kind: MediaKind,
    file_id: &str,
    second: Option<i64>,
    thumb_file_id: Option<String>,
) -> AppResult<BuiltPayload> {
    if let Some(second) = second {
        if !(0..=86_400).contains(&second) {
            return Err(AppError::bad_input("payload.second", "must be 0 to 86400"));
        }
    }
    let request = MediaRequest {
        kind,
        file_id: file_id.to_owned(),
        second,
        thumb_file_id,
    };
    let built = files::media_payload(state, viewer, &request).await?;
    let msg_type = match kind {
        MediaKind::Image => MessageType::ImageElem,
        MediaKind::Audio => MessageType::SoundElem,
        MediaKind::Video => MessageType::VideoFileElem,
        MediaKind::File => MessageType::FileElem,
    };
    Ok(BuiltPayload {
        kind: msg_type,
        json: built.payload,
    })
}

/// The fileIDs a stored payload carries (so a forwarded copy stays downloadable).
fn carried_files(kind: MessageType, payload: &serde_json::Value) -> Vec<String> {
    let field = |name: &str| {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match kind {
        MessageType::ImageElem | MessageType::SoundElem | MessageType::FileElem => {
            field("uuid").into_iter().collect()
        }
        MessageType::VideoFileElem => field("videoUUID")
            .into_iter()
            .chain(field("thumbUUID"))
            .collect(),
        MessageType::RelayElem => payload
            .get("messageList")
            .and_then(|l| l.as_array())
            .map(|list| {
                list.iter()
                    .flat_map(|m| {
                        let kind = m
                            .get("type")
                            .and_then(|t| t.as_str())
                            .and_then(MessageType::parse);
                        match (kind, m.get("payload")) {
                            (Some(kind), Some(p)) => carried_files(kind, p),
                            _ => Vec::new(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A message the viewer may copy into a forward or a merged record.
async fn forwardable(
    state: &AppState,
    viewer: &str,
    id: &str,
    field: &str,
) -> AppResult<MessageView> {
    let view = get_visible_message(state, viewer, id).await?;
    if matches!(
        view.msg_type,
        MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem
    ) {
        return Err(AppError::bad_input(
            field,
            "group tips and system notices cannot be forwarded",
        ));
    }
    if view.is_revoked || view.status != MessageStatus::Success {
        return Err(AppError::bad_input(
            field,
            "only sent, unrevoked messages can be forwarded",
        ));
    }
    Ok(view)
}

/// Find a channel by key, creating it when missing (safe under races).
pub async fn ensure_channel<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    kind: &str,
) -> AppResult<channels::Model> {
    if let Some(found) = channels::Entity::find()
        .filter(channels::Column::ChannelKey.eq(key))
        .one(conn)
        .await?
    {
        return Ok(found);
    }
    let row = channels::ActiveModel {
        channel_key: Set(key.to_owned()),
        kind: Set(kind.to_owned()),
        last_seq: Set(0),
        last_activity: Set(unix_now()),
        created_at: Set(unix_now()),
        ..Default::default()
    };
    channels::Entity::insert(row)
        .on_conflict(
            OnConflict::column(channels::Column::ChannelKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    channels::Entity::find()
        .filter(channels::Column::ChannelKey.eq(key))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal("channel vanished after insert"))
}

fn channel_kind(kind: ConversationType) -> &'static str {
    match kind {
        ConversationType::C2c => "c2c",
        ConversationType::Group => "group",
        ConversationType::System => "system",
    }
}

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
    let row = create_row(state, viewer, &new).await?;
    view_of(state, viewer, row).await
}

/// A validated new message, not yet stored.
struct Prepared {
    row: messages::ActiveModel,
    target: SendTarget,
    channel_id: i64,
    file_ids: Vec<String>,
}

/// Validate the message, resolve where it goes and build its payload.
async fn prepare(state: &AppState, viewer: &str, new: &NewMessage) -> AppResult<Prepared> {
    let at_users = check_envelope(new)?;
    let target =
        targets::resolve_send_target(state, viewer, new.conversation_type, &new.to).await?;
    let payload = build_payload(state, viewer, &new.payload).await?;
    let now = unix_now();
    let channel = ensure_channel(&state.db, &target.channel_key, channel_kind(target.kind)).await?;
    let row = messages::ActiveModel {
        id: Set(new_message_id()),
        channel_id: Set(channel.id),
        seq: Set(None),
        sender_id: Set(viewer.to_owned()),
        conversation_type: Set(target.kind.as_str().to_owned()),
        to_id: Set(target.to.clone()),
        msg_type: Set(payload.kind.as_str().to_owned()),
        payload: Set(to_json_string(&payload.json)?),
        priority: Set(new.priority.as_str().to_owned()),
        status: Set(MessageStatus::UnSend.as_str().to_owned()),
        is_revoked: Set(false),
        at_user_list: Set(to_json_string(&at_users)?),
        cloud_custom_data: Set(new.cloud_custom_data.clone()),
        name_card: Set(target.name_card.clone()),
        client_msg_id: Set(new.client_msg_id.clone()),
        time: Set(now),
        created_at: Set(now),
    };
    Ok(Prepared {
        row,
        target,
        channel_id: channel.id,
        file_ids: carried_files(payload.kind, &payload.json),
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
                .ok_or(AppError::Internal)
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
    insert_prepared(state, viewer, prepared.row, new.client_msg_id.as_deref()).await
}

/// Send a message created earlier by `createMessage`.
pub async fn send_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<MessageView> {
    let row = own_message(state, viewer, message_id).await?;
    match row.status.as_str() {
        "unSend" => deliver(state, viewer, row).await,
        "success" => view_of(state, viewer, row).await,
        _ => Err(AppError::bad_input(
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
    let client_msg_id = new.client_msg_id.as_deref();
    if let Some(existing) = find_by_client_id(state, viewer, client_msg_id).await? {
        if existing.status == "unSend" {
            return deliver(state, viewer, existing).await;
        }
        return view_of(state, viewer, existing).await;
    }
    let Prepared {
        mut row,
        target,
        channel_id,
        file_ids,
    } = prepare(state, viewer, &new).await?;
    if let Err(err) = targets::check_send_rules(state, viewer, &target).await {
        // Refused by a rule of the moment: kept as `fail` so it can be resent.
        row.status = Set(MessageStatus::Fail.as_str().to_owned());
        insert_prepared(state, viewer, row, client_msg_id).await?;
        return Err(err);
    }
    let _order = state.channel_locks.lock(channel_id).await;
    let sent = {
        let _gate = state.write_guard().await;
        let tx = state.db.begin().await?;
        let now = unix_now();
        let seq = next_seq(&tx, channel_id, now).await?;
        row.seq = Set(Some(seq));
        row.status = Set(MessageStatus::Success.as_str().to_owned());
        row.time = Set(now);
        match messages::Entity::insert(row).exec_with_returning(&tx).await {
            Ok(sent) => {
                record_send(&tx, &sent, &target, &file_ids).await?;
                tx.commit().await?;
                sent
            }
            Err(err) if users_service::is_unique_violation(&err) => {
                // A concurrent retry won; dropping the transaction rolls the sequence back.
                drop(tx);
                let first = find_by_client_id(state, viewer, client_msg_id)
                    .await?
                    .ok_or(AppError::Internal)?;
                return view_of(state, viewer, first).await;
            }
            Err(err) => return Err(err.into()),
        }
    };
    let view = view_of(state, viewer, sent).await?;
    publish_message(state, &target.topics, &view);
    Ok(view)
}

/// Retry a message whose send failed.
pub async fn resend_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<MessageView> {
    let row = own_message(state, viewer, message_id).await?;
    if row.status != "fail" {
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

/// Check the rules of the moment and send: allocate the sequence and publish
/// after commit, or store `fail` and return the refusal.
async fn deliver(state: &AppState, viewer: &str, row: messages::Model) -> AppResult<MessageView> {
    let kind = ConversationType::parse(&row.conversation_type).unwrap_or(ConversationType::C2c);
    let target = targets::resolve_send_target(state, viewer, kind, &row.to_id).await;
    let target = match target {
        Ok(target) => target,
        Err(err) => return fail(state, row, err).await,
    };
    if let Err(err) = targets::check_send_rules(state, viewer, &target).await {
        return fail(state, row, err).await;
    }
    // The payload names its files, so an unsent message needs no side table.
    let file_ids = carried_files(
        MessageType::parse(&row.msg_type).unwrap_or(MessageType::CustomElem),
        &serde_json::from_str(&row.payload).unwrap_or_default(),
    );
    let channel_id = row.channel_id;
    // Per-channel lock held from sequence allocation through publishing, so
    // subscribers see each channel's messages in sequence order.
    let _order = state.channel_locks.lock(channel_id).await;
    let sent = {
        let _gate = state.write_guard().await;
        let tx = state.db.begin().await?;
        let sent = commit_send(&tx, row, &target, &file_ids).await?;
        tx.commit().await?;
        sent
    };
    let view = view_of(state, viewer, sent).await?;
    publish_message(state, &target.topics, &view);
    Ok(view)
}

/// Inside the send transaction: next sequence, the row, the participants' state rows, file links.
async fn commit_send(
    tx: &DatabaseTransaction,
    row: messages::Model,
    target: &SendTarget,
    file_ids: &[String],
) -> AppResult<messages::Model> {
    let now = unix_now();
    let seq = next_seq(tx, row.channel_id, now).await?;
    let mut active: messages::ActiveModel = row.into();
    active.seq = Set(Some(seq));
    active.status = Set(MessageStatus::Success.as_str().to_owned());
    active.time = Set(now);
    active.name_card = Set(target.name_card.clone());
    let sent = active.update(tx).await?;
    record_send(tx, &sent, target, file_ids).await?;
    Ok(sent)
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
    // The sender has read everything up to their own message; C2C recipients
    // gain the conversation.
    for user in &target.participants {
        let conversation_id =
            super::view::conversation_id_for(target.kind, &sent.sender_id, &sent.to_id, user);
        let is_sender = *user == sent.sender_id;
        if target.kind == ConversationType::Group {
            // A group conversation row is the membership itself: move the
            // sender's read position but never re-create a row that a removal
            // committed since the membership check deleted.
            conversation_states::Entity::update_many()
                .col_expr(conversation_states::Column::ReadSeq, Expr::value(seq))
                .col_expr(conversation_states::Column::UpdatedAt, Expr::value(now))
                .filter(conversation_states::Column::UserId.eq(user.as_str()))
                .filter(conversation_states::Column::ConversationId.eq(&conversation_id))
                .exec(tx)
                .await?;
            continue;
        }
        touch_state(
            tx,
            user,
            &conversation_id,
            sent.channel_id,
            is_sender.then_some(seq),
            now,
        )
        .await?;
    }
    files::attach_files(tx, file_ids, sent.channel_id).await?;
    Ok(())
}

/// Bump the channel's counter and return the new sequence (gapless: same transaction as the insert).
pub async fn next_seq<C: ConnectionTrait>(conn: &C, channel_id: i64, now: i64) -> AppResult<i64> {
    use sea_orm::sea_query::ExprTrait as _;
    let updated = channels::Entity::update_many()
        .col_expr(
            channels::Column::LastSeq,
            Expr::col(channels::Column::LastSeq).add(1),
        )
        .col_expr(channels::Column::LastActivity, Expr::value(now))
        .filter(channels::Column::Id.eq(channel_id))
        .exec_with_returning(conn)
        .await?;
    updated
        .first()
        .map(|c| c.last_seq)
        .ok_or_else(|| AppError::internal("channel missing while sending"))
}

/// Make sure `user` has a state row for the conversation; with `read_seq`, move their read position there.
pub async fn touch_state<C: ConnectionTrait>(
    conn: &C,
    user: &str,
    conversation_id: &str,
    channel_id: i64,
    read_seq: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let row = conversation_states::ActiveModel {
        user_id: Set(user.to_owned()),
        conversation_id: Set(conversation_id.to_owned()),
        channel_id: Set(channel_id),
        read_seq: Set(read_seq.unwrap_or(0)),
        read_at: Set(0),
        cleared_seq: Set(0),
        deleted: Set(false),
        pinned: Set(false),
        remind_type: Set("AcceptAndNotify".to_owned()),
        updated_at: Set(now),
    };
    let mut on_conflict = OnConflict::columns([
        conversation_states::Column::UserId,
        conversation_states::Column::ConversationId,
    ]);
    match read_seq {
        Some(_) => on_conflict.update_columns([
            conversation_states::Column::ReadSeq,
            conversation_states::Column::UpdatedAt,
        ]),
        None => on_conflict.update_column(conversation_states::Column::UpdatedAt),
    };
    conversation_states::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Store `fail` on a message refused by a rule, and return the refusal.
async fn fail(state: &AppState, row: messages::Model, err: AppError) -> AppResult<MessageView> {
    if row.status != "fail" {
        let _gate = state.write_guard().await;
        let mut active: messages::ActiveModel = row.into();
        active.status = Set(MessageStatus::Fail.as_str().to_owned());
        active.update(&state.db).await?;
    }
    Err(err)
}

/// Publish a sent message to its topics (after commit).
pub fn publish_message(state: &AppState, topics: &[Topic], view: &MessageView) {
    let event = Arc::new(Event::Message(Arc::new(view.clone())));
    for topic in topics {
        state.bus.publish(topic.clone(), event.clone());
    }
}

/// One row as `viewer` sees it (loads the sender and, for C2C, the peer's read position).
pub async fn view_of(
    state: &AppState,
    viewer: &str,
    row: messages::Model,
) -> AppResult<MessageView> {
    let mut views = views_of(state, viewer, vec![row]).await?;
    views.pop().ok_or(AppError::Internal)
}

/// Rows as `viewer` sees them, with senders and read positions loaded in batches.
pub async fn views_of(
    state: &AppState,
    viewer: &str,
    rows: Vec<messages::Model>,
) -> AppResult<Vec<MessageView>> {
    let mut sender_ids: Vec<String> = rows.iter().map(|r| r.sender_id.clone()).collect();
    sender_ids.sort();
    sender_ids.dedup();
    let senders = users_service::load_users(state, &sender_ids).await?;
    // isPeerRead: the C2C recipient's read position, one query for all channels.
    let mut wanted: Vec<(String, String)> = rows
        .iter()
        .filter(|r| r.conversation_type == "C2C" && r.seq.is_some())
        .map(|r| (r.to_id.clone(), format!("C2C{}", r.sender_id)))
        .collect();
    wanted.sort();
    wanted.dedup();
    let mut read: HashMap<(String, String), i64> = HashMap::new();
    if !wanted.is_empty() {
        let mut cond = sea_orm::Condition::any();
        for (user, conv) in &wanted {
            cond = cond.add(
                sea_orm::Condition::all()
                    .add(conversation_states::Column::UserId.eq(user.clone()))
                    .add(conversation_states::Column::ConversationId.eq(conv.clone())),
            );
        }
        for s in conversation_states::Entity::find()
            .filter(cond)
            .all(&state.db)
            .await?
        {
            read.insert((s.user_id, s.conversation_id), s.read_seq);
        }
    }
    Ok(rows
        .iter()
        .map(|row| {
            let peer_read = read
                .get(&(row.to_id.clone(), format!("C2C{}", row.sender_id)))
                .copied();
            MessageView::from_row(row, senders.get(&row.sender_id), viewer, peer_read)
        })
        .collect())
}

/// A message `viewer` may see: their own, or a sent one in a conversation they
/// are in, after the point they last cleared it.
pub async fn get_visible_message(
    state: &AppState,
    viewer: &str,
    id: &str,
) -> AppResult<MessageView> {
    let not_found = || AppError::NotFound(format!("no such message: {id}"));
    let row = messages::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    if row.sender_id != viewer {
        let seq = row.seq.ok_or_else(not_found)?;
        let kind = ConversationType::parse(&row.conversation_type).ok_or_else(not_found)?;
        let conversation_id =
            super::view::conversation_id_for(kind, &row.sender_id, &row.to_id, viewer);
        let addressed = match kind {
            ConversationType::C2c => row.to_id == viewer,
            ConversationType::System => row.to_id == viewer,
            ConversationType::Group => true,
        };
        let state_row =
            conversation_states::Entity::find_by_id((viewer.to_owned(), conversation_id))
                .one(&state.db)
                .await?;
        match state_row {
            Some(s) if addressed && s.channel_id == row.channel_id && seq > s.cleared_seq => {}
            _ => return Err(not_found()),
        }
    }
    view_of(state, viewer, row).await
}

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
        .ok_or(AppError::Internal)?;
    let channel_id = row.channel_id;
    let _order = state.channel_locks.lock(channel_id).await;
    let updated = {
        let _gate = state.write_guard().await;
        let mut active: messages::ActiveModel = row.into();
        active.is_revoked = Set(true);
        active.payload = Set(to_json_string(&MessageView::revoked_payload())?);
        active.update(&state.db).await?
    };
    let view = view_of(state, viewer, updated).await?;
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
        state.bus.publish(topic, event.clone());
    }
    Ok(view)
}

/// One page of history, newest page first, each page oldest-first.
pub async fn get_message_list(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    count: Option<i64>,
    next_req_message_id: Option<&str>,
) -> AppResult<MessagePage> {
    let count = count.unwrap_or(15);
    if !(1..=MAX_PAGE as i64).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_PAGE}"),
        ));
    }
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let Some(channel) = channels::Entity::find()
        .filter(channels::Column::ChannelKey.eq(&conv.channel_key))
        .one(&state.db)
        .await?
    else {
        if next_req_message_id.is_some_and(|c| !c.is_empty()) {
            return Err(AppError::bad_input(
                "nextReqMessageID",
                "is not a message of this conversation",
            ));
        }
        return Ok(MessagePage {
            message_list: Vec::new(),
            next_req_message_id: String::new(),
            is_completed: true,
        });
    };
    let floor = conv.state.as_ref().map(|s| s.cleared_seq).unwrap_or(0);
    let floor = floor.max(targets::history_floor(state, &conv, channel.last_seq).await?);
    // The cursor: the oldest message of the previous page.
    let (upper_seq, upper_time) = match next_req_message_id.filter(|c| !c.is_empty()) {
        Some(cursor) => {
            let bad =
                || AppError::bad_input("nextReqMessageID", "is not a message of this conversation");
            let row = messages::Entity::find_by_id(cursor)
                .one(&state.db)
                .await?
                .ok_or_else(bad)?;
            let seq = row.seq.ok_or_else(bad)?;
            if row.channel_id != channel.id || seq <= floor {
                return Err(bad());
            }
            (Some(seq), Some(row.time))
        }
        None => (None, None),
    };
    let mut query = messages::Entity::find()
        .filter(messages::Column::ChannelId.eq(channel.id))
        .filter(messages::Column::Seq.gt(floor));
    if let Some(upper) = upper_seq {
        query = query.filter(messages::Column::Seq.lt(upper));
    }
    let mut rows = query
        .order_by_desc(messages::Column::Seq)
        .limit(count as u64 + 1)
        .all(&state.db)
        .await?;
    let is_completed = rows.len() as i64 <= count;
    rows.truncate(count as usize);
    let oldest = rows.last().map(|r| (r.id.clone(), r.time));
    // The viewer's own unsent and failed messages, placed by time among the page.
    let floor_time = if is_completed {
        None
    } else {
        oldest.as_ref().map(|(_, t)| *t)
    };
    let mut own = messages::Entity::find()
        .filter(messages::Column::ChannelId.eq(channel.id))
        .filter(messages::Column::SenderId.eq(viewer))
        .filter(messages::Column::Seq.is_null());
    if let Some(t) = floor_time {
        own = own.filter(messages::Column::CreatedAt.gte(t));
    }
    if let Some(t) = upper_time {
        own = own.filter(messages::Column::CreatedAt.lt(t));
    }
    let cleared_time = if floor > 0 {
        Some(cleared_time(state, channel.id, floor).await?)
    } else {
        None
    };
    if let Some(t) = cleared_time {
        own = own.filter(messages::Column::CreatedAt.gt(t));
    }
    let pending = own
        .order_by_asc(messages::Column::CreatedAt)
        .limit(MAX_PAGE)
        .all(&state.db)
        .await?;
    rows.reverse();
    rows.extend(pending);
    rows.sort_by(|a, b| {
        (a.time, a.seq.unwrap_or(i64::MAX)).cmp(&(b.time, b.seq.unwrap_or(i64::MAX)))
    });
    let message_list = views_of(state, viewer, rows).await?;
    Ok(MessagePage {
        message_list,
        next_req_message_id: if is_completed {
            String::new()
        } else {
            oldest.map(|(id, _)| id).unwrap_or_default()
        },
        is_completed,
    })
}

/// When the message at `seq` was sent (the history floor, for unsent messages).
async fn cleared_time(state: &AppState, channel_id: i64, seq: i64) -> AppResult<i64> {
    Ok(messages::Entity::find()
        .filter(messages::Column::ChannelId.eq(channel_id))
        .filter(messages::Column::Seq.eq(seq))
        .one(&state.db)
        .await?
        .map(|m| m.time)
        .unwrap_or(0))
}

/// Mark a conversation read up to its newest message; tells a C2C peer live.
pub async fn set_message_read(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<()> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let Some(current) = conv.state else {
        return Ok(());
    };
    let Some(channel) = channels::Entity::find_by_id(current.channel_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let now = unix_now();
    if current.read_seq < channel.last_seq || conv.kind == ConversationType::C2c {
        let _gate = state.write_guard().await;
        conversation_states::Entity::update_many()
            .col_expr(
                conversation_states::Column::ReadSeq,
                Expr::value(channel.last_seq),
            )
            .col_expr(conversation_states::Column::ReadAt, Expr::value(now))
            .col_expr(conversation_states::Column::UpdatedAt, Expr::value(now))
            .filter(conversation_states::Column::UserId.eq(viewer))
            .filter(conversation_states::Column::ConversationId.eq(conversation_id))
            .exec(&state.db)
            .await?;
    }
    state.bus.publish(
        Topic::User(viewer.to_owned()),
        Arc::new(Event::ConversationChanged {
            user: viewer.to_owned(),
            conversation_id: conversation_id.to_owned(),
        }),
    );
    if conv.kind == ConversationType::C2c && conv.target != viewer {
        state.bus.publish(
            Topic::User(conv.target.clone()),
            Arc::new(Event::PeerRead {
                reader: viewer.to_owned(),
                peer: conv.target.clone(),
                sequence: channel.last_seq,
                time: now,
            }),
        );
    }
    Ok(())
}

/// Users' rows by ID (re-exported for the conversation list).
pub async fn load_senders(
    state: &AppState,
    ids: &[String],
) -> AppResult<HashMap<String, users::Model>> {
    users_service::load_users(state, ids).await
}

/// A message made by the server: a group tip or a system notice.
#[derive(Debug, Clone)]
pub struct ServerMessage {
    /// GROUP (tips, into `GROUP<to>`) or SYSTEM (notices, into `to`'s `@TIM#SYSTEM`).
    pub kind: ConversationType,
    /// The groupID (tips) or the notified userID (notices).
    pub to: String,
    /// Who acted (tips); `@TIM#SYSTEM` for notices.
    pub from: String,
    /// `TIMGroupTipElem` or `TIMGroupSystemNoticeElem`.
    pub msg_type: MessageType,
    /// The compat JSON payload.
    pub payload: serde_json::Value,
}

/// Append a server-made message inside `tx` with the next sequence of its
/// channel, and make sure the notified user (SYSTEM) has the conversation.
/// Publish the returned row with [`publish_server_message`] after commit.
pub async fn append_server_message(
    tx: &DatabaseTransaction,
    message: &ServerMessage,
) -> AppResult<messages::Model> {
    let now = unix_now();
    let (key, kind) = match message.kind {
        ConversationType::System => (targets::system_channel_key(&message.to), "system"),
        _ => (targets::group_channel_key(&message.to), "group"),
    };
    let channel = ensure_channel(tx, &key, kind).await?;
    let seq = next_seq(tx, channel.id, now).await?;
    let row = messages::ActiveModel {
        id: Set(new_message_id()),
        channel_id: Set(channel.id),
        seq: Set(Some(seq)),
        sender_id: Set(message.from.clone()),
        conversation_type: Set(message.kind.as_str().to_owned()),
        to_id: Set(message.to.clone()),
        msg_type: Set(message.msg_type.as_str().to_owned()),
        payload: Set(to_json_string(&message.payload)?),
        priority: Set(super::types::MessagePriority::Normal.as_str().to_owned()),
        status: Set(MessageStatus::Success.as_str().to_owned()),
        is_revoked: Set(false),
        at_user_list: Set("[]".to_owned()),
        cloud_custom_data: Set(String::new()),
        name_card: Set(String::new()),
        client_msg_id: Set(None),
        time: Set(now),
        created_at: Set(now),
    };
    let row = messages::Entity::insert(row)
        .exec_with_returning(tx)
        .await?;
    if message.kind == ConversationType::System {
        touch_state(
            tx,
            &message.to,
            super::types::SYSTEM_CONVERSATION_ID,
            channel.id,
            None,
            now,
        )
        .await?;
    }
    Ok(row)
}

/// Publish a committed server-made message to its group or user topic.
pub async fn publish_server_message(state: &AppState, row: messages::Model) -> AppResult<()> {
    let topic = match ConversationType::parse(&row.conversation_type) {
        Some(ConversationType::System) => Topic::User(row.to_id.clone()),
        _ => Topic::Group(row.to_id.clone()),
    };
    let sender = row.sender_id.clone();
    let view = view_of(state, &sender, row).await?;
    publish_message(state, &[topic], &view);
    Ok(())
}
