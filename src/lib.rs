//! imgql: an instant-messaging backend in the style of the Tencent Cloud IM
//! Web SDK, served as a GraphQL API with live WebSocket delivery and the
//! original JSON `POST` routes.

pub mod app;
pub mod auth;
pub mod blacklist;
pub mod cache;
pub mod compat;
pub mod config;
pub mod control;
pub mod conversations;
pub mod error;
pub mod events;
pub mod files;
pub mod graphql;
pub mod groups;
pub mod health;
pub mod messages;
pub mod metrics;
pub mod realtime;
pub mod secret;
pub mod server;
pub mod state;
pub mod users;
pub mod util;
pub mod writer;

pub use app::{router, serve};
pub use config::Config;
pub use state::AppState;
