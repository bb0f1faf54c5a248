//! The one error type of imgql, mapped to GraphQL `extensions.code` and to the
//! compat envelope `{code, msg, data}` with an HTTP status.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

/// Every failure a request can end in. Internal causes are logged once where
/// they are converted and never sent to clients.
// Deliberately not `Display`: async-graphql has a blanket `From<impl Display>`
// that would drop `extensions.code`; without it a bare `?` in a resolver goes
// through our `From` impl below and always carries the code.
#[derive(Debug)]
pub enum AppError {
    /// Malformed or invalid input; the message names the field.
    BadUserInput(String),
    /// No, bad or expired token; wrong credentials.
    Unauthenticated(String),
    /// Not allowed by role or group type.
    Forbidden(String),
    /// The recipient has blacklisted the sender.
    Blocked(String),
    /// Muted in the group.
    Muted(String),
    /// No such user, message or conversation, or not visible to the viewer.
    NotFound(String),
    /// No such group, or dismissed.
    GroupNotFound(String),
    /// The operation needs membership.
    NotGroupMember(String),
    /// Username or email taken.
    Conflict(String),
    /// Custom groupID in use.
    GroupIdTaken(String),
    /// Already in the group.
    AlreadyMember(String),
    /// Member limit reached.
    GroupFull(String),
    /// The owner must hand over or dismiss first.
    OwnerCannotQuit(String),
    /// Revoking after the time limit; `group` selects TIM's group code.
    RevokeTimeLimit {
        /// Human-readable message.
        message: String,
        /// Whether the message is in a group conversation.
        group: bool,
    },
    /// Body or file too large.
    PayloadTooLarge(String),
    /// Too many requests.
    RateLimited(String),
    /// A live subscriber fell too far behind; it must re-subscribe and re-read history.
    Lagged,
    /// The database is unreachable.
    Unavailable,
    /// Anything unexpected; details are logged, not sent.
    Internal,
}

/// Shorthand for results of imgql operations.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// `BAD_USER_INPUT` naming a field.
    pub fn bad_input(field: &str, why: impl std::fmt::Display) -> Self {
        Self::BadUserInput(format!("{field}: {why}"))
    }

    /// Log an unexpected cause once and hide it behind `INTERNAL`.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::Internal
    }

    /// The stable string code (GraphQL `extensions.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Blocked(_) => "BLOCKED",
            Self::Muted(_) => "MUTED",
            Self::NotFound(_) => "NOT_FOUND",
            Self::GroupNotFound(_) => "GROUP_NOT_FOUND",
            Self::NotGroupMember(_) => "NOT_GROUP_MEMBER",
            Self::Conflict(_) => "CONFLICT",
            Self::GroupIdTaken(_) => "GROUP_ID_TAKEN",
            Self::AlreadyMember(_) => "ALREADY_MEMBER",
            Self::GroupFull(_) => "GROUP_FULL",
            Self::OwnerCannotQuit(_) => "OWNER_CANNOT_QUIT",
            Self::RevokeTimeLimit { .. } => "REVOKE_TIME_LIMIT",
            Self::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::Lagged => "SUBSCRIPTION_LAGGED",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The numeric code of the compat envelope (TIM's where TIM has one).
    pub fn compat_code(&self) -> i64 {
        match self {
            Self::BadUserInput(_) => 400,
            Self::Unauthenticated(_) => 70001,
            Self::Forbidden(_) | Self::NotGroupMember(_) => 10007,
            Self::Blocked(_) => 20007,
            Self::Muted(_) => 10017,
            Self::NotFound(_) => 404,
            Self::GroupNotFound(_) => 10010,
            Self::Conflict(_) => 409,
            Self::GroupIdTaken(_) => 10021,
            Self::AlreadyMember(_) => 10013,
            Self::GroupFull(_) => 10014,
            Self::OwnerCannotQuit(_) => 10009,
            Self::RevokeTimeLimit { group: false, .. } => 20016,
            Self::RevokeTimeLimit { group: true, .. } => 10031,
            Self::PayloadTooLarge(_) => 413,
            Self::RateLimited(_) | Self::Lagged => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }

    /// The HTTP status of the compat envelope.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadUserInput(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Blocked(_) | Self::Muted(_) | Self::NotGroupMember(_) => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound(_) | Self::GroupNotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_)
            | Self::GroupIdTaken(_)
            | Self::AlreadyMember(_)
            | Self::GroupFull(_)
            | Self::OwnerCannotQuit(_)
            | Self::RevokeTimeLimit { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) | Self::Lagged => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The human-readable message sent to clients.
    pub fn message(&self) -> String {
        match self {
            Self::BadUserInput(m)
            | Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::Blocked(m)
            | Self::Muted(m)
            | Self::NotFound(m)
            | Self::GroupNotFound(m)
            | Self::NotGroupMember(m)
            | Self::Conflict(m)
            | Self::GroupIdTaken(m)
            | Self::AlreadyMember(m)
            | Self::GroupFull(m)
            | Self::OwnerCannotQuit(m)
            | Self::PayloadTooLarge(m)
            | Self::RateLimited(m) => m.clone(),
            Self::RevokeTimeLimit { message, .. } => message.clone(),
            Self::Lagged => {
                "this subscription fell behind and was ended: subscribe again and reload history"
                    .into()
            }
            Self::Unavailable => "service unavailable".into(),
            Self::Internal => "internal error".into(),
        }
    }

    /// Convert to a GraphQL error carrying `extensions.code`.
    pub fn to_graphql(&self) -> async_graphql::Error {
        use async_graphql::ErrorExtensions;
        let code = self.code();
        async_graphql::Error::new(self.message()).extend_with(|_, ext| ext.set("code", code))
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::error!(cause = %err, "database unavailable");
                Self::Unavailable
            }
            _ => Self::internal(err),
        }
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.to_graphql()
    }
}

/// The compat envelope of an error.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = json!({ "code": self.compat_code(), "msg": self.message(), "data": null });
        (self.status(), Json(body)).into_response()
    }
}
