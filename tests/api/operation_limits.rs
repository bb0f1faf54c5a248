//! What one operation may set off: root fields and `login`/`register`,
//! refused before anything runs, over HTTP and WebSocket alike.

use serde_json::{json, Value};

use crate::helpers::{seed_users, spawn_app, TestApp, WsClient};

/// `n` aliased `getMyProfile` root fields.
fn profile_fields(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!("p{i}: getMyProfile {{ userID }} "))
        .collect();
    format!("query {{ {fields}}}")
}

/// POST `query` as `token`; returns (HTTP status, body).
async fn post(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = app
        .http
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": query }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn assert_refused(status: u16, body: &Value) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    assert!(body["data"].is_null(), "nothing ran: {body}");
}

#[tokio::test]
async fn one_login_or_register_per_operation() {
    let app = spawn_app().await;
    app.register("alice").await;
    let login = "login(username: \"alice\", password: \"password123\") { token }";
    let (status, body) = post(&app, None, &format!("mutation {{ a: {login} b: {login} }}")).await;
    assert_refused(status, &body);
    // Two registrations in one operation: refused, and neither account exists.
    let register = |name: &str| {
        format!("{name}: register(email: \"{name}@example.com\", username: \"{name}\", password: \"password123\") {{ token }}")
    };
    let both = format!("mutation {{ {} {} }}", register("bob"), register("carol"));
    let (status, body) = post(&app, None, &both).await;
    assert_refused(status, &body);
    let (status, body) = post(
        &app,
        None,
        &format!("mutation {{ {login} {} }}", register("dave")),
    )
    .await;
    assert_refused(status, &body);
    let taken = "query { getUserProfile(userIDList: [\"bob\", \"carol\", \"dave\"]) { userID } }";
    let tokens = seed_users(&app, &["erin"]).await;
    let data = app.gql_ok(Some(&tokens[0]), taken, json!({})).await;
    assert_eq!(data["getUserProfile"], json!([]), "nothing was registered");
    // One login alone still works.
    let (status, body) = post(&app, None, &format!("mutation {{ {login} }}")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[tokio::test]
async fn root_fields_per_operation_are_capped_at_twenty() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice"]).await;
    let token = Some(tokens[0].as_str());
    let (status, body) = post(&app, token, &profile_fields(21)).await;
    assert_refused(status, &body);
    let (status, body) = post(&app, token, &profile_fields(20)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["p19"]["userID"], "alice", "{body}");
    // Fields brought in by a fragment count too.
    let fragment = format!(
        "query {{ ...F p20: getMyProfile {{ userID }} }} fragment F on Query {{ {} }}",
        (0..20)
            .map(|i| format!("p{i}: getMyProfile {{ userID }} "))
            .collect::<String>()
    );
    let (status, body) = post(&app, token, &fragment).await;
    assert_refused(status, &body);
}

#[tokio::test]
async fn the_same_limits_hold_on_a_websocket() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["alice"]).await;
    let mut ws = WsClient::with_token(&app, &tokens[0]).await;
    ws.subscribe("over", &profile_fields(21), json!({})).await;
    let refused = ws.next_json().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["id"], "over");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{refused}"
    );
    let login = "login(username: \"alice\", password: \"x\") { token }";
    ws.subscribe(
        "logins",
        &format!("mutation {{ a: {login} b: {login} }}"),
        json!({}),
    )
    .await;
    let refused = ws.next_json().await;
    assert_eq!(
        (refused["type"].clone(), refused["id"].clone()),
        (json!("error"), json!("logins")),
        "{refused}"
    );
    ws.subscribe("ok", &profile_fields(20), json!({})).await;
    let data = ws.next_data("ok").await;
    assert_eq!(data["p0"]["userID"], "alice");
}
