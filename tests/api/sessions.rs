//! Rate limits and sessions: failed logins per account, the optional send
//! rate and per-address login limit, and `logout` ending one session.

use serde_json::{json, Value};

use crate::helpers::{send_query, spawn_app, spawn_app_with, TestApp, WsClient};

const LOGIN: &str =
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
const MY: &str = "{ getMyProfile { userID } }";
const LOGOUT: &str = "mutation { logout }";

/// A GraphQL `login`; returns the whole response body.
async fn login(app: &TestApp, username: &str, password: &str) -> Value {
    app.gql(None, LOGIN, json!({ "u": username, "p": password }))
        .await
}

/// The code of the first error of `body`, if any.
fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// `extensions.retryAfterMs` of a `RATE_LIMITED` body, checked to be a
/// sensible wait of at most `max_ms`.
fn retry_after(body: &Value, max_ms: u64) -> u64 {
    assert_eq!(code(body), Some("RATE_LIMITED"), "{body}");
    let ms = body["errors"][0]["extensions"]["retryAfterMs"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retryAfterMs in {body}"));
    assert!(ms > 0 && ms <= max_ms, "retryAfterMs {ms}");
    ms
}

#[tokio::test]
async fn the_eleventh_failed_login_in_a_minute_is_rate_limited_even_with_the_right_password() {
    let app = spawn_app().await;
    app.register("alice").await;
    app.register("bob").await;
    for attempt in 1..=10 {
        let body = login(&app, "alice", "wrong-password").await;
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "attempt {attempt}");
    }
    retry_after(&login(&app, "alice", "wrong-password").await, 60_000);
    // The right password is refused too: otherwise the limit tells a guesser when they hit.
    retry_after(&login(&app, "alice", "password123").await, 60_000);
    let (status, body) = app
        .compat(
            None,
            "/login",
            json!({ "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (429, json!(429)), "{body}");
    let ms = body["data"]["retryAfterMs"].as_u64().unwrap_or(0);
    assert!(ms > 0 && ms <= 60_000, "{body}");
    // Other accounts are not affected.
    let body = login(&app, "bob", "password123").await;
    assert!(body["data"]["login"]["token"].is_string(), "{body}");
}

#[tokio::test]
async fn a_successful_login_forgets_the_failures_before_it() {
    let app = spawn_app_with(|config| config.login_failures_per_minute = 2).await;
    app.register("alice").await;
    assert_eq!(
        code(&login(&app, "alice", "wrong-password").await),
        Some("UNAUTHENTICATED")
    );
    assert!(login(&app, "alice", "password123").await["data"]["login"]["token"].is_string());
    for _ in 0..2 {
        assert_eq!(
            code(&login(&app, "alice", "wrong-password").await),
            Some("UNAUTHENTICATED")
        );
    }
    retry_after(&login(&app, "alice", "wrong-password").await, 60_000);
}

#[tokio::test]
async fn logout_ends_that_token_everywhere_and_closes_its_sockets_with_4403() {
    let app = spawn_app().await;
    let first = app.register("alice").await;
    let second = login(&app, "alice", "password123").await["data"]["login"]["token"]
        .as_str()
        .expect("second session")
        .to_string();
    let mut first_ws = WsClient::with_token(&app, &first).await;
    let mut second_ws = WsClient::with_token(&app, &second).await;
    first_ws.settle().await;
    second_ws.settle().await;

    assert_eq!(
        app.gql_ok(Some(&first), LOGOUT, json!({})).await["logout"],
        json!(true)
    );
    assert_eq!(
        app.gql_err(Some(&first), MY, json!({})).await,
        "UNAUTHENTICATED"
    );
    let (status, body) = app
        .compat(Some(&first), "/user/getMyProfile", json!({}))
        .await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    assert_eq!(first_ws.closed_with().await, 4403);
    // A new socket with the ended token is refused.
    let mut again = WsClient::connect_raw(&app, "graphql-transport-ws").await;
    again
        .send(json!({ "type": "connection_init", "payload": { "token": first } }))
        .await;
    assert_eq!(again.closed_with().await, 4403);

    // The other session of the same user keeps working, socket included.
    assert_eq!(
        app.gql_ok(Some(&second), MY, json!({})).await["getMyProfile"]["userID"],
        json!("alice")
    );
    second_ws.settle().await;

    // Compat `POST /logout` ends the second session the same way.
    let (status, body) = app.compat(Some(&second), "/logout", json!({})).await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({ "code": 0, "msg": "ok", "data": true }))
    );
    assert_eq!(second_ws.closed_with().await, 4403);
    assert_eq!(
        app.gql_err(Some(&second), MY, json!({})).await,
        "UNAUTHENTICATED"
    );
    let (status, _) = app.compat(Some(&second), "/logout", json!({})).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_logout_outlives_a_restart_of_the_server() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    app.gql_ok(Some(&token), LOGOUT, json!({})).await;
    // A fresh state over the same database loads the revoked sessions.
    let reloaded = imgql::auth::Sessions::load(&app.state.db)
        .await
        .expect("load revoked sessions");
    let viewer = imgql::auth::viewer_from_token(&app.state.keys, &reloaded, &token);
    assert_eq!(
        viewer.map(|v| v.user_id).map_err(|e| e.code()),
        Err("UNAUTHENTICATED")
    );
    let other = app.state.keys.issue("alice").expect("token");
    assert!(imgql::auth::viewer_from_token(&app.state.keys, &reloaded, &other).is_ok());
}

#[tokio::test]
async fn a_token_without_a_session_is_refused() {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let app = spawn_app().await;
    app.register("alice").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = imgql::auth::Claims {
        sub: "alice".into(),
        iat: now,
        exp: now + 3600,
        iss: "imgql".into(),
        aud: "imgql".into(),
        sid: None,
    };
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"test-secret-test-secret-test-secret!"),
    )
    .expect("encode");
    assert_eq!(
        app.gql_err(Some(&token), MY, json!({})).await,
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_send_rate_when_enabled_answers_rate_limited() {
    let app = spawn_app_with(|config| config.send_rate_per_second = 2).await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let message = json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "hi" } } } });
    // All at once, so that they reach the limiter within its one-second window.
    let client = app.gql_client();
    let query = send_query();
    let bodies = futures_util::future::join_all(
        (0..6).map(|_| client.gql(Some(&alice), &query, message.clone())),
    )
    .await;
    let sent = bodies.iter().filter(|b| code(b).is_none()).count();
    assert!(sent <= 2, "{sent} sent within a second");
    let limited: Vec<_> = bodies.iter().filter(|b| code(b).is_some()).collect();
    assert!(!limited.is_empty(), "never rate limited: {bodies:?}");
    for body in limited {
        retry_after(body, 1_000);
    }
    // The compat surface shares the limit: a burst there gets 429s too.
    let compat = json!({ "message": { "to": "bob", "conversationType": "C2C", "payload": { "text": "hi" } } });
    let answers = futures_util::future::join_all(
        (0..4).map(|_| app.compat(Some(&alice), "/message/sendMessage", compat.clone())),
    )
    .await;
    assert!(answers.iter().filter(|(status, _)| *status == 200).count() <= 2);
    let (_, limited) = answers
        .iter()
        .find(|(status, _)| *status == 429)
        .unwrap_or_else(|| panic!("no 429 in {answers:?}"));
    assert_eq!(limited["code"], json!(429), "{limited}");
    assert!(
        limited["data"]["retryAfterMs"].as_u64().is_some(),
        "{limited}"
    );
}

#[tokio::test]
async fn sends_are_not_limited_by_default() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let message = json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "hi" } } } });
    for _ in 0..20 {
        app.gql_ok(Some(&alice), &send_query(), message.clone())
            .await;
    }
}

/// A GraphQL `login` sent through a proxy that reports `forwarded_for`.
async fn login_from(app: &TestApp, forwarded_for: &str, username: &str) -> Value {
    app.http
        .post(app.url("/graphql"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({ "query": LOGIN, "variables": { "u": username, "p": "wrong-password" } }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json body")
}

#[tokio::test]
async fn the_per_address_login_limit_when_enabled_counts_every_attempt_from_one_address() {
    let app = spawn_app_with(|config| {
        config.login_rate_per_address_per_minute = 3;
        config.trusted_proxy_header = "x-forwarded-for".into();
    })
    .await;
    // Different accounts each time: only the address limit can refuse.
    for name in ["u1", "u2", "u3"] {
        let body = login_from(&app, "203.0.113.7", name).await;
        assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    }
    retry_after(&login_from(&app, "203.0.113.7", "u4").await, 60_000);
    // The proxy's own entry (the last one) counts, not what the client claims before it.
    retry_after(
        &login_from(&app, "198.51.100.1, 203.0.113.7", "u5").await,
        60_000,
    );
    let body = login_from(&app, "198.51.100.1", "u6").await;
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    let (status, body) = app
        .http
        .post(app.url("/login"))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({ "username": "u7", "password": "wrong-password" }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .expect("send");
    let body: Value = body.json().await.expect("json");
    assert_eq!((status, body["code"].clone()), (429, json!(429)), "{body}");
}

#[tokio::test]
async fn without_a_trusted_header_the_socket_address_counts() {
    let app = spawn_app_with(|config| config.login_rate_per_address_per_minute = 2).await;
    for name in ["u1", "u2"] {
        assert_eq!(
            code(&login_from(&app, "203.0.113.7", name).await),
            Some("UNAUTHENTICATED")
        );
    }
    // A different forwarded address does not help: the header is not trusted.
    retry_after(&login_from(&app, "198.51.100.9", "u3").await, 60_000);
}
