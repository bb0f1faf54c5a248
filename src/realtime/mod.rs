//! Live delivery transport: the event bus (in process or over Redis),
//! presence, channel locks and helpers for subscription streams. No database
//! and no domain code: the events it carries are defined by the domains
//! (`events`).

pub mod bus;
pub mod locks;
pub mod presence;
pub mod redis_bus;
pub mod stopping;
pub mod stream;

use std::{sync::Arc, time::Duration};

pub use bus::{EventBus, InProcessBus, Subscription, SubscriptionStream, Topic};
pub use presence::{Presence, PresenceGuard};
pub use redis_bus::{BusStats, RedisBus};
pub use stopping::Stopping;

/// The bus and presence of one instance.
pub struct Live<E> {
    /// Where events are published and heard.
    pub bus: Arc<dyn EventBus<E>>,
    /// Who is online.
    pub presence: Presence,
    /// The Redis bus's counters (none in process).
    pub stats: Option<Arc<BusStats>>,
}

/// Where the bus and presence live: this process, or a Redis shared by
/// several instances.
pub struct LiveSettings<'a> {
    /// `None`: in process.
    pub redis_url: Option<&'a str>,
    /// Prefix of every Redis key and channel.
    pub prefix: &'a str,
    /// How long presence lasts without a refresh.
    pub presence_ttl: Duration,
    /// Events a listener may fall behind before it is told it lagged.
    pub capacity: usize,
    /// This instance's unique name (in Redis entries and envelopes).
    pub instance: &'a str,
}

/// Build the bus and presence; with Redis, the first connections must succeed.
pub async fn start<E>(settings: LiveSettings<'_>) -> anyhow::Result<Live<E>>
where
    E: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let Some(url) = settings.redis_url else {
        return Ok(Live {
            bus: Arc::new(InProcessBus::new(settings.capacity)),
            presence: Presence::default(),
            stats: None,
        });
    };
    let unreachable = |e: redis::RedisError| anyhow::anyhow!("cannot reach Redis: {e}");
    let client = redis::Client::open(url).map_err(unreachable)?;
    let bus = RedisBus::start(
        client.clone(),
        settings.prefix,
        settings.instance,
        settings.capacity,
    )
    .await
    .map_err(unreachable)?;
    let presence = Presence::redis(
        &client,
        settings.prefix,
        settings.instance,
        settings.presence_ttl,
    )
    .await
    .map_err(unreachable)?;
    Ok(Live {
        stats: Some(bus.stats()),
        bus: Arc::new(bus),
        presence,
    })
}
