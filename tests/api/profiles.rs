//! getMyProfile, getUserProfile, updateMyProfile and authorization.

use serde_json::json;

use crate::helpers::spawn_app;

const MY: &str = "{ getMyProfile { userID email nick selfSignature gender birthday language messageSettings level role location profileCustomField { key value } lastUpdatedTime } }";
const UPDATE: &str = "mutation($i: UpdateMyProfileInput!) { updateMyProfile(input: $i) { userID nick gender birthday profileCustomField { key value } } }";

#[tokio::test]
async fn every_protected_operation_refuses_missing_bad_expired_and_foreign_tokens() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let foreign =
        imgql::auth::TokenKeys::new(b"another-secret-another-secret-another!", "imgql", 3600)
            .issue("alice")
            .expect("token");
    let expired = {
        let keys = imgql::auth::TokenKeys::new(b"test-secret-test-secret-test-secret!", "imgql", 0);
        // Issued with a zero TTL and checked after the leeway has passed would be slow:
        // instead make one with `exp` in the past by hand.
        let _ = keys;
        make_expired_token()
    };
    let wrong_audience =
        imgql::auth::TokenKeys::new(b"test-secret-test-secret-test-secret!", "other", 3600)
            .issue("alice")
            .expect("token");
    for bad in [
        None,
        Some("garbage"),
        Some(foreign.as_str()),
        Some(expired.as_str()),
        Some(wrong_audience.as_str()),
    ] {
        for query in [
            MY,
            "{ getBlacklist { userID } }",
            "{ getUserProfile(userIDList: [\"alice\"]) { userID } }",
        ] {
            assert_eq!(
                app.gql_err(bad, query, json!({})).await,
                "UNAUTHENTICATED",
                "{bad:?} {query}"
            );
        }
        let (status, body) = app.compat(bad, "/user/getMyProfile", json!({})).await;
        assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    }
    app.gql_ok(Some(&token), MY, json!({})).await;
}

fn make_expired_token() -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = imgql::auth::Claims {
        sub: "alice".into(),
        iat: now - 7200,
        exp: now - 3600,
        iss: "imgql".into(),
        aud: "imgql".into(),
        sid: Some("00000000-0000-7000-8000-000000000000".into()),
    };
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"test-secret-test-secret-test-secret!"),
    )
    .expect("encode")
}

#[tokio::test]
async fn get_my_profile_shows_email_but_get_user_profile_does_not() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let me = app.gql_ok(Some(&alice), MY, json!({})).await;
    assert_eq!(me["getMyProfile"]["email"], "alice@example.com");
    let others = app
        .gql_ok(
            Some(&alice),
            "{ getUserProfile(userIDList: [\"bob\", \"ghost\", \"alice\", \"bob\"]) { userID email } }",
            json!({}),
        )
        .await;
    let list = others["getUserProfile"].as_array().expect("list");
    assert_eq!(
        list.len(),
        2,
        "unknown IDs left out, duplicates ignored: {list:?}"
    );
    assert_eq!(list[0]["userID"], "bob");
    assert_eq!(list[1]["userID"], "alice");
    assert!(list.iter().all(|p| p["email"].is_null()));
}

#[tokio::test]
async fn update_my_profile_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let code = app
        .gql_err(
            Some(&alice),
            UPDATE,
            json!({ "i": { "nick": "Alice", "profileCustomField": [{ "key": "Tag_Profile_Custom_x", "value": "1" }] } }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
    let me = app.gql_ok(Some(&alice), MY, json!({})).await;
    assert_eq!(
        me["getMyProfile"]["nick"], "",
        "a failed update changed nothing"
    );

    let data = app
        .gql_ok(
            Some(&alice),
            UPDATE,
            json!({ "i": { "nick": "Alice", "gender": "Gender_Type_Female", "birthday": 19900101,
                            "profileCustomField": [{ "key": "hobby", "value": "chess" }] } }),
        )
        .await;
    assert_eq!(data["updateMyProfile"]["nick"], "Alice");
    let data = app
        .gql_ok(
            Some(&alice),
            UPDATE,
            json!({ "i": { "selfSignature": "hi" } }),
        )
        .await;
    assert_eq!(
        data["updateMyProfile"]["nick"], "Alice",
        "untouched field kept"
    );
    let me = app.gql_ok(Some(&alice), MY, json!({})).await;
    let p = &me["getMyProfile"];
    assert_eq!(p["selfSignature"], "hi");
    assert_eq!(p["gender"], "Gender_Type_Female");
    assert_eq!(p["birthday"], 19900101);
    assert_eq!(
        p["profileCustomField"],
        json!([{ "key": "hobby", "value": "chess" }])
    );
    assert!(p["lastUpdatedTime"].as_i64().unwrap_or(0) > 0);
}

#[tokio::test]
async fn update_my_profile_rejects_bad_values_naming_the_field() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let cases = [
        (json!({ "nick": "n".repeat(501) }), "nick"),
        (json!({ "selfSignature": "s".repeat(501) }), "selfSignature"),
        (json!({ "avatar": "a".repeat(501) }), "avatar"),
        (json!({ "location": "l".repeat(65) }), "location"),
        (json!({ "messageSettings": 2 }), "messageSettings"),
        (
            json!({ "profileCustomField": [{ "key": "k", "value": "v".repeat(513) }] }),
            "profileCustomField",
        ),
    ];
    for (input, field) in cases {
        let body = app.gql(Some(&alice), UPDATE, json!({ "i": input })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{input}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(field),
            "{body}"
        );
    }
    // Wrong types and unknown fields are refused by the schema, with a code.
    for input in [
        json!({ "gender": "robot" }),
        json!({ "nick": 5 }),
        json!({ "unknownField": "x" }),
    ] {
        let body = app.gql(Some(&alice), UPDATE, json!({ "i": input })).await;
        let code = body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED",
            "{input}: {body}"
        );
    }
    let me = app.gql_ok(Some(&alice), MY, json!({})).await;
    assert_eq!(me["getMyProfile"]["nick"], "");
}

#[tokio::test]
async fn compat_profile_routes_accept_the_seed_shapes() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let (status, body) = app
        .compat(Some(&alice), "/user/getMyProfile", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["userinfo"]["userID"], "alice");
    assert_eq!(body["data"]["userinfo"]["email"], "alice@example.com");

    let (_, body) = app
        .compat(
            Some(&alice),
            "/user/getUserProfile",
            json!({ "user_id": ["bob", "ghost"] }),
        )
        .await;
    assert_eq!(
        body["data"],
        json!([{ "userinfo": body["data"][0]["userinfo"] }])
    );
    assert_eq!(body["data"][0]["userinfo"]["userID"], "bob");
    assert!(body["data"][0]["userinfo"].get("email").is_none());

    let (status, body) = app
        .compat(
            Some(&alice),
            "/user/updateMyProfile",
            json!({ "nick": "Al", "level": "3", "language": 2, "messageSettings": "1",
                    "gender": "Gender_Type_Male", "profileCustomField": { "team": "red" } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let updated = &body["data"][0];
    assert_eq!(updated["nick"], "Al");
    assert_eq!(updated["level"], 3);
    assert_eq!(updated["messageSettings"], 1);
    assert_eq!(
        updated["profileCustomField"],
        json!([{ "key": "team", "value": "red" }])
    );

    let (status, body) = app
        .compat(
            Some(&alice),
            "/user/updateMyProfile",
            json!({ "nick": "X", "favouriteColour": "blue" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["msg"]
        .as_str()
        .unwrap_or_default()
        .contains("favouriteColour"));
    let (status, _) = app
        .compat(
            Some(&alice),
            "/user/updateMyProfile",
            json!({ "level": "three" }),
        )
        .await;
    assert_eq!(status, 400);
    let (_, body) = app
        .compat(Some(&alice), "/user/getMyProfile", json!({}))
        .await;
    assert_eq!(
        body["data"]["userinfo"]["nick"], "Al",
        "failed updates changed nothing"
    );
}

#[tokio::test]
async fn a_compat_enum_error_names_its_field() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let (status, body) = app
        .compat(
            Some(&token),
            "/user/updateMyProfile",
            serde_json::json!({ "adminForbidType": "NoSuchType" }),
        )
        .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(400)), "{body}");
    let msg = body["msg"].as_str().unwrap_or("");
    assert!(msg.starts_with("adminForbidType: "), "{msg}");
}
