//! Resuming without loss on one server (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`): `messageReceived(since:)` and
//! `getMessageList(afterSequence:)`.

use serde_json::json;

use crate::helpers::{compat_ok, send_text, spawn_app, WsClient};

const RECEIVED: &str = "subscription($s: [ConversationSequenceInput!], $c: String) { messageReceived(conversationID: $c, since: $s) { conversationID sequence payload { ... on TextElem { text } } } }";

fn parts(data: &serde_json::Value) -> (String, i64, String) {
    let m = &data["messageReceived"];
    (
        m["conversationID"].as_str().unwrap_or_default().to_owned(),
        m["sequence"].as_i64().unwrap_or_default(),
        m["payload"]["text"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn since_replays_every_missed_message_in_pages_then_goes_live() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    // More than one page of the feed's reads (100).
    for i in 1..=130 {
        send_text(&app, &alice, "bob", &format!("m{i}")).await;
    }
    send_text(&app, &carol, "bob", "c1").await;
    let mut ws = WsClient::with_token(&app, &bob).await;
    ws.subscribe(
        "m",
        RECEIVED,
        json!({ "s": [
            { "conversationID": "C2Calice", "sequence": 5 },
            { "conversationID": "C2Cnobody", "sequence": 0 },
        ] }),
    )
    .await;
    for seq in 6..=130 {
        assert_eq!(
            parts(&ws.next_data("m").await),
            ("C2Calice".to_owned(), seq, format!("m{seq}")),
            "oldest first, none skipped or repeated"
        );
    }
    // Not listed: carol's earlier message is not replayed; the next is live.
    send_text(&app, &carol, "bob", "c2").await;
    send_text(&app, &alice, "bob", "m131").await;
    assert_eq!(
        parts(&ws.next_data("m").await),
        ("C2Ccarol".to_owned(), 2, "c2".to_owned())
    );
    assert_eq!(
        parts(&ws.next_data("m").await),
        ("C2Calice".to_owned(), 131, "m131".to_owned())
    );
}

#[tokio::test]
async fn since_is_checked_before_anything_is_streamed() {
    let app = spawn_app().await;
    let bob = app.register("bob").await;
    let mut ws = WsClient::with_token(&app, &bob).await;
    for (id, since) in [
        (
            "neg",
            json!([{ "conversationID": "C2Calice", "sequence": -1 }]),
        ),
        (
            "bad",
            json!([{ "conversationID": "nonsense", "sequence": 0 }]),
        ),
    ] {
        ws.subscribe(id, RECEIVED, json!({ "s": since })).await;
        let msg = loop {
            let msg = ws.next_json().await;
            if msg["id"] == id {
                break msg;
            }
        };
        assert_eq!(msg["type"], "error", "{msg}");
        assert_eq!(
            msg["payload"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{msg}"
        );
    }
}

#[tokio::test]
async fn after_sequence_pages_forward_oldest_first() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for i in 1..=7 {
        send_text(&app, &alice, "bob", &format!("m{i}")).await;
    }
    let page = |after: i64| {
        let app = &app;
        let bob = bob.clone();
        async move {
            app.gql_ok(
                Some(&bob),
                "query($a: Int) { getMessageList(conversationID: \"C2Calice\", count: 3, afterSequence: $a) { messageList { sequence } isCompleted nextReqMessageID } }",
                json!({ "a": after }),
            )
            .await["getMessageList"]
                .clone()
        }
    };
    let seqs = |p: &serde_json::Value| -> Vec<i64> {
        p["messageList"]
            .as_array()
            .map(|l| l.iter().filter_map(|m| m["sequence"].as_i64()).collect())
            .unwrap_or_default()
    };
    let first = page(0).await;
    assert_eq!(
        (seqs(&first), first["isCompleted"].clone()),
        (vec![1, 2, 3], json!(false))
    );
    let second = page(3).await;
    assert_eq!(
        (seqs(&second), second["isCompleted"].clone()),
        (vec![4, 5, 6], json!(false))
    );
    let last = page(6).await;
    assert_eq!(
        (seqs(&last), last["isCompleted"].clone()),
        (vec![7], json!(true))
    );
    let beyond = page(7).await;
    assert_eq!(
        (seqs(&beyond), beyond["isCompleted"].clone()),
        (vec![], json!(true))
    );

    // The compat route takes the same field.
    let data = compat_ok(
        &app,
        &bob,
        "/message/getMessageList",
        json!({ "conversationID": "C2Calice", "count": 2, "afterSequence": 4 }),
    )
    .await;
    let compat: Vec<i64> = data
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| m["message"]["sequence"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(compat, vec![5, 6]);

    for (query, what) in [
        (
            "{ getMessageList(conversationID: \"C2Calice\", afterSequence: -1) { isCompleted } }",
            "a negative sequence",
        ),
        (
            "{ getMessageList(conversationID: \"C2Calice\", afterSequence: 1, nextReqMessageID: \"x\") { isCompleted } }",
            "both directions at once",
        ),
    ] {
        assert_eq!(
            app.gql_err(Some(&bob), query, json!({})).await,
            "BAD_USER_INPUT",
            "{what}"
        );
    }
}
