//! User status: each user's custom status and when they were last online
//! (whether they are online now comes from live sockets, not from here).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserStatuses::Table)
                    .if_not_exists()
                    .col(string_len(UserStatuses::UserId, 32).primary_key())
                    .col(text(UserStatuses::CustomStatus))
                    .col(big_integer(UserStatuses::LastSeen))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(UserStatuses::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum UserStatuses {
    Table,
    UserId,
    CustomStatus,
    LastSeen,
}
