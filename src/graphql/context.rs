//! What resolvers read from the context: the state and the viewer.

use async_graphql::Context;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    state::AppState,
};

/// How the request authenticated, put in the request (or socket) data.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A valid token.
    Viewer(Viewer),
    /// No token was given.
    Anonymous,
    /// A token was given but did not verify.
    Invalid,
}

/// Accessors for resolvers.
pub trait ContextExt {
    /// The application state.
    fn state(&self) -> AppResult<&AppState>;
    /// The authenticated viewer, or `UNAUTHENTICATED`.
    fn viewer(&self) -> AppResult<&Viewer>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        self.data::<AppState>()
            .map_err(|_| AppError::internal("AppState missing from schema data"))
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        match self.data_opt::<Auth>() {
            Some(Auth::Viewer(viewer)) => Ok(viewer),
            Some(Auth::Invalid) => {
                Err(AppError::Unauthenticated("invalid or expired token".into()))
            }
            _ => Err(AppError::Unauthenticated(
                "a token is required: send `token` or `Authorization: Bearer`".into(),
            )),
        }
    }
}
