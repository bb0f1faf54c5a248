//! A viewer's live feed: their own topic plus the topics of the groups they are
//! in, following joins and departures while the stream is open.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use entity::{channels, conversation_states, messages};
use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::broadcast::error::RecvError;
use tokio_stream::StreamMap;

use super::{conversation_id::ConversationId, events::Event, store, types::ConversationType};
use crate::{
    conversations::types::MessageRemindType,
    error::{AppError, AppResult},
    realtime::{Subscription, SubscriptionStream, Topic},
    state::AppState,
};

/// Most messages a stream fetches to catch up with a group it has just joined;
/// more than that ends the stream as lagged (the client reloads history).
const CATCH_UP_LIMIT: u64 = 500;

struct Feed {
    user: Subscription<Event>,
    groups: StreamMap<String, SubscriptionStream<Event>>,
    state: AppState,
    viewer: String,
    done: bool,
    /// Events to hand out before listening again (a join's catch-up).
    pending: VecDeque<Arc<Event>>,
    /// Per group, the newest sequence handed out: a message fetched while
    /// catching up is not handed out again when it also arrives live.
    delivered: HashMap<String, i64>,
    /// Groups whose messages the viewer does not want live (`Discard`), by
    /// the sequence after which they are dropped; kept up to date by
    /// `RemindChanged`, so no query is made per message.
    discarded: HashMap<String, i64>,
    /// Per group, the last span `(after, up_to]` of sequences sent while
    /// `Discard` was on: a stream that sees the switch back before those
    /// messages still drops them.
    resumed: HashMap<String, (i64, i64)>,
}

/// The groups a user is in (a group conversation row exists from joining until leaving).
pub async fn groups_of(state: &AppState, user: &str) -> AppResult<Vec<String>> {
    Ok(group_memberships(state, user)
        .await?
        .into_iter()
        .map(|(group_id, _)| group_id)
        .collect())
}

/// The groups a user is in, each with whether its messages are discarded.
pub async fn group_memberships(state: &AppState, user: &str) -> AppResult<Vec<(String, bool)>> {
    let rows: Vec<(String, String)> = conversation_states::Entity::find()
        .select_only()
        .column(conversation_states::Column::ConversationId)
        .column(conversation_states::Column::RemindType)
        .filter(conversation_states::Column::UserId.eq(user))
        .filter(
            conversation_states::Column::ConversationId.starts_with(ConversationId::GROUP_PREFIX),
        )
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, remind)| {
            let discard = MessageRemindType::parse(&remind) == MessageRemindType::Discard;
            ConversationId::group_of(&c).map(|g| (g, discard))
        })
        .collect())
}

/// Every event for `viewer`, in order per topic. Lagging behind any topic ends
/// the stream with one `SUBSCRIPTION_LAGGED` error: never a silent gap.
pub async fn viewer_feed(
    state: &AppState,
    viewer: &str,
) -> AppResult<BoxStream<'static, Result<Arc<Event>, AppError>>> {
    // Listen before reading memberships, so a join in between is not missed.
    let user = state.bus.subscribe(&Topic::User(viewer.to_owned()));
    let mut groups = StreamMap::new();
    let mut discarded = HashMap::new();
    for (group_id, discard) in group_memberships(state, viewer).await? {
        let rx = state.bus.subscribe(&Topic::Group(group_id.clone()));
        if discard {
            discarded.insert(group_id.clone(), 0);
        }
        groups.insert(group_id, rx.into_stream());
    }
    let feed = Feed {
        user,
        groups,
        state: state.clone(),
        viewer: viewer.to_owned(),
        done: false,
        pending: VecDeque::new(),
        delivered: HashMap::new(),
        discarded,
        resumed: HashMap::new(),
    };
    Ok(stream::unfold(feed, |mut feed| async move {
        if feed.done {
            return None;
        }
        loop {
            if let Some(event) = feed.pending.pop_front() {
                return Some((Ok(event), feed));
            }
            let next = tokio::select! {
                // The viewer's own topic first: a departure published before a
                // group message is handled before that message, so a removed
                // member stops at once.
                biased;
                received = feed.user.recv() => match received {
                    Ok(event) => Ok(event),
                    Err(RecvError::Lagged(_)) => Err(AppError::Lagged),
                    Err(RecvError::Closed) => return None,
                },
                Some((_, received)) = feed.groups.next(), if !feed.groups.is_empty() => {
                    received.map_err(|_| AppError::Lagged)
                }
            };
            let admitted = match next {
                Ok(event) => feed.admit(event).await,
                Err(err) => Err(err),
            };
            match admitted {
                Ok(Some(event)) => return Some((Ok(event), feed)),
                Ok(None) => continue,
                Err(err) => {
                    if matches!(err, AppError::Lagged) {
                        tracing::warn!(viewer = %feed.viewer, "live feed lagged; ending the stream");
                    }
                    feed.done = true;
                    return Some((Err(err), feed));
                }
            }
        }
    })
    .boxed())
}

impl Feed {
    /// Follow membership changes and drop what the viewer must not get live;
    /// `None` means "nothing to hand out".
    async fn admit(&mut self, event: Arc<Event>) -> AppResult<Option<Arc<Event>>> {
        match event.as_ref() {
            Event::Membership {
                user,
                group_id,
                joined,
                since_seq,
            } if *user == self.viewer => {
                self.discarded.remove(group_id);
                self.resumed.remove(group_id);
                if *joined {
                    self.follow(group_id, *since_seq).await?;
                } else {
                    self.groups.remove(group_id);
                    self.delivered.remove(group_id);
                }
            }
            Event::RemindChanged {
                user,
                group_id,
                discard,
                since_seq,
            } if *user == self.viewer => {
                if *discard {
                    self.discarded.entry(group_id.clone()).or_insert(*since_seq);
                } else if let Some(after) = self.discarded.remove(group_id) {
                    self.resumed.insert(group_id.clone(), (after, *since_seq));
                }
            }
            Event::Message(view) if view.conversation_type == ConversationType::Group => {
                if self.is_discarded(&view.to, view.sequence) {
                    return Ok(None);
                }
                let seen = self.delivered.entry(view.to.clone()).or_insert(0);
                if view.sequence <= *seen {
                    return Ok(None);
                }
                *seen = view.sequence;
            }
            Event::MessageRevoked(view)
                if view.conversation_type == ConversationType::Group
                    && self.discarded.contains_key(&view.to) =>
            {
                return Ok(None);
            }
            _ => {}
        }
        Ok(Some(event))
    }

    /// Whether a group message at `seq` falls in a time of `Discard`.
    fn is_discarded(&self, group_id: &str, seq: i64) -> bool {
        if self
            .discarded
            .get(group_id)
            .is_some_and(|after| seq > *after)
        {
            return true;
        }
        self.resumed
            .get(group_id)
            .is_some_and(|(after, up_to)| seq > *after && seq <= *up_to)
    }

    /// Start (or keep) following a group the viewer joined, and queue what was
    /// sent into it after `since_seq` but before the subscription began.
    async fn follow(&mut self, group_id: &str, since_seq: i64) -> AppResult<()> {
        if !self.groups.contains_key(group_id) {
            let rx = self.state.bus.subscribe(&Topic::Group(group_id.to_owned()));
            self.groups.insert(group_id.to_owned(), rx.into_stream());
        }
        let floor = self
            .delivered
            .get(group_id)
            .copied()
            .unwrap_or(0)
            .max(since_seq);
        let Some(channel) = channels::Entity::find()
            .filter(channels::Column::ChannelKey.eq(store::group_channel_key(group_id)))
            .one(&self.state.db)
            .await?
        else {
            return Ok(());
        };
        let rows = messages::Entity::find()
            .filter(messages::Column::ChannelId.eq(channel.id))
            .filter(messages::Column::Seq.gt(floor))
            .order_by_asc(messages::Column::Seq)
            .limit(CATCH_UP_LIMIT + 1)
            .all(&self.state.db)
            .await?;
        if rows.len() as u64 > CATCH_UP_LIMIT {
            return Err(AppError::Lagged);
        }
        let views = store::views_of(&self.state, &self.viewer, rows).await?;
        let mut newest = floor;
        for view in views {
            newest = newest.max(view.sequence);
            self.pending
                .push_back(Arc::new(Event::Message(Arc::new(view))));
        }
        self.delivered.insert(group_id.to_owned(), newest);
        Ok(())
    }
}
