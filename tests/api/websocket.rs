//! `/graphql/ws`: both subprotocols, authentication, close codes and the
//! foundation's live events.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{seed_users, spawn_app, spawn_app_with, WsClient};

const PROFILE_SUB: &str = "subscription { profileUpdated { userID nick } }";

#[tokio::test]
async fn profile_updates_reach_the_users_other_sessions_only() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut alice_ws = WsClient::with_token(&app, &alice).await;
    let mut bob_ws = WsClient::with_token(&app, &bob).await;
    alice_ws.subscribe("1", PROFILE_SUB, json!({})).await;
    bob_ws.subscribe("1", PROFILE_SUB, json!({})).await;
    // A round trip over each socket makes sure the subscriptions are live.
    alice_ws.settle().await;
    bob_ws.settle().await;
    app.gql_ok(
        Some(&alice),
        "mutation { updateMyProfile(input: { nick: \"Ally\" }) { nick } }",
        json!({}),
    )
    .await;
    let data = alice_ws.next_data("1").await;
    assert_eq!(
        data["profileUpdated"],
        json!({ "userID": "alice", "nick": "Ally" })
    );
    // Bob's first event is his own change, made afterwards: alice's never
    // reached him.
    app.gql_ok(
        Some(&bob),
        "mutation { updateMyProfile(input: { nick: \"Bobby\" }) { nick } }",
        json!({}),
    )
    .await;
    assert_eq!(
        bob_ws.next_data("1").await["profileUpdated"],
        json!({ "userID": "bob", "nick": "Bobby" })
    );
}

#[tokio::test]
async fn blacklist_updates_are_pushed_with_the_whole_list() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let mut ws = WsClient::with_token(&app, &alice).await;
    ws.subscribe("b", "subscription { blacklistUpdated }", json!({}))
        .await;
    ws.settle().await;
    app.compat(
        Some(&alice),
        "/user/addToBlacklist",
        json!({ "userIDList": ["bob"] }),
    )
    .await;
    assert_eq!(ws.next_data("b").await["blacklistUpdated"], json!(["bob"]));
}

#[tokio::test]
async fn every_connection_init_token_shape_is_accepted() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    for payload in [
        json!({ "token": token }),
        json!({ "authToken": token }),
        json!({ "Authorization": format!("Bearer {token}") }),
        json!({ "headers": { "Authorization": format!("Bearer {token}") } }),
    ] {
        let mut ws = WsClient::connect(&app, payload).await;
        ws.subscribe("1", "{ getMyProfile { userID } }", json!({}))
            .await;
        assert_eq!(ws.next_data("1").await["getMyProfile"]["userID"], "alice");
    }
}

#[tokio::test]
async fn a_missing_or_bad_token_closes_with_4403() {
    let app = spawn_app().await;
    for payload in [json!({}), json!({ "token": "garbage" })] {
        let mut ws = WsClient::connect_raw(&app, "graphql-transport-ws").await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        assert_eq!(ws.closed_with().await, 4403);
    }
}

#[tokio::test]
async fn protocol_violations_close_with_their_codes() {
    let app = spawn_app().await;
    let token = app.register("alice").await;

    let mut ws = WsClient::connect_raw(&app, "graphql-transport-ws").await;
    ws.subscribe("1", PROFILE_SUB, json!({})).await;
    assert_eq!(ws.closed_with().await, 4401, "subscribe before ack");

    let mut ws = WsClient::with_token(&app, &token).await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": token } }))
        .await;
    assert_eq!(ws.closed_with().await, 4429, "second init");

    let mut ws = WsClient::with_token(&app, &token).await;
    ws.subscribe("dup", PROFILE_SUB, json!({})).await;
    ws.subscribe("dup", PROFILE_SUB, json!({})).await;
    assert_eq!(ws.closed_with().await, 4409, "duplicate id");

    let mut ws = WsClient::with_token(&app, &token).await;
    ws.send(json!({ "type": "no-such-type" })).await;
    assert_eq!(ws.closed_with().await, 4400, "unknown message");
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed_with_4408() {
    let app = spawn_app_with(|c| c.ws_init_timeout = 1).await;
    let mut ws = WsClient::connect_raw(&app, "graphql-transport-ws").await;
    assert_eq!(ws.closed_with().await, 4408);
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_works() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let mut ws = WsClient::connect_raw(&app, "graphql-ws").await;
    ws.send(json!({ "type": "connection_init", "payload": { "authToken": token } }))
        .await;
    loop {
        let msg = ws.next_json().await;
        if msg["type"] == "connection_ack" {
            break;
        }
        assert_eq!(msg["type"], "ka", "only keepalives before the ack: {msg}");
    }
    ws.send(json!({ "id": "1", "type": "start", "payload": { "query": PROFILE_SUB } }))
        .await;
    ws.send(json!({ "id": "2", "type": "start", "payload": { "query": "{ __typename }" } }))
        .await;
    loop {
        let msg = ws.next_json().await;
        if msg["id"] == "2" && msg["type"] == "complete" {
            break;
        }
    }
    app.gql_ok(
        Some(&token),
        "mutation { updateMyProfile(input: { nick: \"L\" }) { nick } }",
        json!({}),
    )
    .await;
    loop {
        let msg = ws.next_json().await;
        if msg["type"] == "ka" {
            continue;
        }
        assert_eq!(msg["type"], "data", "{msg}");
        assert_eq!(msg["payload"]["data"]["profileUpdated"]["nick"], "L");
        break;
    }
}

#[tokio::test]
async fn subscriptions_per_socket_are_capped() {
    let app = spawn_app_with(|c| c.ws_max_subscriptions = 2).await;
    let token = app.register("alice").await;
    let mut ws = WsClient::with_token(&app, &token).await;
    ws.subscribe("1", PROFILE_SUB, json!({})).await;
    ws.subscribe("2", PROFILE_SUB, json!({})).await;
    ws.subscribe("3", PROFILE_SUB, json!({})).await;
    let msg = loop {
        let msg = ws.next_json().await;
        if msg["id"] == "3" {
            break msg;
        }
    };
    assert_eq!(msg["type"], "error");
    assert_eq!(msg["payload"][0]["extensions"]["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn presence_counts_open_connections() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    assert!(!app
        .state
        .presence
        .is_online("alice")
        .await
        .expect("presence"));
    let ws = WsClient::with_token(&app, &token).await;
    assert!(app
        .state
        .presence
        .is_online("alice")
        .await
        .expect("presence"));
    drop(ws);
    let mut online = true;
    for _ in 0..100 {
        online = app
            .state
            .presence
            .is_online("alice")
            .await
            .expect("presence");
        if !online {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!online, "closing the socket ends presence");
}

#[tokio::test]
async fn a_socket_is_closed_with_4403_when_its_token_expires() {
    let app = spawn_app_with(|config| config.token_ttl = 2).await;
    let tokens = seed_users(&app, &["alice"]).await;
    let mut ws = WsClient::with_token(&app, &tokens[0]).await;
    ws.subscribe("1", PROFILE_SUB, json!({})).await;
    // Open and serving until the token expires.
    ws.settle().await;
    let started = Instant::now();
    assert_eq!(ws.closed_with().await, 4403);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "closed only after {:?}",
        started.elapsed()
    );
}
