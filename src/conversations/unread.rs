//! The viewer's total unread count (`getTotalUnreadMessageCount`) and its
//! live stream (`totalUnreadMessageCountUpdated`): the current total first,
//! then each new total, at most one per [`COALESCE`].

use std::{sync::Arc, time::Duration};

use entity::{channels, conversation_states};
use futures_util::{
    stream::{self, BoxStream},
    FutureExt, StreamExt,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::groups::types::MessageRemindType;
use crate::{
    error::{AppError, AppResult},
    events::Event,
    groups::hooks as groups,
    messages::conversation_id::ConversationId,
    state::AppState,
};

/// The shortest time between two live totals: a burst of messages makes one event.
pub const COALESCE: Duration = Duration::from_millis(100);

/// The sum of the viewer's unread counts, as the conversation list counts them.
pub async fn get_total_unread_message_count(state: &AppState, viewer: &str) -> AppResult<i64> {
    let rows = conversation_states::Entity::find()
        .find_also_related(channels::Entity)
        .filter(conversation_states::Column::UserId.eq(viewer))
        .filter(
            conversation_states::Column::RemindType.eq(MessageRemindType::AcceptAndNotify.as_str()),
        )
        .all(&state.db)
        .await?;
    let unread: Vec<(String, i64)> = rows
        .into_iter()
        .filter_map(|(s, c)| {
            let c = c?;
            let n = c.last_seq - s.read_seq.max(s.cleared_seq);
            (n > 0).then_some((s.conversation_id, n))
        })
        .collect();
    let group_ids: Vec<String> = unread
        .iter()
        .filter_map(|(id, _)| ConversationId::group_of(id))
        .collect();
    let counting = groups::groups_counting_unread(state, &group_ids).await?;
    Ok(unread
        .iter()
        .filter(|(id, _)| ConversationId::group_of(id).is_none_or(|g| counting.contains(&g)))
        .map(|(_, n)| n)
        .sum())
}

/// Whether `event` may change `viewer`'s total.
fn may_change_total(event: &Event, viewer: &str) -> bool {
    match event {
        Event::Message(view) => view.from != viewer && view.addressed_to(viewer),
        Event::ConversationChanged { user, .. }
        | Event::Membership { user, .. }
        | Event::RemindChanged { user, .. }
        | Event::UnreadChanged { user } => user == viewer,
        _ => false,
    }
}

struct Totals {
    feed: BoxStream<'static, Result<Arc<Event>, AppError>>,
    state: AppState,
    viewer: String,
    last: Option<i64>,
    done: bool,
}

/// The viewer's total now, then each time it changes (coalesced).
///
/// `feed` is the viewer's live feed, listening already, so that a change
/// between the first total and the stream is not missed.
pub async fn total_unread_stream(
    state: &AppState,
    viewer: &str,
    feed: BoxStream<'static, AppResult<Arc<Event>>>,
) -> AppResult<BoxStream<'static, AppResult<i64>>> {
    let totals = Totals {
        feed,
        state: state.clone(),
        viewer: viewer.to_owned(),
        last: None,
        done: false,
    };
    Ok(stream::unfold(totals, |mut t| async move {
        if t.done {
            return None;
        }
        loop {
            if t.last.is_some() {
                // Wait for something that may change the total, then let a
                // burst gather: what arrives meanwhile is covered by one recount.
                if let Err(err) = t.until_relevant().await? {
                    t.done = true;
                    return Some((Err(err), t));
                }
                tokio::time::sleep(COALESCE).await;
                while let Some(Some(item)) = t.feed.next().now_or_never() {
                    if let Err(err) = item {
                        t.done = true;
                        return Some((Err(err), t));
                    }
                }
            }
            match get_total_unread_message_count(&t.state, &t.viewer).await {
                Ok(total) if t.last == Some(total) => continue,
                Ok(total) => {
                    t.last = Some(total);
                    return Some((Ok(total), t));
                }
                Err(err) => {
                    t.done = true;
                    return Some((Err(err), t));
                }
            }
        }
    })
    .boxed())
}

impl Totals {
    /// The next event that may change the total; `None` when the feed ended.
    async fn until_relevant(&mut self) -> Option<AppResult<()>> {
        loop {
            match self.feed.next().await? {
                Ok(event) if may_change_total(&event, &self.viewer) => return Some(Ok(())),
                Ok(_) => continue,
                Err(err) => return Some(Err(err)),
            }
        }
    }
}
