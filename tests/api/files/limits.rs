//! Upload limits and refusals: size, broken-off uploads, tokens, multipart
//! requests and body limits.

use std::time::Duration;

use reqwest::multipart;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::{
    files::support::{
        compat_upload, gql_upload, gql_upload_raw, png, post_gql_form, stored_names,
        wait_for_empty_files_dir, UPLOAD,
    },
    helpers::{spawn_app, spawn_app_with, TestApp},
};

#[tokio::test]
async fn an_upload_over_the_largest_limit_is_refused_and_leaves_no_file() {
    let app = spawn_app_with(|c| {
        c.max_image_bytes = 64 * 1024;
        c.max_audio_bytes = 64 * 1024;
        c.max_video_bytes = 64 * 1024;
        c.max_file_bytes = 64 * 1024;
    })
    .await;
    let alice = app.register("alice").await;
    // Refused as it arrives: the declared length is within the body limit,
    // the file part goes over the file limit.
    let big = vec![7u8; 300 * 1024];
    let resp = gql_upload_raw(&app, Some(&alice), "big.bin", big.clone()).await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{body}"
    );
    let (status, body) = compat_upload(&app, Some(&alice), "big.bin", big).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["code"], 413, "{body}");

    // Refused before reading: the declared length is over the body limit.
    let huge = vec![7u8; 8 * 1024 * 1024];
    let resp = gql_upload_raw(&app, Some(&alice), "huge.bin", huge.clone()).await;
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
        "{body}"
    );
    let (status, body) = compat_upload(&app, Some(&alice), "huge.bin", huge).await;
    assert_eq!((status, body["code"].clone()), (413, json!(413)), "{body}");

    wait_for_empty_files_dir(&app).await;
    // Exactly at the limit is fine.
    gql_upload(&app, &alice, "edge.bin", vec![1u8; 64 * 1024]).await;
}

#[tokio::test]
async fn an_upload_cut_off_halfway_leaves_nothing_behind() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let boundary = "imgqlboundary";
    let operations = json!({ "query": UPLOAD, "variables": { "f": null } }).to_string();
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.f\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'x', 512 * 1024));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {alice}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&body[..body.len() / 2])
        .await
        .expect("half the body");
    stream.flush().await.expect("flush");
    // Let the server start staging before the connection drops.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stored_names(&app).is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!stored_names(&app).is_empty(), "staging never started");
    drop(stream);
    wait_for_empty_files_dir(&app).await;

    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::files::Entity::find()
            .count(&app.state.db)
            .await
            .expect("count"),
        0
    );
}

#[tokio::test]
async fn uploads_need_a_valid_token_before_anything_is_stored() {
    let app = spawn_app().await;
    let resp = gql_upload_raw(&app, None, "a.png", png(10, 10)).await;
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let resp = gql_upload_raw(&app, Some("bad"), "a.png", png(10, 10)).await;
    assert_eq!(resp.status(), 401);
    let (status, body) = compat_upload(&app, None, "a.png", png(10, 10)).await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    assert!(stored_names(&app).is_empty());
}

#[tokio::test]
async fn a_plain_multipart_post_needs_no_preflight_header_and_malformed_ones_are_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    // reqwest sends no Apollo-Require-Preflight or similar header: it just works.
    gql_upload(&app, &alice, "a.bin", b"abc".to_vec()).await;

    // A forged upload marker in a JSON request is bad input, not a crash.
    for forged in ["#__graphql_file__:x", "#__graphql_file__:0", "hello"] {
        let code = app
            .gql_err(Some(&alice), UPLOAD, json!({ "f": forged }))
            .await;
        assert_eq!(code, "BAD_USER_INPUT", "{forged}");
    }

    // More files than allowed.
    let form = multipart::Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "f": null } }).to_string(),
        )
        .text(
            "map",
            json!({ "0": ["variables.f"], "1": ["variables.g"] }).to_string(),
        )
        .part("0", multipart::Part::bytes(b"a".to_vec()).file_name("a"))
        .part("1", multipart::Part::bytes(b"b".to_vec()).file_name("b"));
    let resp = post_gql_form(&app, &alice, form).await;
    assert_eq!(resp.status(), 413);

    // A map naming a file that never comes.
    let form = multipart::Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string());
    let resp = post_gql_form(&app, &alice, form).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // The compat route without the `file` field.
    let form = multipart::Form::new().text("other", "x");
    let resp = app
        .http
        .post(app.url("/file/upload"))
        .header("token", &alice)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn only_upload_routes_accept_bodies_over_the_json_limit() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let two_mib = vec![b'x'; 2 * 1024 * 1024];
    let file = gql_upload(&app, &alice, "two.bin", two_mib.clone()).await;
    assert_eq!(file["size"], 2 * 1024 * 1024);
    let form = multipart::Form::new().part("file", multipart::Part::bytes(two_mib).file_name("x"));
    let resp = app
        .http
        .post(app.url("/user/getMyProfile"))
        .header("token", &alice)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn an_empty_file_is_refused_as_bad_input_on_both_surfaces() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let resp = super::support::gql_upload_raw(&app, Some(&token), "empty.txt", Vec::new()).await;
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("file:")),
        "{body}"
    );
    let (status, envelope) =
        super::support::compat_upload(&app, Some(&token), "empty.txt", Vec::new()).await;
    assert_eq!(
        (status, envelope["code"].as_i64()),
        (400, Some(400)),
        "{envelope}"
    );
    assert!(
        super::support::stored_names(&app).is_empty(),
        "nothing stored: {:?}",
        super::support::stored_names(&app)
    );
}

/// Send a chunked multipart upload with no token over raw TCP, the whole body
/// before reading (as Node's `fetch` with `FormData` does); returns the answer.
async fn refused_chunked_upload(app: &TestApp, path: &str, body_bytes: usize) -> String {
    use tokio::io::AsyncReadExt;
    let mut socket = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let boundary = "XyZboundary";
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n",
        app.addr
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'a', body_bytes));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    for chunk in body.chunks(8 * 1024) {
        let framed = [
            format!("{:x}\r\n", chunk.len()).into_bytes(),
            chunk.to_vec(),
            b"\r\n".to_vec(),
        ]
        .concat();
        socket
            .write_all(&framed)
            .await
            .expect("the server reads a small refused body instead of closing on it");
        socket.flush().await.expect("flush");
        tokio::task::yield_now().await;
    }
    socket.write_all(b"0\r\n\r\n").await.expect("last chunk");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "an answer arrives");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_small_refused_upload_is_read_before_its_answer_on_both_surfaces() {
    let app = spawn_app().await;
    let compat = refused_chunked_upload(&app, "/file/upload", 300 * 1024).await;
    assert!(compat.starts_with("HTTP/1.1 401"), "{compat}");
    assert!(compat.contains("\"code\":70001"), "{compat}");
    let graphql = refused_chunked_upload(&app, "/graphql", 300 * 1024).await;
    assert!(graphql.starts_with("HTTP/1.1 401"), "{graphql}");
    assert!(graphql.contains("UNAUTHENTICATED"), "{graphql}");
}

#[tokio::test]
async fn a_large_refused_upload_is_answered_at_once_and_the_connection_closed() {
    use tokio::io::AsyncReadExt;
    let app = spawn_app().await;
    let mut socket = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /file/upload HTTP/1.1\r\nHost: {}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: {}\r\n\r\n",
        app.addr,
        8 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    // No body at all: the answer must come without it.
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await;
    let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 401"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
}
