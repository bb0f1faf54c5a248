//! Channels (one message stream each), messages stored once per channel, and
//! each user's view of a conversation.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261125_000001_accounts::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Channels::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Channels::Id))
                    .col(string_len_uniq(Channels::ChannelKey, 128))
                    .col(string_len(Channels::Kind, 16))
                    .col(big_integer(Channels::LastSeq).default(0))
                    .col(big_integer(Channels::LastActivity).default(0))
                    .col(big_integer(Channels::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(string_len(Messages::Id, 40).primary_key())
                    .col(big_integer(Messages::ChannelId))
                    .col(big_integer_null(Messages::Seq))
                    .col(string_len(Messages::SenderId, 32))
                    .col(string_len(Messages::ConversationType, 16))
                    .col(string_len(Messages::ToId, 64))
                    .col(string_len(Messages::MsgType, 32))
                    .col(text(Messages::Payload))
                    .col(string_len(Messages::Priority, 16))
                    .col(string_len(Messages::Status, 16))
                    .col(boolean(Messages::IsRevoked).default(false))
                    .col(text(Messages::AtUserList).default("[]"))
                    .col(text(Messages::CloudCustomData).default(""))
                    .col(text(Messages::NameCard).default(""))
                    .col(string_len_null(Messages::ClientMsgId, 64))
                    .col(big_integer(Messages::Time))
                    .col(big_integer(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // History pages are keyset scans on (channel, seq); NULL seqs (unsent
        // messages) do not collide in a unique index on either backend.
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_channel_seq")
                    .table(Messages::Table)
                    .col(Messages::ChannelId)
                    .col(Messages::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_sender_client_msg_id")
                    .table(Messages::Table)
                    .col(Messages::SenderId)
                    .col(Messages::ClientMsgId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_messages_sender_status")
                    .table(Messages::Table)
                    .col(Messages::ChannelId)
                    .col(Messages::SenderId)
                    .col(Messages::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationStates::Table)
                    .if_not_exists()
                    .col(string_len(ConversationStates::UserId, 32))
                    .col(string_len(ConversationStates::ConversationId, 80))
                    .col(big_integer(ConversationStates::ChannelId))
                    .col(big_integer(ConversationStates::ReadSeq).default(0))
                    .col(big_integer(ConversationStates::ReadAt).default(0))
                    .col(big_integer(ConversationStates::ClearedSeq).default(0))
                    .col(boolean(ConversationStates::Deleted).default(false))
                    .col(boolean(ConversationStates::Pinned).default(false))
                    .col(string_len(ConversationStates::RemindType, 32).default("AcceptAndNotify"))
                    .col(big_integer(ConversationStates::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ConversationStates::UserId)
                            .col(ConversationStates::ConversationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationStates::Table, ConversationStates::UserId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationStates::Table, ConversationStates::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversation_states_channel")
                    .table(ConversationStates::Table)
                    .col(ConversationStates::ChannelId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ConversationStates::Table.into_iden(),
            Messages::Table.into_iden(),
            Channels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Channels {
    Table,
    Id,
    ChannelKey,
    Kind,
    LastSeq,
    LastActivity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ChannelId,
    Seq,
    SenderId,
    ConversationType,
    ToId,
    MsgType,
    Payload,
    Priority,
    Status,
    IsRevoked,
    AtUserList,
    CloudCustomData,
    NameCard,
    ClientMsgId,
    Time,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConversationStates {
    Table,
    UserId,
    ConversationId,
    ChannelId,
    ReadSeq,
    ReadAt,
    ClearedSeq,
    Deleted,
    Pinned,
    RemindType,
    UpdatedAt,
}
