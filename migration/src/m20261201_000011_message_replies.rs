//! Quote replies: the snapshot of the quoted message each reply keeps.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageReplies::Table)
                    .if_not_exists()
                    .col(string_len(MessageReplies::MessageId, 64).primary_key())
                    .col(string_len(MessageReplies::ReplyToId, 64))
                    .col(string_len(MessageReplies::ReplyFrom, 32))
                    .col(big_integer(MessageReplies::ReplySeq))
                    .col(text(MessageReplies::MessageForShow))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageReplies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MessageReplies {
    Table,
    MessageId,
    ReplyToId,
    ReplyFrom,
    ReplySeq,
    MessageForShow,
}
