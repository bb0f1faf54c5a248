//! Router assembly, middleware layers and `serve`: the composition root.

use std::time::Duration;

use axum::{
    extract::FromRef,
    http::{header, HeaderName, HeaderValue, Method},
    Router,
};
use tower_http::{
    cors::{AllowOrigin, Any, CorsLayer},
    trace::TraceLayer,
};

use crate::{
    auth::client::ClientIp,
    compat,
    config::Config,
    error::AppError,
    graphql::{self, AppSchema},
    state::AppState,
};

/// The one state every router shares; handlers take the part they need
/// through [`FromRef`].
#[derive(Clone)]
pub struct RouterState {
    /// The services' state.
    pub app: AppState,
    /// The executable GraphQL schema.
    pub schema: AppSchema,
}

impl FromRef<RouterState> for AppState {
    fn from_ref(state: &RouterState) -> Self {
        state.app.clone()
    }
}

impl FromRef<RouterState> for AppSchema {
    fn from_ref(state: &RouterState) -> Self {
        state.schema.clone()
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let schema = graphql::build_schema(state.clone());
    let body_limit = state.config.max_body_bytes;
    Router::new()
        .merge(graphql::routes())
        .merge(compat::routes())
        .merge(crate::health::routes())
        .merge(graphql::graphiql::routes())
        .merge(crate::files::http::routes())
        .with_state(RouterState {
            app: state.clone(),
            schema,
        })
        .layer(axum::middleware::from_fn_with_state(
            BodyLimits {
                json: body_limit,
                upload: usize::try_from(crate::files::multipart::upload_body_limit(&state.config))
                    .unwrap_or(usize::MAX),
                timeout: Duration::from_secs(state.config.request_timeout),
            },
            limit_body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::<str>::from(state.config.trusted_proxy_header.as_str()),
            client_ip,
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
    // Others are answered here, before the body is read, in their surface's
    // error format.
    if declared.is_some_and(|len| len > limit) && !upload {
        let too_large = AppError::PayloadTooLarge(format!("request body over {limit} bytes"));
        if request.uri().path().starts_with("/graphql") {
            let body = serde_json::json!({
                "errors": [{ "message": too_large.message(), "extensions": { "code": too_large.code() } }]
            });
            return (
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body.to_string(),
            )
                .into_response();
        }
        return compat::envelope::CompatError(too_large).into_response();
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

/// Put the request's [`ClientIp`] in its extensions: the proxy header named
/// by `IMGQL_TRUSTED_PROXY_HEADER` when set and present, else the socket peer.
async fn client_ip(
    axum::extract::State(trusted_header): axum::extract::State<std::sync::Arc<str>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0);
    let client = ClientIp::from_request(request.headers(), peer, &trusted_header);
    request.extensions_mut().insert(client);
    next.run(request).await
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

/// Serve `router(state)` on `listener` until `shutdown` resolves, closing
/// connections whose request headers take longer than
/// [`Config::header_timeout`] (see [`crate::server`]). The sweeper of
/// unattached uploads runs for as long as the server does.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_timeout = state.config.header_timeout();
    crate::metrics::install();
    let sweeper = crate::files::sweeper::spawn(state.clone());
    let control = crate::control::spawn(&state);
    let sampler = spawn_db_sampler(state.clone());
    // On shutdown, open sockets are told first (they close with 1001), then
    // the server stops accepting and waits for requests in flight.
    let stopping = state.shutdown.clone();
    let shutdown = async move {
        shutdown.await;
        stopping.stop();
    };
    let served =
        crate::server::serve_router(listener, router(state.clone()), header_timeout, shutdown)
            .await;
    state.shutdown.stop();
    state.shutdown.drained(Duration::from_secs(5)).await;
    state.presence.shutdown().await;
    sweeper.abort();
    control.abort();
    sampler.abort();
    served
}

/// Time a database round trip every few seconds, for `/metrics`.
fn spawn_db_sampler(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            let started = std::time::Instant::now();
            if state.ping_db().await.is_ok() {
                crate::metrics::db_ping(started.elapsed());
            }
        }
    })
}
