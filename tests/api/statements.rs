//! Database statements per send: after the first send has warmed the
//! services' caches (recipient, channel, blacklist, group and membership),
//! a send runs its writes and nothing else. Transaction control (`BEGIN`,
//! the unit's savepoint, `COMMIT`: on SQLite shared by every send of the
//! writer's batch) is not a prepared statement and is not counted.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{ok, seed_users, send_text, spawn_app, TestApp},
};

/// Statements that `send` runs.
async fn statements_of<F: std::future::Future>(app: &TestApp, send: F) -> u64 {
    let before = app.state.db_statements.load(Ordering::SeqCst);
    send.await;
    app.state.db_statements.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn a_c2c_send_runs_three_statements_once_warm() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["ana", "ben"]).await;
    send_text(&app, &t[0], "ben", "first").await;
    // Channel sequence, the message, both parties' conversation rows.
    let counted = statements_of(&app, send_text(&app, &t[0], "ben", "second")).await;
    assert_eq!(counted, 3, "statements of a warm C2C send");
    // Both messages are there, in order.
    let page = ok(
        &app,
        &t[1],
        "query { getMessageList(conversationID: \"C2Cana\") { messageList { sequence } } }",
        json!({}),
    )
    .await;
    let seqs: Vec<i64> = page["getMessageList"]["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["sequence"].as_i64().expect("sequence"))
        .collect();
    assert_eq!(seqs, vec![1, 2]);
}

#[tokio::test]
async fn a_group_send_runs_three_statements_once_warm() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["gus", "hal", "ivy"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "groupID": "g1", "name": "g", "type": "Private", "memberList": [{ "userID": "hal" }, { "userID": "ivy" }] }),
    )
    .await;
    send_group_text(&app, &t[1], "g1", "first").await;
    // Channel sequence, the message, the sender's read position.
    let counted = statements_of(&app, send_group_text(&app, &t[1], "g1", "second")).await;
    assert_eq!(counted, 3, "statements of a warm group send");
}

#[tokio::test]
async fn a_muted_member_is_refused_right_after_the_change() {
    // The membership cache is dropped by the change that mutes.
    let app = spawn_app().await;
    let t = seed_users(&app, &["kim", "lou"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "groupID": "g2", "name": "g", "type": "Public", "memberList": [{ "userID": "lou" }] }),
    )
    .await;
    send_group_text(&app, &t[1], "g2", "before").await;
    ok(
        &app,
        &t[0],
        "mutation { setGroupMemberMuteTime(groupID: \"g2\", userID: \"lou\", muteTime: 600) { userID } }",
        json!({}),
    )
    .await;
    let code = crate::groups::support::send_group_text_err(&app, &t[1], "g2", "after").await;
    assert_eq!(code, "MUTED");
}

#[tokio::test]
async fn a_blacklist_change_applies_to_the_next_send() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["max", "ned"]).await;
    send_text(&app, &t[0], "ned", "hello").await;
    ok(
        &app,
        &t[1],
        "mutation { addToBlacklist(userIDList: [\"max\"]) }",
        json!({}),
    )
    .await;
    let code = app
        .gql_err(
            Some(&t[0]),
            &crate::helpers::send_query(),
            json!({ "m": { "to": "ned", "conversationType": "C2C", "payload": { "text": { "text": "again" } } } }),
        )
        .await;
    assert_eq!(code, "BLOCKED");
    ok(
        &app,
        &t[1],
        "mutation { removeFromBlacklist(userIDList: [\"max\"]) }",
        json!({}),
    )
    .await;
    send_text(&app, &t[0], "ned", "and again").await;
}

#[tokio::test]
async fn a_profile_change_shows_in_the_next_message() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["oda", "pia"]).await;
    send_text(&app, &t[0], "pia", "one").await;
    ok(
        &app,
        &t[0],
        "mutation { updateMyProfile(input: { nick: \"Oda 2\" }) { nick } }",
        json!({}),
    )
    .await;
    let data = app
        .gql_ok(
            Some(&t[0]),
            &crate::helpers::send_message_query("nick"),
            json!({ "m": { "to": "pia", "conversationType": "C2C", "payload": { "text": { "text": "two" } } } }),
        )
        .await;
    assert_eq!(data["sendMessage"]["nick"], "Oda 2");
}
