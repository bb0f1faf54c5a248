//! `setMessageRead` tells the peer only when the read position moves.

use serde_json::json;

use crate::helpers::{send_text, spawn_app, WsClient};

#[tokio::test]
async fn forty_set_message_read_calls_tell_the_peer_once() {
    let app = spawn_app().await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    send_text(&app, &alice, "bob", "read me").await;
    let mut alice_ws = WsClient::with_token(&app, &alice).await;
    alice_ws
        .subscribe(
            "read",
            "subscription { messageReadByPeer { conversationID sequence } }",
            json!({}),
        )
        .await;
    app.until_feeds(&alice, 1).await;
    let mut bob_ws = WsClient::with_token(&app, &bob).await;
    bob_ws
        .subscribe(
            "conv",
            "subscription { conversationUpdated { conversationID unreadCount } }",
            json!({}),
        )
        .await;
    app.until_feeds(&bob, 1).await;
    for i in 0..40 {
        if i % 2 == 0 {
            app.gql_ok(
                Some(&bob),
                "mutation { setMessageRead(conversationID: \"C2Calice\") { conversationID } }",
                json!({}),
            )
            .await;
        } else {
            let (status, envelope) = app
                .compat(
                    Some(&bob),
                    "/message/setMessageRead",
                    json!({ "conversationID": "C2Calice" }),
                )
                .await;
            assert_eq!(status, 200, "{envelope}");
        }
    }
    let first = alice_ws.next_data("read").await["messageReadByPeer"].clone();
    assert_eq!(first, json!({ "conversationID": "C2Cbob", "sequence": 1 }));
    let update = bob_ws.next_data("conv").await["conversationUpdated"].clone();
    assert_eq!(update["unreadCount"], 0);
    // A new message and one more read: the next receipt is for sequence 2.
    send_text(&app, &alice, "bob", "marker").await;
    // Bob's own sessions: the marker's arrival (waited for before reading, since
    // the update shows the conversation as it is when delivered), then its read;
    // no repeats of the first read in between.
    let arrived = bob_ws.next_data("conv").await["conversationUpdated"].clone();
    assert_eq!(arrived["unreadCount"], 1, "{arrived}");
    app.gql_ok(
        Some(&bob),
        "mutation { setMessageRead(conversationID: \"C2Calice\") { conversationID } }",
        json!({}),
    )
    .await;
    let next = alice_ws.next_data("read").await["messageReadByPeer"].clone();
    assert_eq!(next["sequence"], 2, "no repeated receipt came before it");
    let read = bob_ws.next_data("conv").await["conversationUpdated"].clone();
    assert_eq!(read["unreadCount"], 0, "{read}");
}
