//! Who is online: counted from open WebSocket connections, in this process or
//! across instances through Redis.
//!
//! With Redis, each user has a sorted set `<prefix>:online:<user>` of the
//! instances where they have a live socket, scored by when that entry
//! expires. Each instance refreshes its entries every third of the TTL, so an
//! instance that dies stops counting within the TTL; one that stops cleanly
//! removes its entries at once ([`Presence::shutdown`]). Writes go through one
//! worker, in order, and `connect` returns once its entry is written, so a
//! socket is counted everywhere by the time it is acknowledged.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use tokio::sync::{mpsc, oneshot};

use crate::error::{AppError, AppResult};

/// Live connection counts per user.
#[derive(Clone, Default)]
pub struct Presence {
    counts: Arc<Mutex<HashMap<String, usize>>>,
    redis: Option<Arc<RedisPresence>>,
}

/// The Redis side of presence.
struct RedisPresence {
    conn: redis::aio::MultiplexedConnection,
    prefix: String,
    instance: String,
    ttl: Duration,
    writes: mpsc::UnboundedSender<Write>,
}

/// One change for the writer.
enum Write {
    /// The user's first local socket opened; `done` once written.
    Online(String, Option<oneshot::Sender<()>>),
    /// The user's last local socket closed.
    Offline(String),
    /// Remove every entry of this instance; `done` once removed.
    Shutdown(oneshot::Sender<()>),
    /// Nothing to write: `done` once every write queued before it is applied.
    Flush(oneshot::Sender<()>),
}

fn lock(counts: &Mutex<HashMap<String, usize>>) -> MutexGuard<'_, HashMap<String, usize>> {
    match counts.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Presence {
    /// Presence shared through Redis by every instance using `prefix`.
    pub async fn redis(
        client: &redis::Client,
        prefix: &str,
        instance: &str,
        ttl: Duration,
    ) -> redis::RedisResult<Self> {
        let conn = client
            .get_multiplexed_async_connection_with_config(&super::redis_bus::connection_config())
            .await?;
        let (writes, queue) = mpsc::unbounded_channel();
        let redis = Arc::new(RedisPresence {
            conn,
            prefix: prefix.to_owned(),
            instance: instance.to_owned(),
            ttl,
            writes,
        });
        let presence = Self {
            counts: Arc::default(),
            redis: Some(Arc::clone(&redis)),
        };
        tokio::spawn(write_worker(
            Arc::downgrade(&redis),
            Arc::downgrade(&presence.counts),
            queue,
        ));
        Ok(presence)
    }

    /// Mark one more connection of `user_id` as open until the guard drops.
    pub async fn connect(&self, user_id: &str) -> PresenceGuard {
        let first = {
            let mut counts = lock(&self.counts);
            let n = counts.entry(user_id.to_owned()).or_default();
            *n += 1;
            *n == 1
        };
        if let (true, Some(redis)) = (first, &self.redis) {
            let (done, written) = oneshot::channel();
            if redis
                .writes
                .send(Write::Online(user_id.to_owned(), Some(done)))
                .is_ok()
            {
                // Bounded: a Redis outage must not hold up the socket.
                let _ = tokio::time::timeout(Duration::from_secs(2), written).await;
            }
        }
        PresenceGuard {
            presence: self.clone(),
            user_id: user_id.to_owned(),
        }
    }

    /// Whether `user_id` has at least one open connection on any instance.
    pub async fn is_online(&self, user_id: &str) -> AppResult<bool> {
        Ok(self.count_online([user_id]).await? > 0)
    }

    /// How many of `user_ids` are online on any instance.
    pub async fn count_online<'a>(
        &self,
        user_ids: impl IntoIterator<Item = &'a str>,
    ) -> AppResult<usize> {
        let users: Vec<&str> = user_ids.into_iter().collect();
        Ok(self
            .online_of(&users)
            .await?
            .into_iter()
            .filter(|o| *o)
            .count())
    }

    /// For each of `user_ids`, whether they are online on any instance (one
    /// Redis round trip for all of them).
    pub async fn online_of(&self, user_ids: &[&str]) -> AppResult<Vec<bool>> {
        let Some(redis) = &self.redis else {
            let counts = lock(&self.counts);
            return Ok(user_ids
                .iter()
                .map(|u| counts.get(*u).is_some_and(|n| *n > 0))
                .collect());
        };
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_millis();
        let mut pipe = redis::pipe();
        for user in user_ids {
            pipe.zcount(redis.key(user), now, "+inf");
        }
        let mut conn = redis.conn.clone();
        let counts: Vec<i64> = pipe
            .query_async(&mut conn)
            .await
            .map_err(|err| AppError::Unavailable(Box::new(err)))?;
        Ok(counts.into_iter().map(|n| n > 0).collect())
    }

    /// Whether `user_id` has a socket on this instance.
    pub fn is_local(&self, user_id: &str) -> bool {
        lock(&self.counts).get(user_id).is_some_and(|n| *n > 0)
    }

    /// Wait until every presence change made so far is written to Redis
    /// (at once in process), so that a read after it sees them.
    pub async fn settled(&self) {
        if let Some(redis) = &self.redis {
            let (done, flushed) = oneshot::channel();
            if redis.writes.send(Write::Flush(done)).is_ok() {
                // Bounded like the other writes: a Redis outage must not hang callers.
                let _ = tokio::time::timeout(Duration::from_secs(2), flushed).await;
            }
        }
    }

    /// Remove this instance's presence at once (on a clean stop).
    pub async fn shutdown(&self) {
        if let Some(redis) = &self.redis {
            let (done, removed) = oneshot::channel();
            if redis.writes.send(Write::Shutdown(done)).is_ok() {
                let _ = tokio::time::timeout(Duration::from_secs(2), removed).await;
            }
        }
    }

    /// Whether Redis answers (always true in process).
    pub async fn ping(&self) -> bool {
        let Some(redis) = &self.redis else {
            return true;
        };
        let mut conn = redis.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .is_ok()
    }

    /// Users with a socket on this instance.
    pub fn local_users(&self) -> usize {
        lock(&self.counts).len()
    }
}

impl RedisPresence {
    fn key(&self, user: &str) -> String {
        format!("{}:online:{user}", self.prefix)
    }

    /// Add or refresh `users`' entries for this instance.
    async fn mark_online(&self, users: &[String]) -> redis::RedisResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        let ttl_ms = self.ttl.as_millis() as i64;
        let now = now_millis();
        let mut pipe = redis::pipe();
        for user in users {
            let key = self.key(user);
            pipe.zadd(&key, &self.instance, now + ttl_ms).ignore();
            // Dead entries of other instances go with the key's own expiry.
            pipe.zrembyscore(&key, "-inf", now).ignore();
            pipe.pexpire(&key, ttl_ms).ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async(&mut conn).await
    }

    async fn mark_offline(&self, users: &[String]) -> redis::RedisResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for user in users {
            pipe.zrem(self.key(user), &self.instance).ignore();
        }
        let mut conn = self.conn.clone();
        pipe.query_async(&mut conn).await
    }
}

/// Apply presence writes in order, and refresh every local user's entry
/// every third of the TTL.
async fn write_worker(
    redis: std::sync::Weak<RedisPresence>,
    counts: std::sync::Weak<Mutex<HashMap<String, usize>>>,
    mut queue: mpsc::UnboundedReceiver<Write>,
) {
    let period = match redis.upgrade() {
        Some(redis) => (redis.ttl / 3).max(Duration::from_millis(500)),
        None => return,
    };
    let mut refresh = tokio::time::interval(period);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopped = false;
    loop {
        tokio::select! {
            write = queue.recv() => {
                let Some(write) = write else { return };
                let Some(redis) = redis.upgrade() else { return };
                let result = match write {
                    Write::Online(user, done) => {
                        let result = if stopped { Ok(()) } else { redis.mark_online(&[user]).await };
                        if let Some(done) = done {
                            let _ = done.send(());
                        }
                        result
                    }
                    Write::Offline(user) => redis.mark_offline(&[user]).await,
                    Write::Flush(done) => {
                        let _ = done.send(());
                        Ok(())
                    }
                    Write::Shutdown(done) => {
                        stopped = true;
                        let users: Vec<String> = counts
                            .upgrade()
                            .map(|c| lock(&c).keys().cloned().collect())
                            .unwrap_or_default();
                        let result = redis.mark_offline(&users).await;
                        let _ = done.send(());
                        result
                    }
                };
                if let Err(err) = result {
                    tracing::warn!(error = %err, "presence: Redis write failed");
                }
            }
            _ = refresh.tick(), if !stopped => {
                let (Some(redis), Some(counts)) = (redis.upgrade(), counts.upgrade()) else {
                    return;
                };
                let users: Vec<String> = lock(&counts).keys().cloned().collect();
                if let Err(err) = redis.mark_online(&users).await {
                    tracing::warn!(error = %err, "presence: Redis refresh failed");
                }
            }
        }
    }
}

/// Keeps a connection counted as online while alive.
pub struct PresenceGuard {
    presence: Presence,
    user_id: String,
}

impl Drop for PresenceGuard {
    fn drop(&mut self) {
        let last = {
            let mut counts = lock(&self.presence.counts);
            match counts.get_mut(&self.user_id) {
                Some(n) => {
                    *n = n.saturating_sub(1);
                    let last = *n == 0;
                    if last {
                        counts.remove(&self.user_id);
                    }
                    last
                }
                None => false,
            }
        };
        if let (true, Some(redis)) = (last, &self.presence.redis) {
            let _ = redis
                .writes
                .send(Write::Offline(std::mem::take(&mut self.user_id)));
        }
    }
}
