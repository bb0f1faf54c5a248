//! One group change as a unit: the channel locks it needs, its write
//! transaction, the tips and notices appended inside it, and the live events
//! published after it commits.
//!
//! Lock order is the messaging send path's: channel locks first (all of them,
//! ascending, see [`ChannelLocks::lock_many`](crate::realtime::locks::ChannelLocks::lock_many)),
//! then the SQLite write gate. Holding the group channel's lock also freezes
//! the group's membership and roles, since every change to them goes through
//! here with that lock.

use std::{collections::HashMap, sync::Arc};

use entity::{channels, messages};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use tokio::sync::MutexGuard;

use crate::{
    error::{AppError, AppResult},
    messages::{
        payload::{GroupSystemNoticeElem, GroupTipElem},
        service::{self as messages_service, ServerMessage},
        targets,
        types::{ConversationType, MessageType, SYSTEM_CONVERSATION_ID},
    },
    realtime::{Event, Topic},
    state::AppState,
    util::unix_now,
};

/// Make sure each user has a system-notice channel; their IDs by user.
/// Runs before [`Change::begin`] so the channels can be locked.
pub async fn ensure_system_channels(
    state: &AppState,
    users: &[String],
) -> AppResult<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(users.len());
    for chunk in users.chunks(500) {
        let keys: Vec<String> = chunk
            .iter()
            .map(|u| targets::system_channel_key(u))
            .collect();
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
                    kind: Set("system".to_owned()),
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

/// A group change in progress. Dropping it without [`Change::commit`] rolls
/// everything back and publishes nothing.
pub struct Change<'s> {
    // Declared first so that it drops (rolls back) before the gate and locks.
    tx: Option<DatabaseTransaction>,
    gate: Option<MutexGuard<'s, ()>>,
    _order: Vec<MutexGuard<'s, ()>>,
    state: &'s AppState,
    appended: Vec<messages::Model>,
    memberships: Vec<(String, Event)>,
    announce: Vec<String>,
}

impl<'s> Change<'s> {
    /// Lock `channel_ids`, take the write gate and open the transaction.
    pub async fn begin(state: &'s AppState, channel_ids: &[i64]) -> AppResult<Self> {
        let order = state.channel_locks.lock_many(channel_ids).await;
        let gate = state.write_guard().await;
        let tx = state.db.begin().await?;
        Ok(Self {
            tx: Some(tx),
            gate,
            _order: order,
            state,
            appended: Vec::new(),
            memberships: Vec::new(),
            announce: Vec::new(),
        })
    }

    /// The open transaction.
    pub fn tx(&self) -> AppResult<&DatabaseTransaction> {
        self.tx.as_ref().ok_or(AppError::Internal)
    }

    /// Append a `TIMGroupTipElem` into the group; returns its sequence.
    pub async fn tip(&mut self, group_id: &str, tip: &GroupTipElem) -> AppResult<i64> {
        let message = ServerMessage {
            kind: ConversationType::Group,
            to: group_id.to_owned(),
            from: tip.operator_id.clone(),
            msg_type: MessageType::GroupTipElem,
            payload: serde_json::to_value(tip).map_err(AppError::internal)?,
        };
        let row = messages_service::append_server_message(self.tx()?, &message).await?;
        let seq = row.seq.unwrap_or(0);
        self.appended.push(row);
        Ok(seq)
    }

    /// Append a `TIMGroupSystemNoticeElem` into `user`'s `@TIM#SYSTEM`.
    pub async fn notice(&mut self, user: &str, notice: &GroupSystemNoticeElem) -> AppResult<()> {
        let message = ServerMessage {
            kind: ConversationType::System,
            to: user.to_owned(),
            from: SYSTEM_CONVERSATION_ID.to_owned(),
            msg_type: MessageType::GroupSystemNoticeElem,
            payload: serde_json::to_value(notice).map_err(AppError::internal)?,
        };
        let row = messages_service::append_server_message(self.tx()?, &message).await?;
        self.appended.push(row);
        Ok(())
    }

    /// `user` joined `group_id` after its sequence `since_seq`: their open
    /// streams start following the group.
    pub fn joined(&mut self, user: &str, group_id: &str, since_seq: i64) {
        self.memberships.push((
            user.to_owned(),
            Event::Membership {
                user: user.to_owned(),
                group_id: group_id.to_owned(),
                joined: true,
                since_seq,
            },
        ));
    }

    /// `user` left `group_id`: their open streams stop following it.
    pub fn left(&mut self, user: &str, group_id: &str) {
        self.memberships.push((
            user.to_owned(),
            Event::Membership {
                user: user.to_owned(),
                group_id: group_id.to_owned(),
                joined: false,
                since_seq: 0,
            },
        ));
    }

    /// Publish `groupUpdated` to the group's members after commit.
    pub fn announce(&mut self, group_id: &str) {
        if !self.announce.iter().any(|g| g == group_id) {
            self.announce.push(group_id.to_owned());
        }
    }

    /// Commit, then publish: membership changes first (so streams follow the
    /// group before its tip), then tips and notices in sequence order, then
    /// the changed group. Channel locks are held until everything is published.
    pub async fn commit(mut self) -> AppResult<()> {
        let tx = self.tx.take().ok_or(AppError::Internal)?;
        tx.commit().await?;
        self.gate.take();
        let state = self.state;
        for (user, event) in self.memberships.drain(..) {
            state.bus.publish(Topic::User(user), Arc::new(event));
        }
        // Committed: a failure to build live views is logged, not returned.
        let rows = std::mem::take(&mut self.appended);
        if !rows.is_empty() {
            match messages_service::views_of(state, SYSTEM_CONVERSATION_ID, rows).await {
                Ok(views) => {
                    for view in views {
                        let topic = match view.conversation_type {
                            ConversationType::System => Topic::User(view.to.clone()),
                            _ => Topic::Group(view.to.clone()),
                        };
                        messages_service::publish_message(state, &[topic], &view);
                    }
                }
                Err(err) => tracing::warn!(code = err.code(), "could not publish group tips"),
            }
        }
        for group_id in std::mem::take(&mut self.announce) {
            match super::views::snapshot(state, &group_id).await {
                Ok(Some(group)) => state.bus.publish(
                    Topic::Group(group_id.clone()),
                    Arc::new(Event::GroupChanged {
                        group_id,
                        group: Arc::new(group),
                    }),
                ),
                Ok(None) => {}
                Err(err) => tracing::warn!(code = err.code(), "could not publish a group change"),
            }
        }
        Ok(())
    }
}
