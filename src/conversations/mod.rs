//! Conversations: each user's list, unread counts and last messages.

pub mod graphql;
pub mod graphql_extras;
pub mod live;
pub mod pins;
pub mod service;
pub mod types;
pub mod typing;
pub mod typing_tracker;
pub mod unread;
