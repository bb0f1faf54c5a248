//! Quote replies: `CreateMessageInput.replyTo` and `Message.replyTo`.

use serde_json::{json, Value};

use crate::helpers::{
    compat_err, compat_ok, err, message_page, ok, seed_users, send_text, spawn_app, TestApp,
    WsClient,
};

const REPLY: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID replyTo { messageID from sequence messageForShow } } }";

fn reply_to(to: &str, text: &str, original: &Value) -> Value {
    json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": text } }, "replyTo": original } })
}

/// The `replyTo` of each message of a conversation, oldest first.
async fn replies(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    message_page(
        app,
        token,
        conversation,
        "replyTo { messageID from sequence messageForShow }",
        100,
        None,
    )
    .await["messageList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["replyTo"].clone())
        .collect()
}

#[tokio::test]
async fn a_reply_keeps_a_snapshot_of_the_quoted_message_and_hides_it_once_revoked() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    let original = send_text(&app, bob, "alice", "lunch at noon?").await;
    let mut ws = WsClient::with_token(&app, bob).await;
    ws.subscribe(
        "m",
        "subscription { messageReceived(conversationID: \"C2Calice\") { ID replyTo { messageID messageForShow } } }",
        json!({}),
    )
    .await;
    let probe = ws
        .until_live("m", "messageReceived", async || {
            send_text(&app, bob, "alice", "probe").await;
        })
        .await;
    assert!(probe["messageReceived"]["replyTo"].is_null());
    let sent = ok(&app, alice, REPLY, reply_to("bob", "yes!", &original["ID"])).await;
    let expected = json!({
        "messageID": original["ID"],
        "from": "bob",
        "sequence": original["sequence"],
        "messageForShow": "lunch at noon?",
    });
    assert_eq!(sent["sendMessage"]["replyTo"], expected);
    // Live and in both sides' history.
    let live = loop {
        let data = ws.next_data("m").await;
        if data["messageReceived"]["ID"] == sent["sendMessage"]["ID"] {
            break data;
        }
    };
    assert_eq!(
        live["messageReceived"]["replyTo"]["messageForShow"],
        "lunch at noon?"
    );
    assert_eq!(replies(&app, bob, "C2Calice").await.last(), Some(&expected));
    // Compat: `replyTo` in the body, `replyTo` on the message.
    let data = compat_ok(
        &app,
        alice,
        "/message/sendMessage",
        json!({ "message": { "to": "bob", "conversationType": "C2C", "payload": { "text": "see you" }, "replyTo": original["ID"] } }),
    )
    .await;
    assert_eq!(data["message"]["replyTo"]["messageID"], original["ID"]);
    // Revoked: the quoted text does not live on in replies.
    ok(
        &app,
        bob,
        "mutation($id: ID!) { revokeMessage(messageID: $id) { isRevoked } }",
        json!({ "id": original["ID"] }),
    )
    .await;
    let after = replies(&app, alice, "C2Cbob").await;
    let shown: Vec<&Value> = after
        .iter()
        .filter(|r| !r.is_null())
        .map(|r| &r["messageForShow"])
        .collect();
    assert_eq!(
        shown,
        [&json!("[Message revoked]"), &json!("[Message revoked]")]
    );
    // Messages without a quote have none.
    assert!(after[0].is_null(), "{after:?}");
    // Only a sent message of the same conversation that the sender can see.
    let elsewhere = send_text(&app, alice, "carol", "other chat").await;
    let private = send_text(&app, carol, "bob", "between us").await;
    assert_eq!(
        err(&app, alice, REPLY, reply_to("bob", "x", &elsewhere["ID"])).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, alice, REPLY, reply_to("bob", "x", &private["ID"])).await,
        "NOT_FOUND"
    );
    assert_eq!(
        err(&app, alice, REPLY, reply_to("bob", "x", &json!("nope"))).await,
        "NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            alice,
            "/message/sendMessage",
            json!({ "message": { "to": "bob", "conversationType": "C2C", "payload": { "text": "x" }, "replyTo": private["ID"] } })
        )
        .await,
        (404, 404)
    );
}
