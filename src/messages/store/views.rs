//! Reading messages back as viewers see them, and publishing a sent message.

use std::{collections::HashMap, sync::Arc};

use entity::{channels, conversation_states, messages};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, Condition, EntityTrait, QueryFilter,
};

use crate::{
    error::{AppError, AppResult},
    events::Event,
    messages::{conversation_id::ConversationId, extras::Extras, view::MessageView},
    realtime::Topic,
    state::AppState,
    users::service as users_service,
};

/// Publish a sent message to its topics (after commit).
pub fn publish_message(state: &AppState, topics: &[Topic], view: &MessageView) {
    let event = Arc::new(Event::Message(Arc::new(view.clone())));
    for topic in topics {
        state.bus.publish(topic.clone(), event.clone());
    }
}

/// The newest message of each channel that `channels` (a condition on the
/// `channels` table, e.g. an `IN (subquery)`) selects: one query, a row-value
/// `IN` over a subquery, whatever the number of channels. Callers drop the
/// ones hidden from their viewer (cleared or below a history floor).
pub async fn last_messages(
    state: &AppState,
    channels: Condition,
) -> AppResult<Vec<messages::Model>> {
    let newest = Query::select()
        .column((channels::Entity, channels::Column::Id))
        .column((channels::Entity, channels::Column::LastSeq))
        .from(channels::Entity)
        .cond_where(channels)
        .and_where(Expr::col((channels::Entity, channels::Column::LastSeq)).gt(0))
        .to_owned();
    Ok(messages::Entity::find()
        .filter(
            Expr::tuple([
                Expr::col((messages::Entity, messages::Column::ChannelId)),
                Expr::col((messages::Entity, messages::Column::Seq)),
            ])
            .in_subquery(newest),
        )
        .all(&state.db)
        .await?)
}

/// One row as `viewer` sees it (loads the sender and, for C2C, the peer's read position).
pub async fn view_of(
    state: &AppState,
    viewer: &str,
    row: messages::Model,
) -> AppResult<MessageView> {
    let mut views = views_of(state, viewer, vec![row]).await?;
    views
        .pop()
        .ok_or_else(|| AppError::internal("no view of a loaded message"))
}

/// Rows as `viewer` sees them, with senders, read positions and the
/// messages' extras loaded in batches. The batches do not depend on each
/// other, so they are read side by side: a page costs the slowest read's
/// round trip, not the sum of them.
pub async fn views_of(
    state: &AppState,
    viewer: &str,
    rows: Vec<messages::Model>,
) -> AppResult<Vec<MessageView>> {
    let mut sender_ids: Vec<String> = rows.iter().map(|r| r.sender_id.clone()).collect();
    sender_ids.sort();
    sender_ids.dedup();
    let mut channel_ids: Vec<i64> = rows
        .iter()
        .filter(|r| r.conversation_type == entity::kinds::ConversationType::C2c && r.seq.is_some())
        .map(|r| r.channel_id)
        .collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let (senders, read, extras) = tokio::try_join!(
        users_service::load_users(state, &sender_ids),
        read_positions(state, channel_ids),
        Extras::load(state, viewer, &ids),
    )?;
    let mut views: Vec<MessageView> = rows
        .iter()
        .map(|row| {
            let peer_read = read
                .get(&(
                    row.to_id.clone(),
                    ConversationId::c2c(&row.sender_id).to_string(),
                ))
                .copied();
            MessageView::from_row(row, senders.get(&row.sender_id), viewer, peer_read)
        })
        .collect();
    extras.apply(&mut views);
    Ok(views)
}

/// isPeerRead: the read position of every party of the C2C `channel_ids`, by
/// (user, conversation), in one query. A C2C channel has both parties' state
/// rows, so one bind per channel (bounded by the rows asked for) and the
/// pair is matched by the caller: no condition per (user, conversation) pair.
async fn read_positions(
    state: &AppState,
    channel_ids: Vec<i64>,
) -> AppResult<HashMap<(String, String), i64>> {
    let mut read = HashMap::new();
    if channel_ids.is_empty() {
        return Ok(read);
    }
    for s in conversation_states::Entity::find()
        .filter(conversation_states::Column::ChannelId.is_in(channel_ids))
        .all(&state.db)
        .await?
    {
        read.insert((s.user_id, s.conversation_id), s.read_seq);
    }
    Ok(read)
}
