//! Conversation lists, unread counts, read receipts and deletion.

use serde_json::json;

use crate::helpers::{history, send_text, spawn_app};

const LIST: &str = "{ getConversationList { conversationID type unreadCount isPinned messageRemindType peerReadTime userProfile { userID nick } lastMessage { lastSequence fromAccount type messageForShow isPeerRead payload { ... on TextElem { text } } } } }";

#[tokio::test]
async fn conversations_appear_on_send_with_unread_counts_and_newest_first() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    assert_eq!(
        app.gql_ok(Some(&bob), LIST, json!({})).await["getConversationList"],
        json!([])
    );
    send_text(&app, &alice, "bob", "one").await;
    send_text(&app, &alice, "bob", "two").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    send_text(&app, &carol, "bob", "hey").await;
    let list = app.gql_ok(Some(&bob), LIST, json!({})).await["getConversationList"].clone();
    assert_eq!(
        list[0]["conversationID"], "C2Ccarol",
        "newest activity first"
    );
    assert_eq!(list[1]["conversationID"], "C2Calice");
    assert_eq!(list[1]["unreadCount"], 2);
    assert_eq!(list[1]["type"], "C2C");
    assert_eq!(list[1]["userProfile"]["userID"], "alice");
    assert_eq!(list[1]["lastMessage"]["messageForShow"], "two");
    assert_eq!(list[1]["lastMessage"]["payload"]["text"], "two");
    assert_eq!(list[1]["lastMessage"]["fromAccount"], "alice");
    assert_eq!(list[1]["lastMessage"]["lastSequence"], 2);
    // The sender has no unread messages of their own.
    let mine = app.gql_ok(Some(&alice), LIST, json!({})).await["getConversationList"].clone();
    assert_eq!(mine[0]["unreadCount"], 0);

    let read = app
        .gql_ok(
            Some(&bob),
            "mutation { setMessageRead(conversationID: \"C2Calice\") { unreadCount } }",
            json!({}),
        )
        .await;
    assert_eq!(read["setMessageRead"]["unreadCount"], 0);
    let mine = app.gql_ok(Some(&alice), LIST, json!({})).await["getConversationList"].clone();
    assert_eq!(
        mine[0]["lastMessage"]["isPeerRead"], true,
        "alice sees bob read it"
    );
    assert!(mine[0]["peerReadTime"].as_i64().unwrap_or(0) > 0);
    let page = history(&app, &alice, "C2Cbob", 15, None).await;
    assert!(page["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .all(|m| m["isPeerRead"] == true));
}

#[tokio::test]
async fn placeholders_show_for_non_text_messages() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for (payload, show) in [
        (json!({ "custom": { "data": "x" } }), "[Custom Messages]"),
        (json!({ "face": { "index": 1 } }), "[Animated Sticker]"),
        (
            json!({ "location": { "longitude": 1.0, "latitude": 1.0 } }),
            "[Location]",
        ),
    ] {
        app.gql_ok(
            Some(&alice),
            "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
            json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": payload } }),
        )
        .await;
        let data = app
            .gql_ok(Some(&bob), "{ getConversationProfile(conversationID: \"C2Calice\") { lastMessage { messageForShow } } }", json!({}))
            .await;
        assert_eq!(
            data["getConversationProfile"]["lastMessage"]["messageForShow"],
            show
        );
    }
}

#[tokio::test]
async fn deleting_hides_history_for_the_deleter_only_until_a_new_message() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    send_text(&app, &alice, "bob", "old").await;
    let data = app
        .gql_ok(
            Some(&bob),
            "mutation { deleteConversation(conversationID: \"C2Calice\") }",
            json!({}),
        )
        .await;
    assert_eq!(data["deleteConversation"], "C2Calice");
    assert_eq!(
        app.gql_ok(Some(&bob), LIST, json!({})).await["getConversationList"],
        json!([])
    );
    assert_eq!(
        history(&app, &bob, "C2Calice", 15, None).await["messageList"],
        json!([])
    );
    assert_eq!(
        history(&app, &alice, "C2Cbob", 15, None).await["messageList"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "alice keeps her history"
    );
    send_text(&app, &alice, "bob", "new").await;
    let list = app.gql_ok(Some(&bob), LIST, json!({})).await["getConversationList"].clone();
    assert_eq!(
        list[0]["conversationID"], "C2Calice",
        "a new message brings it back"
    );
    assert_eq!(list[0]["unreadCount"], 1);
    let page = history(&app, &bob, "C2Calice", 15, None).await;
    assert_eq!(page["messageList"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["messageList"][0]["payload"]["text"], "new");
    assert_eq!(
        app.gql_err(
            Some(&bob),
            "mutation { deleteConversation(conversationID: \"C2Cghost\") }",
            json!({})
        )
        .await,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn compat_conversation_routes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.register("carol").await;
    send_text(&app, &alice, "bob", "hi").await;
    send_text(&app, &alice, "carol", "hi carol").await;
    let (status, body) = app
        .compat(Some(&alice), "/conversation/getConversationList", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert!(body["data"][0]["conversation"]["conversationID"].is_string());
    let (_, body) = app
        .compat(
            Some(&alice),
            "/conversation/getConversationList",
            json!({ "conversationID": "C2Cbob" }),
        )
        .await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        body["data"][0]["conversation"]["userProfile"]["userID"],
        "bob"
    );
    let (_, body) = app
        .compat(
            Some(&alice),
            "/conversation/getConversationList",
            json!({ "count": 1 }),
        )
        .await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    let (_, body) = app
        .compat(
            Some(&bob),
            "/conversation/getConversationProfile",
            json!({ "conversationID": "C2Calice" }),
        )
        .await;
    assert_eq!(body["data"]["conversation"]["unreadCount"], 1);
    assert_eq!(body["data"]["conversation"]["type"], "C2C");
    let (_, body) = app
        .compat(
            Some(&bob),
            "/conversation/deleteConversation",
            json!({ "conversationID": "C2Calice" }),
        )
        .await;
    assert_eq!(body["data"], json!({ "conversationID": "C2Calice" }));
    let (status, body) = app
        .compat(
            Some(&bob),
            "/conversation/getConversationProfile",
            json!({ "conversationID": "bad" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(400)));
}
