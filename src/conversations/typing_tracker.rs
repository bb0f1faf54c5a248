//! Who is typing where, in this process only: per typer and conversation,
//! what was last said and told. A status ends [`TYPING_TIMEOUT`] after the
//! last `typing: true` (with an event), and at most one change is told per
//! [`MIN_INTERVAL`], the latest state once the interval is over.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::types::TypingEvent;
use crate::{
    events::Event,
    messages::types::ConversationType,
    realtime::{EventBus, Topic},
};

/// How long a `typing: true` lasts without another.
pub const TYPING_TIMEOUT: Duration = Duration::from_secs(6);
/// The shortest time between two events of one typer in one conversation.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Where one typer's status in one conversation goes.
#[derive(Debug, Clone)]
pub struct Audience {
    /// The topic its events go to.
    pub topic: Topic,
    /// C2C or GROUP.
    pub kind: ConversationType,
    /// The peer (C2C) or the group.
    pub to: String,
    /// Users who blacklisted the typer: they are not told.
    pub hidden_from: Arc<Vec<String>>,
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

impl TypingTracker {
    /// Record what `user` said of `conversation_id` and tell its audience
    /// when that changes what they were last told.
    pub fn update(
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
