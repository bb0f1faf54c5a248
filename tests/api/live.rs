//! Live delivery of messages, revocations, read receipts and conversation changes.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{
    history, seed_users, send_message_query, send_text, spawn_app, spawn_app_with, WsClient,
};

/// The longest text a message may carry, in bytes.
const MAX_TEXT: usize = 12_000;

const RECEIVED: &str = "subscription($c: String) { messageReceived(conversationID: $c) { ID from to flow conversationID sequence payload { ... on TextElem { text } } } }";

#[tokio::test]
async fn messages_reach_the_recipient_and_the_senders_other_sessions_but_no_one_else() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let mut bob_ws = WsClient::with_token(&app, &bob).await;
    let mut alice_ws = WsClient::with_token(&app, &alice).await;
    let mut carol_ws = WsClient::with_token(&app, &carol).await;
    for ws in [&mut bob_ws, &mut alice_ws, &mut carol_ws] {
        ws.subscribe("m", RECEIVED, json!({})).await;
    }
    for token in [&bob, &alice, &carol] {
        app.until_feeds(token, 1).await;
    }
    let sent = send_text(&app, &alice, "bob", "live").await;
    let got = bob_ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(got["ID"], sent["ID"]);
    assert_eq!(got["flow"], "in");
    assert_eq!(got["conversationID"], "C2Calice");
    assert_eq!(got["payload"]["text"], "live");
    let own = alice_ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(own["flow"], "out");
    assert_eq!(own["conversationID"], "C2Cbob");
    // Carol's first event is a marker sent to her afterwards: nothing of
    // alice and bob's conversation reached her before it.
    let marker = send_text(&app, &alice, "carol", "marker").await;
    let got = carol_ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(got["ID"], marker["ID"], "{got}");
    assert_eq!(got["conversationID"], "C2Calice");
}

#[tokio::test]
async fn a_hundred_rapid_messages_arrive_once_each_in_order() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut ws = WsClient::with_token(&app, &bob).await;
    ws.subscribe("m", RECEIVED, json!({ "c": "C2Calice" }))
        .await;
    app.until_feeds(&bob, 1).await;
    let sender = {
        let client = app.gql_client();
        let token = alice.clone();
        tokio::spawn(async move {
            for i in 1..=100 {
                let body = client
                    .gql(
                        Some(&token),
                        "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }",
                        json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": format!("n{i}") } } } }),
                    )
                    .await;
                assert!(body.get("errors").is_none(), "{body}");
            }
        })
    };
    for expected in 1..=100 {
        let got = ws.next_data("m").await["messageReceived"].clone();
        assert_eq!(got["sequence"], expected);
        assert_eq!(got["payload"]["text"], format!("n{expected}"));
    }
    sender.await.expect("sender");
    // No copy of any of them follows: the next event is a marker sent now.
    let marker = send_text(&app, &alice, "bob", "marker").await;
    let got = ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(
        (got["ID"].clone(), got["sequence"].clone()),
        (marker["ID"].clone(), json!(101)),
        "{got}"
    );
}

#[tokio::test]
async fn the_conversation_filter_selects_one_conversation() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let mut ws = WsClient::with_token(&app, &bob).await;
    ws.subscribe("m", RECEIVED, json!({ "c": "C2Ccarol" }))
        .await;
    app.until_feeds(&bob, 1).await;
    send_text(&app, &alice, "bob", "not this one").await;
    send_text(&app, &carol, "bob", "this one").await;
    let got = ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(got["payload"]["text"], "this one");
}

#[tokio::test]
async fn revocations_read_receipts_and_conversation_updates_are_pushed() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut alice_ws = WsClient::with_token(&app, &alice).await;
    let mut bob_ws = WsClient::with_token(&app, &bob).await;
    alice_ws
        .subscribe(
            "read",
            "subscription { messageReadByPeer { conversationID sequence time } }",
            json!({}),
        )
        .await;
    bob_ws
        .subscribe(
            "rev",
            "subscription { messageRevoked { ID isRevoked payload { __typename } } }",
            json!({}),
        )
        .await;
    bob_ws.subscribe("conv", "subscription { conversationUpdated { conversationID unreadCount lastMessage { messageForShow } } }", json!({})).await;
    app.until_feeds(&alice, 1).await;
    app.until_feeds(&bob, 1).await;

    let sent = send_text(&app, &alice, "bob", "hello").await;
    let conv = bob_ws.next_data("conv").await["conversationUpdated"].clone();
    assert_eq!(conv["conversationID"], "C2Calice");
    assert_eq!(conv["unreadCount"], 1);
    assert_eq!(conv["lastMessage"]["messageForShow"], "hello");

    app.gql_ok(
        Some(&bob),
        "mutation { setMessageRead(conversationID: \"C2Calice\") { unreadCount } }",
        json!({}),
    )
    .await;
    let read = alice_ws.next_data("read").await["messageReadByPeer"].clone();
    assert_eq!(read["conversationID"], "C2Cbob");
    assert_eq!(read["sequence"], 1);
    let conv = bob_ws.next_data("conv").await["conversationUpdated"].clone();
    assert_eq!(conv["unreadCount"], 0, "bob's other sessions see the read");

    let id = sent["ID"].as_str().expect("id");
    app.gql_ok(
        Some(&alice),
        &format!("mutation {{ revokeMessage(messageID: \"{id}\") {{ ID }} }}"),
        json!({}),
    )
    .await;
    let revoked = bob_ws.next_data("rev").await["messageRevoked"].clone();
    assert_eq!(
        revoked,
        json!({ "ID": id, "isRevoked": true, "payload": null })
    );
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_caught_up_from_the_database_in_order() {
    let app = spawn_app_with(|c| c.bus_capacity = 2).await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let mut feed = imgql::messages::feed::viewer_feed(&app.state, "bob", &[])
        .await
        .expect("feed");
    // Twelve messages land while the feed is not read: its topic holds two.
    for i in 0..12 {
        send_text(&app, &alice, "bob", &format!("m{i}")).await;
    }
    use futures_util::StreamExt;
    let mut texts = Vec::new();
    let mut sequences = Vec::new();
    while texts.len() < 12 {
        let item = tokio::time::timeout(Duration::from_secs(5), feed.next())
            .await
            .expect("an item in time")
            .expect("the stream goes on")
            .expect("no error: a lag is not an end");
        if let imgql::events::Event::Message(view) = item.as_ref() {
            texts.push(view.payload["text"].as_str().unwrap_or_default().to_owned());
            sequences.push(view.sequence);
        }
    }
    let expected: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, expected, "every message, once, in order");
    assert_eq!(sequences, (1..=12).collect::<Vec<i64>>());
    // And it is live again afterwards.
    send_text(&app, &alice, "bob", "after").await;
    loop {
        let item = tokio::time::timeout(Duration::from_secs(5), feed.next())
            .await
            .expect("live in time")
            .expect("open")
            .expect("ok");
        if let imgql::events::Event::Message(view) = item.as_ref() {
            assert_eq!(view.sequence, 13, "the next one, live");
            break;
        }
    }
}

#[tokio::test]
async fn messages_a_user_cannot_see_are_not_found_to_them() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let carol = app.register("carol").await;
    let private = send_text(&app, &alice, "bob", "between us").await;
    let id = private["ID"].as_str().expect("id");
    for query in [
        format!("mutation {{ revokeMessage(messageID: \"{id}\") {{ ID }} }}"),
        format!("mutation {{ sendMessage(messageID: \"{id}\") {{ ID }} }}"),
        format!("mutation {{ resendMessage(messageID: \"{id}\") {{ ID }} }}"),
        format!("mutation {{ sendMessage(message: {{ to: \"alice\", conversationType: C2C, payload: {{ forward: {{ messageID: \"{id}\" }} }} }}) {{ ID }} }}"),
    ] {
        assert_eq!(app.gql_err(Some(&carol), &query, json!({})).await, "NOT_FOUND", "{query}");
    }
    let page = history(&app, &carol, "C2Calice", 15, None).await;
    assert_eq!(
        page["messageList"],
        json!([]),
        "nothing was created for carol"
    );
}

#[tokio::test]
async fn a_merged_message_over_256_kib_arrives_live_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let (alice, bob) = (&tokens[0], &tokens[1]);
    let mut ids = Vec::new();
    for i in 0..30 {
        let text = format!("{i:02}{}", "x".repeat(MAX_TEXT - 2));
        ids.push(send_text(&app, alice, "bob", &text).await["ID"].clone());
    }
    let mut bob_ws = WsClient::with_token(&app, bob).await;
    bob_ws
        .subscribe(
            "m",
            "subscription { messageReceived { ID payload { __typename ... on TextElem { text } ... on RelayElem { title messageList { ID payload { ... on TextElem { text } } } } } } }",
            json!({}),
        )
        .await;
    app.until_feeds(bob, 1).await;
    let merged = app
        .gql_ok(
            Some(alice),
            &send_message_query("ID"),
            json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "merger": {
                "messageIDList": ids, "title": "thirty texts", "compatibleText": "upgrade to see"
            } } } }),
        )
        .await;
    let got = bob_ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(got["ID"], merged["sendMessage"]["ID"]);
    let list = got["payload"]["messageList"]
        .as_array()
        .expect("messageList");
    assert_eq!(list.len(), 30);
    assert_eq!(
        list[29]["payload"]["text"].as_str().map(str::len),
        Some(MAX_TEXT)
    );
    assert!(
        got.to_string().len() > 256 * 1024,
        "the frame is over 256 KiB"
    );
    // The socket is still open and delivering.
    let after = send_text(&app, alice, "bob", "after").await;
    let next = bob_ws.next_data("m").await["messageReceived"].clone();
    assert_eq!(next["ID"], after["ID"]);
    assert_eq!(next["payload"]["text"], "after");
}
