//! The event bus: services publish after commit, subscription streams listen.
//!
//! Events are addressed to topics (a user, or a group's channel), so a group
//! message is published once and reaches every member's streams without a
//! per-member copy. The in-process implementation keeps one broadcast channel
//! per topic that someone listens to, and frees it when its last
//! [`Subscription`] is dropped; the Redis implementation
//! ([`super::redis_bus::RedisBus`]) maps topics to pub/sub channels so that
//! several instances act as one.
//!
//! A bus may lose events it cannot vouch for (a Redis reconnect, a gap in the
//! numbered [`Topic::Control`] events): it then bumps its resync counter
//! ([`EventBus::resyncs`]) and listeners re-read what they follow from the
//! database. A listener that falls behind its topic gets
//! [`RecvError::Lagged`] and does the same for that topic.

use std::{
    collections::HashMap,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use futures_util::Stream;
use tokio::sync::{
    broadcast::{self, error::RecvError},
    watch,
};
use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};

/// Where an event goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everything addressed to one user (C2C, system notices, own profile, ...).
    User(String),
    /// Everything said in one group, for its members' streams.
    Group(String),
    /// What every instance must see (cache invalidations): numbered per
    /// publishing instance, so a gap is noticed and answered with a resync.
    Control,
}

/// How long [`Subscription::ready`] waits for a bus to confirm a new topic;
/// past it the stream goes on (a later resync or gap fill covers the rest).
const READY_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// Publish/subscribe between services and subscription streams. The bus is
/// transport only: it carries any event type `E` (the domains define theirs)
/// and never looks inside.
pub trait EventBus<E>: Send + Sync + 'static {
    /// Deliver `event` to the current listeners of `topic` (none is fine).
    fn publish(&self, topic: Topic, event: Arc<E>);
    /// Listen to `topic` from now on, until the subscription is dropped.
    fn subscribe(&self, topic: &Topic) -> Subscription<E>;
    /// A counter bumped whenever events on any topic may have been lost
    /// (after a reconnect of the bus, or a gap in the numbered control events):
    /// its listeners drop caches and re-read memberships from the database.
    fn resyncs(&self) -> watch::Receiver<u64>;
    /// How many listen to `topic` in this process (diagnostics and tests: a
    /// live feed listens to its viewer's topic once its starting point is read).
    fn listeners(&self, topic: &Topic) -> usize;
    /// Whether the bus is connected to its broker (always true in process).
    fn is_connected(&self) -> bool {
        true
    }
}

/// Runs once, after the receiver it belongs to is gone.
type ReleaseFn = Box<dyn FnOnce() + Send + Sync>;

/// What a bus runs when a listener leaves (frees the topic when it was the last).
struct Release(Option<ReleaseFn>);

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            release();
        }
    }
}

/// One listener of a topic. Dropping it tells the bus, which frees the
/// topic when nobody else listens.
pub struct Subscription<E> {
    // Declared before `release`: the receiver is gone when the bus counts.
    receiver: broadcast::Receiver<Arc<E>>,
    /// `true` once every instance's events for the topic reach `receiver`.
    ready: Option<watch::Receiver<bool>>,
    release: Release,
}

impl<E: Send + Sync + 'static> Subscription<E> {
    /// A subscription over `receiver`; `release` runs after it is dropped.
    pub fn new(
        receiver: broadcast::Receiver<Arc<E>>,
        release: impl FnOnce() + Send + Sync + 'static,
    ) -> Self {
        Self {
            receiver,
            ready: None,
            release: Release(Some(Box::new(release))),
        }
    }

    /// The same subscription, ready once `ready` reads `true`.
    pub fn with_ready(mut self, ready: watch::Receiver<bool>) -> Self {
        self.ready = Some(ready);
        self
    }

    /// The same subscription, also running `then` after it is dropped (after
    /// the bus's own release).
    pub fn on_release(mut self, then: impl FnOnce() + Send + Sync + 'static) -> Self {
        let first = self.release.0.take();
        self.release = Release(Some(Box::new(move || {
            if let Some(first) = first {
                first();
            }
            then();
        })));
        self
    }

    /// Wait until events published on any instance reach this subscription
    /// (at once in process; after the broker confirms the topic with Redis),
    /// for at most a few seconds.
    pub async fn ready(&mut self) {
        let Some(ready) = self.ready.as_mut() else {
            return;
        };
        let _ = tokio::time::timeout(READY_WAIT, ready.wait_for(|ready| *ready)).await;
    }

    /// The next event (as [`broadcast::Receiver::recv`]).
    pub async fn recv(&mut self) -> Result<Arc<E>, RecvError> {
        self.receiver.recv().await
    }

    /// The events as a stream (as [`BroadcastStream`]), still releasing the
    /// topic when dropped.
    pub fn into_stream(self) -> SubscriptionStream<E> {
        let Self {
            receiver, release, ..
        } = self;
        SubscriptionStream {
            inner: BroadcastStream::new(receiver),
            _release: release,
        }
    }
}

/// A [`Subscription`] as a stream of events.
pub struct SubscriptionStream<E> {
    // Declared before `_release`, for the same reason as in `Subscription`.
    inner: BroadcastStream<Arc<E>>,
    _release: Release,
}

impl<E: Send + Sync + 'static> Stream for SubscriptionStream<E> {
    type Item = Result<Arc<E>, BroadcastStreamRecvError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.inner).poll_next(cx)
    }
}

/// The topic map shared between the bus and its subscriptions' releases.
type Topics<E> = Arc<Mutex<HashMap<Topic, broadcast::Sender<Arc<E>>>>>;

/// Per-topic broadcast channels inside this process.
pub struct InProcessBus<E> {
    topics: Topics<E>,
    capacity: usize,
    /// Never bumped: nothing is lost inside one process.
    resync: watch::Sender<u64>,
}

impl<E> InProcessBus<E> {
    /// A bus whose listeners may fall `capacity` events behind before they lag.
    pub fn new(capacity: usize) -> Self {
        Self {
            topics: Arc::new(Mutex::new(HashMap::new())),
            capacity: capacity.max(1),
            resync: watch::channel(0).0,
        }
    }

    /// A broadcast channel allocates all its slots up front, and every open
    /// socket has a user topic: those get a quarter of the capacity (their
    /// traffic is one person's), group topics the whole of it.
    fn capacity_of(&self, topic: &Topic) -> usize {
        match topic {
            Topic::User(_) => (self.capacity / 4).max(1),
            Topic::Group(_) | Topic::Control => self.capacity,
        }
    }

    /// Number of topics with a channel (for diagnostics and tests).
    pub fn topic_count(&self) -> usize {
        self.topics.lock().map(|t| t.len()).unwrap_or(0)
    }
}

/// Forget `topic` if nobody listens to it any more (one map lookup).
fn release_topic<E>(topics: &Mutex<HashMap<Topic, broadcast::Sender<Arc<E>>>>, topic: &Topic) {
    let mut topics = match topics.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    };
    if topics
        .get(topic)
        .is_some_and(|sender| sender.receiver_count() == 0)
    {
        topics.remove(topic);
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

    fn subscribe(&self, topic: &Topic) -> Subscription<E> {
        let receiver = {
            let mut topics = match self.topics.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            topics
                .entry(topic.clone())
                .or_insert_with(|| broadcast::channel(self.capacity_of(topic)).0)
                .subscribe()
        };
        let topics = Arc::clone(&self.topics);
        let topic = topic.clone();
        Subscription::new(receiver, move || release_topic(&topics, &topic))
    }

    fn resyncs(&self) -> watch::Receiver<u64> {
        self.resync.subscribe()
    }

    fn listeners(&self, topic: &Topic) -> usize {
        self.topics
            .lock()
            .ok()
            .and_then(|topics| topics.get(topic).map(|s| s.receiver_count()))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn topics_are_freed_when_their_last_listener_leaves() {
        let bus: InProcessBus<u32> = InProcessBus::new(8);
        let first = bus.subscribe(&Topic::Group("g1".into()));
        let second = bus.subscribe(&Topic::Group("g1".into()));
        let user = bus.subscribe(&Topic::User("alice".into()));
        let mut streamed = bus.subscribe(&Topic::Group("g2".into())).into_stream();
        assert_eq!(bus.topic_count(), 3);

        drop(first);
        assert_eq!(bus.topic_count(), 3, "g1 still has a listener");
        bus.publish(Topic::Group("g2".into()), Arc::new(7));
        assert_eq!(
            streamed.next().await.and_then(Result::ok),
            Some(Arc::new(7))
        );

        drop(second);
        drop(user);
        assert_eq!(bus.topic_count(), 1);
        drop(streamed);
        assert_eq!(bus.topic_count(), 0);

        let mut again = bus.subscribe(&Topic::Group("g1".into()));
        bus.publish(Topic::Group("g1".into()), Arc::new(1));
        assert_eq!(again.recv().await.ok(), Some(Arc::new(1)));
        drop(again);
        assert_eq!(bus.topic_count(), 0);
    }
}
