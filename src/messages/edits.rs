//! Editing a sent message (`modifyMessage`, live `messageModified`) with its
//! history (`getMessageEditHistory`): every version is kept, the original as
//! version 0. The message row holds the newest payload, so history pages,
//! `lastMessage` and live views follow an edit with no extra work.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{ComplexObject, SimpleObject};
use entity::{message_revisions as revisions, messages};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use super::{
    compose,
    history::get_visible_message,
    input::PayloadSpec,
    payload::MessagePayload,
    reactions::message_topics,
    store::{self, UnitOfWork},
    types::{MessageStatus, MessageType},
    view::MessageView,
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    util::unix_now,
};

/// One version of a message.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "MessageRevision", complex)]
pub struct MessageRevision {
    /// 0 for the original.
    pub version: i64,
    /// The kind (the same in every version).
    #[graphql(skip)]
    #[serde(skip)]
    pub msg_type: MessageType,
    /// The payload of this version (compat JSON; GraphQL union).
    #[graphql(skip)]
    pub payload: serde_json::Value,
    /// When this version was made (the send time for the original).
    #[graphql(name = "editTime")]
    #[serde(rename = "editTime")]
    pub edit_time: i64,
}

#[ComplexObject]
impl MessageRevision {
    /// What this version carried.
    async fn payload(&self) -> Option<MessagePayload> {
        MessagePayload::from_json(self.msg_type, &self.payload)
    }
}

fn editable(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::TextElem
            | MessageType::CustomElem
            | MessageType::FaceElem
            | MessageType::LocationElem
    )
}

/// The newest version of a message (0 when never edited).
async fn current_version<C: ConnectionTrait>(conn: &C, message_id: &str) -> AppResult<i64> {
    Ok(revisions::Entity::find()
        .filter(revisions::Column::MessageId.eq(message_id))
        .order_by_desc(revisions::Column::Version)
        .one(conn)
        .await?
        .map(|r| r.version)
        .unwrap_or(0))
}

/// Edit the viewer's own sent message: text, custom, face and location
/// messages, keeping their kind. `version`, when given, must be the current
/// one (`CONFLICT` otherwise), so two editors do not overwrite each other.
pub async fn modify_message(
    state: &AppState,
    viewer: &str,
    message_id: &str,
    payload: &PayloadSpec,
    version: Option<i64>,
) -> AppResult<MessageView> {
    let view = get_visible_message(state, viewer, message_id).await?;
    if view.from != viewer {
        return Err(AppError::Forbidden(
            "only the sender may edit this message".into(),
        ));
    }
    if view.is_revoked {
        return Err(AppError::Forbidden(
            "a revoked message cannot be edited".into(),
        ));
    }
    if view.status != MessageStatus::Success {
        return Err(AppError::bad_input(
            "messageID",
            "only sent messages can be edited",
        ));
    }
    if !editable(view.msg_type) {
        return Err(AppError::bad_input(
            "messageID",
            "only text, custom, face and location messages can be edited",
        ));
    }
    let built = compose::build_payload(state, viewer, payload).await?;
    if built.kind != view.msg_type {
        return Err(AppError::bad_input(
            "payload",
            "an edit cannot change the kind of the message",
        ));
    }
    let stored = store::to_json_string(&built.json)?;
    compose::check_stored_size(
        stored.len() + view.cloud_custom_data.len(),
        state.config.max_message_bytes,
    )?;
    let row = messages::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no such message: {message_id}")))?;
    // The channel's lock orders edits (and revokes) of the message.
    let unit = UnitOfWork::begin(state, &[row.channel_id]).await?;
    let current = current_version(unit.tx(), message_id).await?;
    if version.is_some_and(|v| v != current) {
        return Err(AppError::Conflict(format!(
            "version: the message is at version {current}"
        )));
    }
    let now = unix_now();
    let mut versions = Vec::with_capacity(2);
    if current == 0 {
        versions.push(revisions::ActiveModel {
            message_id: Set(message_id.to_owned()),
            version: Set(0),
            payload: Set(row.payload.clone()),
            edit_time: Set(row.time),
        });
    }
    versions.push(revisions::ActiveModel {
        message_id: Set(message_id.to_owned()),
        version: Set(current + 1),
        payload: Set(stored.clone()),
        edit_time: Set(now),
    });
    revisions::Entity::insert_many(versions)
        .exec_without_returning(unit.tx())
        .await?;
    // Conditional: a revoke that committed meanwhile wins.
    let updated = messages::Entity::update_many()
        .col_expr(messages::Column::Payload, Expr::value(stored))
        .filter(messages::Column::Id.eq(message_id))
        .filter(messages::Column::IsRevoked.eq(false))
        .exec_with_returning(unit.tx())
        .await?;
    let Some(updated) = updated.into_iter().next() else {
        return Err(AppError::Forbidden(
            "a revoked message cannot be edited".into(),
        ));
    };
    let committed = unit.commit().await?;
    let view = store::view_of(state, viewer, updated).await?;
    let event = Arc::new(Event::MessageModified(Arc::new(view.clone())));
    for topic in message_topics(&view) {
        committed.publish(topic, event.clone());
    }
    Ok(view)
}

/// Every version of a message the viewer can see, oldest first (the
/// original alone when never edited; nothing once revoked).
pub async fn get_message_edit_history(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<Vec<MessageRevision>> {
    let view = get_visible_message(state, viewer, message_id).await?;
    if view.is_revoked {
        return Ok(Vec::new());
    }
    let rows = revisions::Entity::find()
        .filter(revisions::Column::MessageId.eq(message_id))
        .order_by_asc(revisions::Column::Version)
        .all(&state.db)
        .await?;
    if rows.is_empty() {
        return Ok(vec![MessageRevision {
            version: 0,
            msg_type: view.msg_type,
            payload: view.payload,
            edit_time: view.time,
        }]);
    }
    Ok(rows
        .into_iter()
        .map(|r| MessageRevision {
            version: r.version,
            msg_type: view.msg_type,
            payload: serde_json::from_str(&r.payload)
                .unwrap_or(serde_json::Value::Object(Default::default())),
            edit_time: r.edit_time,
        })
        .collect())
}

/// Version and time of the latest edit of each edited message among `ids`,
/// by message ID: one query.
pub async fn versions_of(
    state: &AppState,
    ids: &[String],
) -> AppResult<HashMap<String, (i64, i64)>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64, i64)> = revisions::Entity::find()
        .select_only()
        .column(revisions::Column::MessageId)
        .column_as(revisions::Column::Version.max(), "version")
        .column_as(revisions::Column::EditTime.max(), "edit_time")
        .filter(revisions::Column::MessageId.is_in(ids.iter().cloned()))
        .group_by(revisions::Column::MessageId)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows.into_iter().map(|(id, v, t)| (id, (v, t))).collect())
}
