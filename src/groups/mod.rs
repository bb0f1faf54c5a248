//! Groups and their members.

pub mod service;
