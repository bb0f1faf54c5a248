//! Conversation list rules and queries: one indexed query for the list, then
//! batches for last messages, profiles and read positions (no N+1).

use std::collections::HashMap;

use entity::{channels, conversation_states};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::types::ConversationView;
use crate::{
    error::{AppError, AppResult},
    groups::hooks as groups,
    messages::{conversation_id::ConversationId, store, targets, types::ConversationType},
    state::AppState,
    users::{service as users, types::Profile},
    util::unix_now,
};
use crate::{groups::types::MessageRemindType, messages::view::LastMessage};

/// Most conversations one list returns.
pub const MAX_LIST: u64 = 500;
/// Most conversation IDs one `conversationIDList` may name (distinct).
pub const MAX_FILTER_IDS: usize = 100;

/// The viewer's conversations: pinned first, then newest activity.
pub async fn get_conversation_list(
    state: &AppState,
    viewer: &str,
    filter: Option<&[String]>,
    limit: Option<u64>,
) -> AppResult<Vec<ConversationView>> {
    let limit = limit.unwrap_or(MAX_LIST);
    if !(1..=MAX_LIST).contains(&limit) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_LIST}"),
        ));
    }
    let filter = filter
        .map(|ids| crate::util::distinct("conversationIDList", ids, MAX_FILTER_IDS))
        .transpose()?;
    let mut query = conversation_states::Entity::find()
        .find_also_related(channels::Entity)
        .filter(conversation_states::Column::UserId.eq(viewer))
        // Deleted conversations come back when a newer message arrives.
        .filter(listed());
    if let Some(ids) = filter {
        query =
            query.filter(conversation_states::Column::ConversationId.is_in(ids.iter().cloned()));
    }
    let rows = query
        .order_by_desc(conversation_states::Column::Pinned)
        .order_by_desc(channels::Column::LastActivity)
        .order_by_asc(conversation_states::Column::ConversationId)
        .limit(limit)
        .all(&state.db)
        .await?;
    let rows: Vec<(conversation_states::Model, channels::Model)> = rows
        .into_iter()
        .filter_map(|(s, c)| c.map(|c| (s, c)))
        .collect();
    build(state, viewer, rows).await
}

/// Listed: not deleted, or a message newer than the deletion point arrived.
fn listed() -> Condition {
    use sea_orm::sea_query::ExprTrait as _;
    Condition::any()
        .add(conversation_states::Column::Deleted.eq(false))
        .add(
            Expr::col((channels::Entity, channels::Column::LastSeq)).gt(Expr::col((
                conversation_states::Entity,
                conversation_states::Column::ClearedSeq,
            ))),
        )
}

/// Assemble views for state rows, loading everything else in batches.
async fn build(
    state: &AppState,
    viewer: &str,
    rows: Vec<(conversation_states::Model, channels::Model)>,
) -> AppResult<Vec<ConversationView>> {
    Ok(build_with_basis(state, viewer, rows)
        .await?
        .into_iter()
        .map(|(view, _)| view)
        .collect())
}

/// What a conversation's unread count was worked out from, so that a live
/// stream can move it on by the messages that follow (see `conversations::live`).
#[derive(Debug, Clone, Copy)]
pub struct UnreadBasis {
    /// The channel's newest sequence the count includes.
    pub last_seq: i64,
    /// Whether new messages count as unread for the viewer.
    pub counts_unread: bool,
}

async fn build_with_basis(
    state: &AppState,
    viewer: &str,
    rows: Vec<(conversation_states::Model, channels::Model)>,
) -> AppResult<Vec<(ConversationView, UnreadBasis)>> {
    let group_ids: Vec<String> = rows
        .iter()
        .filter_map(|(s, _)| ConversationId::group_of(&s.conversation_id))
        .collect();
    let group_info = groups::conversation_info(state, viewer, &group_ids).await?;
    // Last visible message of each conversation: one query, a row-value `IN`
    // over a subquery (no condition per conversation), the hidden ones
    // (cleared, below a history floor) dropped here.
    let floors: HashMap<i64, i64> = rows
        .iter()
        .map(|(s, c)| {
            let floor = match ConversationId::group_of(&s.conversation_id) {
                Some(g) => s
                    .cleared_seq
                    .max(group_info.get(&g).map(|i| i.history_floor).unwrap_or(0)),
                None => s.cleared_seq,
            };
            (c.id, floor)
        })
        .collect();
    let last_rows = if rows
        .iter()
        .any(|(_, c)| floors.get(&c.id).is_some_and(|floor| c.last_seq > *floor))
    {
        store::last_messages(
            state,
            Condition::all().add(channels::Column::Id.is_in(rows.iter().map(|(_, c)| c.id))),
        )
        .await?
        .into_iter()
        .filter(|m| {
            floors
                .get(&m.channel_id)
                .is_some_and(|floor| m.seq.is_some_and(|seq| seq > *floor))
        })
        .collect()
    } else {
        Vec::new()
    };
    let last_views = store::views_of(state, viewer, last_rows).await?;
    let mut last_by_channel: HashMap<i64, LastMessage> = HashMap::new();
    for (s, c) in &rows {
        if let Some(view) = last_views
            .iter()
            .find(|v| v.conversation_id == s.conversation_id && v.sequence == c.last_seq)
        {
            last_by_channel.insert(c.id, LastMessage::from(view));
        }
    }
    // Peers' profiles and their read times: one query each.
    let peers: Vec<String> = rows
        .iter()
        .filter_map(|(s, _)| ConversationId::peer_of(&s.conversation_id))
        .collect();
    let profiles = users::load_users(state, &peers).await?;
    let mut peer_read_at: HashMap<String, i64> = HashMap::new();
    if !peers.is_empty() {
        let own_id = ConversationId::c2c(viewer).to_string();
        for s in conversation_states::Entity::find()
            .filter(conversation_states::Column::UserId.is_in(peers.iter().cloned()))
            .filter(conversation_states::Column::ConversationId.eq(own_id))
            .all(&state.db)
            .await?
        {
            peer_read_at.insert(s.user_id, s.read_at);
        }
    }
    Ok(rows
        .iter()
        .map(|(s, c)| {
            let remind = MessageRemindType::parse(&s.remind_type);
            let id = s
                .conversation_id
                .parse()
                .unwrap_or_else(|_| ConversationId::system());
            let (group, counts_unread) = match id.group_id() {
                Some(g) => {
                    let info = group_info.get(g);
                    (info, info.is_some_and(|i| i.counts_unread))
                }
                None => (None, true),
            };
            let counts_unread = counts_unread && remind == MessageRemindType::AcceptAndNotify;
            let unread = if counts_unread {
                (c.last_seq - s.read_seq.max(s.cleared_seq)).max(0)
            } else {
                0
            };
            let peer = id.peer();
            let basis = UnreadBasis {
                last_seq: c.last_seq,
                counts_unread,
            };
            let view = ConversationView {
                conversation_id: s.conversation_id.clone(),
                kind: id.kind(),
                sub_type: group.map(|i| i.sub_type),
                unread_count: unread,
                last_message: last_by_channel.get(&c.id).cloned(),
                user_profile: peer.and_then(|p| profiles.get(p)).map(Profile::public),
                group_profile: group.map(|i| i.profile.clone()),
                is_pinned: s.pinned,
                message_remind_type: remind,
                peer_read_time: peer.and_then(|p| peer_read_at.get(p)).copied().unwrap_or(0),
            };
            (view, basis)
        })
        .collect())
}

/// One conversation of the viewer; a C2C conversation with no messages yet is shown empty.
pub async fn get_conversation_profile(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<ConversationView> {
    Ok(conversation_with_basis(state, viewer, conversation_id)
        .await?
        .0)
}

/// One conversation of the viewer with the basis of its unread count
/// (`None` for a C2C conversation with no messages yet).
pub async fn conversation_with_basis(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<(ConversationView, Option<UnreadBasis>)> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    if let Some(row) = conv.state {
        if let Some(channel) = channels::Entity::find_by_id(row.channel_id)
            .one(&state.db)
            .await?
        {
            let mut built = build_with_basis(state, viewer, vec![(row, channel)]).await?;
            if let Some((view, basis)) = built.pop() {
                return Ok((view, Some(basis)));
            }
        }
    }
    if conv.kind == ConversationType::C2c {
        let profile = users::find_user(state, &conv.target)
            .await?
            .map(|u| Profile::public(&u));
        return Ok((
            ConversationView {
                conversation_id: conv.conversation_id,
                kind: ConversationType::C2c,
                sub_type: None,
                group_profile: None,
                unread_count: 0,
                last_message: None,
                user_profile: profile,
                is_pinned: false,
                message_remind_type: MessageRemindType::AcceptAndNotify,
                peer_read_time: 0,
            },
            None,
        ));
    }
    Err(AppError::NotFound(format!(
        "no such conversation: {conversation_id}"
    )))
}

/// Remove a conversation from the viewer's list and hide its history for them only.
pub async fn delete_conversation(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<String> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let row = conv
        .state
        .ok_or_else(|| AppError::NotFound(format!("no such conversation: {conversation_id}")))?;
    let channel = channels::Entity::find_by_id(row.channel_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("conversation channel missing"))?;
    {
        let _gate = state.write_guard().await;
        conversation_states::Entity::update_many()
            .col_expr(conversation_states::Column::Deleted, Expr::value(true))
            .col_expr(
                conversation_states::Column::ClearedSeq,
                Expr::value(channel.last_seq),
            )
            .col_expr(
                conversation_states::Column::ReadSeq,
                Expr::value(channel.last_seq.max(row.read_seq)),
            )
            .col_expr(
                conversation_states::Column::UpdatedAt,
                Expr::value(unix_now()),
            )
            .filter(conversation_states::Column::UserId.eq(viewer))
            .filter(conversation_states::Column::ConversationId.eq(conversation_id))
            .exec(&state.db)
            .await?;
    }
    // Its unread messages no longer count: a live total is counted again.
    state.bus.publish(
        crate::realtime::Topic::User(viewer.to_owned()),
        std::sync::Arc::new(crate::events::Event::UnreadChanged {
            user: viewer.to_owned(),
        }),
    );
    Ok(conversation_id.to_owned())
}
