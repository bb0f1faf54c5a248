//! `/register`, `/login`, `/user/*`.

use axum::{
    extract::{FromRef, State},
    routing::post,
    Extension, Router,
};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{ok, parse_body, CompatJson, CompatResult, CompatViewer, LooseInt};
use crate::{
    auth::client::ClientIp,
    blacklist::service as blacklist,
    error::AppError,
    state::AppState,
    users::{
        service,
        types::{AdminForbidType, AllowType, CustomFieldInput, Gender, UpdateMyProfileInput},
    },
};

/// Account, profile and blacklist routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/user/getMyProfile", post(get_my_profile))
        .route("/user/getUserProfile", post(get_user_profile))
        .route("/user/updateMyProfile", post(update_my_profile))
        .route("/user/getBlacklist", post(get_blacklist))
        .route("/user/addToBlacklist", post(add_to_blacklist))
        .route("/user/removeFromBlacklist", post(remove_from_blacklist))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    email: String,
    username: String,
    password: String,
}

async fn register(
    State(state): State<AppState>,
    CompatJson(body): CompatJson<RegisterBody>,
) -> CompatResult {
    ok(service::register(&state, &body.email, &body.username, &body.password).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    CompatJson(body): CompatJson<LoginBody>,
) -> CompatResult {
    let client = client.and_then(|Extension(ip)| ip.0);
    ok(service::login(&state, &body.username, &body.password, client).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// `POST /logout`: ends the session of the token sent; `data: true`.
async fn logout(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(_): CompatJson<Empty>,
) -> CompatResult {
    ok(service::logout(&state, &viewer).await?)
}

async fn get_my_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(_): CompatJson<Empty>,
) -> CompatResult {
    let profile = service::get_my_profile(&state, &viewer.user_id).await?;
    ok(json!({ "userinfo": profile }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserIdsBody {
    user_id: Option<Vec<String>>,
    #[serde(rename = "userIDList")]
    user_id_list: Option<Vec<String>>,
}

impl UserIdsBody {
    fn ids(self) -> Result<Vec<String>, AppError> {
        self.user_id_list
            .or(self.user_id)
            .ok_or_else(|| AppError::bad_input("userIDList", "is required"))
    }
}

async fn get_user_profile(
    State(state): State<AppState>,
    CompatViewer(_): CompatViewer,
    CompatJson(body): CompatJson<UserIdsBody>,
) -> CompatResult {
    let profiles = service::get_user_profiles(&state, &body.ids()?).await?;
    ok(profiles
        .into_iter()
        .map(|p| json!({ "userinfo": p }))
        .collect::<Vec<_>>())
}

/// `profileCustomField` as the list of pairs or a plain `{key: value}` object.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum LooseCustomFields {
    List(Vec<CustomFieldInput>),
    Map(serde_json::Map<String, serde_json::Value>),
}

impl LooseCustomFields {
    pub(super) fn into_list(self) -> Result<Vec<CustomFieldInput>, AppError> {
        match self {
            Self::List(list) => Ok(list),
            Self::Map(map) => map
                .into_iter()
                .map(|(key, value)| match value {
                    serde_json::Value::String(value) => Ok(CustomFieldInput { key, value }),
                    other => Ok(CustomFieldInput {
                        key,
                        value: other.to_string(),
                    }),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct UpdateProfileBody {
    nick: Option<String>,
    avatar: Option<String>,
    gender: Option<Gender>,
    self_signature: Option<String>,
    allow_type: Option<AllowType>,
    birthday: Option<LooseInt>,
    location: Option<String>,
    language: Option<LooseInt>,
    message_settings: Option<LooseInt>,
    admin_forbid_type: Option<AdminForbidType>,
    level: Option<LooseInt>,
    role: Option<LooseInt>,
    profile_custom_field: Option<LooseCustomFields>,
}

async fn update_my_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UpdateProfileBody>,
) -> CompatResult {
    let input = UpdateMyProfileInput {
        nick: body.nick,
        avatar: body.avatar,
        gender: body.gender,
        self_signature: body.self_signature,
        allow_type: body.allow_type,
        birthday: body.birthday.map(|v| v.0),
        location: body.location,
        language: body.language.map(|v| v.0),
        message_settings: body.message_settings.map(|v| v.0),
        admin_forbid_type: body.admin_forbid_type,
        level: body.level.map(|v| v.0),
        role: body.role.map(|v| v.0),
        profile_custom_field: body
            .profile_custom_field
            .map(LooseCustomFields::into_list)
            .transpose()?,
    };
    let profile = service::update_my_profile(&state, &viewer.user_id, input).await?;
    ok(vec![profile])
}

async fn get_blacklist(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(_): CompatJson<Empty>,
) -> CompatResult {
    ok(blacklist::list_ids(&state, &viewer.user_id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserIdListBody {
    #[serde(rename = "userIDList")]
    user_id_list: Vec<String>,
}

async fn add_to_blacklist(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UserIdListBody>,
) -> CompatResult {
    ok(blacklist::add(&state, &viewer.user_id, &body.user_id_list).await?)
}

async fn remove_from_blacklist(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<UserIdListBody>,
) -> CompatResult {
    ok(blacklist::remove(&state, &viewer.user_id, &body.user_id_list).await?)
}

/// Parse `bytes` as every request body of these routes, as their handlers do
/// (the compat fuzz target's entry point; a panic here is a bug).
pub fn parse_every_body(bytes: &[u8]) {
    let _ = parse_body::<RegisterBody>(bytes, Some(true));
    let _ = parse_body::<LoginBody>(bytes, Some(true));
    let _ = parse_body::<UserIdsBody>(bytes, Some(true));
    let _ = parse_body::<UpdateProfileBody>(bytes, Some(true));
    let _ = parse_body::<UserIdListBody>(bytes, Some(true));
}
