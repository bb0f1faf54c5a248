//! The event bus: services publish after commit, subscription streams listen.
//!
//! Events are addressed to topics (a user, or a group's channel), so a group
//! message is published once and reaches every member's streams without a
//! per-member copy. The in-process implementation keeps one broadcast channel
//! per topic that someone listens to; a Redis implementation can map topics to
//! pub/sub channels for several instances.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::broadcast;

/// Where an event goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything addressed to one user (C2C, system notices, own profile, ...).
    User(String),
    /// Everything said in one group, for its members' streams.
    Group(String),
}

/// Publish/subscribe between services and subscription streams. The bus is
/// transport only: it carries any event type `E` (the domains define theirs)
/// and never looks inside.
pub trait EventBus<E>: Send + Sync + 'static {
    /// Deliver `event` to the current listeners of `topic` (none is fine).
    fn publish(&self, topic: Topic, event: Arc<E>);
    /// Listen to `topic` from now on.
    fn subscribe(&self, topic: &Topic) -> broadcast::Receiver<Arc<E>>;
}

/// Per-topic broadcast channels inside this process.
pub struct InProcessBus<E> {
    topics: Mutex<HashMap<Topic, broadcast::Sender<Arc<E>>>>,
    capacity: usize,
}

impl<E> InProcessBus<E> {
    /// A bus whose listeners may fall `capacity` events behind before they lag.
    pub fn new(capacity: usize) -> Self {
        Self {
            topics: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// A broadcast channel allocates all its slots up front, and every open
    /// socket has a user topic: those get a quarter of the capacity (their
    /// traffic is one person's), group topics the whole of it.
    fn capacity_of(&self, topic: &Topic) -> usize {
        match topic {
            Topic::User(_) => (self.capacity / 4).max(1),
            Topic::Group(_) => self.capacity,
        }
    }

    /// Number of topics with a channel (for diagnostics and tests).
    pub fn topic_count(&self) -> usize {
        self.topics.lock().map(|t| t.len()).unwrap_or(0)
    }
}

impl<E: Send + Sync + 'static> EventBus<E> for InProcessBus<E> {
    fn publish(&self, topic: Topic, event: Arc<E>) {
        let Ok(mut topics) = self.topics.lock() else {
            return;
        };
        if let Some(sender) = topics.get(&topic) {
            if sender.send(event).is_err() {
                // Nobody listens any more: forget the channel so the map stays small.
                topics.remove(&topic);
            }
        }
    }

    fn subscribe(&self, topic: &Topic) -> broadcast::Receiver<Arc<E>> {
        let mut topics = match self.topics.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        topics
            .entry(topic.clone())
            .or_insert_with(|| broadcast::channel(self.capacity_of(topic)).0)
            .subscribe()
    }
}
