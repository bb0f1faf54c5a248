//! The steps group changes share inside a [`Change`]: the tip and system
//! notice payloads (with TIM's operation codes), letting newcomers in, taking
//! members out, and deleting a group.

use entity::{channels, conversation_states, group_members, groups};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

use super::{
    change::Change,
    queries::{load_group, to_json},
    types::{GroupMemberRole, GroupType},
};
use crate::{
    error::{AppError, AppResult},
    groups::types::MessageRemindType,
    messages::conversation_id::ConversationId,
    messages::payload::{GroupSystemNoticeElem, GroupTipElem, NoticeGroupProfile},
    users::types::CustomField,
    util::unix_now,
};

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
    let group_type = GroupType::from(group.group_type);
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
        .ok_or_else(|| AppError::internal("group channel missing"))?;
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
            role: Set(newcomer.role.into()),
            join_time: Set(now),
            name_card: Set(String::new()),
            mute_until: Set(0),
            custom_field: Set(to_json(&newcomer.custom_field)?),
        });
        state_rows.push(conversation_states::ActiveModel {
            user_id: Set(newcomer.user_id.clone()),
            conversation_id: Set(ConversationId::group(&group.group_id).into()),
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
        .filter(
            conversation_states::Column::ConversationId
                .eq(ConversationId::group(&group.group_id).to_string()),
        )
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
pub(crate) async fn delete_group(change: &Change<'_>, group: &groups::Model) -> AppResult<()> {
    groups::Entity::delete_by_id(group.group_id.clone())
        .exec(change.tx()?)
        .await?;
    channels::Entity::delete_by_id(group.channel_id)
        .exec(change.tx()?)
        .await?;
    Ok(())
}
