//! Who has blacklisted a user (typing status and user status are hidden from
//! them): an index on the blocked side of the blacklist.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_blacklist_blocked_id")
                    .table(Blacklist::Table)
                    .col(Blacklist::BlockedId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_blacklist_blocked_id")
                    .table(Blacklist::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Blacklist {
    Table,
    BlockedId,
}
