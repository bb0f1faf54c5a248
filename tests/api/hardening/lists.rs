//! List inputs: a raw list far over its limit is refused before any work,
//! duplicates are dropped in one pass, and limits count distinct IDs.

use serde_json::{json, Value};

use crate::helpers::{compat_ok, seed_users, spawn_app_with, TestApp};

/// 120,000 distinct userIDs (hex, so the list fits in about 1 MiB): far
/// over every list limit.
fn huge_list() -> Vec<String> {
    (0..120_000).map(|i| format!("{i:x}")).collect()
}

/// The GraphQL error code of a call, or "" when it succeeded.
async fn code(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("send");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{query}: {status} {text:.300}"));
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_hundred_and_twenty_thousand_ids_are_refused_as_bad_input_on_both_surfaces() {
    let app = spawn_app_with(|c| c.max_body_bytes = 4 * 1024 * 1024).await;
    let tokens = seed_users(&app, &["alice", "bob"]).await;
    let alice = &tokens[0];
    let ids = huge_list();
    let group = app
        .gql_ok(
            Some(alice),
            "mutation { createGroup(input: { name: \"g\", type: Public }) { groupID } }",
            json!({}),
        )
        .await["createGroup"]["groupID"]
        .clone();
    // 100,000 members (axum buffers at most 2 MB of JSON).
    let members: Vec<Value> = ids[..100_000]
        .iter()
        .map(|id| json!({ "userID": id }))
        .collect();
    let gql_cases = [
        ("query($l: [String!]!) { getUserProfile(userIDList: $l) { userID } }", json!({ "l": ids })),
        ("mutation($l: [String!]!) { addToBlacklist(userIDList: $l) }", json!({ "l": ids })),
        ("mutation($l: [String!]!) { removeFromBlacklist(userIDList: $l) }", json!({ "l": ids })),
        ("query($l: [String!]!) { getConversationList(conversationIDList: $l) { conversationID } }", json!({ "l": ids })),
        ("mutation($m: [GroupMemberInput!]) { createGroup(input: { name: \"h\", type: Public, memberList: $m }) { groupID } }", json!({ "m": members })),
        ("mutation($g: String!, $l: [String!]!) { addGroupMember(groupID: $g, userIDList: $l) { successUserIDList } }", json!({ "g": group, "l": ids })),
        ("mutation($g: String!, $l: [String!]!) { deleteGroupMember(groupID: $g, userIDList: $l) { userIDList } }", json!({ "g": group, "l": ids })),
        ("query($g: String!, $l: [String!]!) { getGroupMemberProfile(groupID: $g, userIDList: $l) { userID } }", json!({ "g": group, "l": ids })),
        ("mutation($g: String!, $l: [String!]!) { sendMessage(message: { to: $g, conversationType: GROUP, payload: { text: { text: \"hi\" } }, atUserList: $l }) { ID } }", json!({ "g": group, "l": ids })),
        ("mutation($l: [String!]!) { sendMessage(message: { to: \"bob\", conversationType: C2C, payload: { merger: { messageIDList: $l, title: \"t\", compatibleText: \"c\" } } }) { ID } }", json!({ "l": ids })),
    ];
    for (query, variables) in gql_cases {
        assert_eq!(
            code(&app, alice, query, variables).await,
            "BAD_USER_INPUT",
            "{query}"
        );
    }
    let compat_cases = [
        ("/user/getUserProfile", json!({ "userIDList": ids })),
        ("/user/addToBlacklist", json!({ "userIDList": ids })),
        (
            "/conversation/getConversationList",
            json!({ "conversationIDList": ids }),
        ),
        (
            "/group/addGroupMember",
            json!({ "groupID": group, "userIDList": ids }),
        ),
        (
            "/group/createGroup",
            json!({ "name": "h", "type": "Public", "memberList": members }),
        ),
        (
            "/message/sendMessage",
            json!({ "to": group, "conversationType": "GROUP", "priority": "Normal", "payload": { "text": "hi" }, "atUserList": ids }),
        ),
        (
            "/message/sendMessage",
            json!({ "to": "bob", "conversationType": "C2C", "priority": "Normal", "payload": { "messageIDList": ids, "title": "t", "compatibleText": "c" } }),
        ),
    ];
    for (path, body) in compat_cases {
        let (status, envelope) = app.compat(Some(alice), path, body).await;
        assert_eq!(status, 400, "{path}: {envelope:.300}");
    }
}

#[tokio::test]
async fn lists_over_their_limit_only_by_duplicates_are_accepted() {
    let app = spawn_app_with(|_| {}).await;
    let tokens = seed_users(&app, &["alice", "bob", "carol"]).await;
    let alice = &tokens[0];
    // getUserProfile takes 100 IDs: 300 entries naming two users.
    let dup: Vec<&str> = ["bob", "carol"].iter().copied().cycle().take(300).collect();
    let data = app
        .gql_ok(
            Some(alice),
            "query($l: [String!]!) { getUserProfile(userIDList: $l) { userID } }",
            json!({ "l": dup }),
        )
        .await;
    assert_eq!(
        data["getUserProfile"],
        json!([{ "userID": "bob" }, { "userID": "carol" }])
    );
    let profiles = compat_ok(
        &app,
        alice,
        "/user/getUserProfile",
        json!({ "userIDList": dup }),
    )
    .await;
    assert_eq!(profiles.as_array().map(Vec::len), Some(2), "{profiles}");
    // A group created with 600 entries naming two members (the limit is 500).
    let members: Vec<Value> = dup
        .iter()
        .cycle()
        .take(600)
        .map(|id| json!({ "userID": id }))
        .collect();
    let group = app
        .gql_ok(
            Some(alice),
            "mutation($m: [GroupMemberInput!]) { createGroup(input: { name: \"g\", type: Public, memberList: $m }) { groupID memberCount } }",
            json!({ "m": members }),
        )
        .await["createGroup"]
        .clone();
    assert_eq!(group["memberCount"], 3, "{group}");
    // Mentions: 30 allowed, 90 entries naming two members.
    let at: Vec<&str> = dup.iter().copied().take(90).collect();
    let sent = app
        .gql_ok(
            Some(alice),
            "mutation($g: String!, $l: [String!]!) { sendMessage(message: { to: $g, conversationType: GROUP, payload: { text: { text: \"hi\" } }, atUserList: $l }) { atUserList } }",
            json!({ "g": group["groupID"], "l": at }),
        )
        .await;
    assert_eq!(sent["sendMessage"]["atUserList"], json!(["bob", "carol"]));
    let blocked = compat_ok(
        &app,
        alice,
        "/user/addToBlacklist",
        json!({ "userIDList": vec!["bob"; 5000] }),
    )
    .await;
    assert_eq!(blocked, json!(["bob"]), "{blocked}");
}
