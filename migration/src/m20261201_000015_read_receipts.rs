//! Group read receipts from read positions: who has (and has not) read a
//! group message is counted and listed from the group's state rows, by
//! conversation, with no query per member.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_conversation_states_conversation_read")
                    .table(ConversationStates::Table)
                    .col(ConversationStates::ConversationId)
                    .col(ConversationStates::ReadSeq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversation_states_conversation_user")
                    .table(ConversationStates::Table)
                    .col(ConversationStates::ConversationId)
                    .col(ConversationStates::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in [
            "ix_conversation_states_conversation_read",
            "ix_conversation_states_conversation_user",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(ConversationStates::Table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ConversationStates {
    Table,
    ConversationId,
    ReadSeq,
    UserId,
}
