//! One group change as a unit: the store's [`UnitOfWork`] (channel locks,
//! write gate, transaction) with the group's own after-commit events:
//! membership changes, tips and notices, and `groupUpdated`.
//!
//! Lock order is the messaging send path's: channel locks first (all of them,
//! ascending, see [`ChannelLocks::lock_many`](crate::realtime::locks::ChannelLocks::lock_many)),
//! then the SQLite write gate. Holding the group channel's lock also freezes
//! the group's membership and roles, since every change to them goes through
//! here with that lock.

use std::{sync::Arc, time::Instant};

use sea_orm::DatabaseTransaction;

use crate::{
    error::{AppError, AppResult},
    events::{Event, Invalidation},
    messages::{
        conversation_id::ConversationId,
        payload::{GroupSystemNoticeElem, GroupTipElem},
        store::{ServerMessage, UnitOfWork},
        types::{ConversationType, MessageType},
    },
    realtime::Topic,
    state::AppState,
};

pub use crate::messages::store::ensure_system_channels;

/// A group change in progress. Dropping it without [`Change::commit`] rolls
/// everything back and publishes nothing.
pub struct Change<'s> {
    unit: UnitOfWork<'s>,
    state: &'s AppState,
    memberships: Vec<(String, Event)>,
    announce: Vec<String>,
    /// Notices not yet written: written together (multi-row statements)
    /// before the next tip and at commit, so the order appended is kept.
    notices: Vec<ServerMessage>,
    /// Notices written so far, for the timing log.
    noticed: usize,
    /// When the write path was taken, for the timing log.
    started: Instant,
}

impl<'s> Change<'s> {
    /// Lock `channel_ids`, take the write gate and open the transaction.
    pub async fn begin(state: &'s AppState, channel_ids: &[i64]) -> AppResult<Self> {
        Ok(Self {
            unit: UnitOfWork::begin(state, channel_ids).await?,
            state,
            memberships: Vec::new(),
            announce: Vec::new(),
            notices: Vec::new(),
            noticed: 0,
            started: Instant::now(),
        })
    }

    /// The open transaction.
    pub fn tx(&self) -> AppResult<&DatabaseTransaction> {
        Ok(self.unit.tx())
    }

    /// Append a `TIMGroupTipElem` into the group; returns its sequence.
    pub async fn tip(&mut self, group_id: &str, tip: &GroupTipElem) -> AppResult<i64> {
        self.write_notices().await?;
        let message = ServerMessage {
            kind: ConversationType::Group,
            to: group_id.to_owned(),
            from: tip.operator_id.clone(),
            msg_type: MessageType::GroupTipElem,
            payload: serde_json::to_value(tip).map_err(AppError::internal)?,
        };
        let row = self.unit.append_server_message(&message).await?;
        Ok(row.seq.unwrap_or(0))
    }

    /// Append a `TIMGroupSystemNoticeElem` into `user`'s `@TIM#SYSTEM`
    /// (written with the other notices of this change in a few multi-row
    /// statements, before the next tip or at commit).
    pub async fn notice(&mut self, user: &str, notice: &GroupSystemNoticeElem) -> AppResult<()> {
        self.notices.push(ServerMessage {
            kind: ConversationType::System,
            to: user.to_owned(),
            from: ConversationId::SYSTEM.to_owned(),
            msg_type: MessageType::GroupSystemNoticeElem,
            payload: serde_json::to_value(notice).map_err(AppError::internal)?,
        });
        Ok(())
    }

    /// Write the notices appended since the last write.
    async fn write_notices(&mut self) -> AppResult<()> {
        if self.notices.is_empty() {
            return Ok(());
        }
        let notices = std::mem::take(&mut self.notices);
        self.unit.append_system_notices(&notices).await?;
        self.noticed += notices.len();
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
        self.write_notices().await?;
        let Self {
            unit,
            state,
            memberships,
            announce,
            noticed,
            started,
            ..
        } = self;
        let committed = unit.commit().await;
        // Whatever the outcome, nothing cached about groups may outlive it:
        // a dismissed group's channel is gone too.
        state.caches.groups.invalidate_all();
        state.caches.channels.invalidate_group_channels();
        let mut committed = committed?;
        tracing::debug!(
            held_ms = started.elapsed().as_secs_f64() * 1000.0,
            notices = noticed,
            "group change committed"
        );
        let mut changed_groups = std::collections::BTreeSet::new();
        for (user, event) in memberships {
            if let Event::Membership { group_id, .. } = &event {
                changed_groups.insert(group_id.clone());
            }
            committed.publish(Topic::User(user), Arc::new(event));
        }
        // Roles and profiles too: whatever a group change touched.
        changed_groups.extend(announce.iter().cloned());
        for group_id in changed_groups {
            crate::control::publish(state, Invalidation::Memberships { group_id });
        }
        // Committed: a failure to build live views is logged, not returned.
        if let Err(err) = committed.publish_messages(ConversationId::SYSTEM).await {
            err.report("publishing group tips");
        }
        for group_id in announce {
            match super::views::snapshot(state, &group_id).await {
                Ok(Some(group)) => committed.publish(
                    Topic::Group(group_id.clone()),
                    Arc::new(Event::GroupChanged {
                        group_id,
                        group: Arc::new(group),
                    }),
                ),
                Ok(None) => {}
                Err(err) => err.report("publishing a group change"),
            }
        }
        Ok(())
    }
}
