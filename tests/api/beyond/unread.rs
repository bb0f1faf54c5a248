//! `getTotalUnreadMessageCount` and `totalUnreadMessageCountUpdated`.

use serde_json::json;

use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{compat_err, compat_ok, ok, seed_users, send_text, spawn_app, WsClient},
};

const TOTAL: &str = "{ getTotalUnreadMessageCount }";

#[tokio::test]
async fn the_live_total_starts_at_the_current_total_and_follows_each_change() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    send_text(&app, bob, "alice", "one").await;
    send_text(&app, bob, "alice", "two").await;
    send_text(&app, carol, "alice", "three").await;
    // Her own messages never count.
    send_text(&app, alice, "alice", "mine").await;
    assert_eq!(
        ok(&app, alice, TOTAL, json!({})).await["getTotalUnreadMessageCount"],
        2 + 1
    );
    assert_eq!(
        compat_ok(
            &app,
            alice,
            "/conversation/getTotalUnreadMessageCount",
            json!({})
        )
        .await,
        json!(3)
    );
    let mut ws = WsClient::with_token(&app, alice).await;
    ws.subscribe(
        "t",
        "subscription { totalUnreadMessageCountUpdated }",
        json!({}),
    )
    .await;
    assert_eq!(ws.next_data("t").await["totalUnreadMessageCountUpdated"], 3);
    send_text(&app, carol, "alice", "four").await;
    assert_eq!(ws.next_data("t").await["totalUnreadMessageCountUpdated"], 4);
    ok(
        &app,
        alice,
        "mutation { setMessageRead(conversationID: \"C2Cbob\") { unreadCount } }",
        json!({}),
    )
    .await;
    assert_eq!(ws.next_data("t").await["totalUnreadMessageCountUpdated"], 2);
    compat_ok(
        &app,
        alice,
        "/conversation/deleteConversation",
        json!({ "conversationID": "C2Ccarol" }),
    )
    .await;
    assert_eq!(ws.next_data("t").await["totalUnreadMessageCountUpdated"], 0);
    // Group messages count where the type counts unread (not in ChatRooms).
    create_group(&app, bob, json!({ "name": "p", "groupID": "p", "type": "Public", "memberList": [{ "userID": "alice" }] })).await;
    create_group(&app, bob, json!({ "name": "c", "groupID": "c", "type": "ChatRoom", "memberList": [{ "userID": "alice" }] })).await;
    send_group_text(&app, bob, "c", "not counted").await;
    send_group_text(&app, bob, "p", "counted").await;
    let list = ok(
        &app,
        alice,
        "{ getConversationList { conversationID unreadCount } }",
        json!({}),
    )
    .await;
    let counts: Vec<(String, i64)> = list["getConversationList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["conversationID"].as_str().unwrap_or_default().to_owned(),
                c["unreadCount"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert!(counts.contains(&("GROUPc".to_owned(), 0)), "{counts:?}");
    let expected: i64 = counts.iter().map(|(_, n)| n).sum();
    assert!(expected >= 1, "{counts:?}");
    let mut last = 0;
    while last != expected {
        last = ws.next_data("t").await["totalUnreadMessageCountUpdated"]
            .as_i64()
            .unwrap_or_default();
        assert!(last <= expected, "{last} > {expected}");
    }
    assert_eq!(
        ok(&app, alice, TOTAL, json!({})).await["getTotalUnreadMessageCount"],
        expected
    );
}

#[tokio::test]
async fn a_burst_of_messages_gives_rising_totals_ending_at_the_real_one() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob"]).await;
    let mut ws = WsClient::with_token(&app, &t[0]).await;
    ws.subscribe(
        "t",
        "subscription { totalUnreadMessageCountUpdated }",
        json!({}),
    )
    .await;
    assert_eq!(ws.next_data("t").await["totalUnreadMessageCountUpdated"], 0);
    for n in 0..8 {
        send_text(&app, &t[1], "alice", &format!("m{n}")).await;
    }
    let mut seen = Vec::new();
    while seen.last() != Some(&8) {
        let total = ws.next_data("t").await["totalUnreadMessageCountUpdated"]
            .as_i64()
            .unwrap_or_default();
        seen.push(total);
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "each event is a new total: {seen:?}"
    );
    assert_eq!(
        compat_err(
            &app,
            "not a token",
            "/conversation/getTotalUnreadMessageCount",
            json!({})
        )
        .await,
        (401, 70001)
    );
}
