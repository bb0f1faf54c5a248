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
//! The module is in two parts: [`protocol`] is the protocol as data (parsing,
//! encoding, close codes; no I/O), and `connection` serves one socket with it.
//! This file holds what the HTTP handler needs: [`WsConfig`], [`Session`],
//! [`InitRejection`], [`configure_upgrade`], [`negotiated_protocol`] and
//! [`serve_socket`].

mod connection;
pub mod protocol;
mod woken;

use std::{
    future::Future,
    pin::Pin,
    time::{Duration, SystemTime},
};

use async_graphql::{http::WebSocketProtocols, Data};
use axum::{extract::ws::WebSocketUpgrade, http::HeaderValue};

pub use connection::serve_socket;
pub use protocol::{close_code, truncate_reason, MAX_CLOSE_REASON_BYTES, SUBPROTOCOLS};

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
    /// Largest server message in bytes. tungstenite drops the connection,
    /// without a close frame, when a frame does not fit in its write buffer,
    /// so the buffer limit is derived from this and it must hold the largest
    /// result the server can produce (see [`MAX_OUTGOING_FRAME_BYTES`]). A
    /// result over it is replaced by a `next` carrying one
    /// `PAYLOAD_TOO_LARGE` error; the socket stays open.
    pub max_outgoing_bytes: usize,
    /// Says when the server stops (the socket then closes with 1001) and
    /// counts the socket as open until it has closed.
    pub shutdown: crate::realtime::Stopping,
}

/// Default of [`WsConfig::max_outgoing_bytes`]: 8 MiB, four times the largest
/// message payload the server stores (2 MiB: a merged message of 100
/// full-length texts is about 1.2 MiB) so that it fits as a `next` frame with
/// its selection, JSON escaping and the message's other fields.
///
/// Memory follows use, not this limit: the write buffer starts small
/// (4 KiB) and grows only to the largest frame a socket has actually sent.
pub const MAX_OUTGOING_FRAME_BYTES: usize = 8 * 1024 * 1024;

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(15),
            max_subscriptions: 100,
            max_message_bytes: 64 * 1024,
            max_outgoing_bytes: MAX_OUTGOING_FRAME_BYTES,
            shutdown: crate::realtime::Stopping::default(),
        }
    }
}

impl WsConfig {
    /// A write that makes no progress for this long means the client is gone.
    fn write_stall_limit(&self) -> Duration {
        self.keepalive_interval
            .saturating_mul(2)
            .max(Duration::from_secs(10))
    }
}

/// What an accepted `connection_init` yields: the data every operation of the
/// socket runs with and, optionally, what ends the session before the client
/// does (its token expiring, say).
pub struct Session {
    pub(crate) data: Data,
    pub(crate) end: Option<SessionEnd>,
}

/// Resolves, with the close reason, when a session must end.
pub(crate) type SessionEnd = Pin<Box<dyn Future<Output = String> + Send>>;

impl Session {
    /// A session with `data` that lasts as long as the socket.
    pub fn new(data: Data) -> Self {
        Self { data, end: None }
    }

    /// End the session when `end` resolves: the socket is then closed with
    /// 4403 and the reason `end` yields (truncated like every close reason).
    /// Called more than once, the first of the futures to resolve wins.
    pub fn ending_when(mut self, end: impl Future<Output = String> + Send + 'static) -> Self {
        self.end = Some(match self.end.take() {
            None => Box::pin(end),
            Some(earlier) => Box::pin(async move {
                tokio::select! {
                    reason = earlier => reason,
                    reason = end => reason,
                }
            }),
        });
        self
    }

    /// End the session at `deadline` (at once if it has passed), closing the
    /// socket with 4403 "Token expired".
    pub fn expiring_at(self, deadline: SystemTime) -> Self {
        let left = deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        self.ending_when(async move {
            tokio::time::sleep(left).await;
            "Token expired".to_owned()
        })
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

/// What each socket's read buffer starts at, and reads at most per call.
///
/// Every open socket keeps it, idle or not (axum's default is 128 KiB).
/// Client frames are graphql-ws control messages and subscriptions, well
/// under 1 KiB; a larger frame grows the buffer to its size (up to the
/// message limit) and is read in steps of this size.
pub const READ_BUFFER_BYTES: usize = 1024;

/// Build the upgrade with small buffers ([`READ_BUFFER_BYTES`]) and the
/// message size limit of `config`, answering with the first of
/// [`SUBPROTOCOLS`] the client offers.
///
/// Read the outcome with [`negotiated_protocol`] on the value this returns.
pub fn configure_upgrade(upgrade: WebSocketUpgrade, config: &WsConfig) -> WebSocketUpgrade {
    let mut upgrade = upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(4 * 1024)
        // tungstenite formats a whole frame into the buffer before writing it,
        // and drops the connection if it does not fit: room for the largest
        // message plus what a previous partial write may have left behind.
        // The buffer still only grows as far as the frames actually sent.
        .max_write_buffer_size(config.max_outgoing_bytes.saturating_mul(2).max(64 * 1024))
        // Checked against the frame header, before the payload is buffered.
        .max_frame_size(config.max_message_bytes)
        .max_message_size(config.max_message_bytes);
    // axum has already split the header into one value per offered name.
    let chosen =
        protocol::select_subprotocol(upgrade.requested_protocols().map(HeaderValue::as_bytes));
    if let Some(chosen) = chosen {
        upgrade.set_selected_protocol(HeaderValue::from_static(chosen));
    }
    upgrade
}

/// The subprotocol that `upgrade` will answer with, as async-graphql's enum;
/// `graphql-transport-ws` when the client offered none of ours.
///
/// Use this rather than `async_graphql_axum::GraphQLProtocol`: that extractor
/// rejects a request without the header (400), keeps its value private, and
/// follows the client's order while we answer in ours, so the two can
/// disagree when a client offers both.
pub fn negotiated_protocol<F>(upgrade: &WebSocketUpgrade<F>) -> WebSocketProtocols {
    upgrade
        .selected_protocol()
        .and_then(|value| protocol::protocol_named(value.as_bytes()))
        .unwrap_or(WebSocketProtocols::GraphQLWS)
}
