//! Application state, database set-up and router assembly.

use std::{sync::Arc, time::Duration};

use axum::{
    http::{header, HeaderName, HeaderValue, Method},
    Router,
};
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::Mutex;
use tower_http::{
    cors::{AllowOrigin, Any, CorsLayer},
    trace::TraceLayer,
};

use crate::{
    auth::{PasswordHasher, TokenKeys},
    compat,
    config::{Config, SqliteSync},
    error::{AppError, AppResult},
    graphql,
    realtime::{EventBus, InProcessBus, Presence},
};

/// Everything a request needs; cheap to clone, no globals.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// Validated configuration.
    pub config: Arc<Config>,
    /// JWT keys.
    pub keys: TokenKeys,
    /// Password hashing with a concurrency cap.
    pub hasher: PasswordHasher,
    /// Where services publish live events after commit.
    pub bus: Arc<dyn EventBus>,
    /// Open WebSocket connections per user.
    pub presence: Presence,
    /// Serialises write transactions on SQLite, which has one writer at a time:
    /// queueing here instead of in SQLite keeps "database is locked" from clients.
    pub write_gate: Option<Arc<Mutex<()>>>,
    /// Orders sends within a channel from sequence allocation to publishing.
    pub channel_locks: crate::realtime::locks::ChannelLocks,
    /// Uploaded files and the budget for image work.
    pub files: crate::files::Files,
}

impl AppState {
    /// Connect, migrate and build the state from a validated configuration.
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        config.validate().map_err(anyhow::Error::msg)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::Error::msg(format!("cannot create data dir: {e}")))?;
        let db = connect(&config).await?;
        migration::Migrator::up(&db, None)
            .await
            .map_err(|e| anyhow::Error::msg(format!("migration failed: {e}")))?;
        let secret = crate::secret::load_or_create(&config)?;
        let keys = TokenKeys::new(&secret, &config.jwt_issuer, config.token_ttl);
        let hasher = PasswordHasher::new(config.hash_concurrency)
            .map_err(|_| anyhow::Error::msg("password hasher failed to start"))?;
        let write_gate = config.is_sqlite().then(|| Arc::new(Mutex::new(())));
        let bus_capacity = config.bus_capacity;
        let files = crate::files::Files::local(&config)
            .map_err(|e| anyhow::Error::msg(format!("cannot open the file store: {e}")))?;
        Ok(Self {
            db,
            config: Arc::new(config),
            keys,
            hasher,
            bus: Arc::new(InProcessBus::new(bus_capacity)),
            presence: Presence::default(),
            write_gate,
            channel_locks: Default::default(),
            files,
        })
    }

    /// Hold the write gate (SQLite only) for the duration of a write transaction.
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_gate {
            Some(gate) => Some(gate.lock().await),
            None => None,
        }
    }

    /// Whether the database answers.
    pub async fn ping_db(&self) -> AppResult<()> {
        self.db
            .execute_unprepared("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|_| AppError::Unavailable)
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

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let schema = graphql::build_schema(state.clone());
    let http = graphql::HttpState {
        app: state.clone(),
        schema,
    };
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .merge(graphql::routes(http))
        .merge(compat::routes(state.clone()))
        .merge(crate::health::routes(state.clone()))
        .merge(graphql::graphiql::routes())
        .merge(crate::files::http::routes(state.clone()))
        .layer(axum::middleware::from_fn_with_state(
            BodyLimits {
                json: body_limit,
                upload: usize::try_from(crate::files::multipart::upload_body_limit(&state.config))
                    .unwrap_or(usize::MAX),
                timeout: Duration::from_secs(state.config.request_timeout),
            },
            limit_body,
        ))
        .layer(cors(&state.config))
        // Spans name the path only: a `?token=` query must not reach the logs.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
}

/// Request body limits: JSON bodies, and multipart uploads to the upload routes.
#[derive(Clone, Copy)]
struct BodyLimits {
    json: usize,
    upload: usize,
    /// Whole-request deadline for everything but uploads (which have a stall timeout of their own).
    timeout: Duration,
}

/// `RequestBodyLimitLayer`'s behaviour with a limit chosen per request: uploads
/// get room for their files (which are also limited as they arrive, and whose
/// handlers answer an oversized `Content-Length` in their own error format),
/// every other body keeps the JSON limit.
async fn limit_body(
    axum::extract::State(limits): axum::extract::State<BodyLimits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let upload = crate::files::multipart::is_upload_request(&request);
    let limit = if upload { limits.upload } else { limits.json };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    // Upload handlers refuse an oversized declared length themselves, with a coded error.
    if declared.is_some_and(|len| len > limit) && !upload {
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "length limit exceeded",
        )
            .into_response();
    }
    let limit = declared.map_or(limit, |len| len.min(limit));
    let run = next
        .run(request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit))));
    if upload {
        return run.await;
    }
    // A slow request cannot hold a connection (and its pool slot) forever.
    match tokio::time::timeout(limits.timeout, run).await {
        Ok(response) => response,
        Err(_) => (
            axum::http::StatusCode::REQUEST_TIMEOUT,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "request timed out",
        )
            .into_response(),
    }
}

fn cors(config: &Config) -> CorsLayer {
    let origins = if config.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::from(Any)
    } else {
        AllowOrigin::list(
            config
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim()).ok()),
        )
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::RANGE,
            header::IF_NONE_MATCH,
            HeaderName::from_static("token"),
        ])
        .expose_headers([
            header::CONTENT_RANGE,
            header::CONTENT_DISPOSITION,
            header::ACCEPT_RANGES,
            header::ETAG,
        ])
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .max_age(Duration::from_secs(600))
}

/// Serve `router(state)` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
