//! A registered user and their profile.

use sea_orm::entity::prelude::*;

/// One user; `user_id` is the immutable username.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: String,
    pub email: String,
    pub email_lower: String,
    pub password_hash: String,
    pub nick: String,
    pub avatar: String,
    pub gender: String,
    pub self_signature: String,
    pub allow_type: String,
    pub birthday: i64,
    pub location: String,
    pub language: i64,
    pub message_settings: i64,
    pub admin_forbid_type: String,
    pub level: i64,
    pub role: i64,
    /// JSON array of `{key, value}` pairs.
    pub profile_custom_field: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
