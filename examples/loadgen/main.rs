//! Load generator: starts a release `imgql` on a fresh SQLite database on
//! 127.0.0.1, drives it over real HTTP and WebSocket connections, and reports
//! throughput, latency percentiles and the server's memory (VmRSS).
//!
//! ```sh
//! cargo build --release && cargo run --release --example loadgen -- c2c --pairs 20 --seconds 30
//! cargo run --release --example loadgen -- group --members 1000 --messages 50
//! cargo run --release --example loadgen -- history --messages 1000000
//! ```
//!
//! Every request loop is bounded in count and time, and only loopback is used.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

mod history;

const PASSWORD: &str = "benchmark-password";

#[derive(Debug)]
enum Scenario {
    /// `pairs` senders each messaging their own receiver as fast as they can for `seconds`.
    C2c { pairs: usize, seconds: u64 },
    /// One group of `members`, all subscribed; `messages` sent one after another.
    Group { members: usize, messages: usize },
    /// Memory of an idle server.
    Idle,
    /// `sockets` idle WebSocket connections of `users` users, each with one
    /// `messageReceived` subscription: memory per socket.
    Sockets { sockets: usize, users: usize },
    /// One C2C conversation of `messages` messages: `requests` timed
    /// `getMessageList` pages of `count` each at the newest, middle and
    /// oldest positions.
    History {
        messages: u64,
        requests: usize,
        count: u64,
    },
}

fn parse_args() -> Result<(Scenario, String), String> {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_else(|| "help".into());
    let mut opts: HashMap<String, String> = HashMap::new();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        opts.insert(flag.trim_start_matches("--").to_owned(), value);
    }
    let num = |name: &str, default: u64| -> Result<u64, String> {
        opts.get(name)
            .map(|v| v.parse().map_err(|_| format!("--{name} takes a number")))
            .unwrap_or(Ok(default))
    };
    let bin = opts
        .get("server-bin")
        .cloned()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/imgql").to_owned());
    let scenario = match scenario.as_str() {
        "c2c" => Scenario::C2c {
            pairs: num("pairs", 20)? as usize,
            seconds: num("seconds", 30)?.min(600),
        },
        "group" => Scenario::Group {
            members: num("members", 1000)? as usize,
            messages: num("messages", 50)?.min(10_000) as usize,
        },
        "idle" => Scenario::Idle,
        "sockets" => Scenario::Sockets {
            sockets: num("sockets", 10_000)?.min(50_000) as usize,
            users: num("users", 100)?.clamp(1, 10_000) as usize,
        },
        "history" => Scenario::History {
            messages: num("messages", 1_000_000)?.clamp(1, 10_000_000),
            requests: num("requests", 300)?.clamp(1, 5_000) as usize,
            count: num("count", 20)?.clamp(1, 100),
        },
        _ => {
            return Err("usage: loadgen (c2c [--pairs N] [--seconds S] | group [--members N] [--messages M] | idle | sockets [--sockets N] [--users U] | history [--messages N] [--requests R] [--count C]) [--server-bin PATH]".into())
        }
    };
    Ok((scenario, bin))
}

/// The server under test, killed on drop (its data directory removed).
struct Server {
    child: Child,
    base: String,
    data: Option<tempdir::Dir>,
}

mod tempdir {
    /// A temporary directory removed on drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Server {
    /// Start `bin` on a fresh data directory (a new SQLite database).
    async fn start(bin: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "imgql-loadgen-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("data dir");
        Self::launch(bin, tempdir::Dir(dir)).await
    }

    /// Start `bin` on `data`, keeping what it holds; ready when `/readyz` answers.
    async fn launch(bin: &str, data: tempdir::Dir) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            l.local_addr().expect("addr").port()
        };
        let child = Command::new(bin)
            .env("IMGQL_BIND", format!("127.0.0.1:{port}"))
            .env("IMGQL_DATA_DIR", &data.0)
            .env("IMGQL_JWT_SECRET", "loadgen-secret-loadgen-secret-loadgen")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {bin} ({e}): run `cargo build --release` first")
            });
        let base = format!("127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = http.get(format!("http://{base}/readyz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            base,
            data: Some(data),
        }
    }

    /// Stop the server cleanly (SIGTERM, then SIGKILL after 30 s) and hand
    /// back its data directory.
    fn stop(mut self) -> tempdir::Dir {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.data
            .take()
            .expect("the data directory of a running server")
    }

    /// Where the server keeps its database.
    fn data_dir(&self) -> &std::path::Path {
        &self
            .data
            .as_ref()
            .expect("a running server's data directory")
            .0
    }

    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn gql(
    http: &reqwest::Client,
    base: &str,
    token: Option<&str>,
    query: &str,
    vars: Value,
) -> Value {
    let mut req = http
        .post(format!("http://{base}/graphql"))
        .json(&json!({ "query": query, "variables": vars }));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let body: Value = req
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    if body.get("errors").is_some() {
        panic!("GraphQL error: {body}");
    }
    body["data"].clone()
}

async fn register_many(http: &reqwest::Client, base: &str, names: &[String]) -> Vec<String> {
    let mut tokens = vec![String::new(); names.len()];
    let mut set = tokio::task::JoinSet::new();
    for (i, name) in names.iter().enumerate() {
        let (http, base, name) = (http.clone(), base.to_owned(), name.clone());
        set.spawn(async move {
            let data = gql(
                &http,
                &base,
                None,
                "mutation($e: String!, $u: String!, $p: String!) { register(email: $e, username: $u, password: $p) { token } }",
                json!({ "e": format!("{name}@bench.test"), "u": name, "p": PASSWORD }),
            )
            .await;
            (i, data["register"]["token"].as_str().unwrap_or_default().to_owned())
        });
    }
    while let Some(done) = set.join_next().await {
        let (i, token) = done.expect("register task");
        tokens[i] = token;
    }
    tokens
}

/// Open a socket, authenticate and subscribe to `messageReceived`; every
/// message's receive instant goes to `on_message` with its text.
async fn subscriber(
    base: String,
    token: String,
    ready: tokio::sync::mpsc::Sender<()>,
    on_message: impl Fn(&str) + Send + 'static,
    stop: Arc<tokio::sync::Notify>,
) {
    let mut request = format!("ws://{base}/graphql/ws")
        .into_client_request()
        .expect("ws request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    // tungstenite's default read buffer is 128 KiB, zero-filled on every read:
    // with a thousand sockets that memset was a third of the load generator's
    // CPU, taken from the server it shares the machine with.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(4 * 1024);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .expect("ws connect");
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(
        json!({ "type": "connection_init", "payload": { "token": token } }),
    ))
    .await
    .expect("init");
    // Subscribing before the ack is a protocol error (the server closes with 4401).
    while let Some(Ok(frame)) = ws.next().await {
        if let Message::Text(text) = frame {
            if serde_json::from_str::<Value>(&text).unwrap_or_default()["type"] == "connection_ack"
            {
                break;
            }
        }
    }
    ws.send(send(json!({ "id": "m", "type": "subscribe", "payload": {
        "query": "subscription { messageReceived { payload { ... on TextElem { text } } } }" } })))
        .await
        .expect("subscribe");
    // A query answered after the subscribe means the subscription is live.
    ws.send(send(
        json!({ "id": "r", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
    ))
    .await
    .expect("probe");
    let mut announced = false;
    loop {
        let frame = tokio::select! {
            _ = stop.notified() => break,
            frame = ws.next() => frame,
        };
        let frame = match frame {
            Some(Ok(frame)) => frame,
            other => {
                eprintln!("subscriber socket ended: {other:?}");
                break;
            }
        };
        let Message::Text(text) = frame else {
            if let Message::Close(reason) = frame {
                eprintln!("subscriber socket closed: {reason:?}");
            }
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        match (v["type"].as_str(), v["id"].as_str()) {
            (Some("ping"), _) => {
                let _ = ws.send(send(json!({ "type": "pong" }))).await;
            }
            (Some("complete"), Some("r")) if !announced => {
                announced = true;
                let _ = ready.send(()).await;
            }
            (Some("next"), Some("m")) => {
                if let Some(t) = v["payload"]["data"]["messageReceived"]["payload"]["text"].as_str()
                {
                    on_message(t);
                }
            }
            (Some("error"), _) => panic!("subscription error: {v}"),
            _ => {}
        }
    }
    let _ = ws.close(None).await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

const SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }";

async fn run_c2c(server: &Server, pairs: usize, seconds: u64) {
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let names: Vec<String> = (0..pairs)
        .flat_map(|i| [format!("sender{i}"), format!("receiver{i}")])
        .collect();
    let tokens = register_many(&http, &base, &names).await;
    let epoch = Instant::now();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(pairs.max(1));
    let mut subs = Vec::new();
    for i in 0..pairs {
        let (lat, count) = (latencies.clone(), delivered.clone());
        subs.push(tokio::spawn(subscriber(
            base.clone(),
            tokens[2 * i + 1].clone(),
            ready_tx.clone(),
            move |text| {
                if let Some(sent_us) = text.split(':').nth(1).and_then(|v| v.parse::<u64>().ok()) {
                    let now_us = epoch.elapsed().as_micros() as u64;
                    lat.lock()
                        .expect("lock")
                        .push((now_us.saturating_sub(sent_us)) as f64 / 1000.0);
                    count.fetch_add(1, Ordering::Relaxed);
                }
            },
            stop.clone(),
        )));
    }
    for _ in 0..pairs {
        ready_rx.recv().await;
    }
    let rss_before = server.rss_kib();
    let sent = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut senders = Vec::new();
    for i in 0..pairs {
        let (http, base, token, sent) = (
            http.clone(),
            base.clone(),
            tokens[2 * i].clone(),
            sent.clone(),
        );
        let to = format!("receiver{i}");
        senders.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let text = format!("t:{}", epoch.elapsed().as_micros());
                gql(&http, &base, Some(&token), SEND, json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": text } } } }))
                    .await;
                sent.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for s in senders {
        s.await.expect("sender");
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Let in-flight deliveries land (bounded).
    let total = sent.load(Ordering::Relaxed);
    let wait_until = Instant::now() + Duration::from_secs(10);
    while delivered.load(Ordering::Relaxed) < total && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss_after = server.rss_kib();
    stop.notify_waiters();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut lat = latencies.lock().expect("lock").clone();
    lat.sort_by(|a, b| a.total_cmp(b));
    println!("scenario: c2c, {pairs} senders -> {pairs} receivers, {seconds} s, SQLite");
    println!(
        "sent:      {total} messages, {:.0} msg/s",
        total as f64 / elapsed
    );
    println!(
        "delivered: {} messages, {:.0} msg/s",
        delivered.load(Ordering::Relaxed),
        delivered.load(Ordering::Relaxed) as f64 / elapsed
    );
    println!(
        "latency (send start to receive): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 50.0),
        percentile(&lat, 99.0),
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "server RSS: {} KiB with {pairs} sockets idle, {} KiB after the run",
        rss_before, rss_after
    );
}

async fn run_group(server: &Server, members: usize, messages: usize) {
    let http = reqwest::Client::new();
    let base = server.base.clone();
    let names: Vec<String> = (0..members).map(|i| format!("member{i}")).collect();
    let t0 = Instant::now();
    let tokens = register_many(&http, &base, &names).await;
    eprintln!(
        "registered {members} users in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let owner = &tokens[0];
    let group = gql(
        &http,
        &base,
        Some(owner),
        "mutation { createGroup(input: { name: \"bench\", type: Community }) { groupID } }",
        json!({}),
    )
    .await;
    let group_id = group["createGroup"]["groupID"]
        .as_str()
        .expect("groupID")
        .to_owned();
    for (i, chunk) in names[1..].chunks(100).enumerate() {
        eprintln!("adding members, batch {i}");
        gql(
            &http,
            &base,
            Some(owner),
            "mutation($g: String!, $l: [String!]!) { addGroupMember(groupID: $g, userIDList: $l) { successUserIDList } }",
            json!({ "g": group_id, "l": chunk }),
        )
        .await;
    }
    eprintln!("group {group_id} has {members} members");
    let rss_idle = server.rss_kib();
    // Arrival instants per message index, per member.
    let arrivals: Arc<Mutex<Vec<Vec<Instant>>>> = Arc::new(Mutex::new(vec![Vec::new(); messages]));
    let stop = Arc::new(tokio::sync::Notify::new());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(members);
    let t1 = Instant::now();
    for token in tokens.iter() {
        let arrivals = arrivals.clone();
        tokio::spawn(subscriber(
            base.clone(),
            token.clone(),
            ready_tx.clone(),
            move |text| {
                if let Some(k) = text
                    .strip_prefix("g:")
                    .and_then(|v| v.parse::<usize>().ok())
                {
                    if let Some(slot) = arrivals.lock().expect("lock").get_mut(k) {
                        slot.push(Instant::now());
                    }
                }
            },
            stop.clone(),
        ));
    }
    for _ in 0..members {
        ready_rx.recv().await;
    }
    eprintln!(
        "{members} subscriptions live in {:.1} s",
        t1.elapsed().as_secs_f64()
    );
    let rss_subscribed = server.rss_kib();
    let mut to_last = Vec::with_capacity(messages);
    let mut per_member = Vec::new();
    for k in 0..messages {
        let sent_at = Instant::now();
        gql(&http, &base, Some(owner), SEND, json!({ "m": { "to": group_id, "conversationType": "GROUP", "payload": { "text": { "text": format!("g:{k}") } } } }))
            .await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = arrivals.lock().expect("lock")[k].len();
            if got >= members || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let slot = arrivals.lock().expect("lock")[k].clone();
        assert_eq!(
            slot.len(),
            members,
            "message {k}: {} of {members} members got it",
            slot.len()
        );
        let last = slot.iter().max().copied().unwrap_or(sent_at);
        to_last.push(last.duration_since(sent_at).as_secs_f64() * 1000.0);
        per_member.extend(
            slot.iter()
                .map(|t| t.duration_since(sent_at).as_secs_f64() * 1000.0),
        );
    }
    let rss_after = server.rss_kib();
    stop.notify_waiters();
    // Let the subscribers close their sockets before the server goes away.
    tokio::time::sleep(Duration::from_millis(500)).await;
    to_last.sort_by(|a, b| a.total_cmp(b));
    per_member.sort_by(|a, b| a.total_cmp(b));
    println!("scenario: group of {members} members, all subscribed, {messages} messages, SQLite");
    println!(
        "time until the last member has it: p50 {:.1} ms, p99 {:.1} ms",
        percentile(&to_last, 50.0),
        percentile(&to_last, 99.0)
    );
    println!(
        "per-member delivery: p50 {:.1} ms, p99 {:.1} ms ({} deliveries, each exactly once)",
        percentile(&per_member, 50.0),
        percentile(&per_member, 99.0),
        per_member.len()
    );
    println!("server RSS: {rss_idle} KiB before sockets, {rss_subscribed} KiB with {members} subscriptions, {rss_after} KiB after");
}

#[tokio::main]
async fn main() {
    let (scenario, bin) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let server = Server::start(&bin).await;
    match scenario {
        Scenario::C2c { pairs, seconds } => run_c2c(&server, pairs, seconds).await,
        Scenario::Group { members, messages } => run_group(&server, members, messages).await,
        Scenario::Idle => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            println!("server RSS idle: {} KiB", server.rss_kib());
        }
        Scenario::Sockets { sockets, users } => run_sockets(&server, sockets, users).await,
        Scenario::History {
            messages,
            requests,
            count,
        } => history::run(server, &bin, messages, requests, count).await,
    }
}

/// Open `sockets` subscribed sockets (in waves, each socket live before the
/// next wave), then report the server's RSS before and after and per socket.
/// Needs `ulimit -n` above `sockets` plus a few hundred.
async fn run_sockets(server: &Server, sockets: usize, users: usize) {
    let http = reqwest::Client::new();
    let names: Vec<String> = (0..users).map(|i| format!("idle{i}")).collect();
    let fresh = server.rss_kib();
    let tokens = register_many(&http, &server.base, &names).await;
    let after_logins = server.rss_kib();
    // The password hasher gives its working memory back after 10 s without a hash.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let idle = server.rss_kib();
    let stop = Arc::new(tokio::sync::Notify::new());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(1024);
    let mut tasks = Vec::with_capacity(sockets);
    let started = Instant::now();
    for wave in (0..sockets).collect::<Vec<_>>().chunks(250) {
        for i in wave {
            tasks.push(tokio::spawn(subscriber(
                server.base.clone(),
                tokens[i % tokens.len()].clone(),
                ready_tx.clone(),
                |_| {},
                stop.clone(),
            )));
        }
        for _ in wave {
            ready_rx.recv().await.expect("socket ready");
        }
    }
    let opened = started.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let loaded = server.rss_kib();
    let per_socket = (loaded.saturating_sub(idle)) as f64 / sockets as f64;
    println!(
        "sockets: {sockets} subscribed ({users} users) in {:.1} s",
        opened.as_secs_f64()
    );
    println!(
        "server RSS: {fresh} KiB fresh, {after_logins} KiB right after {users} registrations, {idle} KiB idle 12 s later"
    );
    println!("server RSS with {sockets} sockets: {loaded} KiB");
    println!("memory per idle socket with one subscription: {per_socket:.1} KiB");
    stop.notify_waiters();
    for task in tasks {
        let _ = task.await;
    }
}
