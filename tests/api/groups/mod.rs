//! Groups on both surfaces: SPEC section 6's rules table cell by cell, join
//! applications, tips and system notices, group messaging (mute, mentions,
//! revocation, remind types, unread counts, history by type) and live delivery.

pub mod support;

mod joining;
mod large_changes;
mod lifecycle;
mod live;
mod many;
mod messaging;
mod muting;
mod profile;
mod roles;
