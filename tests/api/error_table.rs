//! SPEC section 10 as data: each error code, provoked for real on both
//! surfaces, answers its `extensions.code` on GraphQL and its TIM code and
//! HTTP status in the compat envelope.

use serde_json::{json, Value};

use crate::helpers::{send_text, spawn_app_with, TestApp};

/// One row of the table: the same mistake on both surfaces.
struct Row {
    code: &'static str,
    tim: i64,
    http: u16,
    /// Who makes the mistake (an index into the users), or nobody.
    who: Option<usize>,
    query: &'static str,
    variables: Value,
    path: &'static str,
    body: Value,
}

/// alice, bob (who blacklisted alice), carol; alice owns the Work group `w`
/// (TIM's `Private`)
/// with bob in it and the Public group `full` (room for one); bob is muted in
/// the Public group `hush`.
async fn world(app: &TestApp) -> Vec<String> {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let create = "mutation($i: CreateGroupInput!) { createGroup(input: $i) { groupID } }";
    for input in [
        json!({ "groupID": "w", "name": "work", "type": "Private", "memberList": [{ "userID": "bob" }] }),
        json!({ "groupID": "full", "name": "full", "type": "Public", "joinOption": "FreeAccess", "maxMemberNum": 1 }),
        json!({ "groupID": "hush", "name": "hush", "type": "Public", "memberList": [{ "userID": "bob" }] }),
    ] {
        app.gql_ok(Some(&alice), create, json!({ "i": input }))
            .await;
    }
    app.gql_ok(
        Some(&alice),
        "mutation { setGroupMemberMuteTime(groupID: \"hush\", userID: \"bob\", muteTime: 3600) { userID } }",
        json!({}),
    )
    .await;
    // Last: a blacklisting member would have been left out of the groups.
    app.gql_ok(
        Some(&bob),
        "mutation { addToBlacklist(userIDList: [\"alice\"]) }",
        json!({}),
    )
    .await;
    vec![alice, bob, carol]
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            code: "BAD_USER_INPUT",
            tim: 400,
            http: 400,
            who: Some(0),
            query: "{ getMessageList(conversationID: \"C2Cbob\", count: 0) { isCompleted } }",
            variables: json!({}),
            path: "/message/getMessageList",
            body: json!({ "conversationID": "C2Cbob", "count": 0 }),
        },
        Row {
            code: "UNAUTHENTICATED",
            tim: 70001,
            http: 401,
            who: None,
            query: "{ getMyProfile { userID } }",
            variables: json!({}),
            path: "/user/getMyProfile",
            body: json!({}),
        },
        Row {
            code: "FORBIDDEN",
            tim: 10007,
            http: 403,
            who: Some(1),
            query: "mutation { dismissGroup(groupID: \"w\") }",
            variables: json!({}),
            path: "/group/dismissGroup",
            body: json!({ "groupID": "w" }),
        },
        Row {
            code: "BLOCKED",
            tim: 20007,
            http: 403,
            who: Some(0),
            query: "mutation { sendMessage(message: { to: \"bob\", conversationType: C2C, payload: { text: { text: \"hi\" } } }) { ID } }",
            variables: json!({}),
            path: "/message/sendMessage",
            body: json!({ "message": { "to": "bob", "conversationType": "C2C", "payload": { "text": "hi" } } }),
        },
        Row {
            code: "MUTED",
            tim: 10017,
            http: 403,
            who: Some(1),
            query: "mutation { sendMessage(message: { to: \"hush\", conversationType: GROUP, payload: { text: { text: \"hi\" } } }) { ID } }",
            variables: json!({}),
            path: "/message/sendMessage",
            body: json!({ "message": { "to": "hush", "conversationType": "GROUP", "payload": { "text": "hi" } } }),
        },
        Row {
            code: "NOT_FOUND",
            tim: 404,
            http: 404,
            who: Some(0),
            query: "mutation { revokeMessage(messageID: \"nope\") { ID } }",
            variables: json!({}),
            path: "/message/revokeMessage",
            body: json!({ "ID": "nope" }),
        },
        Row {
            code: "GROUP_NOT_FOUND",
            tim: 10010,
            http: 404,
            who: Some(0),
            query: "{ getGroupProfile(groupID: \"nope\") { groupID } }",
            variables: json!({}),
            path: "/group/getGroupProfile",
            body: json!({ "groupID": "nope" }),
        },
        Row {
            code: "NOT_GROUP_MEMBER",
            tim: 10007,
            http: 403,
            who: Some(2),
            query: "mutation { quitGroup(groupID: \"w\") }",
            variables: json!({}),
            path: "/group/quitGroup",
            body: json!({ "groupID": "w" }),
        },
        Row {
            code: "CONFLICT",
            tim: 409,
            http: 409,
            who: None,
            query: "mutation { register(email: \"x@example.com\", username: \"alice\", password: \"correct horse\") { token } }",
            variables: json!({}),
            path: "/register",
            body: json!({ "email": "x@example.com", "username": "alice", "password": "correct horse" }),
        },
        Row {
            code: "GROUP_ID_TAKEN",
            tim: 10021,
            http: 409,
            who: Some(2),
            query: "mutation { createGroup(input: { groupID: \"w\", name: \"again\" }) { groupID } }",
            variables: json!({}),
            path: "/group/createGroup",
            body: json!({ "groupID": "w", "name": "again" }),
        },
        Row {
            code: "GROUP_FULL",
            tim: 10014,
            http: 409,
            who: Some(2),
            query: "mutation { joinGroup(groupID: \"full\") { status } }",
            variables: json!({}),
            path: "/group/joinGroup",
            body: json!({ "groupID": "full" }),
        },
        Row {
            code: "OWNER_CANNOT_QUIT",
            tim: 10009,
            http: 409,
            who: Some(0),
            query: "mutation { quitGroup(groupID: \"hush\") }",
            variables: json!({}),
            path: "/group/quitGroup",
            body: json!({ "groupID": "hush" }),
        },
    ]
}

#[tokio::test]
async fn every_error_code_answers_its_table_row_on_both_surfaces() {
    let app = spawn_app_with(|_| {}).await;
    let users = world(&app).await;
    for row in rows() {
        let token = row.who.map(|i| users[i].as_str());
        let answer = app.gql(token, row.query, row.variables.clone()).await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], row.code,
            "GraphQL {}: {answer}",
            row.code
        );
        let (status, body) = app.compat(token, row.path, row.body.clone()).await;
        assert_eq!(
            (status, body["code"].as_i64()),
            (row.http, Some(row.tim)),
            "compat {} {}: {body}",
            row.code,
            row.path
        );
        assert!(
            body["msg"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn revoke_time_limits_have_a_c2c_and_a_group_code() {
    let app = spawn_app_with(|c| c.revoke_limit = 0).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.gql_ok(
        Some(&alice),
        "mutation { createGroup(input: { groupID: \"g\", name: \"g\", type: \"Public\", memberList: [{ userID: \"bob\" }] }) { groupID } }",
        json!({}),
    )
    .await;
    let c2c = send_text(&app, &alice, "bob", "c2c").await;
    let group = app
        .gql_ok(
            Some(&alice),
            "mutation { sendMessage(message: { to: \"g\", conversationType: GROUP, payload: { text: { text: \"group\" } } }) { ID } }",
            json!({}),
        )
        .await["sendMessage"]["ID"]
        .clone();
    // The limit is 0 seconds: wait for the clock to move past the send.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The owner moderates the group, so a member's own revoke is the one held to the limit.
    let bobs = app
        .gql_ok(
            Some(&bob),
            "mutation { sendMessage(message: { to: \"g\", conversationType: GROUP, payload: { text: { text: \"mine\" } } }) { ID } }",
            json!({}),
        )
        .await["sendMessage"]["ID"]
        .clone();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let revoke = "mutation($id: ID!) { revokeMessage(messageID: $id) { isRevoked } }";
    for (token, id, tim) in [(&alice, &c2c["ID"], 20016), (&bob, &bobs, 10031)] {
        let answer = app.gql(Some(token), revoke, json!({ "id": id })).await;
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "REVOKE_TIME_LIMIT",
            "{answer}"
        );
        let (status, body) = app
            .compat(Some(token), "/message/revokeMessage", json!({ "ID": id }))
            .await;
        assert_eq!((status, body["code"].as_i64()), (409, Some(tim)), "{body}");
    }
    // The owner and admins are not held to the limit, however late.
    let answer = app.gql(Some(&alice), revoke, json!({ "id": group })).await;
    assert_eq!(
        answer["data"]["revokeMessage"]["isRevoked"], true,
        "{answer}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_payload_too_large_on_both_surfaces() {
    let app = spawn_app_with(|c| c.max_body_bytes = 2048).await;
    let alice = app.register("alice").await;
    let big = "x".repeat(4096);
    let (status, body) = app
        .compat(
            Some(&alice),
            "/user/updateMyProfile",
            json!({ "selfSignature": big }),
        )
        .await;
    assert_eq!((status, body["code"].as_i64()), (413, Some(413)), "{body}");
    let response = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&alice)
        .json(&json!({ "query": format!("mutation {{ updateMyProfile(input: {{ selfSignature: \"{big}\" }}) {{ userID }} }}") }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 413);
}
