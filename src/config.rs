//! One typed configuration, read from flags and environment variables.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

/// The smallest `IMGQL_MAX_MESSAGE_BYTES` accepted: room for the longest
/// text and its custom data.
pub const MIN_MESSAGE_BYTES: usize = 64 * 1024;

/// Command line of the `imgql` binary.
#[derive(Debug, Parser)]
#[command(
    name = "imgql",
    version,
    about = "An IM backend with a GraphQL API and live WebSocket delivery"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the binary does; serving is the default.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run pending migrations and serve (the default).
    Serve,
    /// Print the GraphQL schema (SDL) and exit.
    ExportSchema,
    /// Run pending migrations and exit.
    Migrate,
}

/// SQLite's `synchronous` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqliteSync {
    /// Safe in WAL mode against application crashes; the default.
    Normal,
    /// Also safe against power loss, at a cost per commit.
    Full,
}

/// Every setting of the server; each is a flag and an environment variable.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "IMGQL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Directory for the SQLite file, the generated JWT secret and uploads.
    #[arg(long, env = "IMGQL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL; default `sqlite://<data dir>/imgql.db`. A `postgres://` URL selects PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Maximum database connections in the pool.
    #[arg(long, env = "IMGQL_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// SQLite `synchronous` mode.
    #[arg(long, env = "IMGQL_SQLITE_SYNC", value_enum, default_value = "normal")]
    pub sqlite_sync: SqliteSync,

    /// JWT signing secret (at least 32 bytes). When absent one is generated and kept in the data dir.
    #[arg(long, env = "IMGQL_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Token lifetime in seconds.
    #[arg(long, env = "IMGQL_TOKEN_TTL", default_value_t = 7 * 24 * 3600)]
    pub token_ttl: u64,

    /// JWT `iss` and `aud`.
    #[arg(long, env = "IMGQL_JWT_ISSUER", default_value = "imgql")]
    pub jwt_issuer: String,

    /// Largest JSON request body in bytes.
    #[arg(long, env = "IMGQL_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Seconds within which a sender may revoke their message.
    #[arg(long, env = "IMGQL_REVOKE_LIMIT", default_value_t = 120)]
    pub revoke_limit: i64,

    /// Concurrent password hashes (each takes about 19 MiB).
    #[arg(long, env = "IMGQL_HASH_CONCURRENCY", default_value_t = 4)]
    pub hash_concurrency: usize,

    /// Maximum subscriptions on one WebSocket.
    #[arg(long, env = "IMGQL_WS_MAX_SUBSCRIPTIONS", default_value_t = 100)]
    pub ws_max_subscriptions: usize,

    /// Seconds a WebSocket may take to send `connection_init`.
    #[arg(long, env = "IMGQL_WS_INIT_TIMEOUT", default_value_t = 10)]
    pub ws_init_timeout: u64,

    /// Seconds between server keepalive pings on a WebSocket.
    #[arg(long, env = "IMGQL_WS_KEEPALIVE", default_value_t = 15)]
    pub ws_keepalive: u64,

    /// Allowed CORS origins, comma separated; `*` allows any (no credentials).
    #[arg(
        long,
        env = "IMGQL_CORS_ORIGINS",
        default_value = "*",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// Events a live subscriber may fall behind on a group before it is caught
    /// up from the database instead (a quarter of it on the user's own events).
    #[arg(long, env = "IMGQL_BUS_CAPACITY", default_value_t = 1024)]
    pub bus_capacity: usize,

    /// Per-request timeout in seconds (HTTP, not WebSocket).
    #[arg(long, env = "IMGQL_REQUEST_TIMEOUT", default_value_t = 120)]
    pub request_timeout: u64,

    /// Seconds a client may take to send the headers of a request (the first
    /// of a connection, or the next on a kept-alive one); then the connection
    /// is closed.
    #[arg(long, env = "IMGQL_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,

    /// Largest image (jpg, png, gif, bmp, webp) an image message may carry, in bytes.
    #[arg(long, env = "IMGQL_MAX_IMAGE_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_image_bytes: u64,

    /// Largest audio file an audio message may carry, in bytes.
    #[arg(long, env = "IMGQL_MAX_AUDIO_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_audio_bytes: u64,

    /// Largest video (mp4, mov) a video message may carry, in bytes.
    #[arg(long, env = "IMGQL_MAX_VIDEO_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_video_bytes: u64,

    /// Largest file a file message may carry, in bytes.
    #[arg(long, env = "IMGQL_MAX_FILE_BYTES", default_value_t = 100 * 1024 * 1024)]
    pub max_file_bytes: u64,

    /// Most files one upload request may carry.
    #[arg(long, env = "IMGQL_MAX_FILES_PER_REQUEST", default_value_t = 1)]
    pub max_files_per_request: usize,

    /// Largest stored message payload in bytes (a merged record is sized as it
    /// is built); over it a send is `PAYLOAD_TOO_LARGE`.
    #[arg(long, env = "IMGQL_MAX_MESSAGE_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_message_bytes: usize,

    /// Most bytes of uploads one user may keep stored (the sum of their files).
    #[arg(long, env = "IMGQL_UPLOAD_QUOTA_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub upload_quota_bytes: u64,

    /// Seconds an upload may stay without any message (sent, unsent or failed)
    /// naming it; then it is deleted.
    #[arg(long, env = "IMGQL_UNATTACHED_FILE_TTL", default_value_t = 86_400)]
    pub unattached_file_ttl: u64,

    /// Seconds between sweeps for unattached uploads; default the TTL, at most an hour.
    #[arg(long, env = "IMGQL_UNATTACHED_FILE_SWEEP_INTERVAL")]
    pub unattached_file_sweep_interval: Option<u64>,

    /// Most pixels (width x height) an uploaded image may have, read from its
    /// header before anything is decoded.
    #[arg(long, env = "IMGQL_MAX_IMAGE_PIXELS", default_value_t = 50_000_000)]
    pub max_image_pixels: u64,

    /// Absolute base of file URLs (e.g. `https://im.example.com`); empty makes them relative (`/files/<id>`).
    #[arg(long, env = "IMGQL_PUBLIC_URL", default_value = "")]
    pub public_url: String,

    /// Failed logins per account in any minute; over it `login` answers
    /// `RATE_LIMITED` (before hashing, even for the right password). 0 turns it off.
    #[arg(long, env = "IMGQL_LOGIN_FAILURES_PER_MINUTE", default_value_t = 10)]
    pub login_failures_per_minute: u32,

    /// Login attempts per client address in any minute; 0 (the default) turns it off.
    #[arg(
        long,
        env = "IMGQL_LOGIN_RATE_PER_ADDRESS_PER_MINUTE",
        default_value_t = 0
    )]
    pub login_rate_per_address_per_minute: u32,

    /// Messages a user may create or send in any second; 0 (the default) turns it off.
    #[arg(long, env = "IMGQL_SEND_RATE_PER_SECOND", default_value_t = 0)]
    pub send_rate_per_second: u32,

    /// Redis URL (e.g. `redis://127.0.0.1:6379`): when set, live events and
    /// presence go through Redis so several instances act as one; unset keeps
    /// everything in this process (one instance).
    #[arg(long, env = "IMGQL_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel, so deployments can share a Redis.
    #[arg(long, env = "IMGQL_REDIS_PREFIX", default_value = "imgql")]
    pub redis_prefix: String,

    /// Seconds a live socket keeps its user online in Redis without a refresh
    /// (an instance that dies stops counting within it).
    #[arg(long, env = "IMGQL_PRESENCE_TTL", default_value_t = 30)]
    pub presence_ttl: u64,

    /// Directory of uploaded files; default `<data dir>/files`. Instances that
    /// share a database must share it too.
    #[arg(long, env = "IMGQL_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// Header naming the client address when behind a reverse proxy (e.g.
    /// `x-forwarded-for`; its last entry counts); empty uses the socket peer.
    #[arg(long, env = "IMGQL_TRUSTED_PROXY_HEADER", default_value = "")]
    pub trusted_proxy_header: String,
}

/// Largest value of any rate limit setting (each key keeps one instant per event).
pub const MAX_RATE_LIMIT: u32 = 10_000;

impl Config {
    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("imgql.db").display()
            ),
        }
    }

    /// The directory of uploaded files in force.
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }

    /// How long presence lasts in Redis without a refresh.
    pub fn presence_ttl(&self) -> Duration {
        Duration::from_secs(self.presence_ttl)
    }

    /// Whether the database is SQLite.
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    /// Token lifetime.
    pub fn token_ttl(&self) -> Duration {
        Duration::from_secs(self.token_ttl)
    }

    /// Time a client has to send a request's headers.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout)
    }

    /// The largest upload accepted: the largest limit of any media kind.
    pub fn max_upload_bytes(&self) -> u64 {
        self.max_image_bytes
            .max(self.max_audio_bytes)
            .max(self.max_video_bytes)
            .max(self.max_file_bytes)
    }

    /// How long an upload may stay unattached.
    pub fn unattached_file_ttl(&self) -> Duration {
        Duration::from_secs(self.unattached_file_ttl)
    }

    /// Time between sweeps for unattached uploads.
    pub fn unattached_file_sweep_interval(&self) -> Duration {
        Duration::from_secs(
            self.unattached_file_sweep_interval
                .unwrap_or_else(|| self.unattached_file_ttl.min(3600)),
        )
    }

    /// Check values that clap cannot.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(secret) = &self.jwt_secret {
            if secret.len() < 32 {
                return Err("IMGQL_JWT_SECRET must be at least 32 bytes".into());
            }
        }
        if self.token_ttl == 0 {
            return Err("IMGQL_TOKEN_TTL must be positive".into());
        }
        if self.hash_concurrency == 0 || self.db_max_connections == 0 {
            return Err(
                "IMGQL_HASH_CONCURRENCY and IMGQL_DB_MAX_CONNECTIONS must be positive".into(),
            );
        }
        if self.header_timeout == 0 {
            return Err("IMGQL_HEADER_TIMEOUT must be positive".into());
        }
        if self.bus_capacity == 0 {
            return Err("IMGQL_BUS_CAPACITY must be positive".into());
        }
        if self.max_message_bytes < MIN_MESSAGE_BYTES {
            return Err(format!(
                "IMGQL_MAX_MESSAGE_BYTES must be at least {MIN_MESSAGE_BYTES} (one full text message)"
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err("IMGQL_MAX_BODY_BYTES must be at least 1024".into());
        }
        if [
            self.max_image_bytes,
            self.max_audio_bytes,
            self.max_video_bytes,
            self.max_file_bytes,
        ]
        .contains(&0)
            || self.max_files_per_request == 0
        {
            return Err(
                "IMGQL_MAX_*_BYTES and IMGQL_MAX_FILES_PER_REQUEST must be positive".into(),
            );
        }
        if self.upload_quota_bytes == 0 || self.max_image_pixels == 0 {
            return Err(
                "IMGQL_UPLOAD_QUOTA_BYTES and IMGQL_MAX_IMAGE_PIXELS must be positive".into(),
            );
        }
        if self.unattached_file_ttl == 0 || self.unattached_file_sweep_interval == Some(0) {
            return Err(
                "IMGQL_UNATTACHED_FILE_TTL and IMGQL_UNATTACHED_FILE_SWEEP_INTERVAL must be positive"
                    .into(),
            );
        }
        if !(self.public_url.is_empty()
            || self.public_url.starts_with("http://")
            || self.public_url.starts_with("https://"))
        {
            return Err("IMGQL_PUBLIC_URL must be empty or an http(s):// URL".into());
        }
        if [
            self.login_failures_per_minute,
            self.login_rate_per_address_per_minute,
            self.send_rate_per_second,
        ]
        .iter()
        .any(|&n| n > MAX_RATE_LIMIT)
        {
            return Err(format!(
                "IMGQL_LOGIN_FAILURES_PER_MINUTE, IMGQL_LOGIN_RATE_PER_ADDRESS_PER_MINUTE and \
                 IMGQL_SEND_RATE_PER_SECOND must be at most {MAX_RATE_LIMIT}"
            ));
        }
        if !self.trusted_proxy_header.is_empty()
            && axum::http::HeaderName::from_bytes(self.trusted_proxy_header.as_bytes()).is_err()
        {
            return Err("IMGQL_TRUSTED_PROXY_HEADER must be empty or a header name".into());
        }
        if let Some(redis) = &self.redis_url {
            if !(redis.starts_with("redis://") || redis.starts_with("rediss://")) {
                return Err("IMGQL_REDIS_URL must be a redis:// URL".into());
            }
        }
        if self.redis_prefix.is_empty()
            || self.redis_prefix.len() > 64
            || !self
                .redis_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err("IMGQL_REDIS_PREFIX must be 1 to 64 of A-Z a-z 0-9 - _ .".into());
        }
        if !(2..=3600).contains(&self.presence_ttl) {
            return Err("IMGQL_PRESENCE_TTL must be 2 to 3600 seconds".into());
        }
        let url = self.database_url();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err("DATABASE_URL must be a sqlite: or postgres:// URL".into());
        }
        Ok(())
    }

    /// A configuration for tests: everything default, in the given data dir.
    pub fn for_tests(data_dir: PathBuf, database_url: Option<String>) -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            database_url,
            db_max_connections: 8,
            sqlite_sync: SqliteSync::Normal,
            jwt_secret: Some("test-secret-test-secret-test-secret!".into()),
            token_ttl: 3600,
            jwt_issuer: "imgql".into(),
            max_body_bytes: 1024 * 1024,
            revoke_limit: 120,
            hash_concurrency: 4,
            ws_max_subscriptions: 100,
            ws_init_timeout: 10,
            ws_keepalive: 15,
            cors_origins: vec!["*".into()],
            bus_capacity: 1024,
            request_timeout: 30,
            header_timeout: 10,
            max_image_bytes: 20 * 1024 * 1024,
            max_audio_bytes: 20 * 1024 * 1024,
            max_video_bytes: 100 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            max_files_per_request: 1,
            max_message_bytes: 2 * 1024 * 1024,
            upload_quota_bytes: 1024 * 1024 * 1024,
            unattached_file_ttl: 86_400,
            unattached_file_sweep_interval: None,
            max_image_pixels: 50_000_000,
            public_url: String::new(),
            login_failures_per_minute: 10,
            login_rate_per_address_per_minute: 0,
            send_rate_per_second: 0,
            trusted_proxy_header: String::new(),
            redis_url: None,
            redis_prefix: "imgql".into(),
            presence_ttl: 30,
            files_dir: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_settings_are_checked_at_start() {
        let base = || Config::for_tests(PathBuf::from("/tmp/imgql-config-test"), None);
        assert!(base().validate().is_ok());
        let mut config = base();
        config.send_rate_per_second = MAX_RATE_LIMIT + 1;
        assert!(config.validate().is_err());
        let mut config = base();
        config.trusted_proxy_header = "not a header".into();
        assert!(config.validate().is_err());
        let mut config = base();
        config.trusted_proxy_header = "x-forwarded-for".into();
        assert!(config.validate().is_ok());
    }
}
