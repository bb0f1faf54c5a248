//! Users and the blacklist.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(string_len(Users::UserId, 32).primary_key())
                    .col(string_len(Users::Email, 254))
                    .col(string_len_uniq(Users::EmailLower, 254))
                    .col(text(Users::PasswordHash))
                    .col(text(Users::Nick).default(""))
                    .col(text(Users::Avatar).default(""))
                    .col(string_len(Users::Gender, 32).default("Gender_Type_Unknown"))
                    .col(text(Users::SelfSignature).default(""))
                    .col(string_len(Users::AllowType, 32).default("AllowType_Type_AllowAny"))
                    .col(big_integer(Users::Birthday).default(0))
                    .col(text(Users::Location).default(""))
                    .col(big_integer(Users::Language).default(0))
                    .col(big_integer(Users::MessageSettings).default(0))
                    .col(string_len(Users::AdminForbidType, 32).default("AdminForbid_Type_None"))
                    .col(big_integer(Users::Level).default(0))
                    .col(big_integer(Users::Role).default(0))
                    .col(text(Users::ProfileCustomField).default("[]"))
                    .col(big_integer(Users::CreatedAt))
                    .col(big_integer(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Blacklist::Table)
                    .if_not_exists()
                    .col(string_len(Blacklist::OwnerId, 32))
                    .col(string_len(Blacklist::BlockedId, 32))
                    .col(big_integer(Blacklist::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Blacklist::OwnerId)
                            .col(Blacklist::BlockedId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Blacklist::Table, Blacklist::OwnerId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Blacklist::Table, Blacklist::BlockedId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Blacklist::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Users {
    Table,
    UserId,
    Email,
    EmailLower,
    PasswordHash,
    Nick,
    Avatar,
    Gender,
    SelfSignature,
    AllowType,
    Birthday,
    Location,
    Language,
    MessageSettings,
    AdminForbidType,
    Level,
    Role,
    ProfileCustomField,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Blacklist {
    Table,
    OwnerId,
    BlockedId,
    CreatedAt,
}
