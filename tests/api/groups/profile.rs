//! Group profiles: who may change them by type, and what search by ID shows
//! to non-members.

use serde_json::{json, Value};

use crate::{
    groups::support::{fill_live_room, one_of_each, tips, PROFILE, UPDATE},
    helpers::{assert_codes, compat_err, compat_ok, err, ok, seed_users, spawn_app},
};

#[tokio::test]
async fn who_may_change_the_profile_depends_on_the_type() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    // Private: any member.
    let changed = ok(
        &app,
        mia,
        UPDATE,
        json!({ "i": { "groupID": "work", "name": "Workers", "notification": "n" } }),
    )
    .await;
    assert_eq!(changed["updateGroupProfile"]["name"], "Workers");
    for id in ["pub", "meet", "comm"] {
        assert_eq!(
            err(
                &app,
                mia,
                UPDATE,
                json!({ "i": { "groupID": id, "name": "x" } })
            )
            .await,
            "FORBIDDEN",
            "{id}"
        );
        ok(
            &app,
            admin,
            UPDATE,
            json!({ "i": { "groupID": id, "introduction": "by admin" } }),
        )
        .await;
    }
    // AVChatRoom: the owner only.
    assert_eq!(
        err(
            &app,
            admin,
            UPDATE,
            json!({ "i": { "groupID": "live", "name": "x" } })
        )
        .await,
        "FORBIDDEN"
    );
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "live", "name": "Live!" } }),
    )
    .await;
    // joinOption only for Public (and Community); the member limit only by the owner.
    assert_codes(
        &app,
        &[
            (
                owner,
                UPDATE,
                json!({ "i": { "groupID": "meet", "joinOption": "FreeAccess" } }),
                "FORBIDDEN",
            ),
            (
                admin,
                UPDATE,
                json!({ "i": { "groupID": "pub", "maxMemberNum": 10 } }),
                "FORBIDDEN",
            ),
            (
                owner,
                UPDATE,
                json!({ "i": { "groupID": "pub", "maxMemberNum": 2 } }),
                "BAD_USER_INPUT",
            ),
            (
                owner,
                UPDATE,
                json!({ "i": { "groupID": "pub", "name": "" } }),
                "BAD_USER_INPUT",
            ),
        ],
    )
    .await;
    let done = ok(
        &app,
        admin,
        UPDATE,
        json!({ "i": { "groupID": "pub", "joinOption": "FreeAccess", "name": "Pub" } }),
    )
    .await;
    assert_eq!(done["updateGroupProfile"]["joinOption"], "FreeAccess");
    // The tip carries the changed fields and who changed them.
    let tip = tips(&app, mia, "pub").await.pop().expect("tip");
    assert_eq!(tip["operationType"], 6);
    assert_eq!(tip["operatorID"], "adam");
    assert_eq!(tip["newGroupProfile"]["name"], "Pub");
    assert_eq!(tip["newGroupProfile"]["joinOption"], "FreeAccess");
    assert_eq!(tip["newGroupProfile"]["ownerID"], Value::Null);
    // Compat: `{group}`; custom fields as an object; nothing changed means no tip.
    let before = tips(&app, mia, "pub").await.len();
    let data = compat_ok(
        &app,
        admin,
        "/group/updateGroupProfile",
        json!({ "groupID": "pub", "groupCustomField": { "level": "3" } }),
    )
    .await;
    assert_eq!(
        data["group"]["groupCustomField"],
        json!([{ "key": "level", "value": "3" }])
    );
    compat_ok(
        &app,
        admin,
        "/group/updateGroupProfile",
        json!({ "groupID": "pub", "name": "Pub" }),
    )
    .await;
    assert_eq!(tips(&app, mia, "pub").await.len(), before + 1);
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/updateGroupProfile",
            json!({ "groupID": "pub", "name": "x" })
        )
        .await,
        (403, 10007)
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/updateGroupProfile",
            json!({ "groupID": "pub", "bogus": 1 })
        )
        .await,
        (400, 400)
    );
}

#[tokio::test]
async fn every_type_but_work_groups_can_be_found_by_id() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "stranger"]).await;
    let (owner, stranger) = (&t[0], &t[3]);
    one_of_each(&app, owner).await;
    ok(&app, owner, UPDATE, json!({ "i": { "groupID": "pub", "notification": "members only", "groupCustomField": [{ "key": "k", "value": "v" }] } })).await;
    let search = "query($g: String!) { searchGroupByID(groupID: $g) { groupID name type memberCount notification groupCustomField { key } selfInfo { role } nextMessageSeq } }";
    assert_eq!(
        err(&app, stranger, search, json!({ "g": "work" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            stranger,
            "/group/searchGroupByID",
            json!({ "groupID": "work" })
        )
        .await,
        (404, 10010)
    );
    for id in ["pub", "meet", "comm", "live"] {
        let found = ok(&app, stranger, search, json!({ "g": id })).await;
        assert_eq!(found["searchGroupByID"]["groupID"], id);
        assert_eq!(found["searchGroupByID"]["selfInfo"], Value::Null);
    }
    let public = ok(&app, stranger, search, json!({ "g": "pub" })).await;
    assert_eq!(public["searchGroupByID"]["notification"], "");
    assert_eq!(public["searchGroupByID"]["groupCustomField"], json!([]));
    assert_eq!(public["searchGroupByID"]["nextMessageSeq"], 0);
    let data = compat_ok(
        &app,
        stranger,
        "/group/searchGroupByID",
        json!({ "groupID": "meet" }),
    )
    .await;
    assert_eq!(data["group"]["type"], "ChatRoom");
    // Members see their own work group.
    let mine = ok(&app, &t[2], search, json!({ "g": "work" })).await;
    assert_eq!(mine["searchGroupByID"]["selfInfo"]["role"], "Member");
    assert_eq!(
        err(&app, stranger, PROFILE, json!({ "g": "work" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(&app, stranger, search, json!({ "g": "" })).await,
        "BAD_USER_INPUT"
    );
}
