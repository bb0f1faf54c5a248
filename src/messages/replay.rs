//! Reading messages forward by sequence: `getMessageList(afterSequence:)`,
//! and what the live feed needs to fill gaps, catch up and resume.

use entity::{channels, conversation_states, messages};
use sea_orm::{
    ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::{
    conversation_id::ConversationId,
    store, targets,
    view::{MessagePage, MessageView},
};
use crate::{
    error::{AppError, AppResult},
    groups::types::MessageRemindType,
    state::AppState,
};

/// Most conversations one `messageReceived(since:)` may list.
pub const MAX_RESUME: usize = 1000;

/// The most rows one read after a sequence returns; a replay reads in
/// pages of at most this many.
const MAX_ROWS_AFTER: u64 = 1000;

/// Where a resuming client stands in one conversation: it has everything up
/// to and including `sequence`.
#[derive(Debug, Clone)]
pub struct Resume {
    /// `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`, from the viewer's side.
    pub conversation_id: String,
    /// The newest sequence the client has.
    pub sequence: i64,
}

/// Check and normalise the `since` list of a resuming subscription: at most
/// [`MAX_RESUME`] entries, each a well-formed conversation ID with a
/// sequence of 0 or more (the highest wins when one is listed twice).
pub fn resume_points(points: impl IntoIterator<Item = (String, i64)>) -> AppResult<Vec<Resume>> {
    let mut out: std::collections::BTreeMap<String, i64> = Default::default();
    for (index, (conversation_id, sequence)) in points.into_iter().enumerate() {
        if index >= MAX_RESUME {
            return Err(AppError::bad_input(
                "since",
                format!("at most {MAX_RESUME} conversations"),
            ));
        }
        if sequence < 0 {
            return Err(AppError::bad_input("since", "a sequence must be 0 or more"));
        }
        let parsed: ConversationId = conversation_id.parse()?;
        let slot = out.entry(parsed.to_string()).or_insert(sequence);
        *slot = (*slot).max(sequence);
    }
    Ok(out
        .into_iter()
        .map(|(conversation_id, sequence)| Resume {
            conversation_id,
            sequence,
        })
        .collect())
}

/// The oldest `count` sent messages of a conversation with a sequence above
/// `after`, oldest first, with the visibility rules of history;
/// `isCompleted` when there is none newer.
pub async fn get_messages_after(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    count: i64,
    after: i64,
) -> AppResult<MessagePage> {
    if after < 0 {
        return Err(AppError::bad_input("afterSequence", "must be 0 or more"));
    }
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let Some(channel) = channels::Entity::find()
        .filter(channels::Column::ChannelKey.eq(&conv.channel_key))
        .one(&state.db)
        .await?
    else {
        return Ok(MessagePage {
            message_list: Vec::new(),
            next_req_message_id: String::new(),
            is_completed: true,
        });
    };
    let floor = conv.state.as_ref().map(|s| s.cleared_seq).unwrap_or(0);
    let floor = floor.max(targets::history_floor(state, &conv, channel.last_seq).await?);
    let mut rows = rows_after(state, channel.id, after.max(floor), count as u64 + 1).await?;
    let is_completed = rows.len() as i64 <= count;
    rows.truncate(count as usize);
    Ok(MessagePage {
        message_list: store::views_of(state, viewer, rows).await?,
        next_req_message_id: String::new(),
        is_completed,
    })
}

/// Up to `limit` sent messages of a channel after `after`, ascending.
pub async fn rows_after(
    state: &AppState,
    channel_id: i64,
    after: i64,
    limit: u64,
) -> AppResult<Vec<messages::Model>> {
    Ok(messages::Entity::find()
        .filter(messages::Column::ChannelId.eq(channel_id))
        .filter(messages::Column::Seq.gt(after))
        .order_by_asc(messages::Column::Seq)
        .limit(limit.min(MAX_ROWS_AFTER))
        .all(&state.db)
        .await?)
}

/// Up to `limit` messages of a channel after `after` as `viewer` sees them.
pub async fn views_after(
    state: &AppState,
    viewer: &str,
    channel_id: i64,
    after: i64,
    limit: u64,
) -> AppResult<Vec<MessageView>> {
    let rows = rows_after(state, channel_id, after, limit).await?;
    store::views_of(state, viewer, rows).await
}

/// One conversation a viewer has, with where its channel stands.
#[derive(Debug, Clone)]
pub struct Followed {
    /// `C2C<peer>`, `GROUP<groupID>` or `@TIM#SYSTEM`.
    pub conversation_id: String,
    /// Its channel.
    pub channel_id: i64,
    /// The channel's newest sequence.
    pub last_seq: i64,
    /// The viewer's floor: nothing at or below it is theirs (cleared, or
    /// from before they joined a group).
    pub cleared_seq: i64,
    /// The group, for group conversations.
    pub group_id: Option<String>,
    /// Whether the viewer discards the group's messages live.
    pub discard: bool,
}

/// Every conversation `viewer` has, with its channel's newest sequence: one
/// query (the state rows joined to their channels).
pub async fn followed(state: &AppState, viewer: &str) -> AppResult<Vec<Followed>> {
    let rows: Vec<(String, i64, i64, String, i64)> = conversation_states::Entity::find()
        .select_only()
        .column(conversation_states::Column::ConversationId)
        .column(conversation_states::Column::ChannelId)
        .column(conversation_states::Column::ClearedSeq)
        .column(conversation_states::Column::RemindType)
        .column(channels::Column::LastSeq)
        .join(
            JoinType::InnerJoin,
            conversation_states::Relation::Channel.def(),
        )
        .filter(conversation_states::Column::UserId.eq(viewer))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(conversation_id, channel_id, cleared_seq, remind, last_seq)| {
                let group_id = ConversationId::group_of(&conversation_id);
                let discard = group_id.is_some()
                    && MessageRemindType::parse(&remind) == MessageRemindType::Discard;
                Followed {
                    conversation_id,
                    channel_id,
                    last_seq,
                    cleared_seq,
                    group_id,
                    discard,
                }
            },
        )
        .collect())
}

/// The channel of a conversation from `viewer`'s side, if it exists.
pub async fn channel_of(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
) -> AppResult<Option<i64>> {
    let Ok(parsed) = conversation_id.parse::<ConversationId>() else {
        return Ok(None);
    };
    let key = match parsed.kind() {
        super::types::ConversationType::C2c => store::c2c_channel_key(viewer, parsed.target()),
        super::types::ConversationType::Group => store::group_channel_key(parsed.target()),
        super::types::ConversationType::System => store::system_channel_key(viewer),
    };
    Ok(channels::Entity::find()
        .select_only()
        .column(channels::Column::Id)
        .filter(channels::Column::ChannelKey.eq(key))
        .into_tuple()
        .one(&state.db)
        .await?)
}
