//! An uploaded file and, for images, its renditions.

use sea_orm::entity::prelude::*;

/// One upload; the bytes live in the file store under `storage_key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    /// Server-made fileID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The uploader.
    pub owner_id: String,
    /// `image`, `audio`, `video` or `file`, detected from the bytes.
    pub kind: String,
    /// Media type detected from the bytes.
    pub mime: String,
    /// The client's file name, sanitised, for display only (never a path).
    pub name: String,
    pub size: i64,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// TIM's image format code: JPG 1, GIF 2, PNG 3, BMP 4, other 255.
    pub image_format: Option<i32>,
    /// The rendition of at most 720 px (may share the original's key).
    pub big_key: Option<String>,
    pub big_mime: Option<String>,
    pub big_size: Option<i64>,
    pub big_width: Option<i32>,
    pub big_height: Option<i32>,
    /// The rendition of at most 198 px (may share the original's key).
    pub small_key: Option<String>,
    pub small_mime: Option<String>,
    pub small_size: Option<i64>,
    pub small_width: Option<i32>,
    pub small_height: Option<i32>,
    pub created_at: i64,
}

/// No relations are declared: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
