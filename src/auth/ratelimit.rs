//! In-process rate limits: a sliding window of recent events per key (an
//! account, a user, a client address), with bounded memory.
//!
//! Each key keeps at most `limit` instants (the events of the last window);
//! keys idle for a whole window are swept at most once per window, and when
//! the table is full the key with the oldest last event makes room. The
//! limits live in this process only: with several processes each counts on
//! its own.

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::error::AppError;

/// Keys one limiter tracks at most (about 100 bytes each, plus the events).
pub const MAX_TRACKED_KEYS: usize = 100_000;

/// Longest key kept: longer keys are cut (at a character boundary).
const MAX_KEY_BYTES: usize = 64;

/// An event over its limit: how long until one more would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Time until the oldest event in the window leaves it.
    pub retry_after: Duration,
}

impl Limited {
    /// `RATE_LIMITED` with this wait, and `what` as the message.
    pub fn into_error(self, what: &str) -> AppError {
        let ms = self.retry_after.as_millis().max(1);
        AppError::RateLimited {
            message: format!("{what}: try again in {} s", ms.div_ceil(1000)),
            retry_after_ms: u64::try_from(ms).unwrap_or(u64::MAX),
        }
    }
}

/// At most `limit` events per key in any `window`; a limit of 0 allows all.
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    max_keys: usize,
    table: Mutex<Table>,
}

struct Table {
    events: HashMap<String, VecDeque<Instant>>,
    last_sweep: Instant,
}

impl RateLimiter {
    /// A limiter of `limit` events per `window` (0: off).
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_capacity(limit, window, MAX_TRACKED_KEYS)
    }

    /// Like [`RateLimiter::new`], tracking at most `max_keys` keys.
    pub fn with_capacity(limit: u32, window: Duration, max_keys: usize) -> Self {
        Self {
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            window,
            max_keys: max_keys.max(1),
            table: Mutex::new(Table {
                events: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        }
    }

    /// Whether this limiter limits anything.
    pub fn is_enabled(&self) -> bool {
        self.limit > 0
    }

    /// Count one event of `key` if it is within the limit; otherwise count
    /// nothing and say how long to wait.
    pub fn acquire(&self, key: &str) -> Result<(), Limited> {
        self.acquire_at(key, Instant::now())
    }

    /// Forget the events of `key` (a successful login ends its failures).
    pub fn clear(&self, key: &str) {
        if self.is_enabled() {
            self.lock().events.remove(short_key(key));
        }
    }

    /// Keys tracked now (for tests and metrics).
    pub fn tracked_keys(&self) -> usize {
        self.lock().events.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // A panic while holding the lock cannot leave the table inconsistent
        // in a way that matters for a rate limit: keep using it.
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn acquire_at(&self, key: &str, now: Instant) -> Result<(), Limited> {
        if !self.is_enabled() {
            return Ok(());
        }
        let key = short_key(key);
        let window = self.window;
        let mut table = self.lock();
        if now.saturating_duration_since(table.last_sweep) >= window {
            table.events.retain(|_, events| {
                events
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window)
            });
            table.last_sweep = now;
        }
        if !table.events.contains_key(key) && table.events.len() >= self.max_keys {
            evict_oldest(&mut table.events);
        }
        let events = table.events.entry(key.to_owned()).or_default();
        while events
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            events.pop_front();
        }
        if events.len() >= self.limit {
            let oldest = events.front().copied().unwrap_or(now);
            return Err(Limited {
                retry_after: (oldest + window).saturating_duration_since(now),
            });
        }
        events.push_back(now);
        Ok(())
    }
}

/// Drop the key whose last event is the oldest.
fn evict_oldest(events: &mut HashMap<String, VecDeque<Instant>>) {
    let oldest = events
        .iter()
        .min_by_key(|(_, e)| e.back().copied())
        .map(|(k, _)| k.clone());
    if let Some(key) = oldest {
        events.remove(&key);
    }
}

fn short_key(key: &str) -> &str {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut end = MAX_KEY_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

/// Every rate limit of the server, built from the configuration.
pub struct RateLimits {
    /// Failed logins per account per minute (counted before hashing).
    pub login_failures: RateLimiter,
    /// Login attempts per client address per minute.
    pub login_per_address: RateLimiter,
    /// Message creates and sends per user per second.
    pub sends: RateLimiter,
}

impl RateLimits {
    /// The limits for these settings (0 turns one off).
    pub fn new(
        login_failures_per_minute: u32,
        login_per_address_per_minute: u32,
        sends_per_second: u32,
    ) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            login_failures: RateLimiter::new(login_failures_per_minute, minute),
            login_per_address: RateLimiter::new(login_per_address_per_minute, minute),
            sends: RateLimiter::new(sends_per_second, Duration::from_secs(1)),
        }
    }

    /// Count a login attempt from `client` (when its address is known).
    pub fn login_attempt_from(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        match client {
            Some(ip) => self
                .login_per_address
                .acquire(&ip.to_string())
                .map_err(|l| l.into_error("too many login attempts from this address")),
            None => Ok(()),
        }
    }

    /// Count one message create or send of `user`.
    pub fn send_by(&self, user: &str) -> Result<(), AppError> {
        self.sends
            .acquire(user)
            .map_err(|l| l.into_error("sending too fast"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_over_the_limit_is_refused_until_the_window_moves() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..3 {
            assert!(limiter
                .acquire_at("alice", start + Duration::from_secs(i))
                .is_ok());
        }
        let refused = limiter
            .acquire_at("alice", start + Duration::from_secs(10))
            .expect_err("fourth event");
        assert_eq!(refused.retry_after, Duration::from_secs(50));
        assert!(limiter.acquire_at("bob", start).is_ok());
        assert!(limiter
            .acquire_at("alice", start + Duration::from_secs(60))
            .is_ok());
    }

    #[test]
    fn a_limit_of_zero_allows_everything_and_tracks_nothing() {
        let limiter = RateLimiter::new(0, Duration::from_secs(1));
        for _ in 0..100 {
            assert!(limiter.acquire("alice").is_ok());
        }
        assert_eq!(limiter.tracked_keys(), 0);
    }

    #[test]
    fn idle_keys_are_swept_and_the_table_never_outgrows_its_capacity() {
        let limiter = RateLimiter::with_capacity(1, Duration::from_secs(1), 10);
        let start = Instant::now();
        for i in 0..100 {
            assert!(limiter.acquire_at(&format!("user{i}"), start).is_ok());
            assert!(limiter.tracked_keys() <= 10);
        }
        assert!(limiter
            .acquire_at("late", start + Duration::from_secs(2))
            .is_ok());
        assert_eq!(limiter.tracked_keys(), 1);
    }

    #[test]
    fn clearing_a_key_forgets_its_events() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        assert!(limiter.acquire("alice").is_ok());
        assert!(limiter.acquire("alice").is_err());
        limiter.clear("alice");
        assert!(limiter.acquire("alice").is_ok());
    }

    #[test]
    fn long_keys_are_cut_at_a_character_boundary() {
        let key = "é".repeat(100);
        assert!(short_key(&key).len() <= MAX_KEY_BYTES);
        assert!(short_key(&key).chars().all(|c| c == 'é'));
    }

    #[test]
    fn the_error_carries_the_wait_in_milliseconds() {
        let err = Limited {
            retry_after: Duration::from_millis(1500),
        }
        .into_error("slow down");
        assert_eq!(err.code(), "RATE_LIMITED");
        assert_eq!(err.retry_after_ms(), Some(1500));
    }
}
