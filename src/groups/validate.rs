//! Input checks of group operations: byte limits of names and texts, custom
//! and generated groupIDs, and member limits by type.

use super::types::GroupType;
use crate::{
    error::{AppError, AppResult},
    users::validate,
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

/// A group name: not blank, at most [`MAX_NAME_BYTES`].
pub(super) fn check_name(name: &str) -> AppResult<()> {
    if name.trim().is_empty() {
        return Err(AppError::bad_input("name", "must not be empty"));
    }
    validate::max_bytes("name", name, MAX_NAME_BYTES)
}

/// The optional profile texts, each within its byte limit.
pub(super) fn check_texts(
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

/// A groupID chosen by the creator: printable ASCII, at most
/// [`MAX_GROUP_ID_BYTES`], not in the generated namespace.
pub(super) fn check_custom_group_id(id: &str) -> AppResult<()> {
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

/// A new groupID: the generated prefix and ten random letters and digits.
pub(super) fn generate_group_id() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..10)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{GENERATED_PREFIX}{tail}")
}

/// A member limit for `group_type`: at least `at_least`, at most the type's default.
pub(super) fn check_max_members(
    group_type: GroupType,
    value: i64,
    at_least: i64,
) -> AppResult<i64> {
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
