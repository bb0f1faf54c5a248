//! SPEC rules that had no test of their own: revokes and forwards of what
//! cannot be revoked or forwarded, history after deleting, quitting and
//! rejoining, read receipts, input limits, authentication and the start-up
//! configuration check.

mod auth;
mod config;
mod forwarding;
mod history;
mod limits;
mod receipts;
mod revoking;
