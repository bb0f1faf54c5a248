//! Groups on both surfaces: SPEC section 6's rules table cell by cell, join
//! applications, tips and system notices, group messaging (mute, mentions,
//! revocation, remind types, unread counts, history by type) and live delivery.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestApp, WsClient};

// ---------------------------------------------------------------------------
// Support shared with `group_members.rs`.

pub const GROUP_FIELDS: &str = "groupID name avatar type introduction notification ownerID createTime lastInfoTime memberCount maxMemberCount joinOption muteAllMembers groupCustomField { key value } nextMessageSeq selfInfo { role joinTime nameCard messageRemindType } lastMessage { messageForShow fromAccount type lastSequence }";

pub const GROUP_MSG_FIELDS: &str = "ID type conversationID conversationType to from flow status isRevoked nameCard atUserList sequence payload { __typename ... on TextElem { text } ... on GroupTipElem { operationType operatorID userIDList memberCount newGroupProfile { name ownerID muteAllMembers joinOption } memberList { userID muteTime } } ... on GroupSystemNoticeElem { operationType operatorID handleMessage applicationID groupProfile { groupID name } } }";

/// Make users directly in the database (hashing hundreds of passwords in a
/// debug build would dominate the tests) and return their tokens.
pub async fn seed_users(app: &TestApp, names: &[&str]) -> Vec<String> {
    use entity::users;
    use sea_orm::{EntityTrait, Set};
    let rows = names.iter().map(|name| users::ActiveModel {
        user_id: Set(name.to_string()),
        email: Set(format!("{name}@example.com")),
        email_lower: Set(format!("{name}@example.com").to_lowercase()),
        password_hash: Set("not-a-hash".into()),
        nick: Set(format!("{name}-nick")),
        avatar: Set(String::new()),
        gender: Set("Gender_Type_Unknown".into()),
        self_signature: Set(String::new()),
        allow_type: Set("AllowType_Type_AllowAny".into()),
        birthday: Set(0),
        location: Set(String::new()),
        language: Set(0),
        message_settings: Set(0),
        admin_forbid_type: Set("AdminForbid_Type_None".into()),
        level: Set(0),
        role: Set(0),
        profile_custom_field: Set("[]".into()),
        created_at: Set(0),
        updated_at: Set(0),
    });
    for chunk in rows.collect::<Vec<_>>().chunks(200) {
        users::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.state.db)
            .await
            .expect("seed users");
    }
    names
        .iter()
        .map(|name| app.state.keys.issue(name).expect("token"))
        .collect()
}

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

fn send_query() -> String {
    format!(
        "mutation($m: CreateMessageInput!) {{ sendMessage(message: $m) {{ {GROUP_MSG_FIELDS} }} }}"
    )
}

fn group_text(group: &str, text: &str) -> Value {
    json!({ "m": { "to": group, "conversationType": "GROUP", "payload": { "text": { "text": text } } } })
}

/// Send a text into a group; returns the message.
pub async fn send_group_text(app: &TestApp, token: &str, group: &str, text: &str) -> Value {
    app.gql_ok(Some(token), &send_query(), group_text(group, text))
        .await["sendMessage"]
        .clone()
}

/// The error code of sending a text into a group.
pub async fn send_group_text_err(app: &TestApp, token: &str, group: &str, text: &str) -> String {
    app.gql_err(Some(token), &send_query(), group_text(group, text))
        .await
}

/// The whole visible history of a conversation (up to 100).
pub async fn history(app: &TestApp, token: &str, conversation: &str) -> Vec<Value> {
    let data = app
        .gql_ok(
            Some(token),
            &format!("query($c: String!) {{ getMessageList(conversationID: $c, count: 100) {{ messageList {{ {GROUP_MSG_FIELDS} }} }} }}"),
            json!({ "c": conversation }),
        )
        .await;
    data["getMessageList"]["messageList"]
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

/// Run a mutation or query expecting success; returns `data`.
pub async fn ok(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.gql_ok(Some(token), query, variables).await
}

/// Run a mutation or query expecting an error; returns its code.
pub async fn err(app: &TestApp, token: &str, query: &str, variables: Value) -> String {
    app.gql_err(Some(token), query, variables).await
}

/// A compat call expected to succeed; returns `data`.
pub async fn compat_ok(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, envelope) = app.compat(Some(token), path, body).await;
    assert_eq!(
        (status, envelope["code"].clone()),
        (200, json!(0)),
        "{path}: {envelope}"
    );
    envelope["data"].clone()
}

/// A compat call expected to fail; returns (HTTP status, compat code).
pub async fn compat_err(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, i64) {
    let (status, envelope) = app.compat(Some(token), path, body).await;
    (status, envelope["code"].as_i64().unwrap_or(0))
}

pub const ADD: &str = "mutation($g: String!, $u: [String!]!) { addGroupMember(groupID: $g, userIDList: $u) { successUserIDList failureUserIDList existedUserIDList group { memberCount } } }";
pub const REMOVE: &str = "mutation($g: String!, $u: [String!]!, $r: String) { deleteGroupMember(groupID: $g, userIDList: $u, reason: $r) { userIDList group { memberCount } } }";
pub const SET_ROLE: &str = "mutation($g: String!, $u: String!, $r: GroupMemberRole!) { setGroupMemberRole(groupID: $g, userID: $u, role: $r) { userID role } }";
pub const MUTE: &str = "mutation($g: String!, $u: String!, $t: Int!) { setGroupMemberMuteTime(groupID: $g, userID: $u, muteTime: $t) { userID muteUntil } }";
pub const JOIN: &str = "mutation($g: String!, $m: String) { joinGroup(groupID: $g, applyMessage: $m) { status group { groupID memberCount selfInfo { role } } } }";
pub const QUIT: &str = "mutation($g: String!) { quitGroup(groupID: $g) }";
pub const UPDATE: &str = "mutation($i: UpdateGroupProfileInput!) { updateGroupProfile(input: $i) { groupID name notification muteAllMembers joinOption maxMemberCount lastInfoTime } }";
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

/// A user's open `messageReceived` subscription, known to be live.
pub struct Listener {
    pub ws: WsClient,
    me: String,
}

impl Listener {
    /// Subscribe and wait until the subscription is live: the server reads
    /// memberships when a subscription starts, so a probe message to oneself
    /// is sent until one comes back (each probe read under a short timeout).
    pub async fn open(app: &TestApp, token: &str, me: &str) -> Self {
        let mut ws = WsClient::with_token(app, token).await;
        ws.subscribe(
            "m",
            &format!("subscription {{ messageReceived {{ {GROUP_MSG_FIELDS} }} }}"),
            json!({}),
        )
        .await;
        for _ in 0..100 {
            app.gql_ok(
                Some(token),
                "mutation($m: CreateMessageInput!) { sendMessage(message: $m) { ID } }",
                json!({ "m": { "to": me, "conversationType": "C2C", "payload": { "text": { "text": "probe" } } } }),
            )
            .await;
            if let Ok(data) =
                tokio::time::timeout(Duration::from_millis(250), ws.next_data("m")).await
            {
                assert_eq!(
                    data["messageReceived"]["conversationID"],
                    format!("C2C{me}")
                );
                return Self {
                    ws,
                    me: me.to_owned(),
                };
            }
        }
        panic!("subscription of {me} never became live");
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

    /// Nothing but probes arrives for a while.
    pub async fn expect_silence(&mut self) {
        let me = format!("C2C{}", self.me);
        let waited = tokio::time::timeout(Duration::from_millis(400), async {
            loop {
                let data = self.ws.next_data("m").await;
                if data["messageReceived"]["conversationID"] != me {
                    return data;
                }
            }
        })
        .await;
        if let Ok(data) = waited {
            panic!("expected silence, got {data}");
        }
    }
}

// ---------------------------------------------------------------------------
// Creating.

#[tokio::test]
async fn create_group_makes_the_creator_owner_with_defaults_and_notices() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "max"]).await;
    let group = create_group(
        &app,
        &t[0],
        json!({ "name": "Team", "type": "Public", "groupID": "team", "introduction": "hi", "notification": "read me", "groupCustomField": [{ "key": "k", "value": "v" }], "memberList": [{ "userID": "mia" }, { "userID": "max", "role": "Admin" }] }),
    )
    .await;
    assert_eq!(group["groupID"], "team");
    assert_eq!(group["type"], "Public");
    assert_eq!(group["ownerID"], "olive");
    assert_eq!(group["memberCount"], 3);
    assert_eq!(group["maxMemberCount"], 2000);
    assert_eq!(group["joinOption"], "NeedPermission");
    assert_eq!(group["muteAllMembers"], false);
    assert_eq!(group["notification"], "read me");
    assert_eq!(
        group["groupCustomField"],
        json!([{ "key": "k", "value": "v" }])
    );
    assert_eq!(group["selfInfo"]["role"], "Owner");
    assert_eq!(group["selfInfo"]["messageRemindType"], "AcceptAndNotify");
    assert_eq!(group["nextMessageSeq"], 2, "the join tip took sequence 1");
    assert_eq!(group["lastMessage"]["type"], "TIMGroupTipElem");
    assert_eq!(
        group["lastMessage"]["messageForShow"],
        "[Group Notification]"
    );
    // The tip names the members added, by the creator.
    let tip = &tips(&app, &t[1], "team").await[0];
    assert_eq!(tip["operationType"], 1);
    assert_eq!(tip["operatorID"], "olive");
    assert_eq!(tip["userIDList"], json!(["mia", "max"]));
    assert_eq!(tip["memberCount"], 3);
    // The creator is told "created" (6), the members "added" (7).
    let created = &notices(&app, &t[0]).await[0];
    assert_eq!(created["operationType"], 6);
    assert_eq!(
        created["groupProfile"],
        json!({ "groupID": "team", "name": "Team" })
    );
    assert_eq!(notices(&app, &t[1]).await[0]["operationType"], 7);
    let max_role = ok(&app, &t[2], PROFILE, json!({ "g": "team" })).await;
    assert_eq!(max_role["getGroupProfile"]["selfInfo"]["role"], "Admin");
    // Compat: `{group}`, with a generated ID and the defaults of a work group.
    let data = compat_ok(
        &app,
        &t[0],
        "/group/createGroup",
        json!({ "name": "Work", "groupCustomField": { "a": "1" } }),
    )
    .await;
    let id = data["group"]["groupID"].as_str().expect("id");
    assert!(id.starts_with("@TGS#"), "{id}");
    assert_eq!(data["group"]["type"], "Private");
    assert_eq!(data["group"]["maxMemberCount"], 200);
    assert_eq!(data["group"]["joinOption"], "DisableApply");
    assert_eq!(data["group"]["selfInfo"]["role"], "Owner");
    assert_eq!(
        data["group"]["groupCustomField"],
        json!([{ "key": "a", "value": "1" }])
    );
}

#[tokio::test]
async fn each_type_gets_its_default_member_limit_and_join_option() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive"]).await;
    for (kind, max, option) in [
        ("Private", 200, "DisableApply"),
        ("Public", 2000, "NeedPermission"),
        ("ChatRoom", 10000, "FreeAccess"),
        ("Community", 100000, "FreeAccess"),
        ("AVChatRoom", 0, "FreeAccess"),
    ] {
        let group = create_group(&app, &t[0], json!({ "name": kind, "type": kind })).await;
        assert_eq!(
            (group["maxMemberCount"].clone(), group["joinOption"].clone()),
            (json!(max), json!(option)),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn create_group_checks_its_input() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia", "blocker"]).await;
    for input in [
        json!({ "name": "" }),
        json!({ "name": "x".repeat(31) }),
        json!({ "name": "n", "groupID": "@TGS#mine" }),
        json!({ "name": "n", "groupID": "has space" }),
        json!({ "name": "n", "groupID": "g".repeat(49) }),
        json!({ "name": "n", "introduction": "x".repeat(241) }),
        json!({ "name": "n", "notification": "x".repeat(301) }),
        json!({ "name": "n", "type": "Private", "maxMemberNum": 201 }),
        json!({ "name": "n", "memberList": [{ "userID": "mia", "role": "Owner" }] }),
        json!({ "name": "n", "groupCustomField": [{ "key": "bad key", "value": "v" }] }),
    ] {
        assert_eq!(
            create_group_err(&app, &t[0], input.clone()).await,
            "BAD_USER_INPUT",
            "{input}"
        );
    }
    for input in [
        json!({ "name": "n", "type": "Private", "joinOption": "FreeAccess" }),
        json!({ "name": "n", "type": "ChatRoom", "joinOption": "FreeAccess" }),
        json!({ "name": "n", "type": "AVChatRoom", "memberList": [{ "userID": "mia" }] }),
        json!({ "name": "n", "type": "Private", "memberList": [{ "userID": "mia", "role": "Admin" }] }),
    ] {
        assert_eq!(
            create_group_err(&app, &t[0], input.clone()).await,
            "FORBIDDEN",
            "{input}"
        );
    }
    assert_eq!(
        create_group_err(
            &app,
            &t[0],
            json!({ "name": "n", "memberList": [{ "userID": "ghost" }] })
        )
        .await,
        "NOT_FOUND"
    );
    assert_eq!(
        create_group_err(&app, &t[0], json!({ "name": "n", "type": "Public", "maxMemberNum": 1, "memberList": [{ "userID": "mia" }] })).await,
        "GROUP_FULL"
    );
    create_group(&app, &t[0], json!({ "name": "n", "groupID": "taken" })).await;
    assert_eq!(
        create_group_err(&app, &t[1], json!({ "name": "n", "groupID": "taken" })).await,
        "GROUP_ID_TAKEN"
    );
    assert_eq!(
        compat_err(
            &app,
            &t[1],
            "/group/createGroup",
            json!({ "name": "n", "groupID": "taken" })
        )
        .await,
        (409, 10021)
    );
    assert_eq!(
        compat_err(
            &app,
            &t[1],
            "/group/createGroup",
            json!({ "name": "n", "type": "Nope" })
        )
        .await,
        (400, 400)
    );
    // Users who blacklisted the creator are not added.
    ok(
        &app,
        &t[2],
        "mutation { addToBlacklist(userIDList: [\"olive\"]) }",
        json!({}),
    )
    .await;
    let group = create_group(
        &app,
        &t[0],
        json!({ "name": "n", "memberList": [{ "userID": "mia" }, { "userID": "blocker" }] }),
    )
    .await;
    assert_eq!(group["memberCount"], 2);
}

// ---------------------------------------------------------------------------
// Joining (rules table: "join by joinGroup"), AVChatRoom one at a time.

#[tokio::test]
async fn join_group_follows_the_type_and_join_option() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "jo"]).await;
    let (owner, jo) = (&t[0], &t[1]);
    create_group(
        &app,
        owner,
        json!({ "name": "w", "groupID": "work", "type": "Private" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "p", "groupID": "pub", "type": "Public" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "f", "groupID": "free", "type": "Public", "joinOption": "FreeAccess" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "d", "groupID": "closed", "type": "Public", "joinOption": "DisableApply" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "c", "groupID": "meet", "type": "ChatRoom" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "m", "groupID": "comm", "type": "Community" }),
    )
    .await;
    create_group(
        &app,
        owner,
        json!({ "name": "a", "groupID": "live", "type": "AVChatRoom" }),
    )
    .await;
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "work" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "closed" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(&app, jo, "/group/joinGroup", json!({ "groupID": "closed" })).await,
        (403, 10007)
    );
    let waiting = ok(&app, jo, JOIN, json!({ "g": "pub", "m": "let me in" })).await;
    assert_eq!(
        waiting["joinGroup"],
        json!({ "status": "WaitAdminApproval", "group": null })
    );
    for id in ["free", "meet", "comm", "live"] {
        let joined = ok(&app, jo, JOIN, json!({ "g": id })).await;
        assert_eq!(joined["joinGroup"]["status"], "JoinedSuccess", "{id}");
        assert_eq!(joined["joinGroup"]["group"]["memberCount"], 2, "{id}");
        assert_eq!(joined["joinGroup"]["group"]["selfInfo"]["role"], "Member");
    }
    let again = ok(&app, jo, JOIN, json!({ "g": "free" })).await;
    assert_eq!(again["joinGroup"]["status"], "AlreadyInGroup");
    let data = compat_ok(&app, jo, "/group/joinGroup", json!({ "groupID": "meet" })).await;
    assert_eq!(data["status"], "AlreadyInGroup");
    assert_eq!(data["group"]["groupID"], "meet");
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "nowhere" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            jo,
            "/group/joinGroup",
            json!({ "groupID": "nowhere" })
        )
        .await,
        (404, 10010)
    );
    // The joiner's tip names them as operator.
    let tip = tips(&app, jo, "free").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(1), json!("jo"), json!(["jo"]))
    );
    // A full group refuses.
    create_group(
        &app,
        owner,
        json!({ "name": "s", "groupID": "small", "type": "ChatRoom", "maxMemberNum": 1 }),
    )
    .await;
    assert_eq!(
        err(&app, jo, JOIN, json!({ "g": "small" })).await,
        "GROUP_FULL"
    );
    assert_eq!(
        compat_err(&app, jo, "/group/joinGroup", json!({ "groupID": "small" })).await,
        (409, 10014)
    );
}

#[tokio::test]
async fn a_user_is_in_one_avchatroom_at_a_time() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "jo"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "a", "groupID": "live1", "type": "AVChatRoom" }),
    )
    .await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "b", "groupID": "live2", "type": "AVChatRoom" }),
    )
    .await;
    ok(&app, &t[1], JOIN, json!({ "g": "live1" })).await;
    ok(&app, &t[1], JOIN, json!({ "g": "live2" })).await;
    let list = ok(&app, &t[1], "{ getGroupList { groupID } }", json!({})).await;
    assert_eq!(list["getGroupList"], json!([{ "groupID": "live2" }]));
    let first = ok(&app, &t[0], PROFILE, json!({ "g": "live1" })).await;
    assert_eq!(first["getGroupProfile"]["memberCount"], 1);
    // The owner of both stays in both.
    let mine = ok(&app, &t[0], "{ getGroupList { groupID type } }", json!({})).await;
    assert_eq!(mine["getGroupList"].as_array().map(Vec::len), Some(2));
    let data = compat_ok(&app, &t[1], "/group/getGroupList", json!({})).await;
    assert_eq!(data["groupList"][0]["groupID"], "live2");
    assert_eq!(data["groupList"][0]["type"], "AVChatRoom");
}

// ---------------------------------------------------------------------------
// Applications end to end.

#[tokio::test]
async fn applications_reach_managers_live_and_the_decision_reaches_the_applicant() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "jo", "kim", "mia"]).await;
    let (owner, admin, jo, kim, mia) = (&t[0], &t[1], &t[2], &t[3], &t[4]);
    create_group(&app, owner, json!({ "name": "Club", "groupID": "club", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }] })).await;
    let mut owner_live = Listener::open(&app, owner, "olive").await;
    let mut jo_live = Listener::open(&app, jo, "jo").await;
    let waiting = compat_ok(
        &app,
        jo,
        "/group/joinGroup",
        json!({ "groupID": "club", "applyMessage": "please" }),
    )
    .await;
    assert_eq!(waiting, json!({ "status": "WaitAdminApproval" }));
    // The owner (and the admin) get notice 1 with the applicationID, live and in history.
    let notice = owner_live.next_of("TIMGroupSystemNoticeElem").await;
    assert_eq!(notice["conversationID"], "@TIM#SYSTEM");
    assert_eq!(notice["conversationType"], "SYSTEM");
    assert_eq!(notice["from"], "@TIM#SYSTEM");
    let payload = &notice["payload"];
    assert_eq!(payload["operationType"], 1);
    assert_eq!(payload["operatorID"], "jo");
    assert_eq!(payload["handleMessage"], "please");
    assert_eq!(
        payload["groupProfile"],
        json!({ "groupID": "club", "name": "Club" })
    );
    let application = payload["applicationID"]
        .as_str()
        .expect("applicationID")
        .to_owned();
    let admin_notice = notices(&app, admin).await.pop().expect("admin notice");
    assert_eq!(admin_notice["applicationID"], application);
    assert!(
        !notices(&app, mia)
            .await
            .iter()
            .any(|n| n["operationType"] == 1),
        "ordinary members are not asked"
    );
    // Applying again while pending sends nothing new.
    ok(&app, jo, JOIN, json!({ "g": "club" })).await;
    assert_eq!(
        notices(&app, owner)
            .await
            .iter()
            .filter(|n| n["operationType"] == 1)
            .count(),
        1
    );
    // Only the owner and admins decide.
    let handle = "mutation($a: ID!, $h: HandleAction!, $m: String) { handleGroupApplication(applicationID: $a, handleAction: $h, handleMessage: $m) { groupID memberCount } }";
    assert_eq!(
        err(&app, mia, handle, json!({ "a": application, "h": "Agree" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, kim, handle, json!({ "a": application, "h": "Agree" })).await,
        "NOT_GROUP_MEMBER"
    );
    let agreed = ok(
        &app,
        admin,
        handle,
        json!({ "a": application, "h": "Agree", "m": "welcome" }),
    )
    .await;
    assert_eq!(agreed["handleGroupApplication"]["memberCount"], 4);
    // The applicant hears it live, and joins with a tip by the admin who handled it.
    // (The two arrive on different conversations, so in either order.)
    let mut two = [jo_live.next().await, jo_live.next().await];
    two.sort_by_key(|m| m["type"].as_str().map(str::to_owned));
    let [notice, tip] = two;
    assert_eq!(notice["type"], "TIMGroupSystemNoticeElem");
    assert_eq!(notice["payload"]["operationType"], 2);
    assert_eq!(notice["payload"]["operatorID"], "adam");
    assert_eq!(notice["payload"]["handleMessage"], "welcome");
    assert_eq!(tip["conversationID"], "GROUPclub");
    assert_eq!(tip["payload"]["operationType"], 1);
    assert_eq!(tip["payload"]["operatorID"], "adam");
    assert_eq!(tip["payload"]["userIDList"], json!(["jo"]));
    send_group_text(&app, jo, "club", "hello club").await;
    assert_eq!(owner_live.next_text().await, "hello club");
    // The first decision wins.
    assert_eq!(
        err(
            &app,
            owner,
            handle,
            json!({ "a": application, "h": "Reject" })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, owner, handle, json!({ "a": "nope", "h": "Reject" })).await,
        "NOT_FOUND"
    );
    // Compat: reject by handing back the notice message itself.
    compat_ok(
        &app,
        kim,
        "/group/joinGroup",
        json!({ "groupID": "club", "applyMessage": "me too" }),
    )
    .await;
    let notice_message = history(&app, owner, "@TIM#SYSTEM")
        .await
        .pop()
        .expect("notice");
    assert_eq!(notice_message["payload"]["operatorID"], "kim");
    let data = compat_ok(&app, owner, "/group/handleGroupApplication", json!({ "handleAction": "Reject", "handleMessage": "full", "message": { "ID": notice_message["ID"] } })).await;
    assert_eq!(data["group"]["memberCount"], 4);
    let rejected = notices(&app, kim).await.pop().expect("rejection");
    assert_eq!(
        (
            rejected["operationType"].clone(),
            rejected["operatorID"].clone(),
            rejected["handleMessage"].clone()
        ),
        (json!(3), json!("olive"), json!("full"))
    );
    // Not a member: the public view, without selfInfo or the notification.
    let seen = ok(&app, kim, PROFILE, json!({ "g": "club" })).await;
    assert_eq!(seen["getGroupProfile"]["selfInfo"], Value::Null);
    assert_eq!(seen["getGroupProfile"]["notification"], "");
}

// ---------------------------------------------------------------------------
// Rules table: adding, roles, profile changes, removal, muting, quitting.

/// A group of each type owned by "olive", with "adam" (admin where the type
/// has admins, else a member) and "mia" as members.
async fn one_of_each(app: &TestApp, owner: &str) {
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
async fn fill_live_room(app: &TestApp, tokens: &[String]) {
    for token in tokens {
        ok(app, token, JOIN, json!({ "g": "live" })).await;
    }
}

#[tokio::test]
async fn who_may_add_members_depends_on_the_type() {
    let app = spawn_app().await;
    let t = seed_users(
        &app,
        &[
            "olive", "adam", "mia", "new1", "new2", "new3", "new4", "new5", "blocker",
        ],
    )
    .await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    // Private: any member adds.
    let added = add(&app, mia, "work", &["new1"]).await;
    assert_eq!(added["successUserIDList"], json!(["new1"]));
    // Public, ChatRoom, Community: owner and admins only.
    for id in ["pub", "meet", "comm"] {
        assert_eq!(
            err(&app, mia, ADD, json!({ "g": id, "u": ["new2"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            add(&app, admin, id, &["new2"]).await["successUserIDList"],
            json!(["new2"]),
            "{id}"
        );
    }
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/groupMember/addGroupMember",
            json!({ "groupID": "pub", "userIDList": ["new3"] })
        )
        .await,
        (403, 10007)
    );
    // AVChatRoom: nobody, not even the owner.
    assert_eq!(
        err(&app, owner, ADD, json!({ "g": "live", "u": ["new3"] })).await,
        "FORBIDDEN"
    );
    // Existing members, unknown users and users who blacklisted the adder.
    ok(
        &app,
        &t[8],
        "mutation { addToBlacklist(userIDList: [\"olive\"]) }",
        json!({}),
    )
    .await;
    let mixed = add(
        &app,
        owner,
        "pub",
        &["new2", "ghost", "blocker", "new4", "new4"],
    )
    .await;
    assert_eq!(mixed["successUserIDList"], json!(["new4"]));
    assert_eq!(mixed["existedUserIDList"], json!(["new2"]));
    assert_eq!(mixed["failureUserIDList"], json!(["ghost", "blocker"]));
    assert_eq!(mixed["group"]["memberCount"], 5);
    // Compat: the same fields, also under /group/.
    let data = compat_ok(
        &app,
        owner,
        "/group/addGroupMember",
        json!({ "groupID": "pub", "userIDList": ["new5", "new4"] }),
    )
    .await;
    assert_eq!(data["successUserIDList"], json!(["new5"]));
    assert_eq!(data["existedUserIDList"], json!(["new4"]));
    assert_eq!(data["failureUserIDList"], json!([]));
    assert_eq!(data["group"]["memberCount"], 6);
    // The added are told (7) and the group gets a tip naming the adder.
    assert_eq!(
        notices(&app, &t[7]).await.pop().expect("notice")["operationType"],
        7
    );
    let tip = tips(&app, owner, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(1), json!("olive"), json!(["new5"]))
    );
    // A full group takes nobody.
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "maxMemberNum": 6 } }),
    )
    .await;
    assert_eq!(
        err(&app, owner, ADD, json!({ "g": "pub", "u": ["new3"] })).await,
        "GROUP_FULL"
    );
    assert_eq!(
        err(&app, &t[3], ADD, json!({ "g": "pub", "u": ["new3"] })).await,
        "NOT_GROUP_MEMBER"
    );
}

#[tokio::test]
async fn only_types_with_admins_have_them_and_only_the_owner_appoints() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for id in ["work", "live"] {
        assert_eq!(
            err(
                &app,
                owner,
                SET_ROLE,
                json!({ "g": id, "u": "mia", "r": "Admin" })
            )
            .await,
            "FORBIDDEN",
            "{id}"
        );
    }
    for id in ["pub", "meet", "comm"] {
        let made = ok(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": id, "u": "mia", "r": "Admin" }),
        )
        .await;
        assert_eq!(
            made["setGroupMemberRole"],
            json!({ "userID": "mia", "role": "Admin" })
        );
        // The member is told (9), the group gets tip 4; cancelling is tip 5 and notice 10.
        assert_eq!(
            notices(&app, mia).await.pop().expect("notice")["operationType"],
            9
        );
        assert_eq!(
            tips(&app, mia, id).await.pop().expect("tip")["operationType"],
            4
        );
        ok(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": id, "u": "mia", "r": "Member" }),
        )
        .await;
        assert_eq!(
            notices(&app, mia).await.pop().expect("notice")["operationType"],
            10
        );
        let tip = tips(&app, mia, id).await.pop().expect("tip");
        assert_eq!(
            (tip["operationType"].clone(), tip["userIDList"].clone()),
            (json!(5), json!(["mia"]))
        );
    }
    assert_eq!(
        err(
            &app,
            admin,
            SET_ROLE,
            json!({ "g": "pub", "u": "mia", "r": "Admin" })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": "pub", "u": "olive", "r": "Member" })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": "pub", "u": "mia", "r": "Owner" })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(
            &app,
            owner,
            SET_ROLE,
            json!({ "g": "pub", "u": "ghost", "r": "Admin" })
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    let data = compat_ok(
        &app,
        owner,
        "/groupMember/setGroupMemberRole",
        json!({ "groupID": "pub", "userID": "mia", "role": "Admin" }),
    )
    .await;
    assert_eq!(data["member"]["role"], "Admin");
    assert_eq!(data["group"]["groupID"], "pub");
    assert_eq!(
        compat_err(
            &app,
            admin,
            "/group/setGroupMemberRole",
            json!({ "groupID": "pub", "userID": "mia", "role": "Member" })
        )
        .await,
        (403, 10007)
    );
}

#[tokio::test]
async fn who_may_change_the_profile_depends_on_the_type() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    // Private: any member.
    let changed = ok(
        &app,
        mia,
        UPDATE,
        json!({ "i": { "groupID": "work", "name": "Workers", "notification": "n" } }),
    )
    .await;
    assert_eq!(changed["updateGroupProfile"]["name"], "Workers");
    for id in ["pub", "meet", "comm"] {
        assert_eq!(
            err(
                &app,
                mia,
                UPDATE,
                json!({ "i": { "groupID": id, "name": "x" } })
            )
            .await,
            "FORBIDDEN",
            "{id}"
        );
        ok(
            &app,
            admin,
            UPDATE,
            json!({ "i": { "groupID": id, "introduction": "by admin" } }),
        )
        .await;
    }
    // AVChatRoom: the owner only.
    assert_eq!(
        err(
            &app,
            admin,
            UPDATE,
            json!({ "i": { "groupID": "live", "name": "x" } })
        )
        .await,
        "FORBIDDEN"
    );
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "live", "name": "Live!" } }),
    )
    .await;
    // joinOption only for Public (and Community); the member limit only by the owner.
    assert_eq!(
        err(
            &app,
            owner,
            UPDATE,
            json!({ "i": { "groupID": "meet", "joinOption": "FreeAccess" } })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            admin,
            UPDATE,
            json!({ "i": { "groupID": "pub", "maxMemberNum": 10 } })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            owner,
            UPDATE,
            json!({ "i": { "groupID": "pub", "maxMemberNum": 2 } })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(
            &app,
            owner,
            UPDATE,
            json!({ "i": { "groupID": "pub", "name": "" } })
        )
        .await,
        "BAD_USER_INPUT"
    );
    let done = ok(
        &app,
        admin,
        UPDATE,
        json!({ "i": { "groupID": "pub", "joinOption": "FreeAccess", "name": "Pub" } }),
    )
    .await;
    assert_eq!(done["updateGroupProfile"]["joinOption"], "FreeAccess");
    // The tip carries the changed fields and who changed them.
    let tip = tips(&app, mia, "pub").await.pop().expect("tip");
    assert_eq!(tip["operationType"], 6);
    assert_eq!(tip["operatorID"], "adam");
    assert_eq!(tip["newGroupProfile"]["name"], "Pub");
    assert_eq!(tip["newGroupProfile"]["joinOption"], "FreeAccess");
    assert_eq!(tip["newGroupProfile"]["ownerID"], Value::Null);
    // Compat: `{group}`; custom fields as an object; nothing changed means no tip.
    let before = tips(&app, mia, "pub").await.len();
    let data = compat_ok(
        &app,
        admin,
        "/group/updateGroupProfile",
        json!({ "groupID": "pub", "groupCustomField": { "level": "3" } }),
    )
    .await;
    assert_eq!(
        data["group"]["groupCustomField"],
        json!([{ "key": "level", "value": "3" }])
    );
    compat_ok(
        &app,
        admin,
        "/group/updateGroupProfile",
        json!({ "groupID": "pub", "name": "Pub" }),
    )
    .await;
    assert_eq!(tips(&app, mia, "pub").await.len(), before + 1);
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/updateGroupProfile",
            json!({ "groupID": "pub", "name": "x" })
        )
        .await,
        (403, 10007)
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/updateGroupProfile",
            json!({ "groupID": "pub", "bogus": 1 })
        )
        .await,
        (400, 400)
    );
}

#[tokio::test]
async fn who_may_remove_members_depends_on_the_type_and_roles() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ann", "ben"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    // Private: the owner only.
    assert_eq!(
        err(&app, mia, REMOVE, json!({ "g": "work", "u": ["adam"] })).await,
        "FORBIDDEN"
    );
    let removed = ok(
        &app,
        owner,
        REMOVE,
        json!({ "g": "work", "u": ["adam", "nobody"], "r": "bye" }),
    )
    .await;
    assert_eq!(
        removed["deleteGroupMember"],
        json!({ "userIDList": ["adam"], "group": { "memberCount": 2 } })
    );
    let kicked = notices(&app, admin).await.pop().expect("notice");
    assert_eq!(
        (
            kicked["operationType"].clone(),
            kicked["operatorID"].clone(),
            kicked["handleMessage"].clone()
        ),
        (json!(4), json!("olive"), json!("bye"))
    );
    let tip = tips(&app, mia, "work").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["userIDList"].clone(),
            tip["memberCount"].clone()
        ),
        (json!(3), json!(["adam"]), json!(2))
    );
    // Others: the owner anyone, admins ordinary members only, members nobody.
    for id in ["pub", "meet", "comm"] {
        add(&app, owner, id, &["ann", "ben"]).await;
        assert_eq!(
            err(&app, mia, REMOVE, json!({ "g": id, "u": ["ann"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, admin, REMOVE, json!({ "g": id, "u": ["olive"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        ok(&app, admin, REMOVE, json!({ "g": id, "u": ["ann"] })).await;
        make_admin(&app, owner, id, "ben").await;
        assert_eq!(
            err(&app, admin, REMOVE, json!({ "g": id, "u": ["ben"] })).await,
            "FORBIDDEN",
            "{id}"
        );
        ok(&app, owner, REMOVE, json!({ "g": id, "u": ["ben"] })).await;
    }
    // AVChatRoom: the owner.
    assert_eq!(
        err(&app, admin, REMOVE, json!({ "g": "live", "u": ["mia"] })).await,
        "FORBIDDEN"
    );
    ok(&app, owner, REMOVE, json!({ "g": "live", "u": ["mia"] })).await;
    // Nobody removes themselves this way; compat answers `{userIDList, group}` under both prefixes.
    assert_eq!(
        err(&app, owner, REMOVE, json!({ "g": "pub", "u": ["olive"] })).await,
        "FORBIDDEN"
    );
    let data = compat_ok(
        &app,
        owner,
        "/groupMember/deleteGroupMember",
        json!({ "groupID": "pub", "userIDList": ["mia"], "reason": "r" }),
    )
    .await;
    assert_eq!(data["userIDList"], json!(["mia"]));
    assert_eq!(data["group"]["memberCount"], 2);
    assert_eq!(
        compat_err(
            &app,
            owner,
            "/group/deleteGroupMember",
            json!({ "groupID": "nope", "userIDList": ["mia"] })
        )
        .await,
        (404, 10010)
    );
}

#[tokio::test]
async fn muted_members_cannot_send_and_their_messages_are_stored_as_failed() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ben"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    // Work groups have no muting.
    assert_eq!(
        err(
            &app,
            owner,
            MUTE,
            json!({ "g": "work", "u": "mia", "t": 60 })
        )
        .await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(
            &app,
            owner,
            UPDATE,
            json!({ "i": { "groupID": "work", "muteAllMembers": true } })
        )
        .await,
        "FORBIDDEN"
    );
    for id in ["pub", "meet", "comm"] {
        // Admins mute ordinary members, not admins; nobody mutes themselves.
        assert_eq!(
            err(&app, mia, MUTE, json!({ "g": id, "u": "adam", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, admin, MUTE, json!({ "g": id, "u": "adam", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        assert_eq!(
            err(&app, owner, MUTE, json!({ "g": id, "u": "olive", "t": 60 })).await,
            "FORBIDDEN",
            "{id}"
        );
        let muted = ok(&app, admin, MUTE, json!({ "g": id, "u": "mia", "t": 60 })).await;
        assert!(
            muted["setGroupMemberMuteTime"]["muteUntil"]
                .as_i64()
                .unwrap_or(0)
                > 1_700_000_000
        );
        assert_eq!(
            send_group_text_err(&app, mia, id, "shh").await,
            "MUTED",
            "{id}"
        );
        let tip = tips(&app, owner, id).await.pop().expect("tip");
        assert_eq!(tip["operationType"], 7);
        assert_eq!(
            tip["memberList"],
            json!([{ "userID": "mia", "muteTime": 60 }])
        );
        ok(&app, admin, MUTE, json!({ "g": id, "u": "mia", "t": 0 })).await;
        send_group_text(&app, mia, id, "back").await;
    }
    // AVChatRoom: the owner mutes.
    assert_eq!(
        err(
            &app,
            admin,
            MUTE,
            json!({ "g": "live", "u": "mia", "t": 60 })
        )
        .await,
        "FORBIDDEN"
    );
    ok(
        &app,
        owner,
        MUTE,
        json!({ "g": "live", "u": "mia", "t": 60 }),
    )
    .await;
    assert_eq!(send_group_text_err(&app, mia, "live", "shh").await, "MUTED");
    // The refused message is kept as `fail` for its sender and can be resent once unmuted.
    let mine = history(&app, mia, "GROUPpub").await;
    let failed = mine
        .iter()
        .find(|m| m["status"] == "fail")
        .expect("failed message");
    assert_eq!(failed["payload"]["text"], "shh");
    let id = failed["ID"].as_str().expect("id").to_owned();
    assert!(history(&app, owner, "GROUPpub")
        .await
        .iter()
        .all(|m| m["ID"] != id.as_str()));
    let resent = ok(
        &app,
        mia,
        &format!("mutation {{ resendMessage(messageID: \"{id}\") {{ status }} }}"),
        json!({}),
    )
    .await;
    assert_eq!(resent["resendMessage"]["status"], "success");
    // Compat: MUTED is 10017; the mute route answers `{group, member}`.
    let data = compat_ok(
        &app,
        admin,
        "/groupMember/setGroupMemberMuteTime",
        json!({ "groupID": "pub", "userID": "mia", "muteTime": "30" }),
    )
    .await;
    assert_eq!(data["member"]["userID"], "mia");
    assert_eq!(data["group"]["groupID"], "pub");
    let (status, body) = app.compat(Some(mia), "/message/sendMessage", json!({ "message": { "to": "pub", "conversationType": "GROUP", "payload": { "text": "hi" } } })).await;
    assert_eq!((status, body["code"].clone()), (403, json!(10017)));
    // muteAllMembers mutes everyone but the owner and admins.
    ok(&app, admin, MUTE, json!({ "g": "pub", "u": "mia", "t": 0 })).await;
    assert_eq!(
        err(
            &app,
            mia,
            UPDATE,
            json!({ "i": { "groupID": "pub", "muteAllMembers": true } })
        )
        .await,
        "FORBIDDEN"
    );
    let all = ok(
        &app,
        admin,
        UPDATE,
        json!({ "i": { "groupID": "pub", "muteAllMembers": true } }),
    )
    .await;
    assert_eq!(all["updateGroupProfile"]["muteAllMembers"], true);
    assert_eq!(send_group_text_err(&app, mia, "pub", "x").await, "MUTED");
    send_group_text(&app, admin, "pub", "admins talk").await;
    send_group_text(&app, owner, "pub", "owners talk").await;
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "muteAllMembers": false } }),
    )
    .await;
    send_group_text(&app, mia, "pub", "free again").await;
    assert_eq!(
        err(
            &app,
            owner,
            MUTE,
            json!({ "g": "pub", "u": "mia", "t": -1 })
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        err(&app, owner, MUTE, json!({ "g": "pub", "u": "ben", "t": 5 })).await,
        "NOT_GROUP_MEMBER"
    );
}

#[tokio::test]
async fn only_a_work_groups_owner_may_quit_and_the_last_member_ends_it() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for id in ["pub", "meet", "comm", "live"] {
        assert_eq!(
            err(&app, owner, QUIT, json!({ "g": id })).await,
            "OWNER_CANNOT_QUIT",
            "{id}"
        );
    }
    assert_eq!(
        compat_err(&app, owner, "/group/quitGroup", json!({ "groupID": "pub" })).await,
        (409, 10009)
    );
    // A member quits: tip 2 to the group, notice 8 to them.
    assert_eq!(
        ok(&app, mia, QUIT, json!({ "g": "pub" })).await["quitGroup"],
        "pub"
    );
    let tip = tips(&app, owner, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["operatorID"].clone(),
            tip["userIDList"].clone()
        ),
        (json!(2), json!("mia"), json!(["mia"]))
    );
    assert_eq!(
        notices(&app, mia).await.pop().expect("notice")["operationType"],
        8
    );
    assert_eq!(
        err(&app, mia, QUIT, json!({ "g": "pub" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(
            &app,
            mia,
            "query { getMessageList(conversationID: \"GROUPpub\") { isCompleted } }",
            json!({})
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    // The work group goes on without owner.
    ok(&app, owner, QUIT, json!({ "g": "work" })).await;
    let profile = ok(&app, mia, PROFILE, json!({ "g": "work" })).await;
    assert_eq!(profile["getGroupProfile"]["ownerID"], "");
    assert_eq!(profile["getGroupProfile"]["memberCount"], 2);
    assert_eq!(
        compat_ok(
            &app,
            admin,
            "/group/quitGroup",
            json!({ "groupID": "work" })
        )
        .await,
        json!({ "groupID": "work" })
    );
    ok(&app, mia, QUIT, json!({ "g": "work" })).await;
    assert_eq!(
        err(&app, mia, PROFILE, json!({ "g": "work" })).await,
        "GROUP_NOT_FOUND"
    );
}

// ---------------------------------------------------------------------------
// Rules table: unread counts, history from before joining, search.

#[tokio::test]
async fn unread_counts_are_kept_for_private_public_and_community_only() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, mia) = (&t[0], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..]).await;
    for (id, counted) in [
        ("work", true),
        ("pub", true),
        ("meet", false),
        ("comm", true),
        ("live", false),
    ] {
        ok(
            &app,
            mia,
            "mutation($c: String!) { setMessageRead(conversationID: $c) { unreadCount } }",
            json!({ "c": format!("GROUP{id}") }),
        )
        .await;
        send_group_text(&app, owner, id, "one").await;
        send_group_text(&app, owner, id, "two").await;
        let conv = conversation(&app, mia, &format!("GROUP{id}")).await;
        assert_eq!(conv["unreadCount"], if counted { 2 } else { 0 }, "{id}");
        // The sender's own messages are read.
        assert_eq!(
            conversation(&app, owner, &format!("GROUP{id}")).await["unreadCount"],
            0,
            "{id}"
        );
        let read = ok(
            &app,
            mia,
            "mutation($c: String!) { setMessageRead(conversationID: $c) { unreadCount } }",
            json!({ "c": format!("GROUP{id}") }),
        )
        .await;
        assert_eq!(read["setMessageRead"]["unreadCount"], 0);
    }
    // The conversation carries the group and its type.
    let conv = conversation(&app, mia, "GROUPcomm").await;
    assert_eq!(conv["type"], "GROUP");
    assert_eq!(conv["subType"], "Community");
    assert_eq!(conv["groupProfile"]["groupID"], "comm");
    assert_eq!(conv["groupProfile"]["type"], "Community");
    assert_eq!(conv["groupProfile"]["selfInfo"]["role"], "Member");
    assert_eq!(conv["lastMessage"]["messageForShow"], "two");
    let list = compat_ok(
        &app,
        mia,
        "/conversation/getConversationList",
        json!({ "conversationID": "GROUPpub" }),
    )
    .await;
    assert_eq!(list[0]["conversation"]["subType"], "Public");
    assert_eq!(list[0]["conversation"]["groupProfile"]["groupID"], "pub");
    assert_eq!(
        list[0]["conversation"]["groupProfile"]["selfInfo"]["role"],
        "Member"
    );
}

#[tokio::test]
async fn history_from_before_joining_is_shown_by_type() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "nia"]).await;
    let (owner, nia) = (&t[0], &t[3]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    ok(
        &app,
        owner,
        UPDATE,
        json!({ "i": { "groupID": "pub", "joinOption": "FreeAccess" } }),
    )
    .await;
    for id in ["work", "pub", "meet", "comm", "live"] {
        send_group_text(&app, owner, id, "before").await;
    }
    add(&app, owner, "work", &["nia"]).await;
    for id in ["pub", "meet", "comm", "live"] {
        ok(&app, nia, JOIN, json!({ "g": id })).await;
    }
    for id in ["work", "pub", "meet", "comm", "live"] {
        send_group_text(&app, owner, id, "after").await;
    }
    let conv = |id: &str| format!("GROUP{id}");
    // Private and Public: nothing from before joining; the join tip and after.
    for id in ["work", "pub"] {
        assert_eq!(texts(&app, nia, &conv(id)).await, ["after"], "{id}");
        let first = &history(&app, nia, &conv(id)).await[0];
        assert_eq!(
            (
                first["type"].clone(),
                first["payload"]["userIDList"].clone()
            ),
            (json!("TIMGroupTipElem"), json!(["nia"])),
            "{id}"
        );
    }
    // ChatRoom and Community: the whole history.
    for id in ["meet", "comm"] {
        assert_eq!(
            texts(&app, nia, &conv(id)).await,
            ["before", "after"],
            "{id}"
        );
    }
    // AVChatRoom: no history at all, for anyone.
    assert!(history(&app, nia, &conv("live")).await.is_empty());
    assert!(history(&app, owner, &conv("live")).await.is_empty());
    assert_eq!(
        conversation(&app, owner, &conv("live")).await["lastMessage"],
        Value::Null
    );
    let page = compat_ok(
        &app,
        nia,
        "/message/getMessageList",
        json!({ "conversationID": "GROUPmeet" }),
    )
    .await;
    let compat_texts: Vec<&str> = page
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["message"]["payload"]["text"].as_str())
        .collect();
    assert_eq!(compat_texts, ["before", "after"]);
}

#[tokio::test]
async fn every_type_but_work_groups_can_be_found_by_id() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "stranger"]).await;
    let (owner, stranger) = (&t[0], &t[3]);
    one_of_each(&app, owner).await;
    ok(&app, owner, UPDATE, json!({ "i": { "groupID": "pub", "notification": "members only", "groupCustomField": [{ "key": "k", "value": "v" }] } })).await;
    let search = "query($g: String!) { searchGroupByID(groupID: $g) { groupID name type memberCount notification groupCustomField { key } selfInfo { role } nextMessageSeq } }";
    assert_eq!(
        err(&app, stranger, search, json!({ "g": "work" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        compat_err(
            &app,
            stranger,
            "/group/searchGroupByID",
            json!({ "groupID": "work" })
        )
        .await,
        (404, 10010)
    );
    for id in ["pub", "meet", "comm", "live"] {
        let found = ok(&app, stranger, search, json!({ "g": id })).await;
        assert_eq!(found["searchGroupByID"]["groupID"], id);
        assert_eq!(found["searchGroupByID"]["selfInfo"], Value::Null);
    }
    let public = ok(&app, stranger, search, json!({ "g": "pub" })).await;
    assert_eq!(public["searchGroupByID"]["notification"], "");
    assert_eq!(public["searchGroupByID"]["groupCustomField"], json!([]));
    assert_eq!(public["searchGroupByID"]["nextMessageSeq"], 0);
    let data = compat_ok(
        &app,
        stranger,
        "/group/searchGroupByID",
        json!({ "groupID": "meet" }),
    )
    .await;
    assert_eq!(data["group"]["type"], "ChatRoom");
    // Members see their own work group.
    let mine = ok(&app, &t[2], search, json!({ "g": "work" })).await;
    assert_eq!(mine["searchGroupByID"]["selfInfo"]["role"], "Member");
    assert_eq!(
        err(&app, stranger, PROFILE, json!({ "g": "work" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(&app, stranger, search, json!({ "g": "" })).await,
        "BAD_USER_INPUT"
    );
}

// ---------------------------------------------------------------------------
// Ownership, dismissal, remind types, revocation, mentions.

#[tokio::test]
async fn the_owner_hands_over_to_a_member_except_in_an_avchatroom() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia", "stranger"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    one_of_each(&app, owner).await;
    fill_live_room(&app, &t[1..3]).await;
    let change = "mutation($g: String!, $n: String!) { changeGroupOwner(groupID: $g, newOwnerID: $n) { ownerID selfInfo { role } } }";
    assert_eq!(
        err(&app, owner, change, json!({ "g": "live", "n": "mia" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, owner, change, json!({ "g": "pub", "n": "olive" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        err(&app, owner, change, json!({ "g": "pub", "n": "stranger" })).await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(&app, admin, change, json!({ "g": "pub", "n": "mia" })).await,
        "FORBIDDEN"
    );
    let done = ok(&app, owner, change, json!({ "g": "pub", "n": "mia" })).await;
    assert_eq!(
        done["changeGroupOwner"],
        json!({ "ownerID": "mia", "selfInfo": { "role": "Member" } })
    );
    let tip = tips(&app, admin, "pub").await.pop().expect("tip");
    assert_eq!(
        (
            tip["operationType"].clone(),
            tip["newGroupProfile"]["ownerID"].clone()
        ),
        (json!(6), json!("mia"))
    );
    let now_owner = ok(&app, mia, PROFILE, json!({ "g": "pub" })).await;
    assert_eq!(now_owner["getGroupProfile"]["selfInfo"]["role"], "Owner");
    // The old owner may now quit; compat answers `{group}`.
    ok(&app, owner, QUIT, json!({ "g": "pub" })).await;
    let data = compat_ok(
        &app,
        owner,
        "/group/changeGroupOwner",
        json!({ "groupID": "meet", "newOwnerID": "adam" }),
    )
    .await;
    assert_eq!(data["group"]["ownerID"], "adam");
}

#[tokio::test]
async fn a_dismissed_group_is_gone_for_everyone() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "adam", "mia"]).await;
    let (owner, admin, mia) = (&t[0], &t[1], &t[2]);
    create_group(&app, owner, json!({ "name": "Doomed", "groupID": "doomed", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }] })).await;
    send_group_text(&app, mia, "doomed", "last words").await;
    let pending = ok(&app, mia, "mutation { createMessage(input: { to: \"doomed\", conversationType: GROUP, payload: { text: { text: \"later\" } } }) { ID } }", json!({})).await;
    let mut mia_live = Listener::open(&app, mia, "mia").await;
    let dismiss = "mutation($g: String!) { dismissGroup(groupID: $g) }";
    assert_eq!(
        err(&app, admin, dismiss, json!({ "g": "doomed" })).await,
        "FORBIDDEN"
    );
    assert_eq!(
        compat_err(
            &app,
            mia,
            "/group/dismissGroup",
            json!({ "groupID": "doomed" })
        )
        .await,
        (403, 10007)
    );
    assert_eq!(
        ok(&app, owner, dismiss, json!({ "g": "doomed" })).await["dismissGroup"],
        "doomed"
    );
    // Members are told (5), live and in history; the owner is not.
    let notice = mia_live.next_of("TIMGroupSystemNoticeElem").await;
    assert_eq!(notice["payload"]["operationType"], 5);
    assert_eq!(notice["payload"]["groupProfile"]["groupID"], "doomed");
    assert_eq!(
        notices(&app, admin).await.pop().expect("notice")["operationType"],
        5
    );
    assert!(notices(&app, owner)
        .await
        .iter()
        .all(|n| n["operationType"] != 5));
    // Everything about it answers GROUP_NOT_FOUND (TIM 10010).
    assert_eq!(
        err(&app, mia, PROFILE, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(&app, mia, JOIN, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        send_group_text_err(&app, mia, "doomed", "hello?").await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(
            &app,
            mia,
            "query { getMessageList(conversationID: \"GROUPdoomed\") { isCompleted } }",
            json!({})
        )
        .await,
        "GROUP_NOT_FOUND"
    );
    assert_eq!(
        err(&app, owner, dismiss, json!({ "g": "doomed" })).await,
        "GROUP_NOT_FOUND"
    );
    let id = pending["createMessage"]["ID"].as_str().expect("id");
    assert_eq!(
        err(
            &app,
            mia,
            &format!("mutation {{ sendMessage(messageID: \"{id}\") {{ ID }} }}"),
            json!({})
        )
        .await,
        "NOT_FOUND"
    );
    for path in [
        "/group/getGroupProfile",
        "/group/quitGroup",
        "/groupMember/getGroupMemberList",
        "/group/getGroupOnlineMemberCount",
    ] {
        assert_eq!(
            compat_err(&app, mia, path, json!({ "groupID": "doomed" })).await,
            (404, 10010),
            "{path}"
        );
    }
    let list = ok(
        &app,
        mia,
        "{ getConversationList { conversationID } getGroupList { groupID } }",
        json!({}),
    )
    .await;
    assert!(list["getConversationList"]
        .as_array()
        .expect("list")
        .iter()
        .all(|c| c["conversationID"] != "GROUPdoomed"));
    assert_eq!(list["getGroupList"], json!([]));
    // The ID can be used again, with nothing of the old group in it.
    create_group(
        &app,
        admin,
        json!({ "name": "Reborn", "groupID": "doomed", "type": "ChatRoom" }),
    )
    .await;
    ok(&app, mia, JOIN, json!({ "g": "doomed" })).await;
    assert!(texts(&app, mia, "GROUPdoomed").await.is_empty());
}

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
    send_group_text(&app, owner, "g", "discarded").await;
    live.expect_silence().await;
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
    later.expect_silence().await;
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
    send_group_text(&app, owner, "g", "quiet").await;
    assert_eq!(
        live.next_text().await,
        "quiet",
        "nothing from the discarded time leaks"
    );
    assert_eq!(later.next_text().await, "quiet");
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
async fn owners_and_admins_revoke_any_message_at_any_time() {
    let app = spawn_app_with(|config| config.revoke_limit = 0).await;
    let t = seed_users(&app, &["olive", "adam", "mia", "ben"]).await;
    let (owner, admin, mia, ben) = (&t[0], &t[1], &t[2], &t[3]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "Public", "memberList": [{ "userID": "adam", "role": "Admin" }, { "userID": "mia" }, { "userID": "ben" }] })).await;
    let revoke =
        "mutation($m: ID!) { revokeMessage(messageID: $m) { isRevoked payload { __typename } } }";
    let first = send_group_text(&app, mia, "g", "oops").await;
    let second = send_group_text(&app, mia, "g", "oops again").await;
    let own = send_group_text(&app, owner, "g", "mine").await;
    // Other members may not; an admin and the owner may, whatever the limit.
    assert_eq!(
        err(&app, ben, revoke, json!({ "m": first["ID"] })).await,
        "FORBIDDEN"
    );
    let code = err(&app, mia, revoke, json!({ "m": own["ID"] })).await;
    assert_eq!(code, "FORBIDDEN");
    let mut ben_live = Listener::open(&app, ben, "ben").await;
    let mut revoked_ws = WsClient::with_token(&app, ben).await;
    revoked_ws
        .subscribe(
            "r",
            "subscription { messageRevoked { ID isRevoked conversationID } }",
            json!({}),
        )
        .await;
    // Live once a revocation of a probe to herself comes back.
    let mut live = false;
    for _ in 0..100 {
        let probe = ok(&app, ben, "mutation { sendMessage(message: { to: \"ben\", conversationType: C2C, payload: { text: { text: \"probe\" } } }) { ID } }", json!({})).await;
        // (Past the zero limit this fails and the next probe tries again.)
        app.gql(
            Some(ben),
            revoke,
            json!({ "m": probe["sendMessage"]["ID"] }),
        )
        .await;
        if tokio::time::timeout(Duration::from_millis(250), revoked_ws.next_data("r"))
            .await
            .is_ok()
        {
            live = true;
            break;
        }
    }
    assert!(live, "messageRevoked never became live");
    let by_admin = ok(&app, admin, revoke, json!({ "m": first["ID"] })).await;
    assert_eq!(
        by_admin["revokeMessage"],
        json!({ "isRevoked": true, "payload": null })
    );
    let data = compat_ok(
        &app,
        owner,
        "/message/revokeMessage",
        json!({ "ID": second["ID"] }),
    )
    .await;
    assert_eq!(data["message"]["isRevoked"], true);
    let listed = history(&app, ben, "GROUPg").await;
    assert!(listed
        .iter()
        .filter(|m| m["from"] == "mia")
        .all(|m| m["isRevoked"] == true));
    // Tips cannot be revoked.
    let tip = history(&app, owner, "GROUPg")
        .await
        .into_iter()
        .find(|m| m["type"] == "TIMGroupTipElem")
        .expect("tip");
    assert_eq!(
        err(&app, owner, revoke, json!({ "m": tip["ID"] })).await,
        "FORBIDDEN"
    );
    // Members are told live (after the subscription started).
    let third = send_group_text(&app, mia, "g", "third").await;
    assert_eq!(ben_live.next_text().await, "third");
    ok(&app, owner, revoke, json!({ "m": third["ID"] })).await;
    // Past any probes, the group revocations in order.
    let mut pushed = revoked_ws.next_data("r").await;
    while pushed["messageRevoked"]["conversationID"] == "C2Cben" {
        pushed = revoked_ws.next_data("r").await;
    }
    assert_eq!(pushed["messageRevoked"]["ID"], first["ID"]);
    assert_eq!(pushed["messageRevoked"]["conversationID"], "GROUPg");
    assert_eq!(pushed["messageRevoked"]["isRevoked"], true);
}

#[tokio::test]
async fn group_messages_carry_mentions_and_name_cards() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "mia"]).await;
    let (owner, mia) = (&t[0], &t[1]);
    create_group(&app, owner, json!({ "name": "g", "groupID": "g", "type": "ChatRoom", "memberList": [{ "userID": "mia" }] })).await;
    ok(&app, mia, "mutation { setGroupMemberNameCard(groupID: \"g\", nameCard: \"Mia from QA\") { nameCard } }", json!({})).await;
    let sent = ok(
        &app,
        mia,
        &send_query(),
        json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "text": { "text": "@olive @all" } }, "atUserList": ["olive", "__kImSDK_MesssageAtALL__"] } }),
    )
    .await;
    let message = &sent["sendMessage"];
    assert_eq!(
        message["atUserList"],
        json!(["olive", "__kImSDK_MesssageAtALL__"])
    );
    assert_eq!(message["nameCard"], "Mia from QA");
    assert_eq!(message["conversationID"], "GROUPg");
    assert_eq!(message["to"], "g");
    let seen = history(&app, owner, "GROUPg").await.pop().expect("message");
    assert_eq!(seen["nameCard"], "Mia from QA");
    assert_eq!(
        seen["atUserList"],
        json!(["olive", "__kImSDK_MesssageAtALL__"])
    );
    let too_many: Vec<String> = (0..31).map(|i| format!("user{i}")).collect();
    let code = err(
        &app,
        mia,
        &send_query(),
        json!({ "m": { "to": "g", "conversationType": "GROUP", "payload": { "text": { "text": "hi" } }, "atUserList": too_many } }),
    )
    .await;
    assert_eq!(code, "BAD_USER_INPUT");
    // Compat: the seed's body with atUserList.
    let data = compat_ok(&app, owner, "/message/sendMessage", json!({ "message": { "to": "g", "conversationType": "GROUP", "payload": { "text": "@mia" }, "atUserList": ["mia"] } })).await;
    assert_eq!(data["message"]["atUserList"], json!(["mia"]));
}

#[tokio::test]
async fn non_members_and_unknown_groups_are_refused_with_their_codes() {
    let app = spawn_app().await;
    let t = seed_users(&app, &["olive", "out"]).await;
    create_group(
        &app,
        &t[0],
        json!({ "name": "g", "groupID": "g", "type": "Public" }),
    )
    .await;
    assert_eq!(
        send_group_text_err(&app, &t[1], "g", "let me talk").await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        err(
            &app,
            &t[1],
            "query { getMessageList(conversationID: \"GROUPg\") { isCompleted } }",
            json!({})
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
    assert_eq!(
        send_group_text_err(&app, &t[1], "nope", "x").await,
        "GROUP_NOT_FOUND"
    );
    let (status, body) = app.compat(Some(&t[1]), "/message/sendMessage", json!({ "message": { "to": "g", "conversationType": "GROUP", "payload": { "text": "x" } } })).await;
    assert_eq!((status, body["code"].clone()), (403, json!(10007)));
    assert_eq!(
        app.gql_err(None, "{ getGroupList { groupID } }", json!({}))
            .await,
        "UNAUTHENTICATED"
    );
    let (status, body) = app.compat(None, "/group/getGroupList", json!({})).await;
    assert_eq!((status, body["code"].clone()), (401, json!(70001)));
    for (query, vars) in [
        (PROFILE, json!({ "g": "nope" })),
        (QUIT, json!({ "g": "nope" })),
        (JOIN, json!({ "g": "nope" })),
        (
            "query($g: String!) { getGroupMemberList(groupID: $g) { offset } }",
            json!({ "g": "nope" }),
        ),
    ] {
        assert_eq!(
            err(&app, &t[1], query, vars).await,
            "GROUP_NOT_FOUND",
            "{query}"
        );
    }
    assert_eq!(
        err(
            &app,
            &t[1],
            "query($g: String!) { getGroupMemberList(groupID: $g) { offset } }",
            json!({ "g": "g" })
        )
        .await,
        "NOT_GROUP_MEMBER"
    );
}

// ---------------------------------------------------------------------------
// Live delivery.

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
    mia_live.expect_silence().await;
    assert_eq!(ben_live.next_text().await, "after 1");
    assert_eq!(ben_live.next_text().await, "after 2");
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
    let mut live = false;
    for _ in 0..100 {
        ok(&app, mia, remind, json!({ "r": "AcceptAndNotify" })).await;
        if tokio::time::timeout(Duration::from_millis(250), ws.next_data("u"))
            .await
            .is_ok()
        {
            live = true;
            break;
        }
    }
    assert!(live, "groupUpdated never became live");
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
