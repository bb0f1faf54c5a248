//! Deleting uploads no message refers to: an upload older than
//! `IMGQL_UNATTACHED_FILE_TTL` that no sent message carries (no
//! `file_attachments` row) and no unsent or failed message names in its
//! payload loses its row and its bytes. A background task started with the
//! server sweeps every `IMGQL_UNATTACHED_FILE_SWEEP_INTERVAL`.
//!
//! On SQLite a sweep holds the write gate, so no message can start naming a
//! file between the check and the delete; on PostgreSQL the row is deleted
//! only if still unattached, in the same statement.

use std::collections::HashSet;

use entity::{file_attachments, files, messages};
use sea_orm::{sea_query::Query, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{error::AppResult, messages::compose::carried_files, state::AppState, util::unix_now};

/// Files looked at per query.
const BATCH: u64 = 200;

/// Start sweeping in the background; the task runs until aborted.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(state.config.unattached_file_sweep_interval());
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&state).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "unattached uploads deleted"),
                Err(err) => err.report("sweeping unattached uploads"),
            }
        }
    })
}

/// One sweep: delete every upload unattached for longer than the TTL; returns how many.
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let ttl = i64::try_from(state.config.unattached_file_ttl).unwrap_or(i64::MAX);
    let cutoff = unix_now().saturating_sub(ttl);
    let _gate = state.write_guard().await;
    let named = named_by_pending_messages(state).await?;
    let mut deleted = 0;
    let mut after = String::new();
    loop {
        let candidates = files::Entity::find()
            .filter(files::Column::CreatedAt.lt(cutoff))
            .filter(files::Column::Id.gt(after.as_str()))
            .filter(files::Column::Id.not_in_subquery(attached()))
            .order_by_asc(files::Column::Id)
            .limit(BATCH)
            .all(&state.db)
            .await?;
        let Some(last) = candidates.last() else {
            return Ok(deleted);
        };
        after = last.id.clone();
        for file in candidates.into_iter().filter(|f| !named.contains(&f.id)) {
            if delete(state, file).await? {
                deleted += 1;
            }
        }
    }
}

/// The fileIDs of every file some sent message carries.
fn attached() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(file_attachments::Column::FileId)
        .from(file_attachments::Entity)
        .to_owned()
}

/// Files named in the payloads of unsent and failed messages (they carry their
/// files only there until sent).
async fn named_by_pending_messages(state: &AppState) -> AppResult<HashSet<String>> {
    let mut named = HashSet::new();
    let mut after = String::new();
    loop {
        let page = messages::Entity::find()
            .select_only()
            .column(messages::Column::Id)
            .column(messages::Column::MsgType)
            .column(messages::Column::Payload)
            .filter(messages::Column::Seq.is_null())
            .filter(messages::Column::Id.gt(after.as_str()))
            .order_by_asc(messages::Column::Id)
            .limit(BATCH)
            .into_tuple::<(String, entity::kinds::MessageType, String)>()
            .all(&state.db)
            .await?;
        let Some((last, _, _)) = page.last() else {
            return Ok(named);
        };
        after = last.clone();
        for (_, kind, payload) in page {
            let Ok(payload) = serde_json::from_str::<serde_json::Value>(&payload) else {
                continue;
            };
            named.extend(carried_files(kind.into(), &payload));
        }
    }
}

/// Delete one file's row, if still unattached, then its bytes; whether it went.
async fn delete(state: &AppState, file: files::Model) -> AppResult<bool> {
    let gone = files::Entity::delete_many()
        .filter(files::Column::Id.eq(file.id.as_str()))
        .filter(files::Column::Id.not_in_subquery(attached()))
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    if !gone {
        return Ok(false);
    }
    let keys = [Some(file.storage_key), file.big_key, file.small_key];
    let mut keys: Vec<String> = keys.into_iter().flatten().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if let Err(cause) = state.files.store.delete(&key).await {
            tracing::warn!(%key, %cause, "could not remove the bytes of an unattached upload");
        }
    }
    tracing::debug!(file_id = %file.id, "unattached upload deleted");
    Ok(true)
}
