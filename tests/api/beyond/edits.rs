//! `modifyMessage`, `Message.version` / `editTime`, `getMessageEditHistory`
//! and `messageModified`.

use serde_json::{json, Value};

use super::message_in_list;
use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{compat_err, compat_ok, err, ok, seed_users, send_text, spawn_app, WsClient},
};

const MODIFY: &str = "mutation($m: ID!, $p: MessagePayloadInput!, $v: Int) { modifyMessage(messageID: $m, payload: $p, version: $v) { ID version editTime payload { ... on TextElem { text } ... on LocationElem { description } } } }";
const HISTORY: &str = "query($m: ID!) { getMessageEditHistory(messageID: $m) { version editTime payload { ... on TextElem { text } } } }";

fn text(t: &str) -> Value {
    json!({ "text": { "text": t } })
}

fn history_texts(data: &Value) -> Vec<(i64, String)> {
    data["getMessageEditHistory"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["version"].as_i64().unwrap_or(-1),
                r["payload"]["text"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_sender_edits_with_versions_and_everyone_sees_the_history() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    let original = send_text(&app, alice, "bob", "see you at 5").await;
    let id = original["ID"].clone();
    // A reply quoting it keeps its snapshot through edits.
    let reply = ok(
        &app,
        bob,
        "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
        json!({ "m": { "to": "alice", "conversationType": "C2C", "payload": text("ok"), "replyTo": id } }),
    )
    .await;
    let unedited = ok(&app, bob, HISTORY, json!({ "m": id })).await;
    assert_eq!(history_texts(&unedited), [(0, "see you at 5".to_owned())]);
    let mut ws = WsClient::with_token(&app, bob).await;
    ws.subscribe(
        "e",
        "subscription { messageModified { ID conversationID version payload { ... on TextElem { text } } } }",
        json!({}),
    )
    .await;
    // Live once an edit is told: alice edits (without a version) until one is.
    let mut tries = 0;
    let first = ws
        .until_live("e", "messageModified", async || {
            tries += 1;
            ok(
                &app,
                alice,
                MODIFY,
                json!({ "m": id, "p": text(&format!("see you at 6 ({tries})")) }),
            )
            .await;
        })
        .await;
    assert_eq!(first["messageModified"]["ID"], id);
    assert_eq!(first["messageModified"]["conversationID"], "C2Calice");
    let version = ok(
        &app,
        alice,
        "query { getMessageList(conversationID: \"C2Cbob\") { messageList { ID version editTime } } }",
        json!({}),
    )
    .await["getMessageList"]["messageList"][0]["version"]
        .as_i64()
        .unwrap_or_default();
    assert_eq!(version, tries);
    // The right version moves it on; a stale one is CONFLICT, nothing changed.
    let edited = ok(
        &app,
        alice,
        MODIFY,
        json!({ "m": id, "p": text("see you at 7"), "v": version }),
    )
    .await;
    assert_eq!(edited["modifyMessage"]["version"], version + 1);
    assert!(edited["modifyMessage"]["editTime"].as_i64().is_some());
    assert_eq!(
        err(
            &app,
            alice,
            MODIFY,
            json!({ "m": id, "p": text("lost"), "v": version })
        )
        .await,
        "CONFLICT"
    );
    let live = loop {
        let data = ws.next_data("e").await;
        if data["messageModified"]["version"] == version + 1 {
            break data;
        }
    };
    assert_eq!(live["messageModified"]["payload"]["text"], "see you at 7");
    let history = history_texts(&ok(&app, bob, HISTORY, json!({ "m": id })).await);
    assert_eq!(history.len() as i64, version + 2);
    assert_eq!(history[0], (0, "see you at 5".to_owned()));
    assert_eq!(
        history.last(),
        Some(&(version + 1, "see you at 7".to_owned()))
    );
    // lastMessage follows; the reply's snapshot does not.
    let conv = ok(
        &app,
        bob,
        "query { getConversationProfile(conversationID: \"C2Calice\") { lastMessage { messageForShow } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        conv["getConversationProfile"]["lastMessage"]["messageForShow"],
        "ok"
    );
    let page = ok(
        &app,
        bob,
        "query { getMessageList(conversationID: \"C2Calice\") { messageList { ID payload { ... on TextElem { text } } replyTo { messageForShow } } } }",
        json!({}),
    )
    .await;
    let list = page["getMessageList"]["messageList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(list[0]["payload"]["text"], "see you at 7");
    let quoting = list
        .iter()
        .find(|m| m["ID"] == reply["sendMessage"]["ID"])
        .cloned()
        .unwrap_or_default();
    assert_eq!(quoting["replyTo"]["messageForShow"], "see you at 5");
    // Compat: edit and history.
    let data = compat_ok(
        &app,
        alice,
        "/message/modifyMessage",
        json!({ "messageID": id, "payload": { "text": "see you at 8" }, "version": version + 1 }),
    )
    .await;
    assert_eq!(data["message"]["version"], version + 2);
    assert_eq!(data["message"]["payload"]["text"], "see you at 8");
    let revisions = compat_ok(
        &app,
        bob,
        "/message/getMessageEditHistory",
        json!({ "messageID": id }),
    )
    .await;
    assert_eq!(
        revisions.as_array().map(Vec::len),
        Some(version as usize + 3)
    );
    assert_eq!(revisions[0]["payload"]["text"], "see you at 5");
    // Only the sender; same kind; editable kinds; visible messages.
    assert_eq!(
        err(&app, bob, MODIFY, json!({ "m": id, "p": text("mine now") })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            alice,
            MODIFY,
            json!({ "m": id, "p": { "location": { "longitude": 1.0, "latitude": 2.0 } } })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, carol, MODIFY, json!({ "m": id, "p": text("x") })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        err(&app, carol, HISTORY, json!({ "m": id })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            alice,
            "/message/modifyMessage",
            json!({ "messageID": id, "payload": { "text": "y" }, "version": 1 })
        )
        .await,
        (409, 409)
    );
    // Revoked: no more edits, and its history is gone.
    ok(
        &app,
        alice,
        "mutation($id: ID!) { revokeMessage(messageID: $id) { isRevoked } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        err(&app, alice, MODIFY, json!({ "m": id, "p": text("back") })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        history_texts(&ok(&app, bob, HISTORY, json!({ "m": id })).await),
        []
    );
}

#[tokio::test]
async fn group_edits_reach_members_and_other_kinds_keep_theirs() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    create_group(&app, &t[0], json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] })).await;
    let id = send_group_text(&app, &t[1], "g", "draft").await["ID"].clone();
    let edited = ok(
        &app,
        &t[1],
        MODIFY,
        json!({ "m": id, "p": text("final"), "v": 0 }),
    )
    .await;
    assert_eq!(edited["modifyMessage"]["version"], 1);
    let seen = ok(
        &app,
        &t[0],
        "query { getMessageList(conversationID: \"GROUPg\") { messageList { ID version payload { ... on TextElem { text } } } } }",
        json!({}),
    )
    .await;
    let message = message_in_list(&seen, &id);
    assert_eq!(
        (
            message["version"].clone(),
            message["payload"]["text"].clone()
        ),
        (json!(1), json!("final"))
    );
    // The conversation's lastMessage follows the edit.
    let conv = ok(
        &app,
        &t[0],
        "query { getConversationProfile(conversationID: \"GROUPg\") { lastMessage { messageForShow } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        conv["getConversationProfile"]["lastMessage"]["messageForShow"],
        "final"
    );
    // A location stays a location.
    let place = ok(
        &app,
        &t[1],
        "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
        json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "location": { "description": "here", "longitude": 1.0, "latitude": 2.0 } } } }),
    )
    .await["sendMessage"]["ID"]
        .clone();
    let moved = ok(&app, &t[1], MODIFY, json!({ "m": place, "p": { "location": { "description": "there", "longitude": 3.0, "latitude": 4.0 } } })).await;
    assert_eq!(moved["modifyMessage"]["payload"]["description"], "there");
    assert_eq!(
        err(&app, &t[1], MODIFY, json!({ "m": place, "p": text("no") })).await,
        "BAD_USER_INPUT"
    );
}
