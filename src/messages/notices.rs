//! Many system notices in one [`UnitOfWork`]: a change that notifies
//! thousands of members (`createGroup`, `dismissGroup`) writes their
//! `@TIM#SYSTEM` notices with a few multi-row statements per batch (one
//! sequence bump for the batch's channels, one `INSERT` of the messages, one
//! upsert of the conversation rows) instead of four statements per member,
//! so the write path is held for milliseconds rather than seconds.

use std::collections::HashMap;

use entity::{channels, conversation_states, messages};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ColumnTrait, EntityTrait, QueryFilter, Set, TryIntoModel,
};

use super::{
    conversation_id::ConversationId,
    store::{
        channel_kind, new_state_row, server_topic, system_channel_key, Appended, ServerMessage,
        UnitOfWork,
    },
    types::ConversationType,
};
use crate::{
    error::{AppError, AppResult},
    util::unix_now,
};

/// Notices per batch: 17 message columns a row keeps one `INSERT` far inside
/// both databases' bind limits (SQLite 32,766, PostgreSQL 65,535).
const NOTICES_PER_BATCH: usize = 200;

/// `notices` split into batches of at most `size`, each naming a user once
/// (one sequence bump per channel and batch), in their original order.
fn batches(notices: &[ServerMessage], size: usize) -> Vec<Vec<&ServerMessage>> {
    let mut out: Vec<Vec<&ServerMessage>> = Vec::new();
    let mut current: Vec<&ServerMessage> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for notice in notices {
        if current.len() == size || !seen.insert(notice.to.as_str()) {
            out.push(std::mem::take(&mut current));
            seen.clear();
            seen.insert(notice.to.as_str());
        }
        current.push(notice);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

impl UnitOfWork<'_> {
    /// Append system notices (each `kind` SYSTEM, to the notified user), in
    /// order, each with the next sequence of its user's `@TIM#SYSTEM`
    /// channel, making sure each user has that conversation. The same as
    /// [`UnitOfWork::append_server_message`] per notice, in a few statements
    /// per [`NOTICES_PER_BATCH`].
    pub async fn append_system_notices(&mut self, notices: &[ServerMessage]) -> AppResult<()> {
        if notices.iter().any(|n| n.kind != ConversationType::System) {
            return Err(AppError::internal("a system notice of another kind"));
        }
        for batch in batches(notices, NOTICES_PER_BATCH) {
            self.append_notice_batch(&batch).await?;
        }
        Ok(())
    }

    /// One batch: its users are distinct.
    async fn append_notice_batch(&mut self, batch: &[&ServerMessage]) -> AppResult<()> {
        let now = unix_now();
        let keys: Vec<String> = batch.iter().map(|n| system_channel_key(&n.to)).collect();
        let mut channel_of = self.system_channels(&keys).await?;
        if channel_of.len() < keys.len() {
            let missing = keys
                .iter()
                .filter(|k| !channel_of.contains_key(*k))
                .map(|k| channels::ActiveModel {
                    channel_key: Set(k.clone()),
                    kind: Set(channel_kind(ConversationType::System).to_owned()),
                    last_seq: Set(0),
                    last_activity: Set(now),
                    created_at: Set(now),
                    ..Default::default()
                });
            channels::Entity::insert_many(missing)
                .on_conflict(
                    OnConflict::column(channels::Column::ChannelKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(self.tx())
                .await?;
            channel_of = self.system_channels(&keys).await?;
        }
        let seq_of: HashMap<i64, i64> = channels::Entity::update_many()
            .col_expr(
                channels::Column::LastSeq,
                Expr::col(channels::Column::LastSeq).add(1),
            )
            .col_expr(channels::Column::LastActivity, Expr::value(now))
            .filter(channels::Column::Id.is_in(channel_of.values().copied()))
            .exec_with_returning(self.tx())
            .await?
            .into_iter()
            .map(|c| (c.id, c.last_seq))
            .collect();
        let mut rows = Vec::with_capacity(batch.len());
        let mut states = Vec::with_capacity(batch.len());
        for (notice, key) in batch.iter().zip(&keys) {
            let Some(&channel_id) = channel_of.get(key) else {
                return Err(AppError::internal("system channel missing"));
            };
            let seq = seq_of
                .get(&channel_id)
                .copied()
                .ok_or_else(|| AppError::internal("system channel missing"))?;
            rows.push(notice.row(channel_id, seq, now)?);
            states.push(new_state_row(
                &notice.to,
                ConversationId::SYSTEM,
                channel_id,
                0,
                now,
            ));
        }
        let models = rows
            .iter()
            .cloned()
            .map(TryIntoModel::try_into_model)
            .collect::<Result<Vec<messages::Model>, _>>()?;
        messages::Entity::insert_many(rows)
            .exec_without_returning(self.tx())
            .await?;
        conversation_states::Entity::insert_many(states)
            .on_conflict(
                OnConflict::columns([
                    conversation_states::Column::UserId,
                    conversation_states::Column::ConversationId,
                ])
                .update_column(conversation_states::Column::UpdatedAt)
                .to_owned(),
            )
            .exec_without_returning(self.tx())
            .await?;
        for row in models {
            let topics = vec![server_topic(ConversationType::System, &row.to_id)];
            self.appended.push(Appended { row, topics });
        }
        Ok(())
    }

    /// The system channels with these keys, by key.
    async fn system_channels(&self, keys: &[String]) -> AppResult<HashMap<String, i64>> {
        Ok(channels::Entity::find()
            .filter(channels::Column::ChannelKey.is_in(keys.iter().cloned()))
            .all(self.tx())
            .await?
            .into_iter()
            .map(|c| (c.channel_key, c.id))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::types::MessageType;

    fn to(user: &str) -> ServerMessage {
        ServerMessage {
            kind: ConversationType::System,
            to: user.into(),
            from: ConversationId::SYSTEM.into(),
            msg_type: MessageType::GroupSystemNoticeElem,
            payload: serde_json::Value::Null,
        }
    }

    #[test]
    fn batches_keep_order_and_name_each_user_once() {
        let notices: Vec<ServerMessage> = ["a", "b", "c", "a", "d", "e"].map(to).into();
        let users = |size| -> Vec<Vec<String>> {
            batches(&notices, size)
                .iter()
                .map(|b| b.iter().map(|n| n.to.clone()).collect())
                .collect()
        };
        assert_eq!(users(10), vec![vec!["a", "b", "c"], vec!["a", "d", "e"]]);
        assert_eq!(
            users(2),
            vec![vec!["a", "b"], vec!["c", "a"], vec!["d", "e"]]
        );
        assert!(batches(&[], 3).is_empty());
    }
}
