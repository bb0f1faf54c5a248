//! TEMPORARY compile stub; replaced by the real engine.
use async_graphql::{http::WebSocketProtocols, Data, ObjectType, Schema, SubscriptionType};
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use std::time::Duration;
#[derive(Clone, Debug)]
pub struct WsConfig {
    pub init_timeout: Duration,
    pub keepalive_interval: Duration,
    pub max_subscriptions: usize,
    pub max_message_bytes: usize,
}
impl Default for WsConfig {
    fn default() -> Self {
        Self {
            init_timeout: Duration::from_secs(10),
            keepalive_interval: Duration::from_secs(15),
            max_subscriptions: 100,
            max_message_bytes: 65536,
        }
    }
}
pub enum InitRejection {
    Unauthenticated(String),
}
pub async fn serve_socket<Q, M, S, F, Fut>(
    _socket: WebSocket,
    _schema: Schema<Q, M, S>,
    _protocol: WebSocketProtocols,
    _config: WsConfig,
    _on_init: F,
) where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: FnOnce(serde_json::Value) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Data, InitRejection>> + Send + 'static,
{
}
pub fn configure_upgrade(upgrade: WebSocketUpgrade, _config: &WsConfig) -> WebSocketUpgrade {
    upgrade
}
