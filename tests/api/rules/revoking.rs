//! Revokes reach every session of everyone who can see the message (the
//! sender's other sockets too); system notices cannot be revoked.

use serde_json::{json, Value};

use crate::groups::support::{create_group, history, send_group_text};
use crate::helpers::{
    compat_err, compat_ok, err, ok, seed_users, send_text, spawn_app, TestApp, WsClient,
};

const REVOKE: &str = "mutation($m: ID!) { revokeMessage(messageID: $m) { ID isRevoked } }";

/// A socket of `me` with a live `messageRevoked` subscription (id "r"): a
/// message to oneself is sent and revoked until its revocation comes back.
async fn revocations(app: &TestApp, token: &str, me: &str) -> WsClient {
    let mut ws = WsClient::with_token(app, token).await;
    ws.subscribe(
        "r",
        "subscription { messageRevoked { ID conversationID isRevoked payload { __typename } } }",
        json!({}),
    )
    .await;
    ws.until_live("r", &format!("messageRevoked of {me}"), async || {
        let probe = send_text(app, token, me, "probe").await;
        ok(app, token, REVOKE, json!({ "m": probe["ID"] })).await;
    })
    .await;
    ws
}

/// The next revocation that is not of a probe (a message to oneself).
async fn next_revoked(ws: &mut WsClient, me: &str) -> Value {
    loop {
        let event = ws.next_data("r").await["messageRevoked"].clone();
        if event["conversationID"] != format!("C2C{me}") {
            return event;
        }
    }
}

#[tokio::test]
async fn a_c2c_revoke_reaches_the_senders_other_sessions_and_the_peer() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["alice", "bob"]).await;
    let (alice, bob) = (&t[0], &t[1]);
    let mut first = revocations(&app, alice, "alice").await;
    let mut second = revocations(&app, alice, "alice").await;
    let mut peer = revocations(&app, bob, "bob").await;

    let sent = send_text(&app, alice, "bob", "oops").await;
    // Revoked from neither socket: one plain HTTP call (compat).
    let data = compat_ok(
        &app,
        alice,
        "/message/revokeMessage",
        json!({ "ID": sent["ID"] }),
    )
    .await;
    assert_eq!(data["message"]["isRevoked"], true);
    let expected = |conversation: &str| json!({ "ID": sent["ID"], "conversationID": conversation, "isRevoked": true, "payload": null });
    assert_eq!(next_revoked(&mut first, "alice").await, expected("C2Cbob"));
    assert_eq!(
        next_revoked(&mut second, "alice").await,
        expected("C2Cbob"),
        "the sender's other session is told too"
    );
    assert_eq!(next_revoked(&mut peer, "bob").await, expected("C2Calice"));
}

#[tokio::test]
async fn a_group_revoke_reaches_the_senders_other_sessions() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (olive, mia) = (&t[0], &t[1]);
    create_group(
        &app,
        olive,
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] }),
    )
    .await;
    let mut first = revocations(&app, mia, "mia").await;
    let mut second = revocations(&app, mia, "mia").await;
    let mut owner = revocations(&app, olive, "olive").await;

    let sent = send_group_text(&app, mia, "g", "oops").await;
    ok(&app, mia, REVOKE, json!({ "m": sent["ID"] })).await;
    let expected =
        json!({ "ID": sent["ID"], "conversationID": "GROUPg", "isRevoked": true, "payload": null });
    assert_eq!(next_revoked(&mut first, "mia").await, expected);
    assert_eq!(
        next_revoked(&mut second, "mia").await,
        expected,
        "the sender's other session is told too"
    );
    assert_eq!(next_revoked(&mut owner, "olive").await, expected);
}

#[tokio::test]
async fn a_system_notice_cannot_be_revoked_on_either_surface() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (olive, mia) = (&t[0], &t[1]);
    create_group(
        &app,
        olive,
        json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "mia" }] }),
    )
    .await;
    let system = history(&app, mia, "@TIM#SYSTEM").await;
    let notice = system
        .iter()
        .find(|m| m["type"] == "TIMGroupSystemNoticeElem")
        .unwrap_or_else(|| panic!("mia has a notice: {system:?}"))
        .clone();
    assert_eq!(
        err(&app, mia, REVOKE, json!({ "m": notice["ID"] })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/message/revokeMessage",
            json!({ "ID": notice["ID"] })
        )
        .await,
        (403, 10007)
    );
    // The notice is untouched.
    let again = history(&app, mia, "@TIM#SYSTEM").await;
    let kept = again
        .iter()
        .find(|m| m["ID"] == notice["ID"])
        .expect("still listed");
    assert_eq!(
        (kept["isRevoked"].clone(), kept["payload"].clone()),
        (json!(false), notice["payload"].clone())
    );
}
