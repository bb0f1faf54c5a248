//! What one user's uploads may cost: the storage quota, bounded multipart part
//! headers and the pixel cap of images.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    files::support::{compat_upload, gql_upload, gql_upload_raw, stored_names},
    helpers::{spawn_app, spawn_app_with, TestApp},
};

/// The GraphQL error code of an upload response, with its status.
async fn gql_refusal(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("json");
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code)
}

#[tokio::test]
async fn uploads_over_the_users_quota_are_refused_before_they_are_stored() {
    let app = spawn_app_with(|c| c.upload_quota_bytes = 100_000).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    gql_upload(&app, &alice, "a.bin", vec![1u8; 60_000]).await;
    let before = stored_names(&app).len();

    let resp = gql_upload_raw(&app, Some(&alice), "b.bin", vec![2u8; 60_000]).await;
    assert_eq!(gql_refusal(resp).await, (413, "PAYLOAD_TOO_LARGE".into()));
    let (status, body) = compat_upload(&app, Some(&alice), "b.bin", vec![2u8; 60_000]).await;
    assert_eq!((status, body["code"].as_i64()), (413, Some(413)), "{body}");
    assert_eq!(stored_names(&app).len(), before, "nothing of them stored");

    // What is left still fits, and the quota is per user.
    gql_upload(&app, &alice, "c.bin", vec![3u8; 40_000]).await;
    let resp = gql_upload_raw(&app, Some(&alice), "d.bin", vec![4u8; 1]).await;
    assert_eq!(gql_refusal(resp).await, (413, "PAYLOAD_TOO_LARGE".into()));
    gql_upload(&app, &bob, "e.bin", vec![5u8; 60_000]).await;
}

/// Send an upload whose first part's headers never end, then wait (bounded)
/// for the answer's status line.
async fn endless_part_headers(app: &TestApp, token: &str, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ntoken: {token}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: 4000000\r\n\r\n--b\r\ncontent-disposition: form-data; name=\"file\"; filename=\"a\"\r\nx-junk: "
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    // 64 KiB of one header line, then nothing: the connection stays open.
    stream
        .write_all(&vec![b'a'; 64 * 1024])
        .await
        .expect("write junk");
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer while the part headers go on");
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_part_whose_headers_never_end_is_refused_at_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    for path in ["/file/upload", "/graphql"] {
        let status = endless_part_headers(&app, &alice, path).await;
        assert!(status.starts_with("HTTP/1.1 413"), "{path}: {status}");
    }
}

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small PNG whose header claims `width` x `height` pixels.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes: far too little for the claimed size.
    chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    );
    chunk(b"IEND", &[]);
    out
}

#[tokio::test]
async fn an_image_claiming_too_many_pixels_is_refused_from_its_header() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bomb = png_claiming(20_000, 20_000);
    assert!(bomb.len() < 100);
    // Refused by the resolver (a field error, so HTTP 200), nothing decoded.
    let resp = gql_upload_raw(&app, Some(&alice), "bomb.png", bomb.clone()).await;
    assert_eq!(gql_refusal(resp).await, (200, "PAYLOAD_TOO_LARGE".into()));
    let (status, body) = compat_upload(&app, Some(&alice), "bomb.png", bomb).await;
    assert_eq!((status, body["code"].as_i64()), (413, Some(413)), "{body}");
    assert!(stored_names(&app).is_empty());
}
