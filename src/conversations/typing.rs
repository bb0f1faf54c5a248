//! Typing status (`setTypingStatus`, `typingStatusChanged`): nothing is
//! stored. The tracker keeps, per typer and conversation, what was last
//! said and told; it ends a status [`TYPING_TIMEOUT`] after the last
//! `typing: true` (with an event) and tells at most one change per
//! [`MIN_INTERVAL`], telling the latest state once the interval is over.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_graphql::SimpleObject;

use crate::{
    blacklist::service as blacklist,
    error::{AppError, AppResult},
    messages::{conversation_id::ConversationId, events::Event, targets, types::ConversationType},
    realtime::{EventBus, Topic},
    state::AppState,
};

/// How long a `typing: true` lasts without another.
pub const TYPING_TIMEOUT: Duration = Duration::from_secs(6);
/// The shortest time between two events of one typer in one conversation.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// A typing status as its listeners see it.
#[derive(SimpleObject, Clone, Debug, PartialEq)]
#[graphql(name = "TypingStatus")]
pub struct TypingStatus {
    /// The conversation, from the listener's side (`C2C<typer>` or `GROUP<groupID>`).
    #[graphql(name = "conversationID")]
    pub conversation_id: String,
    /// Who types.
    #[graphql(name = "userID")]
    pub user_id: String,
    /// Whether they are typing.
    pub typing: bool,
}

/// A typing change on the bus (built once for every listener).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TypingEvent {
    /// Who types.
    pub user: String,
    /// C2C or GROUP.
    pub kind: ConversationType,
    /// The peer (C2C) or the group.
    pub to: String,
    /// Whether they are typing.
    pub typing: bool,
    /// Users who blacklisted the typer: they are not told.
    pub hidden_from: Arc<Vec<String>>,
}

impl TypingEvent {
    /// What `viewer` is told, if anything.
    pub fn for_viewer(&self, viewer: &str) -> Option<TypingStatus> {
        if self.user == viewer || self.hidden_from.iter().any(|u| u == viewer) {
            return None;
        }
        let conversation_id = match self.kind {
            ConversationType::C2c if self.to == viewer => ConversationId::c2c(&self.user),
            ConversationType::Group => ConversationId::group(&self.to),
            _ => return None,
        };
        Some(TypingStatus {
            conversation_id: conversation_id.to_string(),
            user_id: self.user.clone(),
            typing: self.typing,
        })
    }
}

/// Where one typer's status in one conversation goes.
#[derive(Debug, Clone)]
struct Audience {
    topic: Topic,
    kind: ConversationType,
    to: String,
    hidden_from: Arc<Vec<String>>,
}

struct Entry {
    typing: bool,
    told: bool,
    told_at: Option<Instant>,
    /// Bumped by each `typing: true`; the timeout of an older one does nothing.
    generation: u64,
    deferred: bool,
    audience: Audience,
}

type Key = (String, String);

/// Typing statuses in this process (cheap to clone).
#[derive(Clone, Default)]
pub struct TypingTracker {
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
}

/// Say whether the viewer is typing in a C2C or group conversation they are in.
pub async fn set_typing_status(
    state: &AppState,
    viewer: &str,
    conversation_id: &str,
    typing: bool,
) -> AppResult<bool> {
    let conv = targets::resolve_conversation(state, viewer, conversation_id).await?;
    let (topic, to) = match conv.kind {
        ConversationType::C2c => (Topic::User(conv.target.clone()), conv.target.clone()),
        ConversationType::Group => (Topic::Group(conv.target.clone()), conv.target.clone()),
        ConversationType::System => {
            return Err(AppError::bad_input(
                "conversationID",
                "typing is for C2C and group conversations",
            ))
        }
    };
    let audience = Audience {
        topic,
        kind: conv.kind,
        to,
        hidden_from: Arc::new(blacklist::blocked_by(state, viewer).await?),
    };
    state
        .typing
        .update(state.bus.clone(), viewer, conversation_id, audience, typing);
    Ok(true)
}

impl TypingTracker {
    fn update(
        &self,
        bus: Arc<dyn EventBus<Event>>,
        user: &str,
        conversation_id: &str,
        audience: Audience,
        typing: bool,
    ) {
        let key = (user.to_owned(), conversation_id.to_owned());
        let generation = {
            let Ok(mut entries) = self.entries.lock() else {
                return;
            };
            let entry = entries.entry(key.clone()).or_insert_with(|| Entry {
                typing: false,
                told: false,
                told_at: None,
                generation: 0,
                deferred: false,
                audience: audience.clone(),
            });
            entry.audience = audience;
            entry.typing = typing;
            if typing {
                entry.generation += 1;
            }
            entry.generation
        };
        if typing {
            let tracker = self.clone();
            let (bus, key) = (bus.clone(), key.clone());
            tokio::spawn(async move {
                tokio::time::sleep(TYPING_TIMEOUT).await;
                tracker.expire(bus, key, generation);
            });
        }
        self.settle(bus, key);
    }

    /// The timeout of the `typing: true` of `generation`.
    fn expire(&self, bus: Arc<dyn EventBus<Event>>, key: Key, generation: u64) {
        {
            let Ok(mut entries) = self.entries.lock() else {
                return;
            };
            match entries.get_mut(&key) {
                Some(entry) if entry.generation == generation && entry.typing => {
                    entry.typing = false;
                }
                _ => return,
            }
        }
        self.settle(bus, key);
    }

    /// Tell the current state if it differs from what was told: now, or
    /// once [`MIN_INTERVAL`] since the last event has passed.
    fn settle(&self, bus: Arc<dyn EventBus<Event>>, key: Key) {
        let publish = {
            let Ok(mut entries) = self.entries.lock() else {
                return;
            };
            let Some(entry) = entries.get_mut(&key) else {
                return;
            };
            if entry.told == entry.typing {
                None
            } else if let Some(wait) = entry
                .told_at
                .map(|at| MIN_INTERVAL.saturating_sub(at.elapsed()))
                .filter(|wait| !wait.is_zero())
            {
                if !entry.deferred {
                    entry.deferred = true;
                    let tracker = self.clone();
                    let (bus, key) = (bus.clone(), key.clone());
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        if let Ok(mut entries) = tracker.entries.lock() {
                            if let Some(entry) = entries.get_mut(&key) {
                                entry.deferred = false;
                            }
                        }
                        tracker.settle(bus, key);
                    });
                }
                None
            } else {
                entry.told = entry.typing;
                entry.told_at = Some(Instant::now());
                Some((
                    entry.audience.topic.clone(),
                    TypingEvent {
                        user: key.0.clone(),
                        kind: entry.audience.kind,
                        to: entry.audience.to.clone(),
                        typing: entry.typing,
                        hidden_from: entry.audience.hidden_from.clone(),
                    },
                ))
            }
        };
        let Some((topic, event)) = publish else {
            return;
        };
        let ended = !event.typing;
        bus.publish(topic, Arc::new(Event::Typing(Arc::new(event))));
        if ended {
            // Forget an idle entry once its interval is over, so the tracker
            // holds only recent typers.
            let tracker = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(MIN_INTERVAL).await;
                if let Ok(mut entries) = tracker.entries.lock() {
                    let idle = entries.get(&key).is_some_and(|e| {
                        !e.typing
                            && !e.told
                            && !e.deferred
                            && e.told_at.is_none_or(|at| at.elapsed() >= MIN_INTERVAL)
                    });
                    if idle {
                        entries.remove(&key);
                    }
                }
            });
        }
    }
}
