//! Reading messages: one visible message, history pages, and read state
//! (`setMessageRead`, which tells a C2C peer live).

use std::{collections::HashMap, sync::Arc};

use entity::{channels, conversation_states, messages, users};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    store, targets,
    types::ConversationType,
    view::{MessagePage, MessageView},
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    realtime::Topic,
    state::AppState,
    users::service as users_service,
    util::unix_now,
};

/// Most messages one history page may hold.
pub const MAX_PAGE: u64 = 100;

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
        let kind = ConversationType::from(row.conversation_type);
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
    store::view_of(state, viewer, row).await
}

/// One page of history, newest page first, each page oldest-first; with
/// `after_sequence`, one page forward from it instead.
pub async fn get_message_list(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    count: Option<i64>,
    next_req_message_id: Option<&str>,
    after_sequence: Option<i64>,
) -> AppResult<MessagePage> {
    let count = count.unwrap_or(15);
    if !(1..=MAX_PAGE as i64).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_PAGE}"),
        ));
    }
    if let Some(after) = after_sequence {
        if next_req_message_id.is_some_and(|c| !c.is_empty()) {
            return Err(AppError::bad_input(
                "afterSequence",
                "give at most one of afterSequence and nextReqMessageID",
            ));
        }
        return super::replay::get_messages_after(state, viewer, conversation_id, count, after)
            .await;
    }
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let cursor = next_req_message_id.filter(|c| !c.is_empty());
    let bad_cursor =
        || AppError::bad_input("nextReqMessageID", "is not a message of this conversation");
    // The viewer's conversation row names the channel; only a group needs the
    // channel's counter (for its history floor), and without a row there may
    // be no channel yet.
    let (channel_id, last_seq) = match conv.state.as_ref() {
        Some(s) if conv.kind != ConversationType::Group => (s.channel_id, None),
        _ => match channels::Entity::find()
            .filter(channels::Column::ChannelKey.eq(&conv.channel_key))
            .one(&state.db)
            .await?
        {
            Some(channel) => (channel.id, Some(channel.last_seq)),
            None if cursor.is_some() => return Err(bad_cursor()),
            None => {
                return Ok(MessagePage {
                    message_list: Vec::new(),
                    next_req_message_id: String::new(),
                    is_completed: true,
                })
            }
        },
    };
    let mut floor = conv.state.as_ref().map(|s| s.cleared_seq).unwrap_or(0);
    if let Some(last_seq) = last_seq {
        floor = std::cmp::max(floor, targets::history_floor(state, &conv, last_seq).await?);
    }
    // The cursor (the oldest message of the previous page) is read inside the
    // page's query: no statement of its own.
    let of_cursor = |column: messages::Column, cursor: &str| {
        Query::select()
            .column(column)
            .from(messages::Entity)
            .and_where(messages::Column::Id.eq(cursor))
            .and_where(messages::Column::ChannelId.eq(channel_id))
            .to_owned()
    };
    let mut query = messages::Entity::find()
        .filter(messages::Column::ChannelId.eq(channel_id))
        .filter(messages::Column::Seq.gt(floor));
    if let Some(cursor) = cursor {
        query = query.filter(
            Expr::col((messages::Entity, messages::Column::Seq))
                .lt(of_cursor(messages::Column::Seq, cursor)),
        );
    }
    let mut rows = query
        .order_by_desc(messages::Column::Seq)
        .limit(count as u64 + 1)
        .all(&state.db)
        .await?;
    if let (Some(cursor), true) = (cursor, rows.is_empty()) {
        // An empty page: a cursor at the start of the history, or one that is
        // not a sent message of this conversation above the floor.
        let row = messages::Entity::find_by_id(cursor)
            .one(&state.db)
            .await?
            .ok_or_else(bad_cursor)?;
        if row.channel_id != channel_id || row.seq.is_none_or(|seq| seq <= floor) {
            return Err(bad_cursor());
        }
    }
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
        .filter(messages::Column::ChannelId.eq(channel_id))
        .filter(messages::Column::SenderId.eq(viewer))
        .filter(messages::Column::Seq.is_null());
    if let Some(t) = floor_time {
        own = own.filter(messages::Column::CreatedAt.gte(t));
    }
    if let Some(cursor) = cursor {
        own = own.filter(
            Expr::col((messages::Entity, messages::Column::CreatedAt))
                .lt(of_cursor(messages::Column::Time, cursor)),
        );
    }
    let cleared_time = if floor > 0 {
        Some(cleared_time(state, channel_id, floor).await?)
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
    let message_list = store::views_of(state, viewer, rows).await?;
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

/// Mark a conversation read up to its newest message; when that moves the
/// read position, tells the viewer's sessions and a C2C peer live (a call
/// that changes nothing publishes nothing).
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
    if current.read_seq >= channel.last_seq {
        return Ok(());
    }
    let now = unix_now();
    // Conditional, so of concurrent calls only the one that moves the read
    // position tells anyone.
    let moved = {
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
            .filter(conversation_states::Column::ReadSeq.lt(channel.last_seq))
            .exec(&state.db)
            .await?
            .rows_affected
    };
    if moved == 0 {
        return Ok(());
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
