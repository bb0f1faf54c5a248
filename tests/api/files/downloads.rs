//! `GET /files/{fileID}`: who may download, token forms, and ranges.

use reqwest::StatusCode;

use crate::{
    files::support::{download, gql_upload, png},
    helpers::spawn_app,
};

#[tokio::test]
async fn the_uploader_downloads_with_any_token_form_and_everyone_else_gets_404() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let bytes = png(64, 64);
    let file = gql_upload(&app, &alice, "a.png", bytes.clone()).await;
    let path = format!("/files/{}", file["fileID"].as_str().expect("fileID"));

    let resp = download(&app, &path, Some(&alice)).await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["content-length"], bytes.len().to_string().as_str());
    assert_eq!(headers["accept-ranges"], "bytes");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["cache-control"]
        .to_str()
        .expect("ascii")
        .starts_with("private, max-age="));
    assert!(headers["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("inline;"));
    let etag = headers["etag"].clone();
    assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes);

    let resp = app
        .http
        .get(app.url(&path))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200, "Authorization: Bearer works");
    let resp = app
        .http
        .get(app.url(&format!("{path}?token={alice}")))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200, "?token= works for <img src>");
    let resp = app
        .http
        .get(app.url(&path))
        .header("token", &alice)
        .header("if-none-match", etag)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 304);

    assert_eq!(download(&app, &path, Some(&bob)).await.status(), 404);
    assert_eq!(download(&app, &path, None).await.status(), 404);
    assert_eq!(
        download(&app, &path, Some("not-a-token")).await.status(),
        404
    );
    let resp = app
        .http
        .get(app.url(&format!("{path}?token={bob}")))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);
    assert_eq!(
        download(
            &app,
            "/files/0123456789abcdef0123456789abcdef",
            Some(&alice)
        )
        .await
        .status(),
        404,
        "an unknown file looks the same as a forbidden one"
    );
    assert_eq!(
        download(&app, "/files/..%2F..%2Fimgql.db", Some(&alice))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn single_ranges_are_served_and_unsatisfiable_ones_refused() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let file = gql_upload(&app, &alice, "data.bin", bytes.clone()).await;
    let path = format!("/files/{}", file["fileID"].as_str().expect("fileID"));
    let get_range = |range: &'static str| {
        app.http
            .get(app.url(&path))
            .header("token", &alice)
            .header("range", range)
            .send()
    };

    let resp = get_range("bytes=10-19").await.expect("send");
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(resp.headers()["content-length"], "10");
    assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes[10..20]);

    let resp = get_range("bytes=-5").await.expect("send");
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.headers()["content-range"], "bytes 995-999/1000");
    assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes[995..]);

    let resp = get_range("bytes=990-").await.expect("send");
    assert_eq!(resp.status(), 206);
    assert_eq!(resp.bytes().await.expect("body").len(), 10);

    let resp = get_range("bytes=1000-").await.expect("send");
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(resp.headers()["content-range"], "bytes */1000");

    let resp = get_range("bytes=0-1,5-6").await.expect("send");
    assert_eq!(resp.status(), 200, "several ranges: the whole file");
    assert_eq!(resp.bytes().await.expect("body").len(), 1000);
}
