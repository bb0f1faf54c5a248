//! Read receipts: one `messageReadByPeer` for a read over several messages,
//! with every one of them read; none for a group read.

use serde_json::{json, Value};

use crate::groups::support::{conversation, create_group, send_group_text};
use crate::helpers::{history, ok, seed_users, send_text, spawn_app, TestApp, WsClient};

const READ: &str = "mutation($c: String!) { setMessageRead(conversationID: $c) { unreadCount } }";

/// A socket of `token` with a `messageReadByPeer` subscription (id "read").
async fn receipts(app: &TestApp, token: &str) -> WsClient {
    let mut ws = WsClient::with_token(app, token).await;
    ws.subscribe(
        "read",
        "subscription { messageReadByPeer { conversationID sequence } }",
        json!({}),
    )
    .await;
    app.until_feeds(token, 1).await;
    ws
}

/// `(sequence, isPeerRead)` of each message in `token`'s view of `conversation`.
async fn peer_read(app: &TestApp, token: &str, conversation: &str) -> Vec<(i64, bool)> {
    history(app, token, conversation, 100, None).await["messageList"]
        .as_array()
        .expect("list")
        .iter()
        .map(|m: &Value| {
            (
                m["sequence"].as_i64().expect("sequence"),
                m["isPeerRead"].as_bool().expect("isPeerRead"),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_read_over_three_messages_sends_one_receipt_and_marks_all_three() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob"]).await;
    let (alice, bob) = (&t[0], &t[1]);
    let mut alice_ws = receipts(&app, alice).await;
    for text in ["one", "two", "three"] {
        send_text(&app, alice, "bob", text).await;
    }
    assert_eq!(
        peer_read(&app, alice, "C2Cbob").await,
        [(1, false), (2, false), (3, false)]
    );
    let read = ok(&app, bob, READ, json!({ "c": "C2Calice" })).await;
    assert_eq!(read["setMessageRead"]["unreadCount"], 0);
    assert_eq!(
        alice_ws.next_data("read").await["messageReadByPeer"],
        json!({ "conversationID": "C2Cbob", "sequence": 3 })
    );
    assert_eq!(
        peer_read(&app, alice, "C2Cbob").await,
        [(1, true), (2, true), (3, true)]
    );
    // Marker: a fourth message and a second read. The next receipt is for it,
    // so nothing (no receipt per message) came between.
    send_text(&app, alice, "bob", "four").await;
    assert_eq!(peer_read(&app, alice, "C2Cbob").await[3], (4, false));
    ok(&app, bob, READ, json!({ "c": "C2Calice" })).await;
    assert_eq!(
        alice_ws.next_data("read").await["messageReadByPeer"],
        json!({ "conversationID": "C2Cbob", "sequence": 4 })
    );
    assert_eq!(peer_read(&app, alice, "C2Cbob").await[3], (4, true));
}

#[tokio::test]
async fn a_group_read_sends_no_receipt() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (olive, mia) = (&t[0], &t[1]);
    create_group(
        &app,
        olive,
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] }),
    )
    .await;
    let mut olive_ws = receipts(&app, olive).await;
    send_group_text(&app, olive, "g", "read me").await;
    assert_eq!(conversation(&app, mia, "GROUPg").await["unreadCount"], 1);
    let read = ok(&app, mia, READ, json!({ "c": "GROUPg" })).await;
    assert_eq!(
        read["setMessageRead"]["unreadCount"], 0,
        "the group read happened"
    );
    // Marker: a C2C read, which does send a receipt, must be the next event.
    send_text(&app, olive, "mia", "marker").await;
    ok(&app, mia, READ, json!({ "c": "C2Colive" })).await;
    assert_eq!(
        olive_ws.next_data("read").await["messageReadByPeer"],
        json!({ "conversationID": "C2Cmia", "sequence": 1 })
    );
}
