//! What a message view carries beyond TIM v2 (its quoted message, its
//! reactions, its version), loaded for a batch of views in
//! a fixed number of queries whatever the batch's size.

use std::collections::HashMap;

use super::{
    edits, reactions, replies,
    view::{MessageReaction, MessageReply, MessageView},
};
use crate::{error::AppResult, state::AppState};

/// The per-message features of a batch of messages, as one viewer sees them.
pub struct Extras {
    replies: HashMap<String, MessageReply>,
    versions: HashMap<String, (i64, i64)>,
    reactions: HashMap<String, Vec<MessageReaction>>,
}

impl Extras {
    /// Load the features of the messages `ids` as `viewer` sees them (called
    /// once per batch by the store). The three reads are independent and run
    /// side by side on the pool: a page waits for the slowest, not the sum.
    pub async fn load(state: &AppState, viewer: &str, ids: &[String]) -> AppResult<Self> {
        let (replies, versions, reactions) = tokio::try_join!(
            replies::replies_of(state, ids),
            edits::versions_of(state, ids),
            reactions::reactions_of(state, viewer, ids),
        )?;
        Ok(Self {
            replies,
            versions,
            reactions,
        })
    }

    /// Fill the views' quoted message, version and reactions.
    pub fn apply(mut self, views: &mut [MessageView]) {
        for view in views.iter_mut() {
            if let Some(reply) = self.replies.remove(&view.id) {
                view.reply_to = Some(reply);
            }
            if let Some((version, edit_time)) = self.versions.get(&view.id) {
                view.version = *version;
                view.edit_time = Some(*edit_time);
            }
            if let Some(list) = self.reactions.remove(&view.id) {
                view.reactions = list;
            }
        }
    }
}
