//! The original `POST` routes with JSON bodies and the `{code, msg, data}`
//! envelope. Thin adapters: every rule lives in the domain services.

pub mod envelope;
pub mod files;
pub mod groups;
pub mod messages;
pub mod users;

use axum::Router;

use crate::app::AppState;

pub use envelope::{ok, CompatJson, CompatResult, CompatViewer};

/// All compat routes.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .merge(users::routes())
        .merge(files::routes())
        .merge(messages::routes())
        .merge(groups::routes())
        .with_state(state)
}
