//! Input limits: 100 IDs in `getUserProfile`, 500 members in `createGroup`,
//! 20 custom field keys in a profile, and a configured body limit.

use futures_util::stream;
use serde_json::{json, Value};

use crate::groups::support::create_group_err;
use crate::helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, spawn_app_with};

const PROFILES: &str = "query($u: [String!]!) { getUserProfile(userIDList: $u) { userID } }";

fn names(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}")).collect()
}

#[tokio::test]
async fn get_user_profile_takes_at_most_100_distinct_ids_on_both_surfaces() {
    let app = spawn_app().await;
    let users = names("u", 101);
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let t = seed_users(&app, &refs).await;
    let me = &t[0];
    // 101 distinct: refused.
    assert_eq!(
        err(&app, me, PROFILES, json!({ "u": users })).await,
        "BAD_USER_INPUT"
    );
    for key in ["userIDList", "user_id"] {
        assert_eq!(
            compat_err(&app, me, "/user/getUserProfile", json!({ key: users })).await,
            (400, 400),
            "{key}"
        );
    }
    // Exactly 100 distinct (one repeated on top): all of them, in order.
    let mut hundred = users[..100].to_vec();
    hundred.push(users[0].clone());
    let got = ok(&app, me, PROFILES, json!({ "u": hundred })).await["getUserProfile"].clone();
    let got: Vec<&str> = got
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["userID"].as_str())
        .collect();
    assert_eq!(got, refs[..100]);
    for key in ["userIDList", "user_id"] {
        let data = compat_ok(&app, me, "/user/getUserProfile", json!({ key: hundred })).await;
        assert_eq!(data.as_array().map(Vec::len), Some(100), "{key}");
        assert_eq!(data[99]["userinfo"]["userID"], refs[99], "{key}");
    }
}

#[tokio::test]
async fn create_group_takes_at_most_500_members_on_both_surfaces() {
    let app = spawn_app().await;
    let mut users = vec!["olive".to_owned()];
    users.extend(names("m", 501));
    let refs: Vec<&str> = users.iter().map(String::as_str).collect();
    let t = seed_users(&app, &refs).await;
    let olive = &t[0];
    let members = |n: usize| -> Vec<Value> {
        users[1..=n]
            .iter()
            .map(|u| json!({ "userID": u }))
            .collect()
    };
    let input = |id: &str, n: usize| json!({ "name": id, "groupID": id, "type": "Community", "memberList": members(n) });
    assert_eq!(
        create_group_err(&app, olive, input("big", 501)).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        compat_err(&app, olive, "/group/createGroup", input("big", 501)).await,
        (400, 400)
    );
    assert_eq!(
        err(
            &app,
            olive,
            "query { getGroupProfile(groupID: \"big\") { groupID } }",
            json!({})
        )
        .await,
        "GROUP_NOT_FOUND",
        "nothing was created"
    );
    let data = compat_ok(&app, olive, "/group/createGroup", input("big", 500)).await;
    assert_eq!(
        data["group"]["memberCount"], 501,
        "500 members and the owner"
    );
}

const CUSTOM: &str = "mutation($f: [CustomFieldInput!]) { updateMyProfile(input: { profileCustomField: $f }) { profileCustomField { key value } } }";

fn fields(range: std::ops::Range<usize>) -> Vec<Value> {
    range
        .map(|i| json!({ "key": format!("k{i}"), "value": format!("v{i}") }))
        .collect()
}

#[tokio::test]
async fn a_profile_keeps_at_most_20_custom_field_keys_after_merging() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice"]).await;
    let alice = &t[0];
    assert_eq!(
        err(&app, alice, CUSTOM, json!({ "f": fields(0..21) })).await,
        "BAD_USER_INPUT"
    );
    let object: serde_json::Map<String, Value> =
        (0..21).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert_eq!(
        compat_err(
            &app,
            alice,
            "/user/updateMyProfile",
            json!({ "profileCustomField": object })
        )
        .await,
        (400, 400)
    );
    let mine = "{ getMyProfile { profileCustomField { key } } }";
    assert_eq!(
        ok(&app, alice, mine, json!({})).await["getMyProfile"]["profileCustomField"],
        json!([]),
        "nothing was written"
    );
    // 15 now and 5 more: 20, accepted.
    ok(&app, alice, CUSTOM, json!({ "f": fields(0..15) })).await;
    let data = ok(&app, alice, CUSTOM, json!({ "f": fields(15..20) })).await;
    assert_eq!(
        data["updateMyProfile"]["profileCustomField"]
            .as_array()
            .map(Vec::len),
        Some(20)
    );
    // A 21st key is refused once merged, on both surfaces; changing a key is fine.
    assert_eq!(
        err(&app, alice, CUSTOM, json!({ "f": fields(20..21) })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        compat_err(
            &app,
            alice,
            "/user/updateMyProfile",
            json!({ "profileCustomField": { "k20": "v" } })
        )
        .await,
        (400, 400)
    );
    let data = ok(
        &app,
        alice,
        CUSTOM,
        json!({ "f": [{ "key": "k0", "value": "changed" }] }),
    )
    .await;
    let list = data["updateMyProfile"]["profileCustomField"].clone();
    assert_eq!(list.as_array().map(Vec::len), Some(20));
    assert_eq!(list[0], json!({ "key": "k0", "value": "changed" }));
}

/// `body` padded with trailing spaces (valid JSON whitespace) to `len` bytes.
fn padded(body: &Value, len: usize) -> String {
    let mut text = body.to_string();
    assert!(text.len() <= len, "{} > {len}", text.len());
    text.push_str(&" ".repeat(len - text.len()));
    text
}

/// The two surfaces, for a body that sets the self signature.
#[derive(Clone, Copy)]
enum Surface {
    Compat,
    Graphql,
}

impl Surface {
    fn path(self) -> &'static str {
        match self {
            Self::Compat => "/user/updateMyProfile",
            Self::Graphql => "/graphql",
        }
    }

    /// A body setting the signature to `value`.
    fn body(self, value: &str) -> Value {
        match self {
            Self::Compat => json!({ "selfSignature": value }),
            Self::Graphql => {
                json!({ "query": format!("mutation {{ updateMyProfile(input: {{ selfSignature: \"{value}\" }}) {{ selfSignature }} }}") })
            }
        }
    }

    /// An answer's code: the envelope's, or the first error's (null on success).
    fn code(self, answer: &Value) -> Value {
        match self {
            Self::Compat => answer["code"].clone(),
            Self::Graphql => answer["errors"][0]["extensions"]["code"].clone(),
        }
    }

    fn too_large(self) -> Value {
        match self {
            Self::Compat => json!(413),
            Self::Graphql => json!("PAYLOAD_TOO_LARGE"),
        }
    }
}

#[tokio::test]
async fn a_configured_body_limit_is_exact_on_compat_and_graphql() {
    const LIMIT: usize = 2048;
    let app = spawn_app_with(|c| c.max_body_bytes = LIMIT).await;
    let t = seed_users(&app, &["alice"]).await;
    let alice = &t[0];
    let post = |path: &str| {
        app.http
            .post(app.url(path))
            .header("token", alice.as_str())
            .header("content-type", "application/json")
    };
    let signature = "{ getMyProfile { selfSignature } }";
    for surface in [Surface::Compat, Surface::Graphql] {
        let path = surface.path();
        // At the limit: accepted.
        let accepted = format!("{path} at the limit");
        let response = post(path)
            .body(padded(&surface.body(&accepted), LIMIT))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{accepted}");
        let answer: Value = response.json().await.expect("json");
        let code = surface.code(&answer);
        assert!(code == json!(0) || code.is_null(), "{accepted}: {answer}");
        // One byte over, with a Content-Length: 413, coded.
        let response = post(path)
            .body(padded(&surface.body("refused"), LIMIT + 1))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 413, "{path} one byte over");
        let answer: Value = response.json().await.expect("json");
        assert_eq!(
            surface.code(&answer),
            surface.too_large(),
            "{path}: {answer}"
        );
        // Over it without a Content-Length (chunked): 413 too.
        let chunks: Vec<Result<String, std::io::Error>> = vec![
            Ok(padded(&surface.body("refused"), LIMIT)),
            Ok(" ".repeat(LIMIT)),
        ];
        let response = post(path)
            .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 413, "{path} chunked over");
        // The refused bodies changed nothing.
        let me = ok(&app, alice, signature, json!({})).await;
        assert_eq!(me["getMyProfile"]["selfSignature"], accepted.as_str());
    }
}
