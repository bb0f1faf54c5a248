//! Authentication: password hashing, tokens and their sessions, rate limits,
//! and the viewer of a request.
//!
//! [`viewer_from_token`] is the one place a token becomes a [`Viewer`]: the
//! GraphQL HTTP and WebSocket endpoints, the compat routes and file downloads
//! all go through it, so they agree on what a valid token is (signed, unexpired,
//! with a session that has not been revoked by `logout`).

pub mod client;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod token;

pub use password::PasswordHasher;
pub use session::Sessions;
pub use token::{Claims, TokenKeys};

use crate::error::{AppError, AppResult};

/// The authenticated user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user's ID (username).
    pub user_id: String,
    /// The session of the token (its `sid` claim), which `logout` revokes.
    pub session_id: String,
    /// When the token expires (Unix seconds).
    pub expires_at: i64,
}

/// The viewer a bare token (no `Bearer ` scheme) stands for, or
/// `UNAUTHENTICATED` "invalid or expired token" (also for a revoked session,
/// and for a token without a session: those were issued before sessions
/// existed and are refused, so their holders sign in again).
///
/// Callers that take `Authorization`-style values strip the scheme first with
/// [`strip_bearer`] (or get the token from [`token_from_headers`]); a `Bearer `
/// prefix is not stripped here, so a `token` header or `?token=` parameter
/// keeps accepting only the bare token.
pub fn viewer_from_token(keys: &TokenKeys, sessions: &Sessions, token: &str) -> AppResult<Viewer> {
    viewer_and_expiry_from_token(keys, sessions, token).map(|(viewer, _)| viewer)
}

/// Like [`viewer_from_token`], with the moment the token expires (its `exp`),
/// for a connection that outlives one request and must end with its token.
pub fn viewer_and_expiry_from_token(
    keys: &TokenKeys,
    sessions: &Sessions,
    token: &str,
) -> AppResult<(Viewer, std::time::SystemTime)> {
    let claims = keys.verify(token)?;
    let session_id = claims
        .sid
        .filter(|sid| !sid.is_empty() && !sessions.is_revoked(sid))
        .ok_or_else(|| AppError::Unauthenticated("invalid or expired token".into()))?;
    let expiry = std::time::UNIX_EPOCH + std::time::Duration::from_secs(claims.exp);
    Ok((
        Viewer {
            user_id: claims.sub,
            session_id,
            expires_at: i64::try_from(claims.exp).unwrap_or(i64::MAX),
        },
        expiry,
    ))
}

/// Pull a token out of the HTTP headers: `token: <jwt>` (the seed's form) or
/// `Authorization: Bearer <jwt>`.
pub fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    if let Some(value) = headers.get("token").and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if !value.is_empty() {
            return Some(value.to_string());
        }
    }
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    strip_bearer(auth)
}

/// `Bearer <jwt>` (case-insensitive scheme) to `<jwt>`.
pub fn strip_bearer(value: &str) -> Option<String> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
        Some(rest.trim().to_string())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"test secret of enough length", "imgql-test", 3600)
    }

    fn sessions() -> Sessions {
        Sessions::default()
    }

    #[test]
    fn a_valid_token_gives_its_user_as_viewer() {
        let keys = keys();
        let token = keys.issue("alice").expect("issue");
        let viewer = viewer_from_token(&keys, &sessions(), &token).expect("valid token");
        assert_eq!(viewer.user_id, "alice");
        assert!(!viewer.session_id.is_empty());
    }

    #[test]
    fn each_token_opens_its_own_session_and_a_revoked_one_is_refused() {
        let keys = keys();
        let sessions = sessions();
        let first = keys.issue("alice").expect("issue");
        let second = keys.issue("alice").expect("issue");
        let viewer = viewer_from_token(&keys, &sessions, &first).expect("valid token");
        sessions.mark_revoked(&viewer.session_id, viewer.expires_at);
        let err = viewer_from_token(&keys, &sessions, &first).expect_err("revoked");
        assert_eq!(err.code(), "UNAUTHENTICATED");
        assert!(viewer_from_token(&keys, &sessions, &second).is_ok());
    }

    #[test]
    fn an_invalid_token_is_unauthenticated_with_the_usual_message() {
        let err = viewer_from_token(&keys(), &sessions(), "not-a-jwt").expect_err("invalid token");
        assert_eq!(err.code(), "UNAUTHENTICATED");
        assert_eq!(err.message(), "invalid or expired token");
    }

    #[test]
    fn a_token_signed_with_other_keys_is_refused() {
        let other = TokenKeys::new(b"another secret of enough length", "imgql-test", 3600);
        let token = other.issue("mallory").expect("issue");
        assert!(viewer_from_token(&keys(), &sessions(), &token).is_err());
    }

    #[test]
    fn the_bearer_scheme_is_left_to_the_caller() {
        let keys = keys();
        let token = keys.issue("alice").expect("issue");
        assert!(viewer_from_token(&keys, &sessions(), &format!("Bearer {token}")).is_err());
        let stripped = strip_bearer(&format!("bearer  {token} ")).expect("bearer value");
        assert_eq!(
            viewer_from_token(&keys, &sessions(), &stripped)
                .map(|v| v.user_id)
                .ok(),
            Some("alice".to_string())
        );
    }
}
