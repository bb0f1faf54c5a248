//! Groups and their members: the rules of SPEC sections 6 and 7, tips and
//! system notices, and the live `groupUpdated` event.

mod change;
pub mod graphql;
pub mod members;
pub mod rules;
pub mod service;
pub mod types;
