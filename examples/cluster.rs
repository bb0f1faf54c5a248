//! Several instances against one: starts release `imgql` servers on a fresh
//! PostgreSQL database (one instance in process mode, then two sharing a
//! Redis prefix), and measures over real HTTP and WebSocket connections:
//!
//! * latency at a fixed send rate: send start to arrival on the receiver's
//!   socket, with the receiver on the same instance (one) or the other (two);
//! * throughput: pairs sending back to back, senders spread over the
//!   instances, receivers on the other instance, every message checked to arrive.
//!
//! ```sh
//! cargo build --release && cargo run --release --example cluster -- --rate 200 --seconds 10 --pairs 16
//! ```
//!
//! `--database-url` (default `$TEST_DATABASE_URL`, else the local `postgres`
//! database) is only used to create a fresh database; `--redis` defaults to
//! `redis://127.0.0.1:6379`. Every loop is bounded in count and time.

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, http::HeaderValue, Message};

struct Options {
    rate: u64,
    seconds: u64,
    pairs: usize,
    bin: String,
    database: String,
    redis: String,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        rate: 200,
        seconds: 10,
        pairs: 16,
        bin: concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/imgql").to_owned(),
        database: std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        redis: "redis://127.0.0.1:6379".into(),
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let num = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} takes a number"))
        };
        match flag.as_str() {
            "--rate" => o.rate = num(&value)?.clamp(1, 5000),
            "--seconds" => o.seconds = num(&value)?.clamp(1, 300),
            "--pairs" => o.pairs = num(&value)?.clamp(1, 200) as usize,
            "--server-bin" => o.bin = value,
            "--database-url" => o.database = value,
            "--redis" => o.redis = value,
            _ => return Err("usage: cluster [--rate N] [--seconds S] [--pairs P] [--server-bin PATH] [--database-url URL] [--redis URL]".into()),
        }
    }
    Ok(o)
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(
    o: &Options,
    db: &str,
    redis_prefix: Option<&str>,
    data: &std::path::Path,
) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18080);
    let dir = data.join(format!("i{port}"));
    let mut cmd = Command::new(&o.bin);
    cmd.env("IMGQL_BIND", format!("127.0.0.1:{port}"))
        .env("IMGQL_DATA_DIR", &dir)
        .env("IMGQL_FILES_DIR", data.join("files"))
        .env("DATABASE_URL", db)
        .env("IMGQL_JWT_SECRET", "bench-secret-bench-secret-bench-secret")
        .env("IMGQL_DB_MAX_CONNECTIONS", "16")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(prefix) = redis_prefix {
        cmd.env("IMGQL_REDIS_URL", &o.redis)
            .env("IMGQL_REDIS_PREFIX", prefix);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", o.bin));
    let server = Server {
        child,
        base: format!("127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http
            .get(format!("http://{}/readyz", server.base))
            .send()
            .await
        {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server on {} never became ready", server.base);
}

async fn fresh_database(base: &str) -> String {
    use sea_orm::{ConnectionTrait, Database};
    let name = format!("imgql_bench_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(base)
        .await
        .expect("connect to PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let (head, _) = base.rsplit_once('/').expect("a database URL");
    format!("{head}/{name}")
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
    req.send().await.expect("send").json().await.expect("json")
}

async fn register(http: &reqwest::Client, base: &str, name: &str) -> String {
    let body = gql(
        http,
        base,
        None,
        "mutation($e: String!, $u: String!) { register(email: $e, username: $u, password: \"benchmark-password\") { token } }",
        json!({ "e": format!("{name}@example.com"), "u": name }),
    )
    .await;
    body["data"]["register"]["token"]
        .as_str()
        .expect("token")
        .to_owned()
}

const SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }";

/// Open a socket for `token` on `base` and start `messageReceived`; every
/// arrival's (text, instant) is pushed to `arrivals`.
async fn listen(base: &str, token: &str, arrivals: Arc<Mutex<Vec<(String, Instant)>>>) {
    let mut request = format!("ws://{base}/graphql/ws")
        .into_client_request()
        .expect("request");
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
        .expect("ws");
    let init = json!({ "type": "connection_init", "payload": { "token": token } });
    ws.send(Message::Text(init.to_string().into()))
        .await
        .expect("init");
    let _ack = ws.next().await;
    let sub = json!({ "id": "m", "type": "subscribe", "payload": { "query": "subscription { messageReceived { payload { ... on TextElem { text } } } }" } });
    ws.send(Message::Text(sub.to_string().into()))
        .await
        .expect("subscribe");
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            let Message::Text(text) = frame else { continue };
            let Ok(value) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if value["type"] == "ping" {
                let _ = ws
                    .send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                    .await;
                continue;
            }
            if let Some(t) = value["payload"]["data"]["messageReceived"]["payload"]["text"].as_str()
            {
                arrivals
                    .lock()
                    .expect("lock")
                    .push((t.to_owned(), Instant::now()));
            }
        }
    });
    // Let the subscription start before anything is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// CPU time (ms) used so far by the processes `pids`, from `/proc` (Linux;
/// 0 elsewhere), assuming the usual 100 clock ticks per second.
fn cpu_ms(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            // The fields after the command name (which may hold spaces).
            let rest = stat.rsplit_once(") ")?.1;
            let fields: Vec<&str> = rest.split(' ').collect();
            Some(fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?)
        })
        .sum::<f64>()
        * 10.0
}

/// Processes named `name` (for Redis's and PostgreSQL's CPU time).
fn pids_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == name)
        })
        .collect()
}

/// CPU time of the servers, Redis and PostgreSQL since a point in time.
struct CpuMeter {
    servers: Vec<u32>,
    before: (f64, f64, f64),
    started: Instant,
}

impl CpuMeter {
    fn start(servers: &[u32]) -> Self {
        Self {
            servers: servers.to_vec(),
            before: (
                cpu_ms(servers),
                cpu_ms(&pids_named("redis-server")),
                cpu_ms(&pids_named("postgres")),
            ),
            started: Instant::now(),
        }
    }

    /// Print the CPU used per message since `start` (PostgreSQL counts every
    /// backend on the machine, so it is approximate).
    fn report(&self, label: &str, messages: usize) {
        let took = self.started.elapsed().as_secs_f64();
        let s = cpu_ms(&self.servers) - self.before.0;
        let r = cpu_ms(&pids_named("redis-server")) - self.before.1;
        let p = cpu_ms(&pids_named("postgres")) - self.before.2;
        let n = messages.max(1) as f64;
        println!(
            "  {label}: CPU per message: servers {:.3} ms, Redis {:.3} ms, PostgreSQL ~{:.3} ms; servers used {:.0}% of a core",
            s / n,
            r / n,
            p / n,
            s / took / 10.0,
        );
    }
}

/// The bus figures in one instance's `/metrics`: publish-to-receipt lag
/// (quantiles from the histogram buckets, so bucket-coarse) and gap fills.
async fn bus_report(base: &str, label: &str) {
    let Ok(text) = async {
        reqwest::get(format!("http://{base}/metrics"))
            .await?
            .text()
            .await
    }
    .await
    else {
        println!("{label}: /metrics unreachable");
        return;
    };
    let mut buckets: Vec<(f64, f64)> = Vec::new();
    let mut fills = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        if let Some(rest) = name.strip_prefix("imgql_bus_lag_seconds_bucket{le=\"") {
            if let Ok(le) = rest.trim_end_matches("\"}").parse::<f64>() {
                buckets.push((le, value));
            }
        } else if name.starts_with("imgql_gap_fills_total") {
            fills.push(format!("{name} {value}"));
        }
    }
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last().map_or(0.0, |b| b.1);
    let at = |q: f64| {
        buckets
            .iter()
            .find(|b| b.1 >= q * total)
            .map_or(f64::NAN, |b| b.0 * 1000.0)
    };
    println!(
        "{label}: bus lag over {total} events: p50 <= {} ms, p99 <= {} ms; gap fills: {}",
        at(0.5),
        at(0.99),
        if fills.is_empty() {
            "none".to_owned()
        } else {
            fills.join(", ")
        }
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Latency percentiles of one set of receivers: p50, p99, arrivals.
type Percentiles = (f64, f64, usize);

/// Latency at `o.rate` msgs/s from senders on `send_on` to receivers spread
/// over `recv_on` (pair `p` receives on `recv_on[p % len]`), as percentiles
/// per entry of `recv_on`, and the number of messages sent.
async fn latency(
    o: &Options,
    send_on: &[String],
    recv_on: &[String],
    servers: &[u32],
    tag: &str,
) -> (Vec<Percentiles>, usize) {
    let http = reqwest::Client::new();
    let pairs = 4;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for p in 0..pairs {
        let s = register(&http, &send_on[p % send_on.len()], &format!("{tag}s{p}")).await;
        let r = register(&http, &recv_on[p % recv_on.len()], &format!("{tag}r{p}")).await;
        listen(&recv_on[p % recv_on.len()], &r, arrivals.clone()).await;
        senders.push((send_on[p % send_on.len()].clone(), s, format!("{tag}r{p}")));
    }
    let started: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let total = (o.rate * o.seconds) as usize;
    let gap = Duration::from_secs_f64(1.0 / o.rate as f64);
    let mut tick = tokio::time::interval(gap);
    let meter = CpuMeter::start(servers);
    let mut tasks = Vec::new();
    for i in 0..total {
        tick.tick().await;
        let (base, token, to) = senders[i % pairs].clone();
        let (http, started) = (http.clone(), started.clone());
        let text = format!("{tag}-{i}");
        tasks.push(tokio::spawn(async move {
            started.lock().expect("lock").push((text.clone(), Instant::now()));
            gql(&http, &base, Some(&token), SEND, json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": text } } } })).await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    meter.report(&format!("{tag} at {} msg/s", o.rate), total);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let started: std::collections::HashMap<String, Instant> =
        started.lock().expect("lock").iter().cloned().collect();
    // Message `i` went to pair `i % pairs`, whose receiver is on `recv_on[pair % len]`.
    let mut ms: Vec<Vec<f64>> = vec![Vec::new(); recv_on.len()];
    for (text, at) in arrivals.lock().expect("lock").iter() {
        let (Some(sent), Some(i)) = (
            started.get(text),
            text.rsplit('-')
                .next()
                .and_then(|i| i.parse::<usize>().ok()),
        ) else {
            continue;
        };
        ms[(i % pairs) % recv_on.len()].push(at.duration_since(*sent).as_secs_f64() * 1000.0);
    }
    let split = ms
        .into_iter()
        .map(|mut ms| {
            ms.sort_by(f64::total_cmp);
            (percentile(&ms, 0.5), percentile(&ms, 0.99), ms.len())
        })
        .collect();
    (split, total)
}

/// Messages per second sent by `o.pairs` back-to-back senders spread over
/// `send_on`, to receivers on `recv_on` (the next instance).
async fn throughput(
    o: &Options,
    send_on: &[String],
    recv_on: &[String],
    servers: &[u32],
    tag: &str,
) -> (f64, usize, usize) {
    let http = reqwest::Client::new();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for p in 0..o.pairs {
        let s = register(&http, &send_on[p % send_on.len()], &format!("{tag}s{p}")).await;
        let r = register(&http, &recv_on[p % recv_on.len()], &format!("{tag}r{p}")).await;
        listen(&recv_on[p % recv_on.len()], &r, arrivals.clone()).await;
        senders.push((send_on[p % send_on.len()].clone(), s, format!("{tag}r{p}")));
    }
    let meter = CpuMeter::start(servers);
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|(base, token, to)| {
            let http = http.clone();
            tokio::spawn(async move {
                let mut n = 0usize;
                while Instant::now() < deadline && n < 1_000_000 {
                    gql(&http, &base, Some(&token), SEND, json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": format!("t{n}") } } } })).await;
                    n += 1;
                }
                n
            })
        })
        .collect();
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap_or(0);
    }
    let took = started.elapsed().as_secs_f64();
    meter.report(&format!("{tag} back to back"), sent);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let arrived = arrivals.lock().expect("lock").len();
    (sent as f64 / took, sent, arrived)
}

#[tokio::main]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let data = std::env::temp_dir().join(format!("imgql-cluster-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&data);

    let db = fresh_database(&o.database).await;
    let one = start(&o, &db, None, &data).await;
    let single = [one.base.clone()];
    let pids1 = [one.child.id()];
    let (split, total) = latency(&o, &single, &single, &pids1, "l1").await;
    let (p50, p99, got) = split[0];
    println!("one instance:  latency at {} msg/s: p50 {p50:.2} ms, p99 {p99:.2} ms ({got}/{total} arrived)", o.rate);
    bus_report(&one.base, "  one after latency").await;
    let (rate1, sent1, arrived1) = throughput(&o, &single, &single, &pids1, "t1").await;
    println!(
        "one instance:  throughput {rate1:.0} msg/s with {} pairs ({arrived1}/{sent1} arrived)",
        o.pairs
    );
    drop(one);

    let db = fresh_database(&o.database).await;
    let prefix = format!("imgqlbench{}", uuid::Uuid::now_v7().simple());
    let a = start(&o, &db, Some(&prefix), &data).await;
    let b = start(&o, &db, Some(&prefix), &data).await;
    let (sa, sb) = ([a.base.clone()], [b.base.clone()]);
    let pids2 = [a.child.id(), b.child.id()];
    let (split, total) = latency(&o, &sa, &sb, &pids2, "l2").await;
    let (q50, q99, got) = split[0];
    println!("two instances: latency at {} msg/s, A to B: p50 {q50:.2} ms, p99 {q99:.2} ms ({got}/{total} arrived)", o.rate);
    bus_report(&b.base, "  B after latency").await;
    // The same send rate with half the receivers on the sender's instance:
    // both halves share one time window (and its background load), so the
    // difference is what crossing instances costs.
    let (split, total) = latency(&o, &sa, &[a.base.clone(), b.base.clone()], &pids2, "l3").await;
    let ((l50, l99, lgot), (r50, r99, rgot)) = (split[0], split[1]);
    println!("two instances: same run at {} msg/s, A to A: p50 {l50:.2} ms, p99 {l99:.2} ms ({lgot}); A to B: p50 {r50:.2} ms, p99 {r99:.2} ms ({rgot}) of {total}", o.rate);
    println!(
        "  crossing instances adds p50 {:+.2} ms, p99 {:+.2} ms (same run)",
        r50 - l50,
        r99 - l99
    );
    let both = [a.base.clone(), b.base.clone()];
    let other = [b.base.clone(), a.base.clone()];
    let (rate2, sent2, arrived2) = throughput(&o, &both, &other, &pids2, "t2").await;
    println!("two instances: throughput {rate2:.0} msg/s with {} pairs, receivers on the other instance ({arrived2}/{sent2} arrived)", o.pairs);
    bus_report(&a.base, "  A after all").await;
    bus_report(&b.base, "  B after all").await;
    println!(
        "cross-instance p99 extra: {:+.2} ms; two instances carry {:.0}% of one",
        q99 - p99,
        rate2 / rate1 * 100.0
    );
    let _ = std::fs::remove_dir_all(&data);
}
