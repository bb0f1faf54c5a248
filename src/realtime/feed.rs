//! A viewer's live feed: their own topic plus the topics of the groups they are
//! in, following joins and departures while the stream is open.

use std::sync::Arc;

use entity::conversation_states;
use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio_stream::{wrappers::BroadcastStream, StreamMap};

use super::{Event, Topic};
use crate::{
    app::AppState,
    error::{AppError, AppResult},
};

struct Feed {
    user: broadcast::Receiver<Arc<Event>>,
    groups: StreamMap<String, BroadcastStream<Arc<Event>>>,
    state: AppState,
    viewer: String,
    done: bool,
}

/// The groups a user is in (a group conversation row exists from joining until leaving).
pub async fn groups_of(state: &AppState, user: &str) -> AppResult<Vec<String>> {
    let rows: Vec<String> = conversation_states::Entity::find()
        .select_only()
        .column(conversation_states::Column::ConversationId)
        .filter(conversation_states::Column::UserId.eq(user))
        .filter(conversation_states::Column::ConversationId.starts_with("GROUP"))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|c| c.strip_prefix("GROUP").map(str::to_owned))
        .collect())
}

/// Every event for `viewer`, in order per topic. Lagging behind any topic ends
/// the stream with one `SUBSCRIPTION_LAGGED` error: never a silent gap.
pub async fn viewer_feed(state: &AppState, viewer: &str) -> AppResult<BoxStream<'static, Result<Arc<Event>, AppError>>> {
    // Listen before reading memberships, so a join in between is not missed.
    let user = state.bus.subscribe(&Topic::User(viewer.to_owned()));
    let mut groups = StreamMap::new();
    for group_id in groups_of(state, viewer).await? {
        let rx = state.bus.subscribe(&Topic::Group(group_id.clone()));
        groups.insert(group_id, BroadcastStream::new(rx));
    }
    let feed = Feed {
        user,
        groups,
        state: state.clone(),
        viewer: viewer.to_owned(),
        done: false,
    };
    Ok(stream::unfold(feed, |mut feed| async move {
        if feed.done {
            return None;
        }
        loop {
            let next = tokio::select! {
                received = feed.user.recv() => match received {
                    Ok(event) => Ok(event),
                    Err(RecvError::Lagged(_)) => Err(AppError::Lagged),
                    Err(RecvError::Closed) => return None,
                },
                Some((_, received)) = feed.groups.next(), if !feed.groups.is_empty() => {
                    received.map_err(|_| AppError::Lagged)
                }
            };
            match next {
                Ok(event) => {
                    if let Event::Membership { user, group_id, joined } = event.as_ref() {
                        if *user == feed.viewer {
                            if *joined {
                                let rx = feed.state.bus.subscribe(&Topic::Group(group_id.clone()));
                                feed.groups.insert(group_id.clone(), BroadcastStream::new(rx));
                            } else {
                                feed.groups.remove(group_id);
                            }
                        }
                    }
                    return Some((Ok(event), feed));
                }
                Err(err) => {
                    tracing::warn!(viewer = %feed.viewer, "live feed lagged; ending the stream");
                    feed.done = true;
                    return Some((Err(err), feed));
                }
            }
        }
    })
    .boxed())
}
