//! Texts with NUL, lone surrogates or bidi controls: refused with
//! `BAD_USER_INPUT` naming the field (NUL, which PostgreSQL cannot store) or
//! kept as given (bidi controls), never `INTERNAL`, on both surfaces.

use serde_json::{json, Value};

use crate::helpers::{compat_ok, history, seed_users, send_message_query, spawn_app};

const NUL: &str = "a\u{0}b";

/// The first error's code and message of a GraphQL answer.
fn error_of(body: &Value) -> (String, String) {
    let error = &body["errors"][0];
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or("none")
            .to_owned(),
        error["message"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn nul_in_any_text_is_bad_user_input_naming_the_field_on_both_surfaces() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    let send = send_message_query("ID");
    let c2c = |payload: Value| json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": payload } });
    let cases = [
        (send.as_str(), c2c(json!({ "text": { "text": NUL } })), "payload.text"),
        (send.as_str(), c2c(json!({ "custom": { "data": NUL } })), "payload.data"),
        (send.as_str(), c2c(json!({ "face": { "index": 1, "data": NUL } })), "payload.data"),
        (send.as_str(), c2c(json!({ "location": { "description": NUL, "longitude": 1.0, "latitude": 1.0 } })), "payload.description"),
        (send.as_str(), json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "hi" } }, "cloudCustomData": NUL } }), "cloudCustomData"),
        ("mutation($n: String!) { updateMyProfile(input: { nick: $n }) { nick } }", json!({ "n": NUL }), "nick"),
        ("mutation($n: String!) { updateMyProfile(input: { profileCustomField: [{ key: \"k\", value: $n }] }) { nick } }", json!({ "n": NUL }), "profileCustomField"),
        ("mutation($n: String!) { createGroup(input: { name: $n, type: Public }) { groupID } }", json!({ "n": NUL }), "name"),
        ("mutation($n: String!) { createGroup(input: { name: \"g\", type: Public, introduction: $n }) { groupID } }", json!({ "n": NUL }), "introduction"),
        ("query($n: String!) { getMessageList(conversationID: $n) { isCompleted } }", json!({ "n": format!("C2C{NUL}") }), ""),
        ("mutation($n: ID!) { sendMessage(messageID: $n) { ID } }", json!({ "n": NUL }), ""),
        ("mutation($n: ID!) { revokeMessage(messageID: $n) { ID } }", json!({ "n": NUL }), ""),
        ("query($n: String!) { getGroupProfile(groupID: $n) { groupID } }", json!({ "n": NUL }), ""),
    ];
    for (query, variables, field) in cases {
        let body = app.gql(Some(alice), query, variables.clone()).await;
        let (code, message) = error_of(&body);
        assert_ne!(code, "INTERNAL", "{query} {variables}");
        if field.is_empty() {
            assert!(
                ["BAD_USER_INPUT", "NOT_FOUND", "GROUP_NOT_FOUND"].contains(&code.as_str()),
                "{query}: {body}"
            );
        } else {
            assert_eq!(code, "BAD_USER_INPUT", "{query}: {body}");
            assert!(message.starts_with(field), "{field} is named: {message}");
        }
    }
    let compat_cases = [
        (
            "/message/sendMessage",
            json!({ "to": "bob", "conversationType": "C2C", "priority": "Normal", "payload": { "text": NUL } }),
        ),
        (
            "/message/createMessage",
            json!({ "to": "bob", "conversationType": "C2C", "priority": "Normal", "payload": { "data": NUL } }),
        ),
        ("/user/updateMyProfile", json!({ "nick": NUL })),
        (
            "/group/createGroup",
            json!({ "name": NUL, "type": "Public" }),
        ),
        (
            "/message/getMessageList",
            json!({ "conversationID": format!("C2C{NUL}") }),
        ),
        ("/message/sendMessage", json!({ "messageID": NUL })),
        ("/group/getGroupProfile", json!({ "groupID": NUL })),
    ];
    for (path, body) in compat_cases {
        let (status, envelope) = app.compat(Some(alice), path, body).await;
        assert!((400..500).contains(&status), "{path}: {status} {envelope}");
    }
    assert_eq!(
        history(&app, alice, "C2Cbob", 10, None).await["messageList"],
        json!([]),
        "nothing stored"
    );
}

#[tokio::test]
async fn lone_surrogates_are_refused_and_bidi_controls_round_trip() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    for raw in [
        r#"{"query":"mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }","variables":{"m":{"to":"bob","conversationType":"C2C","payload":{"text":{"text":"x\ud800y"}}}}}"#,
        r#"{"query":"mutation { sendMessage(message: { to: \"bob\", conversationType: C2C, payload: { text: { text: \"x\\ud800y\" } } }) { ID } }"}"#,
    ] {
        let response = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(alice)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("send");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status < 500, "{status} {body}");
        assert_ne!(error_of(&body).0, "INTERNAL", "{body}");
        assert!(
            body.get("errors").is_some(),
            "a lone surrogate is refused: {body}"
        );
    }
    let response = app
        .http
        .post(app.url("/message/sendMessage"))
        .header("token", alice)
        .header("content-type", "application/json")
        .body(r#"{"to":"bob","conversationType":"C2C","priority":"Normal","payload":{"text":"x\ud800y"}}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status().as_u16(), 400);
    let bidi = "\u{202e}evil\u{202c} \u{2066}x\u{2069} \u{200f}";
    let sent = app
        .gql_ok(
            Some(alice),
            &send_message_query("payload { ... on TextElem { text } }"),
            json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": bidi } } } }),
        )
        .await;
    assert_eq!(sent["sendMessage"]["payload"]["text"], bidi);
    let stored = compat_ok(
        &app,
        alice,
        "/message/getMessageList",
        json!({ "conversationID": "C2Cbob" }),
    )
    .await;
    assert_eq!(stored[0]["message"]["payload"]["text"], bidi, "{stored}");
}
