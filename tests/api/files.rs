//! uploadFile, POST /file/upload and GET /files/{fileID}: type detection,
//! image renditions, limits, broken-off uploads, ranges and who may download.

use std::{io::Cursor, path::PathBuf, time::Duration};

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::{multipart, StatusCode};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

const UPLOAD: &str =
    "mutation($f: Upload!) { uploadFile(file: $f) { fileID name mime size url width height } }";

/// An image with a gradient (so encoders have something to do).
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Png)
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Jpeg)
}

/// Width and height of encoded image bytes.
fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).expect("decodable image");
    (image.width(), image.height())
}

fn files_dir(app: &TestApp) -> PathBuf {
    app.state.config.data_dir.join("files")
}

/// Names in `<data dir>/files`.
fn stored_names(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(files_dir(app))
        .expect("files dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// A GraphQL multipart request (operations, map, one file part).
async fn gql_upload_raw(
    app: &TestApp,
    token: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = multipart::Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string())
        .part(
            "0",
            multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/octet-stream")
                .expect("mime"),
        );
    let mut req = app.http.post(app.url("/graphql")).multipart(form);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.expect("send")
}

/// Upload through GraphQL and return the File.
async fn gql_upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let resp = gql_upload_raw(app, Some(token), name, bytes).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"]["uploadFile"].clone()
}

/// `POST /file/upload`; returns (status, envelope).
async fn compat_upload(
    app: &TestApp,
    token: Option<&str>,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let mut req = app.http.post(app.url("/file/upload")).multipart(form);
    if let Some(token) = token {
        req = req.header("token", token);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json envelope"))
}

/// GET a download path with the token in the `token` header.
async fn download(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(token) = token {
        req = req.header("token", token);
    }
    req.send().await.expect("send")
}

/// Wait (bounded) until `<data dir>/files` is empty: a broken connection is
/// noticed by the server a moment after the client closes it.
async fn wait_for_empty_files_dir(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let names = stored_names(app);
        if names.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "files left behind: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_png_upload_gets_its_dimensions_and_renditions_that_keep_the_aspect() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes = png(1600, 900);
    let file = gql_upload(&app, &alice, "holiday.png", bytes.clone()).await;
    let id = file["fileID"].as_str().expect("fileID").to_owned();
    assert_eq!(id.len(), 32, "{file}");
    assert_eq!(
        file,
        json!({
            "fileID": id,
            "name": "holiday.png",
            "mime": "image/png",
            "size": bytes.len(),
            "url": format!("/files/{id}"),
            "width": 1600,
            "height": 900,
        })
    );
    let resp = download(&app, &format!("/files/{id}"), Some(&alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes);

    let resp = download(&app, &format!("/files/{id}/big"), Some(&alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(dimensions(&resp.bytes().await.expect("body")), (720, 405));
    let resp = download(&app, &format!("/files/{id}/small"), Some(&alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(dimensions(&resp.bytes().await.expect("body")), (198, 111));
}

#[tokio::test]
async fn a_jpeg_uploads_through_the_compat_route_with_the_same_file_fields() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes = jpeg(900, 1600);
    let (status, body) = compat_upload(&app, Some(&alice), "portrait.jpg", bytes.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 0, "{body}");
    let data = &body["data"];
    let id = data["fileID"].as_str().expect("fileID");
    assert_eq!(data["name"], "portrait.jpg");
    assert_eq!(data["mime"], "image/jpeg");
    assert_eq!(data["size"], bytes.len());
    assert_eq!(data["url"], format!("/files/{id}"));
    assert_eq!(
        (data["width"].clone(), data["height"].clone()),
        (json!(900), json!(1600))
    );

    let resp = download(&app, &format!("/files/{id}/big"), Some(&alice)).await;
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(dimensions(&resp.bytes().await.expect("body")), (405, 720));
    let resp = download(&app, &format!("/files/{id}/small"), Some(&alice)).await;
    assert_eq!(dimensions(&resp.bytes().await.expect("body")), (111, 198));
}

#[tokio::test]
async fn renditions_of_a_small_image_are_the_image_itself_never_upscaled() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bytes = png(100, 50);
    let file = gql_upload(&app, &alice, "tiny.png", bytes.clone()).await;
    let id = file["fileID"].as_str().expect("fileID");
    for variant in ["big", "small"] {
        let resp = download(&app, &format!("/files/{id}/{variant}"), Some(&alice)).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.bytes().await.expect("body").to_vec(), bytes);
    }
    assert_eq!(stored_names(&app), vec![id.to_owned()], "one copy on disk");
}

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
async fn a_text_file_named_png_is_a_file_by_its_bytes_and_downloads_as_an_attachment() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let file = gql_upload(
        &app,
        &alice,
        "cat.png",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_ne!(file["mime"], "image/png", "{file}");
    assert_eq!(file["width"], Value::Null);
    assert_eq!(file["name"], "cat.png");
    let id = file["fileID"].as_str().expect("fileID");
    let resp = download(&app, &format!("/files/{id}"), Some(&alice)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"cat.png\"; filename*=UTF-8''cat.png"
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        download(&app, &format!("/files/{id}/big"), Some(&alice))
            .await
            .status(),
        404,
        "renditions are for images only"
    );
}

#[tokio::test]
async fn path_traversal_in_a_file_name_is_only_a_display_name() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let (status, body) = compat_upload(
        &app,
        Some(&alice),
        "../../etc/passwd",
        b"root:x:0:0".to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["name"], "passwd");
    let file = gql_upload(&app, &alice, "..\\..\\boot.ini", b"[boot]".to_vec()).await;
    assert_eq!(file["name"], "boot.ini");
    for name in stored_names(&app) {
        assert!(
            name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "only server-made names on disk, got {name}"
        );
    }
    assert!(!app.state.config.data_dir.join("etc").exists());
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
    let resp = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&alice)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 413);

    // A map naming a file that never comes.
    let form = multipart::Form::new()
        .text(
            "operations",
            json!({ "query": UPLOAD, "variables": { "f": null } }).to_string(),
        )
        .text("map", json!({ "0": ["variables.f"] }).to_string());
    let resp = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&alice)
        .multipart(form)
        .send()
        .await
        .expect("send");
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

// ---- media messages (the files they carry become visible to the conversation) ----

const MEDIA_SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID type payload { __typename \
    ... on ImageElem { uuid imageFormat imageInfoArray { type width height size url } } \
    ... on SoundElem { uuid url size second } \
    ... on VideoFileElem { videoUUID videoUrl videoSize videoSecond videoFormat thumbUUID thumbUrl thumbWidth thumbHeight } \
    ... on FileElem { uuid fileName fileUrl fileSize } } } }";

/// The first bytes of an MP3 with an ID3 tag, padded.
fn mp3() -> Vec<u8> {
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend([0xFF, 0xFB, 0x90, 0x64]);
    bytes.extend(vec![0u8; 2000]);
    bytes
}

/// The first bytes of an MP4 (`ftyp` box, brand `isom`), padded.
fn mp4() -> Vec<u8> {
    let mut bytes = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2".to_vec();
    bytes.extend(vec![0u8; 3000]);
    bytes
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec()
}

/// Send a media payload from `token` to `to`; returns the GraphQL body.
async fn send_media(app: &TestApp, token: &str, to: &str, payload: Value) -> Value {
    app.gql(
        Some(token),
        MEDIA_SEND,
        json!({ "m": { "to": to, "conversationType": "C2C", "payload": payload } }),
    )
    .await
}

fn id_of(file: &Value) -> String {
    file["fileID"].as_str().expect("fileID").to_owned()
}

#[tokio::test]
async fn media_messages_carry_server_filled_payloads_and_open_their_files_to_the_recipient() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let photo_bytes = png(1600, 900);
    let photo = gql_upload(&app, &alice, "photo.png", photo_bytes.clone()).await;
    let voice = gql_upload(&app, &alice, "voice.mp3", mp3()).await;
    let clip = gql_upload(&app, &alice, "clip.mp4", mp4()).await;
    let thumb = gql_upload(&app, &alice, "thumb.png", png(320, 180)).await;
    let report = gql_upload(&app, &alice, "report.pdf", pdf()).await;
    assert_eq!(voice["mime"], "audio/mpeg");
    assert_eq!(clip["mime"], "video/mp4");
    assert_eq!(report["mime"], "application/pdf");
    let (photo_id, voice_id, clip_id, thumb_id, report_id) = (
        id_of(&photo),
        id_of(&voice),
        id_of(&clip),
        id_of(&thumb),
        id_of(&report),
    );
    // Before any message carries them, only alice can read them.
    for id in [&photo_id, &voice_id, &clip_id, &thumb_id, &report_id] {
        let path = format!("/files/{id}");
        assert_eq!(download(&app, &path, Some(&bob)).await.status(), 404);
    }

    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "image": { "fileID": photo_id } }),
    )
    .await;
    let message = &body["data"]["sendMessage"];
    assert_eq!(message["type"], "TIMImageElem", "{body}");
    assert_eq!(
        message["payload"],
        json!({
            "__typename": "ImageElem",
            "uuid": photo_id,
            "imageFormat": 3,
            "imageInfoArray": [
                { "type": 0, "width": 1600, "height": 900, "size": photo_bytes.len(), "url": format!("/files/{photo_id}") },
                { "type": 1, "width": 720, "height": 405, "size": message["payload"]["imageInfoArray"][1]["size"], "url": format!("/files/{photo_id}/big") },
                { "type": 2, "width": 198, "height": 111, "size": message["payload"]["imageInfoArray"][2]["size"], "url": format!("/files/{photo_id}/small") },
            ],
        })
    );
    let big = download(&app, &format!("/files/{photo_id}/big"), Some(&bob)).await;
    assert_eq!(big.status(), 200);
    let big = big.bytes().await.expect("body");
    assert_eq!(
        message["payload"]["imageInfoArray"][1]["size"],
        big.len(),
        "the big size is the rendition's"
    );

    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "audio": { "fileID": voice_id, "second": 12 } }),
    )
    .await;
    assert_eq!(
        body["data"]["sendMessage"]["payload"],
        json!({ "__typename": "SoundElem", "uuid": voice_id, "url": format!("/files/{voice_id}"), "size": mp3().len(), "second": 12 }),
        "{body}"
    );

    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "video": { "fileID": clip_id, "second": 30, "thumbFileID": thumb_id } }),
    )
    .await;
    assert_eq!(
        body["data"]["sendMessage"]["payload"],
        json!({
            "__typename": "VideoFileElem",
            "videoUUID": clip_id,
            "videoUrl": format!("/files/{clip_id}"),
            "videoSize": mp4().len(),
            "videoSecond": 30,
            "videoFormat": "mp4",
            "thumbUUID": thumb_id,
            "thumbUrl": format!("/files/{thumb_id}"),
            "thumbWidth": 320,
            "thumbHeight": 180,
        }),
        "{body}"
    );

    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "file": { "fileID": report_id } }),
    )
    .await;
    assert_eq!(
        body["data"]["sendMessage"]["payload"],
        json!({ "__typename": "FileElem", "uuid": report_id, "fileName": "report.pdf", "fileUrl": format!("/files/{report_id}"), "fileSize": pdf().len() }),
        "{body}"
    );

    for id in [&photo_id, &voice_id, &clip_id, &thumb_id, &report_id] {
        let path = format!("/files/{id}");
        assert_eq!(
            download(&app, &path, Some(&bob)).await.status(),
            200,
            "bob reads {id}"
        );
        assert_eq!(
            download(&app, &path, Some(&carol)).await.status(),
            404,
            "carol does not"
        );
    }
    let resp = download(&app, &format!("/files/{clip_id}"), Some(&bob)).await;
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("inline;"));
    let resp = download(&app, &format!("/files/{report_id}"), Some(&bob)).await;
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .starts_with("attachment;"));
    assert_eq!(
        download(&app, &format!("/files/{photo_id}/small"), Some(&carol))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn compat_media_messages_open_their_files_only_once_sent() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let (status, body) = compat_upload(&app, Some(&alice), "photo.jpg", jpeg(800, 600)).await;
    assert_eq!(status, 200, "{body}");
    let photo_id = body["data"]["fileID"].as_str().expect("fileID").to_owned();
    let path = format!("/files/{photo_id}");

    let (status, created) = app
        .compat(
            Some(&alice),
            "/message/createMessage",
            json!({ "to": "bob", "conversationType": "C2C", "type": "TIMImageElem", "payload": { "fileID": photo_id } }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let payload = &created["data"]["payload"];
    assert_eq!(payload["uuid"], photo_id.as_str(), "{created}");
    assert_eq!(payload["imageFormat"], 1);
    assert_eq!(payload["imageInfoArray"][1]["width"], 720);
    assert_eq!(payload["imageInfoArray"][1]["height"], 540);
    assert_eq!(
        download(&app, &path, Some(&bob)).await.status(),
        404,
        "an unsent message opens nothing"
    );

    let (status, sent) = app
        .compat(
            Some(&alice),
            "/message/sendMessage",
            json!({ "ID": created["data"]["ID"] }),
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(download(&app, &path, Some(&bob)).await.status(), 200);
    let resp = app
        .http
        .get(app.url(&format!("{path}/small?token={bob}")))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(dimensions(&resp.bytes().await.expect("body")), (198, 149));
    assert_eq!(download(&app, &path, Some(&carol)).await.status(), 404);

    // The seed's file shape: the kind follows from the `file` field.
    let (_, body) = compat_upload(&app, Some(&alice), "notes.txt", b"hello".to_vec()).await;
    let notes_id = body["data"]["fileID"].as_str().expect("fileID").to_owned();
    let (status, created) = app
        .compat(
            Some(&alice),
            "/message/createMessage",
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "file": notes_id } }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["data"]["type"], "TIMFileElem");
    assert_eq!(created["data"]["payload"]["fileName"], "notes.txt");
    app.compat(
        Some(&alice),
        "/message/sendMessage",
        json!({ "ID": created["data"]["ID"] }),
    )
    .await;
    assert_eq!(
        download(&app, &format!("/files/{notes_id}"), Some(&bob))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn media_messages_check_ownership_kind_and_the_kinds_size_limit() {
    let app = spawn_app_with(|c| c.max_image_bytes = 20 * 1024).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let report = id_of(&gql_upload(&app, &alice, "report.pdf", pdf()).await);
    let bobs = id_of(&gql_upload(&app, &bob, "b.png", png(10, 10)).await);
    let clip = id_of(&gql_upload(&app, &alice, "clip.mp4", mp4()).await);
    // Over the image limit (but not the file limit): an image by its bytes, too big to send as one.
    let large_bytes = picture(400, 400, ImageFormat::Bmp);
    assert!(large_bytes.len() > 20 * 1024);
    let large = gql_upload(&app, &alice, "large.bmp", large_bytes).await;
    assert_eq!(
        (large["mime"].clone(), large["width"].clone()),
        (json!("image/bmp"), json!(400))
    );
    let large = id_of(&large);

    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();
    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "image": { "fileID": report } }),
    )
    .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("fileID"),
        "{body}"
    );
    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "audio": { "fileID": clip, "second": 1 } }),
    )
    .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let body = send_media(&app, &alice, "bob", json!({ "image": { "fileID": bobs } })).await;
    assert_eq!(code(&body), "NOT_FOUND", "someone else's upload: {body}");
    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "file": { "fileID": "0123456789abcdef0123456789abcdef" } }),
    )
    .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = send_media(
        &app,
        &alice,
        "bob",
        json!({ "video": { "fileID": clip, "second": 3, "thumbFileID": report } }),
    )
    .await;
    assert_eq!(
        code(&body),
        "BAD_USER_INPUT",
        "a thumb must be an image: {body}"
    );
    let body = send_media(&app, &alice, "bob", json!({ "image": { "fileID": large } })).await;
    assert_eq!(code(&body), "PAYLOAD_TOO_LARGE", "{body}");
    let body = send_media(&app, &alice, "bob", json!({ "file": { "fileID": large } })).await;
    assert!(
        body.get("errors").is_none(),
        "any file travels as a file: {body}"
    );
    assert_eq!(body["data"]["sendMessage"]["type"], "TIMFileElem");
    assert_eq!(
        download(&app, &format!("/files/{bobs}"), Some(&alice))
            .await
            .status(),
        404,
        "naming someone else's file opened nothing"
    );
}
