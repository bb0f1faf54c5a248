//! File-specific support: generated images and media bytes, upload and
//! download requests, and a look into the stored files.

use std::{io::Cursor, path::PathBuf, time::Duration};

use image::{DynamicImage, ImageFormat, RgbImage};
use reqwest::multipart;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// `uploadFile` with every File field.
pub const UPLOAD: &str =
    "mutation($f: Upload!) { uploadFile(file: $f) { fileID name mime size url width height } }";

/// `sendMessage` with the payload fields of every media kind.
pub const MEDIA_SEND: &str = "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID type payload { __typename \
    ... on ImageElem { uuid imageFormat imageInfoArray { type width height size url } } \
    ... on SoundElem { uuid url size second } \
    ... on VideoFileElem { videoUUID videoUrl videoSize videoSecond videoFormat thumbUUID thumbUrl thumbWidth thumbHeight } \
    ... on FileElem { uuid fileName fileUrl fileSize } } } }";

/// An image with a gradient (so encoders have something to do).
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

/// A PNG of the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Png)
}

/// A JPEG of the given size.
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Jpeg)
}

/// Width and height of encoded image bytes.
pub fn dimensions(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory(bytes).expect("decodable image");
    (image.width(), image.height())
}

/// `<data dir>/files`, where uploads are stored.
pub fn files_dir(app: &TestApp) -> PathBuf {
    app.state.config.data_dir.join("files")
}

/// Names in `<data dir>/files`.
pub fn stored_names(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(files_dir(app))
        .expect("files dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// A GraphQL multipart request (operations, map, one file part).
pub async fn gql_upload_raw(
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

/// POST a multipart form to `/graphql` as `token`.
pub async fn post_gql_form(app: &TestApp, token: &str, form: multipart::Form) -> reqwest::Response {
    app.http
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("send")
}

/// Upload through GraphQL and return the File.
pub async fn gql_upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let resp = gql_upload_raw(app, Some(token), name, bytes).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"]["uploadFile"].clone()
}

/// `POST /file/upload`; returns (status, envelope).
pub async fn compat_upload(
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
pub async fn download(app: &TestApp, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url(path));
    if let Some(token) = token {
        req = req.header("token", token);
    }
    req.send().await.expect("send")
}

/// Wait (bounded) until `<data dir>/files` is empty: a broken connection is
/// noticed by the server a moment after the client closes it.
pub async fn wait_for_empty_files_dir(app: &TestApp) {
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

/// The first bytes of an MP3 with an ID3 tag, padded.
pub fn mp3() -> Vec<u8> {
    let mut bytes = b"ID3\x04\x00\x00\x00\x00\x00\x00".to_vec();
    bytes.extend([0xFF, 0xFB, 0x90, 0x64]);
    bytes.extend(vec![0u8; 2000]);
    bytes
}

/// The first bytes of an MP4 (`ftyp` box, brand `isom`), padded.
pub fn mp4() -> Vec<u8> {
    let mut bytes = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2".to_vec();
    bytes.extend(vec![0u8; 3000]);
    bytes
}

/// A minimal PDF.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".to_vec()
}

/// Send a media payload from `token` to `to`; returns the GraphQL body.
pub async fn send_media(app: &TestApp, token: &str, to: &str, payload: Value) -> Value {
    app.gql(
        Some(token),
        MEDIA_SEND,
        json!({ "m": { "to": to, "conversationType": "C2C", "payload": payload } }),
    )
    .await
}

/// The `fileID` of an uploaded File.
pub fn id_of(file: &Value) -> String {
    file["fileID"].as_str().expect("fileID").to_owned()
}
