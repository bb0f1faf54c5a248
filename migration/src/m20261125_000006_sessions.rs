//! Revoked sessions: a token whose `sid` is here was ended by `logout`. Each
//! row keeps the token's expiry so it can be deleted once the token is dead.

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
                    .table(RevokedSessions::Table)
                    .if_not_exists()
                    .col(string_len(RevokedSessions::SessionId, 64).primary_key())
                    .col(string_len(RevokedSessions::UserId, 32))
                    .col(big_integer(RevokedSessions::ExpiresAt))
                    .col(big_integer(RevokedSessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RevokedSessions::Table, RevokedSessions::UserId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_revoked_sessions_expires_at")
                    .table(RevokedSessions::Table)
                    .col(RevokedSessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RevokedSessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RevokedSessions {
    Table,
    SessionId,
    UserId,
    ExpiresAt,
    RevokedAt,
}
