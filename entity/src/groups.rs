//! A group: its profile and counters.

use sea_orm::entity::prelude::*;

use crate::kinds::{GroupJoinOption, GroupType};

/// One group; dismissing deletes it (and, by cascade, its channel's rows).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub group_id: String,
    /// `Private`, `Public`, `ChatRoom`, `AVChatRoom` or `Community`.
    pub group_type: GroupType,
    pub name: String,
    pub avatar: String,
    pub introduction: String,
    pub notification: String,
    /// Empty when a work group's owner quit.
    pub owner_id: String,
    /// The group's message channel (`group:<groupID>`).
    pub channel_id: i64,
    pub member_count: i64,
    /// 0 means unlimited.
    pub max_member_count: i64,
    /// `FreeAccess`, `NeedPermission` or `DisableApply`.
    pub join_option: GroupJoinOption,
    pub mute_all_members: bool,
    /// JSON array of `{key, value}` pairs.
    pub custom_field: String,
    pub create_time: i64,
    pub last_info_time: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
