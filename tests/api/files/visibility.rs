//! Downloads follow history: a file opens to a viewer only while a sent,
//! unrevoked message carrying it is in their history (group join floors,
//! `deleteConversation`, revokes, AVChatRooms).

use serde_json::{json, Value};

use crate::{
    files::support::{download, gql_upload, id_of, png, MEDIA_SEND},
    groups::support::{create_group, ADD, JOIN},
    helpers::{ok, seed_users, spawn_app, TestApp},
};

/// Send an image message to a group; returns the message ID.
async fn send_group_image(app: &TestApp, token: &str, group: &str, file_id: &str) -> String {
    let data = ok(
        app,
        token,
        MEDIA_SEND,
        json!({ "m": { "to": group, "conversationType": "GROUP", "payload": { "image": { "fileID": file_id } } } }),
    )
    .await;
    data["sendMessage"]["ID"].as_str().expect("ID").to_owned()
}

/// Statuses of the original, `big` and `small` downloads of `file_id` for `token`.
async fn statuses(app: &TestApp, token: &str, file_id: &str) -> Vec<u16> {
    let mut out = Vec::new();
    for suffix in ["", "/big", "/small"] {
        let path = format!("/files/{file_id}{suffix}");
        out.push(download(app, &path, Some(token)).await.status().as_u16());
    }
    out
}

#[tokio::test]
async fn a_private_group_member_who_joined_after_an_image_cannot_download_it() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "ann", "late"]).await;
    let (owner, ann, late) = (&t[0], &t[1], &t[2]);
    create_group(
        &app,
        owner,
        json!({ "name": "w", "groupID": "work", "type": "Private", "memberList": [{ "userID": "ann" }] }),
    )
    .await;
    let early = id_of(&gql_upload(&app, owner, "early.png", png(1000, 800)).await);
    send_group_image(&app, owner, "work", &early).await;
    ok(&app, owner, ADD, json!({ "g": "work", "u": ["late"] })).await;

    assert_eq!(statuses(&app, ann, &early).await, [200; 3]);
    assert_eq!(statuses(&app, owner, &early).await, [200; 3]);
    assert_eq!(
        statuses(&app, late, &early).await,
        [404; 3],
        "sent before `late` joined, so not in their history"
    );

    // Sent again after the join, it is in their history.
    send_group_image(&app, owner, "work", &early).await;
    assert_eq!(statuses(&app, late, &early).await, [200; 3]);
}

#[tokio::test]
async fn deleting_a_conversation_or_revoking_the_message_closes_the_file() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    let send = |to: &'static str, file: String| {
        let app = &app;
        async move {
            let body: Value = app
                .gql(
                    Some(alice),
                    MEDIA_SEND,
                    json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "image": { "fileID": file } } } }),
                )
                .await;
            body["data"]["sendMessage"]["ID"]
                .as_str()
                .expect("ID")
                .to_owned()
        }
    };
    let photo = id_of(&gql_upload(&app, alice, "p.png", png(64, 64)).await);
    send("bob", photo.clone()).await;
    assert_eq!(statuses(&app, bob, &photo).await, [200; 3]);
    ok(
        &app,
        bob,
        "mutation { deleteConversation(conversationID: \"C2Calice\") }",
        json!({}),
    )
    .await;
    assert_eq!(
        statuses(&app, bob, &photo).await,
        [404; 3],
        "cleared from bob's history"
    );
    assert_eq!(
        statuses(&app, alice, &photo).await,
        [200; 3],
        "the uploader"
    );

    let other = id_of(&gql_upload(&app, alice, "q.png", png(64, 64)).await);
    let id = send("carol", other.clone()).await;
    assert_eq!(statuses(&app, carol, &other).await, [200; 3]);
    ok(
        &app,
        alice,
        &format!("mutation {{ revokeMessage(messageID: \"{id}\") {{ ID }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(
        statuses(&app, carol, &other).await,
        [404; 3],
        "a revoked message carries nothing"
    );
}

#[tokio::test]
async fn an_avchatroom_member_downloads_what_was_sent_since_they_joined() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "jo", "late"]).await;
    let (owner, jo, late) = (&t[0], &t[1], &t[2]);
    create_group(
        &app,
        owner,
        json!({ "name": "a", "groupID": "live", "type": "AVChatRoom" }),
    )
    .await;
    ok(&app, jo, JOIN, json!({ "g": "live" })).await;
    let photo = id_of(&gql_upload(&app, owner, "p.png", png(64, 64)).await);
    send_group_image(&app, owner, "live", &photo).await;
    ok(&app, late, JOIN, json!({ "g": "live" })).await;
    assert_eq!(statuses(&app, jo, &photo).await, [200; 3]);
    assert_eq!(statuses(&app, late, &photo).await, [404; 3]);
}
