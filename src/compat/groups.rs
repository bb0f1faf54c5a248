//! `/group/*` and `/groupMember/*` (every member route also answers under
//! `/group/<operation>`). `data` is what the TIM SDK resolves as
//! `imResponse.data`: `{group}`, `{groupID}`, `{memberList, offset}`, ...

use axum::{extract::FromRef, extract::State, routing::post, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    envelope::{ok, parse_body, CompatJson, CompatResult, CompatViewer, LooseInt},
    users::LooseCustomFields,
};
use crate::{
    error::{AppError, AppResult},
    groups::types::MessageRemindType,
    groups::{
        joining, lifecycle, listing, members,
        types::{
            CreateGroupInput, GroupJoinOption, GroupMemberInput, GroupMemberRole, GroupType,
            HandleAction, UpdateGroupProfileInput,
        },
    },
    state::AppState,
    users::types::CustomFieldInput,
};

/// Group and member routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    let mut router = Router::new()
        .route("/group/getGroupList", post(get_group_list))
        .route("/group/getGroupProfile", post(get_group_profile))
        .route("/group/createGroup", post(create_group))
        .route("/group/dismissGroup", post(dismiss_group))
        .route("/group/updateGroupProfile", post(update_group_profile))
        .route("/group/joinGroup", post(join_group))
        .route("/group/quitGroup", post(quit_group))
        .route("/group/searchGroupByID", post(search_group_by_id))
        .route("/group/changeGroupOwner", post(change_group_owner))
        .route(
            "/group/handleGroupApplication",
            post(handle_group_application),
        )
        .route("/group/setMessageRemindType", post(set_message_remind_type));
    // Member routes answer under both prefixes.
    for prefix in ["/groupMember", "/group"] {
        router = router
            .route(
                &format!("{prefix}/getGroupMemberList"),
                post(get_group_member_list),
            )
            .route(
                &format!("{prefix}/getGroupMemberProfile"),
                post(get_group_member_profile),
            )
            .route(
                &format!("{prefix}/getGroupOnlineMemberCount"),
                post(get_group_online_member_count),
            )
            .route(&format!("{prefix}/addGroupMember"), post(add_group_member))
            .route(
                &format!("{prefix}/deleteGroupMember"),
                post(delete_group_member),
            )
            .route(
                &format!("{prefix}/setGroupMemberMuteTime"),
                post(set_group_member_mute_time),
            )
            .route(
                &format!("{prefix}/setGroupMemberRole"),
                post(set_group_member_role),
            )
            .route(
                &format!("{prefix}/setGroupMemberNameCard"),
                post(set_group_member_name_card),
            )
            .route(
                &format!("{prefix}/setGroupMemberCustomField"),
                post(set_group_member_custom_field),
            );
    }
    router
}

fn loose_fields(fields: Option<LooseCustomFields>) -> AppResult<Option<Vec<CustomFieldInput>>> {
    fields.map(LooseCustomFields::into_list).transpose()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupIdBody {
    #[serde(rename = "groupID")]
    group_id: String,
}

async fn get_group_list(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(_): CompatJson<Empty>,
) -> CompatResult {
    let list = listing::get_group_list(&state, &viewer.user_id).await?;
    ok(json!({ "groupList": list }))
}

async fn get_group_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<GroupIdBody>,
) -> CompatResult {
    let group = listing::get_group_profile(&state, &viewer.user_id, &body.group_id).await?;
    ok(json!({ "group": group }))
}

async fn search_group_by_id(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<GroupIdBody>,
) -> CompatResult {
    let group = listing::search_group_by_id(&state, &viewer.user_id, &body.group_id).await?;
    ok(json!({ "group": group }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MemberItem {
    #[serde(rename = "userID")]
    user_id: String,
    role: Option<GroupMemberRole>,
    member_custom_field: Option<LooseCustomFields>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateGroupBody {
    name: String,
    #[serde(rename = "type")]
    group_type: Option<GroupType>,
    #[serde(rename = "groupID")]
    group_id: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    avatar: Option<String>,
    max_member_num: Option<LooseInt>,
    join_option: Option<GroupJoinOption>,
    member_list: Option<Vec<MemberItem>>,
    group_custom_field: Option<LooseCustomFields>,
}

async fn create_group(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<CreateGroupBody>,
) -> CompatResult {
    let member_list = body
        .member_list
        .map(|list| {
            list.into_iter()
                .map(|m| {
                    Ok(GroupMemberInput {
                        user_id: m.user_id,
                        role: m.role,
                        member_custom_field: loose_fields(m.member_custom_field)?,
                    })
                })
                .collect::<AppResult<Vec<_>>>()
        })
        .transpose()?;
    let input = CreateGroupInput {
        name: body.name,
        group_type: body.group_type,
        group_id: body.group_id,
        introduction: body.introduction,
        notification: body.notification,
        avatar: body.avatar,
        max_member_num: body.max_member_num.map(|v| v.0),
        join_option: body.join_option,
        member_list,
        group_custom_field: loose_fields(body.group_custom_field)?,
    };
    let group = lifecycle::create_group(&state, &viewer.user_id, input).await?;
    ok(json!({ "group": group }))
}

async fn dismiss_group(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<GroupIdBody>,
) -> CompatResult {
    let id = lifecycle::dismiss_group(&state, &viewer.user_id, &body.group_id).await?;
    ok(json!({ "groupID": id }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateGroupBody {
    #[serde(rename = "groupID")]
    group_id: String,
    name: Option<String>,
    avatar: Option<String>,
    introduction: Option<String>,
    notification: Option<String>,
    max_member_num: Option<LooseInt>,
    join_option: Option<GroupJoinOption>,
    mute_all_members: Option<bool>,
    group_custom_field: Option<LooseCustomFields>,
}

async fn update_group_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UpdateGroupBody>,
) -> CompatResult {
    let input = UpdateGroupProfileInput {
        group_id: body.group_id,
        name: body.name,
        avatar: body.avatar,
        introduction: body.introduction,
        notification: body.notification,
        max_member_num: body.max_member_num.map(|v| v.0),
        join_option: body.join_option,
        mute_all_members: body.mute_all_members,
        group_custom_field: loose_fields(body.group_custom_field)?,
    };
    let group = lifecycle::update_group_profile(&state, &viewer.user_id, input).await?;
    ok(json!({ "group": group }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JoinBody {
    #[serde(rename = "groupID")]
    group_id: String,
    apply_message: Option<String>,
}

async fn join_group(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<JoinBody>,
) -> CompatResult {
    let result = joining::join_group(
        &state,
        &viewer.user_id,
        &body.group_id,
        body.apply_message.as_deref().unwrap_or_default(),
    )
    .await?;
    ok(result)
}

async fn quit_group(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<GroupIdBody>,
) -> CompatResult {
    let id = lifecycle::quit_group(&state, &viewer.user_id, &body.group_id).await?;
    ok(json!({ "groupID": id }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeOwnerBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "newOwnerID")]
    new_owner_id: String,
}

async fn change_group_owner(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ChangeOwnerBody>,
) -> CompatResult {
    let group =
        lifecycle::change_group_owner(&state, &viewer.user_id, &body.group_id, &body.new_owner_id)
            .await?;
    ok(json!({ "group": group }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HandleBody {
    handle_action: HandleAction,
    handle_message: Option<String>,
    #[serde(rename = "applicationID")]
    application_id: Option<String>,
    /// The system notice (or its ID) whose payload carries the applicationID.
    message: Option<Value>,
}

impl HandleBody {
    /// The applicationID: given, in the notice's payload, or looked up by the notice's ID.
    async fn application_id(&self, state: &AppState, viewer: &str) -> AppResult<String> {
        if let Some(id) = self.application_id.as_ref().filter(|id| !id.is_empty()) {
            return Ok(id.clone());
        }
        let message_id = match &self.message {
            Some(Value::String(id)) => id.clone(),
            Some(Value::Object(message)) => {
                let carried = message
                    .get("payload")
                    .and_then(|p| p.get("applicationID"))
                    .and_then(Value::as_str);
                if let Some(id) = carried {
                    return Ok(id.to_owned());
                }
                message
                    .get("ID")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        AppError::bad_input("message", "must carry its ID or payload.applicationID")
                    })?
            }
            _ => {
                return Err(AppError::bad_input(
                    "applicationID",
                    "give applicationID or the system notice as message",
                ))
            }
        };
        joining::application_id_of_notice(state, viewer, &message_id).await
    }
}

async fn handle_group_application(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<HandleBody>,
) -> CompatResult {
    let application_id = body.application_id(&state, &viewer.user_id).await?;
    let group = joining::handle_group_application(
        &state,
        &viewer.user_id,
        &application_id,
        body.handle_action,
        body.handle_message.as_deref().unwrap_or_default(),
    )
    .await?;
    ok(json!({ "group": group }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RemindBody {
    #[serde(rename = "groupID")]
    group_id: String,
    message_remind_type: MessageRemindType,
}

async fn set_message_remind_type(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<RemindBody>,
) -> CompatResult {
    let group = members::set_message_remind_type(
        &state,
        &viewer.user_id,
        &body.group_id,
        body.message_remind_type,
    )
    .await?;
    ok(json!({ "group": group }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberListBody {
    #[serde(rename = "groupID")]
    group_id: String,
    count: Option<LooseInt>,
    offset: Option<LooseInt>,
}

async fn get_group_member_list(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<MemberListBody>,
) -> CompatResult {
    let page = members::get_group_member_list(
        &state,
        &viewer.user_id,
        &body.group_id,
        body.count.map_or(15, |c| c.0),
        body.offset.map_or(0, |o| o.0),
    )
    .await?;
    ok(page)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserIdsBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userIDList")]
    user_id_list: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteMembersBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userIDList")]
    user_id_list: Vec<String>,
    reason: Option<String>,
}

async fn get_group_member_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UserIdsBody>,
) -> CompatResult {
    let list = members::get_group_member_profile(
        &state,
        &viewer.user_id,
        &body.group_id,
        &body.user_id_list,
    )
    .await?;
    ok(json!({ "memberList": list }))
}

async fn get_group_online_member_count(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<GroupIdBody>,
) -> CompatResult {
    let count =
        members::get_group_online_member_count(&state, &viewer.user_id, &body.group_id).await?;
    ok(json!({ "memberCount": count }))
}

async fn add_group_member(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UserIdsBody>,
) -> CompatResult {
    ok(
        members::add_group_member(&state, &viewer.user_id, &body.group_id, &body.user_id_list)
            .await?,
    )
}

async fn delete_group_member(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<DeleteMembersBody>,
) -> CompatResult {
    ok(members::delete_group_member(
        &state,
        &viewer.user_id,
        &body.group_id,
        &body.user_id_list,
        body.reason.as_deref().unwrap_or_default(),
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MuteBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userID")]
    user_id: String,
    mute_time: LooseInt,
}

async fn set_group_member_mute_time(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<MuteBody>,
) -> CompatResult {
    ok(members::set_group_member_mute_time(
        &state,
        &viewer.user_id,
        &body.group_id,
        &body.user_id,
        body.mute_time.0,
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userID")]
    user_id: String,
    role: GroupMemberRole,
}

async fn set_group_member_role(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<RoleBody>,
) -> CompatResult {
    ok(members::set_group_member_role(
        &state,
        &viewer.user_id,
        &body.group_id,
        &body.user_id,
        body.role,
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NameCardBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    name_card: String,
}

async fn set_group_member_name_card(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<NameCardBody>,
) -> CompatResult {
    ok(members::set_group_member_name_card(
        &state,
        &viewer.user_id,
        &body.group_id,
        body.user_id.as_deref(),
        &body.name_card,
    )
    .await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CustomFieldBody {
    #[serde(rename = "groupID")]
    group_id: String,
    #[serde(rename = "userID")]
    user_id: Option<String>,
    member_custom_field: LooseCustomFields,
}

async fn set_group_member_custom_field(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<CustomFieldBody>,
) -> CompatResult {
    let fields = body.member_custom_field.into_list()?;
    ok(members::set_group_member_custom_field(
        &state,
        &viewer.user_id,
        &body.group_id,
        body.user_id.as_deref(),
        &fields,
    )
    .await?)
}

/// Parse `bytes` as every request body of these routes, as their handlers do
/// (the compat fuzz target's entry point; a panic here is a bug).
pub fn parse_every_body(bytes: &[u8]) {
    let _ = parse_body::<GroupIdBody>(bytes, Some(true));
    let _ = parse_body::<CreateGroupBody>(bytes, Some(true));
    let _ = parse_body::<UpdateGroupBody>(bytes, Some(true));
    let _ = parse_body::<JoinBody>(bytes, Some(true));
    let _ = parse_body::<ChangeOwnerBody>(bytes, Some(true));
    let _ = parse_body::<HandleBody>(bytes, Some(true));
    let _ = parse_body::<RemindBody>(bytes, Some(true));
    let _ = parse_body::<MemberListBody>(bytes, Some(true));
    let _ = parse_body::<UserIdsBody>(bytes, Some(true));
    let _ = parse_body::<DeleteMembersBody>(bytes, Some(true));
    let _ = parse_body::<MuteBody>(bytes, Some(true));
    let _ = parse_body::<RoleBody>(bytes, Some(true));
    let _ = parse_body::<NameCardBody>(bytes, Some(true));
    let _ = parse_body::<CustomFieldBody>(bytes, Some(true));
}
