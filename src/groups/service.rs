//! Group rules and queries: the hooks messaging calls, group views built in
//! batches, and the group operations (create, join, apply, quit, dismiss, ...).
//! Member operations live in [`super::members`].

use std::collections::HashMap;

use entity::{
    blacklist, channels, conversation_states, group_applications, group_members, groups, messages,
};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    change::{ensure_system_channels, Change},
    rules::{is_manager, JoinPolicy},
    types::{
        CreateGroupInput, GroupJoinOption, GroupMemberRole, GroupSelfInfo, GroupType, GroupView,
        HandleAction, JoinGroupResult, JoinGroupStatus, UpdateGroupProfileInput, ViewerPart,
    },
};
use crate::{
    conversations::types::{LastMessage, MessageRemindType},
    error::{AppError, AppResult},
    messages::events::Event,
    messages::{
        payload::{GroupSystemNoticeElem, GroupTipElem, GroupTipProfile, NoticeGroupProfile},
        service as messages_service, store,
        types::MessageType,
    },
    realtime::Topic,
    state::AppState,
    users::{
        service as users,
        types::{merge_custom_fields, validate_custom_fields, CustomField},
        validate,
    },
    util::unix_now,
};

/// Longest group name in bytes.
pub const MAX_NAME_BYTES: usize = 30;
/// Longest introduction in bytes.
pub const MAX_INTRODUCTION_BYTES: usize = 240;
/// Longest notification in bytes.
pub const MAX_NOTIFICATION_BYTES: usize = 300;
/// Longest avatar URL in bytes.
pub const MAX_AVATAR_BYTES: usize = 500;
/// Longest custom groupID in bytes.
pub const MAX_GROUP_ID_BYTES: usize = 48;
/// Longest application or handling message in bytes.
pub const MAX_APPLY_MESSAGE_BYTES: usize = 300;
/// Most members `createGroup` may add.
pub const MAX_CREATE_MEMBERS: usize = 500;
/// Prefix of generated groupIDs (custom ones may not use it).
pub const GENERATED_PREFIX: &str = "@TGS#";

/// `TIMGroupTipElem` operation types.
pub mod tip_op {
    /// Members joined.
    pub const JOINED: i32 = 1;
    /// A member quit.
    pub const QUIT: i32 = 2;
    /// Members were removed.
    pub const KICKED: i32 = 3;
    /// A member was made admin.
    pub const SET_ADMIN: i32 = 4;
    /// An admin became an ordinary member.
    pub const CANCEL_ADMIN: i32 = 5;
    /// The group profile changed.
    pub const PROFILE_UPDATED: i32 = 6;
    /// A member's profile changed (mute).
    pub const MEMBER_UPDATED: i32 = 7;
}

/// `TIMGroupSystemNoticeElem` operation types.
pub mod notice_op {
    /// Someone applied to join (to the owner and admins).
    pub const APPLICATION: i32 = 1;
    /// The application was accepted (to the applicant).
    pub const ACCEPTED: i32 = 2;
    /// The application was rejected (to the applicant).
    pub const REJECTED: i32 = 3;
    /// Removed from the group.
    pub const KICKED: i32 = 4;
    /// The group was dismissed.
    pub const DISMISSED: i32 = 5;
    /// The group was created (to its creator).
    pub const CREATED: i32 = 6;
    /// Added to the group by someone else.
    pub const ADDED: i32 = 7;
    /// Quit the group (to the quitter).
    pub const QUIT: i32 = 8;
    /// Made admin.
    pub const SET_ADMIN: i32 = 9;
    /// No longer admin.
    pub const CANCEL_ADMIN: i32 = 10;
}

// ---------------------------------------------------------------------------
// Hooks used by messaging and conversations.

/// A group's identity as messaging needs it.
#[derive(Debug, Clone)]
pub struct GroupRef {
    /// The groupID.
    pub group_id: String,
    /// Its type.
    pub group_type: GroupType,
}

/// The group, or `GROUP_NOT_FOUND`.
pub async fn find_group(state: &AppState, group_id: &str) -> AppResult<GroupRef> {
    let group = load_group(&state.db, group_id).await?;
    Ok(GroupRef {
        group_type: GroupType::parse(&group.group_type),
        group_id: group.group_id,
    })
}

/// The member's card in the group (empty for non-members).
pub async fn name_card_of(state: &AppState, group_id: &str, user: &str) -> AppResult<String> {
    Ok(member_of(&state.db, group_id, user)
        .await?
        .map(|m| m.name_card)
        .unwrap_or_default())
}

/// Membership and mute checks for sending into a group: the owner and admins
/// are never muted; `muteAllMembers` mutes everyone else.
pub async fn check_can_send(state: &AppState, user: &str, group_id: &str) -> AppResult<()> {
    let group = load_group(&state.db, group_id).await?;
    let member = require_member(&state.db, group_id, user).await?;
    let role = GroupMemberRole::parse(&member.role);
    if role == GroupMemberRole::Member {
        if member.mute_until > unix_now() {
            return Err(AppError::Muted("you are muted in this group".into()));
        }
        if group.mute_all_members {
            return Err(AppError::Muted("everyone is muted in this group".into()));
        }
    }
    Ok(())
}

/// Whether `user` is the group's owner or an admin.
pub async fn is_owner_or_admin(state: &AppState, group_id: &str, user: &str) -> AppResult<bool> {
    Ok(member_of(&state.db, group_id, user)
        .await?
        .is_some_and(|m| is_manager(GroupMemberRole::parse(&m.role))))
}

/// The sequence up to which a group's history is hidden from everyone
/// (an AVChatRoom keeps none); per-member floors are in their state rows.
pub async fn history_floor(state: &AppState, group_id: &str, last_seq: i64) -> AppResult<i64> {
    let group = load_group(&state.db, group_id).await?;
    Ok(floor_of(GroupType::parse(&group.group_type), last_seq))
}

fn floor_of(group_type: GroupType, last_seq: i64) -> i64 {
    if group_type.keeps_history() {
        0
    } else {
        last_seq
    }
}

/// What the conversation list needs to know about a group.
#[derive(Debug, Clone)]
pub struct GroupConversationInfo {
    /// The group type.
    pub sub_type: GroupType,
    /// Whether its messages count as unread.
    pub counts_unread: bool,
    /// Sequence up to which history is hidden for everyone.
    pub history_floor: i64,
    /// The group as the viewer sees it.
    pub profile: GroupView,
}

/// Conversation-list facts of the given groups for `viewer`, in a fixed
/// number of queries whatever the number of groups. Dismissed groups are left out.
pub async fn conversation_info(
    state: &AppState,
    viewer: &str,
    group_ids: &[String],
) -> AppResult<HashMap<String, GroupConversationInfo>> {
    if group_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = groups::Entity::find()
        .filter(groups::Column::GroupId.is_in(group_ids.iter().cloned()))
        .all(&state.db)
        .await?;
    let built = build(state, viewer, rows).await?;
    Ok(built
        .into_iter()
        .map(|(view, last_seq)| {
            let info = GroupConversationInfo {
                sub_type: view.group_type,
                counts_unread: view.group_type.counts_unread(),
                history_floor: floor_of(view.group_type, last_seq),
                profile: view,
            };
            (info.profile.group_id.clone(), info)
        })
        .collect())
}

// ---------------------------------------------------------------------------
// Loading.

/// A group row, or `GROUP_NOT_FOUND`.
pub(crate) async fn load_group<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
) -> AppResult<groups::Model> {
    if group_id.is_empty() {
        return Err(AppError::bad_input("groupID", "is required"));
    }
    groups::Entity::find_by_id(group_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::GroupNotFound(format!("no such group: {group_id}")))
}

/// The membership of `user`, if any.
pub(crate) async fn member_of<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<Option<group_members::Model>> {
    Ok(
        group_members::Entity::find_by_id((group_id.to_owned(), user.to_owned()))
            .one(conn)
            .await?,
    )
}

/// The viewer's membership, or `NOT_GROUP_MEMBER`.
pub(crate) async fn require_member<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<group_members::Model> {
    member_of(conn, group_id, user)
        .await?
        .ok_or_else(|| AppError::NotGroupMember("you are not a member of this group".into()))
}

/// Another user's membership, or `NOT_GROUP_MEMBER` naming them.
pub(crate) async fn require_target<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    user: &str,
) -> AppResult<group_members::Model> {
    member_of(conn, group_id, user)
        .await?
        .ok_or_else(|| AppError::NotGroupMember(format!("{user} is not a member of this group")))
}

/// The role stored on a membership.
pub(crate) fn role_of(member: &group_members::Model) -> GroupMemberRole {
    GroupMemberRole::parse(&member.role)
}

/// The owner and admins of a group.
async fn managers<C: ConnectionTrait>(conn: &C, group_id: &str) -> AppResult<Vec<String>> {
    Ok(group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .filter(group_members::Column::GroupId.eq(group_id))
        .filter(group_members::Column::Role.is_in(["Owner", "Admin"]))
        .order_by_asc(group_members::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?)
}

/// Every member's userID.
pub(crate) async fn member_ids<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
) -> AppResult<Vec<String>> {
    Ok(group_members::Entity::find()
        .select_only()
        .column(group_members::Column::UserId)
        .filter(group_members::Column::GroupId.eq(group_id))
        .into_tuple()
        .all(conn)
        .await?)
}

fn custom_fields(json: &str) -> Vec<CustomField> {
    serde_json::from_str(json).unwrap_or_default()
}

/// JSON text of a stored value (custom fields).
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(AppError::internal)
}

// ---------------------------------------------------------------------------
// Views.

/// The fields everyone may see, plus (for members) the members-only ones.
fn base_view(row: &groups::Model, last_seq: i64, full: bool) -> GroupView {
    GroupView {
        group_id: row.group_id.clone(),
        name: row.name.clone(),
        avatar: row.avatar.clone(),
        group_type: GroupType::parse(&row.group_type),
        introduction: row.introduction.clone(),
        notification: if full {
            row.notification.clone()
        } else {
            String::new()
        },
        owner_id: row.owner_id.clone(),
        create_time: row.create_time,
        last_info_time: row.last_info_time,
        member_count: row.member_count,
        max_member_count: row.max_member_count,
        join_option: GroupJoinOption::parse(&row.join_option),
        mute_all_members: row.mute_all_members,
        group_custom_field: if full {
            custom_fields(&row.custom_field)
        } else {
            Vec::new()
        },
        next_message_seq: if full { last_seq + 1 } else { 0 },
        viewer: None,
    }
}

/// Groups as `viewer` sees them, each with its channel's last sequence, in a
/// fixed number of queries (memberships, read states, channels, last messages).
async fn build(
    state: &AppState,
    viewer: &str,
    rows: Vec<groups::Model>,
) -> AppResult<Vec<(GroupView, i64)>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|g| g.group_id.clone()).collect();
    let memberships: HashMap<String, group_members::Model> = group_members::Entity::find()
        .filter(group_members::Column::UserId.eq(viewer))
        .filter(group_members::Column::GroupId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.group_id.clone(), m))
        .collect();
    let read_states: HashMap<String, conversation_states::Model> =
        conversation_states::Entity::find()
            .filter(conversation_states::Column::UserId.eq(viewer))
            .filter(
                conversation_states::Column::ConversationId
                    .is_in(ids.iter().map(|g| format!("GROUP{g}"))),
            )
            .all(&state.db)
            .await?
            .into_iter()
            .filter_map(|s| {
                let group = s.conversation_id.strip_prefix("GROUP")?.to_owned();
                Some((group, s))
            })
            .collect();
    let channel_rows: HashMap<i64, channels::Model> = channels::Entity::find()
        .filter(channels::Column::Id.is_in(rows.iter().map(|g| g.channel_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // The newest visible message of each group the viewer is in: one query.
    let mut wanted = Condition::any();
    let mut any = false;
    for row in &rows {
        let (Some(read), Some(channel)) = (
            read_states.get(&row.group_id),
            channel_rows.get(&row.channel_id),
        ) else {
            continue;
        };
        if !memberships.contains_key(&row.group_id) {
            continue;
        }
        let floor = read.cleared_seq.max(floor_of(
            GroupType::parse(&row.group_type),
            channel.last_seq,
        ));
        if channel.last_seq > floor {
            any = true;
            wanted = wanted.add(
                Condition::all()
                    .add(messages::Column::ChannelId.eq(channel.id))
                    .add(messages::Column::Seq.eq(channel.last_seq)),
            );
        }
    }
    let last_rows = if any {
        messages::Entity::find()
            .filter(wanted)
            .all(&state.db)
            .await?
    } else {
        Vec::new()
    };
    let last_views = store::views_of(state, viewer, last_rows).await?;
    let mut last_by_group: HashMap<String, LastMessage> = last_views
        .iter()
        .map(|v| (v.to.clone(), LastMessage::from(v)))
        .collect();
    Ok(rows
        .iter()
        .map(|row| {
            let last_seq = channel_rows
                .get(&row.channel_id)
                .map(|c| c.last_seq)
                .unwrap_or(0);
            let member = memberships.get(&row.group_id);
            let mut view = base_view(row, last_seq, member.is_some());
            view.viewer = Some(match member {
                Some(m) => ViewerPart {
                    self_info: Some(GroupSelfInfo {
                        role: role_of(m),
                        join_time: m.join_time,
                        name_card: m.name_card.clone(),
                        message_remind_type: read_states
                            .get(&row.group_id)
                            .map(|s| MessageRemindType::parse(&s.remind_type))
                            .unwrap_or_default(),
                    }),
                    last_message: last_by_group.remove(&row.group_id),
                },
                None => ViewerPart::default(),
            });
            (view, last_seq)
        })
        .collect())
}

/// Groups as `viewer` sees them (public fields only where not a member).
pub async fn views_for(
    state: &AppState,
    viewer: &str,
    rows: Vec<groups::Model>,
) -> AppResult<Vec<GroupView>> {
    Ok(build(state, viewer, rows)
        .await?
        .into_iter()
        .map(|(view, _)| view)
        .collect())
}

/// One group as `viewer` sees it.
pub async fn view_for(state: &AppState, viewer: &str, group_id: &str) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or(AppError::Internal)
}

/// One group as `viewer` sees it, or `None` once it is gone.
pub async fn find_view(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<GroupView>> {
    let Some(row) = groups::Entity::find_by_id(group_id).one(&state.db).await? else {
        return Ok(None);
    };
    Ok(views_for(state, viewer, vec![row]).await?.pop())
}

/// The group as every member sees it, without anyone's own part (live
/// events: built once, `selfInfo` and `lastMessage` resolve per viewer).
pub async fn snapshot(state: &AppState, group_id: &str) -> AppResult<Option<GroupView>> {
    let Some(row) = groups::Entity::find_by_id(group_id).one(&state.db).await? else {
        return Ok(None);
    };
    let last_seq = channels::Entity::find_by_id(row.channel_id)
        .one(&state.db)
        .await?
        .map(|c| c.last_seq)
        .unwrap_or(0);
    Ok(Some(base_view(&row, last_seq, true)))
}

/// `viewer`'s own membership of a group (null when not a member or gone).
pub async fn self_info(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<GroupSelfInfo>> {
    Ok(viewer_part(state, viewer, group_id)
        .await?
        .and_then(|p| p.self_info))
}

/// The newest message of a group `viewer` can see.
pub async fn last_message(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<LastMessage>> {
    Ok(viewer_part(state, viewer, group_id)
        .await?
        .and_then(|p| p.last_message))
}

async fn viewer_part(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<Option<ViewerPart>> {
    Ok(find_view(state, viewer, group_id)
        .await?
        .and_then(|v| v.viewer))
}

// ---------------------------------------------------------------------------
// Shared steps of changes.

/// Someone entering a group.
#[derive(Debug, Clone)]
pub(crate) struct Newcomer {
    /// Who.
    pub user_id: String,
    /// With which role.
    pub role: GroupMemberRole,
    /// Their custom member fields.
    pub custom_field: Vec<CustomField>,
}

impl Newcomer {
    /// An ordinary member without custom fields.
    pub(crate) fn member(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            role: GroupMemberRole::Member,
            custom_field: Vec::new(),
        }
    }
}

/// A tip payload without profile or member details.
pub(crate) fn tip(
    operation_type: i32,
    operator: &str,
    users: Vec<String>,
    member_count: i64,
) -> GroupTipElem {
    GroupTipElem {
        operation_type,
        operator_id: operator.to_owned(),
        user_id_list: users,
        new_group_profile: None,
        member_list: None,
        member_count,
    }
}

/// A system notice payload about `group`.
pub(crate) fn notice(
    operation_type: i32,
    operator: &str,
    group: &groups::Model,
    handle_message: &str,
    application_id: Option<String>,
) -> GroupSystemNoticeElem {
    GroupSystemNoticeElem {
        operation_type,
        operator_id: operator.to_owned(),
        group_profile: NoticeGroupProfile {
            group_id: group.group_id.clone(),
            name: group.name.clone(),
        },
        handle_message: handle_message.to_owned(),
        application_id,
    }
}

/// Current member count (inside the change's transaction).
pub(crate) async fn member_count<C: ConnectionTrait>(conn: &C, group_id: &str) -> AppResult<i64> {
    Ok(load_group(conn, group_id).await?.member_count)
}

/// Let `newcomers` in: capacity, member rows, their conversation rows (read
/// up to the join; for types without earlier history, hidden up to it), a
/// join tip naming `tip_users` (none when empty), and live following.
pub(crate) async fn admit(
    change: &mut Change<'_>,
    group: &groups::Model,
    operator: &str,
    newcomers: &[Newcomer],
    tip_users: &[String],
) -> AppResult<i64> {
    use sea_orm::sea_query::ExprTrait as _;
    let now = unix_now();
    let n = newcomers.len() as i64;
    let group_type = GroupType::parse(&group.group_type);
    let fitted = groups::Entity::update_many()
        .col_expr(
            groups::Column::MemberCount,
            Expr::col(groups::Column::MemberCount).add(n),
        )
        .filter(groups::Column::GroupId.eq(&group.group_id))
        .filter(
            Condition::any()
                .add(groups::Column::MaxMemberCount.eq(0))
                .add(
                    Expr::col(groups::Column::MemberCount)
                        .add(n)
                        .lte(Expr::col(groups::Column::MaxMemberCount)),
                ),
        )
        .exec(change.tx()?)
        .await?;
    if fitted.rows_affected == 0 {
        return Err(AppError::GroupFull("the group is full".into()));
    }
    let count = member_count(change.tx()?, &group.group_id).await?;
    let before = channels::Entity::find_by_id(group.channel_id)
        .one(change.tx()?)
        .await?
        .map(|c| c.last_seq)
        .ok_or(AppError::Internal)?;
    let read_seq = if tip_users.is_empty() {
        before
    } else {
        change
            .tip(
                &group.group_id,
                &tip(tip_op::JOINED, operator, tip_users.to_vec(), count),
            )
            .await?
    };
    let mut member_rows = Vec::with_capacity(newcomers.len());
    let mut state_rows = Vec::with_capacity(newcomers.len());
    for newcomer in newcomers {
        member_rows.push(group_members::ActiveModel {
            group_id: Set(group.group_id.clone()),
            user_id: Set(newcomer.user_id.clone()),
            role: Set(newcomer.role.as_str().to_owned()),
            join_time: Set(now),
            name_card: Set(String::new()),
            mute_until: Set(0),
            custom_field: Set(to_json(&newcomer.custom_field)?),
        });
        state_rows.push(conversation_states::ActiveModel {
            user_id: Set(newcomer.user_id.clone()),
            conversation_id: Set(format!("GROUP{}", group.group_id)),
            channel_id: Set(group.channel_id),
            read_seq: Set(read_seq),
            read_at: Set(0),
            // Private, Public and AVChatRoom show nothing from before joining
            // (the join tip itself is after the floor).
            cleared_seq: Set(if group_type.shows_earlier_history() {
                0
            } else {
                before
            }),
            deleted: Set(false),
            pinned: Set(false),
            remind_type: Set(MessageRemindType::AcceptAndNotify.as_str().to_owned()),
            updated_at: Set(now),
        });
    }
    for chunk in member_rows.chunks(500) {
        group_members::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(change.tx()?)
            .await?;
    }
    for chunk in state_rows.chunks(500) {
        conversation_states::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    conversation_states::Column::UserId,
                    conversation_states::Column::ConversationId,
                ])
                .update_columns([
                    conversation_states::Column::ChannelId,
                    conversation_states::Column::ReadSeq,
                    conversation_states::Column::ReadAt,
                    conversation_states::Column::ClearedSeq,
                    conversation_states::Column::Deleted,
                    conversation_states::Column::Pinned,
                    conversation_states::Column::RemindType,
                    conversation_states::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(change.tx()?)
            .await?;
    }
    for newcomer in newcomers {
        change.joined(&newcomer.user_id, &group.group_id, before);
    }
    change.announce(&group.group_id);
    Ok(count)
}

/// Take `users` out of the group: member and conversation rows, the count,
/// ownership (a work group's owner quitting), and live following.
pub(crate) async fn remove_members(
    change: &mut Change<'_>,
    group: &groups::Model,
    users: &[String],
) -> AppResult<i64> {
    use sea_orm::sea_query::ExprTrait as _;
    if users.is_empty() {
        return member_count(change.tx()?, &group.group_id).await;
    }
    let removed = group_members::Entity::delete_many()
        .filter(group_members::Column::GroupId.eq(&group.group_id))
        .filter(group_members::Column::UserId.is_in(users.iter().cloned()))
        .exec(change.tx()?)
        .await?
        .rows_affected as i64;
    conversation_states::Entity::delete_many()
        .filter(conversation_states::Column::ConversationId.eq(format!("GROUP{}", group.group_id)))
        .filter(conversation_states::Column::UserId.is_in(users.iter().cloned()))
        .exec(change.tx()?)
        .await?;
    let mut update = groups::Entity::update_many()
        .col_expr(
            groups::Column::MemberCount,
            Expr::col(groups::Column::MemberCount).sub(removed),
        )
        .filter(groups::Column::GroupId.eq(&group.group_id));
    if users.contains(&group.owner_id) {
        update = update.col_expr(groups::Column::OwnerId, Expr::value(""));
    }
    update.exec(change.tx()?).await?;
    for user in users {
        change.left(user, &group.group_id);
    }
    member_count(change.tx()?, &group.group_id).await
}

/// Delete a group and its channel (its messages and members' conversation
/// rows go with it by cascade).
async fn delete_group(change: &Change<'_>, group: &groups::Model) -> AppResult<()> {
    groups::Entity::delete_by_id(group.group_id.clone())
        .exec(change.tx()?)
        .await?;
    channels::Entity::delete_by_id(group.channel_id)
        .exec(change.tx()?)
        .await?;
    Ok(())
}

/// Whether every user in `users` has a locked system channel in `locked`.
fn covers(locked: &HashMap<String, i64>, users: &[String]) -> bool {
    users.iter().all(|u| locked.contains_key(u))
}

/// How many times a change re-reads who to notify before going ahead.
const NOTIFY_RETRIES: usize = 3;

// ---------------------------------------------------------------------------
// Input checks.

fn check_name(name: &str) -> AppResult<()> {
    if name.trim().is_empty() {
        return Err(AppError::bad_input("name", "must not be empty"));
    }
    validate::max_bytes("name", name, MAX_NAME_BYTES)
}

fn check_texts(
    introduction: Option<&str>,
    notification: Option<&str>,
    avatar: Option<&str>,
) -> AppResult<()> {
    if let Some(v) = introduction {
        validate::max_bytes("introduction", v, MAX_INTRODUCTION_BYTES)?;
    }
    if let Some(v) = notification {
        validate::max_bytes("notification", v, MAX_NOTIFICATION_BYTES)?;
    }
    if let Some(v) = avatar {
        validate::max_bytes("avatar", v, MAX_AVATAR_BYTES)?;
    }
    Ok(())
}

fn check_custom_group_id(id: &str) -> AppResult<()> {
    if id.is_empty() || id.len() > MAX_GROUP_ID_BYTES {
        return Err(AppError::bad_input(
            "groupID",
            format!("must be 1 to {MAX_GROUP_ID_BYTES} bytes"),
        ));
    }
    if !id.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::bad_input(
            "groupID",
            "must be printable ASCII without spaces",
        ));
    }
    if id.starts_with(GENERATED_PREFIX) {
        return Err(AppError::bad_input(
            "groupID",
            format!("must not start with {GENERATED_PREFIX}"),
        ));
    }
    Ok(())
}

fn generate_group_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{GENERATED_PREFIX}{tail}")
}

/// A member limit for `group_type`: at least `at_least`, at most the type's default.
fn check_max_members(group_type: GroupType, value: i64, at_least: i64) -> AppResult<i64> {
    let cap = group_type.default_max_members();
    if group_type == GroupType::AvChatRoom {
        if value < 0 {
            return Err(AppError::bad_input("maxMemberNum", "must not be negative"));
        }
        if value != 0 && value < at_least {
            return Err(AppError::bad_input(
                "maxMemberNum",
                format!("must be at least the member count ({at_least})"),
            ));
        }
        return Ok(value);
    }
    if value < at_least.max(1) || value > cap {
        return Err(AppError::bad_input(
            "maxMemberNum",
            format!(
                "must be {} to {cap} for a {} group",
                at_least.max(1),
                group_type.as_str()
            ),
        ));
    }
    Ok(value)
}

// ---------------------------------------------------------------------------
// Group operations.

/// The viewer's groups (AVChatRoom included), by join time.
pub async fn get_group_list(state: &AppState, viewer: &str) -> AppResult<Vec<GroupView>> {
    let ids: Vec<String> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::GroupId)
        .filter(group_members::Column::UserId.eq(viewer))
        .order_by_asc(group_members::Column::JoinTime)
        .order_by_asc(group_members::Column::GroupId)
        .into_tuple()
        .all(&state.db)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: HashMap<String, groups::Model> = groups::Entity::find()
        .filter(groups::Column::GroupId.is_in(ids.iter().cloned()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|g| (g.group_id.clone(), g))
        .collect();
    let ordered = ids.iter().filter_map(|id| rows.remove(id)).collect();
    views_for(state, viewer, ordered).await
}

/// A group's profile: everything for members, the public fields for others
/// (work groups are visible to members only).
pub async fn get_group_profile(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    if !GroupType::parse(&row.group_type).searchable()
        && member_of(&state.db, group_id, viewer).await?.is_none()
    {
        return Err(AppError::NotGroupMember(
            "you are not a member of this group".into(),
        ));
    }
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or(AppError::Internal)
}

/// Find a group by ID (public fields; work groups are not searchable).
pub async fn search_group_by_id(
    state: &AppState,
    viewer: &str,
    group_id: &str,
) -> AppResult<GroupView> {
    let row = load_group(&state.db, group_id).await?;
    if !GroupType::parse(&row.group_type).searchable()
        && member_of(&state.db, group_id, viewer).await?.is_none()
    {
        return Err(AppError::GroupNotFound(format!(
            "no such group: {group_id}"
        )));
    }
    views_for(state, viewer, vec![row])
        .await?
        .pop()
        .ok_or(AppError::Internal)
}

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
    if requested.len() > MAX_CREATE_MEMBERS {
        return Err(AppError::bad_input(
            "memberList",
            format!("at most {MAX_CREATE_MEMBERS} members"),
        ));
    }
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
        if item.user_id == viewer || members.iter().any(|m| m.user_id == item.user_id) {
            continue;
        }
        members.push(Newcomer {
            user_id: item.user_id,
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
    let channel =
        store::ensure_channel(state, &store::group_channel_key(&group_id), "group").await?;
    let mut notified: Vec<String> = vec![viewer.to_owned()];
    notified.extend(members.iter().map(|m| m.user_id.clone()));
    let system = ensure_system_channels(state, &notified).await?;
    let mut locks: Vec<i64> = vec![channel.id];
    locks.extend(system.values().copied());
    let mut change = Change::begin(state, &locks).await?;
    let now = unix_now();
    let row = groups::ActiveModel {
        group_id: Set(group_id.clone()),
        group_type: Set(group_type.as_str().to_owned()),
        name: Set(input.name.clone()),
        avatar: Set(input.avatar.unwrap_or_default()),
        introduction: Set(input.introduction.unwrap_or_default()),
        notification: Set(input.notification.unwrap_or_default()),
        owner_id: Set(viewer.to_owned()),
        channel_id: Set(channel.id),
        member_count: Set(0),
        max_member_count: Set(max),
        join_option: Set(join_option.as_str().to_owned()),
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
    let group = load_group(&state.db, group_id).await?;
    let me = require_member(&state.db, group_id, viewer).await?;
    if role_of(&me) != GroupMemberRole::Owner {
        return Err(AppError::Forbidden(
            "only the owner may dismiss the group".into(),
        ));
    }
    let mut notify: Vec<String> = member_ids(&state.db, group_id)
        .await?
        .into_iter()
        .filter(|u| u != viewer)
        .collect();
    for attempt in 0..=NOTIFY_RETRIES {
        let system = ensure_system_channels(state, &notify).await?;
        let mut locks: Vec<i64> = vec![group.channel_id];
        locks.extend(system.values().copied());
        let mut change = Change::begin(state, &locks).await?;
        let group = load_group(change.tx()?, group_id).await?;
        if group.owner_id != viewer {
            return Err(AppError::Forbidden(
                "only the owner may dismiss the group".into(),
            ));
        }
        let members = member_ids(change.tx()?, group_id).await?;
        let others: Vec<String> = members.iter().filter(|u| *u != viewer).cloned().collect();
        if !covers(&system, &others) && attempt < NOTIFY_RETRIES {
            // Someone joined meanwhile: lock their notice channel too.
            notify = others;
            continue;
        }
        for user in &others {
            change
                .notice(
                    user,
                    &notice(notice_op::DISMISSED, viewer, &group, "", None),
                )
                .await?;
        }
        for user in &members {
            change.left(user, group_id);
        }
        delete_group(&change, &group).await?;
        change.commit().await?;
        return Ok(group_id.to_owned());
    }
    Err(AppError::Internal)
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
    let pre = load_group(&state.db, &group_id).await?;
    require_member(&state.db, &group_id, viewer).await?;
    let mut change = Change::begin(state, &[pre.channel_id]).await?;
    let group = load_group(change.tx()?, &group_id).await?;
    let me = require_member(change.tx()?, &group_id, viewer).await?;
    let role = role_of(&me);
    let group_type = GroupType::parse(&group.group_type);
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
        .filter(|v| v.as_str() != group.join_option)
    {
        diff.join_option = Some(option.as_str().to_owned());
        active.join_option = Set(option.as_str().to_owned());
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

/// Join a group: at once, by application, or not at all, by type and `joinOption`.
pub async fn join_group(
    state: &AppState,
    viewer: &str,
    group_id: &str,
    apply_message: &str,
) -> AppResult<JoinGroupResult> {
    validate::max_bytes("applyMessage", apply_message, MAX_APPLY_MESSAGE_BYTES)?;
    let group = load_group(&state.db, group_id).await?;
    if member_of(&state.db, group_id, viewer).await?.is_some() {
        return already_in(state, viewer, group_id).await;
    }
    let group_type = GroupType::parse(&group.group_type);
    match group_type.join_policy(GroupJoinOption::parse(&group.join_option)) {
        JoinPolicy::Refused => Err(AppError::Forbidden(if group_type == GroupType::Private {
            "a work group is joined by being added by a member".into()
        } else {
            "this group accepts no applications".into()
        })),
        JoinPolicy::NeedsApproval => apply(state, viewer, &group, apply_message).await,
        JoinPolicy::Free => {
            if group_type == GroupType::AvChatRoom {
                leave_other_av_rooms(state, viewer, group_id).await?;
            }
            let mut change = Change::begin(state, &[group.channel_id]).await?;
            let group = load_group(change.tx()?, group_id).await?;
            if member_of(change.tx()?, group_id, viewer).await?.is_some() {
                drop(change);
                return already_in(state, viewer, group_id).await;
            }
            let me = [viewer.to_owned()];
            admit(
                &mut change,
                &group,
                viewer,
                &[Newcomer::member(viewer)],
                &me,
            )
            .await?;
            change.commit().await?;
            Ok(JoinGroupResult {
                status: JoinGroupStatus::JoinedSuccess,
                group: Some(view_for(state, viewer, group_id).await?),
            })
        }
    }
}

async fn already_in(state: &AppState, viewer: &str, group_id: &str) -> AppResult<JoinGroupResult> {
    Ok(JoinGroupResult {
        status: JoinGroupStatus::AlreadyInGroup,
        group: Some(view_for(state, viewer, group_id).await?),
    })
}

/// One AVChatRoom at a time: leave the others (rooms the viewer owns stay).
async fn leave_other_av_rooms(state: &AppState, viewer: &str, except: &str) -> AppResult<()> {
    let mine: Vec<String> = group_members::Entity::find()
        .select_only()
        .column(group_members::Column::GroupId)
        .filter(group_members::Column::UserId.eq(viewer))
        .filter(group_members::Column::Role.ne(GroupMemberRole::Owner.as_str()))
        .filter(group_members::Column::GroupId.ne(except))
        .into_tuple()
        .all(&state.db)
        .await?;
    if mine.is_empty() {
        return Ok(());
    }
    let rooms: Vec<String> = groups::Entity::find()
        .select_only()
        .column(groups::Column::GroupId)
        .filter(groups::Column::GroupId.is_in(mine))
        .filter(groups::Column::GroupType.eq(GroupType::AvChatRoom.as_str()))
        .into_tuple()
        .all(&state.db)
        .await?;
    for room in rooms {
        match quit_group(state, viewer, &room).await {
            // Left or gone meanwhile: either way no longer in it.
            Ok(_) | Err(AppError::GroupNotFound(_) | AppError::NotGroupMember(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// File an application (one pending per applicant and group) and tell the
/// owner and admins.
async fn apply(
    state: &AppState,
    viewer: &str,
    group: &groups::Model,
    apply_message: &str,
) -> AppResult<JoinGroupResult> {
    let waiting = JoinGroupResult {
        status: JoinGroupStatus::WaitAdminApproval,
        group: None,
    };
    let mut notify = managers(&state.db, &group.group_id).await?;
    for attempt in 0..=NOTIFY_RETRIES {
        let system = ensure_system_channels(state, &notify).await?;
        let mut locks: Vec<i64> = vec![group.channel_id];
        locks.extend(system.values().copied());
        let mut change = Change::begin(state, &locks).await?;
        let group = load_group(change.tx()?, &group.group_id).await?;
        if member_of(change.tx()?, &group.group_id, viewer)
            .await?
            .is_some()
        {
            drop(change);
            return already_in(state, viewer, &group.group_id).await;
        }
        let pending = group_applications::Entity::find()
            .filter(group_applications::Column::GroupId.eq(&group.group_id))
            .filter(group_applications::Column::ApplicantId.eq(viewer))
            .filter(group_applications::Column::Status.eq("pending"))
            .one(change.tx()?)
            .await?;
        if pending.is_some() {
            return Ok(waiting);
        }
        let now_managers = managers(change.tx()?, &group.group_id).await?;
        if !covers(&system, &now_managers) && attempt < NOTIFY_RETRIES {
            notify = now_managers;
            continue;
        }
        let id = uuid::Uuid::now_v7().simple().to_string();
        group_applications::Entity::insert(group_applications::ActiveModel {
            id: Set(id.clone()),
            group_id: Set(group.group_id.clone()),
            applicant_id: Set(viewer.to_owned()),
            apply_message: Set(apply_message.to_owned()),
            status: Set("pending".to_owned()),
            handler_id: Set(String::new()),
            handle_message: Set(String::new()),
            created_at: Set(unix_now()),
            handled_at: Set(0),
        })
        .exec_without_returning(change.tx()?)
        .await?;
        for manager in &now_managers {
            change
                .notice(
                    manager,
                    &notice(
                        notice_op::APPLICATION,
                        viewer,
                        &group,
                        apply_message,
                        Some(id.clone()),
                    ),
                )
                .await?;
        }
        change.commit().await?;
        return Ok(waiting);
    }
    Err(AppError::Internal)
}

/// Decide on an application (owner or admin; the first decision wins). On
/// `Agree` the applicant joins; either way they are told.
pub async fn handle_group_application(
    state: &AppState,
    viewer: &str,
    application_id: &str,
    action: HandleAction,
    handle_message: &str,
) -> AppResult<GroupView> {
    validate::max_bytes("handleMessage", handle_message, MAX_APPLY_MESSAGE_BYTES)?;
    let not_found = || AppError::NotFound(format!("no such application: {application_id}"));
    if application_id.is_empty() {
        return Err(AppError::bad_input("applicationID", "is required"));
    }
    let application = group_applications::Entity::find_by_id(application_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let group = load_group(&state.db, &application.group_id).await?;
    let me = require_member(&state.db, &group.group_id, viewer).await?;
    if !is_manager(role_of(&me)) {
        return Err(AppError::Forbidden(
            "only the owner and admins handle applications".into(),
        ));
    }
    let applicant = application.applicant_id.clone();
    let system = ensure_system_channels(state, std::slice::from_ref(&applicant)).await?;
    let mut locks: Vec<i64> = vec![group.channel_id];
    locks.extend(system.values().copied());
    let mut change = Change::begin(state, &locks).await?;
    let group = load_group(change.tx()?, &group.group_id).await?;
    let me = require_member(change.tx()?, &group.group_id, viewer).await?;
    if !is_manager(role_of(&me)) {
        return Err(AppError::Forbidden(
            "only the owner and admins handle applications".into(),
        ));
    }
    let (status, op) = match action {
        HandleAction::Agree => ("agreed", notice_op::ACCEPTED),
        HandleAction::Reject => ("rejected", notice_op::REJECTED),
    };
    let decided = group_applications::Entity::update_many()
        .col_expr(group_applications::Column::Status, Expr::value(status))
        .col_expr(group_applications::Column::HandlerId, Expr::value(viewer))
        .col_expr(
            group_applications::Column::HandleMessage,
            Expr::value(handle_message),
        )
        .col_expr(
            group_applications::Column::HandledAt,
            Expr::value(unix_now()),
        )
        .filter(group_applications::Column::Id.eq(application_id))
        .filter(group_applications::Column::Status.eq("pending"))
        .exec(change.tx()?)
        .await?;
    if decided.rows_affected == 0 {
        return Err(AppError::bad_input(
            "applicationID",
            "this application has already been handled",
        ));
    }
    if action == HandleAction::Agree
        && member_of(change.tx()?, &group.group_id, &applicant)
            .await?
            .is_none()
    {
        let joiner = [applicant.clone()];
        admit(
            &mut change,
            &group,
            viewer,
            &[Newcomer::member(&applicant)],
            &joiner,
        )
        .await?;
    }
    change
        .notice(
            &applicant,
            &notice(op, viewer, &group, handle_message, None),
        )
        .await?;
    change.commit().await?;
    view_for(state, viewer, &group.group_id).await
}

/// The applicationID carried by a system notice the viewer can see.
pub async fn application_id_of_notice(
    state: &AppState,
    viewer: &str,
    message_id: &str,
) -> AppResult<String> {
    let message = messages_service::get_visible_message(state, viewer, message_id).await?;
    if message.msg_type != MessageType::GroupSystemNoticeElem {
        return Err(AppError::bad_input(
            "message",
            "is not a group system notice",
        ));
    }
    message
        .payload
        .get("applicationID")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| AppError::bad_input("message", "carries no applicationID"))
}

/// Leave a group. The owner may only leave a work group (it goes on without
/// owner); the last member leaving a group ends it.
pub async fn quit_group(state: &AppState, viewer: &str, group_id: &str) -> AppResult<String> {
    let pre = load_group(&state.db, group_id).await?;
    require_member(&state.db, group_id, viewer).await?;
    let system = ensure_system_channels(state, &[viewer.to_owned()]).await?;
    let mut locks: Vec<i64> = vec![pre.channel_id];
    locks.extend(system.values().copied());
    let mut change = Change::begin(state, &locks).await?;
    let group = load_group(change.tx()?, group_id).await?;
    let me = require_member(change.tx()?, group_id, viewer).await?;
    let group_type = GroupType::parse(&group.group_type);
    if role_of(&me) == GroupMemberRole::Owner && !group_type.owner_may_quit() {
        return Err(AppError::OwnerCannotQuit(
            "the owner must hand the group over or dismiss it first".into(),
        ));
    }
    let remaining = remove_members(&mut change, &group, &[viewer.to_owned()]).await?;
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
    let pre = load_group(&state.db, group_id).await?;
    let mut change = Change::begin(state, &[pre.channel_id]).await?;
    let group = load_group(change.tx()?, group_id).await?;
    let me = require_member(change.tx()?, group_id, viewer).await?;
    let group_type = GroupType::parse(&group.group_type);
    if !group_type.allows_owner_change() {
        return Err(AppError::Forbidden(
            "an AVChatRoom cannot change owner".into(),
        ));
    }
    if role_of(&me) != GroupMemberRole::Owner {
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
            .col_expr(group_members::Column::Role, Expr::value(role.as_str()))
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
    let conversation_id = format!("GROUP{group_id}");
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
