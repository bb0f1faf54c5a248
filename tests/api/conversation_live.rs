//! `conversationUpdated` keeps each conversation up to date from the events
//! instead of reading it again per subscriber and message: every item it
//! streams must equal what `getConversationProfile` reads at that moment,
//! and a warm group send must not read anything per subscriber.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{ok, seed_users, send_text, spawn_app, TestApp, WsClient},
};

const FIELDS: &str = "conversationID unreadCount lastMessage { lastSequence messageForShow isRevoked fromAccount } userProfile { userID nick } groupProfile { name memberCount } isPinned messageRemindType";

fn live_query() -> String {
    format!("subscription {{ conversationUpdated {{ {FIELDS} }} }}")
}

/// What the database says of the conversation now.
async fn profile(app: &TestApp, token: &str, conversation: &str) -> Value {
    ok(
        app,
        token,
        &format!(
            "query($c: String!) {{ getConversationProfile(conversationID: $c) {{ {FIELDS} }} }}"
        ),
        json!({ "c": conversation }),
    )
    .await["getConversationProfile"]
        .clone()
}

/// The next item of the stream, checked against the database.
async fn next_matches_database(ws: &mut WsClient, app: &TestApp, token: &str) -> Value {
    let item = ws.next_data("conv").await["conversationUpdated"].clone();
    let conversation = item["conversationID"].as_str().expect("conversationID");
    assert_eq!(
        item,
        profile(app, token, conversation).await,
        "the streamed view equals the stored one"
    );
    item
}

#[tokio::test]
async fn a_c2c_conversation_streams_what_the_database_holds_after_each_change() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["ann", "bo"]).await;
    let mut ws = WsClient::with_token(&app, &t[1]).await;
    ws.subscribe("conv", &live_query(), json!({})).await;
    app.until_feeds(&t[1], 1).await;

    for (k, text) in ["one", "two", "three"].iter().enumerate() {
        send_text(&app, &t[0], "bo", text).await;
        let item = next_matches_database(&mut ws, &app, &t[1]).await;
        assert_eq!(item["unreadCount"], k as i64 + 1);
        assert_eq!(item["lastMessage"]["messageForShow"], *text);
    }
    // The peer changes their nick: the next item shows it.
    ok(
        &app,
        &t[0],
        "mutation { updateMyProfile(input: { nick: \"Annie\" }) { nick } }",
        json!({}),
    )
    .await;
    // Bo answers: his own send reads everything before it.
    send_text(&app, &t[1], "ann", "reply").await;
    let item = next_matches_database(&mut ws, &app, &t[1]).await;
    assert_eq!(item["unreadCount"], 0);
    assert_eq!(item["userProfile"]["nick"], "Annie");
    let last = send_text(&app, &t[0], "bo", "four").await;
    let item = next_matches_database(&mut ws, &app, &t[1]).await;
    assert_eq!(item["unreadCount"], 1);
    // Revoking the last message shows it revoked, the count unchanged.
    ok(
        &app,
        &t[0],
        "mutation($m: ID!) { revokeMessage(messageID: $m) { ID } }",
        json!({ "m": last["ID"] }),
    )
    .await;
    let item = next_matches_database(&mut ws, &app, &t[1]).await;
    assert_eq!(item["lastMessage"]["isRevoked"], true);
    // Reading changes the view: the stream reads it again.
    ok(
        &app,
        &t[1],
        "mutation { setMessageRead(conversationID: \"C2Cann\") { unreadCount } }",
        json!({}),
    )
    .await;
    let item = next_matches_database(&mut ws, &app, &t[1]).await;
    assert_eq!(item["unreadCount"], 0);
    send_text(&app, &t[0], "bo", "five").await;
    let item = next_matches_database(&mut ws, &app, &t[1]).await;
    assert_eq!(item["unreadCount"], 1);
}

#[tokio::test]
async fn a_group_conversation_follows_messages_and_group_changes() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["gia", "hub", "ida"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "groupID": "lg", "name": "before", "type": "Public", "memberList": [{ "userID": "hub" }, { "userID": "ida" }] }),
    )
    .await;
    let mut ws = WsClient::with_token(&app, &t[2]).await;
    ws.subscribe("conv", &live_query(), json!({})).await;
    app.until_feeds(&t[2], 1).await;

    send_group_text(&app, &t[0], "lg", "a").await;
    let first = next_matches_database(&mut ws, &app, &t[2]).await;
    send_group_text(&app, &t[1], "lg", "b").await;
    let second = next_matches_database(&mut ws, &app, &t[2]).await;
    assert_eq!(
        second["unreadCount"].as_i64(),
        first["unreadCount"].as_i64().map(|n| n + 1)
    );
    // A renamed group: the next message shows the new name.
    ok(
        &app,
        &t[0],
        "mutation { updateGroupProfile(input: { groupID: \"lg\", name: \"after\" }) { name } }",
        json!({}),
    )
    .await;
    let tip = next_matches_database(&mut ws, &app, &t[2]).await;
    assert_eq!(tip["groupProfile"]["name"], "after", "the rename's tip");
    send_group_text(&app, &t[0], "lg", "c").await;
    let item = next_matches_database(&mut ws, &app, &t[2]).await;
    assert_eq!(item["lastMessage"]["messageForShow"], "c");
    assert_eq!(item["groupProfile"]["name"], "after");
    // Ida's own message reads the group up to it.
    send_group_text(&app, &t[2], "lg", "mine").await;
    let item = next_matches_database(&mut ws, &app, &t[2]).await;
    assert_eq!(item["unreadCount"], 0);
}

#[tokio::test]
async fn a_warm_group_send_reads_nothing_per_subscriber() {
    let app = spawn_app().await;
    let names: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let t = seed_users(&app, &refs).await;
    let members: Vec<Value> = names[1..].iter().map(|n| json!({ "userID": n })).collect();
    create_group(
        &app,
        &t[0],
        json!({ "groupID": "wg", "name": "w", "type": "Public", "memberList": members }),
    )
    .await;
    let mut sockets = Vec::new();
    for token in &t[1..] {
        let mut ws = WsClient::with_token(&app, token).await;
        ws.subscribe("conv", &live_query(), json!({})).await;
        app.until_feeds(token, 1).await;
        sockets.push(ws);
    }
    // The first message: every stream reads its conversation once.
    send_group_text(&app, &t[0], "wg", "warm").await;
    for ws in &mut sockets {
        ws.next_data("conv").await;
    }
    let before = app.state.db_statements.load(Ordering::SeqCst);
    send_group_text(&app, &t[0], "wg", "hot").await;
    for ws in &mut sockets {
        let item = ws.next_data("conv").await["conversationUpdated"].clone();
        assert_eq!(item["lastMessage"]["messageForShow"], "hot");
        assert_eq!(item["unreadCount"], 2);
    }
    let counted = app.state.db_statements.load(Ordering::SeqCst) - before;
    // The send's own three statements; none for the 11 subscribers.
    assert_eq!(
        counted, 3,
        "statements of a warm send with 11 live subscribers"
    );
}
