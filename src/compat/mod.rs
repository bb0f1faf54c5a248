//! The original `POST` routes with JSON bodies and the `{code, msg, data}`
//! envelope. Thin adapters: every rule lives in the domain services.

pub mod codes;
pub mod envelope;
pub mod extras;
pub mod files;
pub mod groups;
pub mod messages;
pub mod users;

use axum::{extract::FromRef, Router};

use crate::state::AppState;

pub use envelope::{ok, CompatError, CompatJson, CompatResult, CompatViewer};

/// All compat routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .merge(users::routes())
        .merge(files::routes())
        .merge(messages::routes())
        .merge(groups::routes())
        .merge(extras::routes())
}
