//! `pinConversation` and `pinGroupMessage` (with `Group.pinnedMessageList`).

use serde_json::{json, Value};

use super::next_matching;
use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{compat_err, compat_ok, err, ok, seed_users, send_text, spawn_app, WsClient},
};

const PIN: &str = "mutation($c: String!, $p: Boolean!) { pinConversation(conversationID: $c, isPinned: $p) { conversationID isPinned } }";
const LIST: &str = "{ getConversationList { conversationID isPinned } }";
const PIN_MESSAGE: &str = "mutation($g: String!, $m: ID!, $p: Boolean!) { pinGroupMessage(groupID: $g, messageID: $m, isPinned: $p) { ID payload { ... on TextElem { text } } } }";

async fn listed(app: &crate::helpers::TestApp, token: &str, me: &str) -> Vec<(String, bool)> {
    ok(app, token, LIST, json!({})).await["getConversationList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        // Leave out the probes' conversation with oneself.
        .filter(|c| c["conversationID"] != format!("C2C{me}"))
        .map(|c| {
            (
                c["conversationID"].as_str().unwrap_or_default().to_owned(),
                c["isPinned"].as_bool().unwrap_or_default(),
            )
        })
        .collect()
}

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["payload"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn pinned_conversations_come_first_and_the_viewers_sessions_are_told() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol", "dave"]).await;
    send_text(&app, &t[0], "bob", "hi bob").await;
    send_text(&app, &t[0], "carol", "hi carol").await;
    // Newest first (ties by conversationID): pin the one listed last.
    let before = listed(&app, &t[0], "alice").await;
    assert_eq!(before.len(), 2);
    let (first, second) = (before[0].0.clone(), before[1].0.clone());
    let mut ws = WsClient::with_token(&app, &t[0]).await;
    ws.subscribe(
        "c",
        "subscription { conversationUpdated { conversationID isPinned } }",
        json!({}),
    )
    .await;
    ws.until_live("c", "conversationUpdated", async || {
        send_text(&app, &t[0], "alice", "probe").await;
    })
    .await;
    let pinned = ok(&app, &t[0], PIN, json!({ "c": second, "p": true })).await;
    assert_eq!(pinned["pinConversation"]["isPinned"], true);
    let event = next_matching(&mut ws, "c", |d| {
        d["conversationUpdated"]["conversationID"] == second.as_str()
    })
    .await;
    assert_eq!(event["conversationUpdated"]["isPinned"], true);
    // Idempotent, and first in the list.
    ok(&app, &t[0], PIN, json!({ "c": second, "p": true })).await;
    assert_eq!(
        listed(&app, &t[0], "alice").await,
        [(second.clone(), true), (first.clone(), false)]
    );
    // A conversation with no messages yet can be pinned too.
    ok(&app, &t[0], PIN, json!({ "c": "C2Cdave", "p": true })).await;
    assert!(listed(&app, &t[0], "alice")
        .await
        .contains(&("C2Cdave".to_owned(), true)));
    // Compat unpins; the list goes back to newest first.
    for id in [second.as_str(), "C2Cdave"] {
        let data = compat_ok(
            &app,
            &t[0],
            "/conversation/pinConversation",
            json!({ "conversationID": id, "isPinned": false }),
        )
        .await;
        assert_eq!(data["conversation"]["isPinned"], false);
    }
    let after: Vec<(String, bool)> = listed(&app, &t[0], "alice")
        .await
        .into_iter()
        .filter(|(id, _)| *id != "C2Cdave")
        .collect();
    assert_eq!(after, [(first, false), (second, false)]);
    assert_eq!(
        err(&app, &t[0], PIN, json!({ "c": "C2Cnobody", "p": true })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            &t[0],
            "/conversation/pinConversation",
            json!({ "conversationID": "C2Cnobody", "isPinned": true })
        )
        .await,
        (404, 404)
    );
}

#[tokio::test]
async fn managers_pin_group_messages_up_to_ten_and_members_are_told() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "zed"]).await;
    let (owner, mia, zed) = (&t[0], &t[1], &t[2]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] })).await;
    create_group(
        &app,
        zed,
        json!({ "name": "o", "groupID": "other", "type": "Public" }),
    )
    .await;
    let mut ids = Vec::new();
    for n in 0..11 {
        ids.push(
            send_group_text(&app, owner, "g", &format!("m{n}")).await["ID"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let foreign = send_group_text(&app, zed, "other", "elsewhere").await["ID"].clone();
    let mut ws = WsClient::with_token(&app, mia).await;
    ws.subscribe(
        "u",
        "subscription { groupUpdated { groupID introduction pinnedMessageList { ID payload { ... on TextElem { text } } } } }",
        json!({}),
    )
    .await;
    let mut probe = 0;
    ws.until_live("u", "groupUpdated", async || {
        probe += 1;
        ok(
            &app,
            owner,
            "mutation($i: UpdateGroupProfileInput!) { updateGroupProfile(input: $i) { groupID } }",
            json!({ "i": { "groupID": "g", "introduction": format!("probe {probe}") } }),
        )
        .await;
    })
    .await;
    // A plain member of a Public group may not pin.
    assert_eq!(
        err(
            &app,
            mia,
            PIN_MESSAGE,
            json!({ "g": "g", "m": ids[0], "p": true })
        )
        .await,
        "FORBIDDEN"
    );
    let pinned = ok(
        &app,
        owner,
        PIN_MESSAGE,
        json!({ "g": "g", "m": ids[0], "p": true }),
    )
    .await;
    assert_eq!(texts(&pinned["pinGroupMessage"]), ["m0"]);
    let told = next_matching(&mut ws, "u", |d| {
        d["groupUpdated"]["pinnedMessageList"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    })
    .await;
    assert_eq!(texts(&told["groupUpdated"]["pinnedMessageList"]), ["m0"]);
    for id in &ids[1..10] {
        ok(
            &app,
            owner,
            PIN_MESSAGE,
            json!({ "g": "g", "m": id, "p": true }),
        )
        .await;
    }
    // Pinning again is idempotent, even at the limit; an eleventh is refused.
    ok(
        &app,
        owner,
        PIN_MESSAGE,
        json!({ "g": "g", "m": ids[3], "p": true }),
    )
    .await;
    assert_eq!(
        err(
            &app,
            owner,
            PIN_MESSAGE,
            json!({ "g": "g", "m": ids[10], "p": true })
        )
        .await,
        "BAD_USER_INPUT"
    );
    let profile = ok(
        &app,
        mia,
        "query($g: String!) { getGroupProfile(groupID: $g) { pinnedMessageList { ID } } }",
        json!({ "g": "g" }),
    )
    .await;
    assert_eq!(
        profile["getGroupProfile"]["pinnedMessageList"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
    // Compat unpins; a message of another group is not found here.
    let data = compat_ok(
        &app,
        owner,
        "/group/pinGroupMessage",
        json!({ "groupID": "g", "messageID": ids[0], "isPinned": false }),
    )
    .await;
    assert_eq!(data["pinnedMessageList"].as_array().map(Vec::len), Some(9));
    assert_eq!(
        texts(&data["pinnedMessageList"])[0],
        "m1",
        "pinning order is kept"
    );
    assert_eq!(
        err(
            &app,
            owner,
            PIN_MESSAGE,
            json!({ "g": "g", "m": foreign, "p": true })
        )
        .await,
        "NOT_FOUND"
    );
    assert_eq!(
        err(
            &app,
            zed,
            PIN_MESSAGE,
            json!({ "g": "g", "m": ids[0], "p": true })
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/pinGroupMessage",
            json!({ "groupID": "g", "messageID": ids[1], "isPinned": false })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn any_member_of_a_private_group_may_pin() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    create_group(&app, &t[0], json!({ "name": "w", "groupID": "w", "type": "Private", "memberList": [{ "userID": "mia" }] })).await;
    let id = send_group_text(&app, &t[0], "w", "plan").await["ID"].clone();
    let pinned = ok(
        &app,
        &t[1],
        PIN_MESSAGE,
        json!({ "g": "w", "m": id, "p": true }),
    )
    .await;
    assert_eq!(texts(&pinned["pinGroupMessage"]), ["plan"]);
}
