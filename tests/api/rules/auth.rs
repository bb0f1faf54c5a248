//! Authentication: both header forms on both surfaces, the default token
//! lifetime and generated secret of the real binary, and one answer for a
//! wrong password and an unknown user.

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use crate::helpers::{seed_users, spawn_app, TestApp};

const ME: &str = "{ getMyProfile { userID } }";

/// POST `body` to `path` with the given headers; returns (status, body).
async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let mut request = app.http.post(app.url(path)).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("send");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn the_seeds_token_header_works_on_graphql_and_wins_over_authorization() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice"]).await;
    let alice = t[0].as_str();
    let bearer = format!("Bearer {alice}");
    let query = json!({ "query": ME });
    let user = |body: &Value| body["data"]["getMyProfile"]["userID"].clone();
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();

    let (status, body) = post(&app, "/graphql", &[("token", alice)], query.clone()).await;
    assert_eq!((status, user(&body)), (200, json!("alice")), "{body}");
    let (_, body) = post(&app, "/graphql", &[("token", "not-a-token")], query.clone()).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    // Both sent: `token` wins, whichever of the two is the valid one.
    let (_, body) = post(
        &app,
        "/graphql",
        &[("token", alice), ("authorization", "Bearer not-a-token")],
        query.clone(),
    )
    .await;
    assert_eq!(user(&body), "alice", "{body}");
    let (_, body) = post(
        &app,
        "/graphql",
        &[("token", "not-a-token"), ("authorization", &bearer)],
        query,
    )
    .await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn authorization_bearer_works_on_compat_with_any_case_of_scheme() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice"]).await;
    let alice = t[0].as_str();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let header = format!("{scheme} {alice}");
        let (status, body) = post(
            &app,
            "/user/getMyProfile",
            &[("authorization", &header)],
            json!({}),
        )
        .await;
        assert_eq!(
            (
                status,
                body["code"].clone(),
                body["data"]["userinfo"]["userID"].clone()
            ),
            (200, json!(0), json!("alice")),
            "{scheme}: {body}"
        );
    }
    let (status, body) = post(
        &app,
        "/user/getMyProfile",
        &[("authorization", "Bearer not-a-token")],
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!(70001)),
        "{body}"
    );
    // Both sent: `token` wins here too.
    let bearer = format!("Bearer {alice}");
    let (status, body) = post(
        &app,
        "/user/getMyProfile",
        &[("token", "not-a-token"), ("authorization", &bearer)],
        json!({}),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (401, json!(70001)),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_answer_alike_on_both_surfaces() {
    let app = spawn_app().await;
    app.register("alice").await;
    let login =
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
    let wrong = app
        .gql(None, login, json!({ "u": "alice", "p": "wrong-password" }))
        .await;
    let unknown = app
        .gql(None, login, json!({ "u": "nobody", "p": "wrong-password" }))
        .await;
    assert_eq!(
        (
            wrong["errors"][0]["extensions"]["code"].clone(),
            wrong["errors"][0]["message"].clone()
        ),
        (
            json!("UNAUTHENTICATED"),
            json!("invalid username or password")
        )
    );
    assert_eq!(wrong["errors"][0], unknown["errors"][0]);
    assert_eq!(wrong["data"], unknown["data"]);
    let wrong = app
        .compat(
            None,
            "/login",
            json!({ "username": "alice", "password": "wrong-password" }),
        )
        .await;
    let unknown = app
        .compat(
            None,
            "/login",
            json!({ "username": "nobody", "password": "wrong-password" }),
        )
        .await;
    assert_eq!(
        (wrong.0, wrong.1["code"].clone(), wrong.1["msg"].clone()),
        (401, json!(70001), json!("invalid username or password")),
        "{wrong:?}"
    );
    assert_eq!(wrong, unknown);
}

/// The real binary, serving on a free port with only the given environment.
struct Server {
    child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// Log lines read so far.
    log: Vec<String>,
    base: String,
}

/// A log line without its ANSI colours.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Server {
    async fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_imgql"))
            .env_clear()
            .env("IMGQL_BIND", "127.0.0.1:0")
            .env("IMGQL_DATA_DIR", data_dir)
            .env("IMGQL_HASH_CONCURRENCY", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the binary");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut log = Vec::new();
        // Bounded: the address line, or the test fails.
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read log") {
                let line = plain(&line);
                log.push(line.clone());
                if let Some((_, url)) = line.split_once("GraphQL:") {
                    let url = url.trim();
                    return url.strip_suffix("/graphql").expect("url").to_owned();
                }
            }
            panic!("the server ended before listening: {log:?}");
        })
        .await
        .expect("the server listens within a minute");
        Self {
            child,
            lines,
            log,
            base,
        }
    }

    async fn stop(mut self) {
        self.child.kill().await.expect("kill");
        drop(self.lines);
    }
}

/// `register` on the binary; returns the token.
async fn register(http: &reqwest::Client, base: &str, name: &str) -> String {
    let body: Value = http
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": format!("mutation {{ register(email: \"{name}@example.com\", username: \"{name}\", password: \"password123\") {{ token }} }}") }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    body["data"]["register"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {body}"))
        .to_owned()
}

/// Whether `token` is accepted by the binary.
async fn accepted(http: &reqwest::Client, base: &str, token: &str) -> bool {
    let body: Value = http
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    body["data"]["getMyProfile"]["userID"].is_string()
}

#[tokio::test]
async fn without_configuration_the_binary_generates_a_kept_secret_and_issues_7_day_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let http = reqwest::Client::new();
    let server = Server::start(dir.path()).await;
    let warned = server
        .log
        .iter()
        .any(|l| l.contains("WARN") && l.contains("no IMGQL_JWT_SECRET given"));
    assert!(
        warned,
        "a warning about the generated secret: {:?}",
        server.log
    );
    let secret = std::fs::read(dir.path().join("jwt-secret")).expect("the secret file");
    assert!(secret.len() >= 32, "{} bytes", secret.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("jwt-secret"))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read it: {mode:o}");
    }

    let token = register(&http, &server.base, "alice").await;
    // The token is signed with the file's secret, valid for 7 days.
    let keys = imgql::auth::token::TokenKeys::new(&secret, "imgql", 1);
    let claims = keys.verify(&token).expect("signed with the kept secret");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.exp - claims.iat, 7 * 24 * 3600);
    server.stop().await;

    // A restart reuses the kept secret: the old token still works.
    let server = Server::start(dir.path()).await;
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("WARN") && l.contains("generated JWT secret from the data dir")),
        "{:?}",
        server.log
    );
    assert_eq!(
        std::fs::read(dir.path().join("jwt-secret")).expect("file"),
        secret,
        "the file is kept as it was"
    );
    assert!(accepted(&http, &server.base, &token).await);
    assert!(!accepted(&http, &server.base, "not-a-token").await);
    server.stop().await;
}
