//! `/graphql` over HTTP, following the GraphQL-over-HTTP spec, and the
//! WebSocket upgrade at `/graphql/ws`.
//!
//! async-graphql-axum's stock service is not conformant (always 200, runs
//! mutations over GET, parses any content type, takes batches), so this is ours.

use async_graphql::{
    parser::{parse_query, types::OperationType},
    Data, ServerError,
};
use axum::{
    body::Bytes,
    extract::{ws::WebSocketUpgrade, FromRequest, Query, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use serde::Deserialize;

use super::{
    context::Auth,
    schema::AppSchema,
    ws::{self, InitRejection, Session, WsConfig},
};
use crate::{
    auth::{
        client::ClientIp, strip_bearer, token_from_headers, viewer_and_expiry_from_token,
        viewer_from_token,
    },
    error::AppError,
    files::multipart,
    state::AppState,
};

/// What the GraphQL endpoints use: the services and the executable schema,
/// each taken from the router state.
#[derive(Clone)]
struct HttpState {
    app: AppState,
    schema: AppSchema,
}

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
const APPLICATION_JSON: &str = "application/json";

/// Which media type the client wants back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseType {
    GraphqlResponseJson,
    Json,
}

fn negotiate(headers: &HeaderMap) -> Option<ResponseType> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        // No Accept: the legacy watershed says treat it as application/json.
        return Some(ResponseType::Json);
    };
    let mut json = false;
    for part in accept.split(',') {
        match crate::util::media_type(part).as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(ResponseType::GraphqlResponseJson),
            APPLICATION_JSON | "*/*" | "application/*" => json = true,
            _ => {}
        }
    }
    json.then_some(ResponseType::Json)
}

fn auth_from(state: &HttpState, headers: &HeaderMap) -> Auth {
    match token_from_headers(headers) {
        None => Auth::Anonymous,
        Some(token) => match viewer_from_token(&state.app.keys, &state.app.sessions, &token) {
            Ok(viewer) => Auth::Viewer(viewer),
            Err(_) => Auth::Invalid,
        },
    }
}

/// A response made of GraphQL errors only (the request could not run).
fn request_error(status: StatusCode, ty: ResponseType, code: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    json_response(status, ty, body.to_string())
}

fn json_response(status: StatusCode, ty: ResponseType, body: String) -> Response {
    let content_type = match ty {
        ResponseType::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
        ResponseType::Json => "application/json; charset=utf-8",
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// Query-string parameters of `GET /graphql`.
#[derive(Debug, Deserialize)]
pub struct GetParams {
    query: Option<String>,
    variables: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql?query=...`: queries only.
pub async fn graphql_get(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    params: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let state = HttpState { app, schema };
    let client = client.map(|Extension(ip)| ip).unwrap_or_default();
    let Some(ty) = negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let Ok(Query(params)) = params else {
        return request_error(
            StatusCode::BAD_REQUEST,
            ty,
            "BAD_REQUEST",
            "invalid query string",
        );
    };
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(
            StatusCode::BAD_REQUEST,
            ty,
            "BAD_REQUEST",
            "missing `query` parameter",
        );
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(vars) = params.variables.filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(&vars) {
            Ok(value @ serde_json::Value::Object(_)) => {
                request.variables = async_graphql::Variables::from_json(value)
            }
            Ok(serde_json::Value::Null) => {}
            _ => {
                return request_error(
                    StatusCode::BAD_REQUEST,
                    ty,
                    "BAD_REQUEST",
                    "`variables` must be a JSON object",
                )
            }
        }
    }
    if let Some(ext) = params.extensions.filter(|v| !v.is_empty()) {
        if serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&ext).is_err() {
            return request_error(
                StatusCode::BAD_REQUEST,
                ty,
                "BAD_REQUEST",
                "`extensions` must be a JSON object",
            );
        }
    }
    request.operation_name = params.operation_name;
    // Only queries may run over GET (a GET must not change anything).
    if let Ok(doc) = parse_query(&request.query) {
        let wanted = request.operation_name.as_deref();
        let only_queries = doc
            .operations
            .iter()
            .filter(|(name, _)| wanted.is_none() || name.map(|n| n.as_str()) == wanted)
            .all(|(_, op)| op.node.ty == OperationType::Query);
        if !only_queries {
            let mut response = request_error(
                StatusCode::METHOD_NOT_ALLOWED,
                ty,
                "METHOD_NOT_ALLOWED",
                "only queries may be sent with GET; use POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    execute(&state, &headers, ty, request.data(client)).await
}

/// `POST /graphql` with an `application/json` body, or a `multipart/form-data`
/// body per the GraphQL multipart request spec (file uploads).
pub async fn graphql_post(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    request: Request,
) -> Response {
    let state = HttpState { app, schema };
    let headers = request.headers().clone();
    let client = request
        .extensions()
        .get::<ClientIp>()
        .copied()
        .unwrap_or_default();
    let Some(ty) = negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let content_type = crate::util::content_type(&headers);
    if content_type.as_deref() == Some("multipart/form-data") {
        return graphql_multipart(&state, &headers, ty, request, client).await;
    }
    if content_type.as_deref() != Some(APPLICATION_JSON) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ty,
            "UNSUPPORTED_MEDIA_TYPE",
            "send the request as application/json",
        );
    }
    let body = match Bytes::from_request(request, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    match parse_json_request(&body) {
        Ok(request) => execute(&state, &headers, ty, request.data(client)).await,
        Err(message) => request_error(StatusCode::BAD_REQUEST, ty, "BAD_REQUEST", &message),
    }
}

/// A JSON GraphQL request object, checked as GraphQL-over-HTTP asks; the
/// error is the message of a 400 `BAD_REQUEST`. Public for the fuzz targets.
pub fn parse_json_request(body: &[u8]) -> Result<async_graphql::Request, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the body is not valid JSON".to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Err(if value.is_array() {
            "batched requests are not supported".into()
        } else {
            "the body must be a JSON object".into()
        });
    };
    match map.get("query") {
        Some(serde_json::Value::String(q)) if !q.trim().is_empty() => {}
        _ => return Err("`query` must be a non-empty string".into()),
    }
    for key in ["variables", "extensions"] {
        match map.get(key) {
            None | Some(serde_json::Value::Object(_)) | Some(serde_json::Value::Null) => {}
            _ => return Err(format!("`{key}` must be an object")),
        }
    }
    match map.get("operationName") {
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::String(_)) => {}
        _ => return Err("`operationName` must be a string".into()),
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|_| "invalid GraphQL request".to_string())
}

/// A multipart upload: only for a valid token (nothing is stored for anyone
/// else), files streamed into staging, then executed like any request.
async fn graphql_multipart(
    state: &HttpState,
    headers: &HeaderMap,
    ty: ResponseType,
    request: Request,
    client: ClientIp,
) -> Response {
    let fail = |err: AppError| {
        err.report("graphql multipart");
        request_error(err.status(), ty, err.code(), &err.message())
    };
    let Auth::Viewer(viewer) = auth_from(state, headers) else {
        let refused = fail(AppError::Unauthenticated(
            "uploads need a valid token: send `token` or `Authorization: Bearer`".into(),
        ));
        return if multipart::drain_refused(headers, request.into_body()).await {
            refused
        } else {
            multipart::close_connection(refused)
        };
    };
    let body = request.into_body();
    let received =
        match multipart::receive_graphql(&state.app, &viewer.user_id, headers, body).await {
            Ok(received) => received,
            Err(err) => return fail(err),
        };
    let request = match parse_json_request(&received.operations) {
        Ok(request) => request,
        Err(message) => return request_error(StatusCode::BAD_REQUEST, ty, "BAD_REQUEST", &message),
    };
    match multipart::attach_uploads(request, received.files) {
        Ok(request) => execute(state, headers, ty, request.data(client)).await,
        Err(err) => fail(err),
    }
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    ty: ResponseType,
    request: async_graphql::Request,
) -> Response {
    let request = request.data(auth_from(state, headers));
    let response = state.schema.execute(request).await;
    // Parse, validation and coercion failures (limits included) mean the
    // request could not run. GraphQL over HTTP: with
    // `application/graphql-response+json` that is a 400 whose body has no
    // `data` entry; the legacy `application/json` answers 200 with `errors`.
    // Field errors during execution answer 200 with `data` either way.
    let could_not_run = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(is_request_error);
    if could_not_run {
        let status = match ty {
            ResponseType::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            ResponseType::Json => StatusCode::OK,
        };
        let body = serde_json::json!({ "errors": response.errors });
        return json_response(status, ty, body.to_string());
    }
    match serde_json::to_string(&response) {
        Ok(body) => json_response(StatusCode::OK, ty, body),
        Err(_) => request_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            ty,
            "INTERNAL",
            "internal error",
        ),
    }
}

fn is_request_error(err: &ServerError) -> bool {
    err.extensions.as_ref().is_some_and(|ext| {
        matches!(
            ext.get("code"),
            Some(async_graphql::Value::String(code))
                if code == "GRAPHQL_PARSE_FAILED" || code == "GRAPHQL_VALIDATION_FAILED"
        )
    })
}

/// `GET /graphql/ws`: subscriptions (and any operation) over WebSocket.
pub async fn graphql_ws(
    State(app): State<AppState>,
    State(schema): State<AppSchema>,
    client: Option<Extension<ClientIp>>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let client = client.map(|Extension(ip)| ip).unwrap_or_default();
    let state = HttpState { app, schema };
    let config = WsConfig {
        init_timeout: std::time::Duration::from_secs(state.app.config.ws_init_timeout),
        keepalive_interval: std::time::Duration::from_secs(state.app.config.ws_keepalive),
        max_subscriptions: state.app.config.ws_max_subscriptions,
        shutdown: state.app.shutdown.clone(),
        ..WsConfig::default()
    };
    let upgrade = ws::configure_upgrade(upgrade, &config);
    // The protocol axum will answer with (our preference order), so both sides agree.
    let protocol = ws::negotiated_protocol(&upgrade);
    upgrade
        .on_upgrade(move |socket| async move {
            let app = state.app.clone();
            ws::serve_socket(
                socket,
                state.schema,
                protocol,
                config,
                move |payload| async move { on_connection_init(&app, client, payload).await },
            )
            .await
        })
        .into_response()
}

/// Authenticate a socket from its `connection_init` payload: `token`,
/// `authToken`, `Authorization` or `headers.Authorization`. The session ends
/// (close 4403) when the token expires or `logout` revokes it.
async fn on_connection_init(
    app: &AppState,
    client: ClientIp,
    payload: serde_json::Value,
) -> Result<Session, InitRejection> {
    let find = |v: &serde_json::Value, key: &str| -> Option<String> {
        v.as_object()?.iter().find_map(|(k, v)| {
            if k.eq_ignore_ascii_case(key) {
                v.as_str().map(str::to_owned)
            } else {
                None
            }
        })
    };
    let raw = find(&payload, "token")
        .or_else(|| find(&payload, "authToken"))
        .or_else(|| find(&payload, "Authorization"))
        .or_else(|| {
            payload
                .get("headers")
                .and_then(|h| find(h, "Authorization"))
        })
        .or_else(|| payload.get("headers").and_then(|h| find(h, "token")));
    let Some(raw) = raw else {
        return Err(InitRejection::Unauthenticated(
            "a token is required in connection_init".into(),
        ));
    };
    // Every field may carry `Bearer <jwt>`, not only the `Authorization` ones.
    let token = strip_bearer(&raw).unwrap_or(raw);
    let (viewer, expiry) = viewer_and_expiry_from_token(&app.keys, &app.sessions, &token)
        .map_err(|_| InitRejection::Unauthenticated("invalid or expired token".into()))?;
    let revoked = app.sessions.revoked(viewer.session_id.clone());
    let mut data = Data::default();
    data.insert(crate::users::status::connect(app, &viewer.user_id).await);
    data.insert(Auth::Viewer(viewer));
    data.insert(client);
    data.insert(crate::messages::socket_feed::SocketFeed::default());
    Ok(Session::new(data)
        .expiring_at(expiry)
        .ending_when(async move {
            revoked.await;
            "Logged out".to_owned()
        }))
}
