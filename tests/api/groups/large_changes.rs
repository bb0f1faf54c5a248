//! Changes with very many members (issue 9, item 9): a 500-member
//! `createGroup` and a 2,000-member `dismissGroup` write every member's
//! system notice (multi-row INSERTs, so the write path is held briefly), and
//! every notice arrives live and stays in its member's `@TIM#SYSTEM`, with
//! gapless sequences. The time each request took is printed (debug builds:
//! a rough figure; the server logs the write-path hold at debug level).

use std::time::Instant;

use entity::{conversation_states, group_members, groups, kinds::GroupMemberRole, messages};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{json, Value};

use super::support::{create_group, history, Listener};
use crate::helpers::{ok, seed_users, spawn_app, TestApp};

/// Members added by `createGroup` (its limit).
const CREATED: usize = 500;

/// Members when the group is dismissed.
const DISMISSED: usize = 2_000;

/// The next `@TIM#SYSTEM` message a listener gets (tips in between skipped).
async fn next_notice(listener: &mut Listener) -> Value {
    for _ in 0..10 {
        let message = listener.next().await;
        if message["conversationID"] == "@TIM#SYSTEM" {
            return message;
        }
    }
    panic!("no system notice among the next 10 messages");
}

/// Put `users` into `group_id` directly (setup only), as joined members.
async fn seed_members(app: &TestApp, group_id: &str, users: &[String]) {
    let db = &app.state.db;
    let group = groups::Entity::find_by_id(group_id)
        .one(db)
        .await
        .expect("read group")
        .expect("group exists");
    for chunk in users.chunks(200) {
        group_members::Entity::insert_many(chunk.iter().map(|u| group_members::ActiveModel {
            group_id: Set(group_id.into()),
            user_id: Set(u.clone()),
            role: Set(GroupMemberRole::Member),
            join_time: Set(1),
            name_card: Set(String::new()),
            mute_until: Set(0),
            custom_field: Set("[]".into()),
        }))
        .exec_without_returning(db)
        .await
        .expect("seed members");
        conversation_states::Entity::insert_many(chunk.iter().map(|u| {
            conversation_states::ActiveModel {
                user_id: Set(u.clone()),
                conversation_id: Set(format!("GROUP{group_id}")),
                channel_id: Set(group.channel_id),
                read_seq: Set(0),
                read_at: Set(0),
                cleared_seq: Set(0),
                deleted: Set(false),
                pinned: Set(false),
                remind_type: Set("AcceptAndNotify".into()),
                updated_at: Set(1),
            }
        }))
        .exec_without_returning(db)
        .await
        .expect("seed states");
    }
    groups::Entity::update_many()
        .col_expr(
            groups::Column::MemberCount,
            Expr::value(group.member_count + users.len() as i64),
        )
        .filter(groups::Column::GroupId.eq(group_id))
        .exec(db)
        .await
        .expect("count members");
    // Written behind the services' backs: drop what they cached.
    app.state.caches.invalidate_all();
}

/// The sequences of a user's `@TIM#SYSTEM` history, oldest first, and its
/// notices' operation types.
async fn system_history(app: &TestApp, token: &str) -> (Vec<i64>, Vec<Value>) {
    let messages = history(app, token, "@TIM#SYSTEM").await;
    (
        messages
            .iter()
            .filter_map(|m| m["sequence"].as_i64())
            .collect(),
        messages
            .iter()
            .map(|m| m["payload"]["operationType"].clone())
            .collect(),
    )
}

#[tokio::test]
async fn big_create_and_dismiss_notify_every_member() {
    // The write-path hold of each change, logged at debug (see --nocapture).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("imgql::groups::change=debug")
        .with_test_writer()
        .try_init();
    let app = spawn_app().await;
    let members: Vec<String> = (0..DISMISSED).map(|i| format!("big{i:04}")).collect();
    let mut names: Vec<&str> = vec!["bigowner"];
    names.extend(members.iter().map(String::as_str));
    let tokens = seed_users(&app, &names).await;
    let owner = &tokens[0];
    let member_token = |i: usize| &tokens[i + 1];
    let mut early = Listener::open(&app, member_token(CREATED - 1), &members[CREATED - 1]).await;

    let started = Instant::now();
    let list: Vec<Value> = members[..CREATED]
        .iter()
        .map(|u| json!({ "userID": u }))
        .collect();
    let group = create_group(
        &app,
        owner,
        json!({ "groupID": "big", "name": "big", "type": "Public", "memberList": list }),
    )
    .await;
    eprintln!(
        "createGroup with {CREATED} members: {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(group["memberCount"], CREATED as i64 + 1);
    let added = next_notice(&mut early).await;
    assert_eq!(added["payload"]["operationType"], 7);

    seed_members(&app, "big", &members[CREATED..]).await;
    let mut late = Listener::open(&app, member_token(DISMISSED - 1), &members[DISMISSED - 1]).await;
    let started = Instant::now();
    ok(
        &app,
        owner,
        "mutation { dismissGroup(groupID: \"big\") }",
        json!({}),
    )
    .await;
    eprintln!(
        "dismissGroup with {DISMISSED} members: {} ms",
        started.elapsed().as_millis()
    );
    for listener in [&mut early, &mut late] {
        let dismissed = next_notice(listener).await;
        assert_eq!(dismissed["payload"]["operationType"], 5);
        assert_eq!(dismissed["payload"]["groupProfile"]["groupID"], "big");
    }

    // Every notice is stored: CREATED for the owner, ADDED and DISMISSED for
    // the first members, DISMISSED for the seeded ones; sequences gapless.
    let notices = messages::Entity::find()
        .filter(messages::Column::ConversationType.eq(entity::kinds::ConversationType::System))
        .count(&app.state.db)
        .await
        .expect("count notices");
    assert_eq!(notices, (1 + CREATED + DISMISSED) as u64);
    assert_eq!(system_history(&app, owner).await, (vec![1], vec![json!(6)]));
    for i in [0, CREATED - 1] {
        assert_eq!(
            system_history(&app, member_token(i)).await,
            (vec![1, 2], vec![json!(7), json!(5)])
        );
    }
    for i in [CREATED, DISMISSED - 1] {
        assert_eq!(
            system_history(&app, member_token(i)).await,
            (vec![1], vec![json!(5)])
        );
    }
}
