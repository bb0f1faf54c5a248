//! Coming into a group: joining freely, applying and deciding applications,
//! and an AVChatRoom member leaving their other rooms.

use entity::{group_applications, group_members, groups, kinds::GroupApplicationStatus};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Query},
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::{
    lifecycle::quit_group,
    preamble::{begin_as_member, open_change, Acting, Audience, Opened},
    queries::{load_group, member_of},
    rules::{is_manager, JoinPolicy},
    steps::{admit, notice, notice_op, Newcomer},
    types::{
        GroupJoinOption, GroupMemberRole, GroupType, GroupView, HandleAction, JoinGroupResult,
        JoinGroupStatus,
    },
    validate::MAX_APPLY_MESSAGE_BYTES,
    views::view_for,
};
use crate::{
    error::{AppError, AppResult},
    messages::{service as messages_service, types::MessageType},
    state::AppState,
    users::validate,
    util::unix_now,
};

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
    let group_type = GroupType::from(group.group_type);
    match group_type.join_policy(GroupJoinOption::from(group.join_option)) {
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
            let Opened {
                mut change, group, ..
            } = open_change(state, &group, Audience::Nobody).await?;
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

/// `AlreadyInGroup`, with the group.
async fn already_in(state: &AppState, viewer: &str, group_id: &str) -> AppResult<JoinGroupResult> {
    Ok(JoinGroupResult {
        status: JoinGroupStatus::AlreadyInGroup,
        group: Some(view_for(state, viewer, group_id).await?),
    })
}

/// One AVChatRoom at a time: leave the others (rooms the viewer owns stay).
async fn leave_other_av_rooms(state: &AppState, viewer: &str, except: &str) -> AppResult<()> {
    // The rooms by a subquery on the viewer's memberships: no bind per group.
    let mine = Query::select()
        .column((group_members::Entity, group_members::Column::GroupId))
        .from(group_members::Entity)
        .and_where(Expr::col((group_members::Entity, group_members::Column::UserId)).eq(viewer))
        .and_where(
            Expr::col((group_members::Entity, group_members::Column::Role))
                .ne(entity::kinds::GroupMemberRole::Owner),
        )
        .to_owned();
    let rooms: Vec<String> = groups::Entity::find()
        .select_only()
        .column(groups::Column::GroupId)
        .filter(groups::Column::GroupId.in_subquery(mine))
        .filter(groups::Column::GroupId.ne(except))
        .filter(groups::Column::GroupType.eq(entity::kinds::GroupType::AvChatRoom))
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
    let Opened {
        mut change,
        group,
        audience: managers,
    } = open_change(state, group, Audience::Managers).await?;
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
        .filter(group_applications::Column::Status.eq(GroupApplicationStatus::Pending))
        .one(change.tx()?)
        .await?;
    if pending.is_some() {
        return Ok(waiting);
    }
    let id = uuid::Uuid::now_v7().simple().to_string();
    group_applications::Entity::insert(group_applications::ActiveModel {
        id: Set(id.clone()),
        group_id: Set(group.group_id.clone()),
        applicant_id: Set(viewer.to_owned()),
        apply_message: Set(apply_message.to_owned()),
        status: Set(GroupApplicationStatus::Pending),
        handler_id: Set(String::new()),
        handle_message: Set(String::new()),
        created_at: Set(unix_now()),
        handled_at: Set(0),
    })
    .exec_without_returning(change.tx()?)
    .await?;
    for manager in &managers {
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
    Ok(waiting)
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
    let applicant = application.applicant_id.clone();
    let Acting {
        mut change, group, ..
    } = begin_as_member(
        state,
        &application.group_id,
        viewer,
        manages,
        Audience::Users(std::slice::from_ref(&applicant)),
    )
    .await?;
    let (status, op) = match action {
        HandleAction::Agree => (GroupApplicationStatus::Agreed, notice_op::ACCEPTED),
        HandleAction::Reject => (GroupApplicationStatus::Rejected, notice_op::REJECTED),
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
        .filter(group_applications::Column::Status.eq(GroupApplicationStatus::Pending))
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

/// The [`Rule`](super::preamble::Rule) of handling applications: the owner and admins.
fn manages(_: &groups::Model, me: &group_members::Model) -> AppResult<()> {
    if !is_manager(GroupMemberRole::from(me.role)) {
        return Err(AppError::Forbidden(
            "only the owner and admins handle applications".into(),
        ));
    }
    Ok(())
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
