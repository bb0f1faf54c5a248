//! Joining (SPEC section 6's rules table: "join by joinGroup"), one
//! AVChatRoom at a time, and join applications end to end.

use serde_json::{json, Value};

use crate::{
    groups::support::{
        create_group, history, notices, send_group_text, tips, Listener, JOIN, PROFILE,
    },
    helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app},
};

#[tokio::test]
async fn join_group_follows_the_type_and_join_option() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "jo"]).await;
    let (owner, jo) = (&t[0], &t[1]);
    create_group(
        &app,
        owner,
        json!({ "name": "w", "groupID": "work", "type": "Private" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "p", "groupID": "pub", "type": "Public" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "f", "groupID": "free", "type": "Public", "joinOption": "FreeAccess" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "d", "groupID": "closed", "type": "Public", "joinOption": "DisableApply" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "c", "groupID": "meet", "type": "ChatRoom" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "m", "groupID": "comm", "type": "Community" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "a", "groupID": "live", "type": "AVChatRoom" }),
    )
    .await;
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "work" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "closed" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(&app, jo, "/group/joinGroup", json!({ "groupID": "closed" })).await,
        (403, 10007)
    );
    let waiting = ok(&app, jo, JOIN, json!({ "g": "pub", "m": "let me in" })).await;
    assert_eq!(
        waiting["joinGroup"],
        json!({ "status": "WaitAdminApproval", "group": null })
    );
    for id in ["free", "meet", "comm", "live"] {
        let joined = ok(&app, jo, JOIN, json!({ "g": id })).await;
        assert_eq!(joined["joinGroup"]["status"], "JoinedSuccess", "{id}");
        assert_eq!(joined["joinGroup"]["group"]["memberCount"], 2, "{id}");
        assert_eq!(joined["joinGroup"]["group"]["selfInfo"]["role"], "Member");
    }
    let again = ok(&app, jo, JOIN, json!({ "g": "free" })).await;
    assert_eq!(again["joinGroup"]["status"], "AlreadyInGroup");
    let data = compat_ok(&app, jo, "/group/joinGroup", json!({ "groupID": "meet" })).await;
    assert_eq!(data["status"], "AlreadyInGroup");
    assert_eq!(data["group"]["groupID"], "meet");
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "nowhere" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            jo,
            "/group/joinGroup",
            json!({ "groupID": "nowhere" })
        )
        .await,
        (404, 10010)
    );
    // The joiner's tip names them as operator.
    let tip = tips(&app, jo, "free").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(1), json!("jo"), json!(["jo"]))
    );
    // A full group refuses.
    create_group(
        &app,
        owner,
        json!({ "name": "s", "groupID": "small", "type": "ChatRoom", "maxMemberNum": 1 }),
    )
    .await;
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "small" })).await,
        "GROUP_FULL"
    );
    assert_eq!(
        compat_err(&app, jo, "/group/joinGroup", json!({ "groupID": "small" })).await,
        (409, 10014)
    );
}

#[tokio::test]
async fn a_user_is_in_one_avchatroom_at_a_time() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "jo"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "a", "groupID": "live1", "type": "AVChatRoom" }),
    )
    .await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "b", "groupID": "live2", "type": "AVChatRoom" }),
    )
    .await;
    ok(&app, &t[1], JOIN, json!({ "g": "live1" })).await;
    ok(&app, &t[1], JOIN, json!({ "g": "live2" })).await;
    let list = ok(&app, &t[1], "{ getGroupList { groupID } }", json!({})).await;
    assert_eq!(list["getGroupList"], json!([{ "groupID": "live2" }]));
    let first = ok(&app, &t[0], PROFILE, json!({ "g": "live1" })).await;
    assert_eq!(first["getGroupProfile"]["memberCount"], 1);
    // The owner of both stays in both.
    let mine = ok(&app, &t[0], "{ getGroupList { groupID type } }", json!({})).await;
    assert_eq!(mine["getGroupList"].as_array().map(Vec::len), Some(2));
    let data = compat_ok(&app, &t[1], "/group/getGroupList", json!({})).await;
    assert_eq!(data["groupList"][0]["groupID"], "live2");
    assert_eq!(data["groupList"][0]["type"], "AVChatRoom");
}

#[tokio::test]
async fn applications_reach_managers_live_and_the_decision_reaches_the_applicant() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "jo", "kim", "mia"]).await;
    let (owner, admin, jo, kim, mia) = (&t[0], &t[1], &t[2], &t[3], &t[4]);
    create_group(&app, owner, json!({ "name": "Club", "groupID": "club", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }] })).await;
    let mut owner_live = Listener::open(&app, owner, "olive").await;
    let mut jo_live = Listener::open(&app, jo, "jo").await;
    let waiting = compat_ok(
        &app,
        jo,
        "/group/joinGroup",
        json!({ "groupID": "club", "applyMessage": "please" }),
    )
    .await;
    assert_eq!(waiting, json!({ "status": "WaitAdminApproval" }));
    // The owner (and the admin) get notice 1 with the applicationID, live and in history.
    let notice = owner_live.next_of("TIMGroupSystemNoticeElem").await;
    assert_eq!(notice["conversationID"], "@TIM#SYSTEM");
    assert_eq!(notice["conversationType"], "SYSTEM");
    assert_eq!(notice["from"], "@TIM#SYSTEM");
    let payload = &notice["payload"];
    assert_eq!(payload["operationType"], 1);
    assert_eq!(payload["operatorID"], "jo");
    assert_eq!(payload["handleMessage"], "please");
    assert_eq!(
        payload["groupProfile"],
        json!({ "groupID": "club", "name": "Club" })
    );
    let application = payload["applicationID"]
        .as_str()
        .expect("applicationID")
        .to_owned();
    let admin_notice = notices(&app, admin).await.pop().expect("admin notice");
    assert_eq!(admin_notice["applicationID"], application);
    assert!(
        !notices(&app, mia)
            .await
            .iter()
            .any(|n| n["operationType"] == 1),
        "ordinary members are not asked"
    );
    // Applying again while pending sends nothing new.
    ok(&app, jo, JOIN, json!({ "g": "club" })).await;
    assert_eq!(
        notices(&app, owner)
            .await
            .iter()
            .filter(|n| n["operationType"] == 1)
            .count(),
        1
    );
    // Only the owner and admins decide.
    let handle = "mutation($a: ID!, $h: HandleAction!, $m: String) { handleGroupApplication(applicationID: $a, handleAction: $h, handleMessage: $m) { groupID memberCount } }";
    assert_eq!(
        err(&app, mia, handle, json!({ "a": application, "h": "Agree" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, kim, handle, json!({ "a": application, "h": "Agree" })).await,
        "NOT_GROUP_MEMBER"
    );
    let agreed = ok(
        &app,
        admin,
        handle,
        json!({ "a": application, "h": "Agree", "m": "welcome" }),
    )
    .await;
    assert_eq!(agreed["handleGroupApplication"]["memberCount"], 4);
    // The applicant hears it live, and joins with a tip by the admin who handled it.
    // (The two arrive on different conversations, so in either order.)
    let mut two = [jo_live.next().await, jo_live.next().await];
    two.sort_by_key(|m| m["type"].as_str().map(str::to_owned));
    let [notice, tip] = two;
    assert_eq!(notice["type"], "TIMGroupSystemNoticeElem");
    assert_eq!(notice["payload"]["operationType"], 2);
    assert_eq!(notice["payload"]["operatorID"], "adam");
    assert_eq!(notice["payload"]["handleMessage"], "welcome");
    assert_eq!(tip["conversationID"], "GROUPclub");
    assert_eq!(tip["payload"]["operationType"], 1);
    assert_eq!(tip["payload"]["operatorID"], "adam");
    assert_eq!(tip["payload"]["userIDList"], json!(["jo"]));
    send_group_text(&app, jo, "club", "hello club").await;
    assert_eq!(owner_live.next_text().await, "hello club");
    // The first decision wins.
    assert_eq!(
        err(
            &app,
            owner,
            handle,
            json!({ "a": application, "h": "Reject" })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, owner, handle, json!({ "a": "nope", "h": "Reject" })).await,
        "NOT_FOUND"
    );
    // Compat: reject by handing back the notice message itself.
    compat_ok(
        &app,
        kim,
        "/group/joinGroup",
        json!({ "groupID": "club", "applyMessage": "me too" }),
    )
    .await;
    let notice_message = history(&app, owner, "@TIM#SYSTEM")
        .await
        .pop()
        .expect("notice");
    assert_eq!(notice_message["payload"]["operatorID"], "kim");
    let data = compat_ok(&app, owner, "/group/handleGroupApplication", json!({ "handleAction": "Reject", "handleMessage": "full", "message": { "ID": notice_message["ID"] } })).await;
    assert_eq!(data["group"]["memberCount"], 4);
    let rejected = notices(&app, kim).await.pop().expect("rejection");
    assert_eq!(
        (
            rejected["operationType"].clone(),
            rejected["operatorID"].clone(),
            rejected["handleMessage"].clone()
        ),
        (json!(3), json!("olive"), json!("full"))
    );
    // Not a member: the public view, without selfInfo or the notification.
    let seen = ok(&app, kim, PROFILE, json!({ "g": "club" })).await;
    assert_eq!(seen["getGroupProfile"]["selfInfo"], Value::Null);
    assert_eq!(seen["getGroupProfile"]["notification"], "");
}
