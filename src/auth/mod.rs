//! Authentication: password hashing, tokens, and the viewer of a request.
//!
//! [`viewer_from_token`] is the one place a token becomes a [`Viewer`]: the
//! GraphQL HTTP and WebSocket endpoints, the compat routes and file downloads
//! all go through it, so they agree on what a valid token is.

pub mod password;
pub mod token;

pub use password::PasswordHasher;
pub use token::{Claims, TokenKeys};

use crate::error::AppResult;

/// The authenticated user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user's ID (username).
    pub user_id: String,
}

/// The viewer a bare token (no `Bearer ` scheme) stands for, or
/// `UNAUTHENTICATED` "invalid or expired token".
///
/// Callers that take `Authorization`-style values strip the scheme first with
/// [`strip_bearer`] (or get the token from [`token_from_headers`]); a `Bearer `
/// prefix is not stripped here, so a `token` header or `?token=` parameter
/// keeps accepting only the bare token.
pub fn viewer_from_token(keys: &TokenKeys, token: &str) -> AppResult<Viewer> {
    viewer_and_expiry_from_token(keys, token).map(|(viewer, _)| viewer)
}

/// Like [`viewer_from_token`], with the moment the token expires (its `exp`),
/// for a connection that outlives one request and must end with its token.
pub fn viewer_and_expiry_from_token(
    keys: &TokenKeys,
    token: &str,
) -> AppResult<(Viewer, std::time::SystemTime)> {
    keys.verify(token).map(|claims| {
        let expiry = std::time::UNIX_EPOCH + std::time::Duration::from_secs(claims.exp);
        (
            Viewer {
                user_id: claims.sub,
            },
            expiry,
        )
    })
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

    #[test]
    fn a_valid_token_gives_its_user_as_viewer() {
        let keys = keys();
        let token = keys.issue("alice").expect("issue");
        let viewer = viewer_from_token(&keys, &token).expect("valid token");
        assert_eq!(viewer.user_id, "alice");
    }

    #[test]
    fn an_invalid_token_is_unauthenticated_with_the_usual_message() {
        let err = viewer_from_token(&keys(), "not-a-jwt").expect_err("invalid token");
        assert_eq!(err.code(), "UNAUTHENTICATED");
        assert_eq!(err.message(), "invalid or expired token");
    }

    #[test]
    fn a_token_signed_with_other_keys_is_refused() {
        let other = TokenKeys::new(b"another secret of enough length", "imgql-test", 3600);
        let token = other.issue("mallory").expect("issue");
        assert!(viewer_from_token(&keys(), &token).is_err());
    }

    #[test]
    fn the_bearer_scheme_is_left_to_the_caller() {
        let keys = keys();
        let token = keys.issue("alice").expect("issue");
        assert!(viewer_from_token(&keys, &format!("Bearer {token}")).is_err());
        let stripped = strip_bearer(&format!("bearer  {token} ")).expect("bearer value");
        assert_eq!(
            viewer_from_token(&keys, &stripped).map(|v| v.user_id).ok(),
            Some("alice".to_string())
        );
    }
}
