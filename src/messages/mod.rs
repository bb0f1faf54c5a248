//! Messages: composing payloads, sending, history and read state, revoking,
//! the message store (the one unit of work every write goes through) and the
//! live feed.

pub mod cache;
pub mod compose;
pub mod conversation_id;
pub mod edits;
pub mod extras;
pub mod feed;
pub mod graphql;
pub mod graphql_extras;
pub mod history;
pub mod input;
pub mod notices;
pub mod payload;
pub mod reactions;
pub mod replay;
pub mod replies;
pub mod revoke;
pub mod send;
pub mod service;
pub mod socket_feed;
pub mod store;
pub mod targets;
pub mod types;
pub mod view;
