//! API types of files, shared by GraphQL and compat JSON.

use async_graphql::SimpleObject;
use serde::Serialize;

/// An uploaded file as clients see it.
#[derive(SimpleObject, Serialize, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "File")]
pub struct UploadedFile {
    /// The server-made ID that media messages name.
    #[graphql(name = "fileID")]
    #[serde(rename = "fileID")]
    pub file_id: String,
    /// The uploader's file name, for display only.
    pub name: String,
    /// Media type detected from the bytes.
    pub mime: String,
    /// Size in bytes.
    pub size: i64,
    /// Where to download it (with a token).
    pub url: String,
    /// Width in pixels, for images.
    pub width: Option<i32>,
    /// Height in pixels, for images.
    pub height: Option<i32>,
}
