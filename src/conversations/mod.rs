//! Conversations: each user's list, unread counts and last messages.

pub mod graphql;
pub mod service;
pub mod types;
