//! Merged records: copies of records keep no inner `messageList`, duplicate
//! IDs count once, and every stored payload is bounded while it is built.

use serde_json::{json, Value};

use crate::helpers::{
    compat_err, history, seed_users, send_message_query, send_text, spawn_app, spawn_app_with,
    TestApp,
};

/// The longest text a message may carry, in bytes.
const MAX_TEXT: usize = 12_000;

const RELAY: &str = "ID payload { __typename ... on RelayElem { title abstractList compatibleText layersOverLimit messageList { ID type payload { __typename ... on TextElem { text } ... on RelayElem { title abstractList compatibleText layersOverLimit messageList { ID } } } } } }";

/// Send a merged record of `ids` from `token` to bob; returns the body.
async fn merge(app: &TestApp, token: &str, ids: &[Value], title: &str) -> Value {
    app.gql(
        Some(token),
        &send_message_query(RELAY),
        json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "merger": {
            "messageIDList": ids, "title": title, "abstractList": ["a: one", "b: two"], "compatibleText": "upgrade"
        } } } }),
    )
    .await
}

/// How many messages alice's side of the conversation with bob holds.
async fn stored_count(app: &TestApp, token: &str) -> usize {
    history(app, token, "C2Cbob", 100, None).await["messageList"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_merger_of_a_merger_keeps_no_inner_message_list_and_stays_small() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    let mut ids = Vec::new();
    for i in 0..100 {
        let text = format!("{i:03}{}", "x".repeat(MAX_TEXT - 3));
        ids.push(send_text(&app, alice, "bob", &text).await["ID"].clone());
    }
    let full = merge(&app, alice, &ids, "a hundred texts").await;
    assert!(
        full.get("errors").is_none(),
        "100 full texts fit: {full:.300}"
    );
    let full = &full["data"]["sendMessage"];
    assert_eq!(
        full["payload"]["messageList"].as_array().map(Vec::len),
        Some(100)
    );
    assert_eq!(full["payload"]["layersOverLimit"], false);

    let nested = merge(&app, alice, &[full["ID"].clone(), ids[0].clone()], "nested").await;
    assert!(nested.get("errors").is_none(), "{nested}");
    let nested = &nested["data"]["sendMessage"];
    let inner = &nested["payload"]["messageList"][0];
    assert_eq!(inner["type"], "TIMRelayElem");
    assert_eq!(inner["payload"]["title"], "a hundred texts");
    assert_eq!(
        inner["payload"]["abstractList"],
        json!(["a: one", "b: two"])
    );
    assert_eq!(inner["payload"]["compatibleText"], "upgrade");
    assert_eq!(inner["payload"]["layersOverLimit"], true);
    assert_eq!(
        inner["payload"]["messageList"],
        json!([]),
        "no inner messages"
    );
    assert_eq!(
        nested["payload"]["messageList"][1]["payload"]["text"]
            .as_str()
            .map(str::len),
        Some(MAX_TEXT)
    );
    // Stored: one text and the record's own fields, not a hundred texts.
    let (status, envelope) = app
        .compat(
            Some(alice),
            "/message/getMessageList",
            json!({ "conversationID": "C2Cbob", "count": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{envelope:.300}");
    let stored = &envelope["data"][0]["message"]["payload"];
    assert_eq!(
        stored["messageList"].as_array().map(Vec::len),
        Some(2),
        "{stored:.300}"
    );
    assert!(stored["messageList"][0]["payload"]
        .get("messageList")
        .is_none());
    let size = stored.to_string().len();
    assert!(size < 20_000, "the nested record is {size} bytes");
}

#[tokio::test]
async fn duplicate_ids_in_a_merger_store_one_copy() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    let id = send_text(&app, alice, "bob", "once").await["ID"].clone();
    let other = send_text(&app, alice, "bob", "twice").await["ID"].clone();
    let mut ids = vec![id.clone(); 100];
    ids.push(other.clone());
    ids.extend(vec![id.clone(); 100]);
    let body = merge(&app, alice, &ids, "dups").await;
    assert!(body.get("errors").is_none(), "{body}");
    let list = body["data"]["sendMessage"]["payload"]["messageList"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list[0]["ID"], id);
    assert_eq!(list[1]["ID"], other);
}

#[tokio::test]
async fn an_over_limit_merger_is_payload_too_large_and_stores_nothing() {
    let app = spawn_app_with(|c| c.max_message_bytes = 64 * 1024).await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    let mut ids = Vec::new();
    for i in 0..10 {
        let text = format!("{i:02}{}", "y".repeat(MAX_TEXT - 2));
        ids.push(send_text(&app, alice, "bob", &text).await["ID"].clone());
    }
    let before = stored_count(&app, alice).await;
    let body = merge(&app, alice, &ids, "too big").await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{body:.300}"
    );
    let create = app
        .gql(
            Some(alice),
            "mutation($i: [String!]!) { createMessage(input: { to: \"bob\", conversationType: C2C, payload: { merger: { messageIDList: $i, title: \"t\", compatibleText: \"c\" } } }) { ID } }",
            json!({ "i": ids }),
        )
        .await;
    assert_eq!(
        create["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{create:.300}"
    );
    let compat = compat_err(
        &app,
        alice,
        "/message/createMessage",
        json!({ "to": "bob", "conversationType": "C2C", "priority": "Normal",
                "payload": { "messageIDList": ids, "title": "t", "compatibleText": "c" } }),
    )
    .await;
    assert_eq!(compat.0, 413, "compat answers 413: {compat:?}");
    assert_eq!(
        stored_count(&app, alice).await,
        before,
        "nothing was stored"
    );
    // Under the limit still works.
    let small = merge(&app, alice, &ids[..3], "fits").await;
    assert!(small.get("errors").is_none(), "{small:.300}");
}
