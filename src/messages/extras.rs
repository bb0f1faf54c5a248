//! What a message view carries beyond TIM v2 (its quoted message, and the
//! other per-message features as they land), loaded for a batch of views in
//! a fixed number of queries whatever the batch's size.

use super::{replies, view::MessageView};
use crate::{error::AppResult, state::AppState};

/// Fill the per-message features of `views` (called once per batch by the store).
pub async fn attach(state: &AppState, views: &mut [MessageView]) -> AppResult<()> {
    replies::attach_replies(state, views).await
}
