//! Member operations: lists, profiles, online counts, adding and removing,
//! muting, roles, cards and custom fields, with the who-may-act-on-whom
//! rules, and each member's own remind type.

use std::collections::HashMap;

use entity::{blacklist, channels, conversation_states, group_members, groups};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    preamble::{any_member, begin_as_member, check_standing, open_as_member, Acting, Audience},
    queries::{load_group, member_ids, require_member, require_target, to_json},
    rules::may_edit_member,
    steps::{admit, member_count, notice, notice_op, remove_members, tip, tip_op, Newcomer},
    types::{
        AddGroupMemberResult, DeleteGroupMemberResult, GroupMemberList, GroupMemberRole,
        GroupMemberView, GroupType, GroupView, MemberChange,
    },
    views::view_for,
};
use crate::{
    error::{AppError, AppResult},
    events::Event,
    groups::types::MessageRemindType,
    messages::conversation_id::ConversationId,
    messages::payload::GroupTipMember,
    realtime::Topic,
    state::AppState,
    users::{
        service as users,
        types::{merge_custom_fields, validate_custom_fields, CustomFieldInput},
        validate,
    },
    util::unix_now,
};

/// Most members one page lists.
pub const MAX_MEMBER_PAGE: i64 = 100;
/// Most userIDs `getGroupMemberProfile` takes.
pub const MAX_PROFILE_IDS: usize = 50;
/// Most userIDs `addGroupMember` and `deleteGroupMember` take.
pub const MAX_MEMBER_IDS: usize = 100;
/// Longest name card in bytes.
pub const MAX_NAME_CARD_BYTES: usize = 50;
/// Longest removal reason in bytes.
pub const MAX_REASON_BYTES: usize = 300;
/// Longest mute in seconds (TIM's is an unsigned 32-bit number).
pub const MAX_MUTE_SECONDS: i64 = u32::MAX as i64;

/// Members with their nicknames and avatars, in the order given.
pub(super) async fn member_views(
    state: &AppState,
    rows: Vec<group_members::Model>,
) -> AppResult<Vec<GroupMemberView>> {
    let ids: Vec<String> = rows.iter().map(|m| m.user_id.clone()).collect();
    let profiles = users::load_users(state, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let profile = profiles.get(&m.user_id);
            GroupMemberView {
                nick: profile.map(|u| u.nick.clone()).unwrap_or_default(),
                avatar: profile.map(|u| u.avatar.clone()).unwrap_or_default(),
                role: m.role.into(),
                join_time: m.join_time,
                name_card: m.name_card,
                mute_until: m.mute_until,
                member_custom_field: serde_json::from_str(&m.custom_field).unwrap_or_default(),
                user_id: m.user_id,
            }
        })
        .collect())
}

/// A member after a change, with the group as the viewer sees it.
async fn member_change(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: &str,
) -> AppResult<MemberChange> {
    let row = require_target(&state.db, group_id, user).await?;
    let member = member_views(state, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("no view of a loaded member"))?;
    Ok(MemberChange {
        group: view_for(state, viewer, group_id).await?,
        member,
    })
}

/// One page of members by join time (`count` 1 to 100); the returned offset
/// is the next page's, 0 at the end.
pub async fn get_group_member_list(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    count: i64,
    offset: i64,
) -> AppResult<GroupMemberList> {
    if !(1..=MAX_MEMBER_PAGE).contains(&count) {
        return Err(AppError::bad_input(
            "count",
            format!("must be 1 to {MAX_MEMBER_PAGE}"),
        ));
    }
    if offset < 0 {
        return Err(AppError::bad_input("offset", "must not be negative"));
    }
    load_group(&state.db, group_id).await?;
    require_member(&state.db, group_id, viewer).await?;
    let mut rows = group_members::Entity::find()
        .filter(group_members::Column::GroupId.eq(group_id))
        .order_by_asc(group_members::Column::JoinTime)
        .order_by_asc(group_members::Column::UserId)
        .offset(offset as u64)
        .limit(count as u64 + 1)
        .all(&state.db)
        .await?;
    let more = rows.len() as i64 > count;
    rows.truncate(count as usize);
    Ok(GroupMemberList {
        member_list: member_views(state, rows).await?,
        offset: if more { offset + count } else { 0 },
    })
}

/// The given members' profiles in request order (at most 50; non-members left out).
pub async fn get_group_member_profile(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    ids: &[String],
) -> AppResult<Vec<GroupMemberView>> {
    let ids = validate::user_id_list("userIDList", ids, MAX_PROFILE_IDS)?;
    load_group(&state.db, group_id).await?;
    require_member(&state.db, group_id, viewer).await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<String, group_members::Model> = group_members::Entity::find()
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::UserId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.user_id.clone(), m))
        .collect();
    let rows = ids.iter().filter_map(|id| found.remove(id)).collect();
    member_views(state, rows).await
}

/// Members with at least one live WebSocket connection.
pub async fn get_group_online_member_count(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<i64> {
    load_group(&state.db, group_id).await?;
    require_member(&state.db, group_id, viewer).await?;
    let ids = member_ids(&state.db, group_id).await?;
    Ok(state
        .presence
        .count_online(ids.iter().map(String::as_str))
        .await? as i64)
}

/// Add users (who may add depends on the type and role). Unknown users and
/// users who blacklisted the adder fail; members are reported as existing.
pub async fn add_group_member(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    ids: &[String],
) -> AppResult<AddGroupMemberResult> {
    let ids = validate::user_id_list("userIDList", ids, MAX_MEMBER_IDS)?;
    let group = check_standing(&state.db, group_id, viewer, adds).await?;
    let known = users::load_users(state, &ids).await?;
    let blocking: Vec<String> = blacklist::Entity::find()
        .select_only()
        .column(blacklist::Column::OwnerId)
        .filter(blacklist::Column::BlockedId.eq(viewer))
        .filter(blacklist::Column::OwnerId.is_in(ids.iter().cloned()))
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut failure = Vec::new();
    let mut candidates = Vec::new();
    for id in ids {
        if !known.contains_key(&id) || blocking.contains(&id) {
            failure.push(id);
        } else {
            candidates.push(id);
        }
    }
    let mut existed = Vec::new();
    let mut success = Vec::new();
    if !candidates.is_empty() {
        let Acting {
            mut change, group, ..
        } = open_as_member(state, &group, viewer, adds, Audience::Users(&candidates)).await?;
        let members: Vec<String> = group_members::Entity::find()
            .select_only()
            .column(group_members::Column::UserId)
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.is_in(candidates.iter().cloned()))
            .into_tuple()
            .all(change.tx()?)
            .await?;
        for id in candidates {
            if members.contains(&id) {
                existed.push(id);
            } else {
                success.push(id);
            }
        }
        if !success.is_empty() {
            let newcomers: Vec<Newcomer> = success.iter().map(|u| Newcomer::member(u)).collect();
            admit(&mut change, &group, viewer, &newcomers, &success).await?;
            for user in &success {
                change
                    .notice(user, &notice(notice_op::ADDED, viewer, &group, "", None))
                    .await?;
            }
            change.commit().await?;
        }
    }
    Ok(AddGroupMemberResult {
        success_user_id_list: success,
        failure_user_id_list: failure,
        existed_user_id_list: existed,
        group: view_for(state, viewer, group_id).await?,
    })
}

/// The [`Rule`](super::preamble::Rule) of adding members: by type and role.
fn adds(group: &groups::Model, me: &group_members::Model) -> AppResult<()> {
    let group_type = GroupType::from(group.group_type);
    if !group_type.may_add(me.role.into()) {
        return Err(AppError::Forbidden(if group_type.allows_adding() {
            "only the owner and admins may add members".into()
        } else {
            "members cannot be added to an AVChatRoom".into()
        }));
    }
    Ok(())
}

/// Remove members (the owner anyone but themselves; admins ordinary members,
/// where the type has admins). Users who are not members are left out.
pub async fn delete_group_member(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    ids: &[String],
    reason: &str,
) -> AppResult<DeleteGroupMemberResult> {
    let ids = validate::user_id_list("userIDList", ids, MAX_MEMBER_IDS)?;
    validate::max_bytes("reason", reason, MAX_REASON_BYTES)?;
    let group = check_standing(&state.db, group_id, viewer, any_member).await?;
    if ids.iter().any(|id| id == viewer) {
        return Err(AppError::Forbidden(
            "you cannot remove yourself: use quitGroup".into(),
        ));
    }
    let Acting {
        mut change,
        group,
        me,
        ..
    } = open_as_member(state, &group, viewer, any_member, Audience::Users(&ids)).await?;
    let group_type = GroupType::from(group.group_type);
    let targets = if ids.is_empty() {
        Vec::new()
    } else {
        group_members::Entity::find()
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.is_in(ids.iter().cloned()))
            .all(change.tx()?)
            .await?
    };
    for target in &targets {
        if !group_type.may_remove(me.role.into(), target.role.into()) {
            return Err(AppError::Forbidden(format!(
                "your role may not remove {}",
                target.user_id
            )));
        }
    }
    // In request order.
    let removed: Vec<String> = ids
        .into_iter()
        .filter(|id| targets.iter().any(|t| t.user_id == *id))
        .collect();
    if !removed.is_empty() {
        let count = remove_members(&mut change, &group, &removed).await?;
        change
            .tip(
                group_id,
                &tip(tip_op::KICKED, viewer, removed.clone(), count),
            )
            .await?;
        for user in &removed {
            change
                .notice(
                    user,
                    &notice(notice_op::KICKED, viewer, &group, reason, None),
                )
                .await?;
        }
        change.announce(group_id);
        change.commit().await?;
    }
    Ok(DeleteGroupMemberResult {
        user_id_list: removed,
        group: view_for(state, viewer, group_id).await?,
    })
}

/// Mute a member for `mute_time` seconds (0 lifts it).
pub async fn set_group_member_mute_time(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: &str,
    mute_time: i64,
) -> AppResult<MemberChange> {
    validate::user_id("userID", user)?;
    if !(0..=MAX_MUTE_SECONDS).contains(&mute_time) {
        return Err(AppError::bad_input(
            "muteTime",
            format!("must be 0 to {MAX_MUTE_SECONDS} seconds"),
        ));
    }
    let Acting {
        mut change,
        group,
        me,
        ..
    } = begin_as_member(state, group_id, viewer, any_member, Audience::Nobody).await?;
    let group_type = GroupType::from(group.group_type);
    if !group_type.allows_muting() {
        return Err(AppError::Forbidden(format!(
            "members of a {} group cannot be muted",
            group_type.as_str()
        )));
    }
    if user == viewer {
        return Err(AppError::Forbidden("you cannot mute yourself".into()));
    }
    let target = require_target(change.tx()?, group_id, user).await?;
    if !group_type.may_mute(me.role.into(), target.role.into()) {
        return Err(AppError::Forbidden(format!(
            "your role may not mute {user}"
        )));
    }
    let until = if mute_time == 0 {
        0
    } else {
        unix_now() + mute_time
    };
    group_members::Entity::update_many()
        .col_expr(group_members::Column::MuteUntil, Expr::value(until))
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::UserId.eq(user))
        .exec(change.tx()?)
        .await?;
    let count = member_count(change.tx()?, group_id).await?;
    let mut tip = tip(tip_op::MEMBER_UPDATED, viewer, vec![user.to_owned()], count);
    tip.member_list = Some(vec![GroupTipMember {
        user_id: user.to_owned(),
        mute_time,
    }]);
    change.tip(group_id, &tip).await?;
    change.announce(group_id);
    change.commit().await?;
    member_change(state, viewer, group_id, user).await
}

/// Make a member an admin or an ordinary member (owner only, where the type has admins).
pub async fn set_group_member_role(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: &str,
    role: GroupMemberRole,
) -> AppResult<MemberChange> {
    validate::user_id("userID", user)?;
    if role == GroupMemberRole::Owner {
        return Err(AppError::bad_input(
            "role",
            "must be Admin or Member: use changeGroupOwner",
        ));
    }
    let notified = [user.to_owned()];
    let Acting {
        mut change,
        group,
        me,
        ..
    } = begin_as_member(
        state,
        group_id,
        viewer,
        any_member,
        Audience::Users(&notified),
    )
    .await?;
    let group_type = GroupType::from(group.group_type);
    if !group_type.has_admins() {
        return Err(AppError::Forbidden(format!(
            "a {} group has no admins",
            group_type.as_str()
        )));
    }
    if GroupMemberRole::from(me.role) != GroupMemberRole::Owner {
        return Err(AppError::Forbidden(
            "only the owner may change roles".into(),
        ));
    }
    if user == viewer {
        return Err(AppError::Forbidden(
            "you cannot change your own role".into(),
        ));
    }
    let target = require_target(change.tx()?, group_id, user).await?;
    if GroupMemberRole::from(target.role) != role {
        group_members::Entity::update_many()
            .col_expr(
                group_members::Column::Role,
                Expr::value(entity::kinds::GroupMemberRole::from(role)),
            )
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.eq(user))
            .exec(change.tx()?)
            .await?;
        let (tip_type, notice_type) = match role {
            GroupMemberRole::Admin => (tip_op::SET_ADMIN, notice_op::SET_ADMIN),
            _ => (tip_op::CANCEL_ADMIN, notice_op::CANCEL_ADMIN),
        };
        change
            .tip(
                group_id,
                &tip(tip_type, viewer, vec![user.to_owned()], group.member_count),
            )
            .await?;
        change
            .notice(user, &notice(notice_type, viewer, &group, "", None))
            .await?;
        change.announce(group_id);
        change.commit().await?;
    }
    member_change(state, viewer, group_id, user).await
}

/// Whose member profile `viewer` changes, checked against the rules.
async fn editable_target(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: Option<&str>,
) -> AppResult<String> {
    let user = user.filter(|u| !u.is_empty()).unwrap_or(viewer).to_owned();
    validate::user_id("userID", &user)?;
    load_group(&state.db, group_id).await?;
    let me = require_member(&state.db, group_id, viewer).await?;
    let target = require_target(&state.db, group_id, &user).await?;
    if !may_edit_member(me.role.into(), user == viewer, target.role.into()) {
        return Err(AppError::Forbidden(format!(
            "your role may not change {user}'s member profile"
        )));
    }
    Ok(user)
}

/// Set a member's card (the viewer's own by default).
pub async fn set_group_member_name_card(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: Option<&str>,
    name_card: &str,
) -> AppResult<MemberChange> {
    validate::max_bytes("nameCard", name_card, MAX_NAME_CARD_BYTES)?;
    let user = editable_target(state, viewer, group_id, user).await?;
    {
        let _gate = state.write_guard().await;
        group_members::Entity::update_many()
            .col_expr(group_members::Column::NameCard, Expr::value(name_card))
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.eq(&user))
            .exec(&state.db)
            .await?;
    }
    state.caches.groups.invalidate_group(group_id);
    crate::control::publish(
        state,
        crate::events::Invalidation::Memberships {
            group_id: group_id.to_owned(),
        },
    );
    member_change(state, viewer, group_id, &user).await
}

/// Set custom member fields, merged by key (the viewer's own by default).
pub async fn set_group_member_custom_field(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    user: Option<&str>,
    fields: &[CustomFieldInput],
) -> AppResult<MemberChange> {
    let updates = validate_custom_fields("memberCustomField", fields)?;
    let user = editable_target(state, viewer, group_id, user).await?;
    {
        let _gate = state.write_guard().await;
        let row = require_target(&state.db, group_id, &user).await?;
        let merged = merge_custom_fields(
            "memberCustomField",
            serde_json::from_str(&row.custom_field).unwrap_or_default(),
            updates,
        )?;
        group_members::Entity::update_many()
            .col_expr(
                group_members::Column::CustomField,
                Expr::value(to_json(&merged)?),
            )
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.eq(&user))
            .exec(&state.db)
            .await?;
    }
    state.caches.groups.invalidate_group(group_id);
    crate::control::publish(
        state,
        crate::events::Invalidation::Memberships {
            group_id: group_id.to_owned(),
        },
    );
    member_change(state, viewer, group_id, &user).await
}

/// How the viewer wants a group's messages: `Discard` stops live delivery
/// and unread counting, `AcceptNotNotify` stops unread counting.
pub async fn set_message_remind_type(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    remind: MessageRemindType,
) -> AppResult<GroupView> {
    let group = load_group(&state.db, group_id).await?;
    require_member(&state.db, group_id, viewer).await?;
    let conversation_id = ConversationId::group(group_id).to_string();
    // The channel lock pins the sequence the change applies from: no message
    // of the group is between allocation and publishing meanwhile.
    let order = state.channel_locks.lock(group.channel_id).await;
    let since_seq = channels::Entity::find_by_id(group.channel_id)
        .one(&state.db)
        .await?
        .map(|c| c.last_seq)
        .unwrap_or(0);
    {
        let _gate = state.write_guard().await;
        conversation_states::Entity::update_many()
            .col_expr(
                conversation_states::Column::RemindType,
                Expr::value(remind.as_str()),
            )
            .col_expr(
                conversation_states::Column::UpdatedAt,
                Expr::value(unix_now()),
            )
            .filter(conversation_states::Column::UserId.eq(viewer))
            .filter(conversation_states::Column::ConversationId.eq(&conversation_id))
            .exec(&state.db)
            .await?;
    }
    let topic = Topic::User(viewer.to_owned());
    state.bus.publish(
        topic.clone(),
        std::sync::Arc::new(Event::RemindChanged {
            user: viewer.to_owned(),
            group_id: group_id.to_owned(),
            discard: remind == MessageRemindType::Discard,
            since_seq,
        }),
    );
    drop(order);
    state.bus.publish(
        topic,
        std::sync::Arc::new(Event::ConversationChanged {
            user: viewer.to_owned(),
            conversation_id,
        }),
    );
    view_for(state, viewer, group_id).await
}
