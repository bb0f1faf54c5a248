//! GraphQL over WebSocket for `/graphql/ws`.
//!
//! Our own protocol engine instead of `async_graphql_axum::GraphQLWebSocket`,
//! because the stock one deviates from the graphql-ws `PROTOCOL.md` in ways
//! clients notice: a rejected `connection_init` closes with 1002 instead of
//! 4403, a subscribe before the ack closes with 1011 instead of 4401, there is
//! no 4408 initialisation timeout, a duplicate operation id silently replaces
//! the running one instead of closing with 4409, and long close reasons are
//! not truncated to the 123 bytes a close frame can carry.
//!
//! Two subprotocols are spoken, picked from `Sec-WebSocket-Protocol`:
//!
//! * `graphql-transport-ws` (the `graphql-ws` library, the default when the
//!   client names none): `connection_init`, `ping`, `pong`, `subscribe`,
//!   `complete` from the client; `connection_ack`, `ping`, `pong`, `next`,
//!   `error`, `complete` from the server.
//! * `graphql-ws` (legacy `subscriptions-transport-ws`): `connection_init`,
//!   `start`, `stop`, `connection_terminate` from the client;
//!   `connection_ack`, `ka`, `data`, `error`, `complete`, `connection_error`
//!   from the server.
//!
//! Beware the naming in async-graphql: [`WebSocketProtocols::GraphQLWS`] is
//! the *current* `graphql-transport-ws` subprotocol and
//! [`WebSocketProtocols::SubscriptionsTransportWS`] the *legacy* `graphql-ws`.
//!
//! One socket is served by one task running a single `select!` loop: it reads
//! client frames, runs `on_init`, fires the timers and polls every running
//! operation from a [`StreamMap`] keyed by operation id, writing each frame
//! before polling anything again. A slow client therefore slows its own
//! operations down (backpressure) instead of making us buffer for it, and
//! dropping the loop state drops every operation and the session data at once.

use std::{future::Future, pin::Pin, sync::Arc, time::Duration};

use async_graphql::{
    http::WebSocketProtocols, Data, ObjectType, Request, Response, Schema, ServerError,
    SubscriptionType,
};
use axum::{
    body::Bytes,
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
};
use futures_util::{
    stream::{self, BoxStream},
    StreamExt,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tokio::time::{self, Instant, Interval, MissedTickBehavior, Sleep};
use tokio_stream::StreamMap;

/// Subprotocols we accept, in our order of preference (axum picks the first
/// of these that the client offers, whatever order the client lists them in).
pub const SUBPROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

/// WebSocket close codes sent by this module.
pub mod close_code {
    /// The client sent `connection_terminate` (legacy protocol).
    pub const NORMAL: u16 = 1000;
    /// The client stopped answering our keepalive pings.
    pub const GOING_AWAY: u16 = 1001;
    /// A client frame exceeded [`super::WsConfig::max_message_bytes`].
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// We could not encode a message (should not happen).
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The client sent something that is not a valid protocol message.
    pub const BAD_REQUEST: u16 = 4400;
    /// The client subscribed before its `connection_init` was acknowledged.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `on_init` refused the connection.
    pub const FORBIDDEN: u16 = 4403;
    /// No acknowledged `connection_init` within [`super::WsConfig::init_timeout`].
    pub const INIT_TIMEOUT: u16 = 4408;
    /// The client reused the id of an operation that is still running.
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// The client sent a second `connection_init`.
    pub const TOO_MANY_INIT: u16 = 4429;
}

/// Longest close reason a close frame can carry: a control frame payload is at
/// most 125 bytes and the status code takes two of them.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// Limits and timings of one socket.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// Time the client has to get a `connection_init` acknowledged, counted
    /// from the upgrade and including the time `on_init` takes; then the
    /// socket is closed with 4408 "Connection initialisation timeout".
    pub init_timeout: Duration,
    /// Period of the server's keepalive: a WebSocket Ping frame always, plus a
    /// `ping` (graphql-transport-ws) or `ka` (graphql-ws) message once the
    /// connection is acknowledged. A client from which nothing at all (not
    /// even a Pong) arrived for two periods is considered dead and dropped.
    /// A write that makes no progress for two periods (at least 10 s) also
    /// drops the socket. Zero disables the keepalive and the idle check.
    pub keepalive_interval: Duration,
    /// Running operations allowed per socket. One more is refused with an
    /// `error` message for its id (a GraphQL error with
    /// `extensions.code = "RATE_LIMITED"`); the socket stays open.
    pub max_subscriptions: usize,
    /// Largest client message in bytes; a larger one closes the socket with
    /// 1009 "Message too big".
    pub max_message_bytes: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(15),
            max_subscriptions: 100,
            max_message_bytes: 64 * 1024,
        }
    }
}

/// Why a `connection_init` was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InitRejection {
    /// The credentials in the init payload were missing or invalid. The
    /// socket is closed with 4403 and this text as the reason (truncated to
    /// [`MAX_CLOSE_REASON_BYTES`]; "Forbidden" if empty), so keep it short
    /// and free of secrets. Legacy clients also get it in `connection_error`.
    Unauthenticated(String),
}

/// Build the upgrade with small buffers (axum's default read buffer is 128 KiB
/// per socket) and the message size limit of `config`, offering both
/// subprotocols.
///
/// Read the outcome with [`negotiated_protocol`] on the value this returns.
pub fn configure_upgrade(upgrade: WebSocketUpgrade, config: &WsConfig) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        // Bounds what piles up if writes to the TCP stream keep failing.
        .max_write_buffer_size(256 * 1024)
        // Checked against the frame header, before the payload is buffered.
        .max_frame_size(config.max_message_bytes)
        .max_message_size(config.max_message_bytes)
        .protocols(SUBPROTOCOLS)
}

/// The subprotocol that `upgrade` will answer with, as async-graphql's enum;
/// `graphql-transport-ws` when the client offered none of ours.
///
/// Use this rather than `async_graphql_axum::GraphQLProtocol`: that extractor
/// rejects a request without the header (400), keeps its value private, and
/// follows the client's order while axum answers in ours, so the two can
/// disagree when a client offers both.
pub fn negotiated_protocol<F>(upgrade: &WebSocketUpgrade<F>) -> WebSocketProtocols {
    match upgrade.selected_protocol().map(|value| value.as_bytes()) {
        Some(b"graphql-ws") => WebSocketProtocols::SubscriptionsTransportWS,
        _ => WebSocketProtocols::GraphQLWS,
    }
}

/// Serve one upgraded socket until it closes.
///
/// The subprotocol is the one the upgrade response named, if any (see
/// [`configure_upgrade`]); `protocol` is used when it named none, i.e. when
/// the client offered none of ours.
///
/// `on_init` gets the `connection_init` payload (`Value::Null` if absent) and
/// returns the session data every operation of this socket runs with. The
/// data is dropped when the socket ends, together with every operation.
pub async fn serve_socket<Q, M, S, F, Fut>(
    mut socket: WebSocket,
    schema: Schema<Q, M, S>,
    protocol: WebSocketProtocols,
    config: WsConfig,
    on_init: F,
) where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: FnOnce(Value) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Data, InitRejection>> + Send + 'static,
{
    // What the upgrade response told the client wins over the argument: a
    // caller that read the client's header itself may have picked another
    // subprotocol than axum answered with (axum goes by our preference order).
    let protocol = socket
        .protocol()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<WebSocketProtocols>().ok())
        .unwrap_or(protocol);
    tracing::debug!(
        protocol = protocol.sec_websocket_protocol(),
        "graphql ws: open"
    );
    let exit = {
        let mut conn = Connection::new(schema, protocol, &config, on_init);
        conn.run(&mut socket).await
        // `conn` is dropped here: every operation and the session data go
        // before the closing handshake, so per-session guards end promptly.
    };
    finish(socket, exit, write_stall_limit(&config)).await;
}

/// How the main loop ended.
#[derive(Debug)]
enum Exit {
    /// We close the socket with this code and reason.
    Close(u16, String),
    /// The client sent a Close frame; our reply still has to be flushed.
    PeerClosed,
    /// The transport is gone or stuck; nothing more can be sent.
    Gone,
}

impl Exit {
    fn close(code: u16, reason: impl Into<String>) -> Self {
        Self::Close(code, reason.into())
    }
}

/// Flush the closing handshake, bounded in time, then drop the socket.
async fn finish(mut socket: WebSocket, exit: Exit, stall: Duration) {
    match exit {
        Exit::Gone => {
            tracing::debug!("graphql ws: transport gone");
            return;
        }
        Exit::PeerClosed => tracing::debug!("graphql ws: closed by client"),
        Exit::Close(code, reason) => {
            let reason = truncate_reason(&reason);
            tracing::debug!(code, reason, "graphql ws: closing");
            let frame = CloseFrame {
                code,
                reason: reason.into(),
            };
            if !matches!(
                time::timeout(stall, socket.send(Message::Close(Some(frame)))).await,
                Ok(Ok(()))
            ) {
                return;
            }
        }
    }
    // Read until the client's Close arrives (or it has replied to ours): this
    // flushes tungstenite's queued close reply, and not leaving unread bytes
    // behind avoids a TCP reset that could destroy our close frame in flight.
    let _ = time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(_)) = socket.recv().await {}
    })
    .await;
}

/// `reason` cut to at most [`MAX_CLOSE_REASON_BYTES`] on a char boundary.
pub fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// A write that makes no progress for this long means the client is gone.
fn write_stall_limit(config: &WsConfig) -> Duration {
    config
        .keepalive_interval
        .saturating_mul(2)
        .max(Duration::from_secs(10))
}

/// What a running operation produced, in protocol terms.
enum OperationEvent {
    /// A result to send as `next` (`data` in the legacy protocol).
    Next(Response),
    /// The operation failed before producing anything: `error`, no `complete`.
    Error(Vec<ServerError>),
    /// The result stream ended: `complete`.
    Complete,
}

/// Map an operation's responses to protocol events, marking the end so the
/// loop can send `complete` (a `StreamMap` drops finished streams silently).
fn operation_events(responses: BoxStream<'static, Response>) -> BoxStream<'static, OperationEvent> {
    let mut first = true;
    responses
        .map(move |response| {
            // Only a first result without any data is an `error` message (a
            // request that failed to parse or validate); errors alongside data,
            // or later in a subscription, travel inside `next`.
            let failed_up_front = std::mem::take(&mut first)
                && response.is_err()
                && matches!(response.data, async_graphql::Value::Null);
            if failed_up_front {
                OperationEvent::Error(response.errors)
            } else {
                OperationEvent::Next(response)
            }
        })
        .chain(stream::once(async { OperationEvent::Complete }))
        .boxed()
}

/// A client message, validated.
enum ClientMessage {
    ConnectionInit(Value),
    Ping(Option<Value>),
    Pong,
    Subscribe { id: String, request: Box<Request> },
    Complete { id: String },
    Terminate,
}

/// Parse one client frame; `Err` is the 4400 close reason.
fn parse_client_message(
    bytes: &[u8],
    protocol: WebSocketProtocols,
) -> Result<ClientMessage, &'static str> {
    let legacy = protocol == WebSocketProtocols::SubscriptionsTransportWS;
    let Ok(Value::Object(mut message)) = serde_json::from_slice::<Value>(bytes) else {
        return Err("Invalid message received: not a JSON object");
    };
    let Some(Value::String(kind)) = message.remove("type") else {
        return Err("Invalid message received: missing type");
    };
    let payload = message.remove("payload");
    match (kind.as_str(), legacy) {
        ("connection_init", _) => match payload {
            None | Some(Value::Null) => Ok(ClientMessage::ConnectionInit(Value::Null)),
            Some(payload @ Value::Object(_)) => Ok(ClientMessage::ConnectionInit(payload)),
            // Legacy clients were never held to an object here.
            Some(payload) if legacy => Ok(ClientMessage::ConnectionInit(payload)),
            Some(_) => Err("Invalid message received: connection_init payload"),
        },
        ("ping", false) => Ok(ClientMessage::Ping(optional_object(payload)?)),
        ("pong", false) => optional_object(payload).map(|_| ClientMessage::Pong),
        ("subscribe", false) | ("start", true) => {
            let id = take_id(&mut message)?;
            let request = parse_request(payload)?;
            Ok(ClientMessage::Subscribe { id, request })
        }
        ("complete", false) | ("stop", true) => Ok(ClientMessage::Complete {
            id: take_id(&mut message)?,
        }),
        ("connection_terminate", true) => Ok(ClientMessage::Terminate),
        _ => Err("Invalid message received: unknown type"),
    }
}

fn optional_object(payload: Option<Value>) -> Result<Option<Value>, &'static str> {
    match payload {
        None | Some(Value::Null) => Ok(None),
        Some(payload @ Value::Object(_)) => Ok(Some(payload)),
        Some(_) => Err("Invalid message received: payload must be an object"),
    }
}

fn take_id(message: &mut Map<String, Value>) -> Result<String, &'static str> {
    match message.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Ok(id),
        _ => Err("Invalid message received: missing id"),
    }
}

/// A `subscribe`/`start` payload as a request: `query` must be a string,
/// `operationName` a string or null, `variables` and `extensions` objects or
/// null.
fn parse_request(payload: Option<Value>) -> Result<Box<Request>, &'static str> {
    const BAD: &str = "Invalid message received: invalid subscribe payload";
    let Some(Value::Object(mut payload)) = payload else {
        return Err(BAD);
    };
    if !matches!(payload.get("query"), Some(Value::String(_))) {
        return Err(BAD);
    }
    // The protocol allows null for each of these, meaning absent.
    for key in ["operationName", "variables", "extensions"] {
        if matches!(payload.get(key), Some(Value::Null)) {
            payload.remove(key);
        }
    }
    match (
        payload.get("operationName"),
        payload.get("variables"),
        payload.get("extensions"),
    ) {
        (
            None | Some(Value::String(_)),
            None | Some(Value::Object(_)),
            None | Some(Value::Object(_)),
        ) => {}
        _ => return Err(BAD),
    }
    serde_json::from_value(Value::Object(payload))
        .map(Box::new)
        .map_err(|_| BAD)
}

/// A server message.
#[derive(Serialize)]
struct ServerMessage<'a, P: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
}

/// No payload, for [`ServerMessage`].
const NO_PAYLOAD: Option<()> = None;

/// State of one socket, owned by its main loop.
struct Connection<Q, M, S, F, Fut> {
    schema: Schema<Q, M, S>,
    protocol: WebSocketProtocols,
    max_subscriptions: usize,
    max_message_bytes: usize,
    keepalive: Option<Interval>,
    idle_limit: Option<Duration>,
    write_stall: Duration,
    /// Taken when the first `connection_init` arrives.
    on_init: Option<F>,
    /// The running `on_init`, between `connection_init` and the ack.
    init_fut: Option<Pin<Box<Fut>>>,
    /// Fires [`WsConfig::init_timeout`] after the upgrade unless acked before.
    init_deadline: Pin<Box<Sleep>>,
    /// Set by the ack: the data every operation of this socket runs with.
    session: Option<Arc<Data>>,
    /// Running operations by client id.
    operations: StreamMap<String, BoxStream<'static, OperationEvent>>,
    /// When the client last sent us any frame.
    last_seen: Instant,
}

impl<Q, M, S, F, Fut> Connection<Q, M, S, F, Fut>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: FnOnce(Value) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Data, InitRejection>> + Send + 'static,
{
    fn new(
        schema: Schema<Q, M, S>,
        protocol: WebSocketProtocols,
        config: &WsConfig,
        on_init: F,
    ) -> Self {
        let period = config.keepalive_interval;
        let keepalive = (!period.is_zero()).then(|| {
            // `interval` would tick at once; the first keepalive is due after one period.
            let mut interval = time::interval_at(Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        Self {
            schema,
            protocol,
            max_subscriptions: config.max_subscriptions,
            max_message_bytes: config.max_message_bytes,
            keepalive,
            idle_limit: (!period.is_zero()).then(|| period.saturating_mul(2)),
            write_stall: write_stall_limit(config),
            on_init: Some(on_init),
            init_fut: None,
            init_deadline: Box::pin(time::sleep(config.init_timeout)),
            session: None,
            operations: StreamMap::new(),
            last_seen: Instant::now(),
        }
    }

    fn legacy(&self) -> bool {
        self.protocol == WebSocketProtocols::SubscriptionsTransportWS
    }

    /// Run until the socket has to end, and say how.
    async fn run(&mut self, socket: &mut WebSocket) -> Exit {
        loop {
            if let Err(exit) = self.step(socket).await {
                return exit;
            }
        }
    }

    /// Wait for the next thing to happen and handle it.
    async fn step(&mut self, socket: &mut WebSocket) -> Result<(), Exit> {
        let acked = self.session.is_some();
        tokio::select! {
            // Client frames first, so a `complete` stops an operation before
            // we send more of it and Pongs are seen before the idle check.
            biased;
            incoming = socket.recv() => match incoming {
                Some(Ok(message)) => {
                    self.last_seen = Instant::now();
                    self.on_frame(socket, message).await
                }
                Some(Err(err)) => Err(transport_error(&err)),
                None => Err(Exit::Gone),
            },
            result = poll_optional(&mut self.init_fut) => {
                self.init_fut = None;
                self.on_init_done(socket, result).await
            }
            () = &mut self.init_deadline, if !acked => {
                Err(Exit::close(close_code::INIT_TIMEOUT, "Connection initialisation timeout"))
            }
            _ = tick_optional(&mut self.keepalive) => self.on_keepalive(socket).await,
            Some((id, event)) = self.operations.next(), if !self.operations.is_empty() => {
                self.on_operation_event(socket, id, event).await
            }
        }
    }

    async fn on_frame(&mut self, socket: &mut WebSocket, message: Message) -> Result<(), Exit> {
        let bytes: &[u8] = match &message {
            Message::Text(text) => text.as_bytes(),
            // The protocol speaks text frames, but JSON in a binary frame is
            // harmless to accept.
            Message::Binary(bytes) => bytes,
            // tungstenite queues the Pong reply itself and flushes it on the
            // next read; a Pong only needed to refresh `last_seen`.
            Message::Ping(_) | Message::Pong(_) => return Ok(()),
            Message::Close(frame) => {
                tracing::debug!(
                    code = frame.as_ref().map(|f| f.code),
                    "graphql ws: client close"
                );
                return Err(Exit::PeerClosed);
            }
        };
        // Also enforced by `configure_upgrade`; checked here in case the
        // upgrade was built without it.
        if bytes.len() > self.max_message_bytes {
            return Err(Exit::close(close_code::MESSAGE_TOO_BIG, "Message too big"));
        }
        let parsed = parse_client_message(bytes, self.protocol)
            .map_err(|reason| Exit::close(close_code::BAD_REQUEST, reason))?;
        match parsed {
            ClientMessage::ConnectionInit(payload) => {
                let Some(on_init) = self.on_init.take() else {
                    return Err(Exit::close(
                        close_code::TOO_MANY_INIT,
                        "Too many initialisation requests",
                    ));
                };
                tracing::debug!("graphql ws: connection_init");
                self.init_fut = Some(Box::pin(on_init(payload)));
                Ok(())
            }
            ClientMessage::Ping(payload) => {
                send_message(socket, self.write_stall, "pong", None, payload.as_ref()).await
            }
            ClientMessage::Pong => Ok(()),
            ClientMessage::Subscribe { id, request } => self.subscribe(socket, id, *request).await,
            ClientMessage::Complete { id } => {
                // Dropping the stream cancels the operation. Nothing is sent
                // back: the client has stopped listening to this id.
                if self.operations.remove(&id).is_some() {
                    tracing::debug!(id, "graphql ws: operation stopped by client");
                }
                Ok(())
            }
            ClientMessage::Terminate => Err(Exit::close(close_code::NORMAL, "")),
        }
    }

    async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        id: String,
        request: Request,
    ) -> Result<(), Exit> {
        let Some(session) = &self.session else {
            return Err(Exit::close(close_code::UNAUTHORIZED, "Unauthorized"));
        };
        if self.operations.contains_key(&id) {
            return Err(Exit::close(
                close_code::SUBSCRIBER_EXISTS,
                format!("Subscriber for {id} already exists"),
            ));
        }
        if self.operations.len() >= self.max_subscriptions {
            tracing::debug!(
                id,
                limit = self.max_subscriptions,
                "graphql ws: too many operations"
            );
            let errors = json!([{
                "message": format!("Too many active subscriptions (at most {})", self.max_subscriptions),
                "extensions": { "code": "RATE_LIMITED" },
            }]);
            return send_message(socket, self.write_stall, "error", Some(&id), Some(&errors)).await;
        }
        tracing::debug!(id, "graphql ws: operation started");
        let responses = self
            .schema
            .execute_stream_with_session_data(request, session.clone());
        self.operations.insert(id, operation_events(responses));
        Ok(())
    }

    async fn on_init_done(
        &mut self,
        socket: &mut WebSocket,
        result: Result<Data, InitRejection>,
    ) -> Result<(), Exit> {
        match result {
            Ok(data) => {
                tracing::debug!("graphql ws: connection_ack");
                self.session = Some(Arc::new(data));
                send_message(
                    socket,
                    self.write_stall,
                    "connection_ack",
                    None,
                    NO_PAYLOAD.as_ref(),
                )
                .await?;
                if self.legacy() {
                    // subscriptions-transport-ws clients start their keepalive
                    // watchdog on the first `ka`, which servers send right away.
                    send_message(socket, self.write_stall, "ka", None, NO_PAYLOAD.as_ref()).await?;
                }
                Ok(())
            }
            Err(InitRejection::Unauthenticated(reason)) => {
                let reason = match truncate_reason(&reason) {
                    "" => "Forbidden",
                    reason => reason,
                };
                tracing::debug!(reason, "graphql ws: connection_init rejected");
                if self.legacy() {
                    // Legacy clients expect the reason in a message, not the close frame.
                    let payload = json!({ "message": reason });
                    send_message(
                        socket,
                        self.write_stall,
                        "connection_error",
                        None,
                        Some(&payload),
                    )
                    .await?;
                }
                Err(Exit::close(close_code::FORBIDDEN, reason))
            }
        }
    }

    async fn on_keepalive(&mut self, socket: &mut WebSocket) -> Result<(), Exit> {
        if let Some(limit) = self.idle_limit {
            // Browsers answer our Ping frames on their own, so silence this
            // long means the peer is gone; drop it rather than hold its
            // session (and presence) until TCP gives up.
            if self.last_seen.elapsed() > limit {
                return Err(Exit::close(close_code::GOING_AWAY, "Keepalive timeout"));
            }
        }
        send_frame(socket, self.write_stall, Message::Ping(Bytes::new())).await?;
        if self.session.is_some() {
            let kind = if self.legacy() { "ka" } else { "ping" };
            send_message(socket, self.write_stall, kind, None, NO_PAYLOAD.as_ref()).await?;
        }
        Ok(())
    }

    async fn on_operation_event(
        &mut self,
        socket: &mut WebSocket,
        id: String,
        event: OperationEvent,
    ) -> Result<(), Exit> {
        match event {
            OperationEvent::Next(response) => {
                let kind = if self.legacy() { "data" } else { "next" };
                send_message(socket, self.write_stall, kind, Some(&id), Some(&response)).await
            }
            OperationEvent::Error(errors) => {
                self.operations.remove(&id);
                tracing::debug!(id, "graphql ws: operation failed");
                send_message(socket, self.write_stall, "error", Some(&id), Some(&errors)).await
            }
            OperationEvent::Complete => {
                self.operations.remove(&id);
                tracing::debug!(id, "graphql ws: operation complete");
                send_message(
                    socket,
                    self.write_stall,
                    "complete",
                    Some(&id),
                    NO_PAYLOAD.as_ref(),
                )
                .await
            }
        }
    }
}

/// Encode and send one protocol message.
async fn send_message<P: Serialize>(
    socket: &mut WebSocket,
    stall: Duration,
    kind: &'static str,
    id: Option<&str>,
    payload: Option<&P>,
) -> Result<(), Exit> {
    let message = ServerMessage { kind, id, payload };
    match serde_json::to_string(&message) {
        Ok(text) => send_frame(socket, stall, Message::Text(text.into())).await,
        Err(err) => {
            tracing::warn!(kind, error = %err, "graphql ws: cannot encode message");
            Err(Exit::close(
                close_code::INTERNAL_ERROR,
                "Internal server error",
            ))
        }
    }
}

/// Send one frame; a failed write, or one stalled for `stall`, ends the socket.
async fn send_frame(socket: &mut WebSocket, stall: Duration, message: Message) -> Result<(), Exit> {
    match time::timeout(stall, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "graphql ws: write failed");
            Err(Exit::Gone)
        }
        Err(_) => {
            tracing::debug!("graphql ws: write stalled");
            Err(Exit::Gone)
        }
    }
}

/// Await the future in `slot`, or never if there is none.
async fn poll_optional<Fut: Future + Unpin>(slot: &mut Option<Fut>) -> Fut::Output {
    match slot {
        Some(fut) => fut.await,
        None => std::future::pending().await,
    }
}

/// Wait for the next tick of `interval`, or forever if there is none.
async fn tick_optional(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// What to do after a failed read.
fn transport_error(err: &axum::Error) -> Exit {
    // axum does not expose tungstenite's error type, and this crate does not
    // depend on tungstenite, so the size limit is recognised by its message
    // ("Message too long: N > M"). The socket can still send our close frame.
    let text = err.to_string();
    if text.contains("Message too long") {
        tracing::debug!(error = %text, "graphql ws: client message too big");
        Exit::close(close_code::MESSAGE_TOO_BIG, "Message too big")
    } else {
        tracing::debug!(error = %text, "graphql ws: read failed");
        Exit::Gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate_reason("short"), "short");
        let long = "é".repeat(100); // 200 bytes
        let cut = truncate_reason(&long);
        assert!(cut.len() <= MAX_CLOSE_REASON_BYTES);
        assert_eq!(cut.len(), 122);
        let exact = "a".repeat(123);
        assert_eq!(truncate_reason(&exact), exact);
    }

    #[test]
    fn parses_messages() {
        let transport = WebSocketProtocols::GraphQLWS;
        let legacy = WebSocketProtocols::SubscriptionsTransportWS;
        assert!(parse_client_message(b"nope", transport).is_err());
        assert!(parse_client_message(
            br#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#,
            transport
        )
        .is_err());
        assert!(matches!(
            parse_client_message(
                br#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#,
                legacy
            ),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(parse_client_message(
            br#"{"type":"subscribe","payload":{"query":"{a}"}}"#,
            transport
        )
        .is_err());
        assert!(parse_client_message(
            br#"{"type":"subscribe","id":"","payload":{"query":"{a}"}}"#,
            transport
        )
        .is_err());
        assert!(
            parse_client_message(br#"{"type":"subscribe","id":"1","payload":{}}"#, transport)
                .is_err()
        );
        assert!(matches!(
            parse_client_message(
                br#"{"type":"subscribe","id":"1","payload":{"query":"{a}","variables":null,"extensions":null,"operationName":null}}"#,
                transport
            ),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(
            parse_client_message(br#"{"type":"connection_init","payload":5}"#, transport).is_err()
        );
        assert!(parse_client_message(br#"{"type":"connection_init","payload":5}"#, legacy).is_ok());
        assert!(parse_client_message(br#"{"type":"ping"}"#, legacy).is_err());
    }
}
