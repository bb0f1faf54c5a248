//! SeaORM entities of imgql: persistence rows only (no API types live here).

pub mod blacklist;
pub mod channels;
pub mod conversation_states;
pub mod file_attachments;
pub mod files;
pub mod group_applications;
pub mod group_members;
pub mod group_pinned_messages;
pub mod groups;
pub mod kinds;
pub mod message_reactions;
pub mod message_replies;
pub mod message_revisions;
pub mod messages;
pub mod revoked_sessions;
pub mod user_statuses;
pub mod users;

pub use sea_orm;
