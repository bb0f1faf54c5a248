//! The `history` scenario: one C2C conversation of many messages, and the
//! latency of `getMessageList` pages at its newest, middle and oldest points.
//!
//! Seeding a million messages through the API takes about 20 minutes on two
//! cores, so only the first [`HEAD`] and the last
//! [`TAIL`] go through it; the rows between are inserted into
//! the stopped server's SQLite file in large transactions, each a copy of the
//! first stored message with its own ID, sequence, sender, text, client
//! message ID and time, and the channel's counter and both conversation rows
//! are moved as those sends would have moved them.

use std::{
    ops::RangeInclusive,
    path::Path,
    time::{Duration, Instant},
};

use entity::{channels, conversation_states, messages};
use sea_orm::{
    sea_query::Expr, ActiveValue::Set, ColumnTrait, ConnectOptions, ConnectionTrait, Database,
    DbBackend, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use serde_json::{json, Value};

use super::{gql, percentile, register_many, Server, SEND};

/// Messages sent through the API before the bulk rows: they create the
/// channel and both conversation rows, and the first is the row that every
/// bulk row copies.
pub const HEAD: u64 = 10;
/// Messages sent through the API after the bulk rows, on the restarted
/// server: the newest pages hold them, and their sequences show that the
/// server carries on from the bulk rows.
pub const TAIL: u64 = 90;
/// Rows per INSERT (17 binds each: well inside SQLite's 32,766).
const ROWS_PER_INSERT: u64 = 1_000;
/// Rows per transaction.
const ROWS_PER_TX: u64 = 100_000;
/// Untimed rounds before the timed ones (page cache, prepared statements).
const WARMUP: usize = 20;
/// The timed rounds, and the walk, stop here even when not done.
const TIME_LIMIT: Duration = Duration::from_secs(600);
/// The two parties.
const USERS: [&str; 2] = ["histana", "histben"];

const PAGE: &str = "query($c: String!, $n: Int, $cursor: String, $after: Int) { \
    getMessageList(conversationID: $c, count: $n, nextReqMessageID: $cursor, afterSequence: $after) { \
    isCompleted nextReqMessageID messageList { ID sequence time from to flow isPeerRead isRevoked \
    status type clientMsgID nick avatar version payload { ... on TextElem { text } } } } }";

/// Who sends message `seq` (an index into [`USERS`]): runs of three from
/// each side, like a chat.
fn sender_of(seq: u64) -> usize {
    (((seq - 1) / 3) % 2) as usize
}

fn text_of(seq: u64) -> String {
    format!("history message {seq}")
}

/// Send `seqs` through the API, one after another, checking that each
/// gets the sequence it should.
async fn send_real(
    http: &reqwest::Client,
    base: &str,
    tokens: &[String],
    seqs: RangeInclusive<u64>,
) {
    for seq in seqs {
        let from = sender_of(seq);
        let data = gql(
            http,
            base,
            Some(&tokens[from]),
            SEND,
            json!({ "m": { "to": USERS[1 - from], "conversationType": "C2C",
                "clientMsgID": format!("api-{seq}"),
                "payload": { "text": { "text": text_of(seq) } } } }),
        )
        .await;
        assert_eq!(
            data["sendMessage"]["sequence"].as_u64(),
            Some(seq),
            "a message sent through the API got an unexpected sequence"
        );
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Insert sequences `from..=to` into the stopped server's database (see
/// the module comment); returns the seconds the inserts took.
async fn bulk_insert(db_path: &Path, from: u64, to: u64) -> f64 {
    let mut opts = ConnectOptions::new(format!("sqlite://{}?mode=rw", db_path.display()));
    opts.max_connections(1)
        .min_connections(1)
        .sqlx_logging(false);
    let db = Database::connect(opts)
        .await
        .expect("open the stopped server's SQLite file");
    db.execute_unprepared("PRAGMA synchronous = NORMAL")
        .await
        .expect("PRAGMA synchronous");
    let template = messages::Entity::find()
        .filter(messages::Column::Seq.eq(1))
        .one(&db)
        .await
        .expect("read the first message")
        .expect("the first message was sent through the API");
    let channel = template.channel_id;
    let payload: Value = serde_json::from_str(&template.payload).expect("stored payload");
    assert_eq!(
        payload["text"].as_str(),
        Some(text_of(1).as_str()),
        "the first message's payload is {payload}: the bulk rows would not match it"
    );
    // Times rise from the first message's to now, with the sequences.
    let t0 = template.time;
    let span = (unix_now() - t0).max(0);
    let time_of = |seq: u64| t0 + (span * (seq - from) as i64) / ((to - from) as i64).max(1);
    let row = |seq: u64| {
        let sender = sender_of(seq);
        let text = {
            let mut p = payload.clone();
            p["text"] = Value::String(text_of(seq));
            p.to_string()
        };
        messages::ActiveModel {
            // What the store's `new_message_id` makes.
            id: Set(uuid::Uuid::now_v7().simple().to_string()),
            channel_id: Set(channel),
            seq: Set(Some(seq as i64)),
            sender_id: Set(USERS[sender].to_owned()),
            conversation_type: Set(template.conversation_type),
            to_id: Set(USERS[1 - sender].to_owned()),
            msg_type: Set(template.msg_type),
            payload: Set(text),
            priority: Set(template.priority),
            status: Set(template.status),
            is_revoked: Set(false),
            at_user_list: Set(template.at_user_list.clone()),
            cloud_custom_data: Set(template.cloud_custom_data.clone()),
            name_card: Set(template.name_card.clone()),
            client_msg_id: Set(Some(format!("seed-{seq}"))),
            time: Set(time_of(seq)),
            created_at: Set(time_of(seq)),
        }
    };
    let started = Instant::now();
    let mut seq = from;
    while seq <= to {
        let tx = db.begin().await.expect("begin");
        let tx_end = (seq + ROWS_PER_TX - 1).min(to);
        while seq <= tx_end {
            let end = (seq + ROWS_PER_INSERT - 1).min(tx_end);
            messages::Entity::insert_many((seq..=end).map(row))
                .exec_without_returning(&tx)
                .await
                .expect("insert messages");
            seq = end + 1;
        }
        tx.commit().await.expect("commit");
        eprintln!(
            "inserted up to sequence {tx_end} ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    // What the sends of those rows would have left: the channel's counter
    // and activity, both parties' rows touched, each sender's read
    // position at their own newest message.
    let last_time = time_of(to);
    let tx = db.begin().await.expect("begin");
    channels::Entity::update_many()
        .col_expr(channels::Column::LastSeq, Expr::value(to as i64))
        .col_expr(channels::Column::LastActivity, Expr::value(last_time))
        .filter(channels::Column::Id.eq(channel))
        .filter(channels::Column::LastSeq.eq(from as i64 - 1))
        .exec(&tx)
        .await
        .expect("move the channel's counter");
    for (i, user) in USERS.iter().enumerate() {
        let mut update = conversation_states::Entity::update_many()
            .col_expr(
                conversation_states::Column::UpdatedAt,
                Expr::value(last_time),
            )
            .filter(conversation_states::Column::UserId.eq(*user))
            .filter(conversation_states::Column::ChannelId.eq(channel));
        if let Some(last) = (from..=to).rev().find(|&s| sender_of(s) == i) {
            update = update.col_expr(
                conversation_states::Column::ReadSeq,
                Expr::value(last as i64),
            );
        }
        let moved = update
            .exec(&tx)
            .await
            .expect("move a conversation row")
            .rows_affected;
        assert_eq!(moved, 1, "{user} has no conversation row");
    }
    tx.commit().await.expect("commit");
    let took = started.elapsed().as_secs_f64();
    // Gapless and unique: as many rows as the counter, from 1 to it.
    let check = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS d, MIN(seq) AS lo, MAX(seq) AS hi, \
             (SELECT last_seq FROM channels WHERE id = ?1) AS last FROM messages WHERE channel_id = ?1",
            [channel.into()],
        ))
        .await
        .expect("check the sequences")
        .expect("one row");
    let get = |col: &str| check.try_get::<i64>("", col).expect("a count");
    assert!(
        get("n") == to as i64
            && get("d") == to as i64
            && get("lo") == 1
            && get("hi") == to as i64
            && get("last") == to as i64,
        "the seeded channel is not gapless 1..={to}"
    );
    db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
        .await
        .expect("checkpoint");
    db.close().await.expect("close");
    took
}

/// The sequences of a page, in order.
fn sequences(page: &Value) -> Vec<u64> {
    page["messageList"]
        .as_array()
        .expect("messageList")
        .iter()
        .map(|m| m["sequence"].as_u64().expect("sequence"))
        .collect()
}

/// One page position to time.
struct Position {
    label: String,
    vars: Value,
    expect: Vec<u64>,
    completed: bool,
    latencies: Vec<f64>,
}

async fn page(http: &reqwest::Client, base: &str, token: &str, vars: &Value) -> Value {
    gql(http, base, Some(token), PAGE, vars.clone()).await["getMessageList"].clone()
}

/// The ID of message `seq`, read with `afterSequence` as a client would.
async fn id_of(http: &reqwest::Client, base: &str, token: &str, conv: &str, seq: u64) -> String {
    let p = page(
        http,
        base,
        token,
        &json!({ "c": conv, "n": 1, "after": seq - 1 }),
    )
    .await;
    assert_eq!(sequences(&p), vec![seq], "afterSequence {}", seq - 1);
    p["messageList"][0]["ID"].as_str().expect("ID").to_owned()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// Seed a conversation of `total` messages, restart the server on it and
/// time `requests` pages of `count` at each position.
pub async fn run(server: Server, bin: &str, total: u64, requests: usize, count: u64) {
    if total < 4 * count + 2 {
        eprintln!("--messages must be at least 4 x --count + 2");
        std::process::exit(2);
    }
    let http = reqwest::Client::new();
    let seeding = Instant::now();
    let names: Vec<String> = USERS.iter().map(|u| (*u).to_owned()).collect();
    let tokens = register_many(&http, &server.base, &names).await;
    let head = HEAD.min(total);
    let tail = TAIL.min(total - head);
    let bulk = head + 1..=total - tail;
    send_real(&http, &server.base, &tokens, 1..=head).await;
    let data = server.stop();
    let bulk_secs = if bulk.is_empty() {
        0.0
    } else {
        bulk_insert(&data.0.join("imgql.db"), *bulk.start(), *bulk.end()).await
    };
    let server = Server::launch(bin, data).await;
    let base = server.base.clone();
    send_real(&http, &base, &tokens, total - tail + 1..=total).await;
    let seeded = seeding.elapsed().as_secs_f64();
    let db_bytes: u64 = ["imgql.db", "imgql.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(server.data_dir().join(f)).ok())
        .map(|m| m.len())
        .sum();

    let token = &tokens[0];
    let conv = format!("C2C{}", USERS[1]);
    let mid = total / 2;
    let range = |lo: u64, hi: u64| (lo..=hi).collect::<Vec<u64>>();
    let mid_cursor = id_of(&http, &base, token, &conv, mid + 1).await;
    let oldest_cursor = id_of(&http, &base, token, &conv, count + 1).await;
    let mut positions = vec![
        Position {
            label: "newest page (no cursor)".into(),
            vars: json!({ "c": conv, "n": count }),
            expect: range(total - count + 1, total),
            completed: false,
            latencies: Vec::new(),
        },
        Position {
            label: format!("middle page (nextReqMessageID of #{})", mid + 1),
            vars: json!({ "c": conv, "n": count, "cursor": mid_cursor }),
            expect: range(mid - count + 1, mid),
            completed: false,
            latencies: Vec::new(),
        },
        Position {
            label: format!("oldest page (nextReqMessageID of #{})", count + 1),
            vars: json!({ "c": conv, "n": count, "cursor": oldest_cursor }),
            expect: range(1, count),
            completed: true,
            latencies: Vec::new(),
        },
        Position {
            label: format!("newest page (afterSequence {})", total - count),
            vars: json!({ "c": conv, "n": count, "after": total - count }),
            expect: range(total - count + 1, total),
            completed: true,
            latencies: Vec::new(),
        },
        Position {
            label: format!("middle page (afterSequence {mid})"),
            vars: json!({ "c": conv, "n": count, "after": mid }),
            expect: range(mid + 1, mid + count),
            completed: false,
            latencies: Vec::new(),
        },
        Position {
            label: "oldest page (afterSequence 0)".into(),
            vars: json!({ "c": conv, "n": count, "after": 0 }),
            expect: range(1, count),
            completed: false,
            latencies: Vec::new(),
        },
    ];
    for p in &positions {
        let got = page(&http, &base, token, &p.vars).await;
        assert_eq!(sequences(&got), p.expect, "{}", p.label);
        assert_eq!(
            got["isCompleted"].as_bool(),
            Some(p.completed),
            "{}",
            p.label
        );
    }
    // Rounds interleave the positions, so that noise hits them alike.
    let deadline = Instant::now() + TIME_LIMIT;
    for round in 0..WARMUP + requests {
        if Instant::now() > deadline {
            eprintln!("time limit reached after {round} rounds");
            break;
        }
        for p in positions.iter_mut() {
            let started = Instant::now();
            let got = page(&http, &base, token, &p.vars).await;
            let took = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(
                got["messageList"].as_array().map(Vec::len),
                Some(count as usize),
                "{}",
                p.label
            );
            if round >= WARMUP {
                p.latencies.push(took);
            }
        }
    }
    // A reader scrolling back: each page's cursor from the one before.
    let mut walk = Vec::new();
    let mut vars = json!({ "c": conv, "n": count });
    let mut expect_top = total;
    for _ in 0..requests {
        if Instant::now() > deadline || expect_top < count {
            break;
        }
        let started = Instant::now();
        let got = page(&http, &base, token, &vars).await;
        walk.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(
            sequences(&got),
            range(expect_top - count + 1, expect_top),
            "walking back by nextReqMessageID"
        );
        expect_top -= count;
        vars["cursor"] = got["nextReqMessageID"].clone();
    }
    let rss = server.rss_kib();

    println!("scenario: history, one C2C conversation of {total} messages, SQLite");
    println!(
        "seeding: {:.1} s in all: {} messages sent through the API, {} bulk-inserted in {bulk_secs:.1} s ({:.0} rows/s), two server starts",
        seeded,
        head + tail,
        bulk.clone().count(),
        bulk.count() as f64 / bulk_secs.max(1e-9)
    );
    println!(
        "database: {:.0} MiB; server RSS after the run: {rss} KiB",
        db_bytes as f64 / 1_048_576.0
    );
    println!(
        "getMessageList, count {count}, {} timed requests per page (after {WARMUP} untimed), interleaved:",
        positions[0].latencies.len()
    );
    for p in positions {
        let lat = sorted(p.latencies);
        println!(
            "  {:<44} p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            p.label,
            percentile(&lat, 50.0),
            percentile(&lat, 99.0),
            lat.last().copied().unwrap_or(f64::NAN)
        );
    }
    let pages = walk.len();
    let walk = sorted(walk);
    println!(
        "  {:<44} p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        format!("walk back {pages} pages by nextReqMessageID"),
        percentile(&walk, 50.0),
        percentile(&walk, 99.0),
        walk.last().copied().unwrap_or(f64::NAN)
    );
}
