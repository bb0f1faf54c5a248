//! A group's life: creating (defaults, notices, input checks), handing over
//! ownership, quitting, and dismissal.

use serde_json::json;

use crate::{
    groups::support::{
        create_group, create_group_err, fill_live_room, notices, one_of_each, send_group_text,
        send_group_text_err, texts, tips, Listener, JOIN, PROFILE, QUIT,
    },
    helpers::{assert_codes, compat_err, compat_ok, err, ok, seed_users, spawn_app},
};

#[tokio::test]
async fn create_group_makes_the_creator_owner_with_defaults_and_notices() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "max"]).await;
    let group = create_group(
        &app,
        &t[0],
        json!({ "name": "Team", "type": "Public", "groupID": "team", "introduction": "hi", "notification": "read me", "groupCustomField": [{ "key": "k", "value": "v" }], "memberList": [{ "userID": "mia" }, { "userID": "max", "role": "Admin" }] }),
    )
    .await;
    assert_eq!(group["groupID"], "team");
    assert_eq!(group["type"], "Public");
    assert_eq!(group["ownerID"], "olive");
    assert_eq!(group["memberCount"], 3);
    assert_eq!(group["maxMemberCount"], 2000);
    assert_eq!(group["joinOption"], "NeedPermission");
    assert_eq!(group["muteAllMembers"], false);
    assert_eq!(group["notification"], "read me");
    assert_eq!(
        group["groupCustomField"],
        json!([{ "key": "k", "value": "v" }])
    );
    assert_eq!(group["selfInfo"]["role"], "Owner");
    assert_eq!(group["selfInfo"]["messageRemindType"], "AcceptAndNotify");
    assert_eq!(group["nextMessageSeq"], 2, "the join tip took sequence 1");
    assert_eq!(group["lastMessage"]["type"], "TIMGroupTipElem");
    assert_eq!(
        group["lastMessage"]["messageForShow"],
        "[Group Notification]"
    );
    // The tip names the members added, by the creator.
    let tip = &tips(&app, &t[1], "team").await[0];
    assert_eq!(tip["operationType"], 1);
    assert_eq!(tip["operatorID"], "olive");
    assert_eq!(tip["userIDList"], json!(["mia", "max"]));
    assert_eq!(tip["memberCount"], 3);
    // The creator is told "created" (6), the members "added" (7).
    let created = &notices(&app, &t[0]).await[0];
    assert_eq!(created["operationType"], 6);
    assert_eq!(
        created["groupProfile"],
        json!({ "groupID": "team", "name": "Team" })
    );
    assert_eq!(notices(&app, &t[1]).await[0]["operationType"], 7);
    let max_role = ok(&app, &t[2], PROFILE, json!({ "g": "team" })).await;
    assert_eq!(max_role["getGroupProfile"]["selfInfo"]["role"], "Admin");
}

#[tokio::test]
async fn compat_create_group_generates_an_id_with_work_group_defaults() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive"]).await;
    // Compat: `{group}`, with a generated ID and the defaults of a work group.
    let data = compat_ok(
        &app,
        &t[0],
        "/group/createGroup",
        json!({ "name": "Work", "groupCustomField": { "a": "1" } }),
    )
    .await;
    let id = data["group"]["groupID"].as_str().expect("id");
    assert!(id.starts_with("@TGS#"), "{id}");
    assert_eq!(data["group"]["type"], "Private");
    assert_eq!(data["group"]["maxMemberCount"], 200);
    assert_eq!(data["group"]["joinOption"], "DisableApply");
    assert_eq!(data["group"]["selfInfo"]["role"], "Owner");
    assert_eq!(
        data["group"]["groupCustomField"],
        json!([{ "key": "a", "value": "1" }])
    );
}

#[tokio::test]
async fn each_type_gets_its_default_member_limit_and_join_option() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive"]).await;
    for (kind, max, option) in [
        ("Private", 200, "DisableApply"),
        ("Public", 2000, "NeedPermission"),
        ("ChatRoom", 10000, "FreeAccess"),
        ("Community", 100000, "FreeAccess"),
        ("AVChatRoom", 0, "FreeAccess"),
    ] {
        let group = create_group(&app, &t[0], json!({ "name": kind, "type": kind })).await;
        assert_eq!(
            (group["maxMemberCount"].clone(), group["joinOption"].clone()),
            (json!(max), json!(option)),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn create_group_checks_its_input() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "blocker"]).await;
    for input in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(31) }),
        json!({ "name": "n", "groupID": "@TGS#mine" }),
        json!({ "name": "n", "groupID": "has space" }),
        json!({ "name": "n", "groupID": "g".repeat(49) }),
        json!({ "name": "n", "introduction": "x".repeat(241) }),
        json!({ "name": "n", "notification": "x".repeat(301) }),
        json!({ "name": "n", "type": "Private", "maxMemberNum": 201 }),
        json!({ "name": "n", "memberList": [{ "userID": "mia", "role": "Owner" }] }),
        json!({ "name": "n", "groupCustomField": [{ "key": "bad key", "value": "v" }] }),
    ] {
        assert_eq!(
            create_group_err(&app, &t[0], input.clone()).await,
            "BAD_USER_INPUT",
            "{input}"
        );
    }
    for input in [
        json!({ "name": "n", "type": "Private", "joinOption": "FreeAccess" }),
        json!({ "name": "n", "type": "ChatRoom", "joinOption": "FreeAccess" }),
        json!({ "name": "n", "type": "AVChatRoom", "memberList": [{ "userID": "mia" }] }),
        json!({ "name": "n", "type": "Private", "memberList": [{ "userID": "mia", "role": "Admin" }] }),
    ] {
        assert_eq!(
            create_group_err(&app, &t[0], input.clone()).await,
            "FORBIDDEN",
            "{input}"
        );
    }
    assert_eq!(
        create_group_err(
            &app,
            &t[0],
            json!({ "name": "n", "memberList": [{ "userID": "ghost" }] })
        )
        .await,
        "NOT_FOUND"
    );
    assert_eq!(
        create_group_err(&app, &t[0], json!({ "name": "n", "type": "Public", "maxMemberNum": 1, "memberList": [{ "userID": "mia" }] })).await,
        "GROUP_FULL"
    );
    create_group(&app, &t[0], json!({ "name": "n", "groupID": "taken" })).await;
    assert_eq!(
        create_group_err(&app, &t[1], json!({ "name": "n", "groupID": "taken" })).await,
        "GROUP_ID_TAKEN"
    );
    assert_eq!(
        compat_err(
            &app,
            &t[1],
            "/group/createGroup",
            json!({ "name": "n", "groupID": "taken" })
        )
        .await,
        (409, 10021)
    );
    assert_eq!(
        compat_err(
            &app,
            &t[1],
            "/group/createGroup",
            json!({ "name": "n", "type": "Nope" })
        )
        .await,
        (400, 400)
    );
}

#[tokio::test]
async fn create_group_leaves_out_members_who_blacklisted_the_creator() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "blocker"]).await;
    // Users who blacklisted the creator are not added.
    ok(
        &app,
        &t[2],
        "mutation { addToBlacklist(userIDList: [\"olive\"]) }",
        json!({}),
    )
    .await;
    let group = create_group(
        &app,
        &t[0],
        json!({ "name": "n", "memberList": [{ "userID": "mia" }, { "userID": "blocker" }] }),
    )
    .await;
    assert_eq!(group["memberCount"], 2);
}

#[tokio::test]
async fn the_owner_hands_over_to_a_member_except_in_an_avchatroom() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "stranger"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    let change = "mutation($g: String!, $n: String!) { changeGroupOwner(groupID: $g, newOwnerID: $n) { ownerID selfInfo { role } } }";
    assert_codes(
        &app,
        &[
            (
                owner,
                change,
                json!({ "g": "live", "n": "mia" }),
                "FORBIDDEN",
            ),
            (
                owner,
                change,
                json!({ "g": "pub", "n": "olive" }),
                "FORBIDDEN",
            ),
            (
                owner,
                change,
                json!({ "g": "pub", "n": "stranger" }),
                "NOT_GROUP_MEMBER",
            ),
            (
                admin,
                change,
                json!({ "g": "pub", "n": "mia" }),
                "FORBIDDEN",
            ),
        ],
    )
    .await;
    let done = ok(&app, owner, change, json!({ "g": "pub", "n": "mia" })).await;
    assert_eq!(
        done["changeGroupOwner"],
        json!({ "ownerID": "mia", "selfInfo": { "role": "Member" } })
    );
    let tip = tips(&app, admin, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["newGroupProfile"]["ownerID"].clone()
        ),
        (json!(6), json!("mia"))
    );
    let now_owner = ok(&app, mia, PROFILE, json!({ "g": "pub" })).await;
    assert_eq!(now_owner["getGroupProfile"]["selfInfo"]["role"], "Owner");
    // The old owner may now quit; compat answers `{group}`.
    ok(&app, owner, QUIT, json!({ "g": "pub" })).await;
    let data = compat_ok(
        &app,
        owner,
        "/group/changeGroupOwner",
        json!({ "groupID": "meet", "newOwnerID": "adam" }),
    )
    .await;
    assert_eq!(data["group"]["ownerID"], "adam");
}

#[tokio::test]
async fn only_a_work_groups_owner_may_quit_and_the_last_member_ends_it() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for id in ["pub", "meet", "comm", "live"] {
        assert_eq!(
            err(&app, owner, QUIT, json!({ "g": id })).await,
            "OWNER_CANNOT_QUIT",
            "{id}"
        );
    }
    assert_eq!(
        compat_err(&app, owner, "/group/quitGroup", json!({ "groupID": "pub" })).await,
        (409, 10009)
    );
    // A member quits: tip 2 to the group, notice 8 to them.
    assert_eq!(
        ok(&app, mia, QUIT, json!({ "g": "pub" })).await["quitGroup"],
        "pub"
    );
    let tip = tips(&app, owner, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(2), json!("mia"), json!(["mia"]))
    );
    assert_eq!(
        notices(&app, mia).await.pop().expect("notice")["operationType"],
        8
    );
    assert_eq!(
        err(&app, mia, QUIT, json!({ "g": "pub" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(
            &app,
            mia,
            "query { getMessageList(conversationID: \"GROUPpub\") { isCompleted } }",
            json!({})
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    // The work group goes on without owner.
    ok(&app, owner, QUIT, json!({ "g": "work" })).await;
    let profile = ok(&app, mia, PROFILE, json!({ "g": "work" })).await;
    assert_eq!(profile["getGroupProfile"]["ownerID"], "");
    assert_eq!(profile["getGroupProfile"]["memberCount"], 2);
    assert_eq!(
        compat_ok(
            &app,
            admin,
            "/group/quitGroup",
            json!({ "groupID": "work" })
        )
        .await,
        json!({ "groupID": "work" })
    );
    ok(&app, mia, QUIT, json!({ "g": "work" })).await;
    assert_eq!(
        err(&app, mia, PROFILE, json!({ "g": "work" })).await,
        "GROUP_NOT_FOUND"
    );
}

#[tokio::test]
async fn a_dismissed_group_is_gone_for_everyone() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    create_group(&app, owner, json!({ "name": "Doomed", "groupID": "doomed", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }] })).await;
    send_group_text(&app, mia, "doomed", "last words").await;
    let pending = ok(&app, mia, "mutation { createMessage(input: { to: \"doomed\", conversationType: GROUP, payload: { text: { text: \"later\" } } }) { ID } }", json!({})).await;
    let mut mia_live = Listener::open(&app, mia, "mia").await;
    let dismiss = "mutation($g: String!) { dismissGroup(groupID: $g) }";
    assert_eq!(
        err(&app, admin, dismiss, json!({ "g": "doomed" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/dismissGroup",
            json!({ "groupID": "doomed" })
        )
        .await,
        (403, 10007)
    );
    assert_eq!(
        ok(&app, owner, dismiss, json!({ "g": "doomed" })).await["dismissGroup"],
        "doomed"
    );
    // Members are told (5), live and in history; the owner is not.
    let notice = mia_live.next_of("TIMGroupSystemNoticeElem").await;
    assert_eq!(notice["payload"]["operationType"], 5);
    assert_eq!(notice["payload"]["groupProfile"]["groupID"], "doomed");
    assert_eq!(
        notices(&app, admin).await.pop().expect("notice")["operationType"],
        5
    );
    assert!(notices(&app, owner)
        .await
        .iter()
        .all(|n| n["operationType"] != 5));
    // Everything about it answers GROUP_NOT_FOUND (TIM 10010).
    assert_eq!(
        err(&app, mia, PROFILE, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(&app, mia, JOIN, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        send_group_text_err(&app, mia, "doomed", "hello?").await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(
            &app,
            mia,
            "query { getMessageList(conversationID: \"GROUPdoomed\") { isCompleted } }",
            json!({})
        )
        .await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(&app, owner, dismiss, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    let id = pending["createMessage"]["ID"].as_str().expect("id");
    assert_eq!(
        err(
            &app,
            mia,
            &format!("mutation {{ sendMessage(messageID: \"{id}\") {{ ID }} }}"),
            json!({})
        )
        .await,
        "NOT_FOUND"
    );
    for path in [
        "/group/getGroupProfile",
        "/group/quitGroup",
        "/groupMember/getGroupMemberList",
        "/group/getGroupOnlineMemberCount",
    ] {
        assert_eq!(
            compat_err(&app, mia, path, json!({ "groupID": "doomed" })).await,
            (404, 10010),
            "{path}"
        );
    }
    let list = ok(
        &app,
        mia,
        "{ getConversationList { conversationID } getGroupList { groupID } }",
        json!({}),
    )
    .await;
    assert!(list["getConversationList"]
        .as_array()
        .expect("list")
        .iter()
        .all(|c| c["conversationID"] != "GROUPdoomed"));
    assert_eq!(list["getGroupList"], json!([]));
}

#[tokio::test]
async fn a_dismissed_groups_id_can_be_used_again_with_nothing_of_the_old_group() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    create_group(&app, owner, json!({ "name": "Doomed", "groupID": "doomed", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }] })).await;
    send_group_text(&app, mia, "doomed", "last words").await;
    ok(
        &app,
        owner,
        "mutation($g: String!) { dismissGroup(groupID: $g) }",
        json!({ "g": "doomed" }),
    )
    .await;
    // The ID can be used again, with nothing of the old group in it.
    create_group(
        &app,
        admin,
        json!({ "name": "Reborn", "groupID": "doomed", "type": "ChatRoom" }),
    )
    .await;
    ok(&app, mia, JOIN, json!({ "g": "doomed" })).await;
    assert!(texts(&app, mia, "GROUPdoomed").await.is_empty());
}
