//! Accounts and profiles.

pub mod cache;
pub mod graphql;
pub mod service;
pub mod types;
pub mod validate;
