//! A group's life as a whole: creating, changing its profile, handing it
//! over, members quitting, and dismissing it.

use entity::{blacklist, group_members, groups};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, Set,
};

use super::{
    preamble::{any_member, begin_as_member, lock_change, Acting, Audience},
    queries::{custom_fields, require_target, to_json},
    steps::{admit, delete_group, notice, notice_op, remove_members, tip, tip_op, Newcomer},
    types::{CreateGroupInput, GroupMemberRole, GroupType, GroupView, UpdateGroupProfileInput},
    validate::{
        check_custom_group_id, check_max_members, check_name, check_texts, generate_group_id,
        MAX_CREATE_MEMBERS,
    },
    views::view_for,
};
use crate::{
    error::{AppError, AppResult},
    messages::{payload::GroupTipProfile, store},
    state::AppState,
    users::{
        service as users,
        types::{merge_custom_fields, validate_custom_fields},
        validate,
    },
    util::unix_now,
};

/// Create a group with the viewer as owner and the given members.
pub async fn create_group(
    state: &AppState,
    viewer: &str,
    input: CreateGroupInput,
) -> AppResult<GroupView> {
    let group_type = input.group_type.unwrap_or_default();
    check_name(&input.name)?;
    check_texts(
        input.introduction.as_deref(),
        input.notification.as_deref(),
        input.avatar.as_deref(),
    )?;
    let group_id = match &input.group_id {
        Some(id) => {
            check_custom_group_id(id)?;
            id.clone()
        }
        None => generate_group_id(),
    };
    let join_option = match input.join_option {
        Some(_) if !group_type.join_option_settable() => {
            return Err(AppError::Forbidden(format!(
                "joinOption cannot be chosen for a {} group",
                group_type.as_str()
            )))
        }
        Some(option) => option,
        None => group_type.default_join_option(),
    };
    let custom = validate_custom_fields(
        "groupCustomField",
        input.group_custom_field.as_deref().unwrap_or_default(),
    )?;
    let requested = input.member_list.unwrap_or_default();
    if !requested.is_empty() && !group_type.allows_adding() {
        return Err(AppError::Forbidden(
            "members cannot be added to an AVChatRoom".into(),
        ));
    }
    let requested = crate::util::distinct_by("memberList", &requested, MAX_CREATE_MEMBERS, |m| {
        m.user_id.as_str()
    })?;
    let mut members: Vec<Newcomer> = Vec::with_capacity(requested.len());
    for item in requested {
        validate::user_id("memberList.userID", &item.user_id)?;
        let role = item.role.unwrap_or_default();
        if role == GroupMemberRole::Owner {
            return Err(AppError::bad_input(
                "memberList.role",
                "the creator is the owner",
            ));
        }
        if role == GroupMemberRole::Admin && !group_type.has_admins() {
            return Err(AppError::Forbidden(format!(
                "a {} group has no admins",
                group_type.as_str()
            )));
        }
        let custom_field = validate_custom_fields(
            "memberList.memberCustomField",
            item.member_custom_field.as_deref().unwrap_or_default(),
        )?;
        if item.user_id == viewer {
            continue;
        }
        members.push(Newcomer {
            user_id: item.user_id.clone(),
            role,
            custom_field,
        });
    }
    let member_ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    users::require_users(state, &member_ids).await?;
    // Users who blacklisted the creator are left out.
    let blocking: Vec<String> = if member_ids.is_empty() {
        Vec::new()
    } else {
        blacklist::Entity::find()
            .select_only()
            .column(blacklist::Column::OwnerId)
            .filter(blacklist::Column::BlockedId.eq(viewer))
            .filter(blacklist::Column::OwnerId.is_in(member_ids.iter().cloned()))
            .into_tuple()
            .all(&state.db)
            .await?
    };
    members.retain(|m| !blocking.contains(&m.user_id));
    let max = match input.max_member_num {
        Some(value) => check_max_members(group_type, value, 1)?,
        None => group_type.default_max_members(),
    };
    if max > 0 && members.len() as i64 + 1 > max {
        return Err(AppError::GroupFull(format!(
            "a group of at most {max} members cannot take {}",
            members.len() + 1
        )));
    }
    if groups::Entity::find_by_id(group_id.clone())
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::GroupIdTaken(format!(
            "groupID {group_id} is taken"
        )));
    }
    let channel_id =
        store::ensure_channel(state, &store::group_channel_key(&group_id), "group").await?;
    let mut notified: Vec<String> = vec![viewer.to_owned()];
    notified.extend(members.iter().map(|m| m.user_id.clone()));
    // No group row yet to read back: only the locking part of the opening.
    let (mut change, _) = lock_change(state, channel_id, &notified).await?;
    let now = unix_now();
    let row = groups::ActiveModel {
        group_id: Set(group_id.clone()),
        group_type: Set(group_type.into()),
        name: Set(input.name.clone()),
        avatar: Set(input.avatar.unwrap_or_default()),
        introduction: Set(input.introduction.unwrap_or_default()),
        notification: Set(input.notification.unwrap_or_default()),
        owner_id: Set(viewer.to_owned()),
        channel_id: Set(channel_id),
        member_count: Set(0),
        max_member_count: Set(max),
        join_option: Set(join_option.into()),
        mute_all_members: Set(false),
        custom_field: Set(to_json(&custom)?),
        create_time: Set(now),
        last_info_time: Set(now),
    };
    let group = match groups::Entity::insert(row)
        .exec_with_returning(change.tx()?)
        .await
    {
        Ok(group) => group,
        Err(err) if users::is_unique_violation(&err) => {
            return Err(AppError::GroupIdTaken(format!(
                "groupID {group_id} is taken"
            )))
        }
        Err(err) => return Err(err.into()),
    };
    let mut newcomers = vec![Newcomer {
        user_id: viewer.to_owned(),
        role: GroupMemberRole::Owner,
        custom_field: Vec::new(),
    }];
    newcomers.extend(members.iter().cloned());
    let member_ids: Vec<String> = members.iter().map(|m| m.user_id.clone()).collect();
    admit(&mut change, &group, viewer, &newcomers, &member_ids).await?;
    change
        .notice(
            viewer,
            &notice(notice_op::CREATED, viewer, &group, "", None),
        )
        .await?;
    for member in &member_ids {
        change
            .notice(member, &notice(notice_op::ADDED, viewer, &group, "", None))
            .await?;
    }
    change.commit().await?;
    view_for(state, viewer, &group_id).await
}

/// Dismiss a group (owner only): every member is told and the group is gone.
pub async fn dismiss_group(state: &AppState, viewer: &str, group_id: &str) -> AppResult<String> {
    let Acting {
        mut change,
        group,
        audience: others,
        ..
    } = begin_as_member(state, group_id, viewer, owns, Audience::MembersBut(viewer)).await?;
    for user in &others {
        change
            .notice(
                user,
                &notice(notice_op::DISMISSED, viewer, &group, "", None),
            )
            .await?;
    }
    for user in others.iter().map(String::as_str).chain([viewer]) {
        change.left(user, group_id);
    }
    delete_group(&change, &group).await?;
    change.commit().await?;
    Ok(group_id.to_owned())
}

/// The [`Rule`](super::preamble::Rule) of dismissing: the owner only.
fn owns(group: &groups::Model, me: &group_members::Model) -> AppResult<()> {
    if GroupMemberRole::from(me.role) != GroupMemberRole::Owner || group.owner_id != me.user_id {
        return Err(AppError::Forbidden(
            "only the owner may dismiss the group".into(),
        ));
    }
    Ok(())
}

/// Change the fields given (who may change which depends on the type and role).
pub async fn update_group_profile(
    state: &AppState,
    viewer: &str,
    input: UpdateGroupProfileInput,
) -> AppResult<GroupView> {
    let group_id = input.group_id.clone();
    if let Some(name) = &input.name {
        check_name(name)?;
    }
    check_texts(
        input.introduction.as_deref(),
        input.notification.as_deref(),
        input.avatar.as_deref(),
    )?;
    let custom = input
        .group_custom_field
        .as_deref()
        .map(|fields| validate_custom_fields("groupCustomField", fields))
        .transpose()?;
    let Acting {
        mut change,
        group,
        me,
        ..
    } = begin_as_member(state, &group_id, viewer, any_member, Audience::Nobody).await?;
    let role = GroupMemberRole::from(me.role);
    let group_type = GroupType::from(group.group_type);
    let edits_profile = input.name.is_some()
        || input.avatar.is_some()
        || input.introduction.is_some()
        || input.notification.is_some()
        || custom.is_some();
    if (edits_profile || input.join_option.is_some()) && !group_type.may_edit_profile(role) {
        return Err(AppError::Forbidden(
            "your role may not change this group's profile".into(),
        ));
    }
    if input.join_option.is_some() && !group_type.join_option_settable() {
        return Err(AppError::Forbidden(format!(
            "joinOption cannot be chosen for a {} group",
            group_type.as_str()
        )));
    }
    if input.mute_all_members.is_some() && !group_type.may_mute_all(role) {
        return Err(AppError::Forbidden(if group_type.allows_muting() {
            "only the owner and admins may mute everyone".into()
        } else {
            format!("members of a {} group cannot be muted", group_type.as_str())
        }));
    }
    let max = match input.max_member_num {
        Some(_) if role != GroupMemberRole::Owner => {
            return Err(AppError::Forbidden(
                "only the owner may change the member limit".into(),
            ))
        }
        Some(value) => Some(check_max_members(group_type, value, group.member_count)?),
        None => None,
    };
    let mut diff = GroupTipProfile::default();
    let mut changed = false;
    let mut active = group.clone().into_active_model();
    if let Some(name) = input.name.filter(|v| *v != group.name) {
        diff.name = Some(name.clone());
        active.name = Set(name);
        changed = true;
    }
    if let Some(avatar) = input.avatar.filter(|v| *v != group.avatar) {
        diff.avatar = Some(avatar.clone());
        active.avatar = Set(avatar);
        changed = true;
    }
    if let Some(text) = input.introduction.filter(|v| *v != group.introduction) {
        diff.introduction = Some(text.clone());
        active.introduction = Set(text);
        changed = true;
    }
    if let Some(text) = input.notification.filter(|v| *v != group.notification) {
        diff.notification = Some(text.clone());
        active.notification = Set(text);
        changed = true;
    }
    if let Some(option) = input
        .join_option
        .filter(|v| entity::kinds::GroupJoinOption::from(*v) != group.join_option)
    {
        diff.join_option = Some(option.as_str().to_owned());
        active.join_option = Set(option.into());
        changed = true;
    }
    if let Some(mute) = input
        .mute_all_members
        .filter(|v| *v != group.mute_all_members)
    {
        diff.mute_all_members = Some(mute);
        active.mute_all_members = Set(mute);
        changed = true;
    }
    if let Some(max) = max.filter(|v| *v != group.max_member_count) {
        diff.max_member_count = Some(max);
        active.max_member_count = Set(max);
        changed = true;
    }
    if let Some(updates) = custom {
        let merged = merge_custom_fields(
            "groupCustomField",
            custom_fields(&group.custom_field),
            updates,
        )?;
        if merged != custom_fields(&group.custom_field) {
            active.custom_field = Set(to_json(&merged)?);
            changed = true;
        }
    }
    if !changed {
        // Nothing to do: roll back (nothing was written) and answer as is.
        drop(change);
        return view_for(state, viewer, &group_id).await;
    }
    active.last_info_time = Set(unix_now());
    active.update(change.tx()?).await?;
    let mut tip = tip(
        tip_op::PROFILE_UPDATED,
        viewer,
        Vec::new(),
        group.member_count,
    );
    tip.new_group_profile = Some(diff);
    change.tip(&group_id, &tip).await?;
    change.announce(&group_id);
    change.commit().await?;
    view_for(state, viewer, &group_id).await
}

/// Leave a group. The owner may only leave a work group (it goes on without
/// owner); the last member leaving a group ends it.
pub async fn quit_group(state: &AppState, viewer: &str, group_id: &str) -> AppResult<String> {
    let quitter = [viewer.to_owned()];
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
        Audience::Users(&quitter),
    )
    .await?;
    let group_type = GroupType::from(group.group_type);
    if GroupMemberRole::from(me.role) == GroupMemberRole::Owner && !group_type.owner_may_quit() {
        return Err(AppError::OwnerCannotQuit(
            "the owner must hand the group over or dismiss it first".into(),
        ));
    }
    let remaining = remove_members(&mut change, &group, &quitter).await?;
    if remaining == 0 {
        delete_group(&change, &group).await?;
    } else {
        change
            .tip(
                group_id,
                &tip(tip_op::QUIT, viewer, vec![viewer.to_owned()], remaining),
            )
            .await?;
        change.announce(group_id);
    }
    change
        .notice(viewer, &notice(notice_op::QUIT, viewer, &group, "", None))
        .await?;
    change.commit().await?;
    Ok(group_id.to_owned())
}

/// Hand the group over to another member (owner only; not for AVChatRoom).
pub async fn change_group_owner(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    new_owner: &str,
) -> AppResult<GroupView> {
    validate::user_id("newOwnerID", new_owner)?;
    let Acting {
        mut change,
        group,
        me,
        ..
    } = begin_as_member(state, group_id, viewer, any_member, Audience::Nobody).await?;
    let group_type = GroupType::from(group.group_type);
    if !group_type.allows_owner_change() {
        return Err(AppError::Forbidden(
            "an AVChatRoom cannot change owner".into(),
        ));
    }
    if GroupMemberRole::from(me.role) != GroupMemberRole::Owner {
        return Err(AppError::Forbidden(
            "only the owner may hand the group over".into(),
        ));
    }
    if new_owner == viewer {
        return Err(AppError::Forbidden("you already own this group".into()));
    }
    require_target(change.tx()?, group_id, new_owner).await?;
    for (user, role) in [
        (viewer, GroupMemberRole::Member),
        (new_owner, GroupMemberRole::Owner),
    ] {
        group_members::Entity::update_many()
            .col_expr(
                group_members::Column::Role,
                Expr::value(entity::kinds::GroupMemberRole::from(role)),
            )
            .filter(group_members::Column::GroupId.eq(group_id))
            .filter(group_members::Column::UserId.eq(user))
            .exec(change.tx()?)
            .await?;
    }
    groups::Entity::update_many()
        .col_expr(groups::Column::OwnerId, Expr::value(new_owner))
        .col_expr(groups::Column::LastInfoTime, Expr::value(unix_now()))
        .filter(groups::Column::GroupId.eq(group_id))
        .exec(change.tx()?)
        .await?;
    let mut tip = tip(
        tip_op::PROFILE_UPDATED,
        viewer,
        vec![new_owner.to_owned()],
        group.member_count,
    );
    tip.new_group_profile = Some(GroupTipProfile {
        owner_id: Some(new_owner.to_owned()),
        ..Default::default()
    });
    change.tip(group_id, &tip).await?;
    change.announce(group_id);
    change.commit().await?;
    view_for(state, viewer, group_id).await
}
