//! Account and profile rules and their queries.

use std::collections::HashMap;

use entity::users;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use super::{
    types::{self, AuthPayload, Profile, UpdateMyProfileInput},
    validate,
};
use crate::{
    error::{AppError, AppResult},
    events::Event,
    realtime::Topic,
    state::AppState,
    util::unix_now,
};

/// Create an account and sign it in.
pub async fn register(
    state: &AppState,
    email: &str,
    username: &str,
    password: &str,
) -> AppResult<AuthPayload> {
    validate::user_id("username", username)?;
    validate::email(email)?;
    validate::password(password)?;
    let email_lower = email.to_lowercase();
    if users::Entity::find_by_id(username)
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict("username is taken".into()));
    }
    if users::Entity::find()
        .filter(users::Column::EmailLower.eq(&email_lower))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict("email is taken".into()));
    }
    let hash = state.hasher.hash(password).await?;
    let now = unix_now();
    let row = users::ActiveModel {
        user_id: Set(username.to_owned()),
        email: Set(email.to_owned()),
        email_lower: Set(email_lower),
        password_hash: Set(hash),
        nick: Set(String::new()),
        avatar: Set(String::new()),
        gender: Set(types::stored_name(&types::Gender::Unknown)),
        self_signature: Set(String::new()),
        allow_type: Set(types::stored_name(&types::AllowType::AllowAny)),
        birthday: Set(0),
        location: Set(String::new()),
        language: Set(0),
        message_settings: Set(0),
        admin_forbid_type: Set(types::stored_name(&types::AdminForbidType::None)),
        level: Set(0),
        role: Set(0),
        profile_custom_field: Set("[]".into()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    // A concurrent registration of the same name or email loses on the unique keys.
    let inserted = {
        let _gate = state.write_guard().await;
        users::Entity::insert(row)
            .exec_with_returning(&state.db)
            .await
    };
    let user = match inserted {
        Ok(user) => user,
        Err(err) if is_unique_violation(&err) => {
            return Err(AppError::Conflict("username or email is taken".into()))
        }
        Err(err) => return Err(err.into()),
    };
    tracing::info!(user_id = %user.user_id, "registered");
    Ok(AuthPayload {
        token: state.keys.issue(&user.user_id)?,
        userinfo: Profile::own(&user),
    })
}

/// Sign in; an unknown user and a wrong password give the same answer in about the same time.
///
/// Before any hashing, the attempt counts against `client`'s address (when
/// that limit is on) and against the account's failed logins: over either
/// limit the answer is `RATE_LIMITED`, whatever the password (a right one is
/// refused too, or the limit would tell a guesser when they hit). A success
/// forgets the account's failures.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<AuthPayload> {
    let limits = &state.rate_limits;
    limits.login_attempt_from(client)?;
    limits
        .login_failures
        .acquire(username)
        .map_err(|l| l.into_error("too many failed logins for this account"))?;
    let user = if validate::user_id("username", username).is_ok() {
        users::Entity::find_by_id(username).one(&state.db).await?
    } else {
        None
    };
    let ok = state
        .hasher
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    match user {
        Some(user) if ok => {
            limits.login_failures.clear(username);
            Ok(AuthPayload {
                token: state.keys.issue(&user.user_id)?,
                userinfo: Profile::own(&user),
            })
        }
        _ => Err(AppError::Unauthenticated(
            "invalid username or password".into(),
        )),
    }
}

/// End the viewer's session: its token is refused from now on (every
/// surface) and its open sockets close with 4403. Other sessions of the user
/// keep working. Revoked rows of expired tokens are pruned on the way.
pub async fn logout(state: &AppState, viewer: &crate::auth::Viewer) -> AppResult<bool> {
    use entity::revoked_sessions;
    let now = unix_now();
    let row = revoked_sessions::ActiveModel {
        session_id: Set(viewer.session_id.clone()),
        user_id: Set(viewer.user_id.clone()),
        expires_at: Set(viewer.expires_at),
        revoked_at: Set(now),
    };
    {
        let _gate = state.write_guard().await;
        revoked_sessions::Entity::delete_many()
            .filter(revoked_sessions::Column::ExpiresAt.lt(now))
            .exec(&state.db)
            .await?;
        revoked_sessions::Entity::insert(row)
            .on_conflict_do_nothing_on([revoked_sessions::Column::SessionId])
            .exec(&state.db)
            .await?;
    }
    state
        .sessions
        .mark_revoked(&viewer.session_id, viewer.expires_at);
    crate::control::publish(
        state,
        crate::events::Invalidation::SessionRevoked {
            session_id: viewer.session_id.clone(),
            expires_at: viewer.expires_at,
        },
    );
    tracing::info!(user_id = %viewer.user_id, "logged out");
    Ok(true)
}

/// The user row of an authenticated viewer (the account may have gone).
pub async fn find_user(state: &AppState, user_id: &str) -> AppResult<Option<users::Model>> {
    Ok(find_cached(state, user_id)
        .await?
        .map(|row| row.as_ref().clone()))
}

/// The user's row from the cache, loaded on a miss.
pub async fn find_cached(
    state: &AppState,
    user_id: &str,
) -> AppResult<Option<std::sync::Arc<users::Model>>> {
    if let Some(row) = state.caches.users.get(user_id) {
        return Ok(Some(row));
    }
    let generation = state.caches.users.generation();
    let Some(row) = users::Entity::find_by_id(user_id).one(&state.db).await? else {
        return Ok(None);
    };
    let row = std::sync::Arc::new(row);
    state.caches.users.store(generation, row.clone());
    Ok(Some(row))
}

/// Whether the user exists (from the cache when it can).
pub async fn exists(state: &AppState, user_id: &str) -> AppResult<bool> {
    Ok(find_cached(state, user_id).await?.is_some())
}

/// The viewer's own profile.
pub async fn get_my_profile(state: &AppState, viewer: &str) -> AppResult<Profile> {
    find_user(state, viewer)
        .await?
        .map(|u| Profile::own(&u))
        .ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))
}

/// Profiles of the users that exist, in request order.
pub async fn get_user_profiles(state: &AppState, ids: &[String]) -> AppResult<Vec<Profile>> {
    let ids = validate::user_id_list("userIDList", ids, 100)?;
    let rows = load_users(state, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.get(id).map(Profile::public))
        .collect())
}

/// Rows of the given users that exist, by ID, in one query.
pub async fn load_users(
    state: &AppState,
    ids: &[String],
) -> AppResult<HashMap<String, users::Model>> {
    let mut out = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        match state.caches.users.get(id) {
            Some(row) => {
                out.insert(id.clone(), row.as_ref().clone());
            }
            None => missing.push(id.clone()),
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let generation = state.caches.users.generation();
    let rows = users::Entity::find()
        .filter(users::Column::UserId.is_in(missing))
        .all(&state.db)
        .await?;
    for row in rows {
        state
            .caches
            .users
            .store(generation, std::sync::Arc::new(row.clone()));
        out.insert(row.user_id.clone(), row);
    }
    Ok(out)
}

/// Change the fields given; all are checked before anything is written.
pub async fn update_my_profile(
    state: &AppState,
    viewer: &str,
    input: UpdateMyProfileInput,
) -> AppResult<Profile> {
    // Read fresh, not from the cache: the custom fields are merged into it.
    let user = users::Entity::find_by_id(viewer)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Unauthenticated("account no longer exists".into()))?;
    for (field, value, max) in [
        ("nick", &input.nick, 500),
        ("avatar", &input.avatar, 500),
        ("selfSignature", &input.self_signature, 500),
        ("location", &input.location, 64),
    ] {
        if let Some(value) = value {
            validate::max_bytes(field, value, max)?;
        }
    }
    if let Some(v) = input.message_settings {
        if !(0..=1).contains(&v) {
            return Err(AppError::bad_input("messageSettings", "must be 0 or 1"));
        }
    }
    if let Some(v) = input.birthday {
        if !(0..=99_991_231).contains(&v) {
            return Err(AppError::bad_input(
                "birthday",
                "must be a date like 19900101",
            ));
        }
    }
    for (field, value) in [
        ("language", input.language),
        ("level", input.level),
        ("role", input.role),
    ] {
        if value.is_some_and(|v| !(0..=i64::from(u32::MAX)).contains(&v)) {
            return Err(AppError::bad_input(
                field,
                "must be a non-negative 32-bit number",
            ));
        }
    }
    let custom = match &input.profile_custom_field {
        Some(items) => {
            let updates = types::validate_custom_fields("profileCustomField", items)?;
            let current: Vec<types::CustomField> =
                serde_json::from_str(&user.profile_custom_field).unwrap_or_default();
            Some(types::merge_custom_fields(
                "profileCustomField",
                current,
                updates,
            )?)
        }
        None => None,
    };

    let mut row: users::ActiveModel = user.into();
    if let Some(v) = input.nick {
        row.nick = Set(v);
    }
    if let Some(v) = input.avatar {
        row.avatar = Set(v);
    }
    if let Some(v) = input.gender {
        row.gender = Set(types::stored_name(&v));
    }
    if let Some(v) = input.self_signature {
        row.self_signature = Set(v);
    }
    if let Some(v) = input.allow_type {
        row.allow_type = Set(types::stored_name(&v));
    }
    if let Some(v) = input.birthday {
        row.birthday = Set(v);
    }
    if let Some(v) = input.location {
        row.location = Set(v);
    }
    if let Some(v) = input.language {
        row.language = Set(v);
    }
    if let Some(v) = input.message_settings {
        row.message_settings = Set(v);
    }
    if let Some(v) = input.admin_forbid_type {
        row.admin_forbid_type = Set(types::stored_name(&v));
    }
    if let Some(v) = input.level {
        row.level = Set(v);
    }
    if let Some(v) = input.role {
        row.role = Set(v);
    }
    if let Some(fields) = custom {
        row.profile_custom_field = Set(serde_json::to_string(&fields).map_err(AppError::internal)?);
    }
    row.updated_at = Set(unix_now());
    let updated = {
        let _gate = state.write_guard().await;
        row.update(&state.db).await?
    };
    state.caches.users.invalidate_user(viewer);
    let profile = Profile::own(&updated);
    state.bus.publish(
        Topic::User(viewer.to_owned()),
        std::sync::Arc::new(Event::ProfileUpdated(profile.clone())),
    );
    crate::control::publish(
        state,
        crate::events::Invalidation::Profile {
            user: viewer.to_owned(),
        },
    );
    Ok(profile)
}

/// Whether a database error is a unique-key violation (both backends).
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Touch nothing but make sure `ids` all exist; the first unknown one is `NOT_FOUND`.
pub async fn require_users(state: &AppState, ids: &[String]) -> AppResult<()> {
    let found = load_users(state, ids).await?;
    match ids.iter().find(|id| !found.contains_key(*id)) {
        Some(missing) => Err(AppError::NotFound(format!("no such user: {missing}"))),
        None => Ok(()),
    }
}
