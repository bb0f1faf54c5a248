//! Spawning the app and talking to it.

#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use imgql::{AppState, Config};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest, http::HeaderValue, Message};

/// How long any single read waits before the test fails.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub state: AppState,
    _data_dir: tempfile::TempDir,
}

/// Start the real server on 127.0.0.1:0 with a fresh database: SQLite in a
/// temp dir, or a new PostgreSQL database when `TEST_DATABASE_URL` is set.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to change the configuration first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.trim().is_empty() => Some(fresh_postgres_database(&base).await),
        _ => None,
    };
    let mut config = Config::for_tests(data_dir.path().to_path_buf(), database_url);
    tweak(&mut config);
    let state = AppState::new(config).await.expect("app state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = state.clone();
    tokio::spawn(async move {
        imgql::serve(listener, served, std::future::pending())
            .await
            .expect("serve");
    });
    TestApp {
        addr,
        http: reqwest::Client::new(),
        state,
        _data_dir: data_dir,
    }
}

/// A new, empty PostgreSQL database next to `base`; returns its URL.
pub async fn fresh_postgres_database(base: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("imgql_test_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(base)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    // Replace the database name (the last path segment) of the base URL.
    let rest = base.rsplit_once('/').map(|(_, r)| r).unwrap_or("");
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!(
        "{}/{name}{query}",
        base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base)
    )
}

impl TestApp {
    /// Wait until `count` live feeds of the user of `token` listen (each listens to the
    /// user's topic once its starting point is read): a round trip over the
    /// socket does not show that, since the server sets operations up
    /// concurrently, and a message sent before it may be counted as already
    /// there. Panics after ten seconds.
    pub async fn until_feeds(&self, token: &str, count: usize) {
        self.until_feeds_are(token, |n| n >= count).await;
    }

    /// Wait until the number of live feeds of `token`'s user satisfies
    /// `wanted`; panics after ten seconds.
    pub async fn until_feeds_are(&self, token: &str, wanted: impl Fn(usize) -> bool) {
        for _ in 0..2000 {
            if wanted(self.feeds_of(token)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!(
            "the live feeds never came right: {} now",
            self.feeds_of(token)
        );
    }

    /// How many live feeds of the user of `token` listen now (one per
    /// socket with feed subscriptions, plus each `profileUpdated`).
    pub fn feeds_of(&self, token: &str) -> usize {
        let user = self.state.keys.verify(token).expect("a valid token").sub;
        self.state
            .bus
            .listeners(&imgql::realtime::Topic::User(user))
    }

    /// The full HTTP URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The WebSocket URL of `/graphql/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/ws", self.addr)
    }

    /// A handle for GraphQL calls that spawned tasks can own.
    pub fn gql_client(&self) -> GqlClient {
        GqlClient {
            http: self.http.clone(),
            url: self.url("/graphql"),
        }
    }

    /// POST a GraphQL request; returns the JSON body (any status).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_client().gql(token, query, variables).await
    }

    /// POST a GraphQL request and return `data`, failing on any error.
    pub async fn gql_ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// POST a GraphQL request expecting one error; returns its code.
    pub async fn gql_err(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let body = self.gql(token, query, variables).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected a coded error, got {body}"));
        code.to_string()
    }

    /// POST a compat route with the seed's `token` header; returns (status, body).
    pub async fn compat(&self, token: Option<&str>, path: &str, body: Value) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if let Some(token) = token {
            req = req.header("token", token);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("json envelope"))
    }

    /// Register `username` (password `password123`) and return the token.
    pub async fn register(&self, username: &str) -> String {
        let data = self
            .gql_ok(
                None,
                "mutation($e: String!, $u: String!) { register(email: $e, username: $u, password: \"password123\") { token } }",
                json!({ "e": format!("{username}@example.com"), "u": username }),
            )
            .await;
        data["register"]["token"]
            .as_str()
            .expect("token")
            .to_string()
    }
}

/// A cloneable GraphQL caller for spawned tasks, which cannot borrow the
/// [`TestApp`].
#[derive(Clone)]
pub struct GqlClient {
    http: reqwest::Client,
    url: String,
}

impl GqlClient {
    /// POST a GraphQL request; returns the JSON body (any status).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json body")
    }
}

/// Make users directly in the database (hashing hundreds of passwords in a
/// debug build would dominate the tests) and return their tokens.
pub async fn seed_users(app: &TestApp, names: &[&str]) -> Vec<String> {
    use entity::users;
    use sea_orm::{EntityTrait, Set};
    let rows = names.iter().map(|name| users::ActiveModel {
        user_id: Set(name.to_string()),
        email: Set(format!("{name}@example.com")),
        email_lower: Set(format!("{name}@example.com").to_lowercase()),
        password_hash: Set("not-a-hash".into()),
        nick: Set(format!("{name}-nick")),
        avatar: Set(String::new()),
        gender: Set("Gender_Type_Unknown".into()),
        self_signature: Set(String::new()),
        allow_type: Set("AllowType_Type_AllowAny".into()),
        birthday: Set(0),
        location: Set(String::new()),
        language: Set(0),
        message_settings: Set(0),
        admin_forbid_type: Set("AdminForbid_Type_None".into()),
        level: Set(0),
        role: Set(0),
        profile_custom_field: Set("[]".into()),
        created_at: Set(0),
        updated_at: Set(0),
    });
    for chunk in rows.collect::<Vec<_>>().chunks(200) {
        users::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.state.db)
            .await
            .expect("seed users");
    }
    names
        .iter()
        .map(|name| app.state.keys.issue(name).expect("token"))
        .collect()
}

/// Run a mutation or query as `token` expecting success; returns `data`.
pub async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.gql_ok(Some(token), query, variables).await
}

/// Run a mutation or query as `token` expecting an error; returns its code.
pub async fn err(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    app.gql_err(Some(token), query, variables).await
}

/// Assert that each `(token, query, variables, code)` call fails with that
/// error code, in order.
pub async fn assert_codes(app: &TestApp, cases: &[(&str, &str, Value, &str)]) {
    for (token, query, variables, code) in cases {
        assert_eq!(
            err(app, token, query, variables.clone()).await,
            *code,
            "{query} {variables}"
        );
    }
}

/// A compat call expected to succeed (HTTP 200, code 0); returns `data`.
pub async fn compat_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, envelope) = app.compat(Some(token), path, body).await;
    assert_eq!(
        (status, envelope["code"].clone()),
        (200, json!(0)),
        "{path}: {envelope}"
    );
    envelope["data"].clone()
}

/// A compat call expected to fail; returns (HTTP status, compat code).
pub async fn compat_err(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, i64) {
    let (status, envelope) = app.compat(Some(token), path, body).await;
    (status, envelope["code"].as_i64().unwrap_or(0))
}

/// Every field of a one-to-one message, for selections.
pub const MSG_FIELDS: &str = "ID type conversationID conversationType to from flow time status isRevoked priority nick avatar isPeerRead nameCard atUserList cloudCustomData sequence clientMsgID payload { __typename ... on TextElem { text } ... on CustomElem { data description extension } ... on FaceElem { index data } ... on LocationElem { description longitude latitude } ... on RelayElem { title abstractList compatibleText messageList { ID from payload { ... on TextElem { text } } } } }";

/// The `sendMessage` mutation (variable `$m`) selecting `fields` of the message.
pub fn send_message_query(fields: &str) -> String {
    format!("mutation($m: CreateMessageInput!) {{ sendMessage(message: $m) {{ {fields} }} }}")
}

/// The `sendMessage` mutation selecting [`MSG_FIELDS`].
pub fn send_query() -> String {
    send_message_query(MSG_FIELDS)
}

/// Send a text from `token` to `to`; returns the message.
pub async fn send_text(app: &TestApp, token: &str, to: &str, text: &str) -> Value {
    let data = app
        .gql_ok(
            Some(token),
            &send_query(),
            json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": text } } } }),
        )
        .await;
    data["sendMessage"].clone()
}

/// One page of a conversation's history with `fields` of each message:
/// `getMessageList` (`messageList`, `nextReqMessageID`, `isCompleted`).
pub async fn message_page(
    app: &TestApp,
    token: &str,
    conversation: &str,
    fields: &str,
    count: i64,
    cursor: Option<&str>,
) -> Value {
    let data = app
        .gql_ok(
            Some(token),
            &format!("query($c: String!, $n: Int, $r: String) {{ getMessageList(conversationID: $c, count: $n, nextReqMessageID: $r) {{ messageList {{ {fields} }} nextReqMessageID isCompleted }} }}"),
            json!({ "c": conversation, "n": count, "r": cursor }),
        )
        .await;
    data["getMessageList"].clone()
}

/// One page of a conversation's history with [`MSG_FIELDS`].
pub async fn history(
    app: &TestApp,
    token: &str,
    conversation: &str,
    count: i64,
    cursor: Option<&str>,
) -> Value {
    message_page(app, token, conversation, MSG_FIELDS, count, cursor).await
}

/// A graphql-transport-ws client.
pub struct WsClient {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl WsClient {
    /// Connect with the given subprotocol, without initialising.
    pub async fn connect_raw(app: &TestApp, protocol: &str) -> Self {
        Self::connect_raw_url(&app.ws_url(), protocol).await
    }

    /// Connect to `url` with graphql-transport-ws and authenticate with
    /// `token`, expecting an ack (a server in another process).
    pub async fn with_token_at(url: &str, token: &str) -> Self {
        let mut client = Self::connect_raw_url(url, "graphql-transport-ws").await;
        client
            .send(json!({ "type": "connection_init", "payload": { "token": token } }))
            .await;
        let ack = client.next_json().await;
        assert_eq!(ack["type"], "connection_ack", "expected ack, got {ack}");
        client
    }

    /// Connect to `url` with the given subprotocol, without initialising.
    pub async fn connect_raw_url(url: &str, protocol: &str) -> Self {
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_str(protocol).expect("header"),
        );
        // A small read buffer: tungstenite zero-fills its default 128 KiB on
        // every read, which tests with hundreds of sockets pay for.
        let config = tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4 * 1024);
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
            .await
            .expect("ws connect");
        Self { socket }
    }

    /// Connect with graphql-transport-ws and initialise with `payload`, expecting an ack.
    pub async fn connect(app: &TestApp, payload: Value) -> Self {
        let mut client = Self::connect_raw(app, "graphql-transport-ws").await;
        client
            .send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = client.next_json().await;
        assert_eq!(ack["type"], "connection_ack", "expected ack, got {ack}");
        client
    }

    /// Connect and authenticate with `token`.
    pub async fn with_token(app: &TestApp, token: &str) -> Self {
        Self::connect(app, json!({ "token": token })).await
    }

    /// Send one JSON message as a text frame.
    pub async fn send(&mut self, value: Value) {
        self.socket
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("ws send");
    }

    /// Stop the subscription `id`.
    pub async fn complete(&mut self, id: &str) {
        self.send(json!({ "id": id, "type": "complete" })).await;
    }

    /// Start a subscription with id `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next JSON message (pings answered and skipped), under a timeout.
    pub async fn next_json(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(READ_TIMEOUT, self.socket.next())
                .await
                .expect("timed out waiting for a ws frame")
                .expect("socket ended")
                .expect("ws error");
            match frame {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).expect("json frame");
                    if value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return value;
                }
                Message::Close(frame) => panic!("socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// The `data` of the next `next` message for subscription `id`.
    pub async fn next_data(&mut self, id: &str) -> Value {
        loop {
            let msg = self.next_json().await;
            if msg["id"] == id && msg["type"] == "next" {
                return msg["payload"]["data"].clone();
            }
            if msg["id"] == id && msg["type"] == "error" {
                panic!("subscription error: {msg}");
            }
        }
    }

    /// Run a query over the socket and wait for its answer, so that earlier
    /// subscribe messages have been processed.
    pub async fn settle(&mut self) {
        self.subscribe("settle", "{ __typename }", json!({})).await;
        loop {
            let msg = self.next_json().await;
            if msg["id"] == "settle" && msg["type"] == "complete" {
                break;
            }
        }
    }

    /// Run `probe` until subscription `id` yields within a short wait (the
    /// server may still be starting it) and return that data; after 100
    /// tries, panic saying `what` never became live.
    pub async fn until_live(
        &mut self,
        id: &str,
        what: &str,
        mut probe: impl AsyncFnMut(),
    ) -> Value {
        for _ in 0..100 {
            probe().await;
            if let Ok(data) =
                tokio::time::timeout(Duration::from_millis(250), self.next_data(id)).await
            {
                return data;
            }
        }
        panic!("{what} never became live");
    }

    /// Wait for the close frame; returns its code.
    pub async fn closed_with(&mut self) -> u16 {
        loop {
            let frame = tokio::time::timeout(READ_TIMEOUT, self.socket.next())
                .await
                .expect("timed out waiting for close");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => return u16::from(frame.code),
                Some(Ok(Message::Close(None))) | None => return 1005,
                Some(Ok(_)) => continue,
                Some(Err(tungstenite::Error::ConnectionClosed)) => return 1005,
                Some(Err(e)) => panic!("ws error: {e}"),
            }
        }
    }

    /// Assert nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        let result = tokio::time::timeout(wait, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Text(text))) => {
                        let value: Value = serde_json::from_str(&text).expect("json");
                        if value["type"] == "ping" || value["type"] == "pong" {
                            continue;
                        }
                        return value;
                    }
                    Some(Ok(_)) => continue,
                    other => panic!("socket ended: {other:?}"),
                }
            }
        })
        .await;
        if let Ok(value) = result {
            panic!("expected silence, got {value}");
        }
    }
}
