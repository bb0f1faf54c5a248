//! The two GraphQL-over-WebSocket subprotocols as data: subprotocol
//! negotiation, client messages parsed into [`ClientMessage`], server messages
//! encoded from [`ServerKind`], and the close codes and reasons of [`Close`].
//!
//! Nothing here touches a socket, so every rule of the protocol can be tested
//! without one; the connection loop decides *when* to send what.

use std::borrow::Cow;

use async_graphql::{http::WebSocketProtocols, Request};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Subprotocols we accept, in our order of preference (the first of these that
/// the client offers wins, whatever order the client lists them in).
pub const SUBPROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

/// WebSocket close codes sent by this module.
pub mod close_code {
    /// The client sent `connection_terminate` (legacy protocol).
    pub const NORMAL: u16 = 1000;
    /// The client stopped answering our keepalive pings.
    pub const GOING_AWAY: u16 = 1001;
    /// A client frame exceeded [`crate::graphql::ws::WsConfig::max_message_bytes`].
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// We could not encode a message (should not happen).
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The client sent something that is not a valid protocol message.
    pub const BAD_REQUEST: u16 = 4400;
    /// The client subscribed before its `connection_init` was acknowledged.
    pub const UNAUTHORIZED: u16 = 4401;
    /// `on_init` refused the connection, or the session ended (its token expired).
    pub const FORBIDDEN: u16 = 4403;
    /// No acknowledged `connection_init` within
    /// [`crate::graphql::ws::WsConfig::init_timeout`].
    pub const INIT_TIMEOUT: u16 = 4408;
    /// The client reused the id of an operation that is still running.
    pub const SUBSCRIBER_EXISTS: u16 = 4409;
    /// The client sent a second `connection_init`.
    pub const TOO_MANY_INIT: u16 = 4429;
}

/// Longest close reason a close frame can carry: a control frame payload is at
/// most 125 bytes and the status code takes two of them.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The subprotocol to answer with: the first of [`SUBPROTOCOLS`] among those
/// the client `offered` (each one token of `Sec-WebSocket-Protocol`), or
/// `None` when it offered none of ours.
pub fn select_subprotocol<'a>(offered: impl IntoIterator<Item = &'a [u8]>) -> Option<&'static str> {
    let offered: Vec<&[u8]> = offered.into_iter().collect();
    SUBPROTOCOLS
        .into_iter()
        .find(|ours| offered.contains(&ours.as_bytes()))
}

/// The protocol a subprotocol name stands for (ASCII case ignored), `None`
/// for a name that is not ours.
pub fn protocol_named(name: &[u8]) -> Option<WebSocketProtocols> {
    if name.eq_ignore_ascii_case(b"graphql-ws") {
        Some(WebSocketProtocols::SubscriptionsTransportWS)
    } else if name.eq_ignore_ascii_case(b"graphql-transport-ws") {
        Some(WebSocketProtocols::GraphQLWS)
    } else {
        None
    }
}

/// Whether `protocol` is the legacy `graphql-ws` (subscriptions-transport-ws).
pub fn is_legacy(protocol: WebSocketProtocols) -> bool {
    protocol == WebSocketProtocols::SubscriptionsTransportWS
}

/// Why a socket closes: the code and the reason for the close frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    /// One of [`close_code`].
    pub code: u16,
    /// Human-readable; cut to [`MAX_CLOSE_REASON_BYTES`] by [`Close::frame_reason`].
    pub reason: Cow<'static, str>,
}

impl Close {
    fn new(code: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// 1000 with no reason: the client asked to terminate.
    pub fn normal() -> Self {
        Self::new(close_code::NORMAL, "")
    }

    /// 1001: the server is stopping (the client reconnects elsewhere and
    /// resumes with `since`).
    pub fn server_stopping() -> Self {
        Self::new(close_code::GOING_AWAY, "Server stopping")
    }

    /// 1001: nothing arrived from the client for too long.
    pub fn keepalive_timeout() -> Self {
        Self::new(close_code::GOING_AWAY, "Keepalive timeout")
    }

    /// 1009: a client message over the size limit.
    pub fn message_too_big() -> Self {
        Self::new(close_code::MESSAGE_TOO_BIG, "Message too big")
    }

    /// 1011: we failed on our side.
    pub fn internal_error() -> Self {
        Self::new(close_code::INTERNAL_ERROR, "Internal server error")
    }

    /// 4400 with `reason`: an invalid client message.
    pub fn bad_request(reason: &'static str) -> Self {
        Self::new(close_code::BAD_REQUEST, reason)
    }

    /// 4401: an operation before the `connection_ack`.
    pub fn unauthorized() -> Self {
        Self::new(close_code::UNAUTHORIZED, "Unauthorized")
    }

    /// 4403 with `reason` (already truncated, "Forbidden" if empty): the
    /// `connection_init` was refused.
    pub fn forbidden(reason: &str) -> Self {
        Self::new(close_code::FORBIDDEN, rejection_reason(reason).to_owned())
    }

    /// 4408: no acknowledged `connection_init` in time.
    pub fn init_timeout() -> Self {
        Self::new(
            close_code::INIT_TIMEOUT,
            "Connection initialisation timeout",
        )
    }

    /// 4409: `id` is already running.
    pub fn subscriber_exists(id: &str) -> Self {
        Self::new(
            close_code::SUBSCRIBER_EXISTS,
            format!("Subscriber for {id} already exists"),
        )
    }

    /// 4429: a second `connection_init`.
    pub fn too_many_init() -> Self {
        Self::new(
            close_code::TOO_MANY_INIT,
            "Too many initialisation requests",
        )
    }

    /// The reason as a close frame can carry it.
    pub fn frame_reason(&self) -> &str {
        truncate_reason(&self.reason)
    }
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

/// The reason sent for a refused `connection_init`: truncated, and
/// "Forbidden" when there is none (an empty close reason says nothing).
pub fn rejection_reason(reason: &str) -> &str {
    match truncate_reason(reason) {
        "" => "Forbidden",
        reason => reason,
    }
}

/// A client message, validated.
#[derive(Debug)]
pub enum ClientMessage {
    /// `connection_init` with its payload (`Value::Null` if absent).
    ConnectionInit(Value),
    /// `ping` (graphql-transport-ws) with its optional object payload.
    Ping(Option<Value>),
    /// `pong` (graphql-transport-ws).
    Pong,
    /// `subscribe` (graphql-transport-ws) or `start` (graphql-ws).
    Subscribe {
        /// The client's operation id, not empty.
        id: String,
        /// The operation to run.
        request: Box<Request>,
    },
    /// `complete` (graphql-transport-ws) or `stop` (graphql-ws).
    Complete {
        /// The operation to stop.
        id: String,
    },
    /// `connection_terminate` (graphql-ws).
    Terminate,
}

/// Parse one client frame of `protocol`; `Err` is the 4400 close to send.
pub fn parse_client_message(
    bytes: &[u8],
    protocol: WebSocketProtocols,
) -> Result<ClientMessage, Close> {
    parse(bytes, is_legacy(protocol)).map_err(Close::bad_request)
}

fn parse(bytes: &[u8], legacy: bool) -> Result<ClientMessage, &'static str> {
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

/// A server message, named the same in both protocols where they agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// `connection_ack`.
    ConnectionAck,
    /// `connection_error` (graphql-ws only: the refusal of an init).
    ConnectionError,
    /// The server's keepalive: `ping` (graphql-transport-ws) or `ka` (graphql-ws).
    KeepAlive,
    /// `pong`, the answer to a client `ping` (graphql-transport-ws).
    Pong,
    /// A result: `next` (graphql-transport-ws) or `data` (graphql-ws).
    Next,
    /// `error`: the operation failed before producing any result.
    Error,
    /// `complete`: the operation has ended.
    Complete,
}

impl ServerKind {
    /// The `type` of this message in `protocol`.
    pub fn name(self, protocol: WebSocketProtocols) -> &'static str {
        let legacy = is_legacy(protocol);
        match self {
            Self::ConnectionAck => "connection_ack",
            Self::ConnectionError => "connection_error",
            Self::KeepAlive if legacy => "ka",
            Self::KeepAlive => "ping",
            Self::Pong => "pong",
            Self::Next if legacy => "data",
            Self::Next => "next",
            Self::Error => "error",
            Self::Complete => "complete",
        }
    }
}

/// A server message on the wire.
#[derive(Serialize)]
struct ServerMessage<'a, P: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<P>,
}

/// No payload, for [`encode_server_message`].
pub const NO_PAYLOAD: Option<&()> = None;

/// The JSON text of one server message of `protocol`.
pub fn encode_server_message<P: Serialize>(
    protocol: WebSocketProtocols,
    kind: ServerKind,
    id: Option<&str>,
    payload: Option<&P>,
) -> serde_json::Result<String> {
    serde_json::to_string(&ServerMessage {
        kind: kind.name(protocol),
        id,
        payload,
    })
}

/// The `error` payload refusing an operation over the per-socket limit.
pub fn too_many_subscriptions(limit: usize) -> Value {
    json!([{
        "message": format!("Too many active subscriptions (at most {limit})"),
        "extensions": { "code": "RATE_LIMITED" },
    }])
}

/// The `next` payload standing in for a result over the outgoing limit.
pub fn result_too_large(limit: usize) -> Value {
    json!({
        "data": null,
        "errors": [{
            "message": format!("the result is over the {limit}-byte frame limit"),
            "extensions": { "code": "PAYLOAD_TOO_LARGE" },
        }],
    })
}

/// The `connection_error` payload of a refused init (graphql-ws).
pub fn connection_error(reason: &str) -> Value {
    json!({ "message": reason })
}

#[cfg(test)]
mod tests;
