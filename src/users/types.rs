//! API types of accounts and profiles, shared by GraphQL and compat JSON.

use std::collections::HashMap;

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// Gender, TIM's constants verbatim.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Gender {
    /// Not given.
    #[default]
    #[graphql(name = "Gender_Type_Unknown")]
    #[serde(rename = "Gender_Type_Unknown")]
    Unknown,
    /// Female.
    #[graphql(name = "Gender_Type_Female")]
    #[serde(rename = "Gender_Type_Female")]
    Female,
    /// Male.
    #[graphql(name = "Gender_Type_Male")]
    #[serde(rename = "Gender_Type_Male")]
    Male,
}

/// How friend requests are treated, TIM's constants verbatim.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AllowType {
    /// Anyone may add.
    #[default]
    #[graphql(name = "AllowType_Type_AllowAny")]
    #[serde(rename = "AllowType_Type_AllowAny")]
    AllowAny,
    /// Requests need confirmation.
    #[graphql(name = "AllowType_Type_NeedConfirm")]
    #[serde(rename = "AllowType_Type_NeedConfirm")]
    NeedConfirm,
    /// Nobody may add.
    #[graphql(name = "AllowType_Type_DenyAny")]
    #[serde(rename = "AllowType_Type_DenyAny")]
    DenyAny,
}

/// Whether an admin forbade adding friends, TIM's constants verbatim.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum AdminForbidType {
    /// Not forbidden.
    #[default]
    #[graphql(name = "AdminForbid_Type_None")]
    #[serde(rename = "AdminForbid_Type_None")]
    None,
    /// Forbidden to send requests.
    #[graphql(name = "AdminForbid_Type_SendOut")]
    #[serde(rename = "AdminForbid_Type_SendOut")]
    SendOut,
}

/// Parse a stored TIM constant back into its enum.
pub fn parse_stored<T: for<'de> Deserialize<'de> + Default>(value: &str) -> T {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).unwrap_or_default()
}

/// The TIM constant of an enum value, for storage.
pub fn stored_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One `{key, value}` custom field.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomField {
    /// 1 to 16 of `A-Z a-z 0-9 _`.
    pub key: String,
    /// Up to 512 bytes.
    pub value: String,
}

/// One `{key, value}` custom field in input.
#[derive(InputObject, Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldInput {
    /// 1 to 16 of `A-Z a-z 0-9 _`.
    pub key: String,
    /// Up to 512 bytes.
    pub value: String,
}

/// A user's profile. `email` is only filled for its owner.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The username.
    #[graphql(name = "userID")]
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Only visible to the profile's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Nickname.
    pub nick: String,
    /// Avatar URL.
    pub avatar: String,
    /// Gender.
    pub gender: Gender,
    /// Signature line.
    pub self_signature: String,
    /// Friend request policy.
    pub allow_type: AllowType,
    /// Like 19900101.
    pub birthday: i64,
    /// Where the user is.
    pub location: String,
    /// Language code.
    pub language: i64,
    /// 0 or 1.
    pub message_settings: i64,
    /// Admin restriction on friend requests.
    pub admin_forbid_type: AdminForbidType,
    /// Level.
    pub level: i64,
    /// Role.
    pub role: i64,
    /// Custom profile fields.
    pub profile_custom_field: Vec<CustomField>,
    /// Unix seconds of the last change.
    pub last_updated_time: i64,
}

impl Profile {
    /// The public profile of a user row (no email).
    pub fn public(user: &entity::users::Model) -> Self {
        Self {
            user_id: user.user_id.clone(),
            email: None,
            nick: user.nick.clone(),
            avatar: user.avatar.clone(),
            gender: parse_stored(&user.gender),
            self_signature: user.self_signature.clone(),
            allow_type: parse_stored(&user.allow_type),
            birthday: user.birthday,
            location: user.location.clone(),
            language: user.language,
            message_settings: user.message_settings,
            admin_forbid_type: parse_stored(&user.admin_forbid_type),
            level: user.level,
            role: user.role,
            profile_custom_field: serde_json::from_str(&user.profile_custom_field)
                .unwrap_or_default(),
            last_updated_time: user.updated_at,
        }
    }

    /// The profile as its owner sees it (with email).
    pub fn own(user: &entity::users::Model) -> Self {
        Self {
            email: Some(user.email.clone()),
            ..Self::public(user)
        }
    }
}

/// Online or not.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatusType {
    /// At least one live socket.
    #[graphql(name = "USER_STATUS_ONLINE")]
    #[serde(rename = "USER_STATUS_ONLINE")]
    Online,
    /// None.
    #[graphql(name = "USER_STATUS_OFFLINE")]
    #[serde(rename = "USER_STATUS_OFFLINE")]
    Offline,
}

/// A user's status.
#[derive(SimpleObject, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[graphql(name = "UserStatus")]
pub struct UserStatus {
    /// The user.
    #[graphql(name = "userID")]
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Online or offline.
    #[graphql(name = "statusType")]
    #[serde(rename = "statusType")]
    pub status_type: UserStatusType,
    /// What they say about themselves (up to 100 bytes).
    #[graphql(name = "customStatus")]
    #[serde(rename = "customStatus")]
    pub custom_status: String,
    /// When their last live socket closed (Unix seconds; 0 never or unknown).
    #[graphql(name = "lastSeen")]
    #[serde(rename = "lastSeen")]
    pub last_seen: i64,
}

impl UserStatus {
    /// How a user who blacklisted the viewer shows: offline, nothing more.
    pub(crate) fn hidden(user_id: &str) -> Self {
        Self {
            user_id: user_id.to_owned(),
            status_type: UserStatusType::Offline,
            custom_status: String::new(),
            last_seen: 0,
        }
    }
}

/// What `register` and `login` return.
#[derive(SimpleObject, Clone, Debug, Serialize)]
pub struct AuthPayload {
    /// The JWT to send as `token` or `Authorization: Bearer`.
    pub token: String,
    /// The user's own profile.
    pub userinfo: Profile,
}

/// Fields of `updateMyProfile`; only those given change.
#[derive(InputObject, Clone, Debug, Default)]
#[graphql(rename_fields = "camelCase")]
pub struct UpdateMyProfileInput {
    /// Up to 500 bytes.
    pub nick: Option<String>,
    /// Up to 500 bytes.
    pub avatar: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Up to 500 bytes.
    pub self_signature: Option<String>,
    /// Friend request policy.
    pub allow_type: Option<AllowType>,
    /// Like 19900101.
    pub birthday: Option<i64>,
    /// Up to 64 bytes.
    pub location: Option<String>,
    /// Language code.
    pub language: Option<i64>,
    /// 0 or 1.
    pub message_settings: Option<i64>,
    /// Admin restriction on friend requests.
    pub admin_forbid_type: Option<AdminForbidType>,
    /// Level.
    pub level: Option<i64>,
    /// Role.
    pub role: Option<i64>,
    /// Replaces the custom fields given by key.
    pub profile_custom_field: Option<Vec<CustomFieldInput>>,
}

/// Most keys a list of custom fields may hold.
pub const MAX_CUSTOM_FIELDS: usize = 20;

/// Validate and normalise a list of custom fields (shared by profiles, groups and members).
pub fn validate_custom_fields(
    field: &str,
    items: &[CustomFieldInput],
) -> AppResult<Vec<CustomField>> {
    crate::util::check_raw_list(field, items.len(), MAX_CUSTOM_FIELDS)?;
    let mut out: Vec<CustomField> = Vec::with_capacity(items.len().min(MAX_CUSTOM_FIELDS));
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for item in items {
        let key_ok = (1..=16).contains(&item.key.len())
            && item
                .key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !key_ok {
            return Err(AppError::bad_input(
                field,
                format!("key {:?} must be 1 to 16 of A-Z a-z 0-9 _", item.key),
            ));
        }
        crate::users::validate::text(field, &item.value)?;
        if item.value.len() > 512 {
            return Err(AppError::bad_input(
                field,
                format!("value of {} is over 512 bytes", item.key),
            ));
        }
        match index.get(item.key.as_str()) {
            Some(&at) => out[at].value = item.value.clone(),
            None => {
                index.insert(&item.key, out.len());
                out.push(CustomField {
                    key: item.key.clone(),
                    value: item.value.clone(),
                });
            }
        }
    }
    if out.len() > MAX_CUSTOM_FIELDS {
        return Err(AppError::bad_input(
            field,
            format!("at most {MAX_CUSTOM_FIELDS} keys"),
        ));
    }
    Ok(out)
}

/// Merge `updates` into `current` by key (later wins); at most 20 keys in all.
pub fn merge_custom_fields(
    field: &str,
    current: Vec<CustomField>,
    updates: Vec<CustomField>,
) -> AppResult<Vec<CustomField>> {
    let mut merged = current;
    for update in updates {
        match merged.iter_mut().find(|f| f.key == update.key) {
            Some(existing) => existing.value = update.value,
            None => merged.push(update),
        }
    }
    if merged.len() > 20 {
        return Err(AppError::bad_input(field, "at most 20 keys"));
    }
    Ok(merged)
}
