//! `addMessageReaction`, `removeMessageReaction`, `Message.reactions`,
//! `getAllUserListOfMessageReaction` and `messageReactionsUpdated`.

use serde_json::{json, Value};

use super::{message_in_list, next_matching};
use crate::{
    groups::support::{create_group, send_group_text},
    helpers::{compat_err, compat_ok, err, ok, seed_users, send_text, spawn_app, WsClient},
};

const ADD: &str = "mutation($m: ID!, $r: String!) { addMessageReaction(messageID: $m, reactionID: $r) { ID reactions { reactionID totalUserCount reactedByMyself partialUserList } } }";
const REMOVE: &str = "mutation($m: ID!, $r: String!) { removeMessageReaction(messageID: $m, reactionID: $r) { ID reactions { reactionID totalUserCount reactedByMyself partialUserList } } }";
const USERS: &str = "query($m: ID!, $r: String!, $s: Int, $n: Int) { getAllUserListOfMessageReaction(messageID: $m, reactionID: $r, nextSeq: $s, count: $n) { userList { userID nick } nextSeq isCompleted } }";

fn summary(reactions: &Value) -> Vec<(String, i64, bool, usize)> {
    reactions
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r["reactionID"].as_str().unwrap_or_default().to_owned(),
                r["totalUserCount"].as_i64().unwrap_or_default(),
                r["reactedByMyself"].as_bool().unwrap_or_default(),
                r["partialUserList"].as_array().map(Vec::len).unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn reactions_are_idempotent_summarised_and_told_to_both_sides() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob", "carol"]).await;
    let (alice, bob, carol) = (&t[0], &t[1], &t[2]);
    let message = send_text(&app, alice, "bob", "party?").await;
    let id = message["ID"].clone();
    let mut ws = WsClient::with_token(&app, alice).await;
    ws.subscribe(
        "r",
        "subscription { messageReactionsUpdated { conversationID messageID reactions { reactionID totalUserCount partialUserList reactedByMyself } } }",
        json!({}),
    )
    .await;
    // Live once bob's (re-)reaction is told: he takes it back before each try.
    ws.until_live("r", "messageReactionsUpdated", async || {
        ok(&app, bob, REMOVE, json!({ "m": id, "r": "probe" })).await;
        ok(&app, bob, ADD, json!({ "m": id, "r": "probe" })).await;
    })
    .await;
    ok(&app, bob, REMOVE, json!({ "m": id, "r": "probe" })).await;
    let added = ok(&app, bob, ADD, json!({ "m": id, "r": "like" })).await;
    assert_eq!(
        summary(&added["addMessageReaction"]["reactions"]),
        [("like".to_owned(), 1, true, 1)]
    );
    // Idempotent: a second add changes nothing.
    let again = ok(&app, bob, ADD, json!({ "m": id, "r": "like" })).await;
    assert_eq!(
        again["addMessageReaction"]["reactions"][0]["totalUserCount"],
        1
    );
    let told = next_matching(&mut ws, "r", |d| {
        d["messageReactionsUpdated"]["reactions"]
            .as_array()
            .is_some_and(|l| l.iter().any(|r| r["reactionID"] == "like"))
    })
    .await;
    assert_eq!(told["messageReactionsUpdated"]["conversationID"], "C2Cbob");
    assert_eq!(told["messageReactionsUpdated"]["messageID"], id);
    // Seen by alice, who has not reacted.
    assert_eq!(
        summary(&told["messageReactionsUpdated"]["reactions"]),
        [("like".to_owned(), 1, false, 1)]
    );
    // Alice reacts over compat; the message shows both, by first use.
    let data = compat_ok(
        &app,
        alice,
        "/message/addMessageReaction",
        json!({ "messageID": id, "reactionID": "party" }),
    )
    .await;
    assert_eq!(data["message"]["reactions"][1]["reactionID"], "party");
    assert_eq!(data["message"]["reactions"][1]["reactedByMyself"], true);
    assert_eq!(data["message"]["reactions"][0]["reactedByMyself"], false);
    let history = ok(
        &app,
        bob,
        "query { getMessageList(conversationID: \"C2Calice\") { messageList { reactions { reactionID totalUserCount reactedByMyself partialUserList } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        summary(&history["getMessageList"]["messageList"][0]["reactions"]),
        [
            ("like".to_owned(), 1, true, 1),
            ("party".to_owned(), 1, false, 1)
        ]
    );
    // Removing is idempotent too; a reaction with nobody left disappears.
    let removed = ok(&app, bob, REMOVE, json!({ "m": id, "r": "like" })).await;
    assert_eq!(
        summary(&removed["removeMessageReaction"]["reactions"]),
        [("party".to_owned(), 1, false, 1)]
    );
    ok(&app, bob, REMOVE, json!({ "m": id, "r": "like" })).await;
    compat_ok(
        &app,
        alice,
        "/message/removeMessageReaction",
        json!({ "messageID": id, "reactionID": "party" }),
    )
    .await;
    // Only who can see the message; reactionID 1 to 32 bytes.
    assert_eq!(
        err(&app, carol, ADD, json!({ "m": id, "r": "like" })).await,
        "NOT_FOUND"
    );
    assert_eq!(
        err(&app, bob, ADD, json!({ "m": id, "r": "" })).await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, bob, ADD, json!({ "m": id, "r": "x".repeat(33) })).await,
        "BAD_USER_INPUT"
    );
    ok(&app, bob, ADD, json!({ "m": id, "r": "x".repeat(32) })).await;
    // Revoked messages take none.
    ok(
        &app,
        alice,
        "mutation($id: ID!) { revokeMessage(messageID: $id) { isRevoked } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        err(&app, bob, ADD, json!({ "m": id, "r": "like" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(
            &app,
            bob,
            "/message/addMessageReaction",
            json!({ "messageID": id, "reactionID": "like" })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn a_message_takes_twenty_kinds_and_its_users_are_paged() {
    let app = spawn_app().await;
    let names: Vec<String> = (0..13).map(|n| format!("u{n:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let t = seed_users(&app, &refs).await;
    let members: Vec<Value> = names[1..].iter().map(|n| json!({ "userID": n })).collect();
    create_group(
        &app,
        &t[0],
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": members }),
    )
    .await;
    let id = send_group_text(&app, &t[0], "g", "vote").await["ID"].clone();
    for kind in 0..20 {
        ok(
            &app,
            &t[0],
            ADD,
            json!({ "m": id, "r": format!("k{kind}") }),
        )
        .await;
    }
    assert_eq!(
        err(&app, &t[1], ADD, json!({ "m": id, "r": "k20" })).await,
        "BAD_USER_INPUT"
    );
    // An existing kind is still open to more users.
    for token in &t[1..] {
        ok(&app, token, ADD, json!({ "m": id, "r": "k0" })).await;
    }
    let message = ok(&app, &t[5], ADD, json!({ "m": id, "r": "k0" })).await;
    let k0 = &message["addMessageReaction"]["reactions"][0];
    assert_eq!(k0["totalUserCount"], 13);
    let partial: Vec<&str> = k0["partialUserList"]
        .as_array()
        .map(|l| l.iter().filter_map(|u| u.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(partial, refs[..10], "the first ten, by time");
    // reactedByMyself past the partial list, for another viewer.
    let seen = ok(
        &app,
        &t[12],
        "query { getMessageList(conversationID: \"GROUPg\") { messageList { ID reactions { reactionID reactedByMyself } } } }",
        json!({}),
    )
    .await;
    let vote = message_in_list(&seen, &id);
    assert_eq!(vote["reactions"][0]["reactedByMyself"], true);
    assert_eq!(vote["reactions"][1]["reactedByMyself"], false);
    // Pages of 5: 5, 5, 3.
    let mut users = Vec::new();
    let mut next = 0;
    loop {
        let page = ok(
            &app,
            &t[3],
            USERS,
            json!({ "m": id, "r": "k0", "s": next, "n": 5 }),
        )
        .await;
        let page = &page["getAllUserListOfMessageReaction"];
        for user in page["userList"].as_array().cloned().unwrap_or_default() {
            users.push(user["userID"].as_str().unwrap_or_default().to_owned());
        }
        if page["isCompleted"] == true {
            break;
        }
        next = page["nextSeq"].as_i64().unwrap_or_default();
    }
    assert_eq!(users, names);
    let first = compat_ok(
        &app,
        &t[3],
        "/message/getAllUserListOfMessageReaction",
        json!({ "messageID": id, "reactionID": "k0", "count": 2 }),
    )
    .await;
    assert_eq!(first["userList"][1]["userID"], "u01");
    assert_eq!(first["isCompleted"], false);
    assert_eq!(
        err(&app, &t[3], USERS, json!({ "m": id, "r": "k0", "n": 101 })).await,
        "BAD_USER_INPUT"
    );
    // Tips take no reactions.
    let history = ok(
        &app,
        &t[0],
        "query { getMessageList(conversationID: \"GROUPg\") { messageList { ID type } } }",
        json!({}),
    )
    .await;
    let tip = history["getMessageList"]["messageList"]
        .as_array()
        .and_then(|l| l.iter().find(|m| m["type"] == "TIMGroupTipElem").cloned())
        .expect("a tip of the group's creation");
    assert_eq!(
        err(&app, &t[0], ADD, json!({ "m": tip["ID"], "r": "k0" })).await,
        "FORBIDDEN"
    );
}
