//! Media messages: the files they carry become visible to the conversation.

use image::ImageFormat;
use serde_json::{json, Value};

use crate::{
    files::support::{
        compat_upload, dimensions, download, gql_upload, id_of, jpeg, mp3, mp4, pdf, picture, png,
        send_media,
    },
    helpers::{spawn_app, spawn_app_with},
};

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
