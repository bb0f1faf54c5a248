//! Message reactions: one row per (message, reaction, user), with an
//! increasing ID that orders each reaction's users and pages them by keyset.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MessageReactions::Table)
                    .if_not_exists()
                    .col(big_pk_auto(MessageReactions::Id))
                    .col(string_len(MessageReactions::MessageId, 64))
                    .col(string_len(MessageReactions::ReactionId, 32))
                    .col(string_len(MessageReactions::UserId, 32))
                    .col(big_integer(MessageReactions::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // One reaction per user, and the pages of a reaction's users by ID.
        manager
            .create_index(
                Index::create()
                    .name("ux_message_reactions_user")
                    .table(MessageReactions::Table)
                    .col(MessageReactions::MessageId)
                    .col(MessageReactions::ReactionId)
                    .col(MessageReactions::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_message_reactions_page")
                    .table(MessageReactions::Table)
                    .col(MessageReactions::MessageId)
                    .col(MessageReactions::ReactionId)
                    .col(MessageReactions::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MessageReactions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MessageReactions {
    Table,
    Id,
    MessageId,
    ReactionId,
    UserId,
    CreatedAt,
}
