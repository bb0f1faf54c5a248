//! The GraphQL-over-HTTP rules, limits, health and CORS.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

#[tokio::test]
async fn accept_header_selects_the_response_media_type() {
    let app = spawn_app().await;
    let q = json!({ "query": "{ __typename }" });
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&q)
        .send()
        .await
        .expect("send");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("application/json"));
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&q)
        .send()
        .await
        .expect("send");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("application/graphql-response+json"));
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["__typename"], "Query");
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("accept", "text/html")
        .json(&q)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 406);
}

#[tokio::test]
async fn requests_that_cannot_run_get_400_with_a_code() {
    let app = spawn_app().await;
    let post = |body: &'static str| {
        app.http
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .header("accept", "application/graphql-response+json")
            .body(body)
            .send()
    };
    for (body, code) in [
        ("{not json", "BAD_REQUEST"),
        ("[{\"query\":\"{ __typename }\"}]", "BAD_REQUEST"),
        ("{\"variables\":{}}", "BAD_REQUEST"),
        ("{\"query\": 5}", "BAD_REQUEST"),
        (
            "{\"query\":\"{ __typename }\", \"variables\": \"x\"}",
            "BAD_REQUEST",
        ),
        ("{\"query\":\"{ \"}", "GRAPHQL_PARSE_FAILED"),
        (
            "{\"query\":\"{ noSuchField }\"}",
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        let resp = post(body).await.expect("send");
        assert_eq!(resp.status(), 400, "{body}");
        let json: Value = resp.json().await.expect("json");
        assert_eq!(
            json["errors"][0]["extensions"]["code"], code,
            "{body}: {json}"
        );
    }
}

#[tokio::test]
async fn other_content_types_get_415() {
    let app = spawn_app().await;
    let resp = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{\"query\":\"{ __typename }\"}")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 415);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
        "{body}"
    );
}

#[tokio::test]
async fn get_runs_queries_but_refuses_mutations_with_405_and_allow() {
    let app = spawn_app().await;
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[("query", "{ __typename }")])
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation { login(username: \"a\", password: \"b\") { token } }",
        )])
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED",
        "{body}"
    );
}

#[tokio::test]
async fn depth_complexity_and_body_size_are_limited() {
    let app = spawn_app().await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(15),
        "} ".repeat(15)
    );
    let body = app.gql(None, &deep, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let many_directives = "{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) }";
    let body = app.gql(None, many_directives, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let huge = "x".repeat(2 * 1024 * 1024);
    let resp = app
        .http
        .post(app.url("/graphql"))
        .json(&json!({ "query": format!("{{ __typename }} # {huge}") }))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{body}"
    );
}

#[tokio::test]
async fn health_readiness_and_cors() {
    let app = spawn_app().await;
    for (path, body) in [
        ("/healthz", json!({ "status": "ok" })),
        ("/readyz", json!({ "status": "ready" })),
    ] {
        let resp = app.http.get(app.url(path)).send().await.expect("send");
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("application/json"),
            "{path}"
        );
        assert_eq!(resp.json::<Value>().await.expect("json"), body, "{path}");
    }
    let resp = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization,token",
        )
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn graphiql_is_served_from_the_binary() {
    let app = spawn_app().await;
    let resp = app.http.get(app.url("/")).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.expect("html");
    assert!(html.contains("graphiql"), "page mentions graphiql");
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn.jsdelivr"),
        "no CDN"
    );
    let resp = app
        .http
        .get(app.url("/graphiql/graphiql.min.js"))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.expect("bytes").len() > 100_000);
}

#[tokio::test]
async fn every_resolver_error_carries_a_code() {
    let app = spawn_app().await;
    let body = app
        .gql(None, "{ getMyProfile { userID } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let token = app.register("alice").await;
    let body = app
        .gql(
            Some(&token),
            "query($l: [String!]!) { getUserProfile(userIDList: $l) { userID } }",
            json!({ "l": 5 }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let body = app
        .gql(
            Some(&token),
            "{ getUserProfile(userIDList: [\"bad id\"]) { userID } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}
