//! `conversationUpdated`: the viewer's conversations as they change, each
//! built from the database once and then kept up to date from the events.
//!
//! A group message reaches every member's stream; reading the conversation
//! again per member and message cost several statements each (last message,
//! group view, read position, profiles). Instead each stream keeps the views
//! it has shown: a new message sets the last message and moves the unread
//! count by the sequences it adds, exactly as the stored read position would
//! (the sender's own message moves their read position to it); anything that
//! changes the rest of a view (the viewer's read or delete, a group change
//! and the tip that tells of it, the peer's read, the viewer's remind
//! setting, an edit) drops the kept view, so that it is read again.

use std::{collections::HashMap, sync::Arc};

use futures_util::{Stream, StreamExt};

use super::{service, types::ConversationView};
use crate::{
    error::{AppError, AppResult},
    events::Event,
    messages::{
        conversation_id::ConversationId,
        types::MessageType,
        view::{LastMessage, MessageView},
    },
    state::AppState,
    users::{service as users, types::Profile},
};

/// Most views one stream keeps; past it they are dropped and read again.
const MAX_KEPT: usize = 256;

/// A view as last shown, with what moving it on needs.
struct Kept {
    view: ConversationView,
    /// The newest sequence the view accounts for.
    last_seq: i64,
    /// Whether new messages count as unread (the group type and the remind
    /// setting allow it).
    counts_unread: bool,
}

/// `conversationUpdated` over the viewer's live feed: for each event that
/// changes one of their conversations, the conversation after it (events
/// are taken one at a time, in the feed's order).
pub fn follow<S>(
    state: &AppState,
    viewer: &str,
    feed: S,
) -> impl Stream<Item = AppResult<ConversationView>> + Send + 'static
where
    S: Stream<Item = AppResult<Arc<Event>>> + Send + Unpin + 'static,
{
    let live = LiveConversations::new(state, viewer);
    futures_util::stream::unfold((feed, live), |(mut feed, mut live)| async move {
        loop {
            let item = match feed.next().await? {
                Err(err) => Err(err),
                Ok(event) => match live.apply(&event).await {
                    Ok(None) => continue,
                    Ok(Some(view)) => Ok(view),
                    Err(err) => Err(err),
                },
            };
            return Some((item, (feed, live)));
        }
    })
}

/// One `conversationUpdated` stream's views of the viewer's conversations.
pub struct LiveConversations {
    state: AppState,
    viewer: String,
    kept: HashMap<String, Kept>,
}

impl LiveConversations {
    /// An empty set for `viewer`: the first event of each conversation reads it.
    pub fn new(state: &AppState, viewer: &str) -> Self {
        Self {
            state: state.clone(),
            viewer: viewer.to_owned(),
            kept: HashMap::new(),
        }
    }

    /// The conversation `event` changed for the viewer, if any.
    ///
    /// Its reads are boxed: the stream keeps this future inline for as long
    /// as it is open, sized for its largest state, so inlined database reads
    /// would make every idle `conversationUpdated` several KiB larger.
    pub async fn apply(&mut self, event: &Event) -> AppResult<Option<ConversationView>> {
        match event {
            Event::Message(view) | Event::MessageRevoked(view)
                if view.addressed_to(&self.viewer) =>
            {
                let revoked = matches!(event, Event::MessageRevoked(_));
                let conversation_id = view.conversation_id_of(&self.viewer);
                if is_server_made(view.msg_type) {
                    // Tips and notices tell of a change (a rename, a join)
                    // whose own event may come after them: read it all again.
                    self.kept.remove(&conversation_id);
                } else if let Some(moved) = self.move_on(&conversation_id, view, revoked).await? {
                    return Ok(Some(moved));
                }
                Box::pin(self.read(&conversation_id)).await
            }
            Event::ConversationChanged {
                user,
                conversation_id,
            } if *user == self.viewer => {
                self.kept.remove(conversation_id);
                Box::pin(self.read(conversation_id)).await
            }
            Event::MessageModified(view) if view.addressed_to(&self.viewer) => {
                // An edit may change the last message; the next event reads it again.
                self.kept.remove(&view.conversation_id_of(&self.viewer));
                Ok(None)
            }
            Event::Membership { user, group_id, .. } if *user == self.viewer => {
                self.kept
                    .remove(&ConversationId::group(group_id).to_string());
                Ok(None)
            }
            Event::GroupChanged { group_id, .. } => {
                self.kept
                    .remove(&ConversationId::group(group_id).to_string());
                Ok(None)
            }
            Event::RemindChanged { user, group_id, .. } if *user == self.viewer => {
                self.kept
                    .remove(&ConversationId::group(group_id).to_string());
                Ok(None)
            }
            Event::PeerRead { reader, peer, .. } if *peer == self.viewer => {
                self.kept.remove(&ConversationId::c2c(reader).to_string());
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Move the kept view of `conversation_id` on by a message (as its
    /// sender sees it: what a last message shows is the same from every
    /// side); `None` when the conversation is not kept.
    async fn move_on(
        &mut self,
        conversation_id: &str,
        message: &MessageView,
        revoked: bool,
    ) -> AppResult<Option<ConversationView>> {
        let Some(kept) = self.kept.get_mut(conversation_id) else {
            return Ok(None);
        };
        if revoked {
            let is_last = kept
                .view
                .last_message
                .as_ref()
                .is_some_and(|last| last.last_sequence == message.sequence);
            if is_last {
                kept.view.last_message = Some(LastMessage::from(message));
            }
        } else {
            if message.sequence <= kept.last_seq {
                // Already accounted for (the view was read after it committed).
                return Ok(Some(kept.view.clone()));
            }
            kept.view.unread_count = if message.from == self.viewer {
                // A send moves the sender's read position to it.
                0
            } else if kept.counts_unread {
                kept.view.unread_count + (message.sequence - kept.last_seq)
            } else {
                0
            };
            kept.last_seq = message.sequence;
            kept.view.last_message = Some(LastMessage::from(message));
        }
        let mut view = kept.view.clone();
        // The peer's profile from the read cache, which profile changes invalidate.
        if let Some(peer) = ConversationId::peer_of(&view.conversation_id) {
            view.user_profile = Box::pin(users::find_user(&self.state, &peer))
                .await?
                .map(|u| Profile::public(&u));
        }
        Ok(Some(view))
    }

    /// Read a conversation and keep it; `None` when it is gone for the viewer.
    async fn read(&mut self, conversation_id: &str) -> AppResult<Option<ConversationView>> {
        let (view, basis) = match service::conversation_with_basis(
            &self.state,
            &self.viewer,
            conversation_id,
        )
        .await
        {
            Ok(read) => read,
            // Gone for this viewer meanwhile (left the group): nothing to show.
            Err(
                AppError::NotFound(_) | AppError::NotGroupMember(_) | AppError::GroupNotFound(_),
            ) => {
                self.kept.remove(conversation_id);
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        if self.kept.len() >= MAX_KEPT {
            self.kept.clear();
        }
        if let Some(basis) = basis {
            self.kept.insert(
                conversation_id.to_owned(),
                Kept {
                    view: view.clone(),
                    last_seq: basis.last_seq,
                    counts_unread: basis.counts_unread,
                },
            );
        }
        Ok(Some(view))
    }
}

/// Tips and notices: the server writes them without moving anyone's read position.
fn is_server_made(kind: MessageType) -> bool {
    matches!(
        kind,
        MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem
    )
}
