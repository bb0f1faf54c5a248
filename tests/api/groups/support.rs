//! Group-specific support: selections, group setup, sends into groups, and
//! readers for history, tips, notices and conversations.

use serde_json::{json, Value};

use crate::helpers::{message_page, ok, send_message_query, TestApp, WsClient};

/// Every field of a group, for selections.
pub const GROUP_FIELDS: &str = "groupID name avatar type introduction notification ownerID createTime lastInfoTime memberCount maxMemberCount joinOption muteAllMembers groupCustomField { key value } nextMessageSeq selfInfo { role joinTime nameCard messageRemindType } lastMessage { messageForShow fromAccount type lastSequence }";

/// Every field of a group message (tips and system notices too), for selections.
pub const GROUP_MSG_FIELDS: &str = "ID type conversationID conversationType to from flow status isRevoked nameCard atUserList sequence payload { __typename ... on TextElem { text } ... on GroupTipElem { operationType operatorID userIDList memberCount newGroupProfile { name ownerID muteAllMembers joinOption } memberList { userID muteTime } } ... on GroupSystemNoticeElem { operationType operatorID handleMessage applicationID groupProfile { groupID name } } }";

/// Create a group over GraphQL; returns the Group.
pub async fn create_group(app: &TestApp, token: &str, input: Value) -> Value {
    let data = app
        .gql_ok(
            Some(token),
            &format!(
                "mutation($i: CreateGroupInput!) {{ createGroup(input: $i) {{ {GROUP_FIELDS} }} }}"
            ),
            json!({ "i": input }),
        )
        .await;
    data["createGroup"].clone()
}

/// The error code of a createGroup.
pub async fn create_group_err(app: &TestApp, token: &str, input: Value) -> String {
    app.gql_err(
        Some(token),
        "mutation($i: CreateGroupInput!) { createGroup(input: $i) { groupID } }",
        json!({ "i": input }),
    )
    .await
}

/// The `sendMessage` mutation selecting [`GROUP_MSG_FIELDS`].
pub fn send_group_query() -> String {
    send_message_query(GROUP_MSG_FIELDS)
}

/// The `sendMessage` variables for a text into `group`.
fn group_text(group: &str, text: &str) -> Value {
    json!({ "m": { "to": group, "conversationType": "GROUP", "payload": { "text": { "text": text } } } })
}

/// Send a text into a group; returns the message.
pub async fn send_group_text(app: &TestApp, token: &str, group: &str, text: &str) -> Value {
    app.gql_ok(Some(token), &send_group_query(), group_text(group, text))
        .await["sendMessage"]
        .clone()
}

/// The error code of sending a text into a group.
pub async fn send_group_text_err(app: &TestApp, token: &str, group: &str, text: &str) -> String {
    app.gql_err(Some(token), &send_group_query(), group_text(group, text))
        .await
}

/// The whole visible history of a conversation (up to 100).
pub async fn history(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    message_page(app, token, conversation, GROUP_MSG_FIELDS, 100, None).await["messageList"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The texts of a conversation's visible history.
pub async fn texts(app: &TestApp, token: &str, conversation: &str) -> Vec<String> {
    history(app, token, conversation)
        .await
        .iter()
        .filter_map(|m| m["payload"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// Payloads of the viewer's system notices, oldest first.
pub async fn notices(app: &TestApp, token: &str) -> Vec<Value> {
    history(app, token, "@TIM#SYSTEM")
        .await
        .into_iter()
        .map(|m| m["payload"].clone())
        .collect()
}

/// Payloads of the group's tips the viewer can see, oldest first.
pub async fn tips(app: &TestApp, token: &str, group: &str) -> Vec<Value> {
    history(app, token, &format!("GROUP{group}"))
        .await
        .into_iter()
        .filter(|m| m["type"] == "TIMGroupTipElem")
        .map(|m| m["payload"].clone())
        .collect()
}

/// The viewer's view of one conversation.
pub async fn conversation(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql_ok(
        Some(token),
        "query($c: String!) { getConversationProfile(conversationID: $c) { conversationID type subType unreadCount messageRemindType groupProfile { groupID name type memberCount selfInfo { role } } lastMessage { messageForShow } } }",
        json!({ "c": id }),
    )
    .await["getConversationProfile"]
        .clone()
}

/// `addGroupMember` with its result lists and the new member count.
pub const ADD: &str = "mutation($g: String!, $u: [String!]!) { addGroupMember(groupID: $g, userIDList: $u) { successUserIDList failureUserIDList existedUserIDList group { memberCount } } }";
/// `deleteGroupMember` with an optional reason.
pub const REMOVE: &str = "mutation($g: String!, $u: [String!]!, $r: String) { deleteGroupMember(groupID: $g, userIDList: $u, reason: $r) { userIDList group { memberCount } } }";
/// `setGroupMemberRole`.
pub const SET_ROLE: &str = "mutation($g: String!, $u: String!, $r: GroupMemberRole!) { setGroupMemberRole(groupID: $g, userID: $u, role: $r) { userID role } }";
/// `setGroupMemberMuteTime` (seconds; 0 unmutes).
pub const MUTE: &str = "mutation($g: String!, $u: String!, $t: Int!) { setGroupMemberMuteTime(groupID: $g, userID: $u, muteTime: $t) { userID muteUntil } }";
/// `joinGroup` with an optional application message.
pub const JOIN: &str = "mutation($g: String!, $m: String) { joinGroup(groupID: $g, applyMessage: $m) { status group { groupID memberCount selfInfo { role } } } }";
/// `quitGroup`.
pub const QUIT: &str = "mutation($g: String!) { quitGroup(groupID: $g) }";
/// `updateGroupProfile` with the fields the tests check.
pub const UPDATE: &str = "mutation($i: UpdateGroupProfileInput!) { updateGroupProfile(input: $i) { groupID name notification muteAllMembers joinOption maxMemberCount lastInfoTime } }";
/// `getGroupProfile` as the viewer sees it.
pub const PROFILE: &str = "query($g: String!) { getGroupProfile(groupID: $g) { groupID name notification memberCount ownerID selfInfo { role } } }";

/// Add `users` to a group as `token`, expecting success.
pub async fn add(app: &TestApp, token: &str, group: &str, users: &[&str]) -> Value {
    ok(app, token, ADD, json!({ "g": group, "u": users })).await["addGroupMember"].clone()
}

/// Make `user` an admin of a group (as its owner).
pub async fn make_admin(app: &TestApp, owner: &str, group: &str, user: &str) {
    ok(
        app,
        owner,
        SET_ROLE,
        json!({ "g": group, "u": user, "r": "Admin" }),
    )
    .await;
}

/// A group of each type owned by "olive", with "adam" (admin where the type
/// has admins, else a member) and "mia" as members.
pub async fn one_of_each(app: &TestApp, owner: &str) {
    for (id, kind) in [
        ("work", "Private"),
        ("pub", "Public"),
        ("meet", "ChatRoom"),
        ("comm", "Community"),
        ("live", "AVChatRoom"),
    ] {
        create_group(
            app,
            owner,
            json!({ "name": id, "groupID": id, "type": kind }),
        )
        .await;
    }
    for id in ["work", "pub", "meet", "comm"] {
        add(app, owner, id, &["adam", "mia"]).await;
    }
    for id in ["pub", "meet", "comm"] {
        make_admin(app, owner, id, "adam").await;
    }
}

/// Members of an AVChatRoom join it themselves.
pub async fn fill_live_room(app: &TestApp, tokens: &[String]) {
    for token in tokens {
        ok(app, token, JOIN, json!({ "g": "live" })).await;
    }
}

/// A user's open `messageReceived` subscription, known to be live.
pub struct Listener {
    pub ws: WsClient,
    me: String,
}

impl Listener {
    /// Subscribe and wait until the subscription is live: the server reads
    /// memberships when a subscription starts, so a probe message to oneself
    /// is sent until one comes back.
    pub async fn open(app: &TestApp, token: &str, me: &str) -> Self {
        let mut ws = WsClient::with_token(app, token).await;
        ws.subscribe(
            "m",
            &format!("subscription {{ messageReceived {{ {GROUP_MSG_FIELDS} }} }}"),
            json!({}),
        )
        .await;
        let probe = json!({ "m": { "to": me, "conversationType": "C2C", "payload": { "text": { "text": "probe" } } } });
        let data = ws
            .until_live("m", &format!("subscription of {me}"), async || {
                app.gql_ok(
                    Some(token),
                    "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
                    probe.clone(),
                )
                .await;
            })
            .await;
        assert_eq!(
            data["messageReceived"]["conversationID"],
            format!("C2C{me}")
        );
        Self {
            ws,
            me: me.to_owned(),
        }
    }

    /// The next message that is not a probe.
    pub async fn next(&mut self) -> Value {
        loop {
            let data = self.ws.next_data("m").await;
            let message = data["messageReceived"].clone();
            if message["conversationID"] != format!("C2C{}", self.me) {
                return message;
            }
        }
    }

    /// The text of the next text message (tips and notices are skipped).
    pub async fn next_text(&mut self) -> String {
        let message = self.next_of("TIMTextElem").await;
        message["payload"]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("not a text: {message}"))
            .to_owned()
    }

    /// The next message's payload, skipping probes and anything not of `kind`.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let message = self.next().await;
            if message["type"] == kind {
                return message;
            }
        }
    }
}
