//! Messages: creation, sending, revocation, history and read receipts.

pub mod graphql;
pub mod input;
pub mod payload;
pub mod service;
pub mod targets;
pub mod types;
pub mod view;
