//! What GraphQL tools expect of any server: the full graphql-js introspection
//! query, argument defaults for omitted variables, conventional root names,
//! and no `INTERNAL` for a client's mistake.

use serde_json::{json, Value};

use crate::helpers::{send_text, spawn_app, TestApp};

const INTROSPECTION: &str = include_str!("../fixtures/graphql-js-introspection.graphql");

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_full_graphql_js_introspection_query_succeeds() {
    let app = spawn_app().await;
    let (status, body) = post(
        &app,
        None,
        json!({ "query": INTROSPECTION, "operationName": "IntrospectionQuery" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    let query = schema["types"]
        .as_array()
        .expect("types")
        .iter()
        .find(|t| t["name"] == "Query")
        .expect("the Query type");
    let fields: Vec<&str> = query["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert!(fields.contains(&"getMessageList"), "{fields:?}");
    assert!(
        query["fields"][0]["description"].is_string(),
        "documented fields"
    );
}

fn nested_query(levels: usize) -> String {
    let mut selection = String::from("name");
    for _ in 2..levels {
        selection = format!("ofType {{ {selection} }}");
    }
    format!("{{ __schema {{ queryType {{ {selection} }} }} }}")
}

#[tokio::test]
async fn deep_queries_are_still_refused() {
    let app = spawn_app().await;
    // Past the depth limit, and far past it (where the parser's own
    // recursion limit refuses it before validation).
    for (levels, code) in [
        (20, "GRAPHQL_VALIDATION_FAILED"),
        (50, "GRAPHQL_PARSE_FAILED"),
    ] {
        let (status, body) = post(&app, None, json!({ "query": nested_query(levels) })).await;
        assert_eq!(status, 400, "{levels}: {body}");
        assert_eq!(codes(&body), [code], "{levels}: {body}");
    }
    let (status, body) = post(&app, None, json!({ "query": nested_query(14) })).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn an_omitted_variable_takes_the_arguments_default() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for i in 0..17 {
        send_text(&app, &bob, "alice", &format!("m{i}")).await;
    }
    let query = "query($n: Int) { getMessageList(conversationID: \"C2Cbob\", count: $n) { messageList { ID } isCompleted } }";
    for variables in [json!({}), json!({ "n": null })] {
        let (status, body) = post(
            &app,
            Some(&alice),
            json!({ "query": query, "variables": variables }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        let page = &body["data"]["getMessageList"];
        assert_eq!(page["messageList"].as_array().map(Vec::len), Some(15));
        assert_eq!(page["isCompleted"], false);
    }
    let (_, body) = post(
        &app,
        Some(&alice),
        json!({ "query": query, "variables": { "n": 2 } }),
    )
    .await;
    assert_eq!(
        body["data"]["getMessageList"]["messageList"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn explicit_null_on_a_defaulted_argument_means_the_default() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for i in 0..16 {
        send_text(&app, &bob, "alice", &format!("m{i}")).await;
    }
    let (_, body) = post(
        &app,
        Some(&alice),
        json!({ "query": "{ getMessageList(conversationID: \"C2Cbob\", count: null) { messageList { ID } } getGroupList { groupID } }" }),
    )
    .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(
        body["data"]["getMessageList"]["messageList"]
            .as_array()
            .map(Vec::len),
        Some(15)
    );
}

#[tokio::test]
async fn a_valid_request_without_a_token_is_unauthenticated_not_internal() {
    let app = spawn_app().await;
    let query =
        "query($n: Int) { getMessageList(conversationID: \"C2Cbob\", count: $n) { isCompleted } }";
    let (status, body) = post(&app, None, json!({ "query": query })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{body}");
}

#[tokio::test]
async fn wrongly_typed_variables_are_validation_failures_not_internal() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let query =
        "query($n: Int) { getMessageList(conversationID: \"C2Cbob\", count: $n) { isCompleted } }";
    for variables in [
        json!({ "n": "ten" }),
        json!({ "n": 1.5 }),
        json!({ "n": [1] }),
        json!({ "n": { "a": 1 } }),
    ] {
        let (_, body) = post(
            &app,
            Some(&alice),
            json!({ "query": query, "variables": variables }),
        )
        .await;
        let codes = codes(&body);
        assert!(
            !codes.is_empty() && codes.iter().all(|c| c == "GRAPHQL_VALIDATION_FAILED"),
            "{variables}: {body}"
        );
    }
}

#[tokio::test]
async fn requests_that_cannot_run_follow_the_accepted_media_type() {
    let app = spawn_app().await;
    for query in ["{", "{ noSuchField }"] {
        let response = app
            .http
            .post(app.url("/graphql"))
            .header("accept", "application/json")
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{query}: legacy JSON answers 200");
        let body: Value = response.json().await.expect("json");
        assert!(!codes(&body).is_empty(), "{body}");
        let (status, body) = post(&app, None, json!({ "query": query })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.get("data").is_none(), "no data entry: {body}");
        assert!(!codes(&body).is_empty(), "{body}");
    }
}

#[tokio::test]
async fn sending_marks_the_conversation_read_and_tells_the_peer() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    send_text(&app, &bob, "alice", "hello alice").await;
    let mut bob_ws = crate::helpers::WsClient::with_token(&app, &bob).await;
    bob_ws
        .subscribe(
            "read",
            "subscription { messageReadByPeer { conversationID sequence } }",
            json!({}),
        )
        .await;
    app.until_feeds(&bob, 1).await;
    let reply = send_text(&app, &alice, "bob", "hi bob").await;
    let receipt = bob_ws.next_data("read").await["messageReadByPeer"].clone();
    assert_eq!(
        receipt,
        json!({ "conversationID": "C2Calice", "sequence": reply["sequence"] })
    );
    let (_, body) = post(
        &app,
        Some(&bob),
        json!({ "query": "{ getMessageList(conversationID: \"C2Calice\") { messageList { from isPeerRead } } }" }),
    )
    .await;
    let list = body["data"]["getMessageList"]["messageList"].clone();
    assert_eq!(
        list[0],
        json!({ "from": "bob", "isPeerRead": true }),
        "{body}"
    );
}
