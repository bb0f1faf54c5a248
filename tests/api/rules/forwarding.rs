//! Group tips and system notices cannot be forwarded (nor merged), on either
//! surface; an ordinary message of the same conversation can.

use serde_json::{json, Value};

use crate::groups::support::{create_group, history, send_group_text};
use crate::helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, TestApp};

const SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID type } }";
const CREATE: &str = "mutation($m: CreateMessageInput!) { createMessage(input: $m) { ID } }";

/// Every way to copy message `id` into a new message to `to`: a GraphQL
/// forward (sent, and only created), a GraphQL merged record, and the compat
/// forwards (by message object and by ID) and merged record. Each must be
/// refused as `BAD_USER_INPUT` / 400.
async fn assert_not_copyable(app: &TestApp, token: &str, to: &str, id: &Value, what: &str) {
    let forward = json!({ "to": to, "conversationType": "C2C", "payload": { "forward": { "messageID": id } } });
    let merger = json!({ "to": to, "conversationType": "C2C", "payload": { "merger": { "messageIDList": [id], "title": "t", "compatibleText": "c" } } });
    for (query, input, how) in [
        (SEND, &forward, "sendMessage forward"),
        (CREATE, &forward, "createMessage forward"),
        (SEND, &merger, "sendMessage merger"),
    ] {
        assert_eq!(
            err(app, token, query, json!({ "m": input })).await,
            "BAD_USER_INPUT",
            "{what}: {how}"
        );
    }
    for payload in [
        json!({ "message": { "ID": id } }),
        json!({ "message": id }),
        json!({ "messageList": [id], "title": "t", "compatibleText": "c" }),
    ] {
        let body =
            json!({ "message": { "to": to, "conversationType": "C2C", "payload": payload } });
        assert_eq!(
            compat_err(app, token, "/message/sendMessage", body).await,
            (400, 400),
            "{what}: compat {payload}"
        );
    }
    let body =
        json!({ "to": to, "conversationType": "C2C", "payload": { "message": { "ID": id } } });
    assert_eq!(
        compat_err(app, token, "/message/createMessage", body).await,
        (400, 400),
        "{what}: compat createMessage"
    );
}

async fn setup(app: &TestApp) -> Vec<String> {
    let t = seed_users(app, &["olive", "mia", "bob"]).await;
    create_group(
        app,
        &t[0],
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] }),
    )
    .await;
    t
}

#[tokio::test]
async fn a_group_tip_cannot_be_forwarded_on_either_surface() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mia = &t[1];
    let text = send_group_text(&app, mia, "g", "worth sharing").await;
    let tip = history(&app, mia, "GROUPg")
        .await
        .into_iter()
        .find(|m| m["type"] == "TIMGroupTipElem")
        .expect("a tip in the group");
    assert_not_copyable(&app, mia, "bob", &tip["ID"], "tip").await;
    // Nothing was stored for either side.
    assert!(history(&app, mia, "C2Cbob").await.is_empty());
    assert!(history(&app, &t[2], "C2Cmia").await.is_empty());
    // The group's ordinary message can be forwarded, on both surfaces.
    let forwarded = ok(
        &app,
        mia,
        SEND,
        json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "forward": { "messageID": text["ID"] } } } }),
    )
    .await;
    assert_eq!(forwarded["sendMessage"]["type"], "TIMTextElem");
    let data = compat_ok(
        &app,
        mia,
        "/message/sendMessage",
        json!({ "message": { "to": "bob", "conversationType": "C2C", "payload": { "message": text["ID"] } } }),
    )
    .await;
    assert_eq!(data["message"]["payload"]["text"], "worth sharing");
}

#[tokio::test]
async fn a_system_notice_cannot_be_forwarded_on_either_surface() {
    let app = spawn_app().await;
    let t = setup(&app).await;
    let mia = &t[1];
    let notice = history(&app, mia, "@TIM#SYSTEM")
        .await
        .into_iter()
        .find(|m| m["type"] == "TIMGroupSystemNoticeElem")
        .expect("mia was told she was added");
    assert_not_copyable(&app, mia, "bob", &notice["ID"], "notice").await;
    assert!(history(&app, mia, "C2Cbob").await.is_empty());
    assert!(history(&app, &t[2], "C2Cmia").await.is_empty());
}
