//! Database migrations of imgql, one file per change, applied in order.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_accounts;
mod m20261125_000002_messaging;
mod m20261125_000003_files;
mod m20261125_000004_groups;
mod m20261125_000005_file_attachment_seq;
mod m20261125_000006_sessions;
mod m20261201_000010_group_pins;
mod m20261201_000011_message_replies;
mod m20261201_000012_blacklist_blocked;
mod m20261201_000013_message_reactions;
mod m20261201_000014_message_revisions;
mod m20261201_000015_read_receipts;
mod m20261201_000016_user_statuses;

/// Every migration of imgql, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_accounts::Migration),
            Box::new(m20261125_000002_messaging::Migration),
            Box::new(m20261125_000003_files::Migration),
            Box::new(m20261125_000004_groups::Migration),
            Box::new(m20261125_000005_file_attachment_seq::Migration),
            Box::new(m20261125_000006_sessions::Migration),
            Box::new(m20261201_000010_group_pins::Migration),
            Box::new(m20261201_000011_message_replies::Migration),
            Box::new(m20261201_000012_blacklist_blocked::Migration),
            Box::new(m20261201_000013_message_reactions::Migration),
            Box::new(m20261201_000014_message_revisions::Migration),
            Box::new(m20261201_000015_read_receipts::Migration),
            Box::new(m20261201_000016_user_statuses::Migration),
        ]
    }
}
