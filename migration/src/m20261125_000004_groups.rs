//! Groups, their members and join applications. A group's messages live in
//! its channel (`group:<groupID>`); membership as messaging sees it is the
//! member's `GROUP<groupID>` conversation state, written with the member row.

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
                    .table(Groups::Table)
                    .if_not_exists()
                    .col(string_len(Groups::GroupId, 48).primary_key())
                    .col(string_len(Groups::GroupType, 16))
                    .col(string_len(Groups::Name, 64))
                    .col(text(Groups::Avatar).default(""))
                    .col(text(Groups::Introduction).default(""))
                    .col(text(Groups::Notification).default(""))
                    // Empty for a work group whose owner quit.
                    .col(string_len(Groups::OwnerId, 32).default(""))
                    .col(big_integer(Groups::ChannelId))
                    .col(big_integer(Groups::MemberCount).default(0))
                    .col(big_integer(Groups::MaxMemberCount))
                    .col(string_len(Groups::JoinOption, 16))
                    .col(boolean(Groups::MuteAllMembers).default(false))
                    .col(text(Groups::CustomField).default("[]"))
                    .col(big_integer(Groups::CreateTime))
                    .col(big_integer(Groups::LastInfoTime))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Groups::Table, Groups::ChannelId)
                            .to(Channels::Table, Channels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupMembers::Table)
                    .if_not_exists()
                    .col(string_len(GroupMembers::GroupId, 48))
                    .col(string_len(GroupMembers::UserId, 32))
                    .col(string_len(GroupMembers::Role, 16))
                    .col(big_integer(GroupMembers::JoinTime))
                    .col(string_len(GroupMembers::NameCard, 64).default(""))
                    .col(big_integer(GroupMembers::MuteUntil).default(0))
                    .col(text(GroupMembers::CustomField).default("[]"))
                    .primary_key(
                        Index::create()
                            .col(GroupMembers::GroupId)
                            .col(GroupMembers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupMembers::Table, GroupMembers::GroupId)
                            .to(Groups::Table, Groups::GroupId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupMembers::Table, GroupMembers::UserId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A user's groups (getGroupList, one-AVChatRoom-at-a-time).
        manager
            .create_index(
                Index::create()
                    .name("ix_group_members_user")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::UserId)
                    .to_owned(),
            )
            .await?;
        // Member list pages are ordered by join time.
        manager
            .create_index(
                Index::create()
                    .name("ix_group_members_group_join")
                    .table(GroupMembers::Table)
                    .col(GroupMembers::GroupId)
                    .col(GroupMembers::JoinTime)
                    .col(GroupMembers::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GroupApplications::Table)
                    .if_not_exists()
                    .col(string_len(GroupApplications::Id, 40).primary_key())
                    .col(string_len(GroupApplications::GroupId, 48))
                    .col(string_len(GroupApplications::ApplicantId, 32))
                    .col(text(GroupApplications::ApplyMessage).default(""))
                    .col(string_len(GroupApplications::Status, 16))
                    .col(string_len(GroupApplications::HandlerId, 32).default(""))
                    .col(text(GroupApplications::HandleMessage).default(""))
                    .col(big_integer(GroupApplications::CreatedAt))
                    .col(big_integer(GroupApplications::HandledAt).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupApplications::Table, GroupApplications::GroupId)
                            .to(Groups::Table, Groups::GroupId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupApplications::Table, GroupApplications::ApplicantId)
                            .to(Users::Table, Users::UserId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One pending application per applicant and group is looked up on every apply.
        manager
            .create_index(
                Index::create()
                    .name("ix_group_applications_group_applicant")
                    .table(GroupApplications::Table)
                    .col(GroupApplications::GroupId)
                    .col(GroupApplications::ApplicantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_group_applications_applicant")
                    .table(GroupApplications::Table)
                    .col(GroupApplications::ApplicantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            GroupApplications::Table.into_iden(),
            GroupMembers::Table.into_iden(),
            Groups::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    GroupId,
    GroupType,
    Name,
    Avatar,
    Introduction,
    Notification,
    OwnerId,
    ChannelId,
    MemberCount,
    MaxMemberCount,
    JoinOption,
    MuteAllMembers,
    CustomField,
    CreateTime,
    LastInfoTime,
}

#[derive(DeriveIden)]
enum GroupMembers {
    Table,
    GroupId,
    UserId,
    Role,
    JoinTime,
    NameCard,
    MuteUntil,
    CustomField,
}

#[derive(DeriveIden)]
enum GroupApplications {
    Table,
    Id,
    GroupId,
    ApplicantId,
    ApplyMessage,
    Status,
    HandlerId,
    HandleMessage,
    CreatedAt,
    HandledAt,
}
