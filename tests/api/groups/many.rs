//! A member of very many groups (issue 9, item 6): lists and live delivery
//! must not grow a query with one bind or one `OR` term per group (SQLite
//! refuses expressions deeper than 1,000, PostgreSQL more than 65,535 binds).

use entity::{
    channels, conversation_states, group_members, groups,
    kinds::{
        ConversationType, GroupJoinOption, GroupMemberRole, GroupType, MessagePriority,
        MessageStatus, MessageType,
    },
    messages,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::support::{send_group_text, Listener};
use crate::helpers::{ok, seed_users, spawn_app, TestApp};

/// Groups the member is in: past SQLite's expression depth of 1,000.
const GROUPS: usize = 1_200;

/// Rows per multi-row INSERT while seeding.
const CHUNK: usize = 200;

fn group_id(i: usize) -> String {
    format!("many{i:04}")
}

/// Public groups `many0000..` owned by `owner` with `member` in them, each
/// with one message from `owner` (so every group has a last message), written
/// with multi-row INSERTs (setup only: creating them one by one through the
/// API would dominate a debug-build test).
async fn seed_groups(app: &TestApp, owner: &str, member: &str) {
    let db = &app.state.db;
    let ids: Vec<String> = (0..GROUPS).map(group_id).collect();
    for chunk in ids.chunks(CHUNK) {
        channels::Entity::insert_many(chunk.iter().map(|g| channels::ActiveModel {
            channel_key: Set(format!("group:{g}")),
            kind: Set("group".into()),
            last_seq: Set(1),
            last_activity: Set(1),
            created_at: Set(1),
            ..Default::default()
        }))
        .exec_without_returning(db)
        .await
        .expect("seed channels");
    }
    let channel_ids: std::collections::HashMap<String, i64> = channels::Entity::find()
        .filter(channels::Column::Kind.eq("group"))
        .all(db)
        .await
        .expect("read channels")
        .into_iter()
        .map(|c| (c.channel_key, c.id))
        .collect();
    for (n, chunk) in ids.chunks(CHUNK).enumerate() {
        let channel = |g: &String| channel_ids[&format!("group:{g}")];
        groups::Entity::insert_many(chunk.iter().map(|g| groups::ActiveModel {
            group_id: Set(g.clone()),
            group_type: Set(GroupType::Public),
            name: Set(format!("group {g}")),
            avatar: Set(String::new()),
            introduction: Set(String::new()),
            notification: Set(String::new()),
            owner_id: Set(owner.into()),
            channel_id: Set(channel(g)),
            member_count: Set(2),
            max_member_count: Set(0),
            join_option: Set(GroupJoinOption::FreeAccess),
            mute_all_members: Set(false),
            custom_field: Set("[]".into()),
            create_time: Set(1),
            last_info_time: Set(1),
        }))
        .exec_without_returning(db)
        .await
        .expect("seed groups");
        messages::Entity::insert_many(chunk.iter().map(|g| messages::ActiveModel {
            id: Set(format!("seed-{g}")),
            channel_id: Set(channel(g)),
            seq: Set(Some(1)),
            sender_id: Set(owner.into()),
            conversation_type: Set(ConversationType::Group),
            to_id: Set(g.clone()),
            msg_type: Set(MessageType::TextElem),
            payload: Set(json!({ "text": format!("seed {g}") }).to_string()),
            priority: Set(MessagePriority::Normal),
            status: Set(MessageStatus::Success),
            is_revoked: Set(false),
            at_user_list: Set("[]".into()),
            cloud_custom_data: Set(String::new()),
            name_card: Set(String::new()),
            client_msg_id: Set(None),
            time: Set(1),
            created_at: Set(1),
        }))
        .exec_without_returning(db)
        .await
        .expect("seed messages");
        let memberships = chunk.iter().enumerate().flat_map(|(i, g)| {
            let join_time = (n * CHUNK + i) as i64 + 1;
            [
                (owner, GroupMemberRole::Owner),
                (member, GroupMemberRole::Member),
            ]
            .map(|(user, role)| group_members::ActiveModel {
                group_id: Set(g.clone()),
                user_id: Set(user.into()),
                role: Set(role),
                join_time: Set(join_time),
                name_card: Set(String::new()),
                mute_until: Set(0),
                custom_field: Set("[]".into()),
            })
        });
        group_members::Entity::insert_many(memberships)
            .exec_without_returning(db)
            .await
            .expect("seed members");
        let states = chunk.iter().flat_map(|g| {
            [owner, member].map(|user| conversation_states::ActiveModel {
                user_id: Set(user.into()),
                conversation_id: Set(format!("GROUP{g}")),
                channel_id: Set(channel(g)),
                read_seq: Set(0),
                read_at: Set(0),
                cleared_seq: Set(0),
                deleted: Set(false),
                pinned: Set(false),
                remind_type: Set("AcceptAndNotify".into()),
                updated_at: Set(1),
            })
        });
        conversation_states::Entity::insert_many(states)
            .exec_without_returning(db)
            .await
            .expect("seed conversation states");
    }
}

#[tokio::test]
async fn a_member_of_1200_groups_lists_them_and_hears_every_one() {
    let app = spawn_app().await;
    let tokens = seed_users(&app, &["manyowner", "manymember"]).await;
    let (owner, member) = (&tokens[0], &tokens[1]);
    seed_groups(&app, "manyowner", "manymember").await;
    // Two groups with a newer last message.
    send_group_text(&app, owner, &group_id(1), "early").await;
    send_group_text(&app, owner, &group_id(GROUPS - 2), "late").await;

    let list = ok(
        &app,
        member,
        "{ getGroupList { groupID selfInfo { role } lastMessage { messageForShow } } }",
        json!({}),
    )
    .await;
    let list = list["getGroupList"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), GROUPS);
    assert_eq!(list[0]["groupID"], group_id(0));
    assert_eq!(list[GROUPS - 1]["groupID"], group_id(GROUPS - 1));
    assert_eq!(list[1]["lastMessage"]["messageForShow"], "early");
    assert_eq!(list[GROUPS - 2]["lastMessage"]["messageForShow"], "late");
    assert_eq!(
        list[GROUPS - 1]["lastMessage"]["messageForShow"],
        format!("seed {}", group_id(GROUPS - 1))
    );
    assert!(list.iter().all(|g| g["selfInfo"]["role"] == "Member"));

    let conversations = ok(
        &app,
        member,
        "{ getConversationList { conversationID lastMessage { messageForShow } } }",
        json!({}),
    )
    .await;
    let conversations = conversations["getConversationList"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!conversations.is_empty(), "no conversations listed");
    let last_of = |g: usize| {
        conversations
            .iter()
            .find(|c| c["conversationID"] == format!("GROUP{}", group_id(g)))
            .map(|c| c["lastMessage"]["messageForShow"].clone())
    };
    assert_eq!(last_of(1), Some(json!("early")));
    assert_eq!(last_of(GROUPS - 2), Some(json!("late")));

    let mut listener = Listener::open(&app, member, "manymember").await;
    for g in [group_id(0), group_id(GROUPS - 1)] {
        send_group_text(&app, owner, &g, &format!("hello {g}")).await;
        let got = listener.next().await;
        assert_eq!(got["conversationID"], format!("GROUP{g}"));
        assert_eq!(got["payload"]["text"], format!("hello {g}"));
    }
}
