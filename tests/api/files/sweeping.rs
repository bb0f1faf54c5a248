//! Uploads that no message refers to are deleted after
//! `IMGQL_UNATTACHED_FILE_TTL`; those carried by a sent, unsent or failed
//! message stay.

use std::time::Duration;

use serde_json::json;

use crate::{
    files::support::{download, gql_upload, id_of, send_media, stored_names},
    helpers::{ok, spawn_app_with},
};

#[tokio::test]
async fn an_unattached_upload_is_deleted_after_the_ttl_and_attached_ones_stay() {
    let app = spawn_app_with(|c| {
        c.unattached_file_ttl = 1;
        c.unattached_file_sweep_interval = Some(1);
    })
    .await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    ok(
        &app,
        &carol,
        "mutation($l: [String!]!) { addToBlacklist(userIDList: $l) }",
        json!({ "l": ["alice"] }),
    )
    .await;

    let sent = id_of(&gql_upload(&app, &alice, "sent.bin", b"sent".to_vec()).await);
    let body = send_media(&app, &alice, "bob", json!({ "file": { "fileID": sent } })).await;
    assert!(body.get("errors").is_none(), "{body}");

    let unsent = id_of(&gql_upload(&app, &alice, "unsent.bin", b"unsent".to_vec()).await);
    ok(
        &app,
        &alice,
        "mutation($f: String!) { createMessage(input: { to: \"bob\", conversationType: C2C, payload: { file: { fileID: $f } } }) { ID } }",
        json!({ "f": unsent }),
    )
    .await;

    let failed = id_of(&gql_upload(&app, &alice, "failed.bin", b"failed".to_vec()).await);
    let body = send_media(
        &app,
        &alice,
        "carol",
        json!({ "file": { "fileID": failed } }),
    )
    .await;
    assert!(body.get("errors").is_some(), "carol blocks alice: {body}");

    // Uploaded last, so every sweep that finds it old enough found the others too.
    let loose = id_of(&gql_upload(&app, &alice, "loose.bin", b"loose".to_vec()).await);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let status = download(&app, &format!("/files/{loose}"), Some(&alice))
            .await
            .status();
        if status == 404 {
            break;
        }
        assert_eq!(status, 200);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the unattached upload is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let names = stored_names(&app);
    assert!(
        !names.iter().any(|n| n.starts_with(&loose)),
        "its bytes went too: {names:?}"
    );
    for id in [&sent, &unsent, &failed] {
        assert_eq!(
            download(&app, &format!("/files/{id}"), Some(&alice))
                .await
                .status(),
            200,
            "{id} is named by a message"
        );
        assert!(names.iter().any(|n| n.starts_with(id.as_str())));
    }
    assert_eq!(
        download(&app, &format!("/files/{sent}"), Some(&bob))
            .await
            .status(),
        200
    );
}
