//! A viewer's live feed: their own topic plus the topics of the groups they are
//! in, following joins and departures while the stream is open.
//!
//! Messages come out of the feed in sequence order per conversation, with no
//! gap and no repeat, whatever the bus does: a message whose predecessor has
//! not been handed out marks its conversation "behind", and a behind
//! conversation is read from the database, a page at a time and only when the
//! stream is polled (so a slow client holds back reading, not memory), until
//! it has caught up; what then arrives live continues it. The same reading
//! serves a client resuming with `since`, a group just joined, a subscriber
//! that fell behind its topic, and a resync of the bus (a reconnect, or lost
//! control events), after which memberships are read again.
//!
//! A stream starts by reading where every conversation stands, then
//! subscribing, then reading again: what was sent in between is read from the
//! database, so nothing sent after the stream was asked for is missed.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Arc,
};

use futures_util::{
    future::join_all,
    stream::{self, BoxStream, StreamExt},
    FutureExt,
};
use tokio::sync::{broadcast::error::RecvError, watch};
use tokio_stream::StreamMap;

use super::{
    conversation_id::ConversationId,
    replay::{self, Followed, Resume},
    types::ConversationType,
    view::conversation_id_for,
};
use crate::events::Event;
use crate::{
    error::{AppError, AppResult},
    realtime::{Subscription, SubscriptionStream, Topic},
    state::AppState,
};

/// Messages read from the database at a time, per conversation.
const PAGE: u64 = 100;
/// Live events handled without waiting between two pages read from the
/// database, so the bus buffers stay drained while a conversation catches up.
const DRAIN: usize = 256;

/// How far one conversation has been handed out.
struct Progress {
    /// Its channel, once known.
    channel_id: Option<i64>,
    /// The newest sequence handed out (or skipped as not the viewer's).
    delivered: i64,
    /// Whether it is being read from the database.
    behind: bool,
}

/// What the bus said.
enum Live {
    Event(Arc<Event>),
    /// Events of the viewer's own topic were lost.
    UserMissed,
    /// Events of a group's topic were lost.
    GroupMissed(String),
    /// The bus may have lost anything: read memberships again.
    Resync,
}

struct Feed {
    user: Subscription<Event>,
    groups: StreamMap<String, SubscriptionStream<Event>>,
    resyncs: watch::Receiver<u64>,
    state: AppState,
    viewer: String,
    /// Events to hand out before listening again.
    pending: VecDeque<Arc<Event>>,
    /// Per conversation (the viewer's `conversationID`).
    progress: HashMap<String, Progress>,
    /// Conversations being read from the database, in turn.
    behind: VecDeque<String>,
    /// Memberships must be read again before anything else.
    resync: bool,
    /// Groups whose messages the viewer does not want live (`Discard`), by
    /// the sequence after which they are dropped; kept up to date by
    /// `RemindChanged`, so no query is made per message.
    discarded: HashMap<String, i64>,
    /// Per group, the last span `(after, up_to]` of sequences sent while
    /// `Discard` was on: a stream that sees the switch back before those
    /// messages still drops them.
    resumed: HashMap<String, (i64, i64)>,
    /// Counts this feed among the live subscriptions.
    _open: crate::metrics::Gauge,
}

/// The groups a user is in (a group conversation row exists from joining until leaving).
pub async fn groups_of(state: &AppState, user: &str) -> AppResult<Vec<String>> {
    Ok(replay::followed(state, user)
        .await?
        .into_iter()
        .filter_map(|f| f.group_id)
        .collect())
}

/// Every event for `viewer`, messages in order per conversation with nothing
/// skipped or repeated; with `since`, the listed conversations first replay
/// what the client has not got.
pub async fn viewer_feed(
    state: &AppState,
    viewer: &str,
    since: &[Resume],
) -> AppResult<BoxStream<'static, Result<Arc<Event>, AppError>>> {
    // Where everything stands before listening: what is sent from here on is
    // the stream's, live or read back.
    let before: HashMap<String, i64> = replay::followed(state, viewer)
        .await?
        .into_iter()
        .map(|f| (f.conversation_id, f.last_seq))
        .collect();
    let resyncs = state.bus.resyncs();
    let mut user = state.bus.subscribe(&Topic::User(viewer.to_owned()));
    user.ready().await;
    // Memberships are read after listening to the viewer's topic, so a join
    // in between is seen there.
    let memberships = replay::followed(state, viewer).await?;
    let mut subscriptions = Vec::new();
    for group_id in memberships.iter().filter_map(|f| f.group_id.clone()) {
        let subscription = state.bus.subscribe(&Topic::Group(group_id.clone()));
        subscriptions.push((group_id, subscription));
    }
    join_all(subscriptions.iter_mut().map(|(_, s)| s.ready())).await;
    let mut groups = StreamMap::new();
    for (group_id, subscription) in subscriptions {
        groups.insert(group_id, subscription.into_stream());
    }
    let mut feed = Feed {
        user,
        groups,
        resyncs,
        state: state.clone(),
        viewer: viewer.to_owned(),
        pending: VecDeque::new(),
        progress: HashMap::new(),
        behind: VecDeque::new(),
        resync: false,
        discarded: HashMap::new(),
        resumed: HashMap::new(),
        _open: crate::metrics::Gauge::hold(crate::metrics::subscriptions),
    };
    let resume: HashMap<&str, i64> = since
        .iter()
        .map(|r| (r.conversation_id.as_str(), r.sequence.max(0)))
        .collect();
    // Where everything stands now that every topic is heard.
    for followed in replay::followed(state, viewer).await? {
        let start = match resume.get(followed.conversation_id.as_str()) {
            Some(sequence) => (*sequence).max(followed.cleared_seq),
            None => before
                .get(&followed.conversation_id)
                .copied()
                .unwrap_or(followed.cleared_seq),
        };
        if let Some(group_id) = followed.group_id.as_ref() {
            if !feed.groups.contains_key(group_id) {
                // Joined between the two reads: the join event follows it.
                continue;
            }
            if followed.discard {
                feed.discarded.insert(group_id.clone(), start);
            }
        }
        feed.track(&followed, start);
    }
    Ok(stream::unfold(Some(feed), |feed| async move {
        let mut feed = feed?;
        match feed.next().await {
            Ok(Some(event)) => Some((Ok(event), Some(feed))),
            Ok(None) => None,
            Err(err) => Some((Err(err), None)),
        }
    })
    .boxed())
}

impl Feed {
    /// Start tracking a conversation from `delivered`, reading it from the
    /// database when its channel is ahead.
    fn track(&mut self, followed: &Followed, delivered: i64) {
        let progress = self
            .progress
            .entry(followed.conversation_id.clone())
            .or_insert(Progress {
                channel_id: Some(followed.channel_id),
                delivered,
                behind: false,
            });
        progress.channel_id = Some(followed.channel_id);
        if followed.last_seq > progress.delivered {
            Self::mark_behind(&mut self.behind, progress, &followed.conversation_id);
        }
    }

    fn mark_behind(behind: &mut VecDeque<String>, progress: &mut Progress, conversation: &str) {
        if !progress.behind {
            progress.behind = true;
            behind.push_back(conversation.to_owned());
        }
    }

    /// The next event to hand out; `None` ends the stream.
    ///
    /// The database reads are boxed: the stream keeps this future for as
    /// long as it is open, sized for its largest state, and inlined they made
    /// every idle feed several KiB larger for reads that seldom run.
    async fn next(&mut self) -> AppResult<Option<Arc<Event>>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                if matches!(event.as_ref(), Event::Message(_)) {
                    crate::metrics::delivered();
                }
                return Ok(Some(event));
            }
            if self.resync {
                self.resync = false;
                Box::pin(self.reread_memberships()).await?;
                continue;
            }
            if !self.behind.is_empty() {
                for _ in 0..DRAIN {
                    match self.listen().now_or_never() {
                        Some(Some(live)) => self.on_live(live).await?,
                        Some(None) => return Ok(None),
                        None => break,
                    }
                }
                if self.pending.is_empty() && !self.resync {
                    Box::pin(self.read_behind()).await?;
                }
                continue;
            }
            match self.listen().await {
                Some(live) => self.on_live(live).await?,
                None => return Ok(None),
            }
        }
    }

    /// Wait for the bus.
    async fn listen(&mut self) -> Option<Live> {
        tokio::select! {
            // The viewer's own topic first: a departure published before a
            // group message is handled before that message, so a removed
            // member stops at once.
            biased;
            changed = self.resyncs.changed() => match changed {
                Ok(()) => Some(Live::Resync),
                Err(_) => None,
            },
            received = self.user.recv() => match received {
                Ok(event) => Some(Live::Event(event)),
                Err(RecvError::Lagged(_)) => Some(Live::UserMissed),
                Err(RecvError::Closed) => None,
            },
            Some((group_id, received)) = self.groups.next(), if !self.groups.is_empty() => {
                Some(match received {
                    Ok(event) => Live::Event(event),
                    Err(_) => Live::GroupMissed(group_id),
                })
            }
        }
    }

    async fn on_live(&mut self, live: Live) -> AppResult<()> {
        match live {
            Live::Event(event) => {
                if let Some(event) = self.admit(event).await? {
                    self.pending.push_back(event);
                }
            }
            Live::UserMissed | Live::Resync => {
                tracing::debug!(viewer = %self.viewer, "live feed: resyncing from the database");
                crate::metrics::gap_fill("resync");
                self.resync = true;
            }
            Live::GroupMissed(group_id) => {
                tracing::debug!(viewer = %self.viewer, %group_id, "live feed: group topic lagged");
                crate::metrics::gap_fill("lagged");
                let conversation = ConversationId::group(&group_id).to_string();
                if let Some(progress) = self.progress.get_mut(&conversation) {
                    Self::mark_behind(&mut self.behind, progress, &conversation);
                }
            }
        }
        Ok(())
    }

    /// Follow membership changes, order messages and drop what the viewer
    /// must not get live; `None` means "nothing to hand out now".
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
                    Box::pin(self.follow(group_id, *since_seq)).await;
                } else {
                    self.unfollow(group_id);
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
            Event::Message(view) if view.sequence > 0 => {
                let conversation =
                    conversation_id_for(view.conversation_type, &view.from, &view.to, &self.viewer);
                let progress = self
                    .progress
                    .entry(conversation.clone())
                    // A conversation that did not exist when the stream began.
                    .or_insert(Progress {
                        channel_id: None,
                        delivered: view.sequence - 1,
                        behind: false,
                    });
                if view.sequence <= progress.delivered || progress.behind {
                    return Ok(None);
                }
                if view.sequence > progress.delivered + 1 {
                    crate::metrics::gap_fill("gap");
                    Self::mark_behind(&mut self.behind, progress, &conversation);
                    return Ok(None);
                }
                progress.delivered = view.sequence;
                if view.conversation_type == ConversationType::Group
                    && self.is_discarded(&view.to, view.sequence)
                {
                    return Ok(None);
                }
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

    /// Start (or keep) following a group the viewer joined; what was sent
    /// into it after `since_seq` is read from the database.
    async fn follow(&mut self, group_id: &str, since_seq: i64) {
        if !self.groups.contains_key(group_id) {
            let mut subscription = self.state.bus.subscribe(&Topic::Group(group_id.to_owned()));
            subscription.ready().await;
            self.groups
                .insert(group_id.to_owned(), subscription.into_stream());
        }
        let conversation = ConversationId::group(group_id).to_string();
        let progress = self
            .progress
            .entry(conversation.clone())
            .or_insert(Progress {
                channel_id: None,
                delivered: since_seq,
                behind: false,
            });
        progress.delivered = progress.delivered.max(since_seq);
        Self::mark_behind(&mut self.behind, progress, &conversation);
    }

    fn unfollow(&mut self, group_id: &str) {
        self.groups.remove(group_id);
        let conversation = ConversationId::group(group_id).to_string();
        self.progress.remove(&conversation);
        self.behind.retain(|c| *c != conversation);
    }

    /// Read the next page of the first behind conversation.
    async fn read_behind(&mut self) -> AppResult<()> {
        let Some(conversation) = self.behind.pop_front() else {
            return Ok(());
        };
        let Some(progress) = self.progress.get(&conversation) else {
            return Ok(());
        };
        let channel_id = match progress.channel_id {
            Some(id) => Some(id),
            None => replay::channel_of(&self.state, &self.viewer, &conversation).await?,
        };
        let after = progress.delivered;
        let views = match channel_id {
            Some(channel_id) => {
                replay::views_after(&self.state, &self.viewer, channel_id, after, PAGE).await?
            }
            None => Vec::new(),
        };
        let complete = (views.len() as u64) < PAGE;
        let group_id = ConversationId::group_of(&conversation);
        let mut delivered = after;
        for view in views {
            if view.sequence <= delivered {
                continue;
            }
            delivered = view.sequence;
            if group_id
                .as_deref()
                .is_some_and(|g| self.is_discarded(g, view.sequence))
            {
                continue;
            }
            self.pending
                .push_back(Arc::new(Event::Message(Arc::new(view))));
        }
        if let Some(progress) = self.progress.get_mut(&conversation) {
            progress.channel_id = channel_id;
            progress.delivered = progress.delivered.max(delivered);
            if complete {
                progress.behind = false;
            } else {
                // Others take their turn before its next page.
                self.behind.push_back(conversation);
            }
        }
        Ok(())
    }

    /// After a resync: read memberships and positions again, follow groups
    /// joined and drop groups left meanwhile, and read back every
    /// conversation whose channel is ahead of what was handed out.
    async fn reread_memberships(&mut self) -> AppResult<()> {
        let now = replay::followed(&self.state, &self.viewer).await?;
        let member_of: HashSet<String> = now.iter().filter_map(|f| f.group_id.clone()).collect();
        let left: Vec<String> = self
            .groups
            .keys()
            .filter(|g| !member_of.contains(*g))
            .cloned()
            .collect();
        for group_id in left {
            self.unfollow(&group_id);
            self.discarded.remove(&group_id);
            self.resumed.remove(&group_id);
        }
        for followed in &now {
            if let Some(group_id) = followed.group_id.as_ref() {
                if !self.groups.contains_key(group_id) {
                    let mut subscription =
                        self.state.bus.subscribe(&Topic::Group(group_id.clone()));
                    subscription.ready().await;
                    self.groups
                        .insert(group_id.clone(), subscription.into_stream());
                }
                match (followed.discard, self.discarded.contains_key(group_id)) {
                    (true, false) => {
                        self.discarded.insert(
                            group_id.clone(),
                            followed.last_seq.min(self.delivered_in(followed)),
                        );
                    }
                    (false, true) => {
                        self.discarded.remove(group_id);
                    }
                    _ => {}
                }
            }
            // A conversation first seen now began after the stream did: all
            // of it that the viewer may see is theirs.
            self.track(followed, followed.cleared_seq);
        }
        Ok(())
    }

    fn delivered_in(&self, followed: &Followed) -> i64 {
        self.progress
            .get(&followed.conversation_id)
            .map_or(followed.cleared_seq, |p| p.delivered)
    }
}
