//! Authentication: password hashing, tokens, and the viewer of a request.

pub mod password;
pub mod token;

pub use password::PasswordHasher;
pub use token::{Claims, TokenKeys};

/// The authenticated user a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user's ID (username).
    pub user_id: String,
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
