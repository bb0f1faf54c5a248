//! Message reactions (`addMessageReaction`, `removeMessageReaction`,
//! `getAllUserListOfMessageReaction`, live `messageReactionsUpdated`): one
//! row per (message, reaction, user), summarised on each message view.

use std::{collections::HashMap, sync::Arc};

use async_graphql::SimpleObject;
use entity::{message_reactions as reactions, messages};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde::Serialize;

use super::{
    history::get_visible_message,
    store::{self, UnitOfWork},
    types::{ConversationType, MessageStatus, MessageType},
    view::{MessageReaction, MessageView},
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    realtime::Topic,
    state::AppState,
    users::{service as users, types::Profile},
    util::unix_now,
};

/// Most distinct reactions one message may carry.
pub const MAX_REACTIONS: u64 = 20;
/// Longest reactionID, in bytes.
pub const MAX_REACTION_ID_BYTES: usize = 32;
/// Users a reaction names on the message itself (`partialUserList`).
pub const PARTIAL_USERS: i64 = 10;
/// Most users one page of `getAllUserListOfMessageReaction` returns.
pub const MAX_USER_PAGE: i64 = 100;

impl MessageReaction {
    /// Whether `viewer` reacted so: known for the viewer the view was built
    /// for and from a complete partial list; else one indexed lookup.
    pub async fn reacted_by(&self, state: &AppState, viewer: &str) -> AppResult<bool> {
        if viewer == self.viewer {
            return Ok(self.reacted_by_viewer);
        }
        if self.partial_user_list.iter().any(|u| u == viewer) {
            return Ok(true);
        }
        if self.total_user_count <= self.partial_user_list.len() as i64 {
            return Ok(false);
        }
        Ok(reactions::Entity::find()
            .filter(reactions::Column::MessageId.eq(&self.message_id))
            .filter(reactions::Column::ReactionId.eq(&self.reaction_id))
            .filter(reactions::Column::UserId.eq(viewer))
            .count(&state.db)
            .await?
            > 0)
    }
}

/// The live event: a message's reactions after a change.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "MessageReactionsUpdate")]
pub struct MessageReactionsUpdate {
    /// The message's conversation, from the listener's side.
    #[graphql(name = "conversationID")]
    pub conversation_id: String,
    /// The message.
    #[graphql(name = "messageID")]
    pub message_id: String,
    /// All its reactions after the change.
    pub reactions: Vec<MessageReaction>,
}

impl MessageReactionsUpdate {
    /// What `viewer` is told of the change of `view`, if they take part.
    pub fn for_viewer(view: &MessageView, viewer: &str) -> Option<Self> {
        if !view.addressed_to(viewer) {
            return None;
        }
        Some(Self {
            conversation_id: view.conversation_id_of(viewer),
            message_id: view.id.clone(),
            reactions: view.reactions.clone(),
        })
    }
}

/// One page of a reaction's users.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "ReactionUserList")]
pub struct ReactionUserList {
    /// Their profiles, by the time they reacted.
    #[graphql(name = "userList")]
    #[serde(rename = "userList")]
    pub user_list: Vec<Profile>,
    /// Pass back for the next page.
    #[graphql(name = "nextSeq")]
    #[serde(rename = "nextSeq")]
    pub next_seq: i64,
    /// Whether this page is the last.
    #[graphql(name = "isCompleted")]
    #[serde(rename = "isCompleted")]
    pub is_completed: bool,
}

fn check_reaction_id(reaction_id: &str) -> AppResult<()> {
    if reaction_id.is_empty() || reaction_id.len() > MAX_REACTION_ID_BYTES {
        return Err(AppError::bad_input(
            "reactionID",
            format!("must be 1 to {MAX_REACTION_ID_BYTES} bytes"),
        ));
    }
    crate::users::validate::text("reactionID", reaction_id)
}

/// A sent, unrevoked user message `viewer` can see, and its row.
async fn reactable(state: &AppState, viewer: &str, message_id: &str) -> AppResult<messages::Model> {
    let view = get_visible_message(state, viewer, message_id).await?;
    if view.conversation_type == ConversationType::System
        || matches!(
            view.msg_type,
            MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem
        )
    {
        return Err(AppError::Forbidden(
            "tips and system notices take no reactions".into(),
        ));
    }
    if view.is_revoked {
        return Err(AppError::Forbidden(
            "a revoked message takes no reactions".into(),
        ));
    }
    if view.status != MessageStatus::Success {
        return Err(AppError::bad_input(
            "messageID",
            "only sent messages take reactions",
        ));
    }
    messages::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no such message: {message_id}")))
}

/// The bus topics of everyone who can see a message.
pub fn message_topics(view: &MessageView) -> Vec<Topic> {
    match view.conversation_type {
        ConversationType::Group => vec![Topic::Group(view.to.clone())],
        _ => {
            let mut users = vec![view.from.clone()];
            if view.to != view.from {
                users.push(view.to.clone());
            }
            users.into_iter().map(Topic::User).collect()
        }
    }
}

/// React to a message (idempotent); returns the message after.
pub async fn add_message_reaction(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    reaction_id: &str,
) -> AppResult<MessageView> {
    change_reaction(state, viewer, message_id, reaction_id, true).await
}

/// Take back a reaction (idempotent); returns the message after.
pub async fn remove_message_reaction(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    reaction_id: &str,
) -> AppResult<MessageView> {
    change_reaction(state, viewer, message_id, reaction_id, false).await
}

async fn change_reaction(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    reaction_id: &str,
    add: bool,
) -> AppResult<MessageView> {
    check_reaction_id(reaction_id)?;
    let row = reactable(state, viewer, message_id).await?;
    // The channel's lock orders changes of one message and keeps the count
    // of distinct reactions true until the insert.
    let unit = UnitOfWork::begin(state, &[row.channel_id]).await?;
    let changed = if add {
        add_in(unit.tx(), viewer, message_id, reaction_id).await?
    } else {
        reactions::Entity::delete_many()
            .filter(reactions::Column::MessageId.eq(message_id))
            .filter(reactions::Column::ReactionId.eq(reaction_id))
            .filter(reactions::Column::UserId.eq(viewer))
            .exec(unit.tx())
            .await?
            .rows_affected
            > 0
    };
    let committed = unit.commit().await?;
    let view = store::view_of(state, viewer, row).await?;
    if changed {
        let event = Arc::new(Event::ReactionsUpdated(Arc::new(view.clone())));
        for topic in message_topics(&view) {
            committed.publish(topic, event.clone());
        }
    }
    Ok(view)
}

/// Insert `viewer`'s reaction unless present; refuses a new kind past the limit.
async fn add_in<C: ConnectionTrait>(
    tx: &C,
    viewer: &str,
    message_id: &str,
    reaction_id: &str,
) -> AppResult<bool> {
    let kinds: Vec<String> = reactions::Entity::find()
        .select_only()
        .column(reactions::Column::ReactionId)
        .filter(reactions::Column::MessageId.eq(message_id))
        .distinct()
        .into_tuple()
        .all(tx)
        .await?;
    if !kinds.iter().any(|k| k == reaction_id) && kinds.len() as u64 >= MAX_REACTIONS {
        return Err(AppError::bad_input(
            "reactionID",
            format!("a message has at most {MAX_REACTIONS} distinct reactions"),
        ));
    }
    let inserted = reactions::Entity::insert(reactions::ActiveModel {
        message_id: Set(message_id.to_owned()),
        reaction_id: Set(reaction_id.to_owned()),
        user_id: Set(viewer.to_owned()),
        created_at: Set(unix_now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            reactions::Column::MessageId,
            reactions::Column::ReactionId,
            reactions::Column::UserId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    Ok(inserted > 0)
}

/// One page of the users who reacted with `reaction_id`, by time: those
/// after `next_seq` (0 for the first page), `count` (1 to 100) of them.
pub async fn get_all_user_list_of_message_reaction(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    reaction_id: &str,
    next_seq: Option<i64>,
    count: Option<i64>,
) -> AppResult<ReactionUserList> {
    check_reaction_id(reaction_id)?;
    let count = count.unwrap_or(50);
    if !(1..=MAX_USER_PAGE).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_USER_PAGE}"),
        ));
    }
    let next_seq = next_seq.unwrap_or(0);
    if next_seq < 0 {
        return Err(AppError::bad_input("nextSeq", "must be 0 or more"));
    }
    get_visible_message(state, viewer, message_id).await?;
    let mut rows = reactions::Entity::find()
        .filter(reactions::Column::MessageId.eq(message_id))
        .filter(reactions::Column::ReactionId.eq(reaction_id))
        .filter(reactions::Column::Id.gt(next_seq))
        .order_by_asc(reactions::Column::Id)
        .limit(count as u64 + 1)
        .all(&state.db)
        .await?;
    let is_completed = rows.len() as i64 <= count;
    rows.truncate(count as usize);
    let ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
    let profiles = users::load_users(state, &ids).await?;
    Ok(ReactionUserList {
        user_list: ids
            .iter()
            .filter_map(|id| profiles.get(id).map(Profile::public))
            .collect(),
        next_seq: if is_completed {
            0
        } else {
            rows.last().map(|r| r.id).unwrap_or(0)
        },
        is_completed,
    })
}

#[derive(FromQueryResult)]
struct ReactionRow {
    message_id: String,
    reaction_id: String,
    user_id: String,
    total: i64,
}

/// The reactions on each of `ids` as `viewer` sees them, by message ID: one
/// query however many messages (each reaction's first users picked by a
/// window function), and a second for the viewer's own when there are any.
pub async fn reactions_of(
    state: &AppState,
    viewer: &str,
    ids: &[String],
) -> AppResult<HashMap<String, Vec<MessageReaction>>> {
    let mut by_message: HashMap<String, Vec<MessageReaction>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_message);
    }
    let backend = state.db.get_database_backend();
    let values: Vec<sea_orm::Value> = ids.iter().map(|id| id.clone().into()).collect();
    let placeholders: Vec<String> = (1..=values.len())
        .map(|i| match backend {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_owned(),
        })
        .collect();
    let sql = format!(
        "SELECT message_id, reaction_id, user_id, total FROM (\
           SELECT message_id, reaction_id, user_id, id, \
             ROW_NUMBER() OVER (PARTITION BY message_id, reaction_id ORDER BY id) AS rn, \
             COUNT(*) OVER (PARTITION BY message_id, reaction_id) AS total, \
             MIN(id) OVER (PARTITION BY message_id, reaction_id) AS first_id \
           FROM message_reactions WHERE message_id IN ({})\
         ) ranked WHERE rn <= {PARTIAL_USERS} ORDER BY first_id, id",
        placeholders.join(", ")
    );
    let rows = ReactionRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(&state.db)
        .await?;
    if rows.is_empty() {
        return Ok(by_message);
    }
    let mine: Vec<(String, String)> = reactions::Entity::find()
        .select_only()
        .column(reactions::Column::MessageId)
        .column(reactions::Column::ReactionId)
        .filter(reactions::Column::UserId.eq(viewer))
        .filter(reactions::Column::MessageId.is_in(ids.iter().cloned()))
        .into_tuple()
        .all(&state.db)
        .await?;
    for row in rows {
        let list = by_message.entry(row.message_id.clone()).or_default();
        match list.iter_mut().find(|r| r.reaction_id == row.reaction_id) {
            Some(reaction) => reaction.partial_user_list.push(row.user_id),
            None => list.push(MessageReaction {
                reacted_by_viewer: mine
                    .iter()
                    .any(|(m, r)| *m == row.message_id && *r == row.reaction_id),
                reaction_id: row.reaction_id,
                total_user_count: row.total,
                partial_user_list: vec![row.user_id],
                message_id: row.message_id,
                viewer: viewer.to_owned(),
            }),
        }
    }
    Ok(by_message)
}
