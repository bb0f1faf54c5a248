//! One live feed per socket: the feed subscriptions of one WebSocket share
//! the viewer's feed (one listener of the viewer's topic), each still gets
//! every event it selects, one ending leaves the others running, and the
//! feed closes with the last of them.

use serde_json::{json, Value};

use crate::helpers::{ok, seed_users, send_text, spawn_app, TestApp, WsClient};

const RECEIVED: &str =
    "subscription { messageReceived { ID payload { ... on TextElem { text } } } }";
const REVOKED: &str = "subscription { messageRevoked { ID isRevoked } }";
const CONVERSATIONS: &str =
    "subscription { conversationUpdated { conversationID lastMessage { messageForShow } } }";
const READS: &str = "subscription { messageReadByPeer { conversationID sequence } }";

/// Wait until exactly `count` feeds of `token`'s user listen.
async fn until_exactly(app: &TestApp, token: &str, count: usize) {
    app.until_feeds_are(token, |n| n == count).await;
}

/// The next frames of `ws` until one of `id`, with the ids of those before it.
async fn next_of(ws: &mut WsClient, id: &str) -> (Value, Vec<String>) {
    let mut before = Vec::new();
    loop {
        let msg = ws.next_json().await;
        if msg["id"] == id && msg["type"] == "next" {
            return (msg["payload"]["data"].clone(), before);
        }
        assert_ne!(msg["type"], "error", "{msg}");
        before.push(msg["id"].as_str().unwrap_or_default().to_owned());
    }
}

#[tokio::test]
async fn the_feed_subscriptions_of_a_socket_share_one_feed() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["ann", "bo"]).await;
    let (ann, bo) = (&t[0], &t[1]);
    let mut first = WsClient::with_token(&app, bo).await;
    for (id, query) in [
        ("m", RECEIVED),
        ("rev", REVOKED),
        ("conv", CONVERSATIONS),
        ("read", READS),
    ] {
        first.subscribe(id, query, json!({})).await;
    }
    until_exactly(&app, bo, 1).await;
    let mut second = WsClient::with_token(&app, bo).await;
    second.subscribe("m", RECEIVED, json!({})).await;
    until_exactly(&app, bo, 2).await;

    let one = send_text(&app, ann, "bo", "one").await;
    let (got, _) = next_of(&mut first, "m").await;
    assert_eq!(got["messageReceived"]["ID"], one["ID"]);
    let (got, _) = next_of(&mut first, "conv").await;
    assert_eq!(
        got["conversationUpdated"]["lastMessage"]["messageForShow"],
        "one"
    );
    let (got, _) = next_of(&mut second, "m").await;
    assert_eq!(got["messageReceived"]["payload"]["text"], "one");

    // One subscription ends; the others go on with the same feed.
    first.complete("m").await;
    // Frames are handled in order: once this answers, `m` has ended.
    first.settle().await;
    let two = send_text(&app, ann, "bo", "two").await;
    let (got, before) = next_of(&mut first, "conv").await;
    assert_eq!(
        got["conversationUpdated"]["lastMessage"]["messageForShow"],
        "two"
    );
    assert!(!before.contains(&"m".to_owned()), "{before:?}");
    ok(
        &app,
        ann,
        "mutation($m: ID!) { revokeMessage(messageID: $m) { ID } }",
        json!({ "m": two["ID"] }),
    )
    .await;
    let (got, before) = next_of(&mut first, "rev").await;
    assert_eq!(got["messageRevoked"]["ID"], two["ID"]);
    assert!(!before.contains(&"m".to_owned()), "{before:?}");
    // Bo's answer reads ann's messages: she is told, he is not.
    send_text(&app, bo, "ann", "reply").await;
    assert_eq!(app.feeds_of(bo), 2, "still one feed per socket");

    // The last one ends: the socket's feed closes; a new subscription opens another.
    for id in ["rev", "conv", "read"] {
        first.complete(id).await;
    }
    until_exactly(&app, bo, 1).await;
    first.subscribe("again", RECEIVED, json!({})).await;
    until_exactly(&app, bo, 2).await;
    let three = send_text(&app, ann, "bo", "three").await;
    let (got, before) = next_of(&mut first, "again").await;
    assert_eq!(got["messageReceived"]["ID"], three["ID"]);
    assert!(
        before
            .iter()
            .all(|id| id == "conv" || id == "rev" || id.is_empty()),
        "only what was sent before the ends: {before:?}"
    );
    let (got, _) = next_of(&mut second, "m").await;
    assert_eq!(got["messageReceived"]["payload"]["text"], "two");
}
