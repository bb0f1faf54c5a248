//! The one error type of imgql: a stable string code (GraphQL
//! `extensions.code`), a client message and an HTTP status. The surfaces map
//! it further: `graphql/codes.rs` to GraphQL errors, `compat/codes.rs` to
//! TIM's numeric codes and the `{code, msg, data}` envelope.

use axum::http::StatusCode;

/// The cause of an `INTERNAL` or `UNAVAILABLE` error: kept for the log at the
/// boundary, never sent to clients.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Every failure a request can end in. Internal causes travel with the error
/// and are logged once, by [`AppError::report`], where it leaves the process.
// Deliberately not `Display`: async-graphql has a blanket `From<impl Display>`
// that would drop `extensions.code`; without it a bare `?` in a resolver goes
// through our `From` impl (graphql/codes.rs) and always carries the code.
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
    /// Too many requests; another may follow after `retry_after_ms`.
    RateLimited {
        /// Human-readable message.
        message: String,
        /// Milliseconds until the limit allows the request again.
        retry_after_ms: u64,
    },
    /// A live subscriber fell too far behind; it must re-subscribe and re-read history.
    Lagged,
    /// The database is unreachable; the cause is logged, not sent.
    Unavailable(Cause),
    /// Anything unexpected; the cause is logged, not sent.
    Internal(Cause),
}

/// Shorthand for results of imgql operations.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// `BAD_USER_INPUT` naming a field.
    pub fn bad_input(field: &str, why: impl std::fmt::Display) -> Self {
        Self::BadUserInput(format!("{field}: {why}"))
    }

    /// `INTERNAL` keeping its cause: an error value, or a short description
    /// of the broken invariant.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    /// For `RATE_LIMITED`, the milliseconds until a retry may succeed
    /// (`extensions.retryAfterMs` on GraphQL, `data.retryAfterMs` on compat).
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_ms, .. } => Some(*retry_after_ms),
            _ => None,
        }
    }

    /// A copy for another receiver of the same failure (a shared live feed
    /// ends every subscription of a socket with it): the same code and
    /// message; a cause becomes its text.
    pub fn duplicate(&self) -> Self {
        let text = |cause: &Cause| -> Cause { Chain(&**cause).to_string().into() };
        match self {
            Self::BadUserInput(m) => Self::BadUserInput(m.clone()),
            Self::Unauthenticated(m) => Self::Unauthenticated(m.clone()),
            Self::Forbidden(m) => Self::Forbidden(m.clone()),
            Self::Blocked(m) => Self::Blocked(m.clone()),
            Self::Muted(m) => Self::Muted(m.clone()),
            Self::NotFound(m) => Self::NotFound(m.clone()),
            Self::GroupNotFound(m) => Self::GroupNotFound(m.clone()),
            Self::NotGroupMember(m) => Self::NotGroupMember(m.clone()),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::GroupIdTaken(m) => Self::GroupIdTaken(m.clone()),
            Self::AlreadyMember(m) => Self::AlreadyMember(m.clone()),
            Self::GroupFull(m) => Self::GroupFull(m.clone()),
            Self::OwnerCannotQuit(m) => Self::OwnerCannotQuit(m.clone()),
            Self::RevokeTimeLimit { message, group } => Self::RevokeTimeLimit {
                message: message.clone(),
                group: *group,
            },
            Self::PayloadTooLarge(m) => Self::PayloadTooLarge(m.clone()),
            Self::RateLimited {
                message,
                retry_after_ms,
            } => Self::RateLimited {
                message: message.clone(),
                retry_after_ms: *retry_after_ms,
            },
            Self::Lagged => Self::Lagged,
            Self::Unavailable(cause) => Self::Unavailable(text(cause)),
            Self::Internal(cause) => Self::Internal(text(cause)),
        }
    }

    /// The cause of an `INTERNAL` or `UNAVAILABLE` error.
    pub fn cause(&self) -> Option<&Cause> {
        match self {
            Self::Internal(cause) | Self::Unavailable(cause) => Some(cause),
            _ => None,
        }
    }

    /// Log this error where it leaves the process (`at` names the place):
    /// `INTERNAL` and `UNAVAILABLE` with their cause, at error level; the
    /// others are the client's doing and only show at debug level. Call it
    /// once per error, at the boundary, never where the error is made.
    pub fn report(&self, at: &'static str) {
        let code = self.code();
        match self.cause() {
            Some(cause) => {
                tracing::error!(at, code, cause = %Chain(&**cause), "unexpected failure")
            }
            None => tracing::debug!(at, code, message = %self.message(), "refused"),
        }
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
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Lagged => "SUBSCRIPTION_LAGGED",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// The HTTP status when the error answers a plain HTTP request (the
    /// compat envelope, GraphQL-over-HTTP request errors, file downloads).
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
            Self::RateLimited { .. } | Self::Lagged => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            | Self::PayloadTooLarge(m) => m.clone(),
            Self::RevokeTimeLimit { message, .. } | Self::RateLimited { message, .. } => {
                message.clone()
            }
            Self::Lagged => {
                "this subscription fell behind and was ended: subscribe again and reload history"
                    .into()
            }
            Self::Unavailable(_) => "service unavailable".into(),
            Self::Internal(_) => "internal error".into(),
        }
    }
}

/// An error and its sources, `outer: inner: ...`, for the log.
struct Chain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(err) = source {
            write!(f, ": {err}")?;
            source = err.source();
        }
        Ok(())
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable(Box::new(err)),
            // PostgreSQL refuses NUL in text (SQLSTATE 22021). Text inputs are
            // checked by `users::validate::text`; this keeps any string that
            // only reaches a query (an ID looked up) a client error too.
            _ if err
                .to_string()
                .contains("invalid byte sequence for encoding") =>
            {
                Self::BadUserInput("text must not contain NUL (U+0000) characters".into())
            }
            _ => Self::Internal(Box::new(err)),
        }
    }
}
