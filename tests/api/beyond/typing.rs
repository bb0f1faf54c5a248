//! `setTypingStatus` and `typingStatusChanged`.

use serde_json::{json, Value};

use super::next_matching;
use crate::{
    groups::support::create_group,
    helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, TestApp, WsClient},
};

const SET: &str =
    "mutation($c: String!, $t: Boolean!) { setTypingStatus(conversationID: $c, typing: $t) }";
const WATCH: &str = "subscription { typingStatusChanged { conversationID userID typing } }";

/// Helpers whose typing to `watcher` proves a typing stream live.
const PROBES: [&str; 20] = [
    "p00", "p01", "p02", "p03", "p04", "p05", "p06", "p07", "p08", "p09", "p10", "p11", "p12",
    "p13", "p14", "p15", "p16", "p17", "p18", "p19",
];

/// Open `typingStatusChanged` for `token` (user `me`) and wait until it is
/// live: each try, a fresh helper types to them (a fresh typer is told at once).
async fn watch(app: &TestApp, probes: &[String], token: &str, me: &str) -> WsClient {
    let mut ws = WsClient::with_token(app, token).await;
    ws.subscribe("t", WATCH, json!({})).await;
    let mut next = probes.iter();
    let conversation = format!("C2C{me}");
    for _ in 0..probes.len() {
        let probe = next.next().expect("a probe left");
        ok(app, probe, SET, json!({ "c": conversation, "t": true })).await;
        if tokio::time::timeout(std::time::Duration::from_millis(300), ws.next_data("t"))
            .await
            .is_ok()
        {
            return ws;
        }
    }
    panic!("typingStatusChanged of {me} never became live");
}

fn status(data: &Value) -> (String, String, bool) {
    let s = &data["typingStatusChanged"];
    (
        s["conversationID"].as_str().unwrap_or_default().to_owned(),
        s["userID"].as_str().unwrap_or_default().to_owned(),
        s["typing"].as_bool().unwrap_or_default(),
    )
}

/// The next status of `user` on a typing stream (probes skipped).
async fn next_of(ws: &mut WsClient, user: &str) -> (String, String, bool) {
    status(&next_matching(ws, "t", |d| d["typingStatusChanged"]["userID"] == user).await)
}

#[tokio::test]
async fn the_peer_is_told_of_typing_and_a_status_ends_by_itself() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob"]).await;
    let probes = seed_users(&app, &PROBES).await;
    let mut bob = watch(&app, &probes, &t[1], "bob").await;
    let mut alice = watch(&app, &probes[10..], &t[0], "alice").await;
    assert_eq!(
        ok(&app, &t[0], SET, json!({ "c": "C2Cbob", "t": true })).await["setTypingStatus"],
        true
    );
    assert_eq!(
        next_of(&mut bob, "alice").await,
        ("C2Calice".to_owned(), "alice".to_owned(), true)
    );
    // Stop and start again at once: within a second the peer is told once,
    // of the latest state, which then ends by itself (no `false` from her).
    ok(&app, &t[0], SET, json!({ "c": "C2Cbob", "t": false })).await;
    compat_ok(
        &app,
        &t[0],
        "/conversation/setTypingStatus",
        json!({ "conversationID": "C2Cbob", "typing": true }),
    )
    .await;
    assert_eq!(
        next_of(&mut bob, "alice").await,
        ("C2Calice".to_owned(), "alice".to_owned(), false),
        "the timeout ends her status"
    );
    // Nothing else of hers came in between: a marker typed now is the next
    // status bob hears of her or the marker.
    ok(&app, &probes[19], SET, json!({ "c": "C2Cbob", "t": true })).await;
    let heard = status(
        &next_matching(&mut bob, "t", |d| {
            ["alice", "p19"].contains(
                &d["typingStatusChanged"]["userID"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .await,
    );
    assert_eq!(heard.1, "p19");
    // Bob typing is told to alice, never to bob himself.
    ok(&app, &t[1], SET, json!({ "c": "C2Calice", "t": true })).await;
    assert_eq!(
        next_of(&mut alice, "bob").await,
        ("C2Cbob".to_owned(), "bob".to_owned(), true)
    );
    ok(&app, &probes[18], SET, json!({ "c": "C2Cbob", "t": true })).await;
    let heard = status(
        &next_matching(&mut bob, "t", |d| {
            ["bob", "p18"].contains(
                &d["typingStatusChanged"]["userID"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .await,
    );
    assert_eq!(heard.1, "p18");
    assert_eq!(
        err(&app, &t[0], SET, json!({ "c": "@TIM#SYSTEM", "t": true })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, &t[0], SET, json!({ "c": "C2Cnobody", "t": true })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            &t[0],
            "/conversation/setTypingStatus",
            json!({ "conversationID": "GROUPnone", "typing": true })
        )
        .await,
        (404, 10010)
    );
}

#[tokio::test]
async fn group_members_are_told_but_not_those_who_blacklisted_the_typer() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "zed"]).await;
    let probes = seed_users(&app, &PROBES).await;
    create_group(&app, &t[0], json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }, { "userID": "zed" }] })).await;
    ok(
        &app,
        &t[1],
        "mutation($u: [String!]!) { addToBlacklist(userIDList: $u) }",
        json!({ "u": ["olive"] }),
    )
    .await;
    let mut mia = watch(&app, &probes, &t[1], "mia").await;
    let mut zed = watch(&app, &probes[10..], &t[2], "zed").await;
    ok(&app, &t[0], SET, json!({ "c": "GROUPg", "t": true })).await;
    assert_eq!(
        next_of(&mut zed, "olive").await,
        ("GROUPg".to_owned(), "olive".to_owned(), true)
    );
    ok(&app, &t[0], SET, json!({ "c": "GROUPg", "t": false })).await;
    assert_eq!(
        next_of(&mut zed, "olive").await,
        ("GROUPg".to_owned(), "olive".to_owned(), false)
    );
    // Zed types after olive: the first group status mia hears is his.
    ok(&app, &t[2], SET, json!({ "c": "GROUPg", "t": true })).await;
    let heard = status(
        &next_matching(&mut mia, "t", |d| {
            d["typingStatusChanged"]["conversationID"] == "GROUPg"
        })
        .await,
    );
    assert_eq!(heard, ("GROUPg".to_owned(), "zed".to_owned(), true));
    // Outsiders cannot say they type in the group.
    let outsider = seed_users(&app, &["nemo"]).await;
    assert_eq!(
        err(&app, &outsider[0], SET, json!({ "c": "GROUPg", "t": true })).await,
        "NOT_GROUP_MEMBER"
    );
}
