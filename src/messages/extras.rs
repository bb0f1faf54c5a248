//! What a message view carries beyond TIM v2 (its quoted message, its
//! reactions, its version), loaded for a batch of views in
//! a fixed number of queries whatever the batch's size.

use super::{edits, reactions, replies, view::MessageView};
use crate::{error::AppResult, state::AppState};

/// Fill the per-message features of `views`, as `viewer` sees them (called
/// once per batch by the store).
pub async fn attach(state: &AppState, viewer: &str, views: &mut [MessageView]) -> AppResult<()> {
    replies::attach_replies(state, views).await?;
    edits::attach_versions(state, views).await?;
    reactions::attach_reactions(state, viewer, views).await
}
