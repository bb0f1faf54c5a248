//! Accounts and profiles.

pub mod cache;
pub mod graphql;
pub mod graphql_extras;
pub mod service;
pub mod status;
pub mod types;
pub mod validate;
