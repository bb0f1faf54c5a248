//! GraphQL: the schema (built without I/O), its HTTP and WebSocket endpoints, and GraphiQL.
//!
//! Domain adapters import [`ContextExt`] from [`context`]; nothing below this
//! module imports [`schema`].

pub mod codes;
pub mod context;
pub mod doc_cache;
pub mod graphiql;
pub mod hooks;
pub mod http;
pub mod limits;
pub mod schema;
pub mod ws;

use axum::{extract::FromRef, routing::get, Router};

use crate::state::AppState;

pub use context::{Auth, ContextExt};
pub use schema::{build_schema, export_sdl, schema_builder, AppSchema};

/// `/graphql` (HTTP) and `/graphql/ws` (WebSocket).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
    AppSchema: FromRef<S>,
{
    Router::new()
        .route("/graphql", get(http::graphql_get).post(http::graphql_post))
        .route("/graphql/ws", get(http::graphql_ws))
}
