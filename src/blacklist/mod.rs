//! Who a user has blacklisted.

pub mod cache;
pub mod graphql;
pub mod service;
