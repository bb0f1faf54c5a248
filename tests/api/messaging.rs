//! One-to-one messages on both surfaces: create, send, resend, revoke, history.

use serde_json::{json, Value};

use crate::helpers::{
    history, send_query, send_text, spawn_app, spawn_app_with, WsClient, MSG_FIELDS,
};

#[tokio::test]
async fn a_sent_text_has_every_message_field_from_each_side() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.gql_ok(
        Some(&alice),
        "mutation { updateMyProfile(input: { nick: \"Ally\", avatar: \"a.png\" }) { nick } }",
        json!({}),
    )
    .await;
    let sent = send_text(&app, &alice, "bob", "hello bob").await;
    assert_eq!(sent["type"], "TIMTextElem");
    assert_eq!(
        sent["payload"],
        json!({ "__typename": "TextElem", "text": "hello bob" })
    );
    assert_eq!(sent["conversationID"], "C2Cbob");
    assert_eq!(sent["conversationType"], "C2C");
    assert_eq!(
        (sent["from"].clone(), sent["to"].clone()),
        (json!("alice"), json!("bob"))
    );
    assert_eq!(sent["flow"], "out");
    assert_eq!(sent["status"], "success");
    assert_eq!(sent["sequence"], 1);
    assert_eq!(sent["priority"], "Normal");
    assert_eq!(sent["nick"], "Ally");
    assert_eq!(sent["avatar"], "a.png");
    assert_eq!(sent["isRevoked"], false);
    assert_eq!(sent["isPeerRead"], false);
    assert!(sent["time"].as_i64().unwrap_or(0) > 1_700_000_000);
    let page = history(&app, &bob, "C2Calice", 15, None).await;
    let got = &page["messageList"][0];
    assert_eq!(got["ID"], sent["ID"]);
    assert_eq!(got["flow"], "in");
    assert_eq!(got["conversationID"], "C2Calice");
    assert_eq!(page["isCompleted"], true);
    assert_eq!(page["nextReqMessageID"], "");
}

#[tokio::test]
async fn every_non_media_kind_round_trips() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let first = send_text(&app, &alice, "bob", "one").await;
    let second = send_text(&app, &alice, "bob", "two").await;
    let payloads = [
        (
            json!({ "custom": { "data": "d", "description": "desc", "extension": "ext" } }),
            "TIMCustomElem",
        ),
        (
            json!({ "face": { "index": 3, "data": "smile" } }),
            "TIMFaceElem",
        ),
        (
            json!({ "location": { "description": "HQ", "longitude": 113.9, "latitude": 22.5 } }),
            "TIMLocationElem",
        ),
        (
            json!({ "merger": { "messageIDList": [first["ID"], second["ID"]], "title": "Chat", "abstractList": ["alice: one"], "compatibleText": "upgrade" } }),
            "TIMRelayElem",
        ),
        (
            json!({ "forward": { "messageID": first["ID"] } }),
            "TIMTextElem",
        ),
    ];
    for (payload, kind) in payloads {
        let data = app
            .gql_ok(
                Some(&alice),
                &send_query(),
                json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": payload } }),
            )
            .await;
        assert_eq!(data["sendMessage"]["type"], kind, "{payload}");
    }
    let page = history(&app, &alice, "C2Cbob", 15, None).await;
    let list = page["messageList"].as_array().expect("list");
    assert_eq!(list.len(), 7);
    assert_eq!(
        list[2]["payload"],
        json!({ "__typename": "CustomElem", "data": "d", "description": "desc", "extension": "ext" })
    );
    assert_eq!(list[3]["payload"]["index"], 3);
    assert_eq!(list[4]["payload"]["longitude"], 113.9);
    let relay = &list[5]["payload"];
    assert_eq!(relay["title"], "Chat");
    assert_eq!(relay["messageList"][1]["payload"]["text"], "two");
    assert_eq!(
        list[6]["payload"]["text"], "one",
        "a forward copies the original"
    );
    let seqs: Vec<i64> = list
        .iter()
        .map(|m| m["sequence"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
}

#[tokio::test]
async fn bad_input_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    app.register("bob").await;
    let q = send_query();
    let cases = [
        (
            json!({ "to": "ghost", "conversationType": "C2C", "payload": { "text": { "text": "x" } } }),
            "NOT_FOUND",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "" } } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "x".repeat(12_001) } } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "custom": {} } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "location": { "longitude": 200.0, "latitude": 0.0 } } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "forward": { "messageID": "nope" } } }),
            "NOT_FOUND",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "atUserList": ["bob"], "payload": { "text": { "text": "x" } } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "SYSTEM", "payload": { "text": { "text": "x" } } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "to": "bob", "conversationType": "GROUP", "payload": { "text": { "text": "x" } } }),
            "GROUP_NOT_FOUND",
        ),
        (
            json!({ "to": "bob", "conversationType": "C2C", "clientMsgID": "c".repeat(65), "payload": { "text": { "text": "x" } } }),
            "BAD_USER_INPUT",
        ),
    ];
    for (m, code) in cases {
        assert_eq!(
            app.gql_err(Some(&alice), &q, json!({ "m": m })).await,
            code,
            "{m}"
        );
    }
    // Two payload kinds at once break @oneOf.
    let body = app
        .gql(Some(&alice), &q, json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "x" }, "face": { "index": 1 } } } }))
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{body}"
    );
    let page = history(&app, &alice, "C2Cbob", 15, None).await;
    assert_eq!(page["messageList"], json!([]), "nothing was stored");
    assert_eq!(
        app.gql_err(
            Some(&alice),
            "{ getMessageList(conversationID: \"C2Cghost\") { isCompleted } }",
            json!({})
        )
        .await,
        "NOT_FOUND"
    );
    assert_eq!(
        app.gql_err(
            Some(&alice),
            "{ getMessageList(conversationID: \"nonsense\") { isCompleted } }",
            json!({})
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.gql_err(
            Some(&alice),
            "{ getMessageList(conversationID: \"C2Cbob\", count: 101) { isCompleted } }",
            json!({})
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(app.gql_err(Some(&alice), "{ getMessageList(conversationID: \"C2Cbob\", nextReqMessageID: \"bogus\") { isCompleted } }", json!({})).await, "BAD_USER_INPUT");
}

#[tokio::test]
async fn create_then_send_and_unsent_messages_are_the_senders_alone() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let created = app
        .gql_ok(
            Some(&alice),
            &format!("mutation {{ createMessage(input: {{ to: \"bob\", conversationType: C2C, payload: {{ text: {{ text: \"draft\" }} }} }}) {{ {MSG_FIELDS} }} }}"),
            json!({}),
        )
        .await["createMessage"]
        .clone();
    assert_eq!(created["status"], "unSend");
    assert_eq!(created["sequence"], 0);
    let mine = history(&app, &alice, "C2Cbob", 15, None).await;
    assert_eq!(mine["messageList"][0]["status"], "unSend");
    let theirs = history(&app, &bob, "C2Calice", 15, None).await;
    assert_eq!(theirs["messageList"], json!([]), "bob cannot see a draft");
    let id = created["ID"].as_str().expect("id");
    assert_eq!(
        app.gql_err(
            Some(&bob),
            &format!("mutation {{ sendMessage(messageID: \"{id}\") {{ ID }} }}"),
            json!({})
        )
        .await,
        "NOT_FOUND",
        "only the author may send it"
    );
    let sent = app
        .gql_ok(
            Some(&alice),
            &format!("mutation {{ sendMessage(messageID: \"{id}\") {{ status sequence }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(
        sent["sendMessage"],
        json!({ "status": "success", "sequence": 1 })
    );
    let theirs = history(&app, &bob, "C2Calice", 15, None).await;
    assert_eq!(theirs["messageList"][0]["ID"], id);
    assert_eq!(
        app.gql_err(Some(&alice), "mutation { sendMessage { ID } }", json!({}))
            .await,
        "BAD_USER_INPUT",
        "exactly one of messageID and message"
    );
}

#[tokio::test]
async fn blacklisted_sends_fail_are_stored_as_fail_and_can_be_resent() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    app.gql_ok(
        Some(&bob),
        "mutation { addToBlacklist(userIDList: [\"alice\"]) }",
        json!({}),
    )
    .await;
    let q = send_query();
    let m = json!({ "m": { "to": "bob", "conversationType": "C2C", "payload": { "text": { "text": "let me in" } } } });
    assert_eq!(app.gql_err(Some(&alice), &q, m).await, "BLOCKED");
    let mine = history(&app, &alice, "C2Cbob", 15, None).await;
    let failed = &mine["messageList"][0];
    assert_eq!(failed["status"], "fail");
    assert_eq!(
        history(&app, &bob, "C2Calice", 15, None).await["messageList"],
        json!([]),
        "never delivered"
    );
    // Bob can still message alice.
    send_text(&app, &bob, "alice", "I can talk").await;
    let id = failed["ID"].as_str().expect("id");
    let resend = format!("mutation {{ resendMessage(messageID: \"{id}\") {{ status sequence }} }}");
    assert_eq!(
        app.gql_err(Some(&alice), &resend, json!({})).await,
        "BLOCKED"
    );
    app.gql_ok(
        Some(&bob),
        "mutation { removeFromBlacklist(userIDList: [\"alice\"]) }",
        json!({}),
    )
    .await;
    let data = app.gql_ok(Some(&alice), &resend, json!({})).await;
    assert_eq!(
        data["resendMessage"],
        json!({ "status": "success", "sequence": 2 })
    );
    assert_eq!(
        app.gql_err(Some(&alice), &resend, json!({})).await,
        "BAD_USER_INPUT",
        "only failed messages"
    );
}

#[tokio::test]
async fn client_msg_id_makes_sends_idempotent_even_when_concurrent() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    // Bob and another session of alice's watch the conversation.
    let received = "subscription($c: String) { messageReceived(conversationID: $c) { ID payload { ... on TextElem { text } } } }";
    let mut bob_ws = WsClient::with_token(&app, &bob).await;
    bob_ws
        .subscribe("m", received, json!({ "c": "C2Calice" }))
        .await;
    app.until_feeds(&bob, 1).await;
    let mut alice_ws = WsClient::with_token(&app, &alice).await;
    alice_ws
        .subscribe("m", received, json!({ "c": "C2Cbob" }))
        .await;
    app.until_feeds(&alice, 1).await;
    let q = send_query();
    let vars = json!({ "m": { "to": "bob", "conversationType": "C2C", "clientMsgID": "c-1", "payload": { "text": { "text": "once" } } } });
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (client, q, vars, token) = (app.gql_client(), q.clone(), vars.clone(), alice.clone());
        handles.push(tokio::spawn(async move {
            client.gql(Some(&token), &q, vars).await
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        let body = h.await.expect("join");
        assert!(body.get("errors").is_none(), "{body}");
        ids.push(
            body["data"]["sendMessage"]["ID"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every retry returns the first message");
    // One live delivery each: the marker sent after every retry has answered
    // comes right after it (a conversation is delivered in order).
    let marker = send_text(&app, &alice, "bob", "marker").await;
    for ws in [&mut bob_ws, &mut alice_ws] {
        let first = ws.next_data("m").await["messageReceived"].clone();
        assert_eq!(
            first,
            json!({ "ID": ids[0], "payload": { "text": "once" } })
        );
        let next = ws.next_data("m").await["messageReceived"].clone();
        assert_eq!(
            next,
            json!({ "ID": marker["ID"], "payload": { "text": "marker" } }),
            "one delivery, then the marker"
        );
    }
    let page = history(&app, &bob, "C2Calice", 15, None).await;
    assert_eq!(page["messageList"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["messageList"][0]["ID"], ids[0]);
    assert_eq!(
        page["messageList"][0]["clientMsgID"],
        Value::Null,
        "the key is the sender's business"
    );
}

#[tokio::test]
async fn concurrent_sends_into_one_conversation_get_gapless_sequences() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mut handles = Vec::new();
    for i in 0..40 {
        let token = if i % 2 == 0 {
            alice.clone()
        } else {
            bob.clone()
        };
        let to = if i % 2 == 0 { "bob" } else { "alice" };
        let client = app.gql_client();
        let q = send_query();
        handles.push(tokio::spawn(async move {
            let body = client
                .gql(
                    Some(&token),
                    &q,
                    json!({ "m": { "to": to, "conversationType": "C2C", "payload": { "text": { "text": format!("m{i}") } } } }),
                )
                .await;
            body["data"]["sendMessage"]["sequence"].as_i64().unwrap_or_else(|| panic!("{body}"))
        }));
    }
    let mut seqs = Vec::new();
    for h in handles {
        seqs.push(h.await.expect("join"));
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=40).collect::<Vec<_>>(),
        "no duplicate or skipped sequence"
    );
}

#[tokio::test]
async fn paging_through_history_has_no_gaps_or_overlaps() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    for i in 1..=23 {
        send_text(&app, &alice, "bob", &format!("m{i}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = history(&app, &bob, "C2Calice", 10, cursor.as_deref()).await;
        let list = page["messageList"].as_array().expect("list");
        let seqs: Vec<i64> = list
            .iter()
            .map(|m| m["sequence"].as_i64().unwrap_or(0))
            .collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "ascending within a page: {seqs:?}"
        );
        seen.splice(0..0, seqs);
        if page["isCompleted"] == true {
            assert_eq!(page["nextReqMessageID"], "");
            break;
        }
        assert_eq!(
            page["nextReqMessageID"], list[0]["ID"],
            "cursor is the oldest of the page"
        );
        cursor = page["nextReqMessageID"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, (1..=23).collect::<Vec<_>>());
    // Someone else's cursor is refused.
    let carol = app.register("carol").await;
    let other = send_text(&app, &carol, "alice", "hi").await;
    let code = app
        .gql_err(
            Some(&bob),
            "query($r: String) { getMessageList(conversationID: \"C2Calice\", nextReqMessageID: $r) { isCompleted } }",
            json!({ "r": other["ID"] }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn revoke_rules_and_the_emptied_payload() {
    let app = spawn_app_with(|c| c.revoke_limit = 0).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let old = send_text(&app, &alice, "bob", "too late").await;
    let revoke = |id: &Value| {
        format!("mutation {{ revokeMessage(messageID: \"{}\") {{ isRevoked payload {{ __typename }} }} }}", id.as_str().unwrap_or(""))
    };
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        app.gql_err(Some(&alice), &revoke(&old["ID"]), json!({}))
            .await,
        "REVOKE_TIME_LIMIT"
    );
    let (status, body) = app
        .compat(
            Some(&alice),
            "/message/revokeMessage",
            json!({ "ID": old["ID"] }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (409, json!(20016)));

    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob2 = app.register("bob").await;
    let _ = bob;
    let msg = send_text(&app, &alice, "bob", "oops").await;
    assert_eq!(
        app.gql_err(Some(&bob2), &revoke(&msg["ID"]), json!({}))
            .await,
        "FORBIDDEN",
        "not the sender"
    );
    let data = app
        .gql_ok(Some(&alice), &revoke(&msg["ID"]), json!({}))
        .await;
    assert_eq!(
        data["revokeMessage"],
        json!({ "isRevoked": true, "payload": null })
    );
    assert_eq!(
        app.gql_err(Some(&alice), &revoke(&msg["ID"]), json!({}))
            .await,
        "BAD_USER_INPUT",
        "already revoked"
    );
    let page = history(&app, &bob2, "C2Calice", 15, None).await;
    assert_eq!(page["messageList"][0]["isRevoked"], true);
    let list = app
        .gql_ok(
            Some(&bob2),
            "{ getConversationList { lastMessage { isRevoked messageForShow } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        list["getConversationList"][0]["lastMessage"]["isRevoked"],
        true
    );
    let (status, body) = app
        .compat(
            Some(&bob2),
            "/message/getMessageList",
            json!({ "conversationID": "C2Calice" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (200, json!(0)), "{body}");
    assert_eq!(body["data"][0]["message"]["payload"], json!({}));
}

#[tokio::test]
async fn compat_message_routes_follow_the_seed() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    // createMessage infers the kind from the payload.
    let cases = [
        (json!({ "text": "hi" }), "TIMTextElem"),
        (
            json!({ "data": "d", "description": "x", "extension": "" }),
            "TIMCustomElem",
        ),
        (json!({ "data": "smile", "index": "2" }), "TIMFaceElem"),
        (
            json!({ "description": "HQ", "longitude": 1.5, "latitude": 2.5 }),
            "TIMLocationElem",
        ),
    ];
    let mut ids = Vec::new();
    for (payload, kind) in cases {
        let (status, body) = app
            .compat(Some(&alice), "/message/createMessage", json!({ "to": "bob", "conversationType": "C2C", "priority": "Normal", "payload": payload }))
            .await;
        assert_eq!((status, body["code"].clone()), (200, json!(0)), "{body}");
        assert_eq!(body["data"]["type"], kind);
        assert_eq!(body["data"]["status"], "unSend");
        ids.push(body["data"]["ID"].clone());
    }
    for id in &ids {
        let (status, body) = app
            .compat(Some(&alice), "/message/sendMessage", json!({ "ID": id }))
            .await;
        assert_eq!((status, body["code"].clone()), (200, json!(0)), "{body}");
        assert_eq!(body["data"]["message"]["status"], "success");
    }
    let (_, body) = app
        .compat(Some(&alice), "/message/sendMessage", json!({ "message": { "to": "bob", "conversationType": "C2C", "priority": "High", "payload": { "message": { "ID": ids[0] } } } }))
        .await;
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(
        body["data"]["message"]["type"], "TIMTextElem",
        "forward by message object"
    );
    assert_eq!(body["data"]["message"]["priority"], "High");
    let (_, body) = app
        .compat(Some(&alice), "/message/sendMessage", json!({ "message": { "to": "bob", "conversationType": "C2C", "priority": "Normal", "payload": { "messageList": [ids[0], ids[1]], "title": "t", "compatibleText": "c" } } }))
        .await;
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["data"]["message"]["type"], "TIMRelayElem");
    assert_eq!(
        body["data"]["message"]["payload"]["messageList"][0]["payload"]["text"],
        "hi"
    );

    let (status, body) = app
        .compat(
            Some(&bob),
            "/message/getMessageList",
            json!({ "conversationID": "C2Calice", "count": 3 }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (200, json!(0)), "{body}");
    let list = body["data"].as_array().expect("data is the seed's list");
    assert_eq!(list.len(), 3);
    assert!(list
        .iter()
        .all(|item| item["message"]["conversationID"] == "C2Calice"));
    assert_eq!(list[2]["message"]["conversationType"], "C2C");

    let (status, body) = app
        .compat(
            Some(&bob),
            "/message/setMessageRead",
            json!({ "conversationID": "C2Calice" }),
        )
        .await;
    assert_eq!(
        (status, body["code"].clone(), body["data"].clone()),
        (200, json!(0), json!({}))
    );

    // Errors carry TIM's codes.
    let (status, body) = app
        .compat(Some(&alice), "/message/createMessage", json!({ "to": "ghost", "conversationType": "C2C", "priority": "Normal", "payload": { "text": "x" } }))
        .await;
    assert_eq!((status, body["code"].clone()), (404, json!(404)));
    let (status, body) = app
        .compat(Some(&alice), "/message/createMessage", json!({ "to": "bob", "conversationType": "C2C", "payload": { "text": "x" }, "bogus": 1 }))
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(400)), "{body}");
    let (status, body) = app
        .compat(
            Some(&alice),
            "/message/createMessage",
            json!({ "to": "bob", "conversationType": "C2C", "payload": { "unknownKind": 1 } }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (400, json!(400)), "{body}");
    let (status, body) = app
        .compat(
            None,
            "/message/getMessageList",
            json!({ "conversationID": "C2Calice" }),
        )
        .await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
}
