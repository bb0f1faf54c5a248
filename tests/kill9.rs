//! Durability: the real binary is killed with SIGKILL during a burst of
//! sends and restarted on the same database; every send it acknowledged is
//! in history exactly once, and the sequences have no gaps.
//!
//! Runs on SQLite, or on a fresh PostgreSQL database when
//! `TEST_DATABASE_URL` is set.

use std::{
    collections::HashMap,
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use serde_json::{json, Value};

const SENDERS: usize = 4;
const LOOPS_PER_SENDER: usize = 3;
/// Acknowledged sends to wait for before the kill.
const ACKS_BEFORE_KILL: usize = 150;

const SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID sequence } }";
const HISTORY: &str = "query($c: String!, $n: String) { getMessageList(conversationID: $c, count: 100, nextReqMessageID: $n) { messageList { sequence payload { ... on TextElem { text } } } nextReqMessageID isCompleted } }";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a server behind, whatever the test's outcome.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_imgql"));
    command
        .env("IMGQL_BIND", format!("127.0.0.1:{port}"))
        .env("IMGQL_DATA_DIR", data_dir)
        .env(
            "IMGQL_JWT_SECRET",
            "kill9-secret-kill9-secret-kill9-secret-01",
        )
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    let mut child = command.spawn().expect("start the server");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(response) = http.get(format!("{url}/healthz")).send().await {
            if response.status().is_success() {
                return Server { child, url };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not answer within 60 s");
}

async fn gql(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Value {
    let mut request = http
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json body")
}

async fn register(http: &reqwest::Client, url: &str, name: &str) -> String {
    let data = gql(
        http,
        url,
        None,
        "mutation($e: String!, $u: String!, $p: String!) { register(email: $e, username: $u, password: $p) { token } }",
        json!({ "e": format!("{name}@example.com"), "u": name, "p": "correct horse battery" }),
    )
    .await;
    data["data"]["register"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("register {name}: {data}"))
        .to_owned()
}

/// Texts of a conversation from `token`'s side, oldest first, with sequences.
async fn history(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    conversation: &str,
) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let data = gql(
            http,
            url,
            Some(token),
            HISTORY,
            json!({ "c": conversation, "n": next }),
        )
        .await;
        let page = &data["data"]["getMessageList"];
        let list = page["messageList"]
            .as_array()
            .unwrap_or_else(|| panic!("history: {data}"));
        let mut items: Vec<(i64, String)> = list
            .iter()
            .map(|m| {
                (
                    m["sequence"].as_i64().expect("sequence"),
                    m["payload"]["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        items.append(&mut out);
        out = items;
        if page["isCompleted"] == true {
            return out;
        }
        next = page["nextReqMessageID"].as_str().map(str::to_owned);
    }
}

async fn fresh_postgres_database(base: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("imgql_kill9_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(base)
        .await
        .expect("connect to TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (prefix, rest) = base.rsplit_once('/').unwrap_or((base, ""));
    let query = rest
        .split_once('?')
        .map(|(_, q)| format!("?{q}"))
        .unwrap_or_default();
    format!("{prefix}/{name}{query}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_send_survives_a_kill_9_exactly_once() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = match std::env::var("TEST_DATABASE_URL") {
        Ok(base) if !base.trim().is_empty() => Some(fresh_postgres_database(&base).await),
        _ => None,
    };
    let mut server = start(data_dir.path(), database_url.as_deref()).await;
    let http = reqwest::Client::new();
    let receiver = register(&http, &server.url, "kr").await;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        senders.push(register(&http, &server.url, &format!("ks{i}")).await);
    }

    // Acknowledged texts per sender, as the server answered them.
    let acked: Arc<Mutex<HashMap<usize, Vec<String>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = Vec::new();
    for (s, token) in senders.iter().enumerate() {
        for l in 0..LOOPS_PER_SENDER {
            let (http, url, token) = (http.clone(), server.url.clone(), token.clone());
            let (acked, stop) = (acked.clone(), stop.clone());
            loops.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    let text = format!("s{s}-l{l}-{n}");
                    n += 1;
                    let vars = json!({ "m": { "to": "kr", "conversationType": "C2C", "payload": { "text": { "text": text } } } });
                    let request = http
                        .post(format!("{url}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": SEND, "variables": vars }))
                        .send();
                    let Ok(response) = request.await else { break };
                    let Ok(body) = response.json::<Value>().await else { break };
                    if body["data"]["sendMessage"]["ID"].is_string() {
                        acked.lock().expect("acks").entry(s).or_default().push(text);
                    } else {
                        break;
                    }
                }
            }));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let count: usize = acked.lock().expect("acks").values().map(Vec::len).sum();
        if count >= ACKS_BEFORE_KILL {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {count} sends acknowledged in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // SIGKILL, in the middle of the burst.
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reap");
    stop.store(true, Ordering::SeqCst);
    for l in loops {
        l.await.expect("sender loop");
    }

    let server = start(data_dir.path(), database_url.as_deref()).await;
    let acked = acked.lock().expect("acks").clone();
    let mut total = 0;
    for s in 0..SENDERS {
        let stored = history(&http, &server.url, &receiver, &format!("C2Cks{s}")).await;
        let seqs: Vec<i64> = stored.iter().map(|(seq, _)| *seq).collect();
        let expected: Vec<i64> = (1..=stored.len() as i64).collect();
        assert_eq!(seqs, expected, "sender {s}: sequences are gapless from 1");
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, text) in &stored {
            *counts.entry(text.as_str()).or_default() += 1;
        }
        for text in acked.get(&s).map(Vec::as_slice).unwrap_or_default() {
            assert_eq!(
                counts.get(text.as_str()),
                Some(&1),
                "acknowledged {text} is stored once"
            );
            total += 1;
        }
        assert!(
            counts.values().all(|c| *c == 1),
            "sender {s}: no text stored twice"
        );
    }
    assert!(
        total >= ACKS_BEFORE_KILL,
        "{total} acknowledged sends checked"
    );
    drop(server);
}
