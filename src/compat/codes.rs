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

#[cfg(test)]
mod tests {
    use super::tim_code;
    use crate::error::AppError;

    /// SPEC section 10, row by row: GraphQL code, compat code, HTTP status.
    #[test]
    fn every_error_maps_to_its_spec_row() {
        let text = || String::from("why");
        let table: Vec<(AppError, &str, i64, u16)> = vec![
            (AppError::BadUserInput(text()), "BAD_USER_INPUT", 400, 400),
            (
                AppError::Unauthenticated(text()),
                "UNAUTHENTICATED",
                70001,
                401,
            ),
            (AppError::Forbidden(text()), "FORBIDDEN", 10007, 403),
            (AppError::Blocked(text()), "BLOCKED", 20007, 403),
            (AppError::Muted(text()), "MUTED", 10017, 403),
            (AppError::NotFound(text()), "NOT_FOUND", 404, 404),
            (
                AppError::GroupNotFound(text()),
                "GROUP_NOT_FOUND",
                10010,
                404,
            ),
            (
                AppError::NotGroupMember(text()),
                "NOT_GROUP_MEMBER",
                10007,
                403,
            ),
            (AppError::Conflict(text()), "CONFLICT", 409, 409),
            (AppError::GroupIdTaken(text()), "GROUP_ID_TAKEN", 10021, 409),
            (
                AppError::AlreadyMember(text()),
                "ALREADY_MEMBER",
                10013,
                409,
            ),
            (AppError::GroupFull(text()), "GROUP_FULL", 10014, 409),
            (
                AppError::OwnerCannotQuit(text()),
                "OWNER_CANNOT_QUIT",
                10009,
                409,
            ),
            (
                AppError::RevokeTimeLimit {
                    message: text(),
                    group: false,
                },
                "REVOKE_TIME_LIMIT",
                20016,
                409,
            ),
            (
                AppError::RevokeTimeLimit {
                    message: text(),
                    group: true,
                },
                "REVOKE_TIME_LIMIT",
                10031,
                409,
            ),
            (
                AppError::PayloadTooLarge(text()),
                "PAYLOAD_TOO_LARGE",
                413,
                413,
            ),
            (
                AppError::RateLimited {
                    message: text(),
                    retry_after_ms: 1,
                },
                "RATE_LIMITED",
                429,
                429,
            ),
            (AppError::internal("a cause"), "INTERNAL", 500, 500),
            (
                AppError::Unavailable("down".into()),
                "UNAVAILABLE",
                503,
                503,
            ),
        ];
        for (err, code, tim, status) in table {
            assert_eq!(err.code(), code);
            assert_eq!(tim_code(&err), tim, "{code}");
            assert_eq!(err.status().as_u16(), status, "{code}");
        }
    }

    #[test]
    fn internal_errors_never_say_their_cause() {
        let err = AppError::internal("secret table name");
        assert!(!err.message().contains("secret"), "{}", err.message());
    }
}
