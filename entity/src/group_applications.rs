//! A request to join a group that needs approval.

use sea_orm::entity::prelude::*;

use crate::kinds::GroupApplicationStatus;

/// One application; the first decision on it wins.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub group_id: String,
    pub applicant_id: String,
    pub apply_message: String,
    /// `pending`, `agreed` or `rejected`.
    pub status: GroupApplicationStatus,
    pub handler_id: String,
    pub handle_message: String,
    pub created_at: i64,
    pub handled_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
