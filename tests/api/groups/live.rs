//! Live delivery in groups: remind types, membership changes on open
//! subscriptions, `groupUpdated`, and fan-out to many members.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::{
    groups::support::{
        add, conversation, create_group, history, send_group_text, texts, Listener, REMOVE, UPDATE,
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
    // (Nothing can mark the group's stream while it is discarded; below, the
    // first message after Discard is switched off shows nothing came before.)
    send_group_text(&app, owner, "g", "discarded").await;
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
    let quiet = send_group_text(&app, owner, "g", "quiet").await;
    // The first event either stream hands out since Discard: nothing from the
    // discarded time leaked before it.
    for listener in [&mut live, &mut later] {
        let first = listener.next().await;
        assert_eq!(
            (first["ID"].clone(), first["payload"]["text"].clone()),
            (quiet["ID"].clone(), json!("quiet")),
            "nothing from the discarded time leaks: {first}"
        );
    }
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
    assert_eq!(ben_live.next_text().await, "after 1");
    assert_eq!(ben_live.next_text().await, "after 2");
    // The marker: added back, the group's next message. Had her stream kept
    // the group, "after 1" and "after 2" would come before it (one group's
    // messages are delivered in order); a marker on her own topic could not
    // tell, since her own topic is read first.
    add(&app, owner, "g", &["mia"]).await;
    let back = send_group_text(&app, owner, "g", "back").await;
    // Of the group, only her joining's tip comes before "back". Her notice is
    // in another conversation (her system one), which keeps no order with the
    // group's: it may come before or after "back", but it comes.
    let mut group_before = Vec::new();
    let (mut back_seen, mut notice_seen) = (false, false);
    while !(back_seen && notice_seen) {
        let message = mia_live.next().await;
        if message["ID"] == back["ID"] {
            back_seen = true;
        } else if message["conversationID"] == "@TIM#SYSTEM" {
            assert_eq!(message["type"], "TIMGroupSystemNoticeElem");
            assert!(!notice_seen, "one notice of her joining");
            notice_seen = true;
        } else {
            assert!(!back_seen, "nothing of the group after \"back\": {message}");
            group_before.push(format!(
                "{} {} {}",
                message["type"], message["conversationID"], message["payload"]["text"]
            ));
            assert!(
                group_before.len() <= 1,
                "only her joining comes first: {group_before:?}"
            );
        }
    }
    assert_eq!(group_before, ["\"TIMGroupTipElem\" \"GROUPg\" null"]);
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

#[tokio::test]
async fn concurrent_senders_into_one_group_reach_every_subscriber_in_sequence_order() {
    const SENDERS: usize = 4;
    const EACH: usize = 25;
    const TOTAL: i64 = (SENDERS * EACH) as i64;
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "s0", "s1", "s2", "s3", "w0", "w1"]).await;
    let owner = &t[0];
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "s0" }, { "userID": "s1" }, { "userID": "s2" }, { "userID": "s3" }, { "userID": "w0" }, { "userID": "w1" }] })).await;
    // The sequence the group's messages continue from (its tips came first).
    let base = history(&app, owner, "GROUPg")
        .await
        .last()
        .and_then(|m| m["sequence"].as_i64())
        .expect("the group's tips");
    let mut watchers = vec![
        Listener::open(&app, &t[5], "w0").await,
        Listener::open(&app, &t[6], "w1").await,
    ];
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let (client, token) = (app.gql_client(), t[1 + s].clone());
            tokio::spawn(async move {
                let mut sequences = Vec::new();
                for i in 0..EACH {
                    let body = client
                        .gql(
                            Some(&token),
                            "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { sequence } }",
                            json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "text": { "text": format!("s{s}-{i}") } } } }),
                        )
                        .await;
                    let sequence = body["data"]["sendMessage"]["sequence"]
                        .as_i64()
                        .unwrap_or_else(|| panic!("{body}"));
                    sequences.push(sequence);
                }
                sequences
            })
        })
        .collect();
    // Each watcher gets base+1, base+2, ... with no gap or repeat; each
    // sender's messages come in the order it sent them.
    let mut delivered = Vec::new();
    for watcher in &mut watchers {
        let mut ids = Vec::new();
        let mut next_of_sender = [0usize; SENDERS];
        for expected in base + 1..=base + TOTAL {
            let message = watcher.next().await;
            assert_eq!(message["conversationID"], "GROUPg", "{message}");
            assert_eq!(message["sequence"], expected, "{message}");
            let text = message["payload"]["text"].as_str().expect("a text");
            let sender: usize = message["from"]
                .as_str()
                .and_then(|f| f.strip_prefix('s'))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("from a sender: {message}"));
            assert_eq!(
                text,
                format!("s{sender}-{}", next_of_sender[sender]),
                "each sender's order"
            );
            next_of_sender[sender] += 1;
            ids.push(message["ID"].clone());
        }
        delivered.push(ids);
    }
    assert_eq!(delivered[0], delivered[1], "both saw the same order");
    let mut answered = Vec::new();
    for sender in senders {
        let sequences = sender.await.expect("sender");
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "one sender's sequences grow: {sequences:?}"
        );
        answered.extend(sequences);
    }
    answered.sort_unstable();
    assert_eq!(answered, (base + 1..=base + TOTAL).collect::<Vec<_>>());
    // History agrees, for a sender and a watcher.
    for token in [&t[1], &t[5]] {
        let listed = history(&app, token, "GROUPg").await;
        let texts: Vec<&Value> = listed
            .iter()
            .filter(|m| m["type"] == "TIMTextElem")
            .collect();
        let ids: Vec<Value> = texts.iter().map(|m| m["ID"].clone()).collect();
        let sequences: Vec<i64> = texts
            .iter()
            .map(|m| m["sequence"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(ids, delivered[0]);
        assert_eq!(sequences, (base + 1..=base + TOTAL).collect::<Vec<_>>());
    }
    // Nothing more follows: the next event is a marker sent now.
    let marker = send_group_text(&app, owner, "g", "marker").await;
    for watcher in &mut watchers {
        let next = watcher.next().await;
        assert_eq!(
            (next["ID"].clone(), next["sequence"].clone()),
            (marker["ID"].clone(), json!(base + TOTAL + 1)),
            "{next}"
        );
    }
}
