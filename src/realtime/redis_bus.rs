//! The event bus over Redis pub/sub, for several instances on one database.
//!
//! Every instance delivers its own events to its own listeners at once (as
//! the in-process bus does) and publishes them to Redis for the others; what
//! arrives from Redis with this instance's id is skipped. An instance
//! subscribes to the Redis channel of a topic only while one of its sockets
//! listens to it, plus the control channel, always.
//!
//! Redis pub/sub delivers what one connection publishes in order, but drops
//! everything while a connection is down, and orders nothing between
//! publishers. So: sends are ordered by their sequence at the subscriber
//! (the live feed fills gaps from the database), control events are numbered
//! per publishing instance (a gap bumps the resync counter), and a reconnect
//! of the subscriber connection bumps it too, once every topic is subscribed
//! again.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::Duration,
};

use futures_util::StreamExt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use super::{EventBus, InProcessBus, Subscription, Topic};

/// Most events sent to Redis in one pipeline.
const PUBLISH_BATCH: usize = 256;
/// Pause between attempts to reach Redis.
const RECONNECT_DELAY: Duration = Duration::from_millis(250);

/// An envelope as received: the publishing instance, its number (control
/// events only; 0 otherwise), when it was published (microseconds since the
/// epoch, for the bus lag) and the event. The publisher writes the same
/// fields by hand ([`envelope`]), so an event sent to several topics is
/// serialised once.
#[derive(Deserialize)]
struct InEnvelope<E> {
    o: String,
    n: u64,
    t: u64,
    e: E,
}

/// One event waiting to go to Redis.
struct Outgoing<E> {
    channel: String,
    number: u64,
    /// When it was published (microseconds since the epoch): the bus lag
    /// then covers the wait in this queue too.
    published_at: u64,
    event: Arc<E>,
}

/// The topics this instance wants from Redis, each with its readiness.
type Wanted = HashMap<Topic, (usize, watch::Sender<bool>)>;

/// State shared by the bus handle and its two workers.
struct Shared<E> {
    instance: String,
    /// `instance` as a JSON string, for the envelopes.
    instance_json: String,
    prefix: String,
    local: InProcessBus<E>,
    wanted: Mutex<Wanted>,
    /// Wakes the subscriber worker: the wanted topics changed.
    changed: mpsc::UnboundedSender<()>,
    outgoing: mpsc::UnboundedSender<Outgoing<E>>,
    control_number: AtomicU64,
    resync: watch::Sender<u64>,
    connected: AtomicBool,
    /// Counters for `/metrics`.
    stats: Arc<BusStats>,
}

/// Counters of a Redis bus (read by `/metrics` when it renders).
#[derive(Default, Debug)]
pub struct BusStats {
    /// Events published to Redis.
    pub published: AtomicU64,
    /// Events received from other instances.
    pub received: AtomicU64,
    /// Events that could not be published (Redis unreachable).
    pub publish_failures: AtomicU64,
    /// Resyncs announced (reconnects and control gaps).
    pub resyncs: AtomicU64,
}

/// Settings of the request connections (publisher, presence): the redis
/// crate leaves Nagle's algorithm on unless built with `tcp_nodelay`, and a
/// small write stuck behind an unacknowledged one waits for the peer's
/// delayed ACK.
pub(super) fn connection_config() -> redis::AsyncConnectionConfig {
    redis::AsyncConnectionConfig::new()
        .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true))
}

fn lock(wanted: &Mutex<Wanted>) -> MutexGuard<'_, Wanted> {
    match wanted.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// An [`EventBus`] over Redis; cheap to clone.
pub struct RedisBus<E> {
    shared: Arc<Shared<E>>,
}

impl<E> RedisBus<E>
where
    E: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// Connect to `client`'s Redis (the first connection must succeed, so a
    /// wrong URL fails at start) and start the publisher and subscriber.
    /// `capacity` is the local broadcast capacity, as in [`InProcessBus`].
    pub async fn start(
        client: redis::Client,
        prefix: &str,
        instance: &str,
        capacity: usize,
    ) -> redis::RedisResult<Self> {
        let publisher = client
            .get_multiplexed_async_connection_with_config(&connection_config())
            .await?;
        let pubsub = client.get_async_pubsub().await?;
        let (changed, changed_rx) = mpsc::unbounded_channel();
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            instance: instance.to_owned(),
            instance_json: serde_json::Value::from(instance).to_string(),
            prefix: prefix.to_owned(),
            local: InProcessBus::new(capacity),
            wanted: Mutex::new(HashMap::new()),
            changed,
            outgoing,
            control_number: AtomicU64::new(0),
            resync: watch::channel(0).0,
            connected: AtomicBool::new(true),
            stats: Arc::default(),
        });
        tokio::spawn(publish_worker(
            client.clone(),
            publisher,
            outgoing_rx,
            Arc::downgrade(&shared),
        ));
        tokio::spawn(subscribe_worker(
            client,
            pubsub,
            changed_rx,
            Arc::downgrade(&shared),
        ));
        Ok(Self { shared })
    }

    /// This bus's counters.
    pub fn stats(&self) -> Arc<BusStats> {
        Arc::clone(&self.shared.stats)
    }
}

impl<E> Shared<E> {
    fn channel_of(&self, topic: &Topic) -> String {
        match topic {
            Topic::User(user) => format!("{}:bus:u:{user}", self.prefix),
            Topic::Group(group) => format!("{}:bus:g:{group}", self.prefix),
            Topic::Control => format!("{}:bus:control", self.prefix),
        }
    }

    fn announce_resync(&self) {
        self.stats.resyncs.fetch_add(1, Ordering::Relaxed);
        self.resync.send_modify(|n| *n += 1);
    }
}

impl<E> EventBus<E> for RedisBus<E>
where
    E: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    fn publish(&self, topic: Topic, event: Arc<E>) {
        let shared = &self.shared;
        let number = match topic {
            Topic::Control => shared.control_number.fetch_add(1, Ordering::Relaxed) + 1,
            _ => 0,
        };
        let channel = shared.channel_of(&topic);
        shared.local.publish(topic, Arc::clone(&event));
        // The worker only stops with the bus: a failed send has no one to tell.
        let _ = shared.outgoing.send(Outgoing {
            channel,
            number,
            published_at: now_micros(),
            event,
        });
    }

    fn subscribe(&self, topic: &Topic) -> Subscription<E> {
        let shared = &self.shared;
        let subscription = shared.local.subscribe(topic);
        let ready = {
            let mut wanted = lock(&shared.wanted);
            let entry = wanted
                .entry(topic.clone())
                .or_insert_with(|| (0, watch::channel(false).0));
            entry.0 += 1;
            let ready = entry.1.subscribe();
            if entry.0 == 1 {
                let _ = shared.changed.send(());
            }
            ready
        };
        let weak = Arc::downgrade(shared);
        let topic = topic.clone();
        subscription.with_ready(ready).on_release(move || {
            let Some(shared) = weak.upgrade() else {
                return;
            };
            let mut wanted = lock(&shared.wanted);
            if let Some(entry) = wanted.get_mut(&topic) {
                entry.0 = entry.0.saturating_sub(1);
                if entry.0 == 0 {
                    wanted.remove(&topic);
                    let _ = shared.changed.send(());
                }
            }
        })
    }

    fn resyncs(&self) -> watch::Receiver<u64> {
        self.shared.resync.subscribe()
    }

    fn listeners(&self, topic: &Topic) -> usize {
        self.shared.local.listeners(topic)
    }

    fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }
}

/// Send queued events to Redis in pipelines, in queue order; reconnect when
/// the connection breaks (a batch that fails twice is dropped and counted:
/// subscribers notice the gap by sequence or number).
async fn publish_worker<E: Serialize + Send + Sync + 'static>(
    client: redis::Client,
    mut conn: redis::aio::MultiplexedConnection,
    mut queue: mpsc::UnboundedReceiver<Outgoing<E>>,
    shared: std::sync::Weak<Shared<E>>,
) {
    let mut batch = Vec::with_capacity(PUBLISH_BATCH);
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        let Some(owner) = shared.upgrade() else {
            return;
        };
        let mut pipe = redis::pipe();
        // A message goes to several topics (each party's) as one `Arc`:
        // serialise it once for all of them.
        let mut last: Option<(&Arc<E>, Vec<u8>)> = None;
        for item in &batch {
            if !last
                .as_ref()
                .is_some_and(|(event, _)| Arc::ptr_eq(event, &item.event))
            {
                match serde_json::to_vec(&*item.event) {
                    Ok(body) => last = Some((&item.event, body)),
                    Err(err) => {
                        tracing::error!(error = %err, "bus: event does not serialise");
                        last = None;
                        continue;
                    }
                }
            }
            if let Some((_, body)) = &last {
                let payload = envelope(&owner.instance_json, item, body);
                pipe.publish(&item.channel, payload).ignore();
            }
        }
        let mut attempts = 0;
        loop {
            match pipe.query_async::<()>(&mut conn).await {
                Ok(()) => {
                    owner
                        .stats
                        .published
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    break;
                }
                Err(err) => {
                    attempts += 1;
                    tracing::warn!(error = %err, "bus: publishing to Redis failed");
                    owner.connected.store(false, Ordering::Relaxed);
                    if attempts >= 2 {
                        owner
                            .stats
                            .publish_failures
                            .fetch_add(batch.len() as u64, Ordering::Relaxed);
                        break;
                    }
                    tokio::time::sleep(RECONNECT_DELAY).await;
                    if let Ok(fresh) = client
                        .get_multiplexed_async_connection_with_config(&connection_config())
                        .await
                    {
                        conn = fresh;
                    }
                }
            }
        }
        batch.clear();
    }
}

/// The wire form of [`InEnvelope`] around an event already serialised
/// (`instance_json` is the instance's name as a JSON string).
fn envelope<E>(instance_json: &str, item: &Outgoing<E>, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "{{\"o\":{instance_json},\"n\":{},\"t\":{},\"e\":",
        item.number, item.published_at
    );
    let mut payload = Vec::with_capacity(head.len() + body.len() + 1);
    payload.extend_from_slice(head.as_bytes());
    payload.extend_from_slice(body);
    payload.push(b'}');
    payload
}

/// Microseconds since the epoch (for the bus lag).
fn now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Keep the Redis subscriptions equal to the wanted topics (plus control),
/// hand what arrives to local listeners, and reconnect when the connection
/// drops, announcing a resync once everything is subscribed again.
async fn subscribe_worker<E: DeserializeOwned + Send + Sync + 'static>(
    client: redis::Client,
    first: redis::aio::PubSub,
    mut changed: mpsc::UnboundedReceiver<()>,
    shared: std::sync::Weak<Shared<E>>,
) {
    let mut pubsub = Some(first);
    let mut reconnecting = false;
    loop {
        let connection = match pubsub.take() {
            Some(connection) => Ok(connection),
            None => client.get_async_pubsub().await,
        };
        let Ok(connection) = connection else {
            if shared.strong_count() == 0 {
                return;
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
            continue;
        };
        let (mut sink, mut stream) = connection.split();
        let mut session = Session::default();
        let Some(owner) = shared.upgrade() else {
            return;
        };
        if session.reconcile(&owner, &mut sink).await.is_err() {
            drop(owner);
            tokio::time::sleep(RECONNECT_DELAY).await;
            continue;
        }
        owner.connected.store(true, Ordering::Relaxed);
        if reconnecting {
            tracing::info!("bus: reconnected to Redis; resyncing listeners");
            owner.announce_resync();
        }
        drop(owner);
        reconnecting = true;
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else { break };
                    let Some(owner) = shared.upgrade() else { return };
                    session.deliver(&owner, &message);
                }
                wake = changed.recv() => {
                    if wake.is_none() {
                        return;
                    }
                    while changed.try_recv().is_ok() {}
                    let Some(owner) = shared.upgrade() else { return };
                    if session.reconcile(&owner, &mut sink).await.is_err() {
                        break;
                    }
                }
            }
        }
        if let Some(owner) = shared.upgrade() {
            tracing::warn!("bus: lost the Redis subscription connection");
            owner.connected.store(false, Ordering::Relaxed);
            for (_, ready) in lock(&owner.wanted).values() {
                ready.send_replace(false);
            }
        }
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// What one subscriber connection has subscribed, and the control numbers seen.
#[derive(Default)]
struct Session {
    subscribed: HashMap<String, Topic>,
    control_seen: HashMap<String, u64>,
}

impl Session {
    /// Subscribe what is wanted and not subscribed, unsubscribe the rest,
    /// then mark the wanted topics ready.
    async fn reconcile<E>(
        &mut self,
        shared: &Shared<E>,
        sink: &mut redis::aio::PubSubSink,
    ) -> redis::RedisResult<()> {
        let (wanted, readies): (HashMap<String, Topic>, Vec<watch::Sender<bool>>) = {
            let wanted = lock(&shared.wanted);
            let mut channels: HashMap<String, Topic> = wanted
                .keys()
                .map(|topic| (shared.channel_of(topic), topic.clone()))
                .collect();
            channels.insert(shared.channel_of(&Topic::Control), Topic::Control);
            let readies = wanted.values().map(|(_, ready)| ready.clone()).collect();
            (channels, readies)
        };
        let to_add: Vec<&String> = wanted
            .keys()
            .filter(|c| !self.subscribed.contains_key(*c))
            .collect();
        let to_drop: Vec<String> = self
            .subscribed
            .keys()
            .filter(|c| !wanted.contains_key(*c))
            .cloned()
            .collect();
        if !to_add.is_empty() {
            sink.subscribe(&to_add).await?;
        }
        if !to_drop.is_empty() {
            sink.unsubscribe(&to_drop).await?;
        }
        let dropped: HashSet<String> = to_drop.into_iter().collect();
        self.subscribed.retain(|c, _| !dropped.contains(c));
        self.subscribed.extend(wanted);
        for ready in readies {
            ready.send_replace(true);
        }
        Ok(())
    }

    /// Hand one message from Redis to the local listeners of its topic.
    fn deliver<E: DeserializeOwned + Send + Sync + 'static>(
        &mut self,
        shared: &Shared<E>,
        message: &redis::Msg,
    ) {
        let Some(topic) = self.subscribed.get(message.get_channel_name()) else {
            return;
        };
        let envelope: InEnvelope<E> = match serde_json::from_slice(message.get_payload_bytes()) {
            Ok(envelope) => envelope,
            Err(err) => {
                tracing::warn!(error = %err, "bus: unreadable event from Redis");
                return;
            }
        };
        if envelope.o == shared.instance {
            return;
        }
        let (event, sent_at) = (envelope.e, envelope.t);
        shared.stats.received.fetch_add(1, Ordering::Relaxed);
        // Recorded through the `metrics` facade (the crate, not this
        // program's `metrics` module), which `/metrics` renders.
        metrics::histogram!("imgql_bus_lag_seconds")
            .record(Duration::from_micros(now_micros().saturating_sub(sent_at)).as_secs_f64());
        if *topic == Topic::Control {
            let last = self.control_seen.entry(envelope.o).or_insert(0);
            if envelope.n <= *last {
                return;
            }
            let gap = *last != 0 && envelope.n != *last + 1;
            *last = envelope.n;
            shared.local.publish(Topic::Control, Arc::new(event));
            if gap {
                tracing::warn!("bus: gap in control events; resyncing listeners");
                shared.announce_resync();
            }
            return;
        }
        shared.local.publish(topic.clone(), Arc::new(event));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_made_envelope_reads_back() {
        let item = Outgoing {
            channel: "p:bus:u:alice".to_owned(),
            number: 7,
            published_at: 1_234,
            event: Arc::new(vec!["a\"b".to_owned()]),
        };
        let body = serde_json::to_vec(&*item.event).expect("serialise");
        let instance = serde_json::Value::from("inst-1").to_string();
        let read: InEnvelope<Vec<String>> =
            serde_json::from_slice(&envelope(&instance, &item, &body)).expect("envelope");
        assert_eq!(
            (read.o.as_str(), read.n, read.t, read.e),
            ("inst-1", 7, 1_234, vec!["a\"b".to_owned()])
        );
    }
}
