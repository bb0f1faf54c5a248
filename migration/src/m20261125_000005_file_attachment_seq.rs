//! File links name the message sequence that carries the file, so downloads
//! follow the viewer's history floors: `file_attachments` becomes one row per
//! (file, channel, sequence), rebuilt from the sent messages whose payload
//! names the file.

use sea_orm_migration::prelude::*;

use crate::m20261125_000002_messaging::Channels;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The table being built before it takes the old one's name (one name per
/// direction: on PostgreSQL a renamed table keeps its key's index name).
#[derive(DeriveIden, Clone, Copy)]
enum Building {
    FileAttachmentsNext,
    FileAttachmentsPrev,
}

#[derive(DeriveIden)]
enum FileAttachments {
    Table,
    FileId,
    ChannelId,
    Seq,
}

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
}

/// The new shape under `table`, with or without the sequence column.
fn create(table: impl IntoIden + Clone + 'static, with_seq: bool) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(table.clone())
        .col(
            ColumnDef::new(FileAttachments::FileId)
                .string_len(40)
                .not_null(),
        )
        .col(
            ColumnDef::new(FileAttachments::ChannelId)
                .big_integer()
                .not_null(),
        );
    let mut key = Index::create();
    key.col(FileAttachments::FileId)
        .col(FileAttachments::ChannelId);
    if with_seq {
        create.col(
            ColumnDef::new(FileAttachments::Seq)
                .big_integer()
                .not_null(),
        );
        key.col(FileAttachments::Seq);
    }
    create
        .primary_key(&mut key)
        .foreign_key(
            ForeignKey::create()
                .from(table.clone(), FileAttachments::FileId)
                .to(Files::Table, Files::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(table, FileAttachments::ChannelId)
                .to(Channels::Table, Channels::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// Drop the old table, give the new one its name and index it by channel.
async fn swap(manager: &SchemaManager<'_>, from: Building, with_seq: bool) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name("ix_file_attachments_channel")
                .table(FileAttachments::Table)
                .if_exists()
                .to_owned(),
        )
        .await?;
    manager
        .drop_table(Table::drop().table(FileAttachments::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(from, FileAttachments::Table)
                .to_owned(),
        )
        .await?;
    let mut index = Index::create();
    index
        .name("ix_file_attachments_channel")
        .table(FileAttachments::Table)
        .col(FileAttachments::ChannelId);
    if with_seq {
        index.col(FileAttachments::Seq);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend: the rebuild happens whole or not at
    /// all, on one connection (on SQLite another pooled connection may still
    /// read the old schema between statements).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(create(Building::FileAttachmentsNext, true))
            .await?;
        // Every sent message of the channel whose payload names the file (a
        // revoked message's payload no longer does).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO file_attachments_next (file_id, channel_id, seq) \
                 SELECT DISTINCT a.file_id, a.channel_id, m.seq FROM file_attachments a \
                 JOIN messages m ON m.channel_id = a.channel_id \
                 WHERE m.seq IS NOT NULL AND m.payload LIKE '%' || a.file_id || '%'",
            )
            .await?;
        swap(manager, Building::FileAttachmentsNext, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(create(Building::FileAttachmentsPrev, false))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO file_attachments_prev (file_id, channel_id) \
                 SELECT DISTINCT file_id, channel_id FROM file_attachments",
            )
            .await?;
        swap(manager, Building::FileAttachmentsPrev, false).await
    }
}
