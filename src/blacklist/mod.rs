//! Who a user has blacklisted.

pub mod graphql;
pub mod service;
