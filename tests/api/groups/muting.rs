//! Muting members one by one or all at once, and the messages a muted member
//! tried to send.

use serde_json::json;

use crate::{
    groups::support::{
        fill_live_room, history, one_of_each, send_group_text, send_group_text_err, tips, MUTE,
        UPDATE,
    },
    helpers::{compat_ok, err, ok, seed_users, spawn_app},
};

#[tokio::test]
async fn muted_members_cannot_send_and_their_messages_are_stored_as_failed() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ben"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    // Work groups have no muting.
    assert_eq!(
        err(
            &app,
            owner,
            MUTE,
            json!({ "g": "work", "u": "mia", "t": 60 })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            owner,
            UPDATE,
            json!({ "i": { "groupID": "work", "muteAllMembers": true } })
        )
        .await,
        "FORBIDDEN"
    );
    for id in ["pub", "meet", "comm"] {
        // Admins mute ordinary members, not admins; nobody mutes themselves.
        assert_eq!(
            err(&app, mia, MUTE, json!({ "g": id, "u": "adam", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, admin, MUTE, json!({ "g": id, "u": "adam", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, owner, MUTE, json!({ "g": id, "u": "olive", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        let muted = ok(&app, admin, MUTE, json!({ "g": id, "u": "mia", "t": 60 })).await;
        assert!(
            muted["setGroupMemberMuteTime"]["muteUntil"]
                .as_i64()
                .unwrap_or(0)
                > 1_700_000_000
        );
        assert_eq!(
            send_group_text_err(&app, mia, id, "shh").await,
            "MUTED",
            "{id}"
        );
        let tip = tips(&app, owner, id).await.pop().expect("tip");
        assert_eq!(tip["operationType"], 7);
        assert_eq!(
            tip["memberList"],
            json!([{ "userID": "mia", "muteTime": 60 }])
        );
        ok(&app, admin, MUTE, json!({ "g": id, "u": "mia", "t": 0 })).await;
        send_group_text(&app, mia, id, "back").await;
    }
    // AVChatRoom: the owner mutes.
    assert_eq!(
        err(
            &app,
            admin,
            MUTE,
            json!({ "g": "live", "u": "mia", "t": 60 })
        )
        .await,
        "FORBIDDEN"
    );
    ok(
        &app,
        owner,
        MUTE,
        json!({ "g": "live", "u": "mia", "t": 60 }),
    )
    .await;
    assert_eq!(send_group_text_err(&app, mia, "live", "shh").await, "MUTED");
    // The refused message is kept as `fail` for its sender and can be resent once unmuted.
    let mine = history(&app, mia, "GROUPpub").await;
    let failed = mine
        .iter()
        .find(|m| m["status"] == "fail")
        .expect("failed message");
    assert_eq!(failed["payload"]["text"], "shh");
    let id = failed["ID"].as_str().expect("id").to_owned();
    assert!(history(&app, owner, "GROUPpub")
        .await
        .iter()
        .all(|m| m["ID"] != id.as_str()));
    let resent = ok(
        &app,
        mia,
        &format!("mutation {{ resendMessage(messageID: \"{id}\") {{ status }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(resent["resendMessage"]["status"], "success");
    // Compat: MUTED is 10017; the mute route answers `{group, member}`.
    let data = compat_ok(
        &app,
        admin,
        "/groupMember/setGroupMemberMuteTime",
        json!({ "groupID": "pub", "userID": "mia", "muteTime": "30" }),
    )
    .await;
    assert_eq!(data["member"]["userID"], "mia");
    assert_eq!(data["group"]["groupID"], "pub");
    let (status, body) = app.compat(Some(mia), "/message/sendMessage", json!({ "message": { "to": "pub", "conversationType": "GROUP", "payload": { "text": "hi" } } })).await;
    assert_eq!((status, body["code"].clone()), (403, json!(10017)));
}

#[tokio::test]
async fn mute_all_members_mutes_everyone_but_the_owner_and_admins() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    // muteAllMembers mutes everyone but the owner and admins.
    assert_eq!(
        err(
            &app,
            mia,
            UPDATE,
            json!({ "i": { "groupID": "pub", "muteAllMembers": true } })
        )
        .await,
        "FORBIDDEN"
    );
    let all = ok(
        &app,
        admin,
        UPDATE,
        json!({ "i": { "groupID": "pub", "muteAllMembers": true } }),
    )
    .await;
    assert_eq!(all["updateGroupProfile"]["muteAllMembers"], true);
    assert_eq!(send_group_text_err(&app, mia, "pub", "x").await, "MUTED");
    send_group_text(&app, admin, "pub", "admins talk").await;
    send_group_text(&app, owner, "pub", "owners talk").await;
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "muteAllMembers": false } }),
    )
    .await;
    send_group_text(&app, mia, "pub", "free again").await;
}

#[tokio::test]
async fn mute_times_are_checked_and_only_members_are_muted() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ben"]).await;
    let owner = &t[0];
    one_of_each(&app, owner).await;
    assert_eq!(
        err(
            &app,
            owner,
            MUTE,
            json!({ "g": "pub", "u": "mia", "t": -1 })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, owner, MUTE, json!({ "g": "pub", "u": "ben", "t": 5 })).await,
        "NOT_GROUP_MEMBER"
    );
}
