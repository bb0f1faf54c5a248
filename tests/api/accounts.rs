//! register and login on both surfaces.

use serde_json::json;

use crate::helpers::spawn_app;

const REGISTER: &str = "mutation($e: String!, $u: String!, $p: String!) { register(email: $e, username: $u, password: $p) { token userinfo { userID email nick gender allowType adminForbidType birthday } } }";
const LOGIN: &str = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token userinfo { userID email } } }";

#[tokio::test]
async fn register_returns_a_token_and_the_own_profile_with_defaults() {
    let app = spawn_app().await;
    let data = app
        .gql_ok(
            None,
            REGISTER,
            json!({ "e": "Alice@Example.com", "u": "alice", "p": "password123" }),
        )
        .await;
    let reg = &data["register"];
    assert!(reg["token"]
        .as_str()
        .is_some_and(|t| t.split('.').count() == 3));
    assert_eq!(reg["userinfo"]["userID"], "alice");
    assert_eq!(reg["userinfo"]["email"], "Alice@Example.com");
    assert_eq!(reg["userinfo"]["gender"], "Gender_Type_Unknown");
    assert_eq!(reg["userinfo"]["allowType"], "AllowType_Type_AllowAny");
    assert_eq!(reg["userinfo"]["adminForbidType"], "AdminForbid_Type_None");
    assert_eq!(reg["userinfo"]["birthday"], 0);
}

#[tokio::test]
async fn register_rejects_taken_username_and_case_insensitive_email() {
    let app = spawn_app().await;
    app.gql_ok(
        None,
        REGISTER,
        json!({ "e": "a@example.com", "u": "alice", "p": "password123" }),
    )
    .await;
    let code = app
        .gql_err(
            None,
            REGISTER,
            json!({ "e": "b@example.com", "u": "alice", "p": "password123" }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    let code = app
        .gql_err(
            None,
            REGISTER,
            json!({ "e": "A@EXAMPLE.COM", "u": "bob", "p": "password123" }),
        )
        .await;
    assert_eq!(code, "CONFLICT");
    // Nothing was created by the failed calls.
    let code = app
        .gql_err(None, LOGIN, json!({ "u": "bob", "p": "password123" }))
        .await;
    assert_eq!(code, "UNAUTHENTICATED");
}

#[tokio::test]
async fn register_validates_each_field_and_names_it() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "e": "not-an-email", "u": "alice", "p": "password123" }),
            "email",
        ),
        (
            json!({ "e": "a@b", "u": "alice", "p": "password123" }),
            "email",
        ),
        (
            json!({ "e": "a@example.com", "u": "", "p": "password123" }),
            "username",
        ),
        (
            json!({ "e": "a@example.com", "u": "has space", "p": "password123" }),
            "username",
        ),
        (
            json!({ "e": "a@example.com", "u": "x".repeat(33), "p": "password123" }),
            "username",
        ),
        (
            json!({ "e": "a@example.com", "u": "alice", "p": "short" }),
            "password",
        ),
        (
            json!({ "e": "a@example.com", "u": "alice", "p": "p".repeat(129) }),
            "password",
        ),
    ];
    for (vars, field) in cases {
        let body = app.gql(None, REGISTER, vars.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{vars}"
        );
        let msg = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(field), "message {msg:?} should name {field}");
    }
    let code = app
        .gql_err(None, LOGIN, json!({ "u": "alice", "p": "password123" }))
        .await;
    assert_eq!(code, "UNAUTHENTICATED", "no account was created");
}

#[tokio::test]
async fn a_128_character_password_is_used_whole() {
    let app = spawn_app().await;
    let long = "p".repeat(127) + "q";
    app.gql_ok(
        None,
        REGISTER,
        json!({ "e": "a@example.com", "u": "alice", "p": long }),
    )
    .await;
    let truncated = "p".repeat(127) + "x";
    assert_eq!(
        app.gql_err(None, LOGIN, json!({ "u": "alice", "p": truncated }))
            .await,
        "UNAUTHENTICATED"
    );
    app.gql_ok(None, LOGIN, json!({ "u": "alice", "p": long }))
        .await;
}

#[tokio::test]
async fn login_gives_the_same_answer_for_unknown_user_and_wrong_password() {
    let app = spawn_app().await;
    app.register("alice").await;
    let wrong = app
        .gql(None, LOGIN, json!({ "u": "alice", "p": "wrong-password" }))
        .await;
    let unknown = app
        .gql(None, LOGIN, json!({ "u": "nobody", "p": "wrong-password" }))
        .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"],
        "invalid username or password"
    );
    assert_eq!(wrong["errors"][0], unknown["errors"][0]);
    let ok = app
        .gql_ok(None, LOGIN, json!({ "u": "alice", "p": "password123" }))
        .await;
    assert_eq!(ok["login"]["userinfo"]["userID"], "alice");
}

#[tokio::test]
async fn token_claims_follow_the_spec() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let payload = token.split('.').nth(1).expect("payload");
    let claims = decode_b64url(payload);
    let claims: serde_json::Value = serde_json::from_slice(&claims).expect("claims json");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["iss"], "imgql");
    assert_eq!(claims["aud"], "imgql");
    let iat = claims["iat"].as_u64().expect("iat");
    assert_eq!(claims["exp"].as_u64().expect("exp"), iat + 3600);
    let header: serde_json::Value =
        serde_json::from_slice(&decode_b64url(token.split('.').next().expect("header")))
            .expect("header json");
    assert_eq!(header["alg"], "HS256");
}

fn decode_b64url(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

#[tokio::test]
async fn compat_register_and_login_use_the_envelope() {
    let app = spawn_app().await;
    let (status, body) = app
        .compat(
            None,
            "/register",
            json!({ "email": "a@example.com", "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0);
    assert_eq!(body["data"]["userinfo"]["userID"], "alice");
    assert!(body["data"]["token"].is_string());

    let (status, body) = app
        .compat(
            None,
            "/register",
            json!({ "email": "b@example.com", "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!(409)));

    let (status, body) = app
        .compat(
            None,
            "/login",
            json!({ "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (200, json!(0)));
    assert!(body["data"]["token"].is_string());

    let (status, body) = app
        .compat(
            None,
            "/login",
            json!({ "username": "alice", "password": "nope-nope" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    assert_eq!(body["msg"], "invalid username or password");
}

#[tokio::test]
async fn compat_rejects_malformed_json_missing_and_unknown_fields_with_the_envelope() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.expect("envelope");
    assert_eq!(body["code"], 400);
    assert!(body["msg"].as_str().is_some_and(|m| !m.is_empty()));

    let (status, body) = app
        .compat(
            None,
            "/register",
            json!({ "email": "a@example.com", "username": "alice" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(400)));
    assert!(body["msg"]
        .as_str()
        .unwrap_or_default()
        .contains("password"));

    let (status, body) = app
        .compat(None, "/register", json!({ "email": "a@example.com", "username": "alice", "password": "password123", "admin": true }))
        .await;
    assert_eq!(status, 400);
    assert!(body["msg"].as_str().unwrap_or_default().contains("admin"));

    let (status, _) = app
        .compat(
            None,
            "/register",
            json!({ "email": 5, "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!(status, 400);
    let (status, _) = app
        .compat(
            None,
            "/login",
            json!({ "username": "alice", "password": "password123" }),
        )
        .await;
    assert_eq!(status, 401, "no account was created by the bad calls");
}
