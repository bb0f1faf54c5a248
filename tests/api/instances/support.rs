//! Several real server processes on one PostgreSQL database and one Redis
//! prefix. They run when `TEST_DATABASE_URL` is set (and Redis answers on
//! 127.0.0.1:6379); otherwise each test prints why it is skipped.

use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use crate::helpers::{fresh_postgres_database, WsClient};

/// Where Redis is expected (CI starts it there).
const REDIS: &str = "redis://127.0.0.1:6379";

/// One database, one files directory and one Redis prefix, shared by the
/// instances started from it.
pub struct Cluster {
    database_url: String,
    prefix: String,
    files: tempfile::TempDir,
}

impl Cluster {
    /// A fresh cluster, or `None` (with the reason printed) when PostgreSQL
    /// or Redis is not there.
    pub async fn start(test: &str) -> Option<Self> {
        let Some(base) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        else {
            eprintln!("skipped {test}: several instances need TEST_DATABASE_URL (PostgreSQL)");
            return None;
        };
        if tokio::net::TcpStream::connect("127.0.0.1:6379")
            .await
            .is_err()
        {
            assert!(
                std::env::var("CI").is_err(),
                "Redis must answer on 127.0.0.1:6379 on CI"
            );
            eprintln!("skipped {test}: no Redis on 127.0.0.1:6379");
            return None;
        }
        Some(Self {
            database_url: fresh_postgres_database(&base).await,
            prefix: format!("imgqltest{}", uuid::Uuid::now_v7().simple()),
            files: tempfile::tempdir().expect("files dir"),
        })
    }

    /// Start one more instance with the default presence TTL.
    pub async fn instance(&self) -> Instance {
        self.instance_with_ttl(30).await
    }

    /// Start one more instance whose presence lasts `ttl` seconds without a
    /// refresh, and wait until it is ready.
    pub async fn instance_with_ttl(&self, ttl: u64) -> Instance {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            probe.local_addr().expect("addr").port()
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let data = tempfile::tempdir().expect("data dir");
        let log = std::fs::File::create(data.path().join("server.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_imgql"))
            .env("IMGQL_BIND", addr.to_string())
            .env("IMGQL_DATA_DIR", data.path())
            .env("IMGQL_FILES_DIR", self.files.path())
            .env("DATABASE_URL", &self.database_url)
            .env("IMGQL_JWT_SECRET", "test-secret-test-secret-test-secret!")
            .env("IMGQL_REDIS_URL", REDIS)
            .env("IMGQL_REDIS_PREFIX", &self.prefix)
            .env("IMGQL_PRESENCE_TTL", ttl.to_string())
            .env("IMGQL_DB_MAX_CONNECTIONS", "8")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start imgql");
        let instance = Instance {
            addr,
            http: reqwest::Client::new(),
            child: Some(child),
            _data: data,
        };
        instance.wait_ready().await;
        instance
    }
}

/// One running server process; killed when dropped.
pub struct Instance {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    child: Option<Child>,
    _data: tempfile::TempDir,
}

impl Instance {
    async fn wait_ready(&self) {
        for _ in 0..300 {
            if let Ok(resp) = self.http.get(self.url("/readyz")).send().await {
                if resp.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("instance on {} never became ready", self.addr);
    }

    /// The full HTTP URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A socket authenticated as `token`.
    pub async fn ws(&self, token: &str) -> WsClient {
        WsClient::with_token_at(&format!("ws://{}/graphql/ws", self.addr), token).await
    }

    /// POST a GraphQL request; the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("send").json().await.expect("json")
    }

    /// `data` of a request that must succeed.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(Some(token), query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Register `username`; its token.
    pub async fn register(&self, username: &str) -> String {
        let body = self
            .gql(
                None,
                "mutation($e: String!, $u: String!) { register(email: $e, username: $u, password: \"password123\") { token } }",
                json!({ "e": format!("{username}@example.com"), "u": username }),
            )
            .await;
        body["data"]["register"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("register {username}: {body}"))
            .to_owned()
    }

    /// Send a text (C2C or GROUP); the message's sequence.
    pub async fn send(&self, token: &str, kind: &str, to: &str, text: &str) -> i64 {
        let data = self
            .ok(
                token,
                "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }",
                json!({ "m": { "to": to, "conversationType": kind, "payload": { "text": { "text": text } } } }),
            )
            .await;
        data["sendMessage"]["sequence"].as_i64().expect("sequence")
    }

    /// Members of `group` with a live socket on any instance.
    pub async fn online(&self, token: &str, group: &str) -> i64 {
        let data = self
            .ok(
                token,
                "query($g: String!) { getGroupOnlineMemberCount(groupID: $g) }",
                json!({ "g": group }),
            )
            .await;
        data["getGroupOnlineMemberCount"].as_i64().expect("count")
    }

    /// Stop the process with SIGKILL (no clean-up at all).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Ask the process to stop with SIGTERM, and wait for it to exit.
    pub async fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Make a Public group owned by `owner` with `members`, through `instance`.
pub async fn group_of(instance: &Instance, owner: &str, id: &str, members: &[&str]) -> String {
    let list: Vec<Value> = members.iter().map(|m| json!({ "userID": m })).collect();
    let data = instance
        .ok(
            owner,
            "mutation($i: CreateGroupInput!) { createGroup(input: $i) { groupID } }",
            json!({ "i": { "groupID": id, "name": "g", "type": "Public", "memberList": list } }),
        )
        .await;
    data["createGroup"]["groupID"]
        .as_str()
        .expect("group id")
        .to_owned()
}

/// The `messageReceived` subscription with `since`, selecting what the
/// checks need.
pub const RECEIVED: &str = "subscription($s: [ConversationSequenceInput!]) { messageReceived(since: $s) { conversationID sequence from payload { ... on TextElem { text } } } }";

/// The next `(conversationID, sequence, text)` on subscription `id`.
pub async fn next_message(ws: &mut WsClient, id: &str) -> (String, i64, String) {
    let data = ws.next_data(id).await;
    let m = &data["messageReceived"];
    (
        m["conversationID"].as_str().unwrap_or_default().to_owned(),
        m["sequence"].as_i64().unwrap_or_default(),
        m["payload"]["text"].as_str().unwrap_or_default().to_owned(),
    )
}
