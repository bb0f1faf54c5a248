//! Uploading: type detection by bytes, image dimensions and renditions, and
//! file names that are only display names.

use serde_json::{json, Value};

use crate::{
    files::support::{compat_upload, dimensions, download, gql_upload, jpeg, png, stored_names},
    helpers::spawn_app,
};

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
