//! `Message.readReceiptInfo` and `getGroupMessageReadMemberList`.

use serde_json::{json, Value};

use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{compat_err, compat_ok, err, ok, seed_users, send_text, spawn_app},
};

const LIST: &str = "query($m: ID!, $f: ReadMemberFilter, $c: String, $n: Int) { getGroupMessageReadMemberList(messageID: $m, filter: $f, cursor: $c, count: $n) { memberList { userID role } cursor isCompleted } }";
const INFO: &str = "query($c: String!) { getMessageList(conversationID: $c) { messageList { ID readReceiptInfo { readCount unreadCount } } } }";

/// Every member of a filter, page by page.
async fn all_members(
    app: &crate::helpers::TestApp,
    token: &str,
    id: &Value,
    filter: &str,
) -> Vec<String> {
    let mut members = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = ok(
            app,
            token,
            LIST,
            json!({ "m": id, "f": filter, "c": cursor, "n": 2 }),
        )
        .await;
        let page = &page["getGroupMessageReadMemberList"];
        for member in page["memberList"].as_array().cloned().unwrap_or_default() {
            members.push(member["userID"].as_str().unwrap_or_default().to_owned());
        }
        if page["isCompleted"] == true {
            return members;
        }
        cursor = page["cursor"].as_str().map(str::to_owned);
    }
}

async fn receipt(
    app: &crate::helpers::TestApp,
    token: &str,
    conversation: &str,
    id: &Value,
) -> Value {
    let answer = ok(app, token, INFO, json!({ "c": conversation })).await;
    super::message_in_list(&answer, id)["readReceiptInfo"].clone()
}

#[tokio::test]
async fn read_receipts_count_and_list_the_members_who_read_a_group_message() {
    let app = spawn_app().await;
    let names: Vec<String> = (0..8).map(|n| format!("m{n}")).collect();
    let mut all = vec!["olive"];
    all.extend(names.iter().map(String::as_str));
    all.push("nemo");
    let t = seed_users(&app, &all).await;
    let owner = &t[0];
    let members: Vec<Value> = names.iter().map(|n| json!({ "userID": n })).collect();
    create_group(
        &app,
        owner,
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": members }),
    )
    .await;
    let id = send_group_text(&app, owner, "g", "meeting moved").await["ID"].clone();
    assert_eq!(
        receipt(&app, owner, "GROUPg", &id).await,
        json!({ "readCount": 0, "unreadCount": 8 })
    );
    // Three read; a reply by a fourth moves her read position too.
    for token in &t[1..4] {
        compat_ok(
            &app,
            token,
            "/message/setMessageRead",
            json!({ "conversationID": "GROUPg" }),
        )
        .await;
    }
    send_group_text(&app, &t[4], "g", "noted").await;
    assert_eq!(
        receipt(&app, &t[2], "GROUPg", &id).await,
        json!({ "readCount": 4, "unreadCount": 4 })
    );
    assert_eq!(
        all_members(&app, owner, &id, "READ").await,
        ["m0", "m1", "m2", "m3"]
    );
    assert_eq!(
        all_members(&app, &t[5], &id, "UNREAD").await,
        ["m4", "m5", "m6", "m7"]
    );
    // The sender is never counted (m3's own message).
    let noted = send_group_text(&app, &t[4], "g", "me too").await["ID"].clone();
    assert_eq!(
        receipt(&app, owner, "GROUPg", &noted).await,
        json!({ "readCount": 0, "unreadCount": 8 })
    );
    // Default filter READ over compat.
    let data = compat_ok(
        &app,
        owner,
        "/message/getGroupMessageReadMemberList",
        json!({ "messageID": id, "count": 3 }),
    )
    .await;
    assert_eq!(data["memberList"].as_array().map(Vec::len), Some(3));
    assert_eq!(data["cursor"], "m2");
    assert_eq!(data["isCompleted"], false);
    // Only who can see it; count 1 to 100.
    assert_eq!(
        err(&app, &t[9], LIST, json!({ "m": id })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        err(&app, owner, LIST, json!({ "m": id, "n": 101 })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        compat_err(
            &app,
            &t[9],
            "/message/getGroupMessageReadMemberList",
            json!({ "messageID": id })
        )
        .await,
        (404, 404)
    );
}

#[tokio::test]
async fn chat_rooms_and_c2c_messages_have_no_read_receipts() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    create_group(&app, &t[0], json!({ "name": "c", "groupID": "c", "type": "ChatRoom", "memberList": [{ "userID": "mia" }] })).await;
    let id = send_group_text(&app, &t[0], "c", "hello room").await["ID"].clone();
    assert!(receipt(&app, &t[1], "GROUPc", &id).await.is_null());
    assert_eq!(
        err(&app, &t[0], LIST, json!({ "m": id })).await,
        "BAD_USER_INPUT"
    );
    let direct = send_text(&app, &t[0], "mia", "hi").await["ID"].clone();
    assert!(receipt(&app, &t[1], "C2Colive", &direct).await.is_null());
}
