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

#[tokio::test]
async fn a_c2c_history_page_shows_quotes_edits_and_reactions_in_nine_statements() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["ana", "ben"]).await;
    let quoted = send_text(&app, &t[0], "ben", "lunch?").await;
    let reply = ok(
        &app,
        &t[1],
        "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
        json!({ "m": { "to": "ana", "conversationType": "C2C", "payload": { "text": { "text": "yes" } }, "replyTo": quoted["ID"] } }),
    )
    .await;
    ok(
        &app,
        &t[0],
        "mutation($m: ID!, $p: MessagePayloadInput!) { modifyMessage(messageID: $m, payload: $p) { ID } }",
        json!({ "m": quoted["ID"], "p": { "text": { "text": "lunch at noon?" } } }),
    )
    .await;
    ok(
        &app,
        &t[0],
        "mutation($m: ID!) { addMessageReaction(messageID: $m, reactionID: \"like\") { ID } }",
        json!({ "m": reply["sendMessage"]["ID"] }),
    )
    .await;
    let page_query = "query { getMessageList(conversationID: \"C2Cben\") { messageList { ID version isPeerRead replyTo { messageID messageForShow } reactions { reactionID totalUserCount reactedByMyself } } } }";
    // Warm the caches (the users), then count: the conversation row, the
    // page, the viewer's unsent messages, then side by side the read
    // positions, the quotes (and, as one is there, whether the quoted are
    // revoked), the edits and the reactions (and, as there are some, the
    // viewer's own). A page without quotes or reactions runs seven.
    ok(&app, &t[0], page_query, json!({})).await;
    let before = app.state.db_statements.load(Ordering::SeqCst);
    let page = ok(&app, &t[0], page_query, json!({})).await;
    let counted = app.state.db_statements.load(Ordering::SeqCst) - before;
    let list = page["getMessageList"]["messageList"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["ID"], quoted["ID"]);
    assert_eq!(list[0]["version"], 1, "the edit shows");
    assert!(list[0]["replyTo"].is_null());
    assert_eq!(list[1]["replyTo"]["messageID"], quoted["ID"]);
    assert_eq!(list[1]["replyTo"]["messageForShow"], "lunch?");
    assert_eq!(
        list[1]["reactions"],
        json!([{ "reactionID": "like", "totalUserCount": 1, "reactedByMyself": true }])
    );
    assert_eq!(counted, 9, "statements of a warm history page");
}
