//! Serving one upgraded socket: the init handshake and its timeout, the
//! keepalive, the running operations, and the closing handshake.
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
    extract::ws::{CloseFrame, Message, WebSocket},
};
use futures_util::{
    stream::{self, BoxStream},
    StreamExt,
};
use serde::Serialize;
use serde_json::Value;
use tokio::time::{self, Instant, Interval, MissedTickBehavior, Sleep};
use tokio_stream::StreamMap;
use tokio_util::sync::WaitForCancellationFutureOwned;

use super::{
    protocol::{self, ClientMessage, Close, ServerKind, NO_PAYLOAD},
    woken::WhenWoken,
    InitRejection, Session, SessionEnd, WsConfig,
};

/// Serve one upgraded socket until it closes.
///
/// The subprotocol is the one the upgrade response named, if any (see
/// [`super::configure_upgrade`]); `protocol` is used when it named none, i.e.
/// when the client offered none of ours.
///
/// `on_init` gets the `connection_init` payload (`Value::Null` if absent) and
/// returns the [`Session`]: the data every operation of this socket runs with,
/// and what may end it early (then the socket is closed with 4403). The data
/// is dropped when the socket ends, together with every operation.
pub fn serve_socket<Q, M, S, F, Fut>(
    mut socket: WebSocket,
    schema: Schema<Q, M, S>,
    protocol: WebSocketProtocols,
    config: WsConfig,
    on_init: F,
) -> impl Future<Output = ()> + Send
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: FnOnce(Value) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Session, InitRejection>> + Send + 'static,
{
    // What the upgrade response told the client wins over the argument: a
    // caller that read the client's header itself may have picked another
    // subprotocol than the upgrade answered with (ours go by preference order).
    let protocol = socket
        .protocol()
        .and_then(|value| protocol::protocol_named(value.as_bytes()))
        .unwrap_or(protocol);
    // Set up before the future, on the heap: a future keeps an async fn's
    // arguments beside what they are moved into, and every open socket is
    // one such future (this and the boxed handlers in `step` took about
    // 1.7 KiB off each).
    let mut conn = Box::new(Connection::new(schema, protocol, &config, on_init));
    let stall = config.write_stall_limit();
    // Held until the close frame is out: a stopping server waits for it.
    let counted = config.shutdown.open_socket();
    async move {
        tracing::debug!(
            protocol = protocol.sec_websocket_protocol(),
            "graphql ws: open"
        );
        let _open = crate::metrics::Gauge::hold(crate::metrics::sockets);
        let _counted = counted;
        let exit = conn.run(&mut socket).await;
        // Every operation and the session data go before the closing
        // handshake, so per-session guards end promptly.
        drop(conn);
        Box::pin(finish(socket, exit, stall)).await;
    }
}

/// How the main loop ended.
#[derive(Debug)]
enum Exit {
    /// We close the socket with this code and reason.
    Close(Close),
    /// The client sent a Close frame; our reply still has to be flushed.
    PeerClosed,
    /// The transport is gone or stuck; nothing more can be sent.
    Gone,
}

/// Flush the closing handshake, bounded in time, then drop the socket.
async fn finish(mut socket: WebSocket, exit: Exit, stall: Duration) {
    match exit {
        Exit::Gone => {
            tracing::debug!("graphql ws: transport gone");
            return;
        }
        Exit::PeerClosed => tracing::debug!("graphql ws: closed by client"),
        Exit::Close(close) => {
            let reason = close.frame_reason();
            tracing::debug!(code = close.code, reason, "graphql ws: closing");
            let frame = CloseFrame {
                code: close.code,
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

/// State of one socket, owned by its main loop.
struct Connection<Q, M, S, F, Fut> {
    schema: Schema<Q, M, S>,
    /// Also says which protocol this socket speaks.
    writer: Writer,
    max_subscriptions: usize,
    max_message_bytes: usize,
    keepalive: Option<Interval>,
    idle_limit: Option<Duration>,
    /// Taken when the first `connection_init` arrives.
    on_init: Option<F>,
    /// The running `on_init`, between `connection_init` and the ack.
    init_fut: Option<Pin<Box<Fut>>>,
    /// Fires [`WsConfig::init_timeout`] after the upgrade unless acked before.
    init_deadline: Pin<Box<Sleep>>,
    /// Set by the ack: the data every operation of this socket runs with.
    session: Option<Arc<Data>>,
    /// Set by the ack: resolves when the session must end (4403).
    session_end: Option<WhenWoken<SessionEnd>>,
    /// Running operations by client id.
    operations: StreamMap<String, BoxStream<'static, OperationEvent>>,
    /// When the client last sent us any frame.
    last_seen: Instant,
    /// Resolves when the server stops.
    shutdown: WhenWoken<Pin<Box<WaitForCancellationFutureOwned>>>,
}

impl<Q, M, S, F, Fut> Connection<Q, M, S, F, Fut>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: FnOnce(Value) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Session, InitRejection>> + Send + 'static,
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
            writer: Writer {
                protocol,
                stall: config.write_stall_limit(),
                max_outgoing_bytes: config.max_outgoing_bytes,
            },
            max_subscriptions: config.max_subscriptions,
            max_message_bytes: config.max_message_bytes,
            keepalive,
            idle_limit: (!period.is_zero()).then(|| period.saturating_mul(2)),
            on_init: Some(on_init),
            init_fut: None,
            init_deadline: Box::pin(time::sleep(config.init_timeout)),
            session: None,
            session_end: None,
            operations: StreamMap::new(),
            last_seen: Instant::now(),
            shutdown: WhenWoken::new(Box::pin(config.shutdown.token().cancelled_owned())),
        }
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
                    Box::pin(self.on_frame(socket, message)).await
                }
                Some(Err(err)) => Err(transport_error(&err)),
                None => Err(Exit::Gone),
            },
            result = poll_optional(&mut self.init_fut) => {
                self.init_fut = None;
                Box::pin(self.on_init_done(socket, result)).await
            }
            () = &mut self.init_deadline, if !acked => Err(Exit::Close(Close::init_timeout())),
            () = &mut self.shutdown => Err(Exit::Close(Close::server_stopping())),
            reason = poll_optional(&mut self.session_end) => {
                tracing::debug!(reason, "graphql ws: session ended");
                Err(Exit::Close(Close::forbidden(&reason)))
            }
            _ = tick_optional(&mut self.keepalive) => Box::pin(self.on_keepalive(socket)).await,
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
            return Err(Exit::Close(Close::message_too_big()));
        }
        match protocol::parse_client_message(bytes, self.writer.protocol).map_err(Exit::Close)? {
            ClientMessage::ConnectionInit(payload) => {
                let Some(on_init) = self.on_init.take() else {
                    return Err(Exit::Close(Close::too_many_init()));
                };
                tracing::debug!("graphql ws: connection_init");
                self.init_fut = Some(Box::pin(on_init(payload)));
                Ok(())
            }
            ClientMessage::Ping(payload) => {
                self.writer
                    .send(socket, ServerKind::Pong, None, payload.as_ref())
                    .await
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
            ClientMessage::Terminate => Err(Exit::Close(Close::normal())),
        }
    }

    async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        id: String,
        request: Request,
    ) -> Result<(), Exit> {
        let Some(session) = &self.session else {
            return Err(Exit::Close(Close::unauthorized()));
        };
        if self.operations.contains_key(&id) {
            return Err(Exit::Close(Close::subscriber_exists(&id)));
        }
        if self.operations.len() >= self.max_subscriptions {
            tracing::debug!(
                id,
                limit = self.max_subscriptions,
                "graphql ws: too many operations"
            );
            let errors = protocol::too_many_subscriptions(self.max_subscriptions);
            return self
                .writer
                .send(socket, ServerKind::Error, Some(&id), Some(&errors))
                .await;
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
        result: Result<Session, InitRejection>,
    ) -> Result<(), Exit> {
        match result {
            Ok(session) => {
                tracing::debug!("graphql ws: connection_ack");
                self.session = Some(Arc::new(session.data));
                self.session_end = session.end.map(WhenWoken::new);
                self.writer
                    .send(socket, ServerKind::ConnectionAck, None, NO_PAYLOAD)
                    .await?;
                if protocol::is_legacy(self.writer.protocol) {
                    // subscriptions-transport-ws clients start their keepalive
                    // watchdog on the first `ka`, which servers send right away.
                    self.writer
                        .send(socket, ServerKind::KeepAlive, None, NO_PAYLOAD)
                        .await?;
                }
                Ok(())
            }
            Err(InitRejection::Unauthenticated(reason)) => {
                let reason = protocol::rejection_reason(&reason);
                tracing::debug!(reason, "graphql ws: connection_init rejected");
                if protocol::is_legacy(self.writer.protocol) {
                    // Legacy clients expect the reason in a message, not the close frame.
                    let payload = protocol::connection_error(reason);
                    self.writer
                        .send(socket, ServerKind::ConnectionError, None, Some(&payload))
                        .await?;
                }
                Err(Exit::Close(Close::forbidden(reason)))
            }
        }
    }

    async fn on_keepalive(&mut self, socket: &mut WebSocket) -> Result<(), Exit> {
        if let Some(limit) = self.idle_limit {
            // Browsers answer our Ping frames on their own, so silence this
            // long means the peer is gone; drop it rather than hold its
            // session (and presence) until TCP gives up.
            if self.last_seen.elapsed() > limit {
                return Err(Exit::Close(Close::keepalive_timeout()));
            }
        }
        self.writer
            .frame(socket, Message::Ping(Bytes::new()))
            .await?;
        if self.session.is_some() {
            self.writer
                .send(socket, ServerKind::KeepAlive, None, NO_PAYLOAD)
                .await?;
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
                self.writer
                    .send(socket, ServerKind::Next, Some(&id), Some(&response))
                    .await
            }
            OperationEvent::Error(errors) => {
                self.operations.remove(&id);
                tracing::debug!(id, "graphql ws: operation failed");
                self.writer
                    .send(socket, ServerKind::Error, Some(&id), Some(&errors))
                    .await
            }
            OperationEvent::Complete => {
                self.operations.remove(&id);
                tracing::debug!(id, "graphql ws: operation complete");
                self.writer
                    .send(socket, ServerKind::Complete, Some(&id), NO_PAYLOAD)
                    .await
            }
        }
    }
}

/// How this socket writes: its protocol, its write stall limit and its
/// largest message.
///
/// `Copy` and taken by value, so a write in progress borrows nothing of the
/// [`Connection`] (which is not `Sync`) and the loop's future stays `Send`.
#[derive(Clone, Copy)]
struct Writer {
    protocol: WebSocketProtocols,
    stall: Duration,
    max_outgoing_bytes: usize,
}

impl Writer {
    /// Encode and send one protocol message.
    async fn send<P: Serialize>(
        self,
        socket: &mut WebSocket,
        kind: ServerKind,
        id: Option<&str>,
        payload: Option<&P>,
    ) -> Result<(), Exit> {
        match protocol::encode_server_message(self.protocol, kind, id, payload) {
            Ok(text) if text.len() > self.max_outgoing_bytes => {
                tracing::warn!(
                    ?kind,
                    bytes = text.len(),
                    limit = self.max_outgoing_bytes,
                    "graphql ws: message over the outgoing limit"
                );
                if kind != ServerKind::Next {
                    return Err(Exit::Close(Close::internal_error()));
                }
                let replacement = protocol::result_too_large(self.max_outgoing_bytes);
                match protocol::encode_server_message(self.protocol, kind, id, Some(&replacement)) {
                    Ok(text) => self.frame(socket, Message::Text(text.into())).await,
                    Err(_) => Err(Exit::Close(Close::internal_error())),
                }
            }
            Ok(text) => self.frame(socket, Message::Text(text.into())).await,
            Err(err) => {
                tracing::warn!(?kind, error = %err, "graphql ws: cannot encode message");
                Err(Exit::Close(Close::internal_error()))
            }
        }
    }

    /// Send one frame; a failed write, or one stalled for the limit, ends the socket.
    async fn frame(self, socket: &mut WebSocket, message: Message) -> Result<(), Exit> {
        match time::timeout(self.stall, socket.send(message)).await {
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
        Exit::Close(Close::message_too_big())
    } else {
        tracing::debug!(error = %text, "graphql ws: read failed");
        Exit::Gone
    }
}
