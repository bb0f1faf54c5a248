//! The rules table for members by type: who may add and remove members, and
//! which types have admins, appointed by the owner only.

use serde_json::json;

use crate::{
    groups::support::{
        add, fill_live_room, make_admin, notices, one_of_each, tips, ADD, REMOVE, SET_ROLE, UPDATE,
    },
    helpers::{assert_codes, compat_err, compat_ok, err, ok, seed_users, spawn_app},
};

#[tokio::test]
async fn who_may_add_members_depends_on_the_type() {
    let app = spawn_app().await;
    let t = seed_users(
        &app,
        &[
            "olive", "adam", "mia", "new1", "new2", "new3", "new4", "new5", "blocker",
        ],
    )
    .await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    // Private: any member adds.
    let added = add(&app, mia, "work", &["new1"]).await;
    assert_eq!(added["successUserIDList"], json!(["new1"]));
    // Public, ChatRoom, Community: owner and admins only.
    for id in ["pub", "meet", "comm"] {
        assert_eq!(
            err(&app, mia, ADD, json!({ "g": id, "u": ["new2"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            add(&app, admin, id, &["new2"]).await["successUserIDList"],
            json!(["new2"]),
            "{id}"
        );
    }
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/groupMember/addGroupMember",
            json!({ "groupID": "pub", "userIDList": ["new3"] })
        )
        .await,
        (403, 10007)
    );
    // AVChatRoom: nobody, not even the owner.
    assert_eq!(
        err(&app, owner, ADD, json!({ "g": "live", "u": ["new3"] })).await,
        "FORBIDDEN"
    );
    // Existing members, unknown users and users who blacklisted the adder.
    ok(
        &app,
        &t[8],
        "mutation { addToBlacklist(userIDList: [\"olive\"]) }",
        json!({}),
    )
    .await;
    let mixed = add(
        &app,
        owner,
        "pub",
        &["new2", "ghost", "blocker", "new4", "new4"],
    )
    .await;
    assert_eq!(mixed["successUserIDList"], json!(["new4"]));
    assert_eq!(mixed["existedUserIDList"], json!(["new2"]));
    assert_eq!(mixed["failureUserIDList"], json!(["ghost", "blocker"]));
    assert_eq!(mixed["group"]["memberCount"], 5);
    // Compat: the same fields, also under /group/.
    let data = compat_ok(
        &app,
        owner,
        "/group/addGroupMember",
        json!({ "groupID": "pub", "userIDList": ["new5", "new4"] }),
    )
    .await;
    assert_eq!(data["successUserIDList"], json!(["new5"]));
    assert_eq!(data["existedUserIDList"], json!(["new4"]));
    assert_eq!(data["failureUserIDList"], json!([]));
    assert_eq!(data["group"]["memberCount"], 6);
    // The added are told (7) and the group gets a tip naming the adder.
    assert_eq!(
        notices(&app, &t[7]).await.pop().expect("notice")["operationType"],
        7
    );
    let tip = tips(&app, owner, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(1), json!("olive"), json!(["new5"]))
    );
    // A full group takes nobody.
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "maxMemberNum": 6 } }),
    )
    .await;
    assert_eq!(
        err(&app, owner, ADD, json!({ "g": "pub", "u": ["new3"] })).await,
        "GROUP_FULL"
    );
    assert_eq!(
        err(&app, &t[3], ADD, json!({ "g": "pub", "u": ["new3"] })).await,
        "NOT_GROUP_MEMBER"
    );
}

#[tokio::test]
async fn only_types_with_admins_have_them_and_only_the_owner_appoints() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for id in ["work", "live"] {
        assert_eq!(
            err(
                &app,
                owner,
                SET_ROLE,
                json!({ "g": id, "u": "mia", "r": "Admin" })
            )
            .await,
            "FORBIDDEN",
            "{id}"
        );
    }
    for id in ["pub", "meet", "comm"] {
        let made = ok(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": id, "u": "mia", "r": "Admin" }),
        )
        .await;
        assert_eq!(
            made["setGroupMemberRole"],
            json!({ "userID": "mia", "role": "Admin" })
        );
        // The member is told (9), the group gets tip 4; cancelling is tip 5 and notice 10.
        assert_eq!(
            notices(&app, mia).await.pop().expect("notice")["operationType"],
            9
        );
        assert_eq!(
            tips(&app, mia, id).await.pop().expect("tip")["operationType"],
            4
        );
        ok(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": id, "u": "mia", "r": "Member" }),
        )
        .await;
        assert_eq!(
            notices(&app, mia).await.pop().expect("notice")["operationType"],
            10
        );
        let tip = tips(&app, mia, id).await.pop().expect("tip");
        assert_eq!(
            (tip["operationType"].clone(), tip["userIDList"].clone()),
            (json!(5), json!(["mia"]))
        );
    }
    assert_codes(
        &app,
        &[
            (
                admin,
                SET_ROLE,
                json!({ "g": "pub", "u": "mia", "r": "Admin" }),
                "FORBIDDEN",
            ),
            (
                owner,
                SET_ROLE,
                json!({ "g": "pub", "u": "olive", "r": "Member" }),
                "FORBIDDEN",
            ),
            (
                owner,
                SET_ROLE,
                json!({ "g": "pub", "u": "mia", "r": "Owner" }),
                "BAD_USER_INPUT",
            ),
            (
                owner,
                SET_ROLE,
                json!({ "g": "pub", "u": "ghost", "r": "Admin" }),
                "NOT_GROUP_MEMBER",
            ),
        ],
    )
    .await;
    let data = compat_ok(
        &app,
        owner,
        "/groupMember/setGroupMemberRole",
        json!({ "groupID": "pub", "userID": "mia", "role": "Admin" }),
    )
    .await;
    assert_eq!(data["member"]["role"], "Admin");
    assert_eq!(data["group"]["groupID"], "pub");
    assert_eq!(
        compat_err(
            &app,
            admin,
            "/group/setGroupMemberRole",
            json!({ "groupID": "pub", "userID": "mia", "role": "Member" })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn who_may_remove_members_depends_on_the_type_and_roles() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ann", "ben"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    // Private: the owner only.
    assert_eq!(
        err(&app, mia, REMOVE, json!({ "g": "work", "u": ["adam"] })).await,
        "FORBIDDEN"
    );
    let removed = ok(
        &app,
        owner,
        REMOVE,
        json!({ "g": "work", "u": ["adam", "nobody"], "r": "bye" }),
    )
    .await;
    assert_eq!(
        removed["deleteGroupMember"],
        json!({ "userIDList": ["adam"], "group": { "memberCount": 2 } })
    );
    let kicked = notices(&app, admin).await.pop().expect("notice");
    assert_eq!(
        (
            kicked["operationType"].clone(),
            kicked["operatorID"].clone(),
            kicked["handleMessage"].clone()
        ),
        (json!(4), json!("olive"), json!("bye"))
    );
    let tip = tips(&app, mia, "work").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["userIDList"].clone(),
            tip["memberCount"].clone()
        ),
        (json!(3), json!(["adam"]), json!(2))
    );
    // Others: the owner anyone, admins ordinary members only, members nobody.
    for id in ["pub", "meet", "comm"] {
        add(&app, owner, id, &["ann", "ben"]).await;
        assert_eq!(
            err(&app, mia, REMOVE, json!({ "g": id, "u": ["ann"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, admin, REMOVE, json!({ "g": id, "u": ["olive"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        ok(&app, admin, REMOVE, json!({ "g": id, "u": ["ann"] })).await;
        make_admin(&app, owner, id, "ben").await;
        assert_eq!(
            err(&app, admin, REMOVE, json!({ "g": id, "u": ["ben"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        ok(&app, owner, REMOVE, json!({ "g": id, "u": ["ben"] })).await;
    }
    // AVChatRoom: the owner.
    assert_eq!(
        err(&app, admin, REMOVE, json!({ "g": "live", "u": ["mia"] })).await,
        "FORBIDDEN"
    );
    ok(&app, owner, REMOVE, json!({ "g": "live", "u": ["mia"] })).await;
    // Nobody removes themselves this way; compat answers `{userIDList, group}` under both prefixes.
    assert_eq!(
        err(&app, owner, REMOVE, json!({ "g": "pub", "u": ["olive"] })).await,
        "FORBIDDEN"
    );
    let data = compat_ok(
        &app,
        owner,
        "/groupMember/deleteGroupMember",
        json!({ "groupID": "pub", "userIDList": ["mia"], "reason": "r" }),
    )
    .await;
    assert_eq!(data["userIDList"], json!(["mia"]));
    assert_eq!(data["group"]["memberCount"], 2);
    assert_eq!(
        compat_err(
            &app,
            owner,
            "/group/deleteGroupMember",
            json!({ "groupID": "nope", "userIDList": ["mia"] })
        )
        .await,
        (404, 10010)
    );
}
