//! Groups and their members: the rules of SPEC sections 6 and 7, tips and
//! system notices, and the live `groupUpdated` event.
//!
//! Operations by concern: [`lifecycle`] (create, profile, owner, quit,
//! dismiss), [`joining`] (join, apply, applications), [`members`], and
//! [`queries`]; [`views`] builds what they return, [`hooks`] is what
//! messaging and conversations ask of groups. Every change opens through
//! `preamble` and runs as one `change::Change`.

pub mod cache;
mod change;
pub mod graphql;
pub mod graphql_extras;
pub mod hooks;
pub mod joining;
pub mod lifecycle;
pub mod listing;
pub mod members;
pub mod pins;
mod preamble;
pub mod queries;
pub mod receipts;
pub mod rules;
mod steps;
pub mod types;
pub mod validate;
pub mod views;
