//! TIM's numeric codes: what the compat envelope's `code` says for each error.

use crate::error::AppError;

/// The numeric code of the compat envelope (TIM's where TIM has one, else
/// the HTTP status number).
pub fn tim_code(err: &AppError) -> i64 {
    match err {
        AppError::BadUserInput(_) => 400,
        AppError::Unauthenticated(_) => 70001,
        AppError::Forbidden(_) | AppError::NotGroupMember(_) => 10007,
        AppError::Blocked(_) => 20007,
        AppError::Muted(_) => 10017,
        AppError::NotFound(_) => 404,
        AppError::GroupNotFound(_) => 10010,
        AppError::Conflict(_) => 409,
        AppError::GroupIdTaken(_) => 10021,
        AppError::AlreadyMember(_) => 10013,
        AppError::GroupFull(_) => 10014,
        AppError::OwnerCannotQuit(_) => 10009,
        AppError::RevokeTimeLimit { group: false, .. } => 20016,
        AppError::RevokeTimeLimit { group: true, .. } => 10031,
        AppError::PayloadTooLarge(_) => 413,
        AppError::RateLimited { .. } | AppError::Lagged => 429,
        AppError::Internal(_) => 500,
        AppError::Unavailable(_) => 503,
    }
}
