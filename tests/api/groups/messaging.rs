//! Messages in groups: unread counts and history by type, revocation by
//! managers, mentions and name cards, and refusals for outsiders.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    groups::support::{
        add, conversation, create_group, fill_live_room, history, one_of_each, send_group_query,
        send_group_text, send_group_text_err, texts, Listener, JOIN, PROFILE, QUIT, UPDATE,
    },
    helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, spawn_app_with, WsClient},
};

#[tokio::test]
async fn unread_counts_are_kept_for_private_public_and_community_only() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, mia) = (&t[0], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for (id, counted) in [
        ("work", true),
        ("pub", true),
        ("meet", false),
        ("comm", true),
        ("live", false),
    ] {
        ok(
            &app,
            mia,
            "mutation($c: String!) { setMessageRead(conversationID: $c) { unreadCount } }",
            json!({ "c": format!("GROUP{id}") }),
        )
        .await;
        send_group_text(&app, owner, id, "one").await;
        send_group_text(&app, owner, id, "two").await;
        let conv = conversation(&app, mia, &format!("GROUP{id}")).await;
        assert_eq!(conv["unreadCount"], if counted { 2 } else { 0 }, "{id}");
        // The sender's own messages are read.
        assert_eq!(
            conversation(&app, owner, &format!("GROUP{id}")).await["unreadCount"],
            0,
            "{id}"
        );
        let read = ok(
            &app,
            mia,
            "mutation($c: String!) { setMessageRead(conversationID: $c) { unreadCount } }",
            json!({ "c": format!("GROUP{id}") }),
        )
        .await;
        assert_eq!(read["setMessageRead"]["unreadCount"], 0);
    }
    // The conversation carries the group and its type.
    let conv = conversation(&app, mia, "GROUPcomm").await;
    assert_eq!(conv["type"], "GROUP");
    assert_eq!(conv["subType"], "Community");
    assert_eq!(conv["groupProfile"]["groupID"], "comm");
    assert_eq!(conv["groupProfile"]["type"], "Community");
    assert_eq!(conv["groupProfile"]["selfInfo"]["role"], "Member");
    assert_eq!(conv["lastMessage"]["messageForShow"], "two");
    let list = compat_ok(
        &app,
        mia,
        "/conversation/getConversationList",
        json!({ "conversationID": "GROUPpub" }),
    )
    .await;
    assert_eq!(list[0]["conversation"]["subType"], "Public");
    assert_eq!(list[0]["conversation"]["groupProfile"]["groupID"], "pub");
    assert_eq!(
        list[0]["conversation"]["groupProfile"]["selfInfo"]["role"],
        "Member"
    );
}

#[tokio::test]
async fn history_from_before_joining_is_shown_by_type() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "nia"]).await;
    let (owner, nia) = (&t[0], &t[3]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "joinOption": "FreeAccess" } }),
    )
    .await;
    for id in ["work", "pub", "meet", "comm", "live"] {
        send_group_text(&app, owner, id, "before").await;
    }
    add(&app, owner, "work", &["nia"]).await;
    for id in ["pub", "meet", "comm", "live"] {
        ok(&app, nia, JOIN, json!({ "g": id })).await;
    }
    for id in ["work", "pub", "meet", "comm", "live"] {
        send_group_text(&app, owner, id, "after").await;
    }
    let conv = |id: &str| format!("GROUP{id}");
    // Private and Public: nothing from before joining; the join tip and after.
    for id in ["work", "pub"] {
        assert_eq!(texts(&app, nia, &conv(id)).await, ["after"], "{id}");
        let first = &history(&app, nia, &conv(id)).await[0];
        assert_eq!(
            (
                first["type"].clone(),
                first["payload"]["userIDList"].clone()
            ),
            (json!("TIMGroupTipElem"), json!(["nia"])),
            "{id}"
        );
    }
    // ChatRoom and Community: the whole history.
    for id in ["meet", "comm"] {
        assert_eq!(
            texts(&app, nia, &conv(id)).await,
            ["before", "after"],
            "{id}"
        );
    }
    // AVChatRoom: no history at all, for anyone.
    assert!(history(&app, nia, &conv("live")).await.is_empty());
    assert!(history(&app, owner, &conv("live")).await.is_empty());
    assert_eq!(
        conversation(&app, owner, &conv("live")).await["lastMessage"],
        Value::Null
    );
    let page = compat_ok(
        &app,
        nia,
        "/message/getMessageList",
        json!({ "conversationID": "GROUPmeet" }),
    )
    .await;
    let compat_texts: Vec<&str> = page
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["message"]["payload"]["text"].as_str())
        .collect();
    assert_eq!(compat_texts, ["before", "after"]);
}

#[tokio::test]
async fn owners_and_admins_revoke_any_message_at_any_time() {
    // With a zero limit, a message is past it once the clock has moved on.
    let app = spawn_app_with(|config| config.revoke_limit = 0).await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ben"]).await;
    let (owner, admin, mia, ben) = (&t[0], &t[1], &t[2], &t[3]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }, { "userID": "ben" }] })).await;
    let revoke =
        "mutation($m: ID!) { revokeMessage(messageID: $m) { isRevoked payload { __typename } } }";
    let mut sent = Vec::new();
    for text in [
        "admin, graphql",
        "admin, compat",
        "owner, graphql",
        "owner, compat",
    ] {
        sent.push(send_group_text(&app, mia, "g", text).await);
    }
    let own = send_group_text(&app, owner, "g", "mine").await;
    let mut ben_live = Listener::open(&app, ben, "ben").await;
    let mut revoked_ws = WsClient::with_token(&app, ben).await;
    revoked_ws
        .subscribe(
            "r",
            "subscription { messageRevoked { ID isRevoked conversationID } }",
            json!({}),
        )
        .await;
    // Live once a revocation of a probe to herself comes back.
    revoked_ws
        .until_live("r", "messageRevoked", async || {
            let probe = ok(&app, ben, "mutation { sendMessage(message: { to: \"ben\", conversationType: C2C, payload: { text: { text: \"probe\" } } }) { ID } }", json!({})).await;
            // (Past the zero limit this fails and the next probe tries again.)
            app.gql(
                Some(ben),
                revoke,
                json!({ "m": probe["sendMessage"]["ID"] }),
            )
            .await;
        })
        .await;
    // Let the clock pass the limit: the sender herself is now too late, on
    // both surfaces, and other members never may.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        err(&app, mia, revoke, json!({ "m": sent[0]["ID"] })).await,
        "REVOKE_TIME_LIMIT"
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/message/revokeMessage",
            json!({ "ID": sent[0]["ID"] })
        )
        .await,
        (409, 10031)
    );
    assert_eq!(
        err(&app, ben, revoke, json!({ "m": sent[0]["ID"] })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, mia, revoke, json!({ "m": own["ID"] })).await,
        "FORBIDDEN"
    );
    // An admin and the owner still may, on both surfaces.
    let revoked = json!({ "isRevoked": true, "payload": null });
    for (token, message) in [(admin, &sent[0]), (owner, &sent[2]), (owner, &own)] {
        let data = ok(&app, token, revoke, json!({ "m": message["ID"] })).await;
        assert_eq!(data["revokeMessage"], revoked, "{message}");
    }
    for (token, message) in [(admin, &sent[1]), (owner, &sent[3])] {
        let data = compat_ok(
            &app,
            token,
            "/message/revokeMessage",
            json!({ "ID": message["ID"] }),
        )
        .await;
        assert_eq!(data["message"]["isRevoked"], true, "{message}");
        assert_eq!(data["message"]["payload"], json!({}), "{message}");
    }
    let listed = history(&app, ben, "GROUPg").await;
    let texts: Vec<(Value, Value)> = listed
        .iter()
        .filter(|m| m["type"] == "TIMTextElem")
        .map(|m| (m["ID"].clone(), m["isRevoked"].clone()))
        .collect();
    let mut expected: Vec<(Value, Value)> = sent
        .iter()
        .map(|m| (m["ID"].clone(), json!(true)))
        .collect();
    expected.push((own["ID"].clone(), json!(true)));
    assert_eq!(texts, expected, "every one revoked");
    // Tips cannot be revoked.
    let tip = listed
        .iter()
        .find(|m| m["type"] == "TIMGroupTipElem")
        .expect("tip");
    assert_eq!(
        err(&app, owner, revoke, json!({ "m": tip["ID"] })).await,
        "FORBIDDEN"
    );
    // Members are told live (after the subscription started).
    let third = send_group_text(&app, mia, "g", "third").await;
    assert_eq!(ben_live.next_text().await, "third");
    ok(&app, owner, revoke, json!({ "m": third["ID"] })).await;
    // Past any probes, the group revocations in order.
    let mut order = sent.clone();
    order.extend([own, third]);
    let order: Vec<Value> = [0, 2, 4, 1, 3, 5]
        .into_iter()
        .map(|i| order[i]["ID"].clone())
        .collect();
    for id in order {
        let mut pushed = revoked_ws.next_data("r").await;
        while pushed["messageRevoked"]["conversationID"] == "C2Cben" {
            pushed = revoked_ws.next_data("r").await;
        }
        assert_eq!(
            pushed["messageRevoked"],
            json!({ "ID": id, "isRevoked": true, "conversationID": "GROUPg" })
        );
    }
}

#[tokio::test]
async fn group_messages_carry_mentions_and_name_cards() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (owner, mia) = (&t[0], &t[1]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "ChatRoom", "memberList": [{ "userID": "mia" }] })).await;
    ok(&app, mia, "mutation { setGroupMemberNameCard(groupID: \"g\", nameCard: \"Mia from QA\") { nameCard } }", json!({})).await;
    let sent = ok(
        &app,
        mia,
        &send_group_query(),
        json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "text": { "text": "@olive @all" } }, "atUserList": ["olive", "__kImSDK_MesssageAtALL__"] } }),
    )
    .await;
    let message = &sent["sendMessage"];
    assert_eq!(
        message["atUserList"],
        json!(["olive", "__kImSDK_MesssageAtALL__"])
    );
    assert_eq!(message["nameCard"], "Mia from QA");
    assert_eq!(message["conversationID"], "GROUPg");
    assert_eq!(message["to"], "g");
    let seen = history(&app, owner, "GROUPg").await.pop().expect("message");
    assert_eq!(seen["nameCard"], "Mia from QA");
    assert_eq!(
        seen["atUserList"],
        json!(["olive", "__kImSDK_MesssageAtALL__"])
    );
    let too_many: Vec<String> = (0..31).map(|i| format!("user{i}")).collect();
    let code = err(
        &app,
        mia,
        &send_group_query(),
        json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "text": { "text": "hi" } }, "atUserList": too_many } }),
    )
    .await;
    assert_eq!(code, "BAD_USER_INPUT");
    // Compat: the seed's body with atUserList.
    let data = compat_ok(&app, owner, "/message/sendMessage", json!({ "message": { "to": "g", "conversationType": "GROUP", "payload": { "text": "@mia" }, "atUserList": ["mia"] } })).await;
    assert_eq!(data["message"]["atUserList"], json!(["mia"]));
}

#[tokio::test]
async fn non_members_and_unknown_groups_are_refused_with_their_codes() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "out"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "g", "groupID": "g", "type": "Public" }),
    )
    .await;
    assert_eq!(
        send_group_text_err(&app, &t[1], "g", "let me talk").await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(
            &app,
            &t[1],
            "query { getMessageList(conversationID: \"GROUPg\") { isCompleted } }",
            json!({})
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        send_group_text_err(&app, &t[1], "nope", "x").await,
        "GROUP_NOT_FOUND"
    );
    let (status, body) = app.compat(Some(&t[1]), "/message/sendMessage", json!({ "message": { "to": "g", "conversationType": "GROUP", "payload": { "text": "x" } } })).await;
    assert_eq!((status, body["code"].clone()), (403, json!(10007)));
    assert_eq!(
        app.gql_err(None, "{ getGroupList { groupID } }", json!({}))
            .await,
        "UNAUTHENTICATED"
    );
    let (status, body) = app.compat(None, "/group/getGroupList", json!({})).await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    for (query, vars) in [
        (PROFILE, json!({ "g": "nope" })),
        (QUIT, json!({ "g": "nope" })),
        (JOIN, json!({ "g": "nope" })),
        (
            "query($g: String!) { getGroupMemberList(groupID: $g) { offset } }",
            json!({ "g": "nope" }),
        ),
    ] {
        assert_eq!(
            err(&app, &t[1], query, vars).await,
            "GROUP_NOT_FOUND",
            "{query}"
        );
    }
    assert_eq!(
        err(
            &app,
            &t[1],
            "query($g: String!) { getGroupMemberList(groupID: $g) { offset } }",
            json!({ "g": "g" })
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
}
