//! `getUserStatus`, `setSelfStatus` and `userStatusUpdated`.

use serde_json::{json, Value};

use super::next_matching;
use crate::helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, WsClient};

const GET: &str = "query($u: [String!]!) { getUserStatus(userIDList: $u) { userID statusType customStatus lastSeen } }";
const SET: &str =
    "mutation($s: String!) { setSelfStatus(customStatus: $s) { userID statusType customStatus } }";
const WATCH: &str = "subscription($u: [String!]!) { userStatusUpdated(userIDList: $u) { userID statusType customStatus lastSeen } }";

fn brief(status: &Value) -> (String, String, String) {
    (
        status["userID"].as_str().unwrap_or_default().to_owned(),
        status["statusType"].as_str().unwrap_or_default().to_owned(),
        status["customStatus"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn of(user: &str, kind: &str, custom: &str) -> (String, String, String) {
    (user.to_owned(), kind.to_owned(), custom.to_owned())
}

#[tokio::test]
async fn watchers_see_users_come_online_change_status_and_go_offline() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    let set = ok(&app, bob, SET, json!({ "s": "coding" })).await;
    assert_eq!(
        brief(&set["setSelfStatus"]),
        of("bob", "USER_STATUS_OFFLINE", "coding")
    );
    let mut ws = WsClient::with_token(&app, alice).await;
    ws.subscribe("s", WATCH, json!({ "u": ["bob", "nobody"] }))
        .await;
    // The current status first (unknown users left out).
    let first = ws.next_data("s").await;
    assert_eq!(
        brief(&first["userStatusUpdated"]),
        of("bob", "USER_STATUS_OFFLINE", "coding")
    );
    let bob_socket = WsClient::with_token(&app, bob).await;
    let online = next_matching(&mut ws, "s", |d| {
        d["userStatusUpdated"]["statusType"] == "USER_STATUS_ONLINE"
    })
    .await;
    assert_eq!(
        brief(&online["userStatusUpdated"]),
        of("bob", "USER_STATUS_ONLINE", "coding")
    );
    compat_ok(
        &app,
        bob,
        "/user/setSelfStatus",
        json!({ "customStatus": "lunch" }),
    )
    .await;
    let changed = next_matching(&mut ws, "s", |d| {
        d["userStatusUpdated"]["customStatus"] == "lunch"
    })
    .await;
    assert_eq!(
        brief(&changed["userStatusUpdated"]),
        of("bob", "USER_STATUS_ONLINE", "lunch")
    );
    drop(bob_socket);
    let offline = next_matching(&mut ws, "s", |d| {
        d["userStatusUpdated"]["statusType"] == "USER_STATUS_OFFLINE"
    })
    .await;
    assert!(
        offline["userStatusUpdated"]["lastSeen"]
            .as_i64()
            .unwrap_or_default()
            > 0
    );
    // Queried: alice is online (her socket is open), bob offline since then.
    let got = ok(&app, carol, GET, json!({ "u": ["alice", "bob", "nobody"] })).await;
    let list: Vec<_> = got["getUserStatus"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        list.iter().map(brief).collect::<Vec<_>>(),
        [
            of("alice", "USER_STATUS_ONLINE", ""),
            of("bob", "USER_STATUS_OFFLINE", "lunch")
        ]
    );
    assert_eq!(
        list[1]["lastSeen"],
        offline["userStatusUpdated"]["lastSeen"]
    );
    // A user who blacklisted the viewer shows offline, with nothing more.
    ok(
        &app,
        alice,
        "mutation { setSelfStatus(customStatus: \"here\") { userID } }",
        json!({}),
    )
    .await;
    ok(
        &app,
        alice,
        "mutation($u: [String!]!) { addToBlacklist(userIDList: $u) }",
        json!({ "u": ["carol"] }),
    )
    .await;
    let hidden = compat_ok(
        &app,
        carol,
        "/user/getUserStatus",
        json!({ "userIDList": ["alice"] }),
    )
    .await;
    assert_eq!(brief(&hidden[0]), of("alice", "USER_STATUS_OFFLINE", ""));
    let shown = ok(&app, bob, GET, json!({ "u": ["alice"] })).await;
    assert_eq!(
        brief(&shown["getUserStatus"][0]),
        of("alice", "USER_STATUS_ONLINE", "here")
    );
    // Limits: 100 bytes of custom status, 200 users.
    assert_eq!(
        err(&app, bob, SET, json!({ "s": "x".repeat(101) })).await,
        "BAD_USER_INPUT"
    );
    ok(&app, bob, SET, json!({ "s": "x".repeat(100) })).await;
    let many: Vec<String> = (0..201).map(|n| format!("u{n}")).collect();
    assert_eq!(
        err(&app, bob, GET, json!({ "u": many })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        compat_err(
            &app,
            bob,
            "/user/setSelfStatus",
            json!({ "customStatus": "y".repeat(101) })
        )
        .await,
        (400, 400)
    );
}
