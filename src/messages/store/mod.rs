//! The message store: channels, sequence allocation, appending user and server
//! messages, views, and publishing after commit.
//!
//! [`UnitOfWork`] is the one send sequence that every send, resend, revoke and
//! group change goes through: channel locks (ascending, see
//! [`ChannelLocks::lock_many`](crate::realtime::locks::ChannelLocks::lock_many)),
//! then the transaction (on SQLite, the unit's turn in the group-commit
//! [`Writer`](crate::writer::Writer); on PostgreSQL its own), the writes,
//! commit, and only then the live events, in sequence order, while the
//! channel locks are still held.
//!
//! This module depends on nothing above it: it reads `users` for sender fields
//! and `files` to link attachments, and knows no group or conversation rule.

use std::{collections::HashMap, sync::Arc};

use entity::{channels, conversation_states, messages};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};
use tokio::sync::MutexGuard;

mod views;

pub use views::{last_messages, publish_message, view_of, views_of};

use super::{
    conversation_id::ConversationId,
    types::{ConversationType, MessagePriority, MessageStatus, MessageType},
    view::MessageView,
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    realtime::Topic,
    state::{AppState, WriteTx},
    users::service as users_service,
    util::unix_now,
    writer::Lease,
};

/// The channel key of a C2C pair (ordered, so both sides share it).
pub fn c2c_channel_key(a: &str, b: &str) -> String {
    if a <= b {
        format!("c2c:{a}|{b}")
    } else {
        format!("c2c:{b}|{a}")
    }
}

/// The channel key of a group.
pub fn group_channel_key(group_id: &str) -> String {
    format!("group:{group_id}")
}

/// The channel key of a user's system notices.
pub fn system_channel_key(user_id: &str) -> String {
    format!("system:{user_id}")
}

/// The `kind` column of a channel carrying conversations of `kind`.
pub fn channel_kind(kind: ConversationType) -> &'static str {
    match kind {
        ConversationType::C2c => "c2c",
        ConversationType::Group => "group",
        ConversationType::System => "system",
    }
}

/// A new message ID: time-ordered, so IDs sort roughly by creation.
pub fn new_message_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// JSON text of a value that always serialises (a failure is a bug: `INTERNAL`).
pub fn to_json_string(value: &impl serde::Serialize) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// The ID of a channel by key, creating the channel when missing (safe under
/// races). IDs come from the channel cache; the lookup needs no gate; the
/// insert, when one is needed, takes it.
pub async fn ensure_channel(state: &AppState, key: &str, kind: &str) -> AppResult<i64> {
    if let Some(id) = state.caches.channels.get(key) {
        return Ok(id);
    }
    let generation = state.caches.channels.generation();
    let found = match find_channel(&state.db, key).await? {
        Some(found) => found,
        None => {
            {
                let _gate = state.write_guard().await;
                insert_channel(&state.db, key, kind).await?;
            }
            find_channel(&state.db, key)
                .await?
                .ok_or_else(|| AppError::internal("channel vanished after insert"))?
        }
    };
    state.caches.channels.store(generation, key, found.id);
    Ok(found.id)
}

/// [`ensure_channel`] inside a write transaction that already holds the gate.
pub async fn ensure_channel_in(
    tx: &DatabaseTransaction,
    key: &str,
    kind: &str,
) -> AppResult<channels::Model> {
    if let Some(found) = find_channel(tx, key).await? {
        return Ok(found);
    }
    insert_channel(tx, key, kind).await?;
    find_channel(tx, key)
        .await?
        .ok_or_else(|| AppError::internal("channel vanished after insert"))
}

async fn find_channel<C: ConnectionTrait>(
    conn: &C,
    key: &str,
) -> AppResult<Option<channels::Model>> {
    Ok(channels::Entity::find()
        .filter(channels::Column::ChannelKey.eq(key))
        .one(conn)
        .await?)
}

async fn insert_channel<C: ConnectionTrait>(conn: &C, key: &str, kind: &str) -> AppResult<()> {
    let now = unix_now();
    let row = channels::ActiveModel {
        channel_key: Set(key.to_owned()),
        kind: Set(kind.to_owned()),
        last_seq: Set(0),
        last_activity: Set(now),
        created_at: Set(now),
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
    Ok(())
}

/// Make sure each user has a system-notice channel; their channel IDs by user.
/// Runs before [`UnitOfWork::begin`] so that the channels can be locked.
pub async fn ensure_system_channels(
    state: &AppState,
    users: &[String],
) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(users.len());
    // Chunks keep every statement well inside both databases' bind limits.
    for chunk in users.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(|u| system_channel_key(u)).collect();
        let existing = channels::Entity::find()
            .filter(channels::Column::ChannelKey.is_in(keys.clone()))
            .all(&state.db)
            .await?;
        if existing.len() < keys.len() {
            let now = unix_now();
            let missing = keys
                .iter()
                .filter(|k| !existing.iter().any(|c| &c.channel_key == *k))
                .map(|k| channels::ActiveModel {
                    channel_key: Set(k.clone()),
                    kind: Set(channel_kind(ConversationType::System).to_owned()),
                    last_seq: Set(0),
                    last_activity: Set(now),
                    created_at: Set(now),
                    ..Default::default()
                });
            let _gate = state.write_guard().await;
            channels::Entity::insert_many(missing)
                .on_conflict(
                    OnConflict::column(channels::Column::ChannelKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&state.db)
                .await?;
        }
        for channel in channels::Entity::find()
            .filter(channels::Column::ChannelKey.is_in(keys))
            .all(&state.db)
            .await?
        {
            if let Some(user) = channel.channel_key.strip_prefix("system:") {
                out.insert(user.to_owned(), channel.id);
            }
        }
    }
    Ok(out)
}

/// Bump the channel's counter and return the new sequence (gapless: same
/// transaction as the insert that uses it).
pub async fn next_seq<C: ConnectionTrait>(conn: &C, channel_id: i64, now: i64) -> AppResult<i64> {
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

/// A fresh conversation state row: read up to `read_seq`, nothing cleared,
/// not deleted or pinned, default remind type.
pub fn new_state_row(
    user: &str,
    conversation_id: &str,
    channel_id: i64,
    read_seq: i64,
    now: i64,
) -> conversation_states::ActiveModel {
    conversation_states::ActiveModel {
        user_id: Set(user.to_owned()),
        conversation_id: Set(conversation_id.to_owned()),
        channel_id: Set(channel_id),
        read_seq: Set(read_seq),
        read_at: Set(0),
        cleared_seq: Set(0),
        deleted: Set(false),
        pinned: Set(false),
        remind_type: Set("AcceptAndNotify".to_owned()),
        updated_at: Set(now),
    }
}

/// Make sure `user` has a state row for the conversation; with `read_seq`,
/// move their read position there.
pub async fn touch_state<C: ConnectionTrait>(
    conn: &C,
    user: &str,
    conversation_id: &str,
    channel_id: i64,
    read_seq: Option<i64>,
    now: i64,
) -> AppResult<()> {
    let row = new_state_row(
        user,
        conversation_id,
        channel_id,
        read_seq.unwrap_or(0),
        now,
    );
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

impl ServerMessage {
    /// Its row at `seq` of `channel_id`, sent at `now`.
    pub fn row(&self, channel_id: i64, seq: i64, now: i64) -> AppResult<messages::ActiveModel> {
        Ok(messages::ActiveModel {
            id: Set(new_message_id()),
            channel_id: Set(channel_id),
            seq: Set(Some(seq)),
            sender_id: Set(self.from.clone()),
            conversation_type: Set(self.kind.into()),
            to_id: Set(self.to.clone()),
            msg_type: Set(self.msg_type.into()),
            payload: Set(to_json_string(&self.payload)?),
            priority: Set(MessagePriority::Normal.into()),
            status: Set(MessageStatus::Success.into()),
            is_revoked: Set(false),
            at_user_list: Set("[]".to_owned()),
            cloud_custom_data: Set(String::new()),
            name_card: Set(String::new()),
            client_msg_id: Set(None),
            time: Set(now),
            created_at: Set(now),
        })
    }
}

/// The bus topic a server-made message goes to.
pub(super) fn server_topic(kind: ConversationType, to: &str) -> Topic {
    match kind {
        ConversationType::System => Topic::User(to.to_owned()),
        _ => Topic::Group(to.to_owned()),
    }
}

/// A message written in this unit, to publish after commit.
pub(super) struct Appended {
    pub(super) row: messages::Model,
    pub(super) topics: Vec<Topic>,
}

/// The transaction of a unit: its own (PostgreSQL) or its turn in the
/// SQLite writer's group commit.
enum UnitTx<'s> {
    Own(WriteTx<'s>),
    Leased(Lease),
}

/// One write: locks and transaction held together; messages appended inside
/// it are published after commit, in the order they were appended. Dropping
/// it without [`UnitOfWork::commit`] rolls everything back and publishes
/// nothing.
pub struct UnitOfWork<'s> {
    // Declared first so that it drops (rolls back) before the channel locks
    // are released.
    write: UnitTx<'s>,
    order: Vec<MutexGuard<'s, ()>>,
    state: &'s AppState,
    pub(super) appended: Vec<Appended>,
}

impl<'s> UnitOfWork<'s> {
    /// Lock `channel_ids` (ascending, each once), then open the transaction:
    /// on SQLite, wait for this unit's turn in the writer's batch.
    pub async fn begin(state: &'s AppState, channel_ids: &[i64]) -> AppResult<Self> {
        let order = state.channel_locks.lock_many(channel_ids).await;
        let write = match &state.writer {
            Some(writer) => UnitTx::Leased(writer.lease().await?),
            None => UnitTx::Own(state.begin_write().await?),
        };
        Ok(Self {
            write,
            order,
            state,
            appended: Vec::new(),
        })
    }

    /// The open transaction.
    pub fn tx(&self) -> &DatabaseTransaction {
        match &self.write {
            UnitTx::Own(write) => write.conn(),
            UnitTx::Leased(lease) => lease.conn(),
        }
    }

    /// Send a stored `unSend`/`fail` message: give it the channel's next
    /// sequence and mark it `success`, only if it is still unsent (one winner
    /// among concurrent sends of the same message). `None` means another send
    /// won; nothing was written.
    pub async fn send_stored(
        &mut self,
        row: &messages::Model,
        name_card: &str,
        topics: Vec<Topic>,
    ) -> AppResult<Option<messages::Model>> {
        let now = unix_now();
        let seq = next_seq(self.tx(), row.channel_id, now).await?;
        let updated = messages::Entity::update_many()
            .col_expr(messages::Column::Seq, Expr::value(seq))
            .col_expr(
                messages::Column::Status,
                Expr::value(MessageStatus::Success.as_str()),
            )
            .col_expr(messages::Column::Time, Expr::value(now))
            .col_expr(messages::Column::NameCard, Expr::value(name_card))
            .filter(messages::Column::Id.eq(row.id.as_str()))
            .filter(messages::Column::Seq.is_null())
            .exec_with_returning(self.tx())
            .await?;
        let Some(sent) = updated.into_iter().next() else {
            return Ok(None);
        };
        self.appended.push(Appended {
            row: sent.clone(),
            topics,
        });
        Ok(Some(sent))
    }

    /// Insert a new message with the channel's next sequence, as `success`.
    /// `None` means a concurrent retry with the same `clientMsgID` won: the
    /// unit must then be dropped (rolled back), which also returns the sequence.
    pub async fn send_new(
        &mut self,
        mut row: messages::ActiveModel,
        channel_id: i64,
        topics: Vec<Topic>,
    ) -> AppResult<Option<messages::Model>> {
        let now = unix_now();
        let seq = next_seq(self.tx(), channel_id, now).await?;
        row.seq = Set(Some(seq));
        row.status = Set(MessageStatus::Success.into());
        row.time = Set(now);
        let sent = match messages::Entity::insert(row)
            .exec_with_returning(self.tx())
            .await
        {
            Ok(sent) => sent,
            Err(err) if users_service::is_unique_violation(&err) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        self.appended.push(Appended {
            row: sent.clone(),
            topics,
        });
        Ok(Some(sent))
    }

    /// Append a server-made message with the next sequence of its channel, and
    /// make sure the notified user (SYSTEM) has the conversation.
    pub async fn append_server_message(
        &mut self,
        message: &ServerMessage,
    ) -> AppResult<messages::Model> {
        let now = unix_now();
        let key = match message.kind {
            ConversationType::System => system_channel_key(&message.to),
            _ => group_channel_key(&message.to),
        };
        let channel = ensure_channel_in(self.tx(), &key, channel_kind(message.kind)).await?;
        let seq = next_seq(self.tx(), channel.id, now).await?;
        let row = message.row(channel.id, seq, now)?;
        let row = messages::Entity::insert(row)
            .exec_with_returning(self.tx())
            .await?;
        if message.kind == ConversationType::System {
            touch_state(
                self.tx(),
                &message.to,
                ConversationId::SYSTEM,
                channel.id,
                None,
                now,
            )
            .await?;
        }
        self.appended.push(Appended {
            row: row.clone(),
            topics: vec![server_topic(message.kind, &message.to)],
        });
        Ok(row)
    }

    /// Commit (on SQLite: wait until the writer's batch is committed); the
    /// channel locks stay held by the returned [`Committed`] until it is
    /// dropped, so what it publishes keeps each channel's sequence order.
    pub async fn commit(self) -> AppResult<Committed<'s>> {
        let Self {
            write,
            order,
            state,
            appended,
        } = self;
        match write {
            UnitTx::Own(write) => write.commit().await?,
            UnitTx::Leased(lease) => lease.commit().await?,
        }
        Ok(Committed {
            _order: order,
            state,
            appended,
        })
    }
}

/// A committed unit of work, still holding its channel locks: publish through
/// it, then drop it.
pub struct Committed<'s> {
    _order: Vec<MutexGuard<'s, ()>>,
    state: &'s AppState,
    appended: Vec<Appended>,
}

impl Committed<'_> {
    /// Publish `event` to `topic`.
    pub fn publish(&self, topic: Topic, event: Arc<Event>) {
        self.state.bus.publish(topic, event);
    }

    /// Publish every appended message, in the order appended, as `viewer` sees
    /// it (subscribers derive their own per-viewer fields); returns the views.
    pub async fn publish_messages(&mut self, viewer: &str) -> AppResult<Vec<MessageView>> {
        let appended = std::mem::take(&mut self.appended);
        if appended.is_empty() {
            return Ok(Vec::new());
        }
        let (rows, topics): (Vec<_>, Vec<_>) =
            appended.into_iter().map(|a| (a.row, a.topics)).unzip();
        let views = views_of(self.state, viewer, rows).await?;
        crate::metrics::sent(views.len());
        for (view, topics) in views.iter().zip(topics) {
            publish_message(self.state, &topics, view);
        }
        Ok(views)
    }
}

impl Committed<'_> {
    /// [`Committed::publish_messages`] for user messages `viewer` has just
    /// sent: no read position is read back. A C2C recipient cannot have read
    /// a message before it was published, and a message to oneself is read by
    /// its sending, so `isPeerRead` is known; so is the quoted message
    /// (`reply`, for a unit of one message), and a new message has no
    /// reactions and no edits yet.
    pub async fn publish_sent(
        &mut self,
        viewer: &str,
        reply: Option<crate::messages::view::MessageReply>,
    ) -> AppResult<Vec<MessageView>> {
        let appended = std::mem::take(&mut self.appended);
        if appended.is_empty() {
            return Ok(Vec::new());
        }
        let sender = users_service::find_cached(self.state, viewer).await?;
        let mut views = Vec::with_capacity(appended.len());
        for Appended { row, topics } in appended {
            let peer_read = (row.to_id == row.sender_id).then_some(row.seq).flatten();
            let mut view = MessageView::from_row(&row, sender.as_deref(), viewer, peer_read);
            view.reply_to = reply.clone();
            publish_message(self.state, &topics, &view);
            views.push(view);
        }
        crate::metrics::sent(views.len());
        Ok(views)
    }
}
