//! Integration tests: each starts the real server on port 0 with a fresh
//! database and talks to it over real HTTP and WebSocket connections.

mod helpers;

mod accounts;
mod beyond;
mod blacklist;
mod conformance;
mod conversation_live;
mod conversations;
mod docs;
mod error_table;
mod every_operation;
mod files;
mod group_members;
mod groups;
mod hardening;
mod http_surface;
mod instances;
mod live;
mod messaging;
mod operation_limits;
mod profiles;
mod resume;
mod rules;
mod schema_drift;
mod sessions;
mod shared_feed;
mod slow_clients;
mod statements;
mod websocket;
