//! Pinned group messages: at most a few per group, listed in pinning order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GroupPinnedMessages::Table)
                    .if_not_exists()
                    .col(string_len(GroupPinnedMessages::GroupId, 64))
                    .col(string_len(GroupPinnedMessages::MessageId, 64))
                    .col(string_len(GroupPinnedMessages::PinnedBy, 32))
                    .col(big_integer(GroupPinnedMessages::PinnedAt))
                    .primary_key(
                        Index::create()
                            .col(GroupPinnedMessages::GroupId)
                            .col(GroupPinnedMessages::MessageId),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GroupPinnedMessages::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum GroupPinnedMessages {
    Table,
    GroupId,
    MessageId,
    PinnedBy,
    PinnedAt,
}
