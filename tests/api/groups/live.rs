//! Live delivery in groups: remind types, membership changes on open
//! subscriptions, `groupUpdated`, and fan-out to many members.

use futures_util::future::join_all;
use serde_json::json;

use crate::{
    groups::support::{
        add, conversation, create_group, send_group_text, texts, Listener, REMOVE, UPDATE,
    },
    helpers::{compat_err, compat_ok, err, ok, seed_users, spawn_app, WsClient},
};

#[tokio::test]
async fn remind_types_control_live_delivery_and_unread_counts() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (owner, mia) = (&t[0], &t[1]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] })).await;
    let remind = "mutation($g: String!, $r: MessageRemindType!) { setMessageRemindType(groupID: $g, messageRemindType: $r) { selfInfo { messageRemindType } } }";
    let mut live = Listener::open(&app, mia, "mia").await;
    // Discard: no live delivery, no unread count.
    let set = ok(&app, mia, remind, json!({ "g": "g", "r": "Discard" })).await;
    assert_eq!(
        set["setMessageRemindType"]["selfInfo"]["messageRemindType"],
        "Discard"
    );
    send_group_text(&app, owner, "g", "discarded").await;
    live.expect_silence().await;
    let conv = conversation(&app, mia, "GROUPg").await;
    assert_eq!(
        (
            conv["unreadCount"].clone(),
            conv["messageRemindType"].clone()
        ),
        (json!(0), json!("Discard"))
    );
    assert_eq!(
        texts(&app, mia, "GROUPg").await,
        ["discarded"],
        "still in history"
    );
    // A subscription opened while discarding discards too.
    let mut later = Listener::open(&app, mia, "mia").await;
    send_group_text(&app, owner, "g", "still discarded").await;
    later.expect_silence().await;
    // AcceptNotNotify: delivered live, not counted.
    let data = compat_ok(
        &app,
        mia,
        "/group/setMessageRemindType",
        json!({ "groupID": "g", "messageRemindType": "AcceptNotNotify" }),
    )
    .await;
    assert_eq!(
        data["group"]["selfInfo"]["messageRemindType"],
        "AcceptNotNotify"
    );
    send_group_text(&app, owner, "g", "quiet").await;
    assert_eq!(
        live.next_text().await,
        "quiet",
        "nothing from the discarded time leaks"
    );
    assert_eq!(later.next_text().await, "quiet");
    assert_eq!(conversation(&app, mia, "GROUPg").await["unreadCount"], 0);
    // AcceptAndNotify: both.
    ok(
        &app,
        mia,
        remind,
        json!({ "g": "g", "r": "AcceptAndNotify" }),
    )
    .await;
    send_group_text(&app, owner, "g", "loud").await;
    assert_eq!(live.next_text().await, "loud");
    assert_eq!(conversation(&app, mia, "GROUPg").await["unreadCount"], 4);
    assert_eq!(
        compat_err(
            &app,
            owner,
            "/group/setMessageRemindType",
            json!({ "groupID": "g", "messageRemindType": "Loud" })
        )
        .await,
        (400, 400)
    );
    assert_eq!(
        err(&app, mia, remind, json!({ "g": "nope", "r": "Discard" })).await,
        "GROUP_NOT_FOUND"
    );
}

#[tokio::test]
async fn a_removed_member_stops_receiving_at_once_while_others_still_receive() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "ben"]).await;
    let (owner, mia, ben) = (&t[0], &t[1], &t[2]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }, { "userID": "ben" }] })).await;
    let mut mia_live = Listener::open(&app, mia, "mia").await;
    let mut ben_live = Listener::open(&app, ben, "ben").await;
    send_group_text(&app, owner, "g", "before").await;
    assert_eq!(mia_live.next_text().await, "before");
    assert_eq!(ben_live.next_text().await, "before");
    ok(&app, owner, REMOVE, json!({ "g": "g", "u": ["mia"] })).await;
    for text in ["after 1", "after 2"] {
        send_group_text(&app, owner, "g", text).await;
    }
    // Mia gets her notice (on her own conversation) and nothing of the group.
    let notice = mia_live.next().await;
    assert_eq!(notice["type"], "TIMGroupSystemNoticeElem");
    assert_eq!(notice["payload"]["operationType"], 4);
    mia_live.expect_silence().await;
    assert_eq!(ben_live.next_text().await, "after 1");
    assert_eq!(ben_live.next_text().await, "after 2");
}

#[tokio::test]
async fn an_added_member_starts_receiving_at_once_on_an_open_subscription() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "nia"]).await;
    let (owner, nia) = (&t[0], &t[1]);
    create_group(
        &app,
        owner,
        json!({ "name": "g", "groupID": "g", "type": "Private" }),
    )
    .await;
    let mut live = Listener::open(&app, nia, "nia").await;
    let mut updates = WsClient::with_token(&app, nia).await;
    updates
        .subscribe(
            "u",
            "subscription { groupUpdated { groupID memberCount selfInfo { role } } }",
            json!({}),
        )
        .await;
    send_group_text(&app, owner, "g", "too early").await;
    add(&app, owner, "g", &["nia"]).await;
    // Right after the response, with no wait: the tip of her joining, then messages.
    send_group_text(&app, owner, "g", "welcome").await;
    let mut got = Vec::new();
    while got.len() < 3 {
        let message = live.next().await;
        got.push((
            message["type"].as_str().unwrap_or_default().to_owned(),
            message["payload"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            message["conversationID"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
    got.sort();
    assert_eq!(
        got,
        [
            (
                "TIMGroupSystemNoticeElem".to_owned(),
                String::new(),
                "@TIM#SYSTEM".to_owned()
            ),
            (
                "TIMGroupTipElem".to_owned(),
                String::new(),
                "GROUPg".to_owned()
            ),
            (
                "TIMTextElem".to_owned(),
                "welcome".to_owned(),
                "GROUPg".to_owned()
            ),
        ]
    );
    // Her groupUpdated stream hears of her joining too.
    let update = updates.next_data("u").await;
    assert_eq!(update["groupUpdated"]["groupID"], "g");
    assert_eq!(update["groupUpdated"]["selfInfo"]["role"], "Member");
}

#[tokio::test]
async fn group_updated_reaches_members_when_the_profile_changes() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (owner, mia) = (&t[0], &t[1]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] })).await;
    let mut ws = WsClient::with_token(&app, mia).await;
    ws.subscribe("u", "subscription { groupUpdated { groupID name memberCount selfInfo { role messageRemindType } lastMessage { type } } }", json!({})).await;
    // Until a remind-type change (sent to her own topic) comes back, the stream may not be live.
    let remind = "mutation($r: MessageRemindType!) { setMessageRemindType(groupID: \"g\", messageRemindType: $r) { groupID } }";
    ws.until_live("u", "groupUpdated", async || {
        ok(&app, mia, remind, json!({ "r": "AcceptAndNotify" })).await;
    })
    .await;
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "g", "name": "Renamed" } }),
    )
    .await;
    let update = loop {
        let data = ws.next_data("u").await;
        if data["groupUpdated"]["name"] == "Renamed" {
            break data;
        }
    };
    // Built once for everyone; her own part resolves for her.
    assert_eq!(
        update["groupUpdated"]["selfInfo"],
        json!({ "role": "Member", "messageRemindType": "AcceptAndNotify" })
    );
    assert_eq!(
        update["groupUpdated"]["lastMessage"]["type"],
        "TIMGroupTipElem"
    );
}

#[tokio::test]
async fn two_hundred_subscribed_members_each_receive_one_message_exactly_once() {
    let app = spawn_app().await;
    let names: Vec<String> = (0..200).map(|i| format!("member{i:03}")).collect();
    let mut all: Vec<&str> = vec!["owner"];
    all.extend(names.iter().map(String::as_str));
    let tokens = seed_users(&app, &all).await;
    create_group(
        &app,
        &tokens[0],
        json!({ "name": "big", "groupID": "big", "type": "Public" }),
    )
    .await;
    for chunk in names.chunks(100) {
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        add(&app, &tokens[0], "big", &ids).await;
    }
    let mut listeners: Vec<Listener> = join_all(
        names
            .iter()
            .zip(&tokens[1..])
            .map(|(name, token)| Listener::open(&app, token, name)),
    )
    .await;
    let online = ok(
        &app,
        &tokens[0],
        "{ getGroupOnlineMemberCount(groupID: \"big\") }",
        json!({}),
    )
    .await;
    assert_eq!(online["getGroupOnlineMemberCount"], 200);
    let sent = send_group_text(&app, &tokens[0], "big", "hello, all 200").await;
    // A second message behind it: if anyone got the first twice, the copy
    // would arrive before the marker (a conversation is delivered in order).
    send_group_text(&app, &tokens[0], "big", "marker").await;
    let received = join_all(listeners.iter_mut().map(|l| async move {
        let first = l.next().await;
        let second = l.next().await;
        (first, second)
    }))
    .await;
    for (first, second) in received {
        assert_eq!(first["ID"], sent["ID"]);
        assert_eq!(first["payload"]["text"], "hello, all 200");
        assert_eq!(first["flow"], "in");
        assert_eq!(second["payload"]["text"], "marker");
    }
}
