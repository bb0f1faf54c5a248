//! Concurrent sends of one message allocate one sequence: `sendMessage` of a
//! created message, `resendMessage` of a failed one, and `clientMsgID`
//! retries of a created-unsent one.

use serde_json::{json, Value};

use crate::helpers::{history, send_text, spawn_app, TestApp, WsClient};

const RECEIVED: &str =
    "subscription { messageReceived { ID sequence payload { ... on TextElem { text } } } }";

/// Run `query` six times at once as `token`; returns the six bodies.
async fn six_at_once(app: &TestApp, token: &str, query: &str, variables: Value) -> Vec<Value> {
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let client = app.gql_client();
            let (token, query, variables) = (token.to_owned(), query.to_owned(), variables.clone());
            tokio::spawn(async move { client.gql(Some(&token), &query, variables).await })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.expect("task"));
    }
    bodies
}

/// Bob's subscription to his messages, live before anything is sent.
async fn bob_listening(app: &TestApp, bob: &str) -> WsClient {
    let mut ws = WsClient::with_token(app, bob).await;
    ws.subscribe("m", RECEIVED, json!({})).await;
    app.until_feeds(bob, 1).await;
    ws
}

/// What one sequence means: alice's history holds `id` once at sequence 1,
/// bob has one unread message, and bob's subscriber got `id` exactly once
/// (the marker sent afterwards is the next event).
async fn assert_sent_once(app: &TestApp, alice: &str, bob: &str, ws: &mut WsClient, id: &str) {
    let page = history(app, alice, "C2Cbob", 100, None).await["messageList"].clone();
    let list = page.as_array().expect("messageList");
    assert_eq!(list.len(), 1, "one message in history: {page}");
    assert_eq!(
        (list[0]["ID"].as_str(), list[0]["sequence"].as_i64()),
        (Some(id), Some(1))
    );
    let convs = app
        .gql_ok(
            Some(bob),
            "{ getConversationList { conversationID unreadCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        convs["getConversationList"],
        json!([{ "conversationID": "C2Calice", "unreadCount": 1 }])
    );
    let first = ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(
        (first["ID"].as_str(), first["sequence"].as_i64()),
        (Some(id), Some(1))
    );
    let marker = send_text(app, alice, "bob", "marker").await;
    let next = ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(
        next["ID"], marker["ID"],
        "the marker is the next event, no repeat"
    );
    assert_eq!(next["sequence"], 2, "sequences stay gapless");
}

/// Every answer of `field` that succeeded carries sequence 1; at least one did.
fn one_sequence(bodies: &[Value], field: &str, allowed_error: Option<&str>) {
    let mut successes = 0;
    for body in bodies {
        match body.get("errors") {
            None => {
                assert_eq!(body["data"][field]["sequence"], 1, "{body}");
                assert_eq!(body["data"][field]["status"], "success", "{body}");
                successes += 1;
            }
            Some(errors) => assert_eq!(
                errors[0]["extensions"]["code"].as_str(),
                allowed_error,
                "{body}"
            ),
        }
    }
    assert!(successes >= 1, "one send won: {bodies:?}");
}

#[tokio::test]
async fn six_concurrent_sends_of_a_created_message_give_one_sequence() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut ws = bob_listening(&app, &bob).await;
    let created = app
        .gql_ok(
            Some(&alice),
            "mutation { createMessage(input: { to: \"bob\", conversationType: C2C, payload: { text: { text: \"once\" } } }) { ID } }",
            json!({}),
        )
        .await["createMessage"]["ID"]
        .as_str()
        .expect("id")
        .to_owned();
    let bodies = six_at_once(
        &app,
        &alice,
        "mutation($id: ID!) { sendMessage(messageID: $id) { ID status sequence } }",
        json!({ "id": created }),
    )
    .await;
    one_sequence(&bodies, "sendMessage", None);
    assert_sent_once(&app, &alice, &bob, &mut ws, &created).await;
}

#[tokio::test]
async fn six_concurrent_resends_of_a_failed_message_give_one_sequence() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.gql_ok(
        Some(&bob),
        "mutation { addToBlacklist(userIDList: [\"alice\"]) }",
        json!({}),
    )
    .await;
    let refused = app
        .gql(
            Some(&alice),
            "mutation { sendMessage(message: { to: \"bob\", conversationType: C2C, payload: { text: { text: \"once\" } } }) { ID } }",
            json!({}),
        )
        .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BLOCKED");
    let failed = history(&app, &alice, "C2Cbob", 10, None).await["messageList"][0].clone();
    assert_eq!(failed["status"], "fail");
    let id = failed["ID"].as_str().expect("id").to_owned();
    app.gql_ok(
        Some(&bob),
        "mutation { removeFromBlacklist(userIDList: [\"alice\"]) }",
        json!({}),
    )
    .await;
    let mut ws = bob_listening(&app, &bob).await;
    let bodies = six_at_once(
        &app,
        &alice,
        "mutation($id: ID!) { resendMessage(messageID: $id) { ID status sequence } }",
        json!({ "id": id }),
    )
    .await;
    // A resend that arrives after the winner committed finds a sent message,
    // which resendMessage refuses; none allocates another sequence.
    one_sequence(&bodies, "resendMessage", Some("BAD_USER_INPUT"));
    assert_sent_once(&app, &alice, &bob, &mut ws, &id).await;
}

#[tokio::test]
async fn six_concurrent_client_msg_id_retries_of_an_unsent_message_give_one_sequence() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut ws = bob_listening(&app, &bob).await;
    let message = json!({ "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "once" } }, "clientMsgID": "retry-1" });
    let created = app
        .gql_ok(
            Some(&alice),
            "mutation($m: CreateMessageInput!) { createMessage(input: $m) { ID status } }",
            json!({ "m": message }),
        )
        .await["createMessage"]
        .clone();
    assert_eq!(created["status"], "unSend");
    let bodies = six_at_once(
        &app,
        &alice,
        "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID status sequence } }",
        json!({ "m": message }),
    )
    .await;
    one_sequence(&bodies, "sendMessage", None);
    for body in &bodies {
        assert_eq!(body["data"]["sendMessage"]["ID"], created["ID"], "{body}");
    }
    let id = created["ID"].as_str().expect("id").to_owned();
    assert_sent_once(&app, &alice, &bob, &mut ws, &id).await;
}
