//! Uploaded files, their image renditions, and the channels whose messages carry them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{m20261125_000001_accounts::Users, m20261125_000002_messaging::Channels};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Files::Table)
                    .if_not_exists()
                    .col(string_len(Files::Id, 40).primary_key())
                    .col(string_len(Files::OwnerId, 32))
                    .col(string_len(Files::Kind, 8))
                    .col(string_len(Files::Mime, 128))
                    .col(text(Files::Name))
                    .col(big_integer(Files::Size))
                    .col(string_len(Files::StorageKey, 80))
                    .col(integer_null(Files::Width))
                    .col(integer_null(Files::Height))
                    .col(integer_null(Files::ImageFormat))
                    .col(string_len_null(Files::BigKey, 80))
                    .col(string_len_null(Files::BigMime, 64))
                    .col(big_integer_null(Files::BigSize))
                    .col(integer_null(Files::BigWidth))
                    .col(integer_null(Files::BigHeight))
                    .col(string_len_null(Files::SmallKey, 80))
                    .col(string_len_null(Files::SmallMime, 64))
                    .col(big_integer_null(Files::SmallSize))
                    .col(integer_null(Files::SmallWidth))
                    .col(integer_null(Files::SmallHeight))
                    .col(big_integer(Files::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Files::Table, Files::OwnerId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_files_owner")
                    .table(Files::Table)
                    .col(Files::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FileAttachments::Table)
                    .if_not_exists()
                    .col(string_len(FileAttachments::FileId, 40))
                    .col(big_integer(FileAttachments::ChannelId))
                    .primary_key(
                        Index::create()
                            .col(FileAttachments::FileId)
                            .col(FileAttachments::ChannelId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FileAttachments::Table, FileAttachments::FileId)
                            .to(Files::Table, Files::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FileAttachments::Table, FileAttachments::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deleting a channel cascades here; without an index that is a full scan.
        manager
            .create_index(
                Index::create()
                    .name("ix_file_attachments_channel")
                    .table(FileAttachments::Table)
                    .col(FileAttachments::ChannelId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [FileAttachments::Table.into_iden(), Files::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OwnerId,
    Kind,
    Mime,
    Name,
    Size,
    StorageKey,
    Width,
    Height,
    ImageFormat,
    BigKey,
    BigMime,
    BigSize,
    BigWidth,
    BigHeight,
    SmallKey,
    SmallMime,
    SmallSize,
    SmallWidth,
    SmallHeight,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FileAttachments {
    Table,
    FileId,
    ChannelId,
}
