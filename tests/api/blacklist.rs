//! getBlacklist, addToBlacklist, removeFromBlacklist on both surfaces.

use serde_json::json;

use crate::helpers::spawn_app;

const ADD: &str = "mutation($l: [String!]!) { addToBlacklist(userIDList: $l) }";
const REMOVE: &str = "mutation($l: [String!]!) { removeFromBlacklist(userIDList: $l) }";

#[tokio::test]
async fn add_and_remove_return_the_whole_list_after() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    app.register("carol").await;
    let data = app.gql_ok(Some(&alice), ADD, json!({ "l": ["bob"] })).await;
    assert_eq!(data["addToBlacklist"], json!(["bob"]));
    let data = app
        .gql_ok(Some(&alice), ADD, json!({ "l": ["carol", "bob", "carol"] }))
        .await;
    assert_eq!(
        data["addToBlacklist"],
        json!(["bob", "carol"]),
        "re-adding is harmless"
    );
    let data = app
        .gql_ok(Some(&alice), "{ getBlacklist { userID nick } }", json!({}))
        .await;
    assert_eq!(
        data["getBlacklist"],
        json!([{ "userID": "bob", "nick": "" }, { "userID": "carol", "nick": "" }])
    );
    let data = app
        .gql_ok(Some(&alice), REMOVE, json!({ "l": ["bob"] }))
        .await;
    assert_eq!(data["removeFromBlacklist"], json!(["carol"]));
}

#[tokio::test]
async fn blacklists_are_private_to_their_owner() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.gql_ok(Some(&alice), ADD, json!({ "l": ["bob"] })).await;
    let data = app
        .gql_ok(Some(&bob), "{ getBlacklist { userID } }", json!({}))
        .await;
    assert_eq!(data["getBlacklist"], json!([]));
}

#[tokio::test]
async fn unknown_users_self_and_oversized_lists_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    assert_eq!(
        app.gql_err(Some(&alice), ADD, json!({ "l": ["bob", "ghost"] }))
            .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_err(Some(&alice), ADD, json!({ "l": ["alice"] }))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_err(Some(&alice), ADD, json!({ "l": [] })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_err(Some(&alice), ADD, json!({ "l": ["bad id!"] }))
            .await,
        "BAD_USER_INPUT"
    );
    let many: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    assert_eq!(
        app.gql_err(Some(&alice), ADD, json!({ "l": many })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_err(Some(&alice), REMOVE, json!({ "l": ["ghost"] }))
            .await,
        "NOT_FOUND"
    );
    let data = app
        .gql_ok(Some(&alice), "{ getBlacklist { userID } }", json!({}))
        .await;
    assert_eq!(
        data["getBlacklist"],
        json!([]),
        "bob was not added by the failed call"
    );
}

#[tokio::test]
async fn compat_blacklist_routes_return_id_lists() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let (status, body) = app
        .compat(
            Some(&alice),
            "/user/addToBlacklist",
            json!({ "userIDList": ["bob"] }),
        )
        .await;
    assert_eq!((status, body["data"].clone()), (200, json!(["bob"])));
    let (_, body) = app
        .compat(Some(&alice), "/user/getBlacklist", json!({}))
        .await;
    assert_eq!(body["data"], json!(["bob"]));
    let (status, body) = app
        .compat(
            Some(&alice),
            "/user/addToBlacklist",
            json!({ "userIDList": ["ghost"] }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (404, json!(404)));
    let (status, _) = app
        .compat(
            Some(&alice),
            "/user/addToBlacklist",
            json!({ "userIDList": "bob" }),
        )
        .await;
    assert_eq!(status, 400);
    let (_, body) = app
        .compat(
            Some(&alice),
            "/user/removeFromBlacklist",
            json!({ "userIDList": ["bob"] }),
        )
        .await;
    assert_eq!(body["data"], json!([]));
}
