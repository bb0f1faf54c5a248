//! The per-user storage quota (`IMGQL_UPLOAD_QUOTA_BYTES`): the sizes of a
//! user's stored uploads add up to at most the quota. Uploads are refused with
//! `PAYLOAD_TOO_LARGE` before their bytes are stored: early by the request's
//! declared length, while streaming by the bytes received, and once more when
//! the file is recorded.

use entity::files;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::{
    error::{AppError, AppResult},
    state::AppState,
};

/// Bytes `owner`'s stored uploads take (the originals' sizes).
pub async fn used_bytes<C: ConnectionTrait>(conn: &C, owner: &str) -> AppResult<u64> {
    let total = files::Entity::find()
        .select_only()
        // PostgreSQL sums a BIGINT as NUMERIC: bring it back to BIGINT.
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
            "total",
        )
        .filter(files::Column::OwnerId.eq(owner))
        .into_tuple::<i64>()
        .one(conn)
        .await?
        .unwrap_or(0);
    Ok(u64::try_from(total).unwrap_or(0))
}

/// Bytes `owner` may still store.
pub async fn remaining_bytes(state: &AppState, owner: &str) -> AppResult<u64> {
    let used = used_bytes(&state.db, owner).await?;
    Ok(state.config.upload_quota_bytes.saturating_sub(used))
}

/// The refusal of an upload that would take its owner over the quota.
pub fn over_quota(state: &AppState) -> AppError {
    AppError::PayloadTooLarge(format!(
        "file: your uploads may take at most {} bytes in all (IMGQL_UPLOAD_QUOTA_BYTES)",
        state.config.upload_quota_bytes
    ))
}

/// Refuse a file of `size` bytes that `owner` has no room left for.
pub async fn check_room<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    owner: &str,
    size: u64,
) -> AppResult<()> {
    let used = used_bytes(conn, owner).await?;
    if used.saturating_add(size) > state.config.upload_quota_bytes {
        return Err(over_quota(state));
    }
    Ok(())
}
