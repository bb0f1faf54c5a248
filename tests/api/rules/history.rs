//! What a member sees of a group's history after deleting the conversation,
//! and after quitting and coming back, by group type.

use serde_json::{json, Value};

use crate::groups::support::{
    add, conversation, create_group, history, send_group_text, texts, JOIN, QUIT,
};
use crate::helpers::{compat_ok, err, ok, seed_users, spawn_app};

const LIST: &str = "{ getConversationList { conversationID unreadCount } }";
const DELETE: &str = "mutation($c: String!) { deleteConversation(conversationID: $c) }";

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["conversationID"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn deleting_a_group_conversation_hides_its_history_for_that_member_only() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "ben"]).await;
    let (olive, mia, ben) = (&t[0], &t[1], &t[2]);
    create_group(
        &app,
        olive,
        json!({ "name": "g", "groupID": "g", "type": "Community", "memberList": [{ "userID": "mia" }, { "userID": "ben" }] }),
    )
    .await;
    let old = send_group_text(&app, olive, "g", "old one").await;
    send_group_text(&app, ben, "g", "old two").await;
    assert_eq!(texts(&app, mia, "GROUPg").await, ["old one", "old two"]);

    let data = ok(&app, mia, DELETE, json!({ "c": "GROUPg" })).await;
    assert_eq!(data["deleteConversation"], "GROUPg");
    assert!(
        history(&app, mia, "GROUPg").await.is_empty(),
        "tips and texts before the delete are gone for mia"
    );
    assert!(
        !ids(&ok(&app, mia, LIST, json!({})).await["getConversationList"])
            .contains(&"GROUPg".to_owned())
    );
    // A hidden message is not found by ID either.
    assert_eq!(
        err(
            &app,
            mia,
            "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
            json!({ "m": { "to": "olive", "conversationType": "C2C", "payload": { "forward": { "messageID": old["ID"] } } } }),
        )
        .await,
        "NOT_FOUND"
    );
    // Others keep everything; mia is still a member.
    assert_eq!(texts(&app, ben, "GROUPg").await, ["old one", "old two"]);
    assert_eq!(texts(&app, olive, "GROUPg").await, ["old one", "old two"]);
    assert_eq!(
        conversation(&app, mia, "GROUPg").await["groupProfile"]["selfInfo"]["role"],
        "Member"
    );

    send_group_text(&app, olive, "g", "new").await;
    assert_eq!(texts(&app, mia, "GROUPg").await, ["new"]);
    assert_eq!(history(&app, mia, "GROUPg").await.len(), 1);
    let list = ok(&app, mia, LIST, json!({})).await["getConversationList"].clone();
    let entry = list
        .as_array()
        .and_then(|l| l.iter().find(|c| c["conversationID"] == "GROUPg"))
        .unwrap_or_else(|| panic!("a new message brings it back: {list}"));
    assert_eq!(entry["unreadCount"], 1, "only the new message is unread");
    // The compat history agrees.
    let page = compat_ok(
        &app,
        mia,
        "/message/getMessageList",
        json!({ "conversationID": "GROUPg" }),
    )
    .await;
    let compat: Vec<&str> = page
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["message"]["payload"]["text"].as_str())
        .collect();
    assert_eq!(compat, ["new"]);
    assert_eq!(
        texts(&app, ben, "GROUPg").await,
        ["old one", "old two", "new"]
    );
}

/// Per type: mia is in, one message; she quits, one message; she comes back
/// (added to a work group, `joinGroup` elsewhere), one message.
#[tokio::test]
async fn after_quitting_and_rejoining_a_member_sees_history_by_group_type() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (olive, mia) = (&t[0], &t[1]);
    for (id, kind) in [
        ("work", "Private"),
        ("pub", "Public"),
        ("meet", "ChatRoom"),
        ("comm", "Community"),
    ] {
        let mut input =
            json!({ "name": id, "groupID": id, "type": kind, "memberList": [{ "userID": "mia" }] });
        if kind == "Public" {
            input["joinOption"] = json!("FreeAccess");
        }
        create_group(&app, olive, input).await;
        send_group_text(&app, olive, id, "while in").await;
        ok(&app, mia, QUIT, json!({ "g": id })).await;
        send_group_text(&app, olive, id, "while out").await;
        let conv = format!("GROUP{id}");
        assert_eq!(
            err(
                &app,
                mia,
                "query($c: String!) { getMessageList(conversationID: $c) { isCompleted } }",
                json!({ "c": conv })
            )
            .await,
            "NOT_GROUP_MEMBER",
            "{id}: no history while out"
        );
        if kind == "Private" {
            add(&app, olive, id, &["mia"]).await;
        } else {
            let joined = ok(&app, mia, JOIN, json!({ "g": id })).await;
            assert_eq!(joined["joinGroup"]["status"], "JoinedSuccess", "{id}");
        }
        send_group_text(&app, olive, id, "after").await;
    }
    // Work and Public groups: nothing from before the latest join (not even
    // the first membership); the history starts with the rejoin tip.
    for id in ["work", "pub"] {
        let conv = format!("GROUP{id}");
        assert_eq!(texts(&app, mia, &conv).await, ["after"], "{id}");
        let first = &history(&app, mia, &conv).await[0];
        assert_eq!(
            (
                first["type"].clone(),
                first["payload"]["operationType"].clone(),
                first["payload"]["userIDList"].clone()
            ),
            (json!("TIMGroupTipElem"), json!(1), json!(["mia"])),
            "{id}"
        );
    }
    // ChatRoom and Community: the whole history, the time away included.
    for id in ["meet", "comm"] {
        assert_eq!(
            texts(&app, mia, &format!("GROUP{id}")).await,
            ["while in", "while out", "after"],
            "{id}"
        );
    }
    // The owner sees everything in each.
    for id in ["work", "pub", "meet", "comm"] {
        assert_eq!(
            texts(&app, olive, &format!("GROUP{id}")).await,
            ["while in", "while out", "after"],
            "{id}"
        );
    }
}
