//! Edited messages: every version of an edited message's payload, the
//! original as version 0; a message with no row here was never edited.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageRevisions::Table)
                    .if_not_exists()
                    .col(string_len(MessageRevisions::MessageId, 64))
                    .col(big_integer(MessageRevisions::Version))
                    .col(text(MessageRevisions::Payload))
                    .col(big_integer(MessageRevisions::EditTime))
                    .primary_key(
                        Index::create()
                            .col(MessageRevisions::MessageId)
                            .col(MessageRevisions::Version),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageRevisions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MessageRevisions {
    Table,
    MessageId,
    Version,
    Payload,
    EditTime,
}
