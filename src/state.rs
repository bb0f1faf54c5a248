//! Application state and its construction: connect, migrate, keys, file store.
//!
//! Everything below the adapters takes `&AppState` from here; nothing here
//! knows about routers, GraphQL or the compat surface.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use migration::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::{
    auth::{ratelimit::RateLimits, PasswordHasher, Sessions, TokenKeys},
    config::{Config, SqliteSync},
    error::{AppError, AppResult},
    events::Event,
    realtime::{BusStats, EventBus, LiveSettings, Presence},
};

/// Everything a request needs, no globals. A handle: cloning it (once per
/// request, several times per socket) copies one pointer, not the parts.
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The parts of [`AppState`], shared by every handle to it.
pub struct SharedState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Validated configuration.
    pub config: Arc<Config>,
    /// JWT keys.
    pub keys: TokenKeys,
    /// Password hashing with a concurrency cap.
    pub hasher: PasswordHasher,
    /// Where services publish live events after commit.
    pub bus: Arc<dyn EventBus<Event>>,
    /// Open WebSocket connections per user.
    pub presence: Presence,
    /// Serialises write transactions on SQLite, which has one writer at a time:
    /// queueing here instead of in SQLite keeps "database is locked" from clients.
    pub write_gate: Option<Arc<Mutex<()>>>,
    /// The group-commit writer that units of work queue for (SQLite only).
    pub writer: Option<crate::writer::Writer>,
    /// Orders sends within a channel from sequence allocation to publishing.
    pub channel_locks: crate::realtime::locks::ChannelLocks,
    /// Uploaded files and the budget for image work.
    pub files: crate::files::Files,
    /// Sessions ended by `logout` (of tokens not yet expired).
    pub sessions: Sessions,
    /// Login and send rate limits.
    pub rate_limits: Arc<RateLimits>,
    /// Read caches of the send path, each invalidated by the service that
    /// changes what it holds.
    pub caches: Arc<Caches>,
    /// Prepared statements run so far (every query and write; not the
    /// transaction control statements), for tests and metrics.
    pub db_statements: Arc<AtomicU64>,
    /// Set when the server stops: open sockets close with 1001.
    pub shutdown: crate::realtime::Stopping,
    /// The Redis bus's counters, when the bus is Redis.
    pub bus_stats: Option<Arc<BusStats>>,
    /// Who is typing where (kept in memory only).
    pub typing: crate::conversations::typing_tracker::TypingTracker,
}

impl AppState {
    /// Connect, migrate and build the state from a validated configuration.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        config.validate().map_err(anyhow::Error::msg)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::Error::msg(format!("cannot create data dir: {e}")))?;
        let mut db = connect(&config).await?;
        let db_statements = Arc::new(AtomicU64::new(0));
        let counter = db_statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        migration::Migrator::up(&db, None)
            .await
            .map_err(|e| anyhow::Error::msg(format!("migration failed: {e}")))?;
        let secret = crate::secret::load_or_create(&config)?;
        let keys = TokenKeys::new(&secret, &config.jwt_issuer, config.token_ttl);
        let hasher = PasswordHasher::new(config.hash_concurrency)
            .map_err(|_| anyhow::Error::msg("password hasher failed to start"))?;
        let write_gate = config.is_sqlite().then(|| Arc::new(Mutex::new(())));
        let writer = write_gate
            .as_ref()
            .map(|gate| crate::writer::Writer::start(db.clone(), gate.clone()));
        let instance = uuid::Uuid::now_v7().simple().to_string();
        let live = crate::realtime::start(LiveSettings {
            redis_url: config.redis_url.as_deref(),
            prefix: &config.redis_prefix,
            presence_ttl: config.presence_ttl(),
            capacity: config.bus_capacity,
            instance: &instance,
        })
        .await?;
        let files = crate::files::Files::local(&config)
            .map_err(|e| anyhow::Error::msg(format!("cannot open the file store: {e}")))?;
        let sessions = Sessions::load(&db)
            .await
            .map_err(|e| anyhow::Error::msg(format!("cannot load revoked sessions: {e}")))?;
        let rate_limits = Arc::new(RateLimits::new(
            config.login_failures_per_minute,
            config.login_rate_per_address_per_minute,
            config.send_rate_per_second,
        ));
        Ok(Self(Arc::new(SharedState {
            db,
            config: Arc::new(config),
            keys,
            hasher,
            bus: live.bus,
            presence: live.presence,
            write_gate,
            writer,
            channel_locks: Default::default(),
            files,
            sessions,
            rate_limits,
            caches: Default::default(),
            db_statements,
            shutdown: Default::default(),
            bus_stats: live.stats,
            typing: Default::default(),
        })))
    }

    /// Hold the write gate (SQLite only) for the duration of one write
    /// statement outside a transaction. Every write takes it: SQLite has one
    /// writer, and a writer that skipped the gate would meet "database is
    /// locked" instead of waiting its turn.
    pub async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// Take the write gate and open a transaction, together: the one way to
    /// start a multi-statement write.
    pub async fn begin_write(&self) -> AppResult<WriteTx<'_>> {
        let gate = self.write_guard().await;
        let tx = self.db.begin().await?;
        Ok(WriteTx { tx, _gate: gate })
    }

    /// Whether the database answers.
    pub async fn ping_db(&self) -> AppResult<()> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|err| AppError::Unavailable(Box::new(err)))
    }
}

/// A write transaction holding the write gate. Dropping it without
/// [`WriteTx::commit`] rolls back; the gate is released after the rollback.
pub struct WriteTx<'s> {
    // Declared first so that it drops (rolls back) before the gate opens.
    tx: DatabaseTransaction,
    _gate: Option<MutexGuard<'s, ()>>,
}

impl WriteTx<'_> {
    /// The open transaction, to run statements on.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Commit, then release the gate.
    pub async fn commit(self) -> AppResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Open the pool; SQLite gets WAL, foreign keys, a busy timeout and the chosen `synchronous`.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url();
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    let sync = config.sqlite_sync;
    options.map_sqlx_sqlite_opts(move |opts| {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        opts.journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .synchronous(match sync {
                SqliteSync::Normal => SqliteSynchronous::Normal,
                SqliteSync::Full => SqliteSynchronous::Full,
            })
            .create_if_missing(true)
    });
    Database::connect(options)
        .await
        .map_err(|e| anyhow::Error::msg(format!("cannot connect to the database: {e}")))
}

/// Every read cache of the state.
#[derive(Default)]
pub struct Caches {
    /// Users by ID (sender profile fields, recipient existence).
    pub users: crate::users::cache::UserCache,
    /// Blacklists by owner.
    pub blacklist: crate::blacklist::cache::BlacklistCache,
    /// Channel IDs by channel key.
    pub channels: crate::messages::cache::ChannelCache,
    /// Groups and their members (type, mute, role, card).
    pub groups: crate::groups::cache::GroupCache,
}

impl Caches {
    /// Drop everything every cache holds (after changes made elsewhere).
    pub fn invalidate_all(&self) {
        self.users.invalidate_all();
        self.blacklist.invalidate_all();
        self.channels.invalidate_all();
        self.groups.invalidate_all();
    }
}
